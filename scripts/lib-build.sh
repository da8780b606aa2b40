# shellcheck shell=bash
#
# Sourced by scripts/test and scripts/demo: configures a gcc build folder,
# reusing it when it exists so that a second run only rebuilds what changed.

# print the id (gcc, clang) of the C compiler a build folder was set up with
iot_build_compiler()
{
	local log="$1/meson-logs/meson-log.txt"
	if [[ -f $log ]]; then
		sed -n 's/^C compiler for the host machine: [^(]*(\([a-z]*\) .*/\1/p' "$log" | tail -n 1
	fi
}

# iot_meson_setup DIR [MESON OPTION...]: configure DIR with gcc and the options
iot_meson_setup()
{
	local dir=$1
	shift
	if [[ -f $dir/meson-private/coredata.dat && $(iot_build_compiler "$dir") == gcc ]]; then
		meson setup --reconfigure "$dir" "$@" </dev/null
		return
	fi
	if [[ -e $dir ]]; then
		echo "scripts: $dir was not set up with gcc; setting it up again"
		rm -rf "$dir"
	fi
	CC=gcc meson setup "$dir" "$@" </dev/null
}

# iot_build DIR [MESON OPTION...]: configure and build DIR
iot_build()
{
	local dir=$1
	shift
	iot_meson_setup "$dir" "$@" && ninja -C "$dir" </dev/null
}

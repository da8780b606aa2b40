# shellcheck shell=bash
#
# Sourced by scripts/test and scripts/demo: installs the Debian packages listed
# in scripts/debian-packages.txt that are not installed yet. Nothing here asks
# a question or needs a terminal, so CI can run it as root with no tty.

IOT_PACKAGES_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/debian-packages.txt"

# print the package names of the list, one a line, without comments
iot_package_list()
{
	sed -e 's/#.*//' "$IOT_PACKAGES_FILE" | tr -s '[:space:]' '\n' | sed -e '/^$/d'
}

# print the listed packages that dpkg does not report as installed
iot_missing_packages()
{
	local pkg status
	for pkg in $(iot_package_list); do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		if [[ $status != "install ok installed" ]]; then
			echo "$pkg"
		fi
	done
}

# install what is missing; returns non-zero (never exits) so that callers can
# count a failed installation in their summary
iot_install_packages()
{
	local missing=() sudo=() apt_options

	if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
		echo "scripts: this is not a Debian system; install the packages of" \
			"$IOT_PACKAGES_FILE yourself and pass --no-install" >&2
		return 1
	fi
	mapfile -t missing < <(iot_missing_packages)
	if [[ ${#missing[@]} -eq 0 ]]; then
		echo "scripts: all $(iot_package_list | wc -l) Debian packages are installed"
		return 0
	fi
	echo "scripts: installing ${missing[*]}"

	if [[ $(id -u) -ne 0 ]]; then
		if ! command -v sudo >/dev/null; then
			echo "scripts: run as root to install ${missing[*]}, or pass --no-install" >&2
			return 1
		fi
		sudo=(sudo)
		# without a terminal, fail rather than wait for a password nobody types
		if [[ ! -t 0 ]]; then
			sudo+=(-n)
		fi
	fi
	# wait for another dpkg (unattended-upgrades on a fresh machine) rather than fail
	apt_options=(-q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get "${apt_options[@]}" update </dev/null; then
		echo "scripts: apt-get update failed" >&2
		return 1
	fi
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get "${apt_options[@]}" install -y --no-install-recommends \
		"${missing[@]}" </dev/null; then
		echo "scripts: apt-get install ${missing[*]} failed" >&2
		return 1
	fi
	mapfile -t missing < <(iot_missing_packages)
	if [[ ${#missing[@]} -ne 0 ]]; then
		echo "scripts: still not installed: ${missing[*]}" >&2
		return 1
	fi
	return 0
}

IOT_NODE_CLIENT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/awsapi"

# install the npm packages the tests' JavaScript client needs (the AWS SDK for
# JavaScript) into tests/awsapi/node_modules, from its package-lock.json, when
# they are missing or older than the lock; returns non-zero (never exits) on failure
iot_install_node_modules()
{
	local sudo=()

	if [[ -f $IOT_NODE_CLIENT_DIR/node_modules/.package-lock.json &&
		$IOT_NODE_CLIENT_DIR/node_modules/.package-lock.json -nt $IOT_NODE_CLIENT_DIR/package-lock.json ]]; then
		echo "scripts: the npm packages of tests/awsapi are installed"
		return 0
	fi
	# Debian's nodejs comes without npm; NodeSource's has it built in
	if ! command -v npm >/dev/null; then
		if [[ $(id -u) -ne 0 ]]; then
			sudo=(sudo -n)
		fi
		echo "scripts: installing npm"
		if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q \
			-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 install -y \
			--no-install-recommends npm </dev/null; then
			echo "scripts: apt-get install npm failed" >&2
			return 1
		fi
	fi
	echo "scripts: npm ci in tests/awsapi"
	if ! (cd "$IOT_NODE_CLIENT_DIR" && npm ci --no-audit --no-fund --loglevel=error </dev/null); then
		echo "scripts: npm ci in tests/awsapi failed" >&2
		return 1
	fi
}

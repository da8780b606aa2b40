#!/usr/bin/env python3
#
# Copyright 2026 The iotunnel developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Turns bench/results/results.json into results.md (the table), results.csv
# (one figure a row) and results.png (gnuplot). Run on its own to redo the
# report of an earlier run: python3 bench/report.py bench/results

import json
import os
import shutil
import subprocess
import sys

SYSTEMS = ["direct", "socat", "socat-tls", "iotunnel"]
SYSTEM_TITLES = {
    "direct": "direct (no proxy)",
    "socat": "socat chain, plain",
    "socat-tls": "socat chain, TLS",
    "iotunnel": "iotunnel V3",
}
CASES = ["up-1", "down-1", "up-8", "down-8"]
CASE_TITLES = {
    "up-1": "source to destination, 1 connection",
    "down-1": "destination to source, 1 connection",
    "up-8": "source to destination, 8 connections",
    "down-8": "destination to source, 8 connections",
}
PROXIES = ["source", "service", "destination"]

TARGET_THROUGHPUT_FRACTION = 0.70
TARGET_P99_EXTRA_US = 1000.0
TARGET_RSS_PER_CONNECTION = 4096
TARGET_IDLE_RSS_KIB = 8 * 1024
TARGET_SLOW_PEAK_KIB = 32 * 1024


def mib(kib):
    return kib / 1024.0


def chain_cpu(cpu):
    """CPU seconds per GiB of the three processes between the applications"""
    return sum(cpu.get(k, 0.0) for k in ("source", "service", "destination"))


def size_text(nbytes):
    if nbytes >= 1024**3 and nbytes % 1024**3 == 0:
        return "%d GiB" % (nbytes // 1024**3)
    return "%d MiB" % (nbytes // 1024**2)


def fmt(value, digits=1):
    if value is None:
        return "-"
    return "%.*f" % (digits, value)


class Report:
    def __init__(self, results):
        self.r = results
        self.md = []
        self.csv = [("section", "case", "system", "metric", "value", "unit")]
        self.targets = []

    def row(self, section, case, system, metric, value, unit):
        self.csv.append((section, case, system, metric, "%.6g" % value, unit))

    def table(self, header, rows):
        self.md.append("| " + " | ".join(header) + " |")
        self.md.append("|" + "|".join(" --- " for _ in header) + "|")
        for r in rows:
            self.md.append("| " + " | ".join(r) + " |")
        self.md.append("")

    def target(self, what, measured, met):
        self.targets.append((what, measured, "yes" if met else "**no**"))

    # sections ------------------------------------------------------------------

    def head(self):
        m = self.r.get("machine", {})
        s = self.r.get("sizes", {})
        self.md.append("# iotunnel benchmarks")
        self.md.append("")
        self.md.append(
            "%s; %s CPUs (%s), kernel %s; load average %.2f at the start."
            % (
                m.get("date", "?"),
                m.get("cpus", "?"),
                m.get("cpu", "?"),
                m.get("kernel", "?"),
                m.get("loadavg_at_start", 0.0),
            )
        )
        if m.get("loadavg_at_start", 0.0) > 0.5:
            self.md.append("")
            self.md.append(
                "**Other work was running** (load average %.2f at the start, %.2f at the end): "
                "the CPU columns hold, but throughput and latency are not the machine's. "
                "The *CPU other* column shows how much CPU the rest of the machine took."
                % (m.get("loadavg_at_start", 0.0), m.get("loadavg_at_end", 0.0))
            )
        if self.r.get("quick"):
            self.md.append("")
            self.md.append(
                "**Quick mode** (`bench/run --quick`): small sizes, to check that the suite "
                "works; the figures are not the benchmark's."
            )
        for section, error in self.r.get("errors", {}).items():
            self.md.append("")
            self.md.append("**%s failed**:" % section)
            self.md.append("")
            self.md.append("```")
            self.md.append(error)
            self.md.append("```")
        self.md.append("")
        self.sizes = s

    def bulk(self):
        bulk = self.r.get("bulk")
        if not bulk:
            return
        size = self.sizes.get("bulk_bytes", 0)
        self.md.append(
            "## Bulk throughput (%s each way; 8 connections share it)" % size_text(size)
        )
        self.md.append("")
        self.md.append(
            "CPU seconds per GiB moved, per process: *A* is the source iotunneld or the "
            "first socat (plain to TLS), *relay* iotunnel-service or the middle socat, "
            "*B* the destination iotunneld or the last socat (TLS to plain); *other* is "
            "the rest of the machine (other programs, and kernel work no process is "
            "charged for); *chain* is A, relay and B together. On a machine others use, "
            "the targets table also gives the CPU cost ratio: the TLS socat chain's CPU "
            "per GiB over iotunnel's, the throughput ratio a CPU-bound machine would show."
        )
        self.md.append("")
        rows = []
        for case in CASES:
            if case not in bulk:
                continue
            tls = bulk[case].get("socat-tls")
            for system in SYSTEMS:
                res = bulk[case].get(system)
                if res is None:
                    continue
                cpu = res["cpu_s_per_gib"]
                frac = res["mib_per_s"] / tls["mib_per_s"] if tls else None
                chain = chain_cpu(cpu)
                rows.append(
                    [
                        case,
                        system,
                        fmt(res["mib_per_s"], 0),
                        fmt(frac * 100, 0) + " %" if frac is not None else "-",
                        fmt(cpu.get("source"), 2),
                        fmt(cpu.get("service"), 2),
                        fmt(cpu.get("destination"), 2),
                        fmt(chain, 2) if system != "direct" else "-",
                        fmt(cpu.get("client"), 2),
                        fmt(cpu.get("server"), 2),
                        fmt(cpu.get("other"), 2),
                    ]
                )
                self.row("bulk", case, system, "throughput", res["mib_per_s"], "MiB/s")
                for proc, value in sorted(cpu.items()):
                    self.row("bulk", case, system, "cpu_" + proc, value, "s/GiB")
                if system == "iotunnel" and frac is not None and case.endswith("-1"):
                    by_cpu = chain_cpu(tls["cpu_s_per_gib"]) / chain
                    self.target(
                        "throughput %s at least 70%% of the TLS socat chain" % case,
                        "%s %% (CPU cost: %s %%)" % (fmt(frac * 100, 0), fmt(by_cpu * 100, 0)),
                        frac >= TARGET_THROUGHPUT_FRACTION,
                    )
        self.table(
            ["case", "system", "MiB/s", "of TLS socat", "CPU A", "CPU relay", "CPU B",
             "CPU chain", "CPU client", "CPU server", "CPU other"],
            rows,
        )

    def latency(self):
        lat = self.r.get("latency")
        if not lat:
            return
        count = self.sizes.get("latency_count", 0)
        self.md.append("## Latency (64-byte request and response, %d exchanges)" % count)
        self.md.append("")
        tls = lat.get("socat-tls")
        rows = []
        for system in SYSTEMS:
            res = lat.get(system)
            if res is None:
                continue
            extra = res["p99_us"] - tls["p99_us"] if tls else None
            rows.append(
                [
                    system,
                    fmt(res["p50_us"]),
                    fmt(res["p99_us"]),
                    fmt(res["max_us"]),
                    fmt(res["mean_us"]),
                    fmt(extra) if extra is not None else "-",
                ]
            )
            for key in ("p50_us", "p99_us", "max_us", "mean_us"):
                self.row("latency", "64B", system, key[:-3], res[key], "us")
            if system == "iotunnel" and extra is not None:
                self.target(
                    "p99 latency under 1 ms above the TLS socat chain",
                    "+%s us" % fmt(extra),
                    extra < TARGET_P99_EXTRA_US,
                )
        self.table(
            ["system", "p50 us", "p99 us", "max us", "mean us", "p99 above TLS socat, us"], rows
        )

    def stalled(self):
        stalled = self.r.get("stalled")
        if not stalled:
            return
        self.md.append(
            "## Latency beside a stalled connection (64 bytes, one tunnel, "
            "another connection's app never reads while its client floods)"
        )
        self.md.append("")
        rows = []
        for case in ("idle", "stalled"):
            res = stalled[case]
            rows.append([case, fmt(res["p50_us"]), fmt(res["p99_us"]), fmt(res["max_us"])])
            for key in ("p50_us", "p99_us", "max_us", "mean_us"):
                self.row("stalled", "64B", case, key[:-3], res[key], "us")
        self.table(["tunnel", "p50 us", "p99 us", "max us"], rows)
        for key in ("p50_us", "p99_us"):
            ratio = stalled["stalled"][key] / stalled["idle"][key]
            self.target(
                "%s latency beside a stalled connection within 2x of idle" % key[:3],
                "%.2fx" % ratio,
                ratio <= 2.0,
            )

    def scale(self):
        scale = self.r.get("scale")
        if not scale:
            return
        self.md.append("## Connection scale (V3, simultaneous connections through one tunnel)")
        self.md.append("")
        self.md.append(
            "RSS with every connection open; bytes per connection is the RSS growth over "
            "the idle proxy divided by the connections."
        )
        self.md.append("")
        rows = []
        for n in sorted(scale, key=int):
            res = scale[n]
            p = res["procs"]
            rows.append(
                [
                    n,
                    fmt(res["open_seconds"], 2),
                    fmt(mib(p["source"]["rss_open_kib"])),
                    fmt(mib(p["destination"]["rss_open_kib"])),
                    fmt(mib(p["service"]["rss_open_kib"])),
                    fmt(p["source"]["bytes_per_connection"], 0),
                    fmt(p["destination"]["bytes_per_connection"], 0),
                    fmt(p["service"]["bytes_per_connection"], 0),
                ]
            )
            self.row("scale", n, "iotunnel", "open_time", res["open_seconds"], "s")
            for proc in PROXIES:
                self.row("scale", n, proc, "rss", p[proc]["rss_open_kib"], "KiB")
                self.row(
                    "scale", n, proc, "rss_per_connection", p[proc]["bytes_per_connection"], "B"
                )
            worst = max(p["source"]["bytes_per_connection"], p["destination"]["bytes_per_connection"])
            if int(n) < 1000:
                # a few hundred connections fit in the heap's slack: no per-connection figure
                continue
            self.target(
                "under 4 KiB of proxy RSS per idle V3 connection (%s)" % n,
                "%s B" % fmt(worst, 0),
                worst < TARGET_RSS_PER_CONNECTION,
            )
        self.table(
            ["connections", "open all, s", "source RSS MiB", "destination RSS MiB",
             "service RSS MiB", "source B/conn", "destination B/conn", "service B/conn"],
            rows,
        )

    def idle(self):
        idle = self.r.get("idle")
        if not idle:
            return
        seconds = next(iter(idle.values()))["seconds"]
        self.md.append("## Idle connected tunnel (%d s, no traffic)" % seconds)
        self.md.append("")
        self.md.append(
            "*file* is the part of RSS mapped from files (the shared libraries' code and "
            "data, shared with every other process that maps them); *anonymous* is the "
            "process's own heap and stacks; PSS splits shared pages among their users."
        )
        self.md.append("")
        rows = []
        for proc in PROXIES:
            res = idle[proc]
            rows.append(
                [
                    proc,
                    fmt(mib(res["rss_kib"])),
                    fmt(mib(res["file_kib"])),
                    fmt(mib(res["anonymous_kib"])),
                    fmt(mib(res["pss_kib"])),
                    fmt(mib(res["peak_rss_kib"])),
                    fmt(res["cpu_seconds"], 3),
                ]
            )
            self.row("idle", "", proc, "anonymous", res["anonymous_kib"], "KiB")
            self.row("idle", "", proc, "pss", res["pss_kib"], "KiB")
            self.row("idle", "", proc, "rss", res["rss_kib"], "KiB")
            self.row("idle", "", proc, "cpu", res["cpu_seconds"], "s")
            if proc != "service":
                self.target(
                    "idle %s under 8 MiB RSS" % proc,
                    "%s MiB" % fmt(mib(res["peak_rss_kib"])),
                    res["peak_rss_kib"] < TARGET_IDLE_RSS_KIB,
                )
        self.table(
            ["process", "RSS MiB", "file MiB", "anonymous MiB", "PSS MiB", "peak RSS MiB",
             "CPU s"],
            rows,
        )

    def slow(self):
        slow = self.r.get("slow")
        if not slow:
            return
        self.md.append(
            "## Slow consumer (%d MiB sent, the destination app reads %d KiB/s; took %s s)"
            % (slow["bytes"] // (1024 * 1024), slow["rate"] // 1024, fmt(slow["seconds"]))
        )
        self.md.append("")
        rows = []
        for proc in PROXIES:
            res = slow["procs"][proc]
            rows.append([proc, fmt(mib(res["rss_before_kib"])), fmt(mib(res["peak_rss_kib"]))])
            self.row("slow", "", proc, "rss_before", res["rss_before_kib"], "KiB")
            self.row("slow", "", proc, "peak_rss", res["peak_rss_kib"], "KiB")
            if proc != "service":
                self.target(
                    "slow consumer: %s peak RSS under 32 MiB" % proc,
                    "%s MiB" % fmt(mib(res["peak_rss_kib"])),
                    res["peak_rss_kib"] < TARGET_SLOW_PEAK_KIB,
                )
        self.table(["process", "RSS before MiB", "peak RSS MiB"], rows)

    def profile(self):
        prof = self.r.get("profile")
        if not prof:
            return
        self.md.append("## Profile of the bulk path (perf, flat)")
        self.md.append("")
        if "skipped" in prof:
            self.md.append("Skipped: %s." % prof["skipped"])
            self.md.append("")
            return
        for proc in PROXIES:
            res = prof["procs"].get(proc)
            if res is None:
                continue
            self.md.append("%s (`%s`):" % (proc, os.path.basename(res["report"])))
            self.md.append("")
            self.table(
                ["%", "object", "symbol"],
                [[fmt(t["percent"]), t["dso"], "`%s`" % t["symbol"]] for t in res["top"][:8]],
            )

    def targets_table(self):
        if not self.targets:
            return
        self.md.append("## Targets")
        self.md.append("")
        self.table(["target", "measured", "met"], [list(t) for t in self.targets])

    def build(self):
        self.head()
        self.bulk()
        self.latency()
        self.stalled()
        self.scale()
        self.idle()
        self.slow()
        self.targets_table()
        self.profile()
        return "\n".join(self.md)


# the plot --------------------------------------------------------------------


def write_plot(results, out):
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        return "gnuplot is not installed (Debian package gnuplot-nox); no plot"
    plotdir = os.path.join(out, "plot")
    os.makedirs(plotdir, exist_ok=True)
    panels = []

    bulk = results.get("bulk")
    if bulk:
        systems = [s for s in SYSTEMS if any(s in bulk[c] for c in bulk)]
        with open(os.path.join(plotdir, "throughput.dat"), "w") as f:
            f.write("case " + " ".join('"%s"' % s for s in systems) + "\n")
            for case in CASES:
                if case in bulk:
                    f.write(
                        '"%s" ' % case
                        + " ".join(
                            "%.1f" % bulk[case][s]["mib_per_s"] if s in bulk[case] else "0"
                            for s in systems
                        )
                        + "\n"
                    )
        panels.append(
            """set title "Bulk throughput (MiB/s)"
set ylabel "MiB/s"
plot for [i=2:%d] "%s/throughput.dat" using i:xtic(1) title columnheader(i)
"""
            % (len(systems) + 1, plotdir)
        )

    lat = results.get("latency")
    if lat:
        with open(os.path.join(plotdir, "latency.dat"), "w") as f:
            f.write('system "p50" "p99"\n')
            for s in SYSTEMS:
                if s in lat:
                    f.write('"%s" %.1f %.1f\n' % (s, lat[s]["p50_us"], lat[s]["p99_us"]))
        panels.append(
            """set title "Round trip, 64 bytes (microseconds)"
set ylabel "us"
plot for [i=2:3] "%s/latency.dat" using i:xtic(1) title columnheader(i)
"""
            % plotdir
        )

    scale = results.get("scale")
    if scale:
        with open(os.path.join(plotdir, "scale.dat"), "w") as f:
            f.write('connections "source" "destination" "service" "target"\n')
            for n in sorted(scale, key=int):
                p = scale[n]["procs"]
                f.write(
                    '"%s" %.0f %.0f %.0f %d\n'
                    % (
                        n,
                        p["source"]["bytes_per_connection"],
                        p["destination"]["bytes_per_connection"],
                        p["service"]["bytes_per_connection"],
                        TARGET_RSS_PER_CONNECTION,
                    )
                )
        panels.append(
            """set title "RSS per open V3 connection (bytes)"
set ylabel "bytes"
plot for [i=2:5] "%s/scale.dat" using i:xtic(1) title columnheader(i)
"""
            % plotdir
        )

    idle = results.get("idle")
    slow = results.get("slow")
    if idle or slow:
        with open(os.path.join(plotdir, "memory.dat"), "w") as f:
            f.write('what "measured" "target"\n')
            for proc in ("source", "destination"):
                if idle:
                    f.write(
                        '"idle %s" %.2f %.2f\n'
                        % (proc, mib(idle[proc]["peak_rss_kib"]), mib(TARGET_IDLE_RSS_KIB))
                    )
            for proc in ("source", "destination"):
                if slow:
                    f.write(
                        '"slow-reader %s" %.2f %.2f\n'
                        % (
                            proc,
                            mib(slow["procs"][proc]["peak_rss_kib"]),
                            mib(TARGET_SLOW_PEAK_KIB),
                        )
                    )
        panels.append(
            """set title "Proxy peak RSS (MiB)"
set ylabel "MiB"
plot for [i=2:3] "%s/memory.dat" using i:xtic(1) title columnheader(i)
"""
            % plotdir
        )

    if not panels:
        return None
    rows = (len(panels) + 1) // 2
    script = """set terminal pngcairo size 1400,%d font "sans,10"
set output "%s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside top center horizontal
set grid ytics
set yrange [0:*]
set xtics rotate by -20
set multiplot layout %d,2 title "iotunnel benchmarks%s"
%s
unset multiplot
""" % (
        520 * rows,
        os.path.join(out, "results.png"),
        rows,
        " (quick mode)" if results.get("quick") else "",
        "\n".join(panels),
    )
    path = os.path.join(plotdir, "results.gnuplot")
    with open(path, "w") as f:
        f.write(script)
    proc = subprocess.run([gnuplot, path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        return "gnuplot failed: " + proc.stdout.decode(errors="replace")
    return None


def write_all(results, out):
    rep = Report(results)
    text = rep.build()
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "results.csv"), "w") as f:
        for r in rep.csv:
            f.write(",".join('"%s"' % x if "," in str(x) else str(x) for x in r) + "\n")
    problem = write_plot(results, out)
    if problem:
        print("bench: " + problem, flush=True)
    print(text, flush=True)
    print(
        "bench: wrote %s"
        % ", ".join(
            os.path.join(out, name)
            for name in ("results.md", "results.csv", "results.png", "results.json")
            if os.path.exists(os.path.join(out, name))
        ),
        flush=True,
    )


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results")
    with open(os.path.join(folder, "results.json")) as f:
        write_all(json.load(f), folder)

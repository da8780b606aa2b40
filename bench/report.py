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

SYSTEMS = ["direct", "socat", "socat-tls", "iotunnel", "reference"]
SYSTEM_TITLES = {
    "direct": "direct (no proxy)",
    "socat": "socat chain, plain",
    "socat-tls": "socat chain, TLS",
    "iotunnel": "iotunnel V3",
    "reference": "reference local proxy V3",
}
CASES = ["up-1", "down-1", "up-8", "down-8"]
CASE_TITLES = {
    "up-1": "source to destination, 1 connection",
    "down-1": "destination to source, 1 connection",
    "up-8": "source to destination, 8 connections",
    "down-8": "destination to source, 8 connections",
}
PROXIES = ["source", "service", "destination"]

# the targets of issue 16, as ratios to systems measured in the same run
TARGET_CPU_RATIO = 1.3  # chain CPU s/GiB over the TLS socat chain's, every bulk case
TARGET_THROUGHPUT_FRACTION = 0.90  # one connection, of the TLS socat chain's
TARGET_REFERENCE_RATIO = 2.0  # throughput over the reference's, where it completes
TARGET_P99_EXTRA_US = 150.0  # 64-byte echo, above the TLS socat chain's p99
TARGET_IDLE_ANONYMOUS_KIB = 3 * 1024
TARGET_SCALE_CONNECTIONS = 10000
TARGET_RSS_PER_CONNECTION = 2048
TARGET_SCALE_OPEN_SECONDS = 3.0
TARGET_SLOW_GROWTH_KIB = 2 * 1024
NOT_MEASURED = "not measured"
NOT_RUN = "section not run"


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

    def target(self, what, measured, ratio, goal, met):
        """a row of the targets table; @met is None when a system it compares
        with was not measured (then @measured says why)"""
        if met is None:
            verdict = NOT_MEASURED
        else:
            verdict = "met" if met else "**missed**"
        self.targets.append((what, measured, ratio, goal, verdict))

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
                "%s us" % fmt(stalled["stalled"][key]),
                "%.2fx" % ratio,
                "at most 2x",
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

    def reference_missing(self, case):
        """why the reference has no figure for @case"""
        failures = self.r.get("reference_failures", {})
        reason = failures.get(case) or failures.get("start")
        if reason:
            return "reference failed: " + reason
        return "no reference (bench/run --reference PATH)"

    def issue_targets(self):
        """the targets of issue 16, each against the systems of this run"""
        bulk = self.r.get("bulk", {})
        for case in CASES:
            res = bulk.get(case, {})
            ours, tls = res.get("iotunnel"), res.get("socat-tls")
            what = "chain CPU per GiB, %s, at most %.1fx the TLS socat chain's" % (
                case,
                TARGET_CPU_RATIO,
            )
            if ours is None or tls is None:
                self.target(what, NOT_RUN, "-", "at most %.1fx" % TARGET_CPU_RATIO, None)
            else:
                a, b = chain_cpu(ours["cpu_s_per_gib"]), chain_cpu(tls["cpu_s_per_gib"])
                ratio = a / b
                self.target(
                    what,
                    "%s s/GiB (TLS socat %s)" % (fmt(a, 2), fmt(b, 2)),
                    "%.2fx" % ratio,
                    "at most %.1fx" % TARGET_CPU_RATIO,
                    ratio <= TARGET_CPU_RATIO,
                )
        for case in ("up-1", "down-1"):
            res = bulk.get(case, {})
            ours, tls = res.get("iotunnel"), res.get("socat-tls")
            what = "throughput %s at least %d %% of the TLS socat chain" % (
                case,
                TARGET_THROUGHPUT_FRACTION * 100,
            )
            goal = "at least %d %%" % (TARGET_THROUGHPUT_FRACTION * 100)
            if ours is None or tls is None:
                self.target(what, NOT_RUN, "-", goal, None)
            else:
                frac = ours["mib_per_s"] / tls["mib_per_s"]
                self.target(
                    what,
                    "%s MiB/s (TLS socat %s)" % (fmt(ours["mib_per_s"], 0), fmt(tls["mib_per_s"], 0)),
                    "%s %%" % fmt(frac * 100, 0),
                    goal,
                    frac >= TARGET_THROUGHPUT_FRACTION,
                )
        for case in CASES:
            res = bulk.get(case, {})
            ours, ref = res.get("iotunnel"), res.get("reference")
            what = "throughput %s at least %.0fx the reference's" % (case, TARGET_REFERENCE_RATIO)
            goal = "at least %.0fx" % TARGET_REFERENCE_RATIO
            if ours is None:
                self.target(what, NOT_RUN, "-", goal, None)
            elif ref is None:
                self.target(what, self.reference_missing("bulk " + case), "-", goal, None)
            else:
                ratio = ours["mib_per_s"] / ref["mib_per_s"]
                self.target(
                    what,
                    "%s MiB/s (reference %s)" % (fmt(ours["mib_per_s"], 0), fmt(ref["mib_per_s"], 0)),
                    "%.2fx" % ratio,
                    goal,
                    ratio >= TARGET_REFERENCE_RATIO,
                )
        lat = self.r.get("latency", {})
        what = "p99 of the 64-byte echo at most %d us above the TLS socat chain" % (
            TARGET_P99_EXTRA_US
        )
        goal = "at most +%d us" % TARGET_P99_EXTRA_US
        if "iotunnel" in lat and "socat-tls" in lat:
            extra = lat["iotunnel"]["p99_us"] - lat["socat-tls"]["p99_us"]
            self.target(
                what,
                "%s us (TLS socat %s)" % (fmt(lat["iotunnel"]["p99_us"]), fmt(lat["socat-tls"]["p99_us"])),
                "%+.1f us" % extra,
                goal,
                extra <= TARGET_P99_EXTRA_US,
            )
        else:
            self.target(what, NOT_RUN, "-", goal, None)

        idle = self.r.get("idle")
        ref_idle = self.r.get("reference", {}).get("idle")
        for proc in ("source", "destination"):
            what = "idle connected %s: RSS no more than the reference's" % proc
            if idle is None:
                self.target(what, NOT_RUN, "-", "at most 1.00x", None)
            elif ref_idle is None:
                self.target(what, self.reference_missing("idle"), "-", "at most 1.00x", None)
            else:
                a, b = idle[proc]["rss_kib"], ref_idle[proc]["rss_kib"]
                self.target(
                    what,
                    "%s MiB (reference %s)" % (fmt(mib(a)), fmt(mib(b))),
                    "%.2fx" % (a / b),
                    "at most 1.00x",
                    a <= b,
                )
        for proc in ("source", "destination"):
            what = "idle connected %s: anonymous memory at most 3 MiB" % proc
            if idle is None:
                self.target(what, NOT_RUN, "-", "at most 3.0 MiB", None)
            else:
                a = idle[proc]["anonymous_kib"]
                self.target(
                    what,
                    "%s MiB" % fmt(mib(a)),
                    "%.2fx" % (a / TARGET_IDLE_ANONYMOUS_KIB),
                    "at most 3.0 MiB",
                    a <= TARGET_IDLE_ANONYMOUS_KIB,
                )

        scale = self.r.get("scale", {})
        n = max((int(k) for k in scale), default=None)
        full = n is not None and n >= TARGET_SCALE_CONNECTIONS
        label = "%d" % TARGET_SCALE_CONNECTIONS if n is None or full else "%d (this run's largest)" % n
        for proc in ("source", "destination"):
            what = "%s V3 connections: %s RSS at most 2 KiB each" % (label, proc)
            if n is None:
                self.target(what, NOT_RUN, "-", "at most 2048 B", None)
            else:
                per = scale[str(n)]["procs"][proc]["bytes_per_connection"]
                self.target(
                    what,
                    "%s B" % fmt(per, 0),
                    "%.2fx" % (per / TARGET_RSS_PER_CONNECTION),
                    "at most 2048 B",
                    per <= TARGET_RSS_PER_CONNECTION,
                )
        what = "%s V3 connections all open within 3 s" % label
        if n is None:
            self.target(what, NOT_RUN, "-", "at most 3.0 s", None)
        else:
            took = scale[str(n)]["open_seconds"]
            self.target(
                what,
                "%s s" % fmt(took, 2),
                "%.2fx" % (took / TARGET_SCALE_OPEN_SECONDS),
                "at most 3.0 s",
                took <= TARGET_SCALE_OPEN_SECONDS,
            )

        slow = self.r.get("slow")
        for proc in ("source", "destination"):
            size = size_text(slow["bytes"]) if slow else "256 MiB"
            what = "slow consumer over %s: %s peak RSS within 2 MiB of its start" % (size, proc)
            if slow is None:
                self.target(what, NOT_RUN, "-", "at most +2.0 MiB", None)
            else:
                res = slow["procs"][proc]
                growth = res["peak_rss_kib"] - res["rss_before_kib"]
                self.target(
                    what,
                    "%s MiB peak (from %s)" % (fmt(mib(res["peak_rss_kib"])), fmt(mib(res["rss_before_kib"]))),
                    "%+.1f MiB" % mib(growth),
                    "at most +2.0 MiB",
                    growth <= TARGET_SLOW_GROWTH_KIB,
                )

    def targets_text(self):
        """the targets table, as Markdown lines"""
        lines = ["## Targets (issue 16)", ""]
        if self.r.get("quick"):
            lines += [
                "Quick mode: smaller sizes than the targets name; the verdicts only check the suite.",
                "",
            ]
        header = ["target", "measured", "ratio", "target", "result"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(" --- " for _ in header) + "|")
        for t in self.targets:
            lines.append("| " + " | ".join(t) + " |")
        lines.append("")
        return lines

    def targets_table(self):
        self.issue_targets()
        self.md += self.targets_text()

    def reference_section(self):
        ref = self.r.get("reference", {})
        failures = self.r.get("reference_failures", {})
        if not ref and not failures:
            return
        self.md.append("## The reference local proxy")
        self.md.append("")
        self.md.append(
            "A source and a destination reference local proxy through the same "
            "iotunnel-service (V3, one service id, the service's CA given with -c). "
            "Its bulk and latency figures are in those tables, as *reference*."
        )
        self.md.append("")
        rows = []
        idle = ref.get("idle")
        slow = ref.get("slow")
        for proc in ("source", "destination"):
            if idle:
                res = idle[proc]
                rows.append(
                    ["idle " + proc, "RSS %s MiB, anonymous %s MiB, file %s MiB" % (
                        fmt(mib(res["rss_kib"])), fmt(mib(res["anonymous_kib"])), fmt(mib(res["file_kib"])))]
                )
                self.row("idle", "", "reference-" + proc, "rss", res["rss_kib"], "KiB")
                self.row("idle", "", "reference-" + proc, "anonymous", res["anonymous_kib"], "KiB")
        for proc in ("source", "destination"):
            if slow:
                res = slow["procs"][proc]
                rows.append(
                    ["slow consumer " + proc, "RSS %s MiB before, peak %s MiB" % (
                        fmt(mib(res["rss_before_kib"])), fmt(mib(res["peak_rss_kib"])))]
                )
                self.row("slow", "", "reference-" + proc, "peak_rss", res["peak_rss_kib"], "KiB")
        for n, res in sorted(ref.get("scale", {}).items(), key=lambda kv: int(kv[0])):
            p = res["procs"]
            rows.append(
                ["scale %s" % n, "open in %s s; %s B (source), %s B (destination) per connection" % (
                    fmt(res["open_seconds"], 2),
                    fmt(p["source"]["bytes_per_connection"], 0),
                    fmt(p["destination"]["bytes_per_connection"], 0))]
            )
        if rows:
            self.table(["case", "reference"], rows)
        if failures:
            self.md.append("Where the reference failed (one line per case):")
            self.md.append("")
            for case, reason in failures.items():
                self.md.append("- %s: %s" % (case, reason))
            self.md.append("")

    def build(self):
        self.head()
        self.bulk()
        self.latency()
        self.stalled()
        self.scale()
        self.idle()
        self.slow()
        self.reference_section()
        self.profile()
        self.targets_table()
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
                        '"idle %s anonymous" %.2f %.2f\n'
                        % (proc, mib(idle[proc]["anonymous_kib"]), mib(TARGET_IDLE_ANONYMOUS_KIB))
                    )
            for proc in ("source", "destination"):
                if slow:
                    res = slow["procs"][proc]
                    f.write(
                        '"slow-reader %s growth" %.2f %.2f\n'
                        % (
                            proc,
                            mib(res["peak_rss_kib"] - res["rss_before_kib"]),
                            mib(TARGET_SLOW_GROWTH_KIB),
                        )
                    )
        panels.append(
            """set title "Proxy memory against the targets (MiB)"
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
    # the targets table comes last, where a terminal shows it
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

#!/usr/bin/env python3
#
# Copyright 2026 The iotunnel developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# iotunnel's soak: many V3 connections held open through one tunnel for a
# long time with a trickle of checked traffic on each, the RSS of every
# process sampled into a CSV and plotted; and a bulk part, a large amount
# through one tunnel over a few connections with SHA-256 checked end to end.
# It reuses bench/iotbench.py's service, tunnel and process handling.
# bench/soak builds and calls this; see bench/README.md.

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import iotbench  # noqa: E402
from iotbench import GIB, MIB, BenchError, Proc, Tunnel, log  # noqa: E402

PROCS = ["source", "service", "destination", "app", "client"]


class Sampler:
    """the RSS of every process every `every` seconds, into a CSV"""

    def __init__(self, path, procs, every, status):
        self.procs = procs
        self.every = every
        self.status = status
        self.rows = []
        self.stop_event = threading.Event()
        self.file = open(path, "w")
        self.file.write("seconds,%s,open_connections,bytes_echoed\n" % ",".join(n + "_rss_kib" for n in PROCS))
        self.start = time.monotonic()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self):
        row = {"seconds": time.monotonic() - self.start}
        for name in PROCS:
            proc = self.procs.get(name)
            try:
                row[name] = proc.rss_kib() if proc else 0
            except OSError:
                row[name] = 0
        status = self.status()
        row["open"] = status.get("open", 0)
        row["bytes"] = status.get("bytes_echoed", 0)
        self.rows.append(row)
        self.file.write(
            "%.1f,%s,%d,%d\n"
            % (row["seconds"], ",".join(str(row[n]) for n in PROCS), row["open"], row["bytes"])
        )
        self.file.flush()

    def run(self):
        self.sample()
        while not self.stop_event.wait(self.every):
            self.sample()

    def stop(self):
        self.stop_event.set()
        self.thread.join()
        self.sample()
        self.file.close()


def last_json(proc, key, start=0):
    with proc.cond:
        for line in reversed(proc.lines[start:]):
            if line.startswith("{") and key in line:
                return json.loads(line)
    return {}


def rss_table(rows, steady_from):
    """first, steady start, last and max RSS per process (KiB)"""
    steady = [r for r in rows if r["seconds"] >= steady_from] or rows[-1:]
    out = {}
    for name in PROCS:
        values = [r[name] for r in rows if r[name]]
        held = [r[name] for r in steady if r[name]]
        if not values:
            continue
        out[name] = {
            "first_kib": values[0],
            "steady_first_kib": held[0] if held else values[-1],
            "last_kib": values[-1],
            "max_kib": max(values),
            "steady_max_kib": max(held) if held else values[-1],
        }
    return out


def flat_verdict(table):
    """flat: from the steady start to the end each process grew by under 10%
    and under 8 MiB"""
    verdict = {}
    for name, t in table.items():
        growth = t["last_kib"] - t["steady_first_kib"]
        verdict[name] = growth < 8 * 1024 and growth < 0.10 * t["steady_first_kib"]
    return verdict


def plot(csv_path, png_path, title, steady_from, connections=0):
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        log("gnuplot is missing: no plot")
        return False
    script = """
set terminal pngcairo size 1100,600 font ",10"
set output '{png}'
set datafile separator ','
set key outside right top
set title '{title}'
set xlabel 'time, minutes'
set ylabel 'RSS, MiB'
set y2label 'connections open'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:{ymax}]
set grid
set arrow from {steady}/60.0, graph 0 to {steady}/60.0, graph 1 nohead dt 2 lc rgb 'gray'
plot '{csv}' every ::1 using ($1/60):($2 > 0 ? $2/1024 : NaN) with lines lw 2 title 'source iotunneld', \\
     '' every ::1 using ($1/60):($3 > 0 ? $3/1024 : NaN) with lines lw 2 title 'iotunnel-service', \\
     '' every ::1 using ($1/60):($4 > 0 ? $4/1024 : NaN) with lines lw 2 title 'destination iotunneld', \\
     '' every ::1 using ($1/60):($5 > 0 ? $5/1024 : NaN) with lines title 'echo app (Python)', \\
     '' every ::1 using ($1/60):($6 > 0 ? $6/1024 : NaN) with lines title 'load generator (Python)', \\
     '' every ::1 using ($1/60):7 axes x1y2 with lines dt 3 lc rgb 'black' title 'connections open'
""".format(png=png_path, csv=csv_path, title=title, steady=steady_from, ymax=max(1, connections) * 1.15)
    result = subprocess.run([gnuplot], input=script.encode(), stderr=subprocess.PIPE)
    if result.returncode != 0:
        log("gnuplot failed: %s" % result.stderr.decode(errors="replace").strip())
        return False
    return True


def run_connections(bench, args, out):
    n = args.conns
    log(
        "connections: %d V3 connections through one tunnel for %d s, one %d-byte record on each every %g s"
        % (n, args.seconds, 64, args.interval)
    )
    tunnel = Tunnel(bench, n + 16)
    procs = dict(tunnel.procs)
    procs["app"] = bench.server
    client = bench.track(
        Proc(
            "soak-client",
            bench.client(
                "soak",
                "--addr",
                tunnel.addr,
                "--conns",
                n,
                "--seconds",
                args.seconds,
                "--interval",
                args.interval,
                "--report",
                args.sample,
            ),
        )
    )
    procs["client"] = client
    csv_path = os.path.join(out, "soak-connections.csv")
    sampler = Sampler(csv_path, procs, args.sample, lambda: last_json(client, '"open"'))
    try:
        opened = client.wait_json("open_seconds", 900)
        steady_from = time.monotonic() - sampler.start + 60.0
        log("connections: %d open in %.1f s, %d failed" % (opened["opened"], opened["open_seconds"], opened["failed"]))
        final = client.wait_json("final", args.seconds + 900)
        client.popen.wait(120)
    finally:
        sampler.stop()
    tunnel.close()
    table = rss_table(sampler.rows, steady_from)
    res = {
        "connections": n,
        "seconds": args.seconds,
        "interval": args.interval,
        "sample_every": args.sample,
        "opened": opened,
        "final": final,
        "steady_from_seconds": steady_from,
        "rss": table,
        "flat": flat_verdict(table),
        "client_status": client.popen.returncode,
        "csv": os.path.basename(csv_path),
    }
    png = os.path.join(out, "soak-connections.png")
    title = "%d V3 connections through one tunnel, %d s, a 64-byte record on each every %g s" % (
        n,
        args.seconds,
        args.interval,
    )
    if plot(csv_path, png, title, steady_from, n):
        res["plot"] = os.path.basename(png)
    return res


def run_bulk(bench, args, out):
    nbytes = args.bulk_bytes
    log(
        "bulk: %.1f GiB through one tunnel over %d connections (%s), SHA-256 checked"
        % (nbytes / GIB, args.bulk_conns, args.bulk_direction)
    )
    tunnel = Tunnel(bench, 128)
    procs = dict(tunnel.procs)
    procs["app"] = bench.server
    cpu0 = {k: p.cpu_seconds() for k, p in procs.items()}
    csv_path = os.path.join(out, "soak-bulk.csv")
    sampler = Sampler(csv_path, procs, args.sample, lambda: {})
    try:
        (res,), client_cpu = iotbench.run_client(
            bench.client(
                "sha",
                "--addr",
                tunnel.addr,
                "--bytes",
                nbytes,
                "--conns",
                args.bulk_conns,
                "--direction",
                args.bulk_direction,
            ),
            max(3600, nbytes / (5 * MIB)),
        )
    finally:
        sampler.stop()
    cpu = {k: p.cpu_seconds() - cpu0[k] for k, p in procs.items()}
    tunnel.close()
    table = rss_table(sampler.rows, 0)
    png = os.path.join(out, "soak-bulk.png")
    out_res = {
        "bytes": res["bytes"],
        "seconds": res["seconds"],
        "mib_per_s": res["bytes"] / MIB / res["seconds"],
        "connections": res["connections"],
        "ok": res["ok"],
        "cpu_seconds": cpu,
        "client_cpu_seconds": client_cpu,
        "rss": table,
        "csv": os.path.basename(csv_path),
    }
    if plot(csv_path, png, "%.1f GiB over %d connections, SHA-256 checked" % (nbytes / GIB, args.bulk_conns), 0):
        out_res["plot"] = os.path.basename(png)
    return out_res


def mib(kib):
    return "%.1f" % (kib / 1024.0)


def write_summary(results, path):
    lines = ["# iotunnel soak", ""]
    m = results["machine"]
    lines.append(
        "Run %s on %s (%d CPUs, kernel %s), load average %.2f at the start and %.2f at the end; build type %s."
        % (m["date"], m["cpu"], m["cpus"], m["kernel"], m["loadavg_at_start"], m.get("loadavg_at_end", 0), results["buildtype"])
    )
    lines.append("")
    c = results.get("connections")
    if c:
        f = c["final"]
        lines += [
            "## Connections held open",
            "",
            "%d V3 connections through one tunnel (source iotunneld, iotunnel-service, destination iotunneld, "
            "echo app, load generator: five processes), held %d s, one 64-byte record sent on each every %g s "
            "and every byte of its echo checked; RSS from `/proc/PID/status` every %g s into `%s`%s."
            % (
                c["connections"],
                c["seconds"],
                c["interval"],
                c["sample_every"],
                c["csv"],
                ", plotted in `%s`" % c["plot"] if c.get("plot") else "",
            ),
            "",
            "| figure | value |",
            "| --- | --- |",
            "| connections opened | %d of %d in %.1f s (%d failed) |"
            % (c["opened"]["opened"], c["connections"], c["opened"]["open_seconds"], c["opened"]["failed"]),
            "| connections that ended early | %d %s |" % (f["ended_early"], json.dumps(f["ended_by"]) if f["ended_by"] else ""),
            "| bytes sent, echoed, in order | %d, %d, %d |" % (f["bytes_sent"], f["bytes_echoed"], f["bytes_in_order"]),
            "| connections with bytes lost, duplicated, reordered or garbled | %d |" % f["anomalies"],
            "| records never echoed at the end | %d |" % f["unanswered"],
            "",
            "RSS in MiB. *steady* starts 60 s after the last connection opened; *flat* means the process grew by "
            "under 10% and under 8 MiB from the steady start to the end.",
            "",
            "| process | first | steady start | last | max | flat |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, t in c["rss"].items():
            lines.append(
                "| %s | %s | %s | %s | %s | %s |"
                % (name, mib(t["first_kib"]), mib(t["steady_first_kib"]), mib(t["last_kib"]), mib(t["max_kib"]), "yes" if c["flat"][name] else "**no**")
            )
        lines.append("")
    b = results.get("bulk")
    if b:
        lines += [
            "## Bulk, SHA-256 checked",
            "",
            "%.2f GiB (%d bytes) through one tunnel over %d connections in %.0f s: %.1f MiB/s; every "
            "connection's SHA-256 %s."
            % (b["bytes"] / GIB, b["bytes"], len(b["connections"]), b["seconds"], b["mib_per_s"], "matched" if b["ok"] else "**did not match**"),
            "",
            "| connection | direction | bytes | SHA-256 sent | SHA-256 received | match |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for i, conn in enumerate(b["connections"]):
            lines.append(
                "| %d | %s | %d | `%s` | `%s` | %s |"
                % (i, conn["direction"], conn["bytes"], conn.get("sha256_sent", "-"), conn.get("sha256_received", conn.get("error", "-")), "yes" if conn["match"] else "**no**")
            )
        lines += ["", "CPU seconds: " + ", ".join("%s %.0f" % (k, v) for k, v in b["cpu_seconds"].items()) + ".", ""]
        lines += ["| process | first RSS MiB | last | max |", "| --- | --- | --- | --- |"]
        for name, t in b["rss"].items():
            lines.append("| %s | %s | %s | %s |" % (name, mib(t["first_kib"]), mib(t["last_kib"]), mib(t["max_kib"])))
        lines.append("")
    for part, error in results.get("errors", {}).items():
        lines.append("**%s failed**: %s" % (part, error))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description="iotunnel soak")
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="connections,bulk", help="connections,bulk")
    parser.add_argument("--conns", type=int, default=10000)
    parser.add_argument("--seconds", type=int, default=3600)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--sample", type=float, default=10.0)
    parser.add_argument("--bulk-bytes", type=int, default=100 * GIB)
    parser.add_argument("--bulk-conns", type=int, default=8)
    parser.add_argument("--bulk-direction", choices=["up", "down", "both"], default="both")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bench = iotbench.Bench(
        argparse.Namespace(
            quick=False,
            build_dir=args.build_dir,
            out=os.path.join(args.out, "soak-logs"),
            socat_buffer=131072,
            systems="iotunnel",
            only=None,
        )
    )
    results = {"machine": bench.results["machine"], "buildtype": bench.paths["buildtype"]}
    parts = args.only.split(",")
    status = 0
    try:
        bench.start()
        for part, fn in (("connections", run_connections), ("bulk", run_bulk)):
            if part not in parts:
                continue
            try:
                results[part] = fn(bench, args, args.out)
            except BenchError as e:
                log("%s failed: %s" % (part, e))
                results.setdefault("errors", {})[part] = str(e)
                status = 1
    except BenchError as e:
        log("failed: %s" % e)
        results.setdefault("errors", {})["start"] = str(e)
        status = 1
    finally:
        bench.cleanup()
    results["machine"]["loadavg_at_end"] = os.getloadavg()[0]
    c = results.get("connections")
    if c and (c["client_status"] != 0 or not all(c["flat"].values())):
        status = 1
    if results.get("bulk") and not results["bulk"]["ok"]:
        status = 1
    name = "soak" if len(parts) > 1 else "soak-" + parts[0]
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(results, f, indent=1)
    write_summary(results, os.path.join(args.out, name + ".md"))
    log("summary in %s" % os.path.join(args.out, name + ".md"))
    return status


if __name__ == "__main__":
    sys.exit(main())

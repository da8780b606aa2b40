#!/usr/bin/env python3
#
# Copyright 2026 The iotunnel developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Faults injected on purpose into a real tunnel (iotunnel-service with TLS, a
# source and a destination iotunneld, the echo app of benchapp.py), each
# repeated at random moments while checked echo streams run through it. Every
# byte that comes back is compared with what was sent: bytes lost,
# duplicated or reordered must be 0, and a stream the fault cut must end in a
# reset or an error, never in a clean end before all came back. It reuses
# bench/iotbench.py's service, tunnel and process handling. bench/faults builds
# and calls this; see bench/README.md.

import argparse
import json
import os
import random
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import iotbench  # noqa: E402
from iotbench import MIB, BenchError, Proc, Tunnel, log  # noqa: E402

FAULTS = ["service-kill", "link-cut", "sigstop", "stuck-app", "listener-flood"]
FIGURES = ["lost", "duplicated", "reordered", "garbled"]
# a checked stream with no end this long after it started has stalled: a defect
# (a connection waiting for the tunnel to come back is held 30 s at most)
STREAM_TIMEOUT = 45.0


class Relay:
    """a TCP relay between a proxy and the service that can cut every
    connection through it (each side gets a TCP reset) and refuse new ones
    for a while"""

    def __init__(self, target):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.addr = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs = []
        self.down = False
        self.cuts = 0
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        host, _, port = self.target.rpartition(":")
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                down = self.down
            if down:
                reset_close(client)
                continue
            try:
                upstream = socket.create_connection((host, int(port)), timeout=5)
                upstream.settimeout(None)
            except OSError:
                reset_close(client)
                continue
            pair = (client, upstream)
            with self.lock:
                self.pairs.append(pair)
            threading.Thread(target=self.pump, args=(pair,), daemon=True).start()

    def pump(self, pair):
        sel = selectors.DefaultSelector()
        a, b = pair
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in sel.select():
                    data = key.fileobj.recv(262144)
                    if not data:
                        raise ConnectionError("closed")
                    key.data.sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            sel.close()
            with self.lock:
                if pair in self.pairs:
                    self.pairs.remove(pair)
            for s in pair:
                reset_close(s)

    def cut(self):
        """resets every connection and refuses new ones until restore()"""
        with self.lock:
            self.down = True
            pairs = list(self.pairs)
            self.cuts += 1
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                reset_close(s)

    def restore(self):
        with self.lock:
            self.down = False


def reset_close(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    except OSError:
        pass


class Tally:
    """counts of one fault"""

    def __init__(self, name):
        self.name = name
        self.runs = 0
        self.outcomes = {}
        self.figures = {k: 0 for k in FIGURES}
        self.defects = []
        self.notes = []
        self.extra = {}

    def add_streams(self, streams, run, what="streams"):
        for s in streams:
            self.outcomes[s["outcome"]] = self.outcomes.get(s["outcome"], 0) + 1
            for k in FIGURES:
                self.figures[k] += s[k]
            if s["outcome"] not in ("whole", "reset", "error") or not s["intact"]:
                self.defects.append("run %d, %s stream %d: %s" % (run, what, s["id"], json.dumps(s)))

    def defect(self, run, text):
        self.defects.append("run %d: %s" % (run, text))

    def as_dict(self):
        return {
            "runs": self.runs,
            "outcomes": self.outcomes,
            "figures": self.figures,
            "defects": self.defects,
            "notes": self.notes,
            "extra": self.extra,
        }


class Faults:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.bench = iotbench.Bench(
            argparse.Namespace(
                quick=False,
                build_dir=args.build_dir,
                out=os.path.join(args.out, "faults-logs"),
                socat_buffer=131072,
                systems="iotunnel",
                only=None,
            )
        )
        self.client_token_seq = 0

    # the tunnel ---------------------------------------------------------------

    def tunnel(self, max_connections=64, endpoints=None):
        """a tunnel whose proxies reconnect (a client token each, short delays)"""
        self.client_token_seq += 1
        token = "faults-%d-%s" % (self.client_token_seq, os.urandom(16).hex())
        return Tunnel(
            self.bench,
            max_connections,
            endpoints=endpoints,
            profile_extra={
                "client_token": {"env": "AWSIOT_TUNNEL_CLIENT_TOKEN"},
                "reconnect": {"delay_ms": 200, "max_delay_ms": 2000},
            },
            env_extra={"AWSIOT_TUNNEL_CLIENT_TOKEN": token},
        )

    def streams(self, tunnel, conns, nbytes, rate=0, timeout=60.0, id_base=0, wait=True):
        argv = self.bench.client(
            "streams",
            "--addr",
            tunnel.addr,
            "--conns",
            conns,
            "--bytes",
            nbytes,
            "--rate",
            rate,
            "--timeout",
            timeout,
            "--id-base",
            id_base,
        )
        popen = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if not wait:
            return popen
        return self.streams_result(popen, timeout)

    def streams_result(self, popen, timeout):
        try:
            out, err = popen.communicate(timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            popen.kill()
            out, err = popen.communicate()
        for line in out.decode().splitlines():
            if line.startswith("{"):
                return json.loads(line)["streams"]
        raise BenchError("the streams client printed nothing: %s" % err.decode(errors="replace"))

    def wait_connected(self, proc, start, timeout=60.0):
        proc.wait_line(r"tunnel \S+: connected", timeout, start)

    def wait_flowing(self, tunnel, mark, conns=2):
        """until the source started a stream for each of the run's connections,
        so that the fault comes mid-transfer"""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with tunnel.source.cond:
                lines = tunnel.source.lines[mark:]
            if sum(1 for x in lines if re.search(r"connection \d+: started", x)) >= conns:
                return
            time.sleep(0.02)

    def check_alive(self, tally, run, procs):
        for name, proc in procs.items():
            if proc.popen.poll() is not None:
                tally.defect(run, "%s exited with status %s" % (name, proc.popen.returncode))
                return False
        return True

    def after_fault(self, tally, run, tunnel):
        """the tunnel serves again: a fresh checked stream must come back whole
        (tried for a while: the proxies may still be reconnecting)"""
        deadline = time.monotonic() + 60
        while True:
            streams = self.streams(tunnel, 1, 256 * 1024, timeout=20, id_base=900000 + run)
            if streams[0]["outcome"] == "whole" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        tally.extra["after_fault_whole"] = tally.extra.get("after_fault_whole", 0) + (
            streams[0]["outcome"] == "whole"
        )
        if streams[0]["outcome"] != "whole":
            tally.defect(run, "the tunnel did not serve again after the fault: %s" % json.dumps(streams[0]))
        for k in FIGURES:
            if streams[0][k]:
                tally.defect(run, "fresh stream after the fault: %s" % json.dumps(streams[0]))
                break

    # the faults ---------------------------------------------------------------

    def restart_service(self):
        """a new iotunnel-service on the same port and state folder"""
        old = self.bench.service
        argv = list(old.argv)
        argv[argv.index("--port") + 1] = self.bench.endpoint.rpartition(":")[2]
        deadline = time.monotonic() + 30
        while True:
            svc = self.bench.track(Proc("service", argv))
            try:
                svc.wait_line(r"^listening wss://", 30)
                break
            except BenchError:
                # the port may linger a moment after the kill
                if time.monotonic() > deadline:
                    raise
                svc.stop()
                time.sleep(0.2)
        self.bench.service = svc
        return svc

    def fault_service_kill(self, tally):
        runs = self.args.service_kills
        tunnel = self.tunnel()
        for run in range(runs):
            tally.runs += 1
            marks = {n: p.line_count() for n, p in (("source", tunnel.source), ("destination", tunnel.destination))}
            client = self.streams(tunnel, 2, 16 * MIB, rate=2 * MIB, timeout=STREAM_TIMEOUT, id_base=run * 10, wait=False)
            self.wait_flowing(tunnel, marks["source"])
            time.sleep(self.rng.uniform(0.05, 2.0))
            self.bench.service.popen.send_signal(signal.SIGKILL)
            self.bench.service.popen.wait()
            time.sleep(self.rng.uniform(0.0, 1.0))
            self.restart_service()
            tally.add_streams(self.streams_result(client, STREAM_TIMEOUT), run)
            try:
                for name, proc in (("source", tunnel.source), ("destination", tunnel.destination)):
                    self.wait_connected(proc, marks[name])
            except BenchError as e:
                tally.defect(run, "a proxy did not reconnect: %s" % e)
                break
            if not self.check_alive(tally, run, {"source": tunnel.source, "destination": tunnel.destination}):
                break
            self.after_fault(tally, run, tunnel)
            if run % 10 == 9:
                log("service-kill: %d of %d runs" % (run + 1, runs))
        tunnel.procs["service"] = self.bench.service
        tunnel.close()

    def fault_link_cut(self, tally):
        runs = self.args.link_cuts
        relays = {"source": Relay(self.bench.endpoint), "destination": Relay(self.bench.endpoint)}
        tunnel = self.tunnel(endpoints={k: r.addr for k, r in relays.items()})
        for run in range(runs):
            tally.runs += 1
            side = self.rng.choice(["source", "destination", "both"])
            cut = [relays[k] for k in (["source", "destination"] if side == "both" else [side])]
            marks = {n: p.line_count() for n, p in (("source", tunnel.source), ("destination", tunnel.destination))}
            client = self.streams(tunnel, 2, 16 * MIB, rate=2 * MIB, timeout=STREAM_TIMEOUT, id_base=run * 10, wait=False)
            self.wait_flowing(tunnel, marks["source"])
            time.sleep(self.rng.uniform(0.05, 2.0))
            for r in cut:
                r.cut()
            time.sleep(self.rng.uniform(0.1, 5.0))
            for r in cut:
                r.restore()
            tally.add_streams(self.streams_result(client, STREAM_TIMEOUT), run)
            sides = ["source", "destination"] if side == "both" else [side]
            try:
                for name in sides:
                    self.wait_connected(getattr(tunnel, name), marks[name])
            except BenchError as e:
                tally.defect(run, "a proxy did not reconnect: %s" % e)
                break
            if not self.check_alive(tally, run, tunnel.procs):
                break
            self.after_fault(tally, run, tunnel)
        tally.extra["cuts"] = {k: r.cuts for k, r in relays.items()}
        tunnel.close()

    def fault_sigstop(self, tally):
        runs = self.args.sigstops
        tunnel = self.tunnel()
        for run in range(runs):
            tally.runs += 1
            name = self.rng.choice(["source", "destination"])
            proc = getattr(tunnel, name)
            mark = tunnel.source.line_count()
            client = self.streams(tunnel, 2, 48 * MIB, rate=2 * MIB, timeout=24 + self.args.stop_seconds + STREAM_TIMEOUT, id_base=run * 10, wait=False)
            self.wait_flowing(tunnel, mark)
            time.sleep(self.rng.uniform(0.05, 2.0))
            proc.popen.send_signal(signal.SIGSTOP)
            time.sleep(self.args.stop_seconds)
            proc.popen.send_signal(signal.SIGCONT)
            tally.add_streams(self.streams_result(client, 24 + self.args.stop_seconds + STREAM_TIMEOUT), run)
            if not self.check_alive(tally, run, tunnel.procs):
                break
            self.after_fault(tally, run, tunnel)
            log("sigstop: %d of %d runs" % (run + 1, runs))
        tunnel.close()

    def fault_stuck_app(self, tally):
        """one connection's app accepts and never reads while its client floods;
        a second connection of the same tunnel exchanges 64-byte records
        meanwhile: each must come back, checked, and its round trip is
        compared with the same exchange on the idle tunnel"""
        runs = self.args.stuck_runs
        tunnel = self.tunnel()
        host, _, port = tunnel.addr.rpartition(":")
        baseline = echo_round_trips(host, int(port), 20, 0.05, 10.0)
        tally.extra["idle_round_trip_ms"] = baseline["median_ms"]
        worst = []
        flood_outcomes = {}
        for run in range(runs):
            tally.runs += 1
            flood = Flood(host, int(port), self.args.flood_seconds + 5)
            time.sleep(self.rng.uniform(1.0, 3.0))
            during = echo_round_trips(host, int(port), 20, 0.25, 30.0, stream_id=run + 1)
            flood.join()
            flood_outcomes[flood.outcome] = flood_outcomes.get(flood.outcome, 0) + 1
            tally.add_streams([during["stream"]], run, "echo")
            worst.append(during)
            if during["stream"]["outcome"] != "whole":
                tally.defect(
                    run,
                    "the second connection's echo did not complete while the first one's app "
                    "was stuck (%s after %d of %d exchanges, flood had sent %d MiB)"
                    % (during["stream"]["outcome"], during["done"], 20, flood.sent // MIB),
                )
            elif during["median_ms"] > 2 * max(baseline["median_ms"], 1.0):
                tally.notes.append(
                    "run %d: the second connection's median round trip was %.1f ms, idle %.1f ms"
                    % (run, during["median_ms"], baseline["median_ms"])
                )
            if not self.check_alive(tally, run, tunnel.procs):
                break
            tally.extra.setdefault("flood_sent_mib", []).append(round(flood.sent / MIB, 1))
        tally.extra["flood_outcomes"] = flood_outcomes
        tally.extra["round_trips_ms"] = [
            {"median": d["median_ms"], "max": d["max_ms"], "done": d["done"]} for d in worst
        ]
        tunnel.close()

    def fault_listener_flood(self, tally):
        """2,000 connections at once to the source's listener with its
        open-file limit at --flood-fd-limit: a clear log line, no spinning,
        nothing crashes, and the tunnel serves once they are gone"""
        runs = self.args.flood_runs
        n = self.args.flood_conns
        limit = self.args.flood_fd_limit
        tunnel = self.tunnel(max_connections=n + 100)
        resource.prlimit(tunnel.source.pid, resource.RLIMIT_NOFILE, (limit, limit))
        host, _, port = tunnel.addr.rpartition(":")
        for run in range(runs):
            tally.runs += 1
            mark = tunnel.source.line_count()
            cpu0 = tunnel.source.cpu_seconds()
            t0 = time.monotonic()
            socks = open_many(host, int(port), n)
            time.sleep(self.args.flood_hold)
            cpu = tunnel.source.cpu_seconds() - cpu0
            held = time.monotonic() - t0
            with tunnel.source.cond:
                lines = tunnel.source.lines[mark:]
            # the clear line: out of descriptors, or the cap that keeps it from getting there
            emfile = [
                x
                for x in lines
                if re.search(r"(?i)too many open files|descriptor|refusing a connection", x)
            ]
            # what a spinning listener repeats; each connection it took logs its own lines
            noisy = [x for x in lines if re.search(r"(?i)refusing|accept|too many open files", x)]
            for s in socks:
                reset_close(s)
            tally.extra.setdefault("per_run", []).append(
                {
                    "connections": len(socks),
                    "source_cpu_percent": round(100.0 * cpu / held, 1),
                    "log_lines": len(lines),
                    "listener_lines": len(noisy),
                    "emfile_lines": len(emfile),
                    "first_emfile_line": emfile[0] if emfile else "",
                }
            )
            if not emfile:
                tally.defect(run, "no log line said the source ran out of descriptors or refused")
            if cpu / held > 0.5:
                tally.defect(run, "the source used %.0f%% CPU while its listener was flooded" % (100.0 * cpu / held))
            if len(noisy) > 100:
                tally.defect(
                    run,
                    "the source logged %d lines about its listener in %.0f s" % (len(noisy), held),
                )
            if not self.check_alive(tally, run, tunnel.procs):
                break
            self.after_fault(tally, run, tunnel)
        tunnel.close()

    # running --------------------------------------------------------------------

    def run(self, only):
        self.bench.start()
        results = {"machine": self.bench.results["machine"], "seed": self.args.seed, "faults": {}}
        for name in FAULTS:
            if name not in only:
                continue
            log("%s ..." % name)
            tally = Tally(name)
            start = time.monotonic()
            try:
                getattr(self, "fault_" + name.replace("-", "_"))(tally)
            except BenchError as e:
                tally.defect(tally.runs, "the run failed: %s" % e)
            tally.extra["seconds"] = round(time.monotonic() - start, 1)
            results["faults"][name] = tally.as_dict()
            log(summary_line(tally.as_dict(), name))
        results["machine"]["loadavg_at_end"] = os.getloadavg()[0]
        return results


class Flood:
    """a connection whose app is stuck (SINK: it never reads) and whose client
    sends as fast as the tunnel takes it for a while"""

    def __init__(self, host, port, seconds):
        self.sent = 0
        self.outcome = "running"
        self.thread = threading.Thread(target=self.run, args=(host, port, seconds), daemon=True)
        self.thread.start()

    def run(self, host, port, seconds):
        chunk = os.urandom(65536)
        try:
            sock = socket.create_connection((host, port))
            sock.sendall(b"SINK\n")
            sock.settimeout(0.5)
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    self.sent += sock.send(chunk)
                except socket.timeout:
                    continue
            self.outcome = "still open (the source stopped taking its bytes)" if self.sent < 1024 * MIB else "still open"
            reset_close(sock)
        except OSError as e:
            self.outcome = "ended: %s" % (os.strerror(e.errno) if e.errno else e)

    def join(self):
        self.thread.join()


def echo_round_trips(host, port, count, pause, timeout, stream_id=0):
    """count exchanges of one 64-byte record on one echo connection, each
    checked; the round trips in ms"""
    import benchapp

    check = benchapp.EchoCheck(stream_id)
    times = []
    outcome = "whole"
    error = ""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(b"ECHO\n")
        for _ in range(count):
            t0 = time.monotonic()
            sock.sendall(check.next_bytes(benchapp.RECORD))
            while check.received < check.sent:
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("clean end")
                check.feed(data)
            times.append((time.monotonic() - t0) * 1000.0)
            time.sleep(pause)
        sock.close()
    except socket.timeout:
        outcome, error = "stalled", "no echo within %.0f s" % timeout
    except ConnectionError as e:
        outcome, error = ("eof-short" if str(e) == "clean end" else "reset"), str(e)
    except OSError as e:
        outcome, error = "error", str(e)
    stream = {"id": stream_id, "outcome": outcome, "error": error}
    stream.update(check.figures())
    stream["intact"] = check.intact()
    ordered = sorted(times)
    return {
        "stream": stream,
        "done": len(times),
        "median_ms": ordered[len(ordered) // 2] if ordered else float("inf"),
        "max_ms": ordered[-1] if ordered else float("inf"),
    }


def open_many(host, port, n):
    """n connections started at once (non-blocking), held open"""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    return socks


def summary_line(t, name):
    o = t["outcomes"]
    return "%s: %d runs, %d streams whole, %d ended by a reset, %d by an error, other %s; lost %d, duplicated %d, reordered %d, garbled %d; %d defects" % (
        name,
        t["runs"],
        o.get("whole", 0),
        o.get("reset", 0),
        o.get("error", 0),
        {k: v for k, v in o.items() if k not in ("whole", "reset", "error")},
        t["figures"]["lost"],
        t["figures"]["duplicated"],
        t["figures"]["reordered"],
        t["figures"]["garbled"],
        len(t["defects"]),
    )


def write_summary(results, path):
    m = results["machine"]
    lines = [
        "# iotunnel faults",
        "",
        "Run %s on %s (%d CPUs), load average %.2f at the start and %.2f at the end; seed %d."
        % (m["date"], m["cpu"], m["cpus"], m["loadavg_at_start"], m.get("loadavg_at_end", 0), results["seed"]),
        "",
        "| fault | runs | streams whole | ended by a reset | by an error | other ends | bytes lost | duplicated | reordered | garbled | defects |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, t in results["faults"].items():
        o = t["outcomes"]
        other = {k: v for k, v in o.items() if k not in ("whole", "reset", "error")}
        lines.append(
            "| %s | %d | %d | %d | %d | %s | %d | %d | %d | %d | %d |"
            % (
                name,
                t["runs"],
                o.get("whole", 0),
                o.get("reset", 0),
                o.get("error", 0),
                ", ".join("%s %d" % kv for kv in other.items()) or "0",
                t["figures"]["lost"],
                t["figures"]["duplicated"],
                t["figures"]["reordered"],
                t["figures"]["garbled"],
                len(t["defects"]),
            )
        )
    lines.append("")
    for name, t in results["faults"].items():
        lines.append("## %s" % name)
        lines.append("")
        for k, v in t["extra"].items():
            lines.append("- %s: `%s`" % (k, json.dumps(v)))
        for note in t["notes"][:20]:
            lines.append("- note: %s" % note)
        for d in t["defects"][:20]:
            lines.append("- **defect**: %s" % d)
        if len(t["defects"]) > 20:
            lines.append("- and %d more defects (faults.json)" % (len(t["defects"]) - 20))
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description="iotunnel faults injected on purpose")
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default=",".join(FAULTS))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--service-kills", type=int, default=100)
    parser.add_argument("--link-cuts", type=int, default=30)
    parser.add_argument("--sigstops", type=int, default=10)
    parser.add_argument("--stop-seconds", type=float, default=10.0)
    parser.add_argument("--stuck-runs", type=int, default=3)
    parser.add_argument("--flood-seconds", type=float, default=20.0)
    parser.add_argument("--flood-runs", type=int, default=3)
    parser.add_argument("--flood-conns", type=int, default=2000)
    parser.add_argument("--flood-fd-limit", type=int, default=256)
    parser.add_argument("--flood-hold", type=float, default=8.0)
    parser.add_argument("--name", default="faults")
    args = parser.parse_args()
    only = args.only.split(",")
    for name in only:
        if name not in FAULTS:
            parser.error("unknown fault %r; the faults are %s" % (name, ", ".join(FAULTS)))
    os.makedirs(args.out, exist_ok=True)
    faults = Faults(args)
    status = 0
    try:
        results = faults.run(only)
    except BenchError as e:
        log("failed: %s" % e)
        results = {"machine": faults.bench.results["machine"], "seed": args.seed, "faults": {}, "error": str(e)}
        status = 1
    finally:
        faults.bench.cleanup()
    if any(t["defects"] for t in results["faults"].values()):
        status = 1
    with open(os.path.join(args.out, args.name + ".json"), "w") as f:
        json.dump(results, f, indent=1)
    write_summary(results, os.path.join(args.out, args.name + ".md"))
    for name, t in results["faults"].items():
        print(summary_line(t, name))
    log("summary in %s" % os.path.join(args.out, args.name + ".md"))
    return status


if __name__ == "__main__":
    sys.exit(main())

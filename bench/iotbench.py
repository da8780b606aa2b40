#!/usr/bin/env python3
#
# Copyright 2026 The iotunnel developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# iotunnel's benchmarks: a real iotunnel-service (TLS), a source and a
# destination iotunneld on loopback, the applications of benchapp.py at both
# ends, and the same traffic through socat chains (plain and TLS) and directly,
# in the same run, so that iotunnel's figures can be read as fractions of the
# machine's limits. bench/run builds and calls this; see bench/README.md.

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHAPP = os.path.join(HERE, "benchapp.py")
MIB = 1024 * 1024
GIB = 1024 * MIB
CLK_TCK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 30.0
SECTIONS = ["idle", "latency", "stalled", "bulk", "scale", "slow", "profile"]

def log(text):
    print("bench: " + text, flush=True)


class BenchError(Exception):
    pass


# processes -------------------------------------------------------------------


class Proc:
    """a long-running process whose output lines are kept, with its /proc figures"""

    def __init__(self, name, argv, env=None, stdin=False):
        self.name = name
        self.argv = argv
        self.lines = []
        self.cond = threading.Condition()
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        self.pid = self.popen.pid
        for stream in (self.popen.stdout, self.popen.stderr):
            threading.Thread(target=self._reader, args=(stream,), daemon=True).start()

    def _reader(self, stream):
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def wait_line(self, pattern, timeout=START_TIMEOUT, start=0):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.lines):
                    m = regex.search(self.lines[i])
                    if m:
                        return m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.popen.poll() is not None:
                    if self.popen.poll() is not None:
                        # the readers may still hold its last lines
                        self.cond.wait(0.2)
                        if i < len(self.lines):
                            continue
                    raise BenchError(
                        "%s: no line matching %r (%s); its output:\n  %s"
                        % (
                            self.name,
                            pattern,
                            "it exited" if self.popen.poll() is not None else "timed out",
                            "\n  ".join(self.lines[-20:]),
                        )
                    )
                self.cond.wait(min(left, 0.5))

    def wait_json(self, key, timeout, start=0):
        m = self.wait_line(r'^\{.*"%s"' % key, timeout, start)
        return json.loads(m.string)

    def line_count(self):
        with self.cond:
            return len(self.lines)

    def write(self, text):
        self.popen.stdin.write(text.encode())
        self.popen.stdin.flush()

    def _stat(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rpartition(")")[2].split()
        # after ")": state is field 3, utime 14, stime 15, cutime 16, cstime 17
        return [int(x) for x in fields[11:15]]

    def cpu_seconds(self):
        """user + system time, with the reaped children's (socat forks)"""
        return sum(self._stat()) / CLK_TCK

    def _status(self, field):
        """a figure of /proc/PID/status; 0 once the process has gone"""
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def memory_kib(self):
        """RSS, and of it the anonymous (private heap and stacks) and file pages"""
        out = {}
        with open("/proc/%d/smaps_rollup" % self.pid) as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss", "Anonymous"):
                    out[key.lower()] = int(rest.split()[0])
        out["file"] = out["rss"] - out["anonymous"]
        return out

    def rss_kib(self):
        return self._status("VmRSS")

    def hwm_kib(self):
        return self._status("VmHWM")

    def reset_hwm(self):
        with open("/proc/%d/clear_refs" % self.pid, "w") as f:
            f.write("5")

    def children(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                return f.read().split()
        except OSError:
            return []

    def stop(self, timeout=10.0):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self.popen.stdin:
            self.popen.stdin.close()


def run_client(argv, timeout):
    """runs a benchapp client to its end; returns its JSON lines and its CPU seconds"""
    popen = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = {}

    def read(name, stream):
        output[name] = stream.read()

    readers = [
        threading.Thread(target=read, args=(name, stream))
        for name, stream in (("out", popen.stdout), ("err", popen.stderr))
    ]
    for t in readers:
        t.start()
    expired = threading.Event()

    def expire():
        expired.set()
        popen.kill()

    timer = threading.Timer(timeout, expire)
    timer.start()
    _, status, usage = os.wait4(popen.pid, 0)
    timer.cancel()
    popen.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    if expired.is_set():
        raise BenchError("benchapp %s did not end within %d s" % (argv[2], timeout))
    if popen.returncode != 0:
        raise BenchError(
            "benchapp %s failed (status %d): %s"
            % (
                argv[2],
                popen.returncode,
                (output["out"] + output["err"]).decode(errors="replace").strip(),
            )
        )
    lines = [json.loads(x) for x in output["out"].decode().splitlines() if x.startswith("{")]
    return lines, usage.ru_utime + usage.ru_stime


def machine_busy_seconds():
    """CPU seconds the whole machine spent busy so far (all CPUs, softirq included)"""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def listening_ports():
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":
                        ports.add(int(fields[1].rpartition(":")[2], 16))
        except OSError:
            pass
    return ports


def wait_listening(port, what):
    deadline = time.monotonic() + START_TIMEOUT
    while port not in listening_ports():
        if time.monotonic() > deadline:
            raise BenchError("%s does not listen on port %d" % (what, port))
        time.sleep(0.02)


def free_ports(n):
    import socket

    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


# the system under test -------------------------------------------------------


class Tunnel:
    """one tunnel of the service, with a source and a destination iotunneld;
    endpoints, when given, are where each proxy finds the service (mode to
    host:port, bench/faults puts a relay there), profile_extra is merged into
    both proxies' tunnel profiles, env_extra into their environments"""

    def __init__(self, bench, max_connections, endpoints=None, profile_extra=None, env_extra=None):
        self.bench = bench
        self.endpoints = endpoints or {}
        self.profile_extra = profile_extra or {}
        opened = bench.api("POST", "/api/tunnels", {"services": ["SSH1"]})
        self.tunnel_id = opened["tunnelId"]
        env = dict(bench.proxy_env)
        env.update(env_extra or {})
        self.destination = self.spawn(
            "destination", opened["destinationAccessToken"], max_connections, env
        )
        self.source = self.spawn("source", opened["sourceAccessToken"], max_connections, env)
        m = self.source.wait_line(r"service SSH1 listening on (\S+)$")
        self.addr = m.group(1)
        for proxy in (self.destination, self.source):
            proxy.wait_line(r"tunnel \S+: connected")
        self.procs = {
            "source": self.source,
            "service": bench.service,
            "destination": self.destination,
        }

    def spawn(self, mode, token, max_connections, env):
        address = "127.0.0.1:%d" % (0 if mode == "source" else self.bench.app_port)
        profile = {
            "tunnels": [
                {
                    "name": "bench-" + mode,
                    "mode": mode,
                    "service": {"endpoint": self.endpoints.get(mode, self.bench.endpoint)},
                    "access_token": {"env": "AWSIOT_TUNNEL_ACCESS_TOKEN"},
                    "protocol": "v3",
                    "transport": {"type": "websocket", "ca_path": self.bench.ca_file},
                    "max_connections": max_connections,
                    "services": {"SSH1": {"endpoint": "tcp", "address": address}},
                }
            ]
        }
        profile["tunnels"][0].update(self.profile_extra)
        path = os.path.join(self.bench.workdir, "%s.json" % mode)
        with open(path, "w") as f:
            json.dump(profile, f)
        env = dict(env)
        env["AWSIOT_TUNNEL_ACCESS_TOKEN"] = token
        return self.bench.track(
            Proc(mode, [self.bench.paths["iotunneld"], "--profile", path], env=env)
        )

    def settle(self):
        pass

    def close(self):
        for proxy in (self.source, self.destination):
            proxy.stop()
        self.bench.api("DELETE", "/api/tunnels/" + self.tunnel_id)


class ReferenceTunnel:
    """one tunnel of the same service with a source and a destination reference
    local proxy (the binary given with --reference), V3 with one service id,
    trusting the service's CA through its hashed folder (-c)"""

    def __init__(self, bench, max_connections):
        self.bench = bench
        self.procs = {}
        self.tunnel_id = None
        opened = bench.api("POST", "/api/tunnels", {"services": ["SSH1"]})
        self.tunnel_id = opened["tunnelId"]
        settings = os.path.join(bench.workdir, "reference-settings.json")
        with open(settings, "w") as f:
            # the reference's settings file holds every value as a string
            json.dump(
                {"tunneling": {"proxy": {"tcp": {"max_active_connections": str(max_connections)}}}},
                f,
            )
        try:
            self.destination = self.spawn(
                "destination",
                opened["destinationAccessToken"],
                ["-d", "SSH1=127.0.0.1:%d" % bench.app_port],
                settings,
            )
            self.destination.wait_line("Successfully established websocket connection")
            (port,) = free_ports(1)
            self.source = self.spawn(
                "source",
                opened["sourceAccessToken"],
                ["-s", "SSH1=%d" % port, "-b", "127.0.0.1"],
                settings,
            )
            self.source.wait_line("Listening for new connection on port")
            wait_listening(port, "the reference source")
        except BenchError as e:
            e.reference_state = self.state()
            self.close()
            raise
        self.addr = "127.0.0.1:%d" % port
        self.procs = {
            "source": self.source,
            "service": bench.service,
            "destination": self.destination,
        }

    def spawn(self, mode, token, mapping, settings):
        argv = [
            self.bench.reference,
            "-e",
            self.bench.endpoint,
            "-c",
            self.bench.ca_dir,
            "--settings-json",
            settings,
        ] + mapping
        return self.bench.track(
            Proc("reference-" + mode, argv, env={"AWSIOT_TUNNEL_ACCESS_TOKEN": token})
        )

    def settle(self):
        pass

    def state(self):
        """what became of the reference's processes, for a failure's one line"""
        words = []
        for mode in ("source", "destination"):
            proc = getattr(self, mode, None)
            if proc is None or proc.popen.poll() is None:
                continue
            last = proc.lines[-1].strip() if proc.lines else "no output"
            words.append(
                "the reference %s exited with status %d (its last line: %s)"
                % (mode, proc.popen.returncode, last[:160])
            )
        return "; ".join(words)

    def close(self):
        for mode in ("source", "destination"):
            proc = getattr(self, mode, None)
            if proc is not None:
                proc.stop()
        if self.tunnel_id is not None:
            try:
                self.bench.api("DELETE", "/api/tunnels/" + self.tunnel_id)
            except OSError:
                pass
            self.tunnel_id = None


class SocatChain:
    """client -> socat (plain to TLS) -> socat (TLS to TLS) -> socat (TLS to plain) -> server,
    or the same with plain TCP everywhere"""

    def __init__(self, bench, tls):
        self.bench = bench
        p1, p2, p3 = free_ports(3)
        common = "reuseaddr,fork,bind=127.0.0.1,nodelay"
        buf = ["-b", str(bench.socat_buffer)]
        if tls:
            certs = bench.socat_certs()
            listen = "OPENSSL-LISTEN:%%d,%s,cert=%s,key=%s,verify=0" % (
                common,
                certs["cert"],
                certs["key"],
            )
            connect = "OPENSSL:127.0.0.1:%%d,nodelay,cafile=%s,commonname=localhost" % (
                certs["cert"]
            )
        else:
            listen = "TCP-LISTEN:%%d,%s" % common
            connect = "TCP:127.0.0.1:%d,nodelay"
        plain_listen = "TCP-LISTEN:%d," + common
        plain_connect = "TCP:127.0.0.1:%d,nodelay"
        socat = shutil.which("socat")
        self.procs = {
            "source": Proc("socat-1", [socat] + buf + [plain_listen % p1, connect % p2]),
            "service": Proc("socat-2", [socat] + buf + [listen % p2, connect % p3]),
            "destination": Proc(
                "socat-3", [socat] + buf + [listen % p3, plain_connect % bench.app_port]
            ),
        }
        for port, proc in zip((p1, p2, p3), self.procs.values()):
            bench.track(proc)
            wait_listening(port, proc.name)
        self.addr = "127.0.0.1:%d" % p1

    def settle(self):
        """waits until every forked socat has ended and been reaped"""
        deadline = time.monotonic() + 10
        while any(p.children() for p in self.procs.values()):
            if time.monotonic() > deadline:
                raise BenchError("socat children did not end")
            time.sleep(0.02)

    def close(self):
        for proc in self.procs.values():
            proc.stop()


class Direct:
    """no proxy at all: the client talks to the server"""

    def __init__(self, bench):
        self.addr = "127.0.0.1:%d" % bench.app_port
        self.procs = {}

    def settle(self):
        pass

    def close(self):
        pass


# the benchmark ---------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        with open(os.path.join(args.build_dir, "bench", "bench-paths.json")) as f:
            self.paths = json.load(f)
        self.proxy_env = {"IOTUNNEL_PLUGIN_PATH": self.paths["plugin_path"]}
        self.workdir = tempfile.mkdtemp(prefix="iotunnel-bench-")
        self.procs = []
        self.results = {
            "machine": machine(),
            "quick": self.quick,
            "sizes": {},
        }
        self.socat_buffer = args.socat_buffer
        self.systems = args.systems.split(",")
        self.reference = getattr(args, "reference", None)
        if self.reference:
            self.systems.append("reference")
        self._certs = None
        q = self.quick
        self.sizes = {
            "bulk_bytes": (64 if q else 1024) * MIB,
            "latency_count": 1000 if q else 10000,
            "scale": [100, 1000] if q else [1000, 10000],
            "idle_seconds": 5 if q else 60,
            "slow_bytes": (8 if q else 256) * MIB,
            "slow_rate": MIB,
            "profile_bytes": (64 if q else 512) * MIB,
        }
        self.results["sizes"] = dict(self.sizes)

    def track(self, proc):
        self.procs.append(proc)
        return proc

    def cleanup(self):
        for proc in reversed(self.procs):
            proc.stop()
        logdir = os.path.join(self.args.out, "logs")
        os.makedirs(logdir, exist_ok=True)
        for i, proc in enumerate(self.procs):
            with open(os.path.join(logdir, "%02d-%s.log" % (i, proc.name)), "w") as f:
                f.write("\n".join(proc.lines) + "\n")
        shutil.rmtree(self.workdir, ignore_errors=True)

    # service and app ---------------------------------------------------------

    def start(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.results["machine"]["fd_limit"] = hard
        self.server = self.track(Proc("app-server", [sys.executable, BENCHAPP, "server"]))
        self.app_port = int(self.server.wait_line(r"^listening 127\.0\.0\.1:(\d+)").group(1))

        self.admin_token = os.urandom(24).hex()
        token_file = os.path.join(self.workdir, "admin-token")
        with open(token_file, "w") as f:
            f.write(self.admin_token)
        os.chmod(token_file, 0o600)
        self.service = self.track(
            Proc(
                "service",
                [
                    self.paths["iotunnel_service"],
                    "--address",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--state-dir",
                    os.path.join(self.workdir, "service-state"),
                    "--admin-token-file",
                    token_file,
                ],
            )
        )
        self.endpoint = self.service.wait_line(r"^listening wss://([^/\s]+)").group(1)
        self.ca_file = self.service.wait_line(r"^ca-file (.+)$").group(1)
        self.ca_dir = self.service.wait_line(r"^ca-dir (.+)$").group(1)
        self.ssl = ssl.create_default_context(cafile=self.ca_file)

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            "https://%s%s" % (self.endpoint, path),
            data=data,
            method=method,
            headers={
                "Authorization": "Bearer " + self.admin_token,
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(req, context=self.ssl, timeout=30) as resp:
            return json.loads(resp.read())

    def socat_certs(self):
        if self._certs is None:
            cert = os.path.join(self.workdir, "socat-cert.pem")
            key = os.path.join(self.workdir, "socat-key.pem")
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=localhost",
                    "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout",
                    key,
                    "-out",
                    cert,
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self._certs = {"cert": cert, "key": key}
        return self._certs

    def configs(self):
        """the systems compared: (name, factory)"""
        configs = [
            ("direct", lambda: Direct(self)),
            ("socat", lambda: SocatChain(self, tls=False)),
            ("socat-tls", lambda: SocatChain(self, tls=True)),
            ("iotunnel", lambda: Tunnel(self, 128)),
            ("reference", lambda: ReferenceTunnel(self, 128)),
        ]
        return [c for c in configs if c[0] in self.systems]

    def reference_failed(self, case, error, system=None):
        """notes, in one line, a case the reference did not complete: what
        went wrong, the last line of the output quoted with it, and whether a
        reference process had ended by itself"""
        lines = [x.strip() for x in str(error).strip().splitlines() if x.strip()]
        if not lines:
            lines = [repr(error)]
        reason = re.sub(r"[;:]?\s*its output:$", "", lines[0])
        if len(lines) > 1:
            reason += " (last: %s)" % lines[-1][:200]
        state = getattr(error, "reference_state", None)
        if state is None and system is not None:
            state = system.state()
        if state:
            reason = "%s; %s" % (reason, state)
        log("reference failed in %s: %s" % (case, reason))
        self.results.setdefault("reference_failures", {})[case] = reason

    def attempt(self, slots, factories, name, case, run):
        """run(system) on the system @name; a case the reference fails is
        noted, not raised, and its tunnel is started again for the next case"""
        if name != "reference":
            return run(slots[name])
        try:
            if slots.get(name) is None:
                slots[name] = factories[name]()
            return run(slots[name])
        except (BenchError, OSError, ValueError, KeyError) as e:
            self.reference_failed(case, e, slots.get(name))
            if slots.get(name) is not None:
                slots[name].close()
            slots[name] = None
            return None

    def start_systems(self, slots):
        """starts every system compared into @slots (closed by the caller
        even when this fails); a reference that does not start is noted and
        tried again at its first case"""
        factories = dict(self.configs())
        for name, factory in factories.items():
            if name == "reference":
                self.attempt(slots, factories, name, "start", lambda system: None)
            else:
                slots[name] = factory()
        return factories

    @staticmethod
    def close_systems(slots):
        for system in slots.values():
            if system is not None:
                system.close()

    def client(self, *args):
        return [sys.executable, BENCHAPP] + [str(a) for a in args]

    # sections ----------------------------------------------------------------

    def for_reference(self, section, run):
        """runs a section's measure on a reference tunnel too, when there is
        one: its figures go to results["reference"][section], its failure to
        results["reference_failures"]"""
        if not self.reference:
            return
        log("%s: the same with the reference local proxy" % section)
        try:
            res = run()
            if res is not None:
                self.results.setdefault("reference", {})[section] = res
        except (BenchError, OSError, ValueError, KeyError) as e:
            self.reference_failed(section, e)

    def run_idle(self):
        self.results["idle"] = self.idle_once(lambda: Tunnel(self, 128))
        self.for_reference("idle", lambda: self.idle_once(lambda: ReferenceTunnel(self, 128)))

    def idle_once(self, make_tunnel):
        seconds = self.sizes["idle_seconds"]
        log("idle: a connected tunnel, no traffic, %d s" % seconds)
        tunnel = make_tunnel()
        time.sleep(1.0)
        procs = tunnel.procs
        cpu0 = {n: p.cpu_seconds() for n, p in procs.items()}
        peak = {n: p.rss_kib() for n, p in procs.items()}
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            time.sleep(0.5)
            for n, p in procs.items():
                peak[n] = max(peak[n], p.rss_kib())
        out = {}
        for n, p in procs.items():
            mem = p.memory_kib()
            out[n] = {
                "rss_kib": mem["rss"],
                "anonymous_kib": mem["anonymous"],
                "file_kib": mem["file"],
                "pss_kib": mem["pss"],
                "peak_rss_kib": max(peak[n], mem["rss"]),
                "cpu_seconds": p.cpu_seconds() - cpu0[n],
                "seconds": seconds,
            }
        failure = tunnel.state() if isinstance(tunnel, ReferenceTunnel) else ""
        tunnel.close()
        if failure:
            raise BenchError("it did not stay connected: " + failure)
        return out

    def run_latency(self):
        """the systems take turns, a slice of the exchanges each, so that other
        work on the machine weighs on all of them alike"""
        count = self.sizes["latency_count"]
        rounds = 5
        out = self.results.setdefault("latency", {})
        slots = {}
        try:
            factories = self.start_systems(slots)
            samples = {name: [] for name in factories}
            for r in range(rounds):
                for name in factories:
                    if name in samples and samples[name] is None:
                        continue
                    log(
                        "latency: %s, %d exchanges of 64 bytes (round %d of %d)"
                        % (name, count // rounds, r + 1, rounds)
                    )

                    def exchange(system):
                        (res,), _ = run_client(
                            self.client(
                                "latency", "--addr", system.addr, "--count", count // rounds
                            ),
                            120 if name == "reference" else 600,
                        )
                        return res["samples_ns"]

                    got = self.attempt(slots, factories, name, "latency", exchange)
                    # a system that failed a round has no figure
                    samples[name] = None if got is None else samples[name] + got
        finally:
            self.close_systems(slots)
        for name, values in samples.items():
            if values:
                out[name] = latency_figures(values)

    def run_stalled(self):
        """64-byte echoes on an idle tunnel, then beside a connection of the same
        tunnel whose app never reads while its client sends all it can: the
        echoes take turns with and without the stalled one"""
        count = self.sizes["latency_count"]
        rounds = 5
        tunnel = Tunnel(self, 128)
        samples = {"idle": [], "stalled": []}
        stalled = None
        stop = threading.Event()

        def flood(sock):
            chunk = b"\0" * 65536
            sock.settimeout(0.2)
            while not stop.is_set():
                try:
                    sock.send(chunk)
                except socket.timeout:
                    continue
                except OSError:
                    return

        try:
            for r in range(rounds):
                for case in ("idle", "stalled"):
                    if case == "stalled" and stalled is None:
                        host, port = tunnel.addr.rsplit(":", 1)
                        stalled = socket.create_connection((host, int(port)))
                        stalled.sendall(b"SINK\n")
                        threading.Thread(target=flood, args=(stalled,), daemon=True).start()
                        time.sleep(2)
                    log(
                        "stalled: %s, %d exchanges of 64 bytes (round %d of %d)"
                        % (case, count // rounds, r + 1, rounds)
                    )
                    (res,), _ = run_client(
                        self.client("latency", "--addr", tunnel.addr, "--count", count // rounds),
                        600,
                    )
                    samples[case] += res["samples_ns"]
                if stalled is not None:
                    stop.set()
                    stalled.close()
                    stalled = None
                    stop = threading.Event()
        finally:
            stop.set()
            if stalled is not None:
                stalled.close()
            tunnel.close()
        self.results["stalled"] = {case: latency_figures(v) for case, v in samples.items()}

    def run_bulk(self):
        """each case runs on every system in turn, so that the systems compared
        in a case ran close together in time"""
        nbytes = self.sizes["bulk_bytes"]
        out = self.results.setdefault("bulk", {})
        slots = {}
        try:
            factories = self.start_systems(slots)
            for conns in (1, 8):
                for direction in ("up", "down"):
                    case = "%s-%d" % (direction, conns)
                    for name in factories:
                        log(
                            "bulk: %s, %s, %d MiB over %d connection%s"
                            % (name, direction, nbytes // MIB, conns, "s" if conns > 1 else "")
                        )
                        # the reference gets at least 4 MiB/s before it is taken for stuck
                        timeout = nbytes // (4 * MIB) + 60 if name == "reference" else 1800
                        res = self.attempt(
                            slots,
                            factories,
                            name,
                            "bulk " + case,
                            lambda system: self.bulk_once(
                                system, direction, conns, nbytes, timeout
                            ),
                        )
                        if res is not None:
                            out.setdefault(case, {})[name] = res
        finally:
            self.close_systems(slots)

    def bulk_once(self, system, direction, conns, nbytes, timeout=1800):
        procs = dict(system.procs)
        procs["server"] = self.server
        cpu0 = {n: p.cpu_seconds() for n, p in procs.items()}
        busy0 = machine_busy_seconds()
        (res,), client_cpu = run_client(
            self.client(
                "bulk",
                "--addr",
                system.addr,
                "--direction",
                direction,
                "--bytes",
                nbytes,
                "--conns",
                conns,
            ),
            timeout,
        )
        system.settle()
        cpu = {n: p.cpu_seconds() - cpu0[n] for n, p in procs.items()}
        cpu["client"] = client_cpu
        cpu["other"] = max(0.0, machine_busy_seconds() - busy0 - sum(cpu.values()))
        gib = res["bytes"] / GIB
        return {
            "mib_per_s": res["bytes"] / MIB / res["seconds"],
            "seconds": res["seconds"],
            "bytes": res["bytes"],
            "cpu_s_per_gib": {n: c / gib for n, c in cpu.items()},
        }

    def run_scale(self):
        out = self.results.setdefault("scale", {})
        for n in self.sizes["scale"]:
            log("scale: %d simultaneous connections through one V3 tunnel" % n)
            tunnel = Tunnel(self, n + 16)
            try:
                out[str(n)] = self.scale_once(tunnel, n, 600)
            finally:
                tunnel.close()
        for n in self.sizes["scale"]:
            self.for_reference("scale %d" % n, lambda: self.scale_reference(n))

    def scale_reference(self, n):
        log("scale: %d simultaneous connections through the reference" % n)
        tunnel = ReferenceTunnel(self, n + 16)
        try:
            res = self.scale_once(tunnel, n, 30)
        except BenchError as e:
            e.reference_state = tunnel.state()
            raise
        finally:
            tunnel.close()
        self.results.setdefault("reference", {}).setdefault("scale", {})[str(n)] = res

    def scale_once(self, tunnel, n, timeout):
        """opens @n connections, each proven by an echoed byte; "open_seconds"
        is the time from the first connect to the last connection's echo"""
        time.sleep(0.5)
        procs = tunnel.procs
        rss0 = {k: p.rss_kib() for k, p in procs.items()}
        cpu0 = {k: p.cpu_seconds() for k, p in procs.items()}
        client = self.track(
            Proc(
                "scale-client-%d" % n,
                self.client("scale", "--addr", tunnel.addr, "--conns", n, "--timeout", timeout),
                stdin=True,
            )
        )
        try:
            # the client gives up after @timeout s without progress
            opened = client.wait_json("open_seconds", 2 * timeout + 30)
        except BenchError:
            client.popen.kill()
            raise
        if opened["opened"] != n:
            client.popen.kill()
            raise BenchError(
                "only %d of %d connections opened (%d refused or closed) in %.1f s"
                % (opened["opened"], n, opened["failed"], opened["open_seconds"])
            )
        time.sleep(1.0)
        rss1 = {k: p.rss_kib() for k, p in procs.items()}
        cpu1 = {k: p.cpu_seconds() for k, p in procs.items()}
        start = client.line_count()
        client.write("\n")
        client.wait_json("close_seconds", 120, start)
        client.popen.wait(30)
        res = {"open_seconds": opened["open_seconds"], "procs": {}}
        for k in procs:
            res["procs"][k] = {
                "rss_before_kib": rss0[k],
                "rss_open_kib": rss1[k],
                "bytes_per_connection": (rss1[k] - rss0[k]) * 1024.0 / n,
                "cpu_seconds_opening": cpu1[k] - cpu0[k],
            }
        return res

    def run_slow(self):
        self.results["slow"] = self.slow_once(lambda: Tunnel(self, 128))
        self.for_reference("slow", lambda: self.slow_once(lambda: ReferenceTunnel(self, 128)))

    def slow_once(self, make_tunnel):
        nbytes = self.sizes["slow_bytes"]
        rate = self.sizes["slow_rate"]
        log(
            "slow consumer: %d MiB read at %d KiB/s (about %d s)"
            % (nbytes // MIB, rate // 1024, nbytes // rate)
        )
        tunnel = make_tunnel()
        procs = tunnel.procs
        time.sleep(0.5)
        rss0 = {k: p.rss_kib() for k, p in procs.items()}
        for p in procs.values():
            p.reset_hwm()
        peak = dict(rss0)
        stop = threading.Event()

        def sample():
            while not stop.wait(0.1):
                for k, p in procs.items():
                    peak[k] = max(peak[k], p.rss_kib())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            (res,), _ = run_client(
                self.client("slow", "--addr", tunnel.addr, "--bytes", nbytes, "--rate", rate),
                nbytes // rate * 3 + 120,
            )
        except BenchError as e:
            if isinstance(tunnel, ReferenceTunnel):
                e.reference_state = tunnel.state()
            tunnel.close()
            raise
        finally:
            stop.set()
            sampler.join()
        out = {"seconds": res["seconds"], "bytes": nbytes, "rate": rate, "procs": {}}
        for k, p in procs.items():
            out["procs"][k] = {
                "rss_before_kib": rss0[k],
                "peak_rss_kib": max(peak[k], p.hwm_kib()),
            }
        tunnel.close()
        return out

    def run_profile(self):
        perf = shutil.which("perf")
        nbytes = self.sizes["profile_bytes"]
        if perf is None or subprocess.run(
            [perf, "record", "-o", "/dev/null", "-q", "true"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ).returncode != 0:
            log("profile: perf is missing or not allowed here; no profile")
            self.results["profile"] = {"skipped": "perf does not work here"}
            return
        log("profile: perf record of the three processes, %d MiB each way" % (nbytes // MIB))
        tunnel = Tunnel(self, 128)
        data = os.path.join(self.args.out, "perf.data")
        pids = {k: p.pid for k, p in tunnel.procs.items()}
        recorder = subprocess.Popen(
            [perf, "record", "-F", "1999", "-o", data, "-p", ",".join(str(p) for p in pids.values())],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.5)
        try:
            for direction in ("up", "down"):
                run_client(
                    self.client(
                        "bulk", "--addr", tunnel.addr, "--direction", direction, "--bytes", nbytes
                    ),
                    1800,
                )
        finally:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(60)
            tunnel.close()
        out = {"data": data, "bytes_each_way": nbytes, "procs": {}}
        report = subprocess.run(
            [perf, "report", "-i", data, "--stdio", "--no-children", "--sort", "pid,dso,sym"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ).stdout.decode(errors="replace")
        for name, pid in pids.items():
            top, dsos = parse_perf(report, pid)
            path = os.path.join(self.args.out, "profile-%s.txt" % name)
            with open(path, "w") as f:
                f.write("# perf record -F 1999 of %s (pid %d), %d MiB each way\n" % (name, pid, nbytes // MIB))
                f.write("# percent of this process's samples\n\n## by object\n")
                for d in dsos:
                    f.write("%6.2f%%  %s\n" % (d["percent"], d["dso"]))
                f.write("\n## by symbol (unresolved addresses summed per object)\n")
                for t in top:
                    f.write("%6.2f%%  %-28s %s\n" % (t["percent"], t["dso"], t["symbol"]))
            out["procs"][name] = {"report": path, "top": top[:15], "dsos": dsos[:8]}
        self.results["profile"] = out

    def run(self):
        """runs the sections asked for; one that fails is reported and the next runs"""
        self.start()
        self.results["machine"]["loadavg_at_start"] = os.getloadavg()[0]
        only = self.args.only.split(",") if self.args.only else SECTIONS
        failed = []
        for section in SECTIONS:
            if section not in only:
                continue
            if section not in ("latency", "bulk") and "iotunnel" not in self.systems:
                continue
            try:
                getattr(self, "run_" + section)()
            except BenchError as e:
                log("%s failed: %s" % (section, e))
                self.results.setdefault("errors", {})[section] = str(e)
                failed.append(section)
        self.results["machine"]["loadavg_at_end"] = os.getloadavg()[0]
        return failed


def latency_figures(samples_ns):
    values = sorted(samples_ns)

    def pct(p):
        return values[min(len(values) - 1, int(p / 100.0 * len(values)))] / 1000.0

    return {
        "count": len(values),
        "p50_us": pct(50),
        "p99_us": pct(99),
        "max_us": values[-1] / 1000.0,
        "mean_us": sum(values) / len(values) / 1000.0,
    }


def parse_perf(text, pid):
    """one process's symbols and objects from "perf report --sort pid,dso,sym",
    in percent of that process's samples; addresses with no symbol are summed
    per object"""
    symbols = {}
    dsos = {}
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^\s+([0-9.]+)%\s+(\d+):\S*\s+(\S+)\s+\[([.kgu])\]\s+(\S+)", line)
        if not m or int(m.group(2)) != pid:
            continue
        percent = float(m.group(1))
        dso = m.group(3)
        symbol = m.group(5)
        if symbol.startswith("0x"):
            symbol = "(code without symbols)"
        total += percent
        symbols[(dso, symbol)] = symbols.get((dso, symbol), 0.0) + percent
        dsos[dso] = dsos.get(dso, 0.0) + percent
    if total == 0:
        return [], []
    top = sorted(
        ({"percent": v * 100 / total, "dso": k[0], "symbol": k[1]} for k, v in symbols.items()),
        key=lambda t: -t["percent"],
    )
    objs = sorted(
        ({"percent": v * 100 / total, "dso": k} for k, v in dsos.items()),
        key=lambda t: -t["percent"],
    )
    return top[:40], objs


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "kernel": os.uname().release,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg_at_start": os.getloadavg()[0],
    }


def main():
    parser = argparse.ArgumentParser(description="iotunnel benchmarks")
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true", help="small sizes, short waits")
    parser.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    parser.add_argument(
        "--systems",
        default="direct,socat,socat-tls,iotunnel",
        help="the systems compared (the sections other than latency and bulk need iotunnel)",
    )
    parser.add_argument(
        "--reference",
        metavar="PATH",
        help="the reference local proxy's binary, compared as the system \"reference\"",
    )
    parser.add_argument(
        "--socat-buffer", type=int, default=131072, help="socat's -b (bytes per read)"
    )
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bench = Bench(args)
    status = 0
    try:
        if bench.run():
            status = 1
    except BenchError as e:
        log("failed: %s" % e)
        bench.results.setdefault("errors", {})["start"] = str(e)
        status = 1
    finally:
        bench.cleanup()
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(bench.results, f, indent=1)
    import report

    report.write_all(bench.results, args.out)
    return status


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    sys.exit(main())

#!/usr/bin/env python3
#
# Copyright 2026 The iotunnel developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The applications at both ends of the benchmarks: a server (the destination
# app) and the clients (the source app). Each runs in its own process so that
# its CPU time is counted apart from the proxies'. Results go to stdout as one
# JSON object a line.
#
# A client starts each connection with one header line, then:
#   UP N\n        the client sends N bytes; the server answers "K" once read
#   DOWN N\n      the server sends N bytes
#   ECHO\n        the server echoes everything back until the connection ends
#   SLOW N RATE\n as UP, but the server reads at RATE bytes per second
#   SHA N\n       the client sends N bytes; the server answers the SHA-256 of
#                 them in hex, a newline, once it has them all
#   SINK\n        the server accepts and never reads (the faults' stuck app)
# Nothing relies on a half-close: the tunnel protocol does not carry one.

import argparse
import errno
import hashlib
import json
import random
import struct
import os
import resource
import selectors
import socket
import sys
import threading
import time

CHUNK = 1024 * 1024
PAYLOAD = memoryview(os.urandom(CHUNK))


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def connect(addr):
    sock = socket.create_connection(parse_addr(addr))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise ConnectionError("connection closed after %d of %d bytes" % (got, n))
        got += k
    return bytes(buf)


def send_count(sock, n):
    while n > 0:
        k = min(n, CHUNK)
        sock.sendall(PAYLOAD[:k])
        n -= k


def drain_count(sock, n, rest=b""):
    """reads n bytes (the first len(rest) already read) and throws them away"""
    n -= len(rest)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while n > 0:
        k = sock.recv_into(view[: min(n, CHUNK)])
        if k == 0:
            raise ConnectionError("connection closed with %d bytes missing" % n)
        n -= k


# server ----------------------------------------------------------------------


def serve_up(sock, n, rest):
    drain_count(sock, n, rest)
    sock.sendall(b"K")


def serve_down(sock, n, rest):
    send_count(sock, n)
    # wait for the client to close: closing first could reset data in flight
    while sock.recv(65536):
        pass


def serve_slow(sock, n, rate, rest):
    n -= len(rest)
    start = time.monotonic()
    done = len(rest)
    step = max(1, min(65536, rate // 16))
    while n > 0:
        data = sock.recv(min(n, step))
        if not data:
            raise ConnectionError("connection closed with %d bytes missing" % n)
        n -= len(data)
        done += len(data)
        ahead = done / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    sock.sendall(b"K")


def serve_sha(sock, n, rest):
    digest = hashlib.sha256(rest)
    n -= len(rest)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while n > 0:
        k = sock.recv_into(view[: min(n, CHUNK)])
        if k == 0:
            raise ConnectionError("connection closed with %d bytes missing" % n)
        digest.update(view[:k])
        n -= k
    sock.sendall(digest.hexdigest().encode() + b"\n")
    while sock.recv(65536):
        pass


def serve_shadown(sock, n, seed, rest):
    for chunk in pattern_chunks(seed, n):
        sock.sendall(chunk)
    while sock.recv(65536):
        pass


def pattern_chunks(seed, n):
    """n bytes that differ at every offset of 1 MiB: a random block, each
    copy of it stamped with the seed and its index"""
    base = random.Random(seed).randbytes(CHUNK)
    k = 0
    while n > 0:
        chunk = struct.pack("!QQ", seed, k) + base[16:]
        yield chunk[: min(n, CHUNK)]
        n -= CHUNK
        k += 1


def serve_blocking(sock, words, rest):
    sock.setblocking(True)
    try:
        if words[0] == b"UP":
            serve_up(sock, int(words[1]), rest)
        elif words[0] == b"DOWN":
            serve_down(sock, int(words[1]), rest)
        elif words[0] == b"SLOW":
            serve_slow(sock, int(words[1]), int(words[2]), rest)
        elif words[0] == b"SHA":
            serve_sha(sock, int(words[1]), rest)
        elif words[0] == b"SHADOWN":
            serve_shadown(sock, int(words[1]), int(words[2]), rest)
    except OSError as e:
        print("benchapp server: %s: %s" % (words[0].decode(), e), file=sys.stderr)
    finally:
        sock.close()


class Conn:
    __slots__ = ("sock", "head", "out", "echo")

    def __init__(self, sock):
        self.sock = sock
        self.head = b""
        self.out = b""
        self.echo = False


def cmd_server(args):
    raise_fd_limit()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(4096)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    print("listening 127.0.0.1:%d" % listener.getsockname()[1], flush=True)
    sinks = []

    def close(conn):
        sel.unregister(conn.sock)
        conn.sock.close()

    def flush(conn):
        try:
            k = conn.sock.send(conn.out)
        except BlockingIOError:
            k = 0
        except OSError:
            close(conn)
            return
        conn.out = conn.out[k:]
        sel.modify(
            conn.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.out else 0), conn
        )

    while True:
        for key, events in sel.select():
            conn = key.data
            if conn is None:
                while True:
                    try:
                        sock, _ = listener.accept()
                    except BlockingIOError:
                        break
                    sock.setblocking(False)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    c = Conn(sock)
                    sel.register(sock, selectors.EVENT_READ, c)
                continue
            if events & selectors.EVENT_WRITE:
                flush(conn)
                if conn.out:
                    continue
            if not events & selectors.EVENT_READ:
                continue
            try:
                data = conn.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                close(conn)
                continue
            if conn.echo:
                conn.out += data
                flush(conn)
                continue
            conn.head += data
            line, nl, rest = conn.head.partition(b"\n")
            if not nl:
                if len(conn.head) > 128:
                    close(conn)
                continue
            words = line.split()
            if words == [b"ECHO"]:
                conn.echo = True
                conn.head = b""
                if rest:
                    conn.out += rest
                    flush(conn)
                continue
            if words == [b"SINK"]:
                # accepted and never read again: held until the server ends
                sel.unregister(conn.sock)
                sinks.append(conn.sock)
                continue
            if not words or words[0] not in (b"UP", b"DOWN", b"SLOW", b"SHA", b"SHADOWN"):
                close(conn)
                continue
            sel.unregister(conn.sock)
            threading.Thread(
                target=serve_blocking, args=(conn.sock, words, rest), daemon=True
            ).start()


# clients ---------------------------------------------------------------------


def bulk_one(addr, direction, n, results, index):
    try:
        sock = connect(addr)
        if direction == "up":
            sock.sendall(b"UP %d\n" % n)
            send_count(sock, n)
            if recv_exact(sock, 1) != b"K":
                raise ConnectionError("no acknowledgement")
        else:
            sock.sendall(b"DOWN %d\n" % n)
            drain_count(sock, n)
        sock.close()
        results[index] = n
    except OSError as e:
        results[index] = e


def cmd_bulk(args):
    results = [None] * args.conns
    share = args.bytes // args.conns
    threads = [
        threading.Thread(target=bulk_one, args=(args.addr, args.direction, share, results, i))
        for i in range(args.conns)
    ]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start
    errors = [str(r) for r in results if not isinstance(r, int)]
    emit({"seconds": seconds, "bytes": share * args.conns, "errors": errors})
    return 1 if errors else 0


def cmd_slow(args):
    sock = connect(args.addr)
    start = time.monotonic()
    sock.sendall(b"SLOW %d %d\n" % (args.bytes, args.rate))
    send_count(sock, args.bytes)
    ok = recv_exact(sock, 1) == b"K"
    seconds = time.monotonic() - start
    sock.close()
    emit({"seconds": seconds, "bytes": args.bytes, "errors": [] if ok else ["no ack"]})
    return 0 if ok else 1


def cmd_latency(args):
    sock = connect(args.addr)
    sock.sendall(b"ECHO\n")
    msg = PAYLOAD[: args.size].tobytes()
    buf = bytearray(args.size)
    view = memoryview(buf)
    samples = []
    clock = time.perf_counter_ns
    for i in range(args.warmup + args.count):
        t0 = clock()
        sock.sendall(msg)
        got = 0
        while got < args.size:
            k = sock.recv_into(view[got:])
            if k == 0:
                raise ConnectionError("connection closed during exchange %d" % i)
            got += k
        t1 = clock()
        if i >= args.warmup:
            samples.append(t1 - t0)
    sock.close()
    emit({"samples_ns": samples})
    return 0


def cmd_scale(args):
    """opens N echo connections, each proven open by one echoed byte, holds them
    until a line arrives on stdin, then closes them"""
    raise_fd_limit()
    host, port = parse_addr(args.addr)
    sel = selectors.DefaultSelector()
    pending = 0
    started = 0
    opened = []
    failed = 0
    start = time.monotonic()
    while len(opened) + failed < args.conns:
        while started < args.conns and pending < args.window:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex((host, port))
            sel.register(sock, selectors.EVENT_WRITE, "connecting")
            started += 1
            pending += 1
        for key, events in sel.select(timeout=args.timeout):
            sock = key.fileobj
            if key.data == "connecting":
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err == 0:
                    try:
                        sock.send(b"ECHO\nx")
                        sel.modify(sock, selectors.EVENT_READ, "echo")
                        continue
                    except OSError:
                        pass
            else:
                try:
                    if sock.recv(1) == b"x":
                        sel.unregister(sock)
                        opened.append(sock)
                        pending -= 1
                        continue
                except OSError:
                    pass
            sel.unregister(sock)
            sock.close()
            failed += 1
            pending -= 1
        if time.monotonic() - start > args.timeout:
            break
    seconds = time.monotonic() - start
    emit({"open_seconds": seconds, "opened": len(opened), "failed": failed})
    sys.stdin.readline()
    start = time.monotonic()
    for sock in opened:
        sock.close()
    emit({"close_seconds": time.monotonic() - start})
    return 0 if len(opened) == args.conns else 1


# checked echo streams (bench/soak and bench/faults) ---------------------------
#
# What a checked connection sends after "ECHO\n" is a sequence of 64-byte
# records, record j of stream s being (s, MAGIC, j) and a fixed filler, so
# that the echo can be compared byte for byte with what was sent and, once
# it differs, parsed back into records: a record that skips ahead counts the
# ones skipped as lost, one that comes back after them as reordered (no longer
# lost), one seen twice as duplicated, bytes that are no record as garbled.

RECORD = 64
MAGIC = 0x10715CA1
FILLER = bytes(range(RECORD - 16))
RECORD_HEAD = struct.Struct("!IIQ")


def record(stream_id, index):
    return RECORD_HEAD.pack(stream_id, MAGIC, index) + FILLER


def records(stream_id, offset, n):
    """bytes [offset, offset + n) of stream stream_id's records"""
    first = offset // RECORD
    last = (offset + n + RECORD - 1) // RECORD
    data = b"".join([record(stream_id, j) for j in range(first, last)])
    start = offset - first * RECORD
    return data[start : start + n]


class EchoCheck:
    """what came back on one echo connection, against what was sent on it"""

    def __init__(self, stream_id):
        self.id = stream_id
        self.sent = 0
        self.received = 0
        self.matched = 0
        self.parsing = False
        self.pending = b""
        self.expected = 0
        self.missing = set()
        self.lost = 0
        self.duplicated = 0
        self.reordered = 0
        self.garbled = 0

    def next_bytes(self, n):
        data = records(self.id, self.sent, n)
        self.sent += n
        return data

    def feed(self, data):
        self.received += len(data)
        if not self.parsing:
            n = min(len(data), self.sent - self.matched)
            expect = records(self.id, self.matched, n)
            if n == len(data) and data == expect:
                self.matched += n
                return
            i = 0
            while i < n and data[i] == expect[i]:
                i += 1
            self.matched += i
            partial = self.matched % RECORD
            self.pending = records(self.id, self.matched - partial, partial) + data[i:]
            self.expected = self.matched // RECORD
            self.parsing = True
            data = b""
        self.pending += data
        whole = len(self.pending) // RECORD * RECORD
        for at in range(0, whole, RECORD):
            self._record(self.pending[at : at + RECORD])
        self.pending = self.pending[whole:]

    def _record(self, rec):
        sid, magic, j = RECORD_HEAD.unpack_from(rec)
        if sid != self.id or magic != MAGIC or rec[16:] != FILLER or j * RECORD >= self.sent:
            self.garbled += RECORD
        elif j == self.expected:
            self.expected += 1
        elif j > self.expected:
            self.lost += (j - self.expected) * RECORD
            self.missing.update(range(self.expected, j))
            self.expected = j + 1
        elif j in self.missing:
            self.missing.discard(j)
            self.lost -= RECORD
            self.reordered += RECORD
        else:
            self.duplicated += RECORD

    def intact(self):
        return not (self.lost or self.duplicated or self.reordered or self.garbled)

    def whole(self):
        return not self.parsing and self.matched == self.sent

    def figures(self):
        return {
            "sent": self.sent,
            "received": self.received,
            "in_order": self.matched,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "reordered": self.reordered,
            "garbled": self.garbled + (len(self.pending) if self.parsing else 0),
        }


RESET_ERRNOS = (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED)


class CheckedConn:
    """one non-blocking echo connection with its check"""

    __slots__ = ("sock", "check", "outcome", "error", "out", "goal", "due", "started")

    def __init__(self, sock, stream_id):
        self.sock = sock
        self.check = EchoCheck(stream_id)
        self.outcome = None
        self.error = ""
        self.out = b"ECHO\n"
        self.goal = 0
        self.due = 0.0
        self.started = time.monotonic()

    def end(self, outcome, error=""):
        self.outcome = outcome
        self.error = error
        try:
            self.sock.close()
        except OSError:
            pass

    def on_error(self, e):
        if isinstance(e, OSError) and e.errno in RESET_ERRNOS:
            self.end("reset", os.strerror(e.errno))
        else:
            self.end("error", str(e))

    def flush(self):
        """sends what is queued; False when the connection ended"""
        try:
            while self.out:
                k = self.sock.send(self.out)
                self.out = self.out[k:]
        except BlockingIOError:
            pass
        except OSError as e:
            self.on_error(e)
            return False
        return True

    def read(self):
        """reads what is there; False when the connection ended"""
        while True:
            try:
                data = self.sock.recv(262144)
            except BlockingIOError:
                return True
            except OSError as e:
                self.on_error(e)
                return False
            if not data:
                # a clean end before all came back is what must never happen
                if self.check.received >= self.check.sent and self.check.sent >= self.goal:
                    self.end("whole")
                else:
                    self.end("eof-short", "clean end after %d of %d bytes" % (self.check.received, self.check.sent))
                return False
            self.check.feed(data)

    def result(self):
        out = {"id": self.check.id, "outcome": self.outcome or "unfinished", "error": self.error}
        out.update(self.check.figures())
        out["intact"] = self.check.intact()
        return out


def open_nonblocking(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.connect_ex((host, port))
    return sock


def cmd_streams(args):
    """checked echo streams for bench/faults: each sends --bytes in records,
    at most --window ahead of its echo (at --rate bytes a second when given),
    and ends whole, by a reset, by an error, or by a clean end that came too
    early (eof-short, a defect)"""
    raise_fd_limit()
    host, port = parse_addr(args.addr)
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(args.conns):
        c = CheckedConn(open_nonblocking(host, port), args.id_base + i)
        c.goal = args.bytes
        conns.append(c)
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    start = time.monotonic()
    live = len(conns)
    while live:
        now = time.monotonic()
        if now - start > args.timeout:
            break
        for c in conns:
            if c.outcome:
                continue
            chk = c.check
            allowed = args.bytes - chk.sent
            if args.rate:
                allowed = min(allowed, int((now - start) * args.rate) - chk.sent)
            allowed = min(allowed, args.window - (chk.sent - chk.received), 65536 * 4)
            if allowed > 0 and len(c.out) < 65536:
                c.out += chk.next_bytes(allowed)
                # watched for writing from now on, whatever it was watched for
                if not c.flush():
                    sel.unregister(c.sock)
                    live -= 1
                    continue
                sel.modify(
                    c.sock,
                    selectors.EVENT_READ | (selectors.EVENT_WRITE if c.out else 0),
                    c,
                )
        for key, events in sel.select(timeout=0.02):
            c = key.data
            if c.outcome:
                continue
            ok = True
            if events & selectors.EVENT_WRITE:
                ok = c.flush()
            if ok and events & selectors.EVENT_READ:
                ok = c.read()
            if ok and c.check.sent >= args.bytes and c.check.received >= args.bytes:
                c.end("whole")
                ok = False
            if not ok:
                sel.unregister(key.fileobj)
                live -= 1
            else:
                sel.modify(
                    c.sock,
                    selectors.EVENT_READ | (selectors.EVENT_WRITE if c.out else 0),
                    c,
                )
    for c in conns:
        if not c.outcome:
            c.end("stalled", "no end after %.0f s" % args.timeout)
    emit({"streams": [c.result() for c in conns], "seconds": time.monotonic() - start})
    return 0


def cmd_soak(args):
    """opens --conns echo connections (at most --window connecting at once),
    then for --seconds sends one record on each every --interval seconds (each
    connection at its own phase) and checks every byte that comes back; a
    line of figures every --report seconds; at the end waits for the last
    echoes and closes every connection"""
    raise_fd_limit()
    import heapq

    host, port = parse_addr(args.addr)
    sel = selectors.DefaultSelector()
    rng = random.Random(args.seed)
    conns = []
    ended = []
    start = time.monotonic()
    started = 0
    connecting = 0

    def finish(c):
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        ended.append(c)

    def service(c, events):
        ok = True
        if events & selectors.EVENT_WRITE:
            ok = c.flush()
        if ok and events & selectors.EVENT_READ:
            ok = c.read()
        if not ok:
            finish(c)
            return
        sel.modify(c.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if c.out else 0), c)

    # open them all, each proven by its first record coming back
    proven = 0
    while proven + len(ended) < args.conns and time.monotonic() - start < args.open_timeout:
        while started < args.conns and connecting < args.window:
            c = CheckedConn(open_nonblocking(host, port), started)
            c.out += c.check.next_bytes(RECORD)
            conns.append(c)
            sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
            started += 1
            connecting += 1
        for key, events in sel.select(timeout=1.0):
            c = key.data
            before = c.check.received
            service(c, events)
            if c.outcome:
                connecting -= 1
            elif before < RECORD <= c.check.received:
                proven += 1
                connecting -= 1
    open_seconds = time.monotonic() - start
    emit({"open_seconds": open_seconds, "opened": proven, "failed": len(ended)})
    sys.stdout.flush()

    live = [c for c in conns if not c.outcome and c.check.received >= RECORD]
    now = time.monotonic()
    due = []
    for c in live:
        heapq.heappush(due, (now + rng.uniform(0, args.interval), c.check.id, c))
    t0 = now
    next_report = now + args.report
    while True:
        now = time.monotonic()
        if now - t0 >= args.seconds:
            break
        while due and due[0][0] <= now:
            when, sid, c = heapq.heappop(due)
            if c.outcome:
                continue
            c.out += c.check.next_bytes(RECORD)
            service(c, selectors.EVENT_WRITE)
            heapq.heappush(due, (when + args.interval, sid, c))
        wait = min(due[0][0] if due else now + 1, next_report) - time.monotonic()
        for key, events in sel.select(timeout=max(0.0, wait)):
            service(key.data, events)
        if time.monotonic() >= next_report:
            next_report += args.report
            emit(soak_figures(conns, ended, time.monotonic() - t0))
    # the last echoes
    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline:
        if all(c.outcome or c.check.received >= c.check.sent for c in conns):
            break
        for key, events in sel.select(timeout=0.2):
            service(key.data, events)
    final = soak_figures(conns, ended, time.monotonic() - t0)
    final["final"] = True
    final["open_seconds"] = open_seconds
    final["unanswered"] = sum(
        1 for c in conns if not c.outcome and c.check.received < c.check.sent
    )
    for c in conns:
        if not c.outcome:
            c.end("whole")
    emit(final)
    return 0 if final["ended_early"] == 0 and final["anomalies"] == 0 and final["unanswered"] == 0 else 1


def soak_figures(conns, ended, seconds):
    sent = received = in_order = anomalies = 0
    for c in conns:
        f = c.check
        sent += f.sent
        received += f.received
        in_order += f.matched
        if not f.intact():
            anomalies += 1
    kinds = {}
    for c in ended:
        kinds[c.outcome] = kinds.get(c.outcome, 0) + 1
    return {
        "seconds": seconds,
        "connections": len(conns),
        "open": len(conns) - len(ended),
        "ended_early": len(ended),
        "ended_by": kinds,
        "bytes_sent": sent,
        "bytes_echoed": received,
        "bytes_in_order": in_order,
        "anomalies": anomalies,
    }


def sha_one(addr, direction, n, seed, results, index):
    try:
        sock = connect(addr)
        expected = hashlib.sha256()
        if direction == "up":
            sock.sendall(b"SHA %d\n" % n)
            for chunk in pattern_chunks(seed, n):
                expected.update(chunk)
                sock.sendall(chunk)
            line = b""
            while not line.endswith(b"\n"):
                data = sock.recv(128)
                if not data:
                    raise ConnectionError("no digest from the server")
                line += data
            got = line.strip().decode()
        else:
            sock.sendall(b"SHADOWN %d %d\n" % (n, seed))
            digest = hashlib.sha256()
            buf = bytearray(CHUNK)
            view = memoryview(buf)
            left = n
            while left > 0:
                k = sock.recv_into(view[: min(left, CHUNK)])
                if k == 0:
                    raise ConnectionError("connection closed with %d bytes missing" % left)
                digest.update(view[:k])
                left -= k
            for chunk in pattern_chunks(seed, n):
                expected.update(chunk)
            got = digest.hexdigest()
        sock.close()
        results[index] = {
            "direction": direction,
            "bytes": n,
            "sha256_sent": expected.hexdigest(),
            "sha256_received": got,
            "match": got == expected.hexdigest(),
        }
    except OSError as e:
        results[index] = {"direction": direction, "bytes": n, "error": str(e), "match": False}


def cmd_sha(args):
    """--bytes over --conns connections, each checked end to end by SHA-256:
    the client's hash of what it sent (or expected) against the server's of
    what it received (or the client's of what came); --direction both makes
    half the connections go up and half down"""
    share = args.bytes // args.conns
    results = [None] * args.conns
    threads = []
    for i in range(args.conns):
        direction = args.direction if args.direction != "both" else ("up", "down")[i % 2]
        threads.append(
            threading.Thread(
                target=sha_one, args=(args.addr, direction, share, args.seed + i, results, i)
            )
        )
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start
    ok = all(r["match"] for r in results)
    emit({"seconds": seconds, "bytes": share * args.conns, "connections": results, "ok": ok})
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("server")
    p.add_argument("--port", type=int, default=0)
    p = sub.add_parser("bulk")
    p.add_argument("--addr", required=True)
    p.add_argument("--direction", choices=["up", "down"], required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--conns", type=int, default=1)
    p = sub.add_parser("slow")
    p.add_argument("--addr", required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--rate", type=int, required=True)
    p = sub.add_parser("latency")
    p.add_argument("--addr", required=True)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--size", type=int, default=64)
    p = sub.add_parser("scale")
    p.add_argument("--addr", required=True)
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--window", type=int, default=100)
    p.add_argument("--timeout", type=float, default=300.0)
    p = sub.add_parser("streams")
    p.add_argument("--addr", required=True)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--window", type=int, default=1024 * 1024)
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--id-base", type=int, default=0)
    p = sub.add_parser("soak")
    p.add_argument("--addr", required=True)
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--interval", type=float, default=10.0)
    p.add_argument("--report", type=float, default=10.0)
    p.add_argument("--window", type=int, default=100)
    p.add_argument("--open-timeout", type=float, default=600.0)
    p.add_argument("--drain", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("sha")
    p.add_argument("--addr", required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--conns", type=int, default=8)
    p.add_argument("--direction", choices=["up", "down", "both"], default="both")
    p.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    return {
        "server": cmd_server,
        "bulk": cmd_bulk,
        "slow": cmd_slow,
        "latency": cmd_latency,
        "scale": cmd_scale,
        "streams": cmd_streams,
        "soak": cmd_soak,
        "sha": cmd_sha,
    }[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

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
# Nothing relies on a half-close: the tunnel protocol does not carry one.

import argparse
import json
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


def serve_blocking(sock, words, rest):
    sock.setblocking(True)
    try:
        if words[0] == b"UP":
            serve_up(sock, int(words[1]), rest)
        elif words[0] == b"DOWN":
            serve_down(sock, int(words[1]), rest)
        elif words[0] == b"SLOW":
            serve_slow(sock, int(words[1]), int(words[2]), rest)
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
    held = []

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
            if words == [b"HOLD"]:
                # a stuck app: keeps the connection and never reads it again
                sel.unregister(conn.sock)
                held.append(conn.sock)
                continue
            if not words or words[0] not in (b"UP", b"DOWN", b"SLOW"):
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
    args = parser.parse_args()
    return {
        "server": cmd_server,
        "bulk": cmd_bulk,
        "slow": cmd_slow,
        "latency": cmd_latency,
        "scale": cmd_scale,
    }[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

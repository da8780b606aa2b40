#!/usr/bin/env python3
#
# Copyright 2026 The iotunnel developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The profile schema is a valid JSON Schema 2020-12, the examples conform to
# it, and it refuses what the daemon's parser refuses where a schema can say so
# (tests/profile/iot-profile-test.c holds the parser's side and its messages).
# A value with a trailing newline is not tried here: JSON Schema patterns are
# ECMA-262, where "$" matches only at the end, but Python's re, which
# jsonschema uses, also matches "$" before a final newline.

import copy
import json
import os
import sys

import jsonschema

SRCDIR = os.environ.get("G_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DATADIR = os.path.join(SRCDIR, "data")

BASE = {
    "name": "dev",
    "mode": "destination",
    "service": {"region": "us-east-1"},
    "access_token": {"env": "IOT_TEST_ACCESS_TOKEN"},
    "services": {"SSH1": {"endpoint": "tcp", "address": "localhost:22"}},
}
CLIENT_TOKEN = "0123456789abcdef-0123456789ABCDEF"

# (name, members set on BASE, member removed from BASE)
GOOD = [
    ("defaults", {}, None),
    ("no-access-token", {}, "access_token"),
    ("unnamed", {"services": {"": {"endpoint": "tcp"}}}, None),
    ("region-gov", {"service": {"region": "us-gov-west-1"}}, None),
    ("region-cn", {"service": {"region": "cn-north-1"}}, None),
    ("endpoint-url", {"service": {"endpoint": "wss://127.0.0.1:8443"}}, None),
    ("endpoint-slash", {"service": {"endpoint": "wss://example.com/"}}, None),
    ("endpoint-host-port", {"service": {"endpoint": "tunnel.example.com:8443"}}, None),
    ("endpoint-host", {"service": {"endpoint": "tunnel.example.com"}}, None),
    ("endpoint-ipv6", {"service": {"endpoint": "[2001:db8::1]:8443"}}, None),
    ("endpoint-bare-ipv6", {"service": {"endpoint": "::1"}}, None),
    ("endpoint-ws-loopback", {"service": {"endpoint": "ws://127.0.0.1:8080"}}, None),
    ("endpoint-ws-localhost", {"service": {"endpoint": "ws://localhost:1"}}, None),
    ("endpoint-ws-ipv6", {"service": {"endpoint": "ws://[::1]:9"}}, None),
    ("token-string", {"access_token": "tok"}, None),
    ("token-value", {"access_token": {"value": "tok"}}, None),
    ("token-file", {"access_token": {"file": "/run/token"}}, None),
    ("client-token", {"client_token": CLIENT_TOKEN}, None),
    ("client-token-env", {"client_token": {"env": "AWSIOT_TUNNEL_CLIENT_TOKEN"}}, None),
    ("protocol-v1", {"protocol": "v1"}, None),
    ("destination-client-type", {"protocol": "v3", "destination_client_type": "v2"}, None),
    ("destination-client-type-default", {"destination_client_type": "v1"}, None),
    ("transport-settings", {"transport": {"type": "websocket", "ping_ms": 5000}}, None),
    ("transport-no-type", {"transport": {"ping_ms": 5000}}, None),
    ("max-connections", {"max_connections": 65535}, None),
    ("max-connections-float", {"max_connections": 128.0}, None),
    ("reconnect", {"reconnect": {"delay_ms": 100, "max_delay_ms": 1000, "count": 3}}, None),
    ("reconnect-empty", {"reconnect": {}}, None),
    ("reconnect-for-ever", {"reconnect": {"count": -1}}, None),
    ("service-ids", {"services": {"a:b_c-1": {"endpoint": "unix", "path": "/x"}}}, None),
]

BAD = [
    ("unknown-key", {"protcol": "v3"}, None),
    ("name-missing", {}, "name"),
    ("name-space", {"name": "my tunnel"}, None),
    ("name-too-long", {"name": "a" * 65}, None),
    ("mode-missing", {}, "mode"),
    ("mode-src", {"mode": "src"}, None),
    ("service-missing", {}, "service"),
    ("service-both", {"service": {"region": "us-east-1", "endpoint": "localhost:1"}}, None),
    ("service-neither", {"service": {}}, None),
    ("service-unknown-key", {"service": {"url": "wss://localhost"}}, None),
    ("region-upper-case", {"service": {"region": "US-EAST-1"}}, None),
    ("region-no-number", {"service": {"region": "us-east"}}, None),
    ("endpoint-scheme", {"service": {"endpoint": "https://localhost"}}, None),
    ("endpoint-path", {"service": {"endpoint": "wss://localhost/tunnel"}}, None),
    ("endpoint-empty-port", {"service": {"endpoint": "localhost:"}}, None),
    ("endpoint-open-bracket", {"service": {"endpoint": "[::1:8443"}}, None),
    ("endpoint-bare-ipv6-in-url", {"service": {"endpoint": "wss://::1"}}, None),
    ("endpoint-ws-remote", {"service": {"endpoint": "ws://example.com:8080"}}, None),
    ("access-token-number", {"access_token": 5}, None),
    ("access-token-empty", {"access_token": ""}, None),
    ("access-token-no-source", {"access_token": {}}, None),
    ("access-token-two-sources", {"access_token": {"env": "T", "file": "/t"}}, None),
    ("access-token-unknown-key", {"access_token": {"path": "/run/token"}}, None),
    ("access-token-env-name", {"access_token": {"env": "1TOKEN"}}, None),
    ("access-token-relative-file", {"access_token": {"file": "token.txt"}}, None),
    ("access-token-value-space", {"access_token": {"value": "secret token"}}, None),
    ("access-token-string-control", {"access_token": "secret\r\nHost: x"}, None),
    ("client-token-short", {"client_token": "secret-but-short"}, None),
    ("client-token-long", {"client_token": "c" * 129}, None),
    ("client-token-underscore", {"client_token": {"value": CLIENT_TOKEN.replace("-", "_")}}, None),
    ("protocol-v4", {"protocol": "v4"}, None),
    ("protocol-number", {"protocol": 3}, None),
    ("destination-client-type-v3", {"destination_client_type": "v3"}, None),
    ("destination-client-type-with-v2", {"protocol": "v2", "destination_client_type": "v1"}, None),
    ("transport-string", {"transport": "websocket"}, None),
    ("transport-type", {"transport": {"type": "web socket"}}, None),
    ("max-connections-zero", {"max_connections": 0}, None),
    ("max-connections-large", {"max_connections": 65536}, None),
    ("max-connections-fraction", {"max_connections": 1.5}, None),
    ("max-connections-string", {"max_connections": "128"}, None),
    ("reconnect-number", {"reconnect": 2500}, None),
    ("reconnect-unknown-key", {"reconnect": {"delay": 100}}, None),
    ("reconnect-delay-zero", {"reconnect": {"delay_ms": 0}}, None),
    ("reconnect-max-delay-large", {"reconnect": {"max_delay_ms": 3600001}}, None),
    ("reconnect-count-below", {"reconnect": {"count": -2}}, None),
    ("reconnect-count-fraction", {"reconnect": {"count": 2.5}}, None),
    ("services-missing", {}, "services"),
    ("services-array", {"services": [{"endpoint": "tcp"}]}, None),
    ("services-empty", {"services": {}}, None),
    ("service-id-space", {"services": {"SSH 1": {"endpoint": "tcp"}}}, None),
    ("service-id-too-long", {"services": {"i" * 129: {"endpoint": "tcp"}}}, None),
    ("service-unnamed-and-named", {"services": {"": {"endpoint": "tcp"}, "S": {"endpoint": "tcp"}}}, None),
    ("service-entry-string", {"services": {"SSH1": "tcp"}}, None),
    ("service-endpoint-missing", {"services": {"HTTP-1": {"address": "localhost:80"}}}, None),
    ("service-endpoint-bad", {"services": {"SSH1": {"endpoint": "tcp/ip"}}}, None),
]

BAD_ROOTS = [
    ("root-array", [BASE]),
    ("root-unknown-key", {"tunnels": [BASE], "version": 1}),
    ("tunnels-missing", {}),
    ("tunnels-object", {"tunnels": BASE}),
    ("tunnels-empty", {"tunnels": []}),
    ("tunnel-string", {"tunnels": ["dev"]}),
]


def profile(members, remove):
    tunnel = copy.deepcopy(BASE)
    tunnel.update(members)
    if remove is not None:
        del tunnel[remove]
    return {"tunnels": [tunnel]}


def main():
    with open(os.path.join(DATADIR, "iotunnel-profile.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []

    for name in ("destination-ssh.json", "source-multi.json"):
        with open(os.path.join(DATADIR, "examples", name), encoding="utf-8") as f:
            example = json.load(f)
        for error in validator.iter_errors(example):
            failures.append(f"example {name}: {error.message}")

    for name, members, remove in GOOD:
        for error in validator.iter_errors(profile(members, remove)):
            failures.append(f"good {name} refused: {error.message}")

    bad = [(name, profile(members, remove)) for name, members, remove in BAD] + BAD_ROOTS
    for name, document in bad:
        if validator.is_valid(document):
            failures.append(f"bad {name} accepted")

    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{len(GOOD) + 2} good and {len(bad)} bad profiles checked; {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

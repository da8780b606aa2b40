/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "iot-profile.h"

/* a valid tunnel that the table below changes one member at a time; ' stands for " */
#define BASE_TUNNEL                                                                                \
	"{'name': 'dev', 'mode': 'destination', 'service': {'region': 'us-east-1'}, "              \
	"'access_token': {'env': 'IOT_TEST_ACCESS_TOKEN'}, "                                       \
	"'services': {'SSH1': {'endpoint': 'tcp', 'address': 'localhost:22'}}}"

#define TUNNEL_KEYS                                                                                \
	"\"name\", \"mode\", \"service\", \"access_token\", \"client_token\", \"protocol\", "      \
	"\"destination_client_type\", \"transport\", \"max_connections\", \"reconnect\", "         \
	"\"flow_control\" or \"services\""

#define TOKEN_SHAPES                                                                               \
	"{\"env\": \"NAME\"}, {\"file\": \"/path\"}, {\"value\": \"TOKEN\"} or the token itself"

#define CLIENT_TOKEN "0123456789abcdef-0123456789ABCDEF"

typedef struct {
	const gchar *name;
	const gchar *json;   /* a whole profile (BASE stands for BASE_TUNNEL), or NULL */
	const gchar *patch;  /* or: members set on BASE_TUNNEL */
	const gchar *remove; /* and: a member removed from BASE_TUNNEL */
	IotProfileError code;
	const gchar *message;
} IotProfileBadCase;

static const IotProfileBadCase bad_cases[] = {
    {"syntax",
     "{\n  'tunnels': [\n}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json:3:1: the JSON is not valid (unexpected character `}', expected character `]'); "
     "fix the syntax."},
    {"empty",
     "",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json: the profile is empty; write an object with a \"tunnels\" array."},
    /* json-glib 1.6 keeps the last of several values, and leaks the others */
    {"two-values",
     "{'tunnels': [BASE]} {'tunnels': []}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json: the JSON holds more than one value; keep the one object."},
    {"string-then-object",
     "'tunnels' {'tunnels': [BASE]}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json: the JSON holds more than one value; keep the one object."},
    /* json-glib 1.6 decodes a lone surrogate escape into bytes that are not UTF-8 */
    {"lone-surrogate",
     "{'tunnels': [BASE], 'a\\ud800b': 1}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json: the JSON holds text that is not UTF-8 (a lone \\u surrogate); fix it."},
    /* json-glib 1.6 leaks on a short \\u escape */
    {"short-escape",
     "{'tunnels': [BASE], 'a\\ud8:': 1}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json: the JSON is not valid (a broken \\u escape); fix it."},
    /* and on a low surrogate escape that follows no high one */
    {"lone-low-surrogate",
     "{'tunnels': [BASE], 'a\\udde9\\ud8060': 1}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json: the JSON is not valid (a broken \\u escape); fix it."},
    {"root-array",
     "[BASE]",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $ is an array; write an object with a \"tunnels\" array."},
    {"root-unknown-key",
     "{'tunnels': [BASE], 'version': 1}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.version is an unknown key; use \"tunnels\"."},
    {"tunnels-missing",
     "{}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels is missing; set it to an array of at least one tunnel."},
    {"tunnels-object",
     "{'tunnels': BASE}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels is an object; set it to an array of at least one tunnel."},
    {"tunnels-empty",
     "{'tunnels': []}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels holds no tunnel; add at least one."},
    {"tunnel-string",
     "{'tunnels': ['dev']}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0] is \"dev\"; set it to an object that describes a tunnel."},
    {"duplicate-key",
     "{'tunnels': [{'name': 'dev', 'mode': 'source', 'service': {'region': 'us-east-1'},\n"
     "  'services': {'SSH1': {'endpoint': 'tcp'}, 'SSH1': {'endpoint': 'unix'}}}]}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json:2:72: $.tunnels[0].services has the key \"SSH1\" twice; keep one."},
    {"duplicate-name",
     "{'tunnels': [BASE, {'name': 'other', 'mode': 'source', 'service': {'region': 'us-east-1'}, "
     "'services': {'': {'endpoint': 'tcp'}}}, BASE]}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[2].name is \"dev\", as is $.tunnels[0].name; give each tunnel its "
     "own name."},
    {"second-tunnel",
     "{'tunnels': [BASE, {'name': 'two', 'mode': 'dst'}]}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[1].mode is \"dst\"; set it to \"source\" or \"destination\"."},
    {"unknown-key",
     NULL,
     "{'protcol': 'v3'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].protcol is an unknown key; use " TUNNEL_KEYS "."},
    {"unknown-odd-key",
     NULL,
     "{'max connections': 1}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0][\"max connections\"] is an unknown key; use " TUNNEL_KEYS "."},
    {"name-missing",
     NULL,
     NULL,
     "name",
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].name is missing; set it to 1 to 64 letters, digits, \"_\", \".\" "
     "or \"-\"."},
    {"name-space",
     NULL,
     "{'name': 'my tunnel'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].name is \"my tunnel\"; set it to 1 to 64 letters, digits, \"_\", "
     "\".\" or \"-\"."},
    {"name-too-long",
     NULL,
     "{'name': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].name is "
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"; set it to 1 to 64 "
     "letters, digits, \"_\", \".\" or \"-\"."},
    {"name-number",
     NULL,
     "{'name': 7}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].name is 7; set it to 1 to 64 letters, digits, \"_\", \".\" or "
     "\"-\"."},
    {"mode-missing",
     NULL,
     NULL,
     "mode",
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].mode is missing; set it to \"source\" or \"destination\"."},
    {"mode-src",
     NULL,
     "{'mode': 'src'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].mode is \"src\"; set it to \"source\" or \"destination\"."},
    {"service-missing",
     NULL,
     NULL,
     "service",
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service is missing; set it to {\"region\": \"us-east-1\"} or "
     "{\"endpoint\": \"host:port\"}."},
    {"service-string",
     NULL,
     "{'service': 'us-east-1'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service is \"us-east-1\"; set it to {\"region\": \"us-east-1\"} or "
     "{\"endpoint\": \"host:port\"}."},
    {"service-both",
     NULL,
     "{'service': {'region': 'us-east-1', 'endpoint': 'localhost:1'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service holds both \"region\" and \"endpoint\"; keep one."},
    {"service-neither",
     NULL,
     "{'service': {}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service holds neither \"region\" nor \"endpoint\"; add one."},
    {"service-unknown-key",
     NULL,
     "{'service': {'url': 'wss://localhost'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.url is an unknown key; use \"region\" or \"endpoint\"."},
    {"region-upper-case",
     NULL,
     "{'service': {'region': 'US-EAST-1'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.region is \"US-EAST-1\"; set it to a region name such as "
     "\"us-east-1\"."},
    {"region-newline",
     NULL,
     "{'service': {'region': 'us-east-1\\n'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.region is \"us-east-1\\n\"; set it to a region name such "
     "as \"us-east-1\"."},
    {"region-no-number",
     NULL,
     "{'service': {'region': 'us-east'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.region is \"us-east\"; set it to a region name such as "
     "\"us-east-1\"."},
    {"endpoint-scheme",
     NULL,
     "{'service': {'endpoint': 'https://localhost'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.endpoint is \"https://localhost\"; set it to "
     "\"wss://host:port\", \"host:port\" or \"host\"."},
    {"endpoint-path",
     NULL,
     "{'service': {'endpoint': 'wss://localhost/tunnel'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.endpoint is \"wss://localhost/tunnel\"; set it to "
     "\"wss://host:port\", \"host:port\" or \"host\"."},
    {"endpoint-empty-port",
     NULL,
     "{'service': {'endpoint': 'localhost:'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.endpoint is \"localhost:\"; set it to "
     "\"wss://host:port\", \"host:port\" or \"host\"."},
    {"endpoint-open-bracket",
     NULL,
     "{'service': {'endpoint': '[::1:8443'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.endpoint is \"[::1:8443\"; set it to "
     "\"wss://host:port\", \"host:port\" or \"host\"."},
    {"endpoint-bare-ipv6-in-url",
     NULL,
     "{'service': {'endpoint': 'wss://::1'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.endpoint is \"wss://::1\"; set it to "
     "\"wss://host:port\", \"host:port\" or \"host\"."},
    {"endpoint-port-zero",
     NULL,
     "{'service': {'endpoint': 'localhost:0'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.endpoint is \"localhost:0\"; set the port to a number "
     "from 1 to 65535."},
    {"endpoint-port-large",
     NULL,
     "{'service': {'endpoint': 'wss://[::1]:99999999999999999999'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.endpoint is \"wss://[::1]:99999999999999999999\"; set the "
     "port to a number from 1 to 65535."},
    {"endpoint-ws-remote",
     NULL,
     "{'service': {'endpoint': 'ws://example.com:8080'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].service.endpoint is \"ws://example.com:8080\"; use \"wss://\", "
     "since \"ws://\" is only allowed for a loopback host."},
    {"access-token-number",
     NULL,
     "{'access_token': 5}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token is a number; set it to " TOKEN_SHAPES "."},
    {"access-token-empty",
     NULL,
     "{'access_token': ''}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token is \"\"; set it to " TOKEN_SHAPES "."},
    {"access-token-no-source",
     NULL,
     "{'access_token': {}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token holds none of \"env\", \"file\" and \"value\"; add "
     "one."},
    {"access-token-two-sources",
     NULL,
     "{'access_token': {'env': 'TOKEN', 'file': '/run/token'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token holds more than one of \"env\", \"file\" and "
     "\"value\"; keep one."},
    {"access-token-unknown-key",
     NULL,
     "{'access_token': {'path': '/run/token'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token holds an unknown key; use \"env\", \"file\" or "
     "\"value\"."},
    {"access-token-as-key",
     NULL,
     "{'access_token': {'secretAQGAAXi': ''}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token holds an unknown key; use \"env\", \"file\" or "
     "\"value\"."},
    {"syntax-missing-colon",
     "{'tunnels': [{'access_token' 'secretAQGAAXiToken'}]}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json:1:28: the JSON is not valid (unexpected string constant, expected character "
     "`:'); fix the syntax."},
    {"syntax-unquoted",
     "{'tunnels': [{'access_token': secretAQGAAXi+Token/Long=}]}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json:1:43: the JSON is not valid (unexpected identifier, expected value); fix the "
     "syntax."},
    {"syntax-long-string",
     "{'tunnels': [{'access_token': 'secretAQGAAXiTokenThatIsLongerThanTheScannerShows' 'abc'}]}",
     NULL,
     NULL,
     IOT_PROFILE_ERROR_PARSE,
     "site.json:1:81: the JSON is not valid (unexpected string constant, expected character "
     "`,'); fix the syntax."},
    {"access-token-env-name",
     NULL,
     "{'access_token': {'env': '1TOKEN'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token.env is not a valid name; set it to the name of an "
     "environment variable, such as \"AWSIOT_TUNNEL_ACCESS_TOKEN\"."},
    {"access-token-in-env",
     NULL,
     "{'access_token': {'env': 'secretAQGAAXi+Token/Long='}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token.env is not a valid name; set it to the name of an "
     "environment variable, such as \"AWSIOT_TUNNEL_ACCESS_TOKEN\"."},
    {"access-token-env-number",
     NULL,
     "{'access_token': {'env': 1}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token.env is a number; set it to the name of an "
     "environment variable, such as \"AWSIOT_TUNNEL_ACCESS_TOKEN\"."},
    {"access-token-relative-file",
     NULL,
     "{'access_token': {'file': 'token.txt'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token.file is not an absolute path; give the full path, "
     "starting with \"/\"."},
    {"access-token-in-file",
     NULL,
     "{'access_token': {'file': 'secretAQGAAXi+Token/Long='}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token.file is not an absolute path; give the full path, "
     "starting with \"/\"."},
    {"access-token-file-null",
     NULL,
     "{'access_token': {'file': null}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token.file is null; set it to an absolute path."},
    {"access-token-value-space",
     NULL,
     "{'access_token': {'value': 'secret token'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token.value holds a space, a control or a non-ASCII "
     "character; give the token exactly as it was issued."},
    {"access-token-string-control",
     NULL,
     "{'access_token': 'secret\\r\\nHost: x'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token holds a space, a control or a non-ASCII character; "
     "give the token exactly as it was issued."},
    {"access-token-value-number",
     NULL,
     "{'access_token': {'value': 12345}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].access_token.value is a number; set it to the token."},
    {"client-token-short",
     NULL,
     "{'client_token': 'secret-but-short'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].client_token is not 32 to 128 letters, digits or \"-\"; set it to "
     "a client token of that form."},
    {"client-token-underscore",
     NULL,
     "{'client_token': {'value': '0123456789abcdef_0123456789abcdef'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].client_token.value is not 32 to 128 letters, digits or \"-\"; set "
     "it to a client token of that form."},
    {"client-token-env-name",
     NULL,
     "{'client_token': {'env': 'CLIENT TOKEN'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].client_token.env is not a valid name; set it to the name of an "
     "environment variable, such as \"AWSIOT_TUNNEL_CLIENT_TOKEN\"."},
    {"protocol-v4",
     NULL,
     "{'protocol': 'v4'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].protocol is \"v4\"; set it to \"v1\", \"v2\" or \"v3\"."},
    {"protocol-number",
     NULL,
     "{'protocol': 3}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].protocol is 3; set it to \"v1\", \"v2\" or \"v3\"."},
    {"protocol-upper-case",
     NULL,
     "{'protocol': 'V3'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].protocol is \"V3\"; set it to \"v1\", \"v2\" or \"v3\"."},
    {"destination-client-type-v3",
     NULL,
     "{'destination_client_type': 'v3'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].destination_client_type is \"v3\"; set it to \"v1\" or \"v2\"."},
    {"destination-client-type-with-v2",
     NULL,
     "{'protocol': 'v2', 'destination_client_type': 'v1'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].destination_client_type is \"v1\", but $.tunnels[0].protocol is "
     "\"v2\"; remove destination_client_type or set the protocol to \"v3\"."},
    {"transport-string",
     NULL,
     "{'transport': 'websocket'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].transport is \"websocket\"; set it to an object with \"type\" and "
     "the transport's settings."},
    {"transport-type",
     NULL,
     "{'transport': {'type': 'web socket'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].transport.type is \"web socket\"; set it to the name of a "
     "transport plugin, such as \"websocket\"."},
    {"max-connections-zero",
     NULL,
     "{'max_connections': 0}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].max_connections is 0; set it to a whole number from 1 to 65535."},
    {"max-connections-large",
     NULL,
     "{'max_connections': 65536}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].max_connections is 65536; set it to a whole number from 1 to "
     "65535."},
    {"max-connections-fraction",
     NULL,
     "{'max_connections': 1.5}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].max_connections is 1.5; set it to a whole number from 1 to 65535."},
    {"max-connections-string",
     NULL,
     "{'max_connections': '128'}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].max_connections is \"128\"; set it to a whole number from 1 to "
     "65535."},
    {"max-connections-negative",
     NULL,
     "{'max_connections': -1}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].max_connections is -1; set it to a whole number from 1 to 65535."},
    {"flow-control-number",
     NULL,
     "{'flow_control': 4096}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].flow_control is 4096; set it to an object with "
     "\"connection_buffer\", \"stall_timeout_ms\" and \"extensions\"."},
    {"flow-control-unknown-key",
     NULL,
     "{'flow_control': {'window': 4096}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].flow_control.window is an unknown key; use "
     "\"connection_buffer\", \"stall_timeout_ms\" or \"extensions\"."},
    {"flow-control-buffer-small",
     NULL,
     "{'flow_control': {'connection_buffer': 4096}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].flow_control.connection_buffer is 4096; set it to a whole "
     "number of bytes from 65536 to 1073741824."},
    {"flow-control-stall-negative",
     NULL,
     "{'flow_control': {'stall_timeout_ms': -1}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].flow_control.stall_timeout_ms is -1; set it to a whole number "
     "of milliseconds from 0 (never) to 3600000."},
    {"flow-control-extensions-string",
     NULL,
     "{'flow_control': {'extensions': 'no'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].flow_control.extensions is \"no\"; set it to true or false."},
    {"reconnect-number",
     NULL,
     "{'reconnect': 2500}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].reconnect is 2500; set it to an object with \"delay_ms\", "
     "\"max_delay_ms\" and \"count\"."},
    {"reconnect-unknown-key",
     NULL,
     "{'reconnect': {'delay': 100}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].reconnect.delay is an unknown key; use \"delay_ms\", "
     "\"max_delay_ms\" or \"count\"."},
    {"reconnect-delay-zero",
     NULL,
     "{'reconnect': {'delay_ms': 0}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].reconnect.delay_ms is 0; set it to a whole number of "
     "milliseconds from 1 to 3600000."},
    {"reconnect-delay-string",
     NULL,
     "{'reconnect': {'delay_ms': '2500'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].reconnect.delay_ms is \"2500\"; set it to a whole number of "
     "milliseconds from 1 to 3600000."},
    {"reconnect-max-delay-large",
     NULL,
     "{'reconnect': {'max_delay_ms': 3600001}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].reconnect.max_delay_ms is 3600001; set it to a whole number of "
     "milliseconds from 1 to 3600000."},
    {"reconnect-max-below-delay",
     NULL,
     "{'reconnect': {'delay_ms': 5000, 'max_delay_ms': 1000}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].reconnect.max_delay_ms is 1000, below "
     "$.tunnels[0].reconnect.delay_ms (5000); raise it or lower delay_ms."},
    {"reconnect-count-below",
     NULL,
     "{'reconnect': {'count': -2}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].reconnect.count is -2; set it to -1 to try for ever, or to a "
     "number of tries from 0 to 1000000."},
    {"reconnect-count-fraction",
     NULL,
     "{'reconnect': {'count': 2.5}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].reconnect.count is 2.5; set it to -1 to try for ever, or to a "
     "number of tries from 0 to 1000000."},
    {"services-missing",
     NULL,
     NULL,
     "services",
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services is missing; set it to an object that maps service IDs to "
     "endpoints."},
    {"services-array",
     NULL,
     "{'services': [{'endpoint': 'tcp'}]}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services is an array; set it to an object that maps service IDs to "
     "endpoints."},
    {"services-empty",
     NULL,
     "{'services': {}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services holds no service; add at least one."},
    {"service-id-space",
     NULL,
     "{'services': {'SSH 1': {'endpoint': 'tcp'}}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services[\"SSH 1\"] is not a valid service ID; use 1 to 128 "
     "letters, digits, \"_\", \":\" or \"-\", or \"\" for a single unnamed service."},
    {"service-unnamed-first",
     NULL,
     "{'services': {'': {'endpoint': 'tcp'}, 'SSH1': {'endpoint': 'tcp'}}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services[\"\"] is the unnamed service, which must be the only one; "
     "give it a name or remove the others."},
    {"service-unnamed-last",
     NULL,
     "{'services': {'SSH1': {'endpoint': 'tcp'}, '': {'endpoint': 'tcp'}}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services[\"\"] is the unnamed service, which must be the only one; "
     "give it a name or remove the others."},
    {"service-entry-string",
     NULL,
     "{'services': {'SSH1': 'tcp'}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services.SSH1 is \"tcp\"; set it to an object with \"endpoint\" "
     "and the endpoint's settings."},
    {"service-endpoint-missing",
     NULL,
     "{'services': {'HTTP-1': {'address': 'localhost:80'}}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services[\"HTTP-1\"].endpoint is missing; set it to the name of an "
     "endpoint plugin, such as \"tcp\" or \"unix\"."},
    {"service-endpoint-bad",
     NULL,
     "{'services': {'SSH1': {'endpoint': 'tcp/ip'}}}",
     NULL,
     IOT_PROFILE_ERROR_INVALID,
     "site.json: $.tunnels[0].services.SSH1.endpoint is \"tcp/ip\"; set it to the name of an "
     "endpoint plugin, such as \"tcp\" or \"unix\"."},
};

/* ' stands for " in the test's JSON, to keep it readable */
static gchar *
iot_profile_test_unquote(const gchar *text)
{
	gchar *copy = g_strdup(text);
	g_strdelimit(copy, "'", '"');
	return copy;
}

static JsonNode *
iot_profile_test_parse(const gchar *text)
{
	g_autofree gchar *json = iot_profile_test_unquote(text);
	g_autoptr(GError) error = NULL;
	JsonNode *node = json_from_string(json, &error);
	g_assert_no_error(error);
	return node;
}

static gchar *
iot_profile_test_case_json(const IotProfileBadCase *c)
{
	g_autoptr(JsonNode) tunnel = iot_profile_test_parse(BASE_TUNNEL);
	g_autoptr(JsonObject) profile = json_object_new();
	g_autoptr(JsonArray) tunnels = json_array_new();
	g_autoptr(JsonNode) root = NULL;

	if (c->json != NULL) {
		g_autofree gchar *base = iot_profile_test_unquote(BASE_TUNNEL);
		g_autoptr(GString) json = g_string_new(c->json);
		g_strdelimit(json->str, "'", '"');
		g_string_replace(json, "BASE", base, 0);
		return g_string_free(g_steal_pointer(&json), FALSE);
	}
	if (c->patch != NULL) {
		g_autoptr(JsonNode) patch = iot_profile_test_parse(c->patch);
		JsonObject *object = json_node_get_object(patch);
		g_autoptr(GList) members = json_object_get_members(object);
		for (GList *l = members; l != NULL; l = l->next) {
			json_object_set_member(
			    json_node_get_object(tunnel),
			    l->data,
			    json_node_copy(json_object_get_member(object, l->data)));
		}
	}
	if (c->remove != NULL)
		json_object_remove_member(json_node_get_object(tunnel), c->remove);
	json_array_add_element(tunnels, g_steal_pointer(&tunnel));
	json_object_set_array_member(profile, "tunnels", g_steal_pointer(&tunnels));
	root = json_node_init_object(json_node_alloc(), profile);
	return json_to_string(root, FALSE);
}

static IotProfile *
iot_profile_test_load(const gchar *text, GError **error)
{
	g_autofree gchar *json = iot_profile_test_unquote(text);
	return iot_profile_new_from_data(json, strlen(json), "site.json", error);
}

static IotProfileTunnel *
iot_profile_test_load_tunnel(const gchar *tunnel_text)
{
	g_autofree gchar *text = g_strdup_printf("{'tunnels': [%s]}", tunnel_text);
	g_autoptr(GError) error = NULL;
	g_autoptr(IotProfile) profile = iot_profile_test_load(text, &error);
	GPtrArray *tunnels;

	g_assert_no_error(error);
	g_assert_nonnull(profile);
	tunnels = iot_profile_get_tunnels(profile);
	g_assert_cmpuint(tunnels->len, ==, 1);
	return g_object_ref(g_ptr_array_index(tunnels, 0));
}

static void
iot_profile_test_bad(gconstpointer user_data)
{
	const IotProfileBadCase *c = user_data;
	g_autofree gchar *json = iot_profile_test_case_json(c);
	g_autoptr(GError) error = NULL;
	g_autoptr(IotProfile) profile = NULL;

	profile = iot_profile_new_from_data(json, strlen(json), "site.json", &error);
	g_assert_error(error, IOT_PROFILE_ERROR, (gint)c->code);
	g_assert_null(profile);
	g_assert_cmpstr(error->message, ==, c->message);
	/* no inline token of the table ever shows */
	g_assert_null(strstr(error->message, "secret"));
}

static void
iot_profile_test_defaults(void)
{
	g_autoptr(IotProfileTunnel) tunnel = iot_profile_test_load_tunnel(BASE_TUNNEL);
	GPtrArray *services = iot_profile_tunnel_get_services(tunnel);
	IotProfileService *service;
	JsonObject *settings;

	g_assert_cmpstr(iot_profile_tunnel_get_name(tunnel), ==, "dev");
	g_assert_cmpint(iot_profile_tunnel_get_mode(tunnel), ==, IOT_TUNNEL_MODE_DESTINATION);
	g_assert_cmpstr(iot_profile_tunnel_get_origin(tunnel), ==, "site.json");
	g_assert_cmpstr(iot_profile_tunnel_get_json_path(tunnel), ==, "$.tunnels[0]");
	g_assert_cmpstr(iot_profile_tunnel_get_region(tunnel), ==, "us-east-1");
	g_assert_cmpstr(iot_profile_tunnel_get_base_url(tunnel),
			==,
			"wss://data.tunneling.iot.us-east-1.amazonaws.com:443");
	g_assert_cmpstr(iot_profile_tunnel_get_tunnel_url(tunnel),
			==,
			"wss://data.tunneling.iot.us-east-1.amazonaws.com:443"
			"/tunnel?local-proxy-mode=destination");
	g_assert_cmpuint(iot_profile_tunnel_get_protocol(tunnel), ==, 3);
	g_assert_cmpuint(iot_profile_tunnel_get_destination_client_type(tunnel), ==, 0);
	g_assert_cmpstr(iot_profile_tunnel_get_transport_type(tunnel), ==, "websocket");
	settings = iot_profile_tunnel_get_transport_settings(tunnel);
	g_assert_cmpuint(json_object_get_size(settings), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(settings, "type"), ==, "websocket");
	g_assert_cmpuint(iot_profile_tunnel_get_max_connections(tunnel), ==, 128);
	g_assert_cmpuint(iot_profile_tunnel_get_reconnect_delay_ms(tunnel), ==, 2500);
	g_assert_cmpuint(iot_profile_tunnel_get_reconnect_max_delay_ms(tunnel), ==, 30000);
	g_assert_cmpint(iot_profile_tunnel_get_reconnect_count(tunnel), ==, -1);
	g_assert_true(iot_profile_tunnel_has_access_token(tunnel));
	g_assert_false(iot_profile_tunnel_has_client_token(tunnel));

	g_assert_cmpuint(services->len, ==, 1);
	service = g_ptr_array_index(services, 0);
	g_assert_cmpstr(iot_profile_service_get_id(service), ==, "SSH1");
	g_assert_cmpstr(iot_profile_service_get_endpoint(service), ==, "tcp");
	settings = iot_profile_service_get_settings(service);
	g_assert_cmpstr(json_object_get_string_member(settings, "endpoint"), ==, "tcp");
	g_assert_cmpstr(json_object_get_string_member(settings, "address"), ==, "localhost:22");
}

static void
iot_profile_test_explicit(void)
{
	g_autoptr(IotProfileTunnel) tunnel = iot_profile_test_load_tunnel(
	    "{'name': 'Lab_1.a-b', 'mode': 'source', 'service': {'endpoint': "
	    "'wss://127.0.0.1:8443'},"
	    " 'access_token': {'file': '/run/token'}, 'client_token': '" CLIENT_TOKEN "',"
	    " 'protocol': 'v3', 'destination_client_type': 'v2',"
	    " 'transport': {'type': 'websocket', 'ping_ms': 5000, 'proxy': 'env'},"
	    " 'max_connections': 65535.0,"
	    " 'reconnect': {'delay_ms': 100, 'max_delay_ms': 100.0, 'count': 0},"
	    " 'services': {'b': {'endpoint': 'unix', 'path': '/run/b.sock'},"
	    "              'a:1': {'endpoint': 'tcp', 'address': '5555'}}}");
	GPtrArray *services = iot_profile_tunnel_get_services(tunnel);
	JsonObject *settings = iot_profile_tunnel_get_transport_settings(tunnel);

	g_assert_cmpstr(iot_profile_tunnel_get_name(tunnel), ==, "Lab_1.a-b");
	g_assert_cmpint(iot_profile_tunnel_get_mode(tunnel), ==, IOT_TUNNEL_MODE_SOURCE);
	g_assert_null(iot_profile_tunnel_get_region(tunnel));
	g_assert_cmpstr(iot_profile_tunnel_get_tunnel_url(tunnel),
			==,
			"wss://127.0.0.1:8443/tunnel?local-proxy-mode=source");
	g_assert_cmpuint(iot_profile_tunnel_get_destination_client_type(tunnel), ==, 2);
	g_assert_cmpuint(iot_profile_tunnel_get_max_connections(tunnel), ==, 65535);
	g_assert_cmpuint(iot_profile_tunnel_get_reconnect_delay_ms(tunnel), ==, 100);
	g_assert_cmpuint(iot_profile_tunnel_get_reconnect_max_delay_ms(tunnel), ==, 100);
	g_assert_cmpint(iot_profile_tunnel_get_reconnect_count(tunnel), ==, 0);
	g_assert_true(iot_profile_tunnel_has_client_token(tunnel));
	g_assert_cmpint(json_object_get_int_member(settings, "ping_ms"), ==, 5000);
	g_assert_cmpstr(json_object_get_string_member(settings, "proxy"), ==, "env");

	/* the profile's order, not sorted */
	g_assert_cmpuint(services->len, ==, 2);
	g_assert_cmpstr(iot_profile_service_get_id(g_ptr_array_index(services, 0)), ==, "b");
	g_assert_cmpstr(iot_profile_service_get_endpoint(g_ptr_array_index(services, 0)),
			==,
			"unix");
	g_assert_cmpstr(iot_profile_service_get_id(g_ptr_array_index(services, 1)), ==, "a:1");
}

static void
iot_profile_test_limits(void)
{
	const gchar *protocols[] = {"v1", "v2", "v3"};
	g_autofree gchar *name64 = g_strnfill(64, 'n');
	g_autofree gchar *id128 = g_strnfill(128, 'i');
	g_autofree gchar *id129 = g_strnfill(129, 'i');
	g_autofree gchar *text = NULL;
	g_autoptr(IotProfileTunnel) tunnel = NULL;
	g_autoptr(IotProfile) profile = NULL;
	g_autoptr(GError) error = NULL;

	text =
	    g_strdup_printf("{'name': '%s', 'mode': 'source', 'service': {'region': 'us-east-1'},"
			    " 'max_connections': 1, 'services': {'%s': {'endpoint': 'tcp'}}}",
			    name64,
			    id128);
	tunnel = iot_profile_test_load_tunnel(text);
	g_assert_cmpstr(iot_profile_tunnel_get_name(tunnel), ==, name64);
	g_assert_cmpuint(iot_profile_tunnel_get_max_connections(tunnel), ==, 1);
	g_assert_false(iot_profile_tunnel_has_access_token(tunnel));
	g_clear_object(&tunnel);

	/* a first delay above the default cap raises the cap with it */
	tunnel = iot_profile_test_load_tunnel(
	    "{'name': 'a', 'mode': 'source', 'service': {'region': 'us-east-1'},"
	    " 'reconnect': {'delay_ms': 3600000, 'count': 1000000},"
	    " 'services': {'': {'endpoint': 'tcp'}}}");
	g_assert_cmpuint(iot_profile_tunnel_get_reconnect_delay_ms(tunnel), ==, 3600000);
	g_assert_cmpuint(iot_profile_tunnel_get_reconnect_max_delay_ms(tunnel), ==, 3600000);
	g_assert_cmpint(iot_profile_tunnel_get_reconnect_count(tunnel), ==, 1000000);
	g_clear_object(&tunnel);
	g_clear_pointer(&text, g_free);

	text =
	    g_strdup_printf("{'tunnels': [{'name': 'a', 'mode': 'source', 'service': "
			    "{'region': 'us-east-1'}, 'services': {'%s': {'endpoint': 'tcp'}}}]}",
			    id129);
	profile = iot_profile_test_load(text, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_INVALID);
	g_assert_null(profile);
	g_assert_true(g_str_has_prefix(error->message, "site.json: $.tunnels[0].services.iiii"));
	g_assert_true(
	    g_str_has_suffix(error->message,
			     "i is not a valid service ID; use 1 to 128 letters, digits, "
			     "\"_\", \":\" or \"-\", or \"\" for a single unnamed service."));

	for (guint i = 0; i < G_N_ELEMENTS(protocols); i++) {
		g_clear_pointer(&text, g_free);
		g_clear_object(&tunnel);
		text =
		    g_strdup_printf("{'name': 'a', 'mode': 'source', 'service': {'region': "
				    "'us-east-1'}, 'protocol': '%s', 'services': {'': {'endpoint': "
				    "'tcp'}}}",
				    protocols[i]);
		tunnel = iot_profile_test_load_tunnel(text);
		g_assert_cmpuint(iot_profile_tunnel_get_protocol(tunnel), ==, i + 1);
	}
}

static void
iot_profile_test_unnamed(void)
{
	g_autoptr(IotProfileTunnel) tunnel = iot_profile_test_load_tunnel(
	    "{'name': 'a', 'mode': 'destination', 'service': {'region': 'us-east-1'},"
	    " 'services': {'': {'endpoint': 'tcp', 'address': '22'}}}");
	GPtrArray *services = iot_profile_tunnel_get_services(tunnel);

	g_assert_cmpuint(services->len, ==, 1);
	g_assert_cmpstr(iot_profile_service_get_id(g_ptr_array_index(services, 0)), ==, "");
	g_assert_cmpstr(iot_profile_service_get_endpoint(g_ptr_array_index(services, 0)),
			==,
			"tcp");
}

typedef struct {
	const gchar *service;
	const gchar *mode;
	const gchar *tunnel_url;
} IotProfileUrlCase;

static void
iot_profile_test_urls(void)
{
	const IotProfileUrlCase cases[] = {
	    {"{'region': 'us-east-1'}",
	     "source",
	     "wss://data.tunneling.iot.us-east-1.amazonaws.com:443/tunnel?local-proxy-mode=source"},
	    {"{'region': 'cn-north-1'}",
	     "destination",
	     "wss://data.tunneling.iot.cn-north-1.amazonaws.com.cn:443"
	     "/tunnel?local-proxy-mode=destination"},
	    {"{'region': 'cn-northwest-1'}",
	     "source",
	     "wss://data.tunneling.iot.cn-northwest-1.amazonaws.com.cn:443"
	     "/tunnel?local-proxy-mode=source"},
	    {"{'region': 'us-gov-west-1'}",
	     "source",
	     "wss://data.tunneling.iot.us-gov-west-1.amazonaws.com:443"
	     "/tunnel?local-proxy-mode=source"},
	    {"{'region': 'ap-southeast-2'}",
	     "source",
	     "wss://data.tunneling.iot.ap-southeast-2.amazonaws.com:443"
	     "/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': 'wss://127.0.0.1:8443'}",
	     "source",
	     "wss://127.0.0.1:8443/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': 'wss://example.com/'}",
	     "source",
	     "wss://example.com:443/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': 'wss://[::1]:8443'}",
	     "source",
	     "wss://[::1]:8443/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': 'tunnel.example.com:8443'}",
	     "destination",
	     "wss://tunnel.example.com:8443/tunnel?local-proxy-mode=destination"},
	    {"{'endpoint': 'tunnel.example.com'}",
	     "source",
	     "wss://tunnel.example.com:443/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': '[2001:db8::1]:8443'}",
	     "source",
	     "wss://[2001:db8::1]:8443/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': '::1'}", "source", "wss://[::1]:443/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': 'ws://127.0.0.1:8080'}",
	     "source",
	     "ws://127.0.0.1:8080/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': 'ws://127.0.0.2'}",
	     "source",
	     "ws://127.0.0.2:80/tunnel?local-proxy-mode=source"},
	    {"{'endpoint': 'ws://localhost:1'}",
	     "destination",
	     "ws://localhost:1/tunnel?local-proxy-mode=destination"},
	    {"{'endpoint': 'ws://[::1]:65535'}",
	     "source",
	     "ws://[::1]:65535/tunnel?local-proxy-mode=source"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *text =
		    g_strdup_printf("{'name': 'a', 'mode': '%s', 'service': %s, 'services': {'': "
				    "{'endpoint': 'tcp'}}}",
				    cases[i].mode,
				    cases[i].service);
		g_autoptr(IotProfileTunnel) tunnel = iot_profile_test_load_tunnel(text);
		g_autofree gchar *base =
		    g_strndup(cases[i].tunnel_url,
			      strstr(cases[i].tunnel_url, "/tunnel?") - cases[i].tunnel_url);
		g_assert_cmpstr(iot_profile_tunnel_get_tunnel_url(tunnel), ==, cases[i].tunnel_url);
		g_assert_cmpstr(iot_profile_tunnel_get_base_url(tunnel), ==, base);
	}
}

static void
iot_profile_test_examples(void)
{
	const gchar *names[] = {"destination-ssh.json", "source-multi.json"};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *path =
		    g_test_build_filename(G_TEST_DIST, "data", "examples", names[i], NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(IotProfile) profile = iot_profile_new_from_file(path, &error);
		GPtrArray *tunnels;
		GPtrArray *services;
		IotProfileTunnel *tunnel;

		g_assert_no_error(error);
		g_assert_nonnull(profile);
		g_assert_cmpstr(iot_profile_get_origin(profile), ==, path);
		tunnels = iot_profile_get_tunnels(profile);
		g_assert_cmpuint(tunnels->len, ==, 1);
		tunnel = g_ptr_array_index(tunnels, 0);
		services = iot_profile_tunnel_get_services(tunnel);
		g_assert_cmpuint(iot_profile_tunnel_get_protocol(tunnel), ==, 3);
		g_assert_true(iot_profile_tunnel_has_access_token(tunnel));
		g_assert_cmpuint(services->len, ==, 2);
		g_assert_cmpstr(iot_profile_service_get_id(g_ptr_array_index(services, 0)),
				==,
				"SSH1");
		g_assert_cmpstr(iot_profile_service_get_id(g_ptr_array_index(services, 1)),
				==,
				"HTTP1");
		if (i == 0) {
			g_assert_cmpint(iot_profile_tunnel_get_mode(tunnel),
					==,
					IOT_TUNNEL_MODE_DESTINATION);
			g_assert_cmpstr(
			    iot_profile_service_get_endpoint(g_ptr_array_index(services, 1)),
			    ==,
			    "unix");
			g_assert_true(iot_profile_tunnel_has_client_token(tunnel));
			g_assert_cmpuint(iot_profile_tunnel_get_reconnect_max_delay_ms(tunnel),
					 ==,
					 60000);
		} else {
			g_assert_cmpint(iot_profile_tunnel_get_mode(tunnel),
					==,
					IOT_TUNNEL_MODE_SOURCE);
			g_assert_nonnull(iot_profile_tunnel_get_region(tunnel));
		}
	}
}

/* every JSON file in data/ parses: the schema and the examples */
static void
iot_profile_test_data_files(void)
{
	const gchar *files[] = {"iotunnel-profile.schema.json",
				"examples/destination-ssh.json",
				"examples/source-multi.json"};

	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "data", files[i], NULL);
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autoptr(GError) error = NULL;

		g_assert_true(json_parser_load_from_file(parser, path, &error));
		g_assert_no_error(error);
		g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
	}
}

static void
iot_profile_test_file_errors(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("iot-profile-XXXXXX", NULL);
	g_autofree gchar *bad = g_build_filename(dir, "bad.json", NULL);
	g_autofree gchar *big = g_build_filename(dir, "big.json", NULL);
	g_autofree gchar *big_text = g_strnfill(IOT_PROFILE_FILE_MAX + 1, ' ');
	g_autofree gchar *expected = NULL;
	g_autoptr(IotProfile) profile = NULL;
	g_autoptr(GError) error = NULL;

	profile = iot_profile_new_from_file("no-such-dir/site.json", &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_NOT_FOUND);
	g_assert_cmpstr(error->message,
			==,
			"no-such-dir/site.json: the file does not exist; check the path.");
	g_clear_error(&error);

	profile = iot_profile_new_from_file(dir, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_PARSE);
	expected = g_strdup_printf("%s: the file cannot be read (Is a directory); check the path "
				   "and its permissions.",
				   dir);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);

	g_assert_true(g_file_set_contents(bad, "{\"tunnels\": [\n  1,\n]}", -1, NULL));
	profile = iot_profile_new_from_file(bad, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_PARSE);
	expected = g_strdup_printf("%s:2:4: the JSON is not valid (unexpected character `,', "
				   "expected character `]'); fix the syntax.",
				   bad);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);

	g_assert_true(g_file_set_contents(bad, "{\"tunnels\": [\"\xff\"]}", -1, NULL));
	profile = iot_profile_new_from_file(bad, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_PARSE);
	expected = g_strdup_printf("%s: the JSON is not valid (JSON data must be UTF-8 encoded); "
				   "fix it.",
				   bad);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);

	g_assert_true(g_file_set_contents(big, big_text, -1, NULL));
	profile = iot_profile_new_from_file(big, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_PARSE);
	expected = g_strdup_printf("%s: the file is larger than 1 MiB; give a profile of at most "
				   "1 MiB.",
				   big);
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_null(profile);

	g_assert_cmpint(g_unlink(bad), ==, 0);
	g_assert_cmpint(g_unlink(big), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
iot_profile_test_json_node(void)
{
	g_autoptr(JsonNode) node = iot_profile_test_parse("{'tunnels': [" BASE_TUNNEL "]}");
	g_autoptr(GError) error = NULL;
	g_autoptr(IotProfile) profile =
	    iot_profile_new_from_json_node(node, "command line", &error);
	JsonObject *tunnel_object;
	JsonObject *service_settings;
	IotProfileTunnel *tunnel;

	g_assert_no_error(error);
	g_assert_cmpstr(iot_profile_get_origin(profile), ==, "command line");

	/* the caller's tree may change afterwards: the profile holds its own copy */
	tunnel_object = json_array_get_object_element(
	    json_object_get_array_member(json_node_get_object(node), "tunnels"),
	    0);
	json_object_set_string_member(
	    json_object_get_object_member(json_object_get_object_member(tunnel_object, "services"),
					  "SSH1"),
	    "address",
	    "changed:1");
	tunnel = g_ptr_array_index(iot_profile_get_tunnels(profile), 0);
	service_settings = iot_profile_service_get_settings(
	    g_ptr_array_index(iot_profile_tunnel_get_services(tunnel), 0));
	g_assert_cmpstr(json_object_get_string_member(service_settings, "address"),
			==,
			"localhost:22");

	/* errors name the origin the caller gave */
	json_object_set_string_member(tunnel_object, "protocol", "v9");
	g_clear_object(&profile);
	profile = iot_profile_new_from_json_node(node, "command line", &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_INVALID);
	g_assert_cmpstr(error->message,
			==,
			"command line: $.tunnels[0].protocol is \"v9\"; set it to \"v1\", \"v2\" "
			"or \"v3\".");
}

static IotProfileTunnel *
iot_profile_test_token_tunnel(const gchar *key, const gchar *source)
{
	g_autofree gchar *text = g_strdup_printf(
	    "{'name': 'a', 'mode': 'source', 'service': {'region': 'us-east-1'}, '%s': %s, "
	    "'services': {'': {'endpoint': 'tcp'}}}",
	    key,
	    source);
	return iot_profile_test_load_tunnel(text);
}

static void
iot_profile_test_token_env(void)
{
	g_autoptr(IotProfileTunnel) tunnel =
	    iot_profile_test_token_tunnel("access_token", "{'env': 'IOT_TEST_ACCESS_TOKEN'}");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *token = NULL;

	g_assert_true(g_setenv("IOT_TEST_ACCESS_TOKEN", "AQGAAXi-secret.token/+=", TRUE));
	token = iot_profile_tunnel_read_access_token(tunnel, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(token, ==, "AQGAAXi-secret.token/+=");
	g_clear_pointer(&token, g_free);

	/* read at call time, not at load time */
	g_assert_true(g_setenv("IOT_TEST_ACCESS_TOKEN", "second", TRUE));
	token = iot_profile_tunnel_read_access_token(tunnel, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(token, ==, "second");
	g_clear_pointer(&token, g_free);

	g_assert_true(g_setenv("IOT_TEST_ACCESS_TOKEN", "secret token", TRUE));
	token = iot_profile_tunnel_read_access_token(tunnel, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_null(token);
	g_assert_cmpstr(error->message,
			==,
			"site.json: $.tunnels[0].access_token.env names IOT_TEST_ACCESS_TOKEN, "
			"whose value holds a space, a control or a non-ASCII character; give the "
			"token exactly as it was issued.");
	g_clear_error(&error);

	g_assert_true(g_setenv("IOT_TEST_ACCESS_TOKEN", "", TRUE));
	token = iot_profile_tunnel_read_access_token(tunnel, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_cmpstr(error->message,
			==,
			"site.json: $.tunnels[0].access_token.env names IOT_TEST_ACCESS_TOKEN, "
			"which is empty; export the token in it or give the token another way.");
	g_clear_error(&error);

	g_unsetenv("IOT_TEST_ACCESS_TOKEN");
	token = iot_profile_tunnel_read_access_token(tunnel, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_cmpstr(error->message,
			==,
			"site.json: $.tunnels[0].access_token.env names IOT_TEST_ACCESS_TOKEN, "
			"which is not set; export it or give the token another way.");
}

static void
iot_profile_test_token_value(void)
{
	g_autoptr(IotProfileTunnel) plain = iot_profile_test_token_tunnel("access_token", "'tok1'");
	g_autoptr(IotProfileTunnel) value =
	    iot_profile_test_token_tunnel("access_token", "{'value': 'tok2'}");
	g_autoptr(IotProfileTunnel) none = iot_profile_test_token_tunnel("max_connections", "1");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *token1 = iot_profile_tunnel_read_access_token(plain, &error);
	g_autofree gchar *token2 = NULL;
	g_autofree gchar *token3 = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(token1, ==, "tok1");
	token2 = iot_profile_tunnel_read_access_token(value, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(token2, ==, "tok2");

	g_assert_false(iot_profile_tunnel_has_access_token(none));
	token3 = iot_profile_tunnel_read_access_token(none, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_null(token3);
	g_assert_cmpstr(error->message,
			==,
			"site.json: $.tunnels[0].access_token is missing; set it to " TOKEN_SHAPES
			".");
	g_clear_error(&error);
	token3 = iot_profile_tunnel_read_client_token(none, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_cmpstr(error->message,
			==,
			"site.json: $.tunnels[0].client_token is missing; set it to " TOKEN_SHAPES
			".");
}

typedef struct {
	const gchar *contents;
	gint mode;
	const gchar *token; /* or NULL, then the error's end */
} IotProfileFileCase;

static void
iot_profile_test_token_file(void)
{
	const IotProfileFileCase cases[] = {
	    {"secret-token\n", 0600, "secret-token"},
	    {"secret-token\r\n", 0600, "secret-token"},
	    {"secret-token", 0644, "secret-token"},
	    {"secret-token\n",
	     0666,
	     "which anyone can change; remove write permission for others "
	     "(chmod o-w)."},
	    {"\n", 0600, "which is empty; write the token into it."},
	    {"secret token\n",
	     0600,
	     "whose token holds a space, a control or a non-ASCII character; "
	     "write only the token into it."},
	    {"secret\ntoken\n",
	     0600,
	     "whose token holds a space, a control or a non-ASCII character; "
	     "write only the token into it."},
	};
	g_autofree gchar *dir = g_dir_make_tmp("iot-profile-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "token", NULL);
	g_autofree gchar *source = g_strdup_printf("{'file': '%s'}", path);
	g_autofree gchar *prefix =
	    g_strdup_printf("site.json: $.tunnels[0].access_token.file names %s, ", path);
	g_autofree gchar *big = g_strnfill(8193, 'x');
	g_autofree gchar *fifo = g_build_filename(dir, "fifo", NULL);
	g_autofree gchar *fifo_source = g_strdup_printf("{'file': '%s'}", fifo);
	g_autofree gchar *missing_source = g_strdup_printf("{'file': '%s/missing'}", dir);
	g_autofree gchar *notdir_source = g_strdup_printf("{'file': '%s/x'}", path);
	g_autoptr(IotProfileTunnel) tunnel = iot_profile_test_token_tunnel("access_token", source);
	g_autoptr(IotProfileTunnel) other = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *token = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_assert_true(g_file_set_contents(path, cases[i].contents, -1, NULL));
		g_assert_cmpint(g_chmod(path, cases[i].mode), ==, 0);
		token = iot_profile_tunnel_read_access_token(tunnel, &error);
		if (g_str_has_prefix(cases[i].token, "secret")) {
			g_assert_no_error(error);
			g_assert_cmpstr(token, ==, cases[i].token);
		} else {
			expected = g_strconcat(prefix, cases[i].token, NULL);
			g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
			g_assert_null(token);
			g_assert_cmpstr(error->message, ==, expected);
			g_assert_null(strstr(error->message, "secret"));
			g_clear_error(&error);
			g_clear_pointer(&expected, g_free);
		}
		g_clear_pointer(&token, g_free);
	}

	g_assert_true(g_file_set_contents(path, big, -1, NULL));
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
	token = iot_profile_tunnel_read_access_token(tunnel, &error);
	expected = g_strconcat(prefix,
			       "which is larger than 8 KiB; give a file that holds only the token.",
			       NULL);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);

	/* a directory and a FIFO are refused without blocking */
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	other = iot_profile_test_token_tunnel("access_token", fifo_source);
	token = iot_profile_tunnel_read_access_token(other, &error);
	expected =
	    g_strdup_printf("site.json: $.tunnels[0].access_token.file names %s, which is not "
			    "a regular file; give a file that holds only the token.",
			    fifo);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);
	g_clear_object(&other);

	other = iot_profile_test_token_tunnel("access_token", missing_source);
	token = iot_profile_tunnel_read_access_token(other, &error);
	expected = g_strdup_printf("site.json: $.tunnels[0].access_token.file names %s/missing, "
				   "which cannot be read (No such file or directory); check the "
				   "path and its permissions.",
				   dir);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);
	g_clear_object(&other);

	other = iot_profile_test_token_tunnel("access_token", notdir_source);
	token = iot_profile_tunnel_read_access_token(other, &error);
	expected = g_strdup_printf("site.json: $.tunnels[0].access_token.file names %s/x, which "
				   "cannot be read (Not a directory); check the path and its "
				   "permissions.",
				   path);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_null(token);

	g_assert_cmpint(g_unlink(fifo), ==, 0);
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
iot_profile_test_client_token(void)
{
	g_autofree gchar *max = g_strnfill(128, 'c');
	g_autofree gchar *too_long = g_strnfill(129, 'c');
	g_autofree gchar *max_source = g_strdup_printf("'%s'", max);
	g_autofree gchar *too_long_source = g_strdup_printf("'%s'", too_long);
	g_autoptr(IotProfileTunnel) value =
	    iot_profile_test_token_tunnel("client_token", "'" CLIENT_TOKEN "'");
	g_autoptr(IotProfileTunnel) longest =
	    iot_profile_test_token_tunnel("client_token", max_source);
	g_autoptr(IotProfileTunnel) env =
	    iot_profile_test_token_tunnel("client_token", "{'env': 'IOT_TEST_CLIENT_TOKEN'}");
	g_autoptr(IotProfile) profile = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *token = NULL;
	g_autofree gchar *text = NULL;

	token = iot_profile_tunnel_read_client_token(value, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(token, ==, CLIENT_TOKEN);
	g_clear_pointer(&token, g_free);
	token = iot_profile_tunnel_read_client_token(longest, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(token, ==, max);
	g_clear_pointer(&token, g_free);

	text = g_strdup_printf("{'tunnels': [{'name': 'a', 'mode': 'source', 'service': {'region': "
			       "'us-east-1'}, 'client_token': %s, 'services': {'': {'endpoint': "
			       "'tcp'}}}]}",
			       too_long_source);
	profile = iot_profile_test_load(text, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_INVALID);
	g_assert_null(profile);
	g_assert_null(strstr(error->message, too_long));
	g_clear_error(&error);

	/* 31 characters: one short */
	g_assert_true(g_setenv("IOT_TEST_CLIENT_TOKEN", "0123456789012345678901234567890", TRUE));
	token = iot_profile_tunnel_read_client_token(env, &error);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_TOKEN);
	g_assert_null(token);
	g_assert_cmpstr(
	    error->message,
	    ==,
	    "site.json: $.tunnels[0].client_token.env names IOT_TEST_CLIENT_TOKEN, whose "
	    "value is not 32 to 128 letters, digits or \"-\"; give a client token of that "
	    "form.");
	g_clear_error(&error);

	g_assert_true(g_setenv("IOT_TEST_CLIENT_TOKEN", CLIENT_TOKEN, TRUE));
	token = iot_profile_tunnel_read_client_token(env, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(token, ==, CLIENT_TOKEN);
	g_unsetenv("IOT_TEST_CLIENT_TOKEN");
}

static gchar *
iot_profile_test_to_string(IotProfile *profile, gboolean include_secrets)
{
	g_autoptr(JsonNode) node = iot_profile_to_json(profile, include_secrets);
	return json_to_string(node, TRUE);
}

static void
iot_profile_test_round_trip(void)
{
	const gchar *text =
	    "{'tunnels': ["
	    "{'name': 'one', 'mode': 'source', 'service': {'endpoint': '[::1]:8443'},"
	    " 'access_token': 'secret-inline', 'client_token': {'file': '/run/client'},"
	    " 'protocol': 'v3', 'destination_client_type': 'v1',"
	    " 'transport': {'ping_ms': 5000, 'nested': {'list': [1, 2.5, true, null, 'x']}},"
	    " 'max_connections': 7, 'reconnect': {'delay_ms': 50, 'count': 3},"
	    " 'services': {'SSH1': {'endpoint': 'tcp', 'address': '5555'},"
	    "              'odd:id-1': {'endpoint': 'unix', 'path': '/run/a.sock'}}},"
	    "{'name': 'two', 'mode': 'destination', 'service': {'region': 'cn-north-1'},"
	    " 'access_token': {'env': 'IOT_TEST_ACCESS_TOKEN'},"
	    " 'client_token': {'value': '" CLIENT_TOKEN "'}, 'protocol': 'v1',"
	    " 'services': {'': {'endpoint': 'tcp', 'address': '22'}}}]}";
	g_autoptr(GError) error = NULL;
	g_autoptr(IotProfile) profile = iot_profile_test_load(text, &error);
	g_autoptr(IotProfile) again = NULL;
	g_autoptr(IotProfile) public = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(JsonNode) node_again = NULL;
	g_autoptr(JsonNode) node_public = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *json_public = NULL;
	IotProfileTunnel *tunnel;

	g_assert_no_error(error);
	node = iot_profile_to_json(profile, TRUE);
	json = iot_profile_test_to_string(profile, TRUE);
	again = iot_profile_new_from_data(json, strlen(json), "round trip", &error);
	g_assert_no_error(error);
	node_again = iot_profile_to_json(again, TRUE);
	g_assert_true(json_node_equal(node, node_again));

	/* the written JSON is what was read, with the defaults filled in */
	tunnel = g_ptr_array_index(iot_profile_get_tunnels(again), 1);
	g_assert_cmpuint(iot_profile_tunnel_get_protocol(tunnel), ==, 1);
	g_assert_cmpuint(iot_profile_tunnel_get_max_connections(tunnel), ==, 128);
	g_assert_cmpstr(iot_profile_tunnel_get_base_url(tunnel),
			==,
			"wss://data.tunneling.iot.cn-north-1.amazonaws.com.cn:443");
	tunnel = g_ptr_array_index(iot_profile_get_tunnels(again), 0);
	g_assert_cmpstr(iot_profile_tunnel_get_base_url(tunnel), ==, "wss://[::1]:8443");
	g_assert_cmpuint(iot_profile_tunnel_get_destination_client_type(tunnel), ==, 1);
	g_assert_cmpuint(iot_profile_tunnel_get_reconnect_delay_ms(tunnel), ==, 50);
	g_assert_cmpuint(iot_profile_tunnel_get_reconnect_max_delay_ms(tunnel), ==, 30000);
	g_assert_cmpint(iot_profile_tunnel_get_reconnect_count(tunnel), ==, 3);
	g_assert_cmpstr(iot_profile_tunnel_get_transport_type(tunnel), ==, "websocket");
	g_assert_cmpstr(iot_profile_service_get_id(
			    g_ptr_array_index(iot_profile_tunnel_get_services(tunnel), 1)),
			==,
			"odd:id-1");
	g_assert_nonnull(strstr(json, "\"value\" : \"secret-inline\""));

	/* without secrets: sources stay, inline tokens go, and it still loads */
	json_public = iot_profile_test_to_string(profile, FALSE);
	g_assert_null(strstr(json_public, "secret"));
	g_assert_null(strstr(json_public, CLIENT_TOKEN));
	g_assert_nonnull(strstr(json_public, "IOT_TEST_ACCESS_TOKEN"));
	g_assert_nonnull(strstr(json_public, "/run/client"));
	public = iot_profile_new_from_data(json_public, strlen(json_public), "D-Bus", &error);
	g_assert_no_error(error);
	tunnel = g_ptr_array_index(iot_profile_get_tunnels(public), 0);
	g_assert_false(iot_profile_tunnel_has_access_token(tunnel));
	g_assert_true(iot_profile_tunnel_has_client_token(tunnel));
	tunnel = g_ptr_array_index(iot_profile_get_tunnels(public), 1);
	g_assert_true(iot_profile_tunnel_has_access_token(tunnel));
	g_assert_false(iot_profile_tunnel_has_client_token(tunnel));
	node_public = iot_profile_to_json(public, TRUE);
	g_assert_false(json_node_equal(node, node_public));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/profile/bad/%s", bad_cases[i].name);
		g_test_add_data_func(path, &bad_cases[i], iot_profile_test_bad);
	}
	g_test_add_func("/iotunnel/profile/defaults", iot_profile_test_defaults);
	g_test_add_func("/iotunnel/profile/explicit", iot_profile_test_explicit);
	g_test_add_func("/iotunnel/profile/limits", iot_profile_test_limits);
	g_test_add_func("/iotunnel/profile/unnamed-service", iot_profile_test_unnamed);
	g_test_add_func("/iotunnel/profile/service-urls", iot_profile_test_urls);
	g_test_add_func("/iotunnel/profile/examples", iot_profile_test_examples);
	g_test_add_func("/iotunnel/profile/data-files", iot_profile_test_data_files);
	g_test_add_func("/iotunnel/profile/file-errors", iot_profile_test_file_errors);
	g_test_add_func("/iotunnel/profile/json-node", iot_profile_test_json_node);
	g_test_add_func("/iotunnel/profile/token-env", iot_profile_test_token_env);
	g_test_add_func("/iotunnel/profile/token-value", iot_profile_test_token_value);
	g_test_add_func("/iotunnel/profile/token-file", iot_profile_test_token_file);
	g_test_add_func("/iotunnel/profile/client-token", iot_profile_test_client_token);
	g_test_add_func("/iotunnel/profile/round-trip", iot_profile_test_round_trip);
	return g_test_run();
}

/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The reference-style command line, --config file, --config-dir files,
 * --settings-json and environment, turned into a profile by the same
 * functions iotunneld calls. Every case runs in a fresh folder that is also
 * the working directory, so that paths in messages are short and ./config
 * is the test's own.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "iot-cli-help.h"
#include "iot-cli-settings.h"
#include "iot-cli.h"
#include "iot-log.h"

#define CLIENT_TOKEN "0123456789abcdef-0123456789ABCDEF"
#define TOKEN_ENV "AWSIOT_TUNNEL_ACCESS_TOKEN=env-token"

/* the parts of an expected profile that most cases share; ' stands for " */
#define ENV_TOKEN "'access_token': {'env': 'AWSIOT_TUNNEL_ACCESS_TOKEN'}"
#define TRANSPORT "'transport': {'type': 'websocket', 'ping_ms': 20000}"
#define DEFAULTS "'protocol': 'v3', " TRANSPORT ", 'max_connections': 128"
#define RETRIES "'retry_count': 5, 'retry_delay_ms': 2500"
#define SOURCE(service, services)                                                                  \
	"{'name': 'default', 'mode': 'source', 'service': " service ", " ENV_TOKEN ", " DEFAULTS   \
	", 'services': " services "}"
#define DESTINATION(service, services)                                                             \
	"{'name': 'default', 'mode': 'destination', 'service': " service ", " ENV_TOKEN            \
	", " DEFAULTS ", 'services': " services "}"
#define REGION "{'region': 'us-east-1'}"
#define HOST "{'endpoint': 'tunnel.test'}"
#define ONE_PORT(port) "{'': {'endpoint': 'tcp', 'address': '" port "', 'bind': 'localhost'}}"
#define ONE_APP(address) "{'': {'endpoint': 'tcp', 'address': '" address "', " RETRIES "}}"

#define NOT_AN_ADDRESS_DST                                                                         \
	"which is not PORT, HOST:PORT, [IPV6]:PORT or a socket path; write for example 22, "       \
	"localhost:22 or [::1]:22."

typedef struct {
	const gchar *name;
	const gchar *args;     /* shell words after the program's name */
	const gchar *env;      /* NAME=VALUE lines: the whole environment */
	const gchar *files[9]; /* path, contents, path, contents..., in the case's folder */
	const gchar *expected; /* the tunnel of the profile, ' for ", or NULL */
	const gchar *error;    /* or: the message, word for word */
} IotCliCase;

static const IotCliCase cli_cases[] = {
    /* the reference's own command lines */
    {"reference/destination",
     "-r us-east-1 -d 22",
     TOKEN_ENV,
     {NULL},
     DESTINATION(REGION, ONE_APP("22")),
     NULL},
    {"reference/source",
     "-r us-east-1 -s 5555",
     TOKEN_ENV,
     {NULL},
     SOURCE(REGION, ONE_PORT("5555")),
     NULL},
    {"reference/same-port-other-hosts",
     "-e tunnel.test -s SSH1=127.0.0.1:5555,HTTP1=127.0.0.2:5555,WEB=0,API=0",
     TOKEN_ENV,
     {NULL},
     SOURCE(HOST,
	    "{'SSH1': {'endpoint': 'tcp', 'address': '127.0.0.1:5555'}, "
	    "'HTTP1': {'endpoint': 'tcp', 'address': '127.0.0.2:5555'}, "
	    "'WEB': {'endpoint': 'tcp', 'address': '0', 'bind': 'localhost'}, "
	    "'API': {'endpoint': 'tcp', 'address': '0', 'bind': 'localhost'}}"),
     NULL},
    {"reference/same-port-destinations",
     "-e tunnel.test -d SSH1=22,SSH2=22",
     TOKEN_ENV,
     {NULL},
     DESTINATION(HOST,
		 "{'SSH1': {'endpoint': 'tcp', 'address': '22', " RETRIES "}, "
		 "'SSH2': {'endpoint': 'tcp', 'address': '22', " RETRIES "}}"),
     NULL},
    {"reference/destination-host",
     "-r us-east-1 -d localhost:22",
     TOKEN_ENV,
     {NULL},
     DESTINATION(REGION, ONE_APP("localhost:22")),
     NULL},
    {"reference/multi-source",
     "-e tunnel.test -s SSH1=5555,HTTP1=8080",
     TOKEN_ENV,
     {NULL},
     SOURCE(HOST,
	    "{'SSH1': {'endpoint': 'tcp', 'address': '5555', 'bind': 'localhost'}, "
	    "'HTTP1': {'endpoint': 'tcp', 'address': '8080', 'bind': 'localhost'}}"),
     NULL},
    {"reference/multi-destination",
     "-e tunnel.test -d ' SSH1 = 10.0.0.1:22 ,, WEB=/run/web.sock,'",
     TOKEN_ENV,
     {NULL},
     DESTINATION(HOST,
		 "{'SSH1': {'endpoint': 'tcp', 'address': '10.0.0.1:22', " RETRIES "}, "
		 "'WEB': {'endpoint': 'unix', 'path': '/run/web.sock', " RETRIES "}}"),
     NULL},
    {"reference/mode-source-without-ports",
     "-e tunnel.test -m src",
     TOKEN_ENV,
     {NULL},
     SOURCE(HOST, ONE_PORT("0")),
     NULL},
    {"reference/mode-agrees",
     "-e tunnel.test -m destination -d 22",
     TOKEN_ENV,
     {NULL},
     DESTINATION(HOST, ONE_APP("22")),
     NULL},
    {"reference/endpoint-port",
     "-e data.tunneling.iot.us-east-1.amazonaws.com:443 -d 22",
     TOKEN_ENV,
     {NULL},
     DESTINATION("{'endpoint': 'data.tunneling.iot.us-east-1.amazonaws.com:443'}", ONE_APP("22")),
     NULL},
    {"reference/region-china",
     "-r cn-north-1 -d 22",
     TOKEN_ENV,
     {NULL},
     DESTINATION("{'region': 'cn-north-1'}", ONE_APP("22")),
     NULL},
    {"reference/region-not-in-profiles",
     "-r us-iso-east-1 -d 22",
     TOKEN_ENV,
     {NULL},
     DESTINATION("{'endpoint': 'data.tunneling.iot.us-iso-east-1.amazonaws.com'}", ONE_APP("22")),
     NULL},
    {"reference/region-china-without-override",
     "-r cn-south-1 -d 22",
     TOKEN_ENV,
     {NULL},
     DESTINATION("{'endpoint': 'data.tunneling.iot.cn-south-1.amazonaws.com'}", ONE_APP("22")),
     NULL},
    {"reference/tls-options",
     "-e tunnel.test -d 22 -c . -k",
     TOKEN_ENV,
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " HOST ", " ENV_TOKEN
     ", 'protocol': 'v3', 'transport': {'type': 'websocket', 'ca_path': '.', 'insecure': true, "
     "'ping_ms': 20000}, 'max_connections': 128, 'services': " ONE_APP("22") "}",
     NULL},
    {"reference/destination-client-type",
     "-e tunnel.test -s 5555 -y v2",
     TOKEN_ENV,
     {NULL},
     "{'name': 'default', 'mode': 'source', 'service': " HOST ", " ENV_TOKEN
     ", 'protocol': 'v3', 'destination_client_type': 'v2', " TRANSPORT
     ", 'max_connections': 128, 'services': " ONE_PORT("5555") "}",
     NULL},
    {"reference/destination-client-type-v3",
     "-e tunnel.test -s 5555 -y V3",
     TOKEN_ENV,
     {NULL},
     SOURCE(HOST, ONE_PORT("5555")),
     NULL},
    {"reference/bind-destination",
     "-e tunnel.test -d 22 -b 192.0.2.1",
     TOKEN_ENV,
     {NULL},
     DESTINATION(HOST,
		 "{'': {'endpoint': 'tcp', 'address': '22', 'bind': '192.0.2.1', " RETRIES "}}"),
     NULL},
    {"reference/bind-not-for-source-host",
     "-e tunnel.test -s 127.0.0.2:5555 -b 127.0.0.1",
     TOKEN_ENV,
     {NULL},
     SOURCE(HOST, "{'': {'endpoint': 'tcp', 'address': '127.0.0.2:5555'}}"),
     NULL},
    {"reference/source-socket",
     "-e tunnel.test -s ./app.sock",
     TOKEN_ENV,
     {NULL},
     SOURCE(HOST, "{'': {'endpoint': 'unix', 'path': './app.sock'}}"),
     NULL},

    /* IPv6 literals everywhere */
    {"ipv6/endpoint-and-app",
     "-e [::1]:8443 -d [::1]:22",
     TOKEN_ENV,
     {NULL},
     DESTINATION("{'endpoint': '[::1]:8443'}", ONE_APP("[::1]:22")),
     NULL},
    {"ipv6/bare-endpoint-and-bind",
     "-e ::1 -s 5555 -b ::1",
     TOKEN_ENV,
     {NULL},
     SOURCE("{'endpoint': '::1'}", "{'': {'endpoint': 'tcp', 'address': '5555', 'bind': '::1'}}"),
     NULL},
    {"ipv6/bind-in-brackets",
     "-e wss://[::1]:8443/ -s SSH1=[::1]:5555,WEB=5556 -b [::1]",
     TOKEN_ENV,
     {NULL},
     SOURCE("{'endpoint': 'wss://[::1]:8443/'}",
	    "{'SSH1': {'endpoint': 'tcp', 'address': '[::1]:5555'}, "
	    "'WEB': {'endpoint': 'tcp', 'address': '5556', 'bind': '::1'}}"),
     NULL},
    {"ipv6/plain-loopback",
     "-e ws://[::1]:8080 -d SSH1=[2001:db8::1]:22",
     TOKEN_ENV,
     {NULL},
     DESTINATION("{'endpoint': 'ws://[::1]:8080'}",
		 "{'SSH1': {'endpoint': 'tcp', 'address': '[2001:db8::1]:22', " RETRIES "}}"),
     NULL},

    /* how options are written */
    {"syntax/short-values-attached",
     "-rus-east-1 -d22 -kv5",
     TOKEN_ENV,
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " REGION ", " ENV_TOKEN
     ", 'protocol': 'v3', 'transport': {'type': 'websocket', 'insecure': true, 'ping_ms': "
     "20000}, 'max_connections': 128, 'services': " ONE_APP("22") "}",
     NULL},
    {"syntax/long-equals",
     "--region=us-east-1 --destination-app=22 --verbose=3",
     TOKEN_ENV,
     {NULL},
     DESTINATION(REGION, ONE_APP("22")),
     NULL},
    {"syntax/long-unambiguous-start",
     "--reg us-east-1 --destination-a 22 --verb 3",
     TOKEN_ENV,
     {NULL},
     DESTINATION(REGION, ONE_APP("22")),
     NULL},
    {"syntax/token-on-command-line",
     "-t arg-token -r us-east-1 -d 22",
     NULL,
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " REGION
     ", 'access_token': {'value': 'arg-token'}, " DEFAULTS ", 'services': " ONE_APP("22") "}",
     NULL},
    {"syntax/client-token",
     "-i " CLIENT_TOKEN " --access-token=arg-token -r us-east-1 -d 22",
     NULL,
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " REGION
     ", 'access_token': {'value': 'arg-token'}, 'client_token': {'value': '" CLIENT_TOKEN
     "'}, " DEFAULTS ", 'services': " ONE_APP("22") "}",
     NULL},

    /* the environment, below everything */
    {"environment/all",
     "-d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_REGION=us-east-1\nAWSIOT_TUNNEL_CLIENT_TOKEN=" CLIENT_TOKEN,
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " REGION ", " ENV_TOKEN
     ", 'client_token': {'env': 'AWSIOT_TUNNEL_CLIENT_TOKEN'}, " DEFAULTS
     ", 'services': " ONE_APP("22") "}",
     NULL},
    {"environment/client-token-alias",
     "-e tunnel.test -d 22",
     TOKEN_ENV "\nAWSIOT_CLIENT_TOKEN=" CLIENT_TOKEN,
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " HOST ", " ENV_TOKEN
     ", 'client_token': {'env': 'AWSIOT_CLIENT_TOKEN'}, " DEFAULTS
     ", 'services': " ONE_APP("22") "}",
     NULL},
    {"environment/client-token-reference-name-wins",
     "-e tunnel.test -d 22",
     TOKEN_ENV "\nAWSIOT_CLIENT_TOKEN=not-this-one\nAWSIOT_TUNNEL_CLIENT_TOKEN=" CLIENT_TOKEN,
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " HOST ", " ENV_TOKEN
     ", 'client_token': {'env': 'AWSIOT_TUNNEL_CLIENT_TOKEN'}, " DEFAULTS
     ", 'services': " ONE_APP("22") "}",
     NULL},
    {"environment/client-token-alias-below-args",
     "-e tunnel.test -d 22 -i " CLIENT_TOKEN,
     TOKEN_ENV "\nAWSIOT_CLIENT_TOKEN=not-this-one",
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " HOST ", " ENV_TOKEN
     ", 'client_token': {'value': '" CLIENT_TOKEN "'}, " DEFAULTS
     ", 'services': " ONE_APP("22") "}",
     NULL},
    {"environment/endpoint",
     "-d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_ENDPOINT=tunnel.test",
     {NULL},
     DESTINATION(HOST, ONE_APP("22")),
     NULL},
    {"environment/empty-is-unset",
     "-e tunnel.test -d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_REGION=\nAWSIOT_TUNNEL_CLIENT_TOKEN=",
     {NULL},
     DESTINATION(HOST, ONE_APP("22")),
     NULL},

    /* precedence: command line, --config file, environment */
    {"precedence/args-over-config",
     "--config c.ini -r us-east-1",
     TOKEN_ENV,
     {"c.ini", "region = eu-west-1\ndestination-app = 22\n", NULL},
     DESTINATION(REGION, ONE_APP("22")),
     NULL},
    {"precedence/config-over-environment",
     "--config c.ini -d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_REGION=eu-west-1",
     {"c.ini", "region = us-east-1\n", NULL},
     DESTINATION(REGION, ONE_APP("22")),
     NULL},
    {"precedence/config-endpoint-over-environment-region",
     "--config c.ini -d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_REGION=eu-west-1",
     {"c.ini", "proxy-endpoint = tunnel.test\n", NULL},
     DESTINATION(HOST, ONE_APP("22")),
     NULL},
    {"precedence/args-region-over-environment-endpoint",
     "-r us-east-1 -d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_ENDPOINT=tunnel.test",
     {NULL},
     DESTINATION(REGION, ONE_APP("22")),
     NULL},
    {"precedence/args-token-over-environment",
     "-t arg-token -r us-east-1 -d 22",
     TOKEN_ENV,
     {NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " REGION
     ", 'access_token': {'value': 'arg-token'}, " DEFAULTS ", 'services': " ONE_APP("22") "}",
     NULL},
    {"precedence/config-token-over-environment",
     "--config c.ini",
     TOKEN_ENV,
     {"c.ini", "access-token = file-token\nregion = us-east-1\ndestination-app = 22\n", NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " REGION
     ", 'access_token': {'value': 'file-token'}, " DEFAULTS ", 'services': " ONE_APP("22") "}",
     NULL},
    {"precedence/args-source-over-config-destination",
     "--config c.ini -s 5555",
     TOKEN_ENV,
     {"c.ini", "destination-app = 22\nregion = us-east-1\n", NULL},
     SOURCE(REGION, ONE_PORT("5555")),
     NULL},
    {"precedence/config-sets-files-and-flags",
     "--config c.ini",
     TOKEN_ENV,
     {"c.ini",
      "# the reference's example\r\n\r\ncapath = .   # trailing comment\r\n"
      "region=us-east-1\r\nlocal-bind-address = ::1\r\nsource-listen-port = 6000\r\n"
      "no-ssl-host-verify = yes\r\nsettings-json = s.json\r\nverbose = 5\r\n",
      "s.json",
      "{'tunneling': {'proxy': {'websocket': {'ping_period_ms': '5000'}}}}",
      NULL},
     "{'name': 'default', 'mode': 'source', 'service': " REGION ", " ENV_TOKEN
     ", 'protocol': 'v3', 'transport': {'type': 'websocket', 'ca_path': '.', 'insecure': true, "
     "'ping_ms': 5000}, 'max_connections': 128, 'services': "
     "{'': {'endpoint': 'tcp', 'address': '6000', 'bind': '::1'}}}",
     NULL},
    {"precedence/config-flag-false",
     "--config c.ini -r us-east-1 -d 22",
     TOKEN_ENV,
     {"c.ini", "no-ssl-host-verify = off\n", NULL},
     DESTINATION(REGION, ONE_APP("22")),
     NULL},

    /* --config-dir and ./config */
    {"config-dir/files-in-path-order",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {"maps/b.ini",
      "; a comment\n# another\n\n  WEB = [::1]:80  \r\n",
      "maps/a/x.ini",
      "SSH1=22\nRDP=/run/rdp.sock\n",
      NULL},
     DESTINATION(HOST,
		 "{'SSH1': {'endpoint': 'tcp', 'address': '22', " RETRIES "}, "
		 "'RDP': {'endpoint': 'unix', 'path': '/run/rdp.sock', " RETRIES "}, "
		 "'WEB': {'endpoint': 'tcp', 'address': '[::1]:80', " RETRIES "}}"),
     NULL},
    {"config-dir/default-folder",
     "-e tunnel.test -m source",
     TOKEN_ENV,
     {"config/ssh.ini", "SSH1=3333\nSSH2=5555\n", NULL},
     SOURCE(HOST,
	    "{'SSH1': {'endpoint': 'tcp', 'address': '3333', 'bind': 'localhost'}, "
	    "'SSH2': {'endpoint': 'tcp', 'address': '5555', 'bind': 'localhost'}}"),
     NULL},
    {"config-dir/not-read-with-mappings",
     "-e tunnel.test -d 22 --config-dir maps",
     TOKEN_ENV,
     {"maps/a.ini", "not a mapping\n", "config/b.ini", "neither\n", NULL},
     DESTINATION(HOST, ONE_APP("22")),
     NULL},
    {"config-dir/from-config-file",
     "--config c.ini",
     TOKEN_ENV,
     {"c.ini",
      "proxy-endpoint = tunnel.test\nmode = dst\nconfig-dir = maps\n",
      "maps/a.ini",
      "SSH1=22\n",
      NULL},
     DESTINATION(HOST, "{'SSH1': {'endpoint': 'tcp', 'address': '22', " RETRIES "}}"),
     NULL},

    /* --settings-json */
    {"settings/honoured",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json",
      "{'tunneling': {'proxy': {'tcp': {'connection_retry_count': '7', "
      "'connection_retry_delay_ms': '100', 'max_active_connections': '16'}, "
      "'websocket': {'ping_period_ms': '0', 'subprotocol': 'aws.iot.securetunneling-2.0'}}}}",
      NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " REGION ", " ENV_TOKEN
     ", 'protocol': 'v2', 'transport': {'type': 'websocket', 'ping_ms': 0}, "
     "'max_connections': 16, 'services': {'': {'endpoint': 'tcp', 'address': '22', "
     "'retry_count': 7, 'retry_delay_ms': 100}}}",
     NULL},
    {"settings/json-numbers",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json",
      "{'tunneling': {'proxy': {'tcp': {'connection_retry_count': -1, "
      "'max_active_connections': 1}, 'websocket': {'reconnect_on_data_error': false}}}}",
      NULL},
     "{'name': 'default', 'mode': 'destination', 'service': " REGION ", " ENV_TOKEN ", "
     "'protocol': 'v3', " TRANSPORT ", 'max_connections': 1, 'services': {'': {'endpoint': "
     "'tcp', 'address': '22', 'retry_count': 1000000, 'retry_delay_ms': 2500}}}",
     NULL},
    {"settings/default-bind-address",
     "-r us-east-1 -s 5555 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'default_bind_address': '::1'}}}", NULL},
     SOURCE(REGION, "{'': {'endpoint': 'tcp', 'address': '5555', 'bind': '::1'}}"),
     NULL},
    {"settings/bind-option-wins",
     "-r us-east-1 -s 5555 -b 127.0.0.1 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'default_bind_address': '::1'}}}", NULL},
     SOURCE(REGION, "{'': {'endpoint': 'tcp', 'address': '5555', 'bind': '127.0.0.1'}}"),
     NULL},
    {"settings/region-override",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json",
      "{'tunneling': {'proxy': {'region_endpoint_overrides': {'us-east-1': 'tunnel.test'}}}}",
      NULL},
     DESTINATION(HOST, ONE_APP("22")),
     NULL},
    {"settings/endpoint-format",
     "-r eu-west-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'endpoint_format': 'tunnel.%s.test'}}}", NULL},
     DESTINATION("{'endpoint': 'tunnel.eu-west-1.test'}", ONE_APP("22")),
     NULL},
    {"settings/unknown-and-unused-accepted",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json",
      "{'other': 1, 'tunneling': {'proxy': {'future': {'key': 'x'}, 'message': "
      "{'max_payload_size': '1024', 'data_length_size': '4'}, 'tcp': {'write_buffer_size': "
      "'1'}, 'websocket': {'retry_delay_ms': '1', 'connect_retry_count': '3', "
      "'max_frame_size': '9', 'read_buffer_size': '9', 'write_buffer_size': '9'}}}}",
      NULL},
     DESTINATION(REGION, ONE_APP("22")),
     NULL},

    /* errors while reading the command line */
    {"error/unknown-long",
     "--bogus",
     NULL,
     {NULL},
     NULL,
     "Unknown option --bogus; see iotunneld --help."},
    {"error/unknown-short", "-kZ", NULL, {NULL}, NULL, "Unknown option -Z; see iotunneld --help."},
    {"error/ambiguous",
     "--destination 22",
     NULL,
     {NULL},
     NULL,
     "Option --destination is ambiguous (--destination-app or --destination-client-type); "
     "write the whole name."},
    {"error/missing-value",
     "-r",
     NULL,
     {NULL},
     NULL,
     "-r/--region needs a value; write -r REGION."},
    {"error/missing-value-long",
     "-r us-east-1 --config",
     NULL,
     {NULL},
     NULL,
     "--config needs a value; write --config FILE."},
    {"error/flag-with-value",
     "--no-ssl-host-verify=yes",
     NULL,
     {NULL},
     NULL,
     "-k/--no-ssl-host-verify takes no value; write --no-ssl-host-verify alone."},
    {"error/given-twice",
     "-r us-east-1 --region us-west-2",
     NULL,
     {NULL},
     NULL,
     "-r/--region is given twice; give it once."},
    {"error/operand",
     "-r us-east-1 22",
     NULL,
     {NULL},
     NULL,
     "Unexpected argument \"22\"; iotunneld takes options only, see iotunneld --help."},
    {"error/operand-after-dashes",
     "-- -r",
     NULL,
     {NULL},
     NULL,
     "Unexpected argument \"-r\"; iotunneld takes options only, see iotunneld --help."},

    /* contradictions and what is missing */
    {"error/region-and-endpoint",
     "-r us-east-1 -e tunnel.test -d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-r/--region and -e/--proxy-endpoint cannot be used together; give one of them."},
    {"error/source-and-destination",
     "-r us-east-1 -s 5555 -d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-s/--source-listen-port and -d/--destination-app cannot be used together; give one of "
     "them."},
    {"error/region-and-endpoint-in-config",
     "--config c.ini -d 22",
     TOKEN_ENV,
     {"c.ini", "region = us-east-1\nproxy-endpoint = tunnel.test\n", NULL},
     NULL,
     "c.ini: region and proxy-endpoint cannot both be set; keep one of them."},
    {"error/region-and-endpoint-in-environment",
     "-d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_REGION=us-east-1\nAWSIOT_TUNNEL_ENDPOINT=tunnel.test",
     {NULL},
     NULL,
     "AWSIOT_TUNNEL_REGION and AWSIOT_TUNNEL_ENDPOINT cannot both be set; unset one of them."},
    {"error/no-token",
     "-r us-east-1 -d 22",
     NULL,
     {NULL},
     NULL,
     "No access token: set AWSIOT_TUNNEL_ACCESS_TOKEN, or access-token in a --config file."},
    {"error/no-mode",
     "-r us-east-1",
     TOKEN_ENV,
     {NULL},
     NULL,
     "No mode: give -s PORT for a source or -d ADDRESS for a destination."},
    {"error/no-service",
     "-d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "No service: give -r REGION or -e ENDPOINT, or set AWSIOT_TUNNEL_REGION."},
    {"error/destination-without-mappings",
     "-e tunnel.test -m dst",
     TOKEN_ENV,
     {NULL},
     NULL,
     "Destination mode needs -d ADDRESS, or --config-dir files with ID=ADDRESS lines."},
    {"error/mode-unknown",
     "-e tunnel.test -m both",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-m/--mode is \"both\"; use src, source, dst or destination."},
    {"error/mode-contradicts",
     "-e tunnel.test -m dst -s 5555",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-m/--mode is \"dst\", which contradicts -s/--source-listen-port; drop one of them."},
    {"error/mode-in-config-contradicts",
     "--config c.ini -e tunnel.test -d 22",
     TOKEN_ENV,
     {"c.ini", "\nmode = source\n", NULL},
     NULL,
     "c.ini:2: mode is \"source\", which contradicts -d/--destination-app; drop one of them."},

    /* values */
    {"error/region",
     "-r US-EAST-1 -d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-r/--region is \"US-EAST-1\"; give a region such as us-east-1."},
    {"error/region-in-environment",
     "-d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_REGION=us east",
     {NULL},
     NULL,
     "AWSIOT_TUNNEL_REGION is \"us east\"; give a region such as us-east-1."},
    {"error/endpoint",
     "-e 'tunnel test' -d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-e/--proxy-endpoint is \"tunnel test\"; give HOST, HOST:PORT, [IPV6]:PORT or "
     "wss://HOST:PORT."},
    {"error/endpoint-port",
     "-e tunnel.test:70000 -d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-e/--proxy-endpoint is \"tunnel.test:70000\"; use a port from 1 to 65535."},
    {"error/endpoint-bare-ipv6-url",
     "-e wss://::1 -d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-e/--proxy-endpoint is \"wss://::1\"; give HOST, HOST:PORT, [IPV6]:PORT or "
     "wss://HOST:PORT."},
    {"error/endpoint-plain-remote",
     "-e ws://tunnel.test -d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-e/--proxy-endpoint is \"ws://tunnel.test\"; use wss://, since ws:// is only allowed for "
     "a loopback host."},
    {"error/endpoint-in-config",
     "--config c.ini -d 22",
     TOKEN_ENV,
     {"c.ini", "proxy-endpoint = https://tunnel.test\n", NULL},
     NULL,
     "c.ini:1: proxy-endpoint is \"https://tunnel.test\"; give HOST, HOST:PORT, [IPV6]:PORT or "
     "wss://HOST:PORT."},
    {"error/bind",
     "-e tunnel.test -s 5555 -b localhost:80",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-b/--local-bind-address is \"localhost:80\"; give a host name or an IP address, without "
     "a port."},
    {"error/destination-client-type",
     "-e tunnel.test -s 5555 -y V4",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-y/--destination-client-type is \"V4\"; use V1 or V2."},
    {"error/destination-client-type-needs-v3",
     "-e tunnel.test -s 5555 -y V1 --settings-json s.json",
     TOKEN_ENV,
     {"s.json",
      "{'tunneling': {'proxy': {'websocket': {'subprotocol': 'aws.iot.securetunneling-1.0'}}}}",
      NULL},
     NULL,
     "-y/--destination-client-type needs the subprotocol aws.iot.securetunneling-3.0, but "
     "--settings-json sets 1.0; drop one of them."},
    {"error/capath",
     "-e tunnel.test -d 22 -c missing",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-c/--capath is \"missing\", which does not exist; give a folder of CA certificates."},
    {"error/token-space",
     "-t 'a token' -e tunnel.test -d 22",
     NULL,
     {NULL},
     NULL,
     "-t/--access-token holds a space, a control or a non-ASCII character; give the token "
     "exactly as it was issued."},
    {"error/token-empty",
     "-t '' -e tunnel.test -d 22",
     NULL,
     {NULL},
     NULL,
     "-t/--access-token is empty; give the token as it was issued."},
    {"error/token-in-environment",
     "-e tunnel.test -d 22",
     "AWSIOT_TUNNEL_ACCESS_TOKEN=a\ttoken",
     {NULL},
     NULL,
     "AWSIOT_TUNNEL_ACCESS_TOKEN holds a space, a control or a non-ASCII character; give the "
     "token exactly as it was issued."},
    {"error/token-in-config",
     "--config c.ini -e tunnel.test -d 22",
     NULL,
     {"c.ini", "access-token = \"a b\"\n", NULL},
     NULL,
     "c.ini:1: access-token holds a space, a control or a non-ASCII character; give the token "
     "exactly as it was issued."},
    {"error/client-token",
     "-i short -e tunnel.test -d 22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-i/--client-token is not 32 to 128 letters, digits or \"-\"; give a client token of that "
     "form."},

    {"error/client-token-in-environment",
     "-e tunnel.test -d 22",
     TOKEN_ENV "\nAWSIOT_TUNNEL_CLIENT_TOKEN=not_a_client_token_of_the_right_form",
     {NULL},
     NULL,
     "AWSIOT_TUNNEL_CLIENT_TOKEN is not 32 to 128 letters, digits or \"-\"; give a client "
     "token of that form."},
    {"error/client-token-alias-in-environment",
     "-e tunnel.test -d 22",
     TOKEN_ENV "\nAWSIOT_CLIENT_TOKEN=not_a_client_token_of_the_right_form",
     {NULL},
     NULL,
     "AWSIOT_CLIENT_TOKEN is not 32 to 128 letters, digits or \"-\"; give a client token of "
     "that form."},
    {"error/dash-alone",
     "-r us-east-1 -",
     NULL,
     {NULL},
     NULL,
     "Unexpected argument \"-\"; iotunneld takes options only, see iotunneld --help."},

    /* service mappings */
    {"error/port-out-of-range",
     "-e tunnel.test -d 70000",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-d/--destination-app holds \"70000\", whose port is out of range; use a port from 1 to "
     "65535."},
    {"error/port-zero-destination",
     "-e tunnel.test -d SSH1=localhost:0",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-d/--destination-app holds \"localhost:0\", whose port is out of range; use a port from 1 "
     "to 65535."},
    {"error/port-out-of-range-source",
     "-e tunnel.test -s 65536",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-s/--source-listen-port holds \"65536\", whose port is out of range; use a port from 1 to "
     "65535, or 0 for a free one."},
    {"error/bad-address",
     "-e tunnel.test -d localhost:",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-d/--destination-app holds \"localhost:\", " NOT_AN_ADDRESS_DST},
    {"error/ipv6-without-brackets",
     "-e tunnel.test -d ::1:22",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-d/--destination-app holds \"::1:22\", " NOT_AN_ADDRESS_DST},
    {"error/bad-address-source",
     "-e tunnel.test -s port",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-s/--source-listen-port holds \"port\", which is not PORT, HOST:PORT, [IPV6]:PORT or a "
     "socket path; write for example 5555, localhost:5555 or [::1]:5555."},
    {"error/mappings-empty",
     "-e tunnel.test -s ' , '",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-s/--source-listen-port is empty; give a port, or ID=PORT for each service."},
    {"error/mappings-mixed",
     "-e tunnel.test -d 22,SSH1=23",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-d/--destination-app holds \"22\", which is not ID=ADDRESS; write for example SSH1=22."},
    {"error/mappings-no-id",
     "-e tunnel.test -s SSH1=1,=2",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-s/--source-listen-port holds \"=2\", which is not ID=PORT; write for example SSH1=5555."},
    {"error/same-port-twice",
     "-e tunnel.test -s SSH1=5555,HTTP1=5555",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-s/--source-listen-port gives services SSH1 and HTTP1 the same port \"5555\"; give each "
     "service its own."},
    {"error/same-host-port-twice",
     "-e tunnel.test -s 'SSH1=[::1]:5555, HTTP1=[::1]:5555'",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-s/--source-listen-port gives services SSH1 and HTTP1 the same port \"[::1]:5555\"; give "
     "each service its own."},
    {"error/same-socket-twice",
     "-e tunnel.test -s SSH1=/run/a.sock,HTTP1=/run/a.sock",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-s/--source-listen-port gives services SSH1 and HTTP1 the same socket path "
     "\"/run/a.sock\"; give each service its own."},
    {"error/same-port-in-config-dir",
     "-e tunnel.test -m source --config-dir d",
     TOKEN_ENV,
     {"d/a.ini", "SSH1=5555\n", "d/b.ini", "# web\nHTTP1=5555\n", NULL},
     NULL,
     "d/b.ini:2 gives service HTTP1 the port \"5555\", which d/a.ini:1 gives service SSH1; give "
     "each service its own."},
    {"error/mapped-twice",
     "-e tunnel.test -d SSH1=22,SSH1=23",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-d/--destination-app maps service SSH1 twice; map each service once."},
    {"error/mapped-twice-in-config",
     "--config c.ini -e tunnel.test",
     TOKEN_ENV,
     {"c.ini", "#\ndestination-app = SSH1=22,SSH1=23\n", NULL},
     NULL,
     "c.ini:2: destination-app maps service SSH1 twice; map each service once."},
    {"error/service-id",
     "-e tunnel.test -d 'SSH 1=22'",
     TOKEN_ENV,
     {NULL},
     NULL,
     "-d/--destination-app holds service ID \"SSH 1\"; use 1 to 128 letters, digits, \"_\", "
     "\"-\" or \":\"."},

    /* the --config file */
    {"config/missing",
     "--config nope.ini",
     NULL,
     {NULL},
     NULL,
     "nope.ini: the file does not exist; check the path."},
    {"config/folder",
     "--config .",
     NULL,
     {NULL},
     NULL,
     ".: the file cannot be read (Is a directory); check the path and its permissions."},
    {"config/not-name-value",
     "--config c.ini",
     NULL,
     {"c.ini", "region = us-east-1\naccess-token abc\n", NULL},
     NULL,
     "c.ini:2: the line is not name = value; write for example region = us-east-1."},
    {"config/unknown-name",
     "--config c.ini",
     NULL,
     {"c.ini", "regoin = us-east-1\n", NULL},
     NULL,
     "c.ini:1: \"regoin\" is not an option; use a long option name, such as region."},
    {"config/short-name",
     "--config c.ini",
     NULL,
     {"c.ini", "r = us-east-1\n", NULL},
     NULL,
     "c.ini:1: \"r\" is not an option; use a long option name, such as region."},
    {"config/not-allowed",
     "--config c.ini",
     NULL,
     {"c.ini", "config = other.ini\n", NULL},
     NULL,
     "c.ini:1: config cannot be set in a --config file; give it on the command line."},
    {"config/no-value",
     "--config c.ini",
     NULL,
     {"c.ini", "region =  # none\n", NULL},
     NULL,
     "c.ini:1: region has no value; write region = REGION or remove the line."},
    {"config/set-twice",
     "--config c.ini",
     NULL,
     {"c.ini", "region = us-east-1\n\nregion = us-west-2\n", NULL},
     NULL,
     "c.ini:3: region is already set on line 1; keep one of them."},
    {"config/section",
     "--config c.ini",
     NULL,
     {"c.ini", "[tunnel]\nregion = us-east-1\n", NULL},
     NULL,
     "c.ini:1: the line starts a section, which --config files do not have; write name = value "
     "lines only."},
    {"config/flag",
     "--config c.ini",
     NULL,
     {"c.ini", "no-ssl-host-verify = maybe\n", NULL},
     NULL,
     "c.ini:1: no-ssl-host-verify is \"maybe\"; write true or false."},
    {"config/not-utf8",
     "--config c.ini",
     NULL,
     {"c.ini", "region = us\xff\n", NULL},
     NULL,
     "c.ini:1: the line is not UTF-8 text; save the file as UTF-8."},

    /* --config-dir files */
    {"config-dir/missing",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {NULL},
     NULL,
     "maps: the folder does not exist; check the --config-dir path."},
    {"config-dir/missing-with-mappings",
     "-e tunnel.test -d 22 --config-dir maps",
     TOKEN_ENV,
     {NULL},
     NULL,
     "maps: the folder does not exist; check the --config-dir path."},
    {"config-dir/file",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {"maps", "SSH1=22\n", NULL},
     NULL,
     "maps: this is not a folder; give --config-dir a folder of mapping files."},
    {"config-dir/bad-line",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {"maps/a.ini", "SSH1=22\nSSH2 22\n", NULL},
     NULL,
     "maps/a.ini:2: the line is not ID=PORT or ID=HOST:PORT; write for example SSH1=22."},
    {"config-dir/section",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {"maps/a.ini", "[services]\nSSH1=22\n", NULL},
     NULL,
     "maps/a.ini:1: the line starts a section, which --config-dir files do not have; write "
     "ID=PORT lines only."},
    {"config-dir/no-value",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {"maps/a.ini", "SSH1 =\n", NULL},
     NULL,
     "maps/a.ini:1: service SSH1 has no value; write SSH1=PORT or remove the line."},
    {"config-dir/bad-port",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {"maps/a.ini", "SSH1=99999\n", NULL},
     NULL,
     "maps/a.ini:1 holds \"99999\", whose port is out of range; use a port from 1 to 65535."},
    {"config-dir/bad-id",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {"maps/a.ini", "SSH/1=22\n", NULL},
     NULL,
     "maps/a.ini:1 holds service ID \"SSH/1\"; use 1 to 128 letters, digits, \"_\", \"-\" or "
     "\":\"."},
    {"config-dir/twice-in-a-file",
     "-e tunnel.test -m dst --config-dir maps",
     TOKEN_ENV,
     {"maps/a.ini", "SSH1=22\nSSH1=23\n", NULL},
     NULL,
     "maps/a.ini:2 maps service SSH1, which maps/a.ini:1 already maps; map each service once."},
    {"config-dir/twice-in-two-files",
     "-e tunnel.test -m src --config-dir maps",
     TOKEN_ENV,
     {"maps/b.ini", "\n\nSSH1=5555\n", "maps/a.ini", "SSH1=6666\n", NULL},
     NULL,
     "maps/b.ini:3 maps service SSH1, which maps/a.ini:1 already maps; map each service once."},
    {"config-dir/default-folder-bad",
     "-e tunnel.test -m dst",
     TOKEN_ENV,
     {"config/a.ini", "SSH1\n", NULL},
     NULL,
     "./config/a.ini:1: the line is not ID=PORT or ID=HOST:PORT; write for example SSH1=22."},

    /* the --settings-json file */
    {"settings/missing",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {NULL},
     NULL,
     "s.json: the file does not exist; check the path."},
    {"settings/not-json",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{\n  'tunneling': {,\n}", NULL},
     NULL,
     "s.json:2: this is not JSON; write the file as --export-default-settings does."},
    {"settings/two-values",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "'x' {'tunneling': {}}", NULL},
     NULL,
     "s.json: the file holds more than one JSON value; write it as --export-default-settings "
     "does."},
    {"settings/lone-surrogate",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json",
      "{'tunneling': {'proxy': {'region_endpoint_overrides': {'a\\ud800b': 'x'}}}}",
      NULL},
     NULL,
     "s.json: the file holds text that is not UTF-8 (a lone \\u surrogate); write it as "
     "--export-default-settings does."},
    {"settings/not-an-object",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "[]", NULL},
     NULL,
     "s.json: the file holds an array, not an object; write it as --export-default-settings "
     "does."},
    {"settings/proxy-not-an-object",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': 'fast'}}", NULL},
     NULL,
     "s.json: tunneling.proxy is \"fast\"; write it as --export-default-settings does."},
    {"settings/not-a-number",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'tcp': {'connection_retry_count': 'five'}}}}", NULL},
     NULL,
     "s.json: tunneling.proxy.tcp.connection_retry_count is \"five\"; set it to a whole number "
     "from -1 to 1000000."},
    {"settings/out-of-range",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'tcp': {'max_active_connections': '0'}}}}", NULL},
     NULL,
     "s.json: tunneling.proxy.tcp.max_active_connections is \"0\"; set it to a whole number "
     "from 1 to 65535."},
    {"settings/ping",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'websocket': {'ping_period_ms': 5}}}}", NULL},
     NULL,
     "s.json: tunneling.proxy.websocket.ping_period_ms is 5; set it to 0 for no pings or a "
     "whole number from 10 to 86400000."},
    {"settings/unused-still-checked",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json",
      "{'tunneling': {'proxy': {'websocket': {'reconnect_on_data_error': 'sometimes'}}}}",
      NULL},
     NULL,
     "s.json: tunneling.proxy.websocket.reconnect_on_data_error is \"sometimes\"; set it to true "
     "or false."},
    {"settings/subprotocol",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'websocket': {'subprotocol': 'v4'}}}}", NULL},
     NULL,
     "s.json: tunneling.proxy.websocket.subprotocol is \"v4\"; set it to "
     "aws.iot.securetunneling-1.0, -2.0 or -3.0."},
    {"settings/bad-endpoint-format",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'endpoint_format': 'tunnel.%d.test'}}}", NULL},
     NULL,
     "s.json: tunneling.proxy.endpoint_format is \"tunnel.%d.test\"; set it to a host name with "
     "one %s for the region."},
    {"settings/bad-default-bind-address",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'default_bind_address': {}}}}", NULL},
     NULL,
     "s.json: tunneling.proxy.default_bind_address is an object; set it to a host name or an IP "
     "address, without a port."},
    {"settings/bad-region-override",
     "-r us-east-1 -d 22 --settings-json s.json",
     TOKEN_ENV,
     {"s.json", "{'tunneling': {'proxy': {'region_endpoint_overrides': {'x': 1}}}}", NULL},
     NULL,
     "s.json: tunneling.proxy.region_endpoint_overrides.x is 1; set it to a host name."},
};

/* ' stands for " in the table's JSON */
static gchar *
cli_test_unquote(const gchar *text)
{
	g_autoptr(GString) str = g_string_new(text);
	g_string_replace(str, "'", "\"", 0);
	return g_string_free(g_steal_pointer(&str), FALSE);
}

static void
cli_test_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			cli_test_remove_tree(child);
		}
	}
	g_remove(path);
}

/* a fresh folder, made the working directory until cli_test_leave() */
typedef struct {
	gchar *tmpdir;
	gchar *previous;
} CliTestDir;

static void
cli_test_enter(CliTestDir *dir)
{
	g_autoptr(GError) error = NULL;
	dir->tmpdir = g_dir_make_tmp("iotunnel-cli-XXXXXX", &error);
	g_assert_no_error(error);
	dir->previous = g_get_current_dir();
	g_assert_cmpint(g_chdir(dir->tmpdir), ==, 0);
}

static void
cli_test_leave(CliTestDir *dir)
{
	g_assert_cmpint(g_chdir(dir->previous), ==, 0);
	cli_test_remove_tree(dir->tmpdir);
	g_free(dir->tmpdir);
	g_free(dir->previous);
}

static void
cli_test_write(const gchar *path, const gchar *contents, gboolean json)
{
	g_autofree gchar *parent = g_path_get_dirname(path);
	g_autofree gchar *text = json ? cli_test_unquote(contents) : g_strdup(contents);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

/* what iotunneld does with its command line, short of printing and running */
static JsonNode *
cli_test_convert(const gchar *args, const gchar *env, GError **error)
{
	g_autoptr(IotCliOptions) options = iot_cli_options_new();
	g_auto(GStrv) argv = NULL;
	g_auto(GStrv) envp = NULL;
	g_autofree gchar *line = g_strdup_printf("iotunneld %s", args);
	guint verbosity = 0;
	gint argc = 0;

	g_assert_true(g_shell_parse_argv(line, &argc, &argv, NULL));
	envp = env != NULL ? g_strsplit(env, "\n", -1) : g_new0(gchar *, 1);
	if (!iot_cli_options_parse_args(options, argc, argv, error))
		return NULL;
	if (!iot_cli_options_load_sources(options, (const gchar *const *)envp, error))
		return NULL;
	if (!iot_cli_options_get_verbosity(options, &verbosity, error))
		return NULL;
	return iot_cli_options_to_profile(options, (const gchar *const *)envp, error);
}

static void
test_cli_case(gconstpointer data)
{
	const IotCliCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = NULL;
	CliTestDir dir = {0};

	cli_test_enter(&dir);
	for (guint i = 0; c->files[i] != NULL; i += 2)
		cli_test_write(c->files[i],
			       c->files[i + 1],
			       g_str_has_suffix(c->files[i], ".json"));
	node = cli_test_convert(c->args, c->env, &error);
	if (c->error != NULL) {
		g_assert_null(node);
		g_assert_error(error, IOT_CLI_ERROR, error->code);
		g_assert_cmpstr(error->message, ==, c->error);
	} else {
		g_autofree gchar *expected_text = cli_test_unquote(c->expected);
		g_autoptr(JsonNode) expected = json_from_string(expected_text, &error);
		g_autofree gchar *expected_compact = NULL;
		g_autofree gchar *actual_compact = NULL;
		g_autoptr(IotProfile) profile = NULL;
		JsonArray *tunnels;

		g_assert_no_error(error);
		g_assert_nonnull(node);
		tunnels = json_object_get_array_member(json_node_get_object(node), "tunnels");
		g_assert_cmpuint(json_array_get_length(tunnels), ==, 1);
		expected_compact = json_to_string(expected, FALSE);
		actual_compact = json_to_string(json_array_get_element(tunnels, 0), FALSE);
		g_assert_cmpstr(actual_compact, ==, expected_compact);

		/* and the profile model takes what the command line wrote */
		profile = iot_profile_new_from_json_node(node, "command line", &error);
		g_assert_no_error(error);
		g_assert_nonnull(profile);
	}
	cli_test_leave(&dir);
}

/* tokens on the command line are overwritten in place, nothing else */
static void
test_cli_scrub_args(void)
{
	const gchar *forms[][3] = {
	    {"-t secret -r us-east-1", "-t xxxxxx -r us-east-1", NULL},
	    {"-tsecret -r us-east-1", "-txxxxxx -r us-east-1", NULL},
	    {"--access-token=secret", "--access-token=xxxxxx", NULL},
	    {"--acc secret", "--acc xxxxxx", NULL},
	    {"-kt secret -d 22", "-kt xxxxxx -d 22", NULL},
	    {"-i " CLIENT_TOKEN " -tsecret", "-i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx -txxxxxx", NULL},
	    {"-r secret -e secret", "-r secret -e secret", NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(forms); i++) {
		g_autoptr(IotCliOptions) options = iot_cli_options_new();
		g_autoptr(GError) error = NULL;
		g_autofree gchar *line = g_strdup_printf("iotunneld %s", forms[i][0]);
		g_autofree gchar *joined = NULL;
		g_auto(GStrv) argv = NULL;
		gint argc = 0;

		g_assert_true(g_shell_parse_argv(line, &argc, &argv, NULL));
		g_assert_true(iot_cli_options_parse_args(options, argc, argv, &error));
		g_assert_no_error(error);
		iot_cli_options_scrub_args(options, argc, argv);
		joined = g_strjoinv(" ", argv + 1);
		g_assert_cmpstr(joined, ==, forms[i][1]);
		/* the parsed value is a copy, untouched */
		if (strstr(forms[i][0], "secret") != NULL &&
		    iot_cli_options_get(options, IOT_CLI_OPTION_ACCESS_TOKEN) != NULL)
			g_assert_cmpstr(iot_cli_options_get(options, IOT_CLI_OPTION_ACCESS_TOKEN),
					==,
					"secret");
	}
}

/*
 * The warnings a test provokes, kept here while it collects them: GLib
 * 2.74's g_test_expect_message() does not see structured log lines, and
 * the default writer aborts on a warning in tests.
 */
static GPtrArray *cli_test_warnings = NULL;

static GLogWriterOutput
cli_test_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
	if (cli_test_warnings == NULL || (level & G_LOG_LEVEL_WARNING) == 0)
		return g_log_writer_default(level, fields, n_fields, data);
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
			g_ptr_array_add(cli_test_warnings, g_strdup(fields[i].value));
	}
	return G_LOG_WRITER_HANDLED;
}

/* -y is for a source: a destination says it ignores it, and leaves it out */
static void
test_cli_destination_client_type_at_destination(void)
{
	const gchar *const forms[][2] = {
	    {"-e tunnel.test -d 22 -y V1", "-y/--destination-client-type"},
	    {"-e tunnel.test -d 22 --destination-client-type=v2", "-y/--destination-client-type"},
	    {"--config c.ini -e tunnel.test -d 22", "c.ini:1: destination-client-type"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(forms); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) node = NULL;
		g_autofree gchar *expected = g_strdup_printf(
		    "%s is for a source talking to an older destination; a destination answers in "
		    "the format the source uses, so it is ignored here.",
		    forms[i][1]);
		JsonObject *tunnel;
		CliTestDir dir = {0};

		cli_test_enter(&dir);
		cli_test_write("c.ini", "destination-client-type = V1\n", FALSE);
		cli_test_warnings = g_ptr_array_new_with_free_func(g_free);
		node = cli_test_convert(forms[i][0], TOKEN_ENV, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(cli_test_warnings->len, ==, 1);
		g_assert_cmpstr(g_ptr_array_index(cli_test_warnings, 0), ==, expected);
		g_clear_pointer(&cli_test_warnings, g_ptr_array_unref);
		tunnel = json_array_get_object_element(
		    json_object_get_array_member(json_node_get_object(node), "tunnels"),
		    0);
		g_assert_cmpstr(json_object_get_string_member(tunnel, "mode"), ==, "destination");
		g_assert_false(json_object_has_member(tunnel, "destination_client_type"));
		cli_test_leave(&dir);
	}
}

typedef struct {
	const gchar *args;
	const gchar *config;
	guint verbosity;
	const gchar *error;
} CliVerbosityCase;

static void
test_cli_verbosity(void)
{
	const CliVerbosityCase cases[] = {
	    {"", NULL, 4, NULL},
	    {"-v 0", NULL, 0, NULL},
	    {"-v6", NULL, 6, NULL},
	    {"--verbose 255", NULL, 6, NULL},
	    {"--config c.ini", "verbose = 5\n", 5, NULL},
	    {"--config c.ini -v 2", "verbose = 5\n", 2, NULL},
	    {"-v trace",
	     NULL,
	     0,
	     "-v/--verbose is \"trace\"; give a level from 0 (off) to 6 (trace)."},
	    {"-v -1", NULL, 0, "-v/--verbose is \"-1\"; give a level from 0 (off) to 6 (trace)."},
	    {"--config c.ini",
	     "verbose = 70000\n",
	     0,
	     "c.ini:1: verbose is \"70000\"; give a level from 0 (off) to 6 (trace)."},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(IotCliOptions) options = iot_cli_options_new();
		g_autoptr(GError) error = NULL;
		g_autofree gchar *line = g_strdup_printf("iotunneld %s", cases[i].args);
		g_auto(GStrv) argv = NULL;
		const gchar *envp[] = {NULL};
		CliTestDir dir = {0};
		guint verbosity = 99;
		gint argc = 0;

		cli_test_enter(&dir);
		if (cases[i].config != NULL)
			cli_test_write("c.ini", cases[i].config, FALSE);
		g_assert_true(g_shell_parse_argv(line, &argc, &argv, NULL));
		g_assert_true(iot_cli_options_parse_args(options, argc, argv, &error));
		g_assert_true(iot_cli_options_load_sources(options, envp, &error));
		if (cases[i].error != NULL) {
			g_assert_false(iot_cli_options_get_verbosity(options, &verbosity, &error));
			g_assert_error(error, IOT_CLI_ERROR, IOT_CLI_ERROR_USAGE);
			g_assert_cmpstr(error->message, ==, cases[i].error);
		} else {
			g_assert_true(iot_cli_options_get_verbosity(options, &verbosity, &error));
			g_assert_no_error(error);
			g_assert_cmpuint(verbosity, ==, cases[i].verbosity);
		}
		cli_test_leave(&dir);
	}
}

/* exactly what the reference's --export-default-settings writes, byte for byte */
static const gchar *reference_export =
    "{\n"
    "    \"tunneling\": {\n"
    "        \"proxy\": {\n"
    "            \"default_bind_address\": \"localhost\",\n"
    "            \"message\": {\n"
    "                \"data_length_size\": \"2\",\n"
    "                \"data_frame_max_size\": \"65538\",\n"
    "                \"max_payload_size\": \"64512\",\n"
    "                \"max_size\": \"65536\"\n"
    "            },\n"
    "            \"tcp\": {\n"
    "                \"connection_retry_count\": \"5\",\n"
    "                \"connection_retry_delay_ms\": \"2500\",\n"
    "                \"read_buffer_size\": \"131076\",\n"
    "                \"max_active_connections\": \"128\"\n"
    "            },\n"
    "            \"websocket\": {\n"
    "                \"ping_period_ms\": \"20000\",\n"
    "                \"retry_delay_ms\": \"2500\",\n"
    "                \"connect_retry_count\": \"-1\",\n"
    "                \"reconnect_on_data_error\": \"true\",\n"
    "                \"subprotocol\": \"aws.iot.securetunneling-3.0\",\n"
    "                \"max_frame_size\": \"131076\",\n"
    "                \"write_buffer_size\": \"131076\",\n"
    "                \"read_buffer_size\": \"131076\"\n"
    "            },\n"
    "            \"region_endpoint_overrides\": {\n"
    "                \"cn-north-1\": \"data.tunneling.iot.cn-north-1.amazonaws.com.cn\",\n"
    "                \"cn-northwest-1\": \"data.tunneling.iot.cn-northwest-1.amazonaws.com.cn\"\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n";

static void
test_cli_settings_export(void)
{
	g_autofree gchar *text = iot_cli_settings_export_text();
	g_autofree gchar *written = NULL;
	g_autoptr(GError) error = NULL;
	CliTestDir dir = {0};

	g_assert_cmpstr(text, ==, reference_export);

	cli_test_enter(&dir);
	g_assert_true(iot_cli_settings_export("lpsettings.json", &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents("lpsettings.json", &written, NULL, &error));
	g_assert_cmpstr(written, ==, reference_export);
	g_assert_false(iot_cli_settings_export("no/such/folder/x.json", &error));
	g_assert_error(error, IOT_CLI_ERROR, IOT_CLI_ERROR_FILE);
	g_assert_cmpstr(error->message,
			==,
			"no/such/folder/x.json: the file cannot be written (No such file or "
			"directory); check the path and its permissions.");
	cli_test_leave(&dir);
}

static void
cli_test_assert_settings_equal(IotCliSettings *a, IotCliSettings *b)
{
	GHashTableIter iter;
	gpointer key;
	gpointer value;

	g_assert_cmpstr(a->default_bind_address, ==, b->default_bind_address);
	g_assert_cmpstr(a->endpoint_format, ==, b->endpoint_format);
	g_assert_cmpint(a->tcp_retry_count, ==, b->tcp_retry_count);
	g_assert_cmpuint(a->tcp_retry_delay_ms, ==, b->tcp_retry_delay_ms);
	g_assert_cmpuint(a->max_connections, ==, b->max_connections);
	g_assert_cmpuint(a->ping_ms, ==, b->ping_ms);
	g_assert_cmpuint(a->protocol, ==, b->protocol);
	g_assert_cmpuint(g_hash_table_size(a->region_overrides),
			 ==,
			 g_hash_table_size(b->region_overrides));
	g_hash_table_iter_init(&iter, a->region_overrides);
	while (g_hash_table_iter_next(&iter, &key, &value))
		g_assert_cmpstr(g_hash_table_lookup(b->region_overrides, key), ==, value);
}

/* what --export-default-settings writes loads back as the defaults; an edited copy as edited */
static void
test_cli_settings_round_trip(void)
{
	g_autoptr(IotCliSettings) defaults = iot_cli_settings_new();
	g_autoptr(IotCliSettings) loaded = iot_cli_settings_new();
	g_autoptr(IotCliSettings) edited = iot_cli_settings_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host = NULL;
	g_autoptr(GString) text = g_string_new(reference_export);

	/* a settings object that differs everywhere, so that loading must overwrite */
	g_free(loaded->default_bind_address);
	loaded->default_bind_address = g_strdup("::1");
	loaded->tcp_retry_count = 0;
	loaded->tcp_retry_delay_ms = 1;
	loaded->max_connections = 1;
	loaded->ping_ms = 0;
	loaded->protocol = 1;
	g_assert_true(iot_cli_settings_load_data(loaded,
						 reference_export,
						 strlen(reference_export),
						 "lpsettings.json",
						 &error));
	g_assert_no_error(error);
	cli_test_assert_settings_equal(loaded, defaults);
	host = iot_cli_settings_get_region_host(loaded, "cn-northwest-1");
	g_assert_cmpstr(host, ==, "data.tunneling.iot.cn-northwest-1.amazonaws.com.cn");

	g_string_replace(text, "\"5\"", "\"9\"", 1);
	g_string_replace(text, "\"20000\"", "\"1000\"", 1);
	g_string_replace(text, "securetunneling-3.0", "securetunneling-1.0", 1);
	g_assert_true(
	    iot_cli_settings_load_data(edited, text->str, text->len, "lpsettings.json", &error));
	g_assert_no_error(error);
	g_assert_cmpint(edited->tcp_retry_count, ==, 9);
	g_assert_cmpuint(edited->ping_ms, ==, 1000);
	g_assert_cmpuint(edited->protocol, ==, 1);
	g_assert_cmpuint(edited->max_connections, ==, defaults->max_connections);
}

/* what iot_address_parse() makes of a text */
typedef enum {
	CLI_ADDRESS_OK,
	CLI_ADDRESS_INVALID,
	CLI_ADDRESS_BAD_PORT,
} CliAddressResult;

typedef struct {
	const gchar *text;
	gboolean port_required;
	CliAddressResult result;
	const gchar *host;
	guint port;
} CliAddressCase;

static void
test_cli_address(void)
{
	const CliAddressCase cases[] = {
	    {"localhost:22", TRUE, CLI_ADDRESS_OK, "localhost", 22},
	    {"10.0.0.1:80", TRUE, CLI_ADDRESS_OK, "10.0.0.1", 80},
	    {"[::1]:22", TRUE, CLI_ADDRESS_OK, "::1", 22},
	    {"[fe80::1%eth0]:22", TRUE, CLI_ADDRESS_OK, "fe80::1%eth0", 22},
	    {"[::1:22", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	    {"::1", FALSE, CLI_ADDRESS_OK, "::1", 443},
	    {"::1", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	    {"[::1]", FALSE, CLI_ADDRESS_OK, "::1", 443},
	    {"[::1]x", FALSE, CLI_ADDRESS_INVALID, NULL, 0},
	    {"[localhost]:22", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	    {"host", FALSE, CLI_ADDRESS_OK, "host", 443},
	    {"host", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	    {"host:", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	    {"host:0", TRUE, CLI_ADDRESS_BAD_PORT, NULL, 0},
	    {"host:65536", TRUE, CLI_ADDRESS_BAD_PORT, NULL, 0},
	    {"host:99999999999999999999", TRUE, CLI_ADDRESS_BAD_PORT, NULL, 0},
	    {"host:+22", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	    {"-host:22", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	    {"ho st:22", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	    {":22", TRUE, CLI_ADDRESS_INVALID, NULL, 0},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *host = NULL;
		g_autoptr(GError) error = NULL;
		guint16 port = 443;
		CliAddressResult rc = CLI_ADDRESS_OK;

		if (!iot_address_parse(cases[i].text,
				       cases[i].port_required ? IOT_ADDRESS_PORT_REQUIRED
							      : IOT_ADDRESS_BARE_IPV6,
				       &host,
				       &port,
				       NULL,
				       &error))
			rc = g_error_matches(error, IOT_ADDRESS_ERROR, IOT_ADDRESS_ERROR_PORT_RANGE)
				 ? CLI_ADDRESS_BAD_PORT
				 : CLI_ADDRESS_INVALID;
		g_test_message("%s", cases[i].text);
		g_assert_cmpint(rc, ==, cases[i].result);
		g_assert_cmpstr(host, ==, cases[i].host);
		if (rc == CLI_ADDRESS_OK)
			g_assert_cmpuint(port, ==, cases[i].port);
	}
}

/* --help lists every option of the table once, with its description */
static void
test_cli_help(void)
{
	g_autofree gchar *help = iot_cli_help_text();
	g_autoptr(GString) flat = g_string_new(help);

	/* the descriptions are wrapped: compare them with single spaces */
	g_string_replace(flat, "\n        ", " ", 0);
	for (IotCliOption id = 0; id < IOT_CLI_OPTION_LAST; id++) {
		const IotCliOptionInfo *info = iot_cli_option_get_info(id);
		g_autofree gchar *spec = iot_cli_help_option_spec(info);
		g_autofree gchar *entry = g_strdup_printf("  %s %s\n", spec, info->description);
		const gchar *found = strstr(flat->str, entry);
		g_test_message("%s", spec);
		g_assert_nonnull(found);
		g_assert_null(strstr(found + 1, entry));
	}
	for (IotCliGroup group = 0; group < IOT_CLI_GROUP_LAST; group++) {
		g_autofree gchar *title =
		    g_strdup_printf("\n%s:\n", iot_cli_help_group_title(group));
		g_assert_nonnull(strstr(help, title));
	}
	/* no line is longer than the width */
	for (const gchar *line = help; line != NULL && *line != '\0';) {
		const gchar *end = strchr(line, '\n');
		g_assert_nonnull(end);
		g_assert_cmpint(end - line, <=, IOT_CLI_HELP_WIDTH);
		line = end + 1;
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* the conversion's debug lines stay out (the default writer's rule); warnings are kept */
	g_log_set_writer_func(cli_test_log_writer, NULL, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(cli_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/cli/%s", cli_cases[i].name);
		g_test_add_data_func(path, &cli_cases[i], test_cli_case);
	}
	g_test_add_func("/iotunnel/cli/scrub-args", test_cli_scrub_args);
	g_test_add_func("/iotunnel/cli/destination-client-type-at-destination",
			test_cli_destination_client_type_at_destination);
	g_test_add_func("/iotunnel/cli/verbosity", test_cli_verbosity);
	g_test_add_func("/iotunnel/cli/settings/export", test_cli_settings_export);
	g_test_add_func("/iotunnel/cli/settings/round-trip", test_cli_settings_round_trip);
	g_test_add_func("/iotunnel/cli/address", test_cli_address);
	g_test_add_func("/iotunnel/cli/help", test_cli_help);
	return g_test_run();
}

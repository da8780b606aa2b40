/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the user sees when the service cannot be used: a refused token, a
 * closed tunnel, a certificate nobody vouches for, a service that stays
 * away. Each ends iotunneld with status 1 and one sentence naming the cause,
 * and a refusal is never retried.
 */

#include "config.h"

#include <signal.h>

#include "iot-realworld-common.h"

typedef IotRealworldFixture Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(fx, NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	if (fx->tunnel.source != NULL)
		iot_realworld_assert_no_secret(fx, fx->tunnel.source);
	iot_realworld_fixture_teardown(fx);
}

typedef struct {
	const gchar *name;
	const gchar *mode;
	const gchar *token; /* NULL: the tunnel's own for @mode; "source": the source's */
	gboolean close_first;
	const gchar *sentence;
} RefusalCase;

static const RefusalCase refusal_cases[] = {
    {"unknown-token",
     "source",
     "no-such-token",
     FALSE,
     "iotunneld: The service does not know this access token (HTTP 401): it is mistyped, its "
     "tunnel was closed long ago, or it belongs to another region or endpoint; check the "
     "token and the endpoint wss://127.0.0.1:"},
    {"wrong-mode",
     "destination",
     "source",
     FALSE,
     "iotunneld: The service refused the access token (HTTP 403): it was already used or has "
     "expired, or it is the source's token and this proxy runs in destination mode; give "
     "this proxy the destination token of an open tunnel, or rotate the tokens."},
    {"closed-tunnel",
     "source",
     NULL,
     TRUE,
     "iotunneld: The tunnel of this access token is closed (HTTP 410): its owner closed it or "
     "its lifetime ran out; open a new tunnel."},
};

/* a refused handshake: exit 1 at once, one sentence, one try */
static void
test_refusal(Fixture *fx, gconstpointer data)
{
	const RefusalCase *refusal = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *token_env = NULL;
	g_autofree gchar *output = NULL;
	const gchar *env[] = {NULL, NULL};
	const gchar *args[] = {"-s", "SSH1=0", NULL};
	const gchar *dst_args[] = {"-d", "SSH1=22", NULL};

	if (refusal->close_first) {
		g_autofree gchar *path = g_strdup_printf("/api/tunnels/%s", fx->tunnel.tunnel_id);
		guint status = 0;
		g_assert_true(
		    iot_test_tunnel_api(&fx->tunnel, "DELETE", path, NULL, &status, NULL, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(status, ==, 200);
	}
	if (refusal->token != NULL) {
		token_env = g_strdup_printf("AWSIOT_TUNNEL_ACCESS_TOKEN=%s",
					    g_strcmp0(refusal->token, "source") == 0
						? fx->tunnel.source_token
						: refusal->token);
		env[0] = token_env;
	}
	fx->tunnel.source = iot_test_tunnel_spawn_proxy_full(
	    &fx->tunnel,
	    refusal->mode,
	    g_strcmp0(refusal->mode, "source") == 0 ? args : dst_args,
	    env,
	    FALSE,
	    &error);
	g_assert_no_error(error);
	g_assert_cmpint(iot_realworld_wait_exit(fx->tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			1);
	output = iot_test_process_get_output(fx->tunnel.source);
	if (strstr(output, refusal->sentence) == NULL)
		g_error("no \"%s\" in:\n%s", refusal->sentence, output);
	g_assert_false(iot_test_process_has_line(fx->tunnel.source, "trying again"));
	g_assert_cmpuint(iot_test_process_count_lines(fx->tunnel.service, "refused a handshake"),
			 ==,
			 1);
}

/* no CA for the service's certificate: the sentence names the certificate's problem */
static void
test_tls_untrusted(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;
	const gchar *profile =
	    "{\"tunnels\": [{\"name\": \"untrusted\", \"mode\": \"source\","
	    " \"service\": {\"endpoint\": \"@ENDPOINT@\"},"
	    " \"access_token\": {\"env\": \"AWSIOT_TUNNEL_ACCESS_TOKEN\"},"
	    " \"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:0\"}}}]}";

	fx->tunnel.source =
	    iot_test_tunnel_spawn_profile_full(&fx->tunnel, "source", profile, NULL, FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(iot_realworld_wait_exit(fx->tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			1);
	output = iot_test_process_get_output(fx->tunnel.source);
	g_assert_nonnull(
	    strstr(output,
		   "iotunneld: The service's TLS certificate was not accepted (the TLS "
		   "certificate of 127.0.0.1 was refused: it is not signed by a trusted "
		   "certificate authority); check the host name of the endpoint and give "
		   "the authority that signed the certificate with -c DIR (ca_path), or, "
		   "for tests only, skip the check with -k."));
	g_assert_false(iot_test_process_has_line(fx->tunnel.source, "trying again"));
}

/* -k (insecure) connects to the same service without its CA */
static void
test_tls_insecure(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gchar *profile =
	    "{\"tunnels\": [{\"name\": \"insecure\", \"mode\": \"source\","
	    " \"service\": {\"endpoint\": \"@ENDPOINT@\"},"
	    " \"access_token\": {\"env\": \"AWSIOT_TUNNEL_ACCESS_TOKEN\"},"
	    " \"transport\": {\"insecure\": true},"
	    " \"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:0\"}}}]}";

	fx->tunnel.source =
	    iot_test_tunnel_spawn_profile_full(&fx->tunnel, "source", profile, NULL, TRUE, &error);
	g_assert_no_error(error);
}

/* -c DIR: every certificate file in the folder is trusted, other files are skipped */
static void
test_tls_ca_dir(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_path_get_dirname(fx->tunnel.ca_file);
	g_autofree gchar *profile = g_strdup_printf(
	    "{\"tunnels\": [{\"name\": \"ca-dir\", \"mode\": \"source\","
	    " \"service\": {\"endpoint\": \"@ENDPOINT@\"},"
	    " \"access_token\": {\"env\": \"AWSIOT_TUNNEL_ACCESS_TOKEN\"},"
	    " \"transport\": {\"ca_path\": \"%s\"},"
	    " \"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:0\"}}}]}",
	    dir);

	/* the service's state folder: the CA, its certificate, a key, a token, tunnels.json */
	fx->tunnel.source =
	    iot_test_tunnel_spawn_profile_full(&fx->tunnel, "source", profile, NULL, TRUE, &error);
	g_assert_no_error(error);
}

/* the "trying again in N ms" delays, in order */
static GArray *
retry_delays(IotTestProcess *proxy)
{
	g_autofree gchar *output = iot_test_process_get_output(proxy);
	g_autoptr(GRegex) regex = g_regex_new("trying again in ([0-9]+) ms", 0, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	GArray *delays = g_array_new(FALSE, FALSE, sizeof(guint));

	g_regex_match(regex, output, 0, &match);
	while (g_match_info_matches(match)) {
		g_autofree gchar *number = g_match_info_fetch(match, 1);
		guint delay = (guint)g_ascii_strtoull(number, NULL, 10);
		g_array_append_val(delays, delay);
		g_match_info_next(match, NULL);
	}
	return delays;
}

/*
 * The service stays away: the delays double from reconnect.delay_ms up to
 * reconnect.max_delay_ms, with +-25% jitter, and after reconnect.count
 * failed tries the proxy gives up with a sentence and status 1.
 */
static void
test_retry_backoff_and_count(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) delays = NULL;
	g_autofree gchar *output = NULL;
	g_autofree gchar *profile =
	    iot_realworld_profile(fx,
				  "source",
				  NULL,
				  IOT_REALWORLD_CLIENT_TOKEN_SOURCE,
				  NULL,
				  "{\"delay_ms\": 100, \"max_delay_ms\": 400, \"count\": 4}");
	const guint expected[] = {100, 200, 400, 400};

	g_assert_true(iot_test_tunnel_stop_service(&fx->tunnel, SIGTERM, &error));
	g_assert_no_error(error);
	fx->tunnel.source =
	    iot_test_tunnel_spawn_profile_full(&fx->tunnel, "source", profile, NULL, FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(iot_realworld_wait_exit(fx->tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			1);

	delays = retry_delays(fx->tunnel.source);
	g_assert_cmpuint(delays->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < delays->len; i++) {
		g_assert_cmpuint(g_array_index(delays, guint, i), >=, expected[i] * 3 / 4);
		g_assert_cmpuint(g_array_index(delays, guint, i), <=, expected[i] * 5 / 4);
	}
	output = iot_test_process_get_output(fx->tunnel.source);
	g_assert_nonnull(strstr(output,
				"iotunneld: The service could not be reached in 5 tries "
				"in a row (failed to connect to 127.0.0.1:"));
	g_assert_nonnull(strstr(output, "or allow more tries (reconnect.count)."));
}

/* the service comes back while the proxy retries: it connects, no restart needed */
static void
test_retry_until_back(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *profile =
	    iot_realworld_profile(fx,
				  "source",
				  NULL,
				  IOT_REALWORLD_CLIENT_TOKEN_SOURCE,
				  NULL,
				  "{\"delay_ms\": 50, \"max_delay_ms\": 200}");

	g_assert_true(iot_test_tunnel_stop_service(&fx->tunnel, SIGKILL, &error));
	g_assert_no_error(error);
	fx->tunnel.source =
	    iot_test_tunnel_spawn_profile_full(&fx->tunnel, "source", profile, NULL, FALSE, &error);
	g_assert_no_error(error);
	g_assert_true(iot_test_process_wait_lines(fx->tunnel.source,
						  "trying again in",
						  3,
						  IOT_REALWORLD_TIMEOUT_MS,
						  &error));
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_resume_service(&fx->tunnel, &error));
	g_assert_no_error(error);
	iot_realworld_wait_line(fx->tunnel.source,
				"tunnel source: connected",
				IOT_REALWORLD_TIMEOUT_MS);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	iot_realworld_init();

	for (guint i = 0; i < G_N_ELEMENTS(refusal_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/realworld/refuse/%s", refusal_cases[i].name);
		g_test_add(path,
			   Fixture,
			   &refusal_cases[i],
			   fixture_setup,
			   test_refusal,
			   fixture_teardown);
	}
#define ADD(path, func)                                                                            \
	g_test_add("/iotunnel/realworld/" path,                                                    \
		   Fixture,                                                                        \
		   NULL,                                                                           \
		   fixture_setup,                                                                  \
		   func,                                                                           \
		   fixture_teardown)
	ADD("tls/untrusted", test_tls_untrusted);
	ADD("tls/insecure", test_tls_insecure);
	ADD("tls/ca-dir", test_tls_ca_dir);
	ADD("retry/backoff-and-count", test_retry_backoff_and_count);
	ADD("retry/until-back", test_retry_until_back);
#undef ADD
	return g_test_run();
}

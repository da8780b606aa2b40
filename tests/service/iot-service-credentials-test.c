/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "service/iot-service-credentials.h"

/* the shared-credentials files iotunnel-service --credentials takes, and those it refuses */

typedef struct {
	const gchar *name;
	const gchar *contents; /* NULL: no file */
	gint code;	       /* -1: read */
} Case;

static const Case cases[] = {
    {"default",
     "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalr/K7+KEY\n",
     -1},
    {"profiles-and-comments",
     "# written by hand\n[default]\naws_access_key_id=AKIDEXAMPLE\n"
     "aws_secret_access_key=wJalr/K7+KEY\n\n[ci]\naws_access_key_id = AKIDCI\n"
     "aws_secret_access_key = ci-secret\naws_session_token = ci-session\n"
     "[empty]\nregion = us-east-1\n",
     -1},
    {"missing", NULL, IOT_SERVICE_CREDENTIALS_ERROR_READ},
    {"not-ini", "aws_access_key_id = AKIDEXAMPLE\n", IOT_SERVICE_CREDENTIALS_ERROR_READ},
    {"no-secret",
     "[default]\naws_access_key_id = AKIDEXAMPLE\n",
     IOT_SERVICE_CREDENTIALS_ERROR_INVALID},
    {"empty-id",
     "[default]\naws_access_key_id =\naws_secret_access_key = s\n",
     IOT_SERVICE_CREDENTIALS_ERROR_INVALID},
    {"same-id-twice",
     "[a]\naws_access_key_id = AKID\naws_secret_access_key = secret-one\n"
     "[b]\naws_access_key_id = AKID\naws_secret_access_key = secret-two\n",
     IOT_SERVICE_CREDENTIALS_ERROR_INVALID},
    {"no-key", "[default]\nregion = us-east-1\n", IOT_SERVICE_CREDENTIALS_ERROR_EMPTY},
};

static void
test_case(gconstpointer data)
{
	const Case *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("iot-credentials-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "credentials", NULL);
	g_autoptr(IotServiceCredentials) credentials = NULL;
	const gchar *secret = NULL;
	const gchar *token = NULL;

	g_assert_no_error(error);
	if (c->contents != NULL) {
		g_file_set_contents(path, c->contents, -1, &error);
		g_assert_no_error(error);
	}
	credentials = iot_service_credentials_new_from_file(path, &error);
	g_remove(path);
	g_rmdir(dir);
	if (c->code >= 0) {
		g_assert_error(error, IOT_SERVICE_CREDENTIALS_ERROR, c->code);
		g_assert_null(credentials);
		/* the message names the file, never a secret */
		g_assert_nonnull(strstr(error->message, path));
		g_assert_null(strstr(error->message, "secret-"));
		g_assert_null(strstr(error->message, "wJalr"));
		return;
	}
	g_assert_no_error(error);
	g_assert_true(iot_service_credentials_lookup(credentials, "AKIDEXAMPLE", &secret, &token));
	g_assert_cmpstr(secret, ==, "wJalr/K7+KEY");
	g_assert_null(token);
	g_assert_false(iot_service_credentials_lookup(credentials, "AKIDOTHER", &secret, &token));
	if (iot_service_credentials_get_n_keys(credentials) == 2) {
		g_assert_true(
		    iot_service_credentials_lookup(credentials, "AKIDCI", &secret, &token));
		g_assert_cmpstr(secret, ==, "ci-secret");
		g_assert_cmpstr(token, ==, "ci-session");
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/service-credentials/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_case);
	}
	return g_test_run();
}

/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-tls.h"

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

static gboolean
iot_test_tls_check(int rc, const gchar *what, GError **error)
{
	if (rc >= 0)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, gnutls_strerror(rc));
	return FALSE;
}

static gnutls_x509_privkey_t
iot_test_tls_new_key(GError **error)
{
	g_auto(gnutls_x509_privkey_t) key = NULL;
	if (!iot_test_tls_check(gnutls_x509_privkey_init(&key), "privkey_init", error))
		return NULL;
	if (!iot_test_tls_check(
		gnutls_x509_privkey_generate(key,
					     GNUTLS_PK_ECDSA,
					     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
					     0),
		"privkey_generate",
		error))
		return NULL;
	return g_steal_pointer(&key);
}

/* a certificate for @key; self-signed when @issuer is NULL */
static gnutls_x509_crt_t
iot_test_tls_new_certificate(gnutls_x509_privkey_t key,
			     const gchar *common_name,
			     gboolean is_ca,
			     time_t not_before,
			     time_t not_after,
			     gnutls_x509_crt_t issuer,
			     gnutls_x509_privkey_t issuer_key,
			     GError **error)
{
	g_auto(gnutls_x509_crt_t) crt = NULL;
	guint8 serial[8];
	guint8 key_id[64];
	size_t key_id_len = sizeof(key_id);

	for (guint i = 0; i < sizeof(serial); i++)
		serial[i] = g_random_int_range(1, 256);
	serial[0] &= 0x7f;
	if (!iot_test_tls_check(gnutls_x509_crt_init(&crt), "crt_init", error) ||
	    !iot_test_tls_check(gnutls_x509_crt_set_version(crt, 3), "set_version", error) ||
	    !iot_test_tls_check(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)),
				"set_serial",
				error) ||
	    !iot_test_tls_check(gnutls_x509_crt_set_activation_time(crt, not_before),
				"set_activation_time",
				error) ||
	    !iot_test_tls_check(gnutls_x509_crt_set_expiration_time(crt, not_after),
				"set_expiration_time",
				error) ||
	    !iot_test_tls_check(gnutls_x509_crt_set_dn_by_oid(crt,
							      GNUTLS_OID_X520_COMMON_NAME,
							      0,
							      common_name,
							      strlen(common_name)),
				"set_dn",
				error) ||
	    !iot_test_tls_check(gnutls_x509_crt_set_key(crt, key), "set_key", error) ||
	    !iot_test_tls_check(gnutls_x509_crt_get_key_id(crt, 0, key_id, &key_id_len),
				"get_key_id",
				error) ||
	    !iot_test_tls_check(gnutls_x509_crt_set_subject_key_id(crt, key_id, key_id_len),
				"set_subject_key_id",
				error) ||
	    !iot_test_tls_check(gnutls_x509_crt_set_basic_constraints(crt, is_ca, -1),
				"set_basic_constraints",
				error))
		return NULL;
	if (is_ca) {
		if (!iot_test_tls_check(gnutls_x509_crt_set_key_usage(crt,
								      GNUTLS_KEY_KEY_CERT_SIGN |
									  GNUTLS_KEY_CRL_SIGN),
					"set_key_usage",
					error))
			return NULL;
	} else {
		if (!iot_test_tls_check(
			gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE),
			"set_key_usage",
			error) ||
		    !iot_test_tls_check(
			gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0),
			"set_key_purpose_oid",
			error) ||
		    !iot_test_tls_check(gnutls_x509_crt_set_subject_alt_name(crt,
									     GNUTLS_SAN_DNSNAME,
									     common_name,
									     strlen(common_name),
									     GNUTLS_FSAN_APPEND),
					"set_subject_alt_name",
					error))
			return NULL;
	}
	if (issuer != NULL) {
		key_id_len = sizeof(key_id);
		if (!iot_test_tls_check(
			gnutls_x509_crt_get_subject_key_id(issuer, key_id, &key_id_len, NULL),
			"get_subject_key_id",
			error) ||
		    !iot_test_tls_check(
			gnutls_x509_crt_set_authority_key_id(crt, key_id, key_id_len),
			"set_authority_key_id",
			error))
			return NULL;
	}
	if (!iot_test_tls_check(gnutls_x509_crt_sign2(crt,
						      issuer != NULL ? issuer : crt,
						      issuer_key != NULL ? issuer_key : key,
						      GNUTLS_DIG_SHA256,
						      0),
				"sign",
				error))
		return NULL;
	return g_steal_pointer(&crt);
}

/* the certificate, then (when @key is not NULL) its key, in PEM */
static gboolean
iot_test_tls_write(const gchar *filename,
		   gnutls_x509_crt_t crt,
		   gnutls_x509_privkey_t key,
		   GError **error)
{
	g_autoptr(GString) pem = g_string_new(NULL);
	gnutls_datum_t datum = {NULL, 0};

	if (!iot_test_tls_check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &datum),
				"crt_export",
				error))
		return FALSE;
	g_string_append_len(pem, (const gchar *)datum.data, datum.size);
	gnutls_free(datum.data);
	if (key != NULL) {
		if (!iot_test_tls_check(gnutls_x509_privkey_export2_pkcs8(key,
									  GNUTLS_X509_FMT_PEM,
									  NULL,
									  GNUTLS_PKCS_PLAIN,
									  &datum),
					"privkey_export",
					error))
			return FALSE;
		g_string_append_len(pem, (const gchar *)datum.data, datum.size);
		gnutls_free(datum.data);
	}
	return g_file_set_contents(filename, pem->str, pem->len, error);
}

gboolean
iot_test_tls_generate(const gchar *dir, GError **error)
{
	time_t now = time(NULL);
	g_autofree gchar *ca_dir = g_build_filename(dir, "ca", NULL);
	g_autofree gchar *ca_file = g_build_filename(ca_dir, "ca.pem", NULL);
	g_autofree gchar *server_file = g_build_filename(dir, "server.pem", NULL);
	g_autofree gchar *expired_file = g_build_filename(dir, "expired.pem", NULL);
	g_auto(gnutls_x509_privkey_t) ca_key = NULL;
	g_auto(gnutls_x509_privkey_t) server_key = NULL;
	g_auto(gnutls_x509_crt_t) ca = NULL;
	g_auto(gnutls_x509_crt_t) server = NULL;
	g_auto(gnutls_x509_crt_t) expired = NULL;

	if (g_mkdir_with_parents(ca_dir, 0700) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s", ca_dir);
		return FALSE;
	}
	ca_key = iot_test_tls_new_key(error);
	if (ca_key == NULL)
		return FALSE;
	ca = iot_test_tls_new_certificate(ca_key,
					  "iotunnel test CA",
					  TRUE,
					  now - 3600,
					  now + 86400,
					  NULL,
					  NULL,
					  error);
	if (ca == NULL)
		return FALSE;
	server_key = iot_test_tls_new_key(error);
	if (server_key == NULL)
		return FALSE;
	server = iot_test_tls_new_certificate(server_key,
					      "localhost",
					      FALSE,
					      now - 3600,
					      now + 86400,
					      ca,
					      ca_key,
					      error);
	if (server == NULL)
		return FALSE;
	expired = iot_test_tls_new_certificate(server_key,
					       "localhost",
					       FALSE,
					       now - 2 * 86400,
					       now - 86400,
					       ca,
					       ca_key,
					       error);
	if (expired == NULL)
		return FALSE;
	return iot_test_tls_write(ca_file, ca, NULL, error) &&
	       iot_test_tls_write(server_file, server, server_key, error) &&
	       iot_test_tls_write(expired_file, expired, server_key, error);
}

/* removes what iot_test_tls_generate() wrote, and @dir */
void
iot_test_tls_remove(const gchar *dir)
{
	const gchar *names[] = {"ca/ca.pem", "ca", "server.pem", "expired.pem"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *filename = g_build_filename(dir, names[i], NULL);
		g_assert_cmpint(g_remove(filename), ==, 0);
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

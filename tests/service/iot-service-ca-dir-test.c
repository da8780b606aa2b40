/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The service's OpenSSL subject hash against `openssl x509 -hash` itself,
 * for names that exercise each rule of OpenSSL's canonical form: every
 * string type, case, white space, non-ASCII text, values kept as they are,
 * multi-valued names and long values.
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "service/iot-service-ca-dir.h"

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

#define OID_CN "2.5.4.3"
#define OID_O "2.5.4.10"
#define OID_SERIAL "2.5.4.5"
#define OID_DC "0.9.2342.19200300.100.1.25"

static gnutls_x509_privkey_t key = NULL;
static gchar *tmpdir = NULL;

/* one attribute of a test name: its OID, the DER tag of its value and the value's bytes */
typedef struct {
	const gchar *oid;
	guint8 tag;
	const gchar *value;
	gsize value_len;
} Attribute;

/* a subject: a GnuTLS DN string, an `openssl req -subj` one, or attributes */
typedef struct {
	const gchar *name;
	const gchar *dn;
	const gchar *openssl_subject;
	Attribute attributes[4];
} NameCase;

/* a value's bytes and their length, embedded NULs included */
#define BYTES(s) s, sizeof(s) - 1

static const NameCase cases[] = {
    {"service-ca", .dn = "O=iotunnel,CN=iotunnel-service local CA"},
    /* DER orders the set by the original values (B, a), the canonical form by the lowered ones */
    {"multi-valued", .openssl_subject = "/CN=zeta+O=B+O=a/O=outer"},
    {"case-and-spaces",
     .attributes = {{OID_O, 0x0c, BYTES("  Mixed   CASE\tName  ")},
		    {OID_CN, 0x0c, BYTES("\v\fTabs\n\r and\v\vFeeds \t")}}},
    {"printable", .attributes = {{OID_CN, 0x13, BYTES("Printable String")}}},
    {"ia5", .attributes = {{OID_DC, 0x16, BYTES("Example")}, {OID_CN, 0x0c, BYTES("One")}}},
    {"t61-latin1", .attributes = {{OID_CN, 0x14, BYTES("Caf\xc9 T61")}}},
    {"bmp", .attributes = {{OID_CN, 0x1e, BYTES("\x00\xc9\x00t\x00\xc9\x00 \x00 \x00X")}}},
    {"universal",
     .attributes = {{OID_CN, 0x1c, BYTES("\x00\x00\x00U\x00\x00\x01\x30\x00\x00\x00 ")}}},
    {"utf8-non-ascii",
     .attributes = {{OID_CN, 0x0c, BYTES("\xc3\x89T\xc3\x89  \xe2\x82\xac Euro")}}},
    {"numeric-kept",
     .attributes = {{OID_SERIAL, 0x12, BYTES("12 34  56")}, {OID_CN, 0x0c, BYTES("A")}}},
    {"empty-value", .attributes = {{OID_CN, 0x0c, BYTES("   ")}}},
    {"long-value",
     .attributes =
	 {{OID_CN,
	   0x0c,
	   BYTES("A Very Long Common Name That Goes On And On To Need A Long-Form DER Length, "
		 "Over One Hundred And Twenty Seven Bytes, And Then Some More, Past Two Hundred "
		 "And Fifty Five Bytes Even, So That Two Length Bytes Are Needed Here, Which "
		 "Takes A Few More Words To Reach")}}},
};

/* the DER of a value: @tag, a length, the bytes */
static GBytes *
encode_value(guint8 tag, const gchar *value, gsize len)
{
	GByteArray *der = g_byte_array_new();
	guint8 header[4] = {tag};

	if (len < 0x80) {
		header[1] = (guint8)len;
		g_byte_array_append(der, header, 2);
	} else if (len < 0x100) {
		header[1] = 0x81;
		header[2] = (guint8)len;
		g_byte_array_append(der, header, 3);
	} else {
		header[1] = 0x82;
		header[2] = (guint8)(len >> 8);
		header[3] = (guint8)len;
		g_byte_array_append(der, header, 4);
	}
	g_byte_array_append(der, (const guint8 *)value, len);
	return g_byte_array_free_to_bytes(der);
}

/* a certificate that `openssl req` makes with @subject, which GnuTLS cannot write */
static gnutls_x509_crt_t
make_openssl_certificate(const gchar *subject)
{
	g_autofree gchar *path = g_build_filename(tmpdir, "openssl.pem", NULL);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *pem = NULL;
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crt_t crt = NULL;
	gsize len = 0;

	process = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE,
				   &error,
				   "openssl",
				   "req",
				   "-x509",
				   "-new",
				   "-newkey",
				   "ec",
				   "-pkeyopt",
				   "ec_paramgen_curve:prime256v1",
				   "-nodes",
				   "-keyout",
				   "/dev/null",
				   "-days",
				   "1",
				   "-multivalue-rdn",
				   "-subj",
				   subject,
				   "-out",
				   path,
				   NULL);
	g_assert_no_error(error);
	g_subprocess_wait_check(process, NULL, &error);
	g_assert_no_error(error);
	g_file_get_contents(path, &pem, &len, &error);
	g_assert_no_error(error);
	g_remove(path);
	data.data = (guchar *)pem;
	data.size = (guint)len;
	g_assert_cmpint(gnutls_x509_crt_init(&crt), >=, 0);
	g_assert_cmpint(gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM), >=, 0);
	return crt;
}

/* a self-signed certificate whose subject is @name_case */
static gnutls_x509_crt_t
make_certificate(const NameCase *name_case)
{
	gnutls_x509_crt_t crt = NULL;
	const guint8 serial[] = {1};
	time_t now = time(NULL);

	if (name_case->openssl_subject != NULL)
		return make_openssl_certificate(name_case->openssl_subject);
	g_assert_cmpint(gnutls_x509_crt_init(&crt), >=, 0);
	g_assert_cmpint(gnutls_x509_crt_set_version(crt, 3), >=, 0);
	g_assert_cmpint(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), >=, 0);
	g_assert_cmpint(gnutls_x509_crt_set_activation_time(crt, now), >=, 0);
	g_assert_cmpint(gnutls_x509_crt_set_expiration_time(crt, now + 3600), >=, 0);
	if (name_case->dn != NULL) {
		g_assert_cmpint(gnutls_x509_crt_set_dn(crt, name_case->dn, NULL), >=, 0);
	}
	for (guint i = 0; name_case->attributes[i].oid != NULL; i++) {
		const Attribute *attribute = &name_case->attributes[i];
		g_autoptr(GBytes) der =
		    encode_value(attribute->tag, attribute->value, attribute->value_len);
		g_assert_cmpint(gnutls_x509_crt_set_dn_by_oid(crt,
							      attribute->oid,
							      1,
							      g_bytes_get_data(der, NULL),
							      g_bytes_get_size(der)),
				>=,
				0);
	}
	g_assert_cmpint(gnutls_x509_crt_set_key(crt, key), >=, 0);
	g_assert_cmpint(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), >=, 0);
	return crt;
}

/* what `openssl x509 -hash` says of @crt */
static gchar *
openssl_hash(gnutls_x509_crt_t crt, const gchar *name)
{
	g_autofree gchar *file_name = g_strdup_printf("%s.pem", name);
	g_autofree gchar *path = g_build_filename(tmpdir, file_name, NULL);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	gnutls_datum_t pem = {NULL, 0};
	gchar *out = NULL;

	g_assert_cmpint(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem), >=, 0);
	g_file_set_contents(path, (const gchar *)pem.data, pem.size, &error);
	gnutls_free(pem.data);
	g_assert_no_error(error);
	process = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE,
				   &error,
				   "openssl",
				   "x509",
				   "-hash",
				   "-noout",
				   "-in",
				   path,
				   NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_successful(process));
	g_remove(path);
	return g_strstrip(out);
}

static void
test_hash_like_openssl(gconstpointer user_data)
{
	const NameCase *name_case = user_data;
	g_autofree gchar *openssl = g_find_program_in_path("openssl");
	g_auto(gnutls_x509_crt_t) crt = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *computed = NULL;
	g_autoptr(GError) error = NULL;
	gnutls_datum_t name = {NULL, 0};
	guint32 hash = 0;
	gboolean ok;

	if (openssl == NULL) {
		g_test_skip("openssl is not installed (Debian package openssl)");
		return;
	}
	crt = make_certificate(name_case);
	expected = openssl_hash(crt, name_case->name);
	g_assert_cmpint(gnutls_x509_crt_get_raw_dn(crt, &name), >=, 0);
	ok = iot_service_ca_dir_subject_hash(name.data, name.size, &hash, &error);
	gnutls_free(name.data);
	g_assert_no_error(error);
	g_assert_true(ok);
	computed = g_strdup_printf("%08" G_GINT32_MODIFIER "x", hash);
	g_assert_cmpstr(computed, ==, expected);
}

/* a name that is not DER is refused with an error, never read past its end */
static void
test_malformed(void)
{
	const struct {
		const gchar *what;
		const gchar *der;
		gsize len;
	} malformed[] = {
	    {"empty", "", 0},
	    {"not a sequence", "\x31\x00", 2},
	    {"truncated", "\x30\x05\x31\x03\x30\x01", 6},
	    {"length past the end", "\x30\x84\xff\xff\xff\xff", 6},
	    {"indefinite length", "\x30\x80\x00\x00", 4},
	    {"trailing bytes", "\x30\x00\x00", 3},
	    {"rdn not a set", "\x30\x02\x30\x00", 4},
	    {"empty rdn", "\x30\x02\x31\x00", 4},
	    {"attribute without value", "\x30\x07\x31\x05\x30\x03\x06\x01\x55", 9},
	    {"type not an oid", "\x30\x08\x31\x06\x30\x04\x0c\x00\x0c\x00", 10},
	    {"bad utf-8", "\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x01\xff", 14},
	    {"odd bmp", "\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x1e\x01\x41", 14},
	};

	for (guint i = 0; i < G_N_ELEMENTS(malformed); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree guint8 *copy = g_memdup2(malformed[i].der, malformed[i].len);
		guint32 hash = 0;
		g_test_message("%s", malformed[i].what);
		g_assert_false(
		    iot_service_ca_dir_subject_hash(copy, malformed[i].len, &hash, &error));
		g_assert_error(error, IOT_SERVICE_CA_DIR_ERROR, IOT_SERVICE_CA_DIR_ERROR_PARSE);
	}
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(gnutls_x509_privkey_init(&key), >=, 0);
	g_assert_cmpint(
	    gnutls_x509_privkey_generate(key,
					 GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
					 0),
	    >=,
	    0);
	tmpdir = g_dir_make_tmp("iotunnel-ca-dir-test-XXXXXX", &error);
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/service/ca-dir/hash/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_hash_like_openssl);
	}
	g_test_add_func("/iotunnel/service/ca-dir/hash/malformed", test_malformed);
	rc = g_test_run();
	g_rmdir(tmpdir);
	g_free(tmpdir);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

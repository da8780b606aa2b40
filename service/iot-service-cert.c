/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-cert.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "iot-service-ca-dir.h"
#include "iot-service-common.h"

/*
 * The service's TLS identity: a certificate and key the user gives, or a
 * private CA and a leaf certificate for localhost, 127.0.0.1, ::1 and the
 * address the service listens on, generated once and kept in the state
 * directory. Proxies trust the CA file (`-c`), or the hashed folder beside it
 * that OpenSSL-based proxies need, and check the leaf against the host or
 * address they connect to; the CA key is thrown away once the leaf is signed.
 */
struct _IotServiceCert {
	GObject parent_instance;
	GTlsCertificate *certificate;
	gchar *ca_file; /* NULL for a user's certificate */
	gchar *ca_dir;	/* the CA file in OpenSSL's hashed layout; NULL with ca_file */
	gboolean generated;
};

G_DEFINE_FINAL_TYPE(IotServiceCert, iot_service_cert, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-service-cert-error-quark, iot_service_cert_error);

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

/* a generated certificate is valid this long, and renewed this long before it ends */
#define IOT_SERVICE_CERT_VALIDITY (10 * 365 * 24 * 3600L)
#define IOT_SERVICE_CERT_RENEW (24 * 3600L)

static gboolean
iot_service_cert_check(int rc, const gchar *what, GError **error)
{
	if (rc < 0) {
		g_set_error(error,
			    IOT_SERVICE_CERT_ERROR,
			    IOT_SERVICE_CERT_ERROR_GENERATE,
			    "failed to %s: %s",
			    what,
			    gnutls_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

static gboolean
iot_service_cert_new_key(gnutls_x509_privkey_t *key, GError **error)
{
	if (!iot_service_cert_check(gnutls_x509_privkey_init(key), "create a key", error))
		return FALSE;
	return iot_service_cert_check(
	    gnutls_x509_privkey_generate(*key,
					 GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
					 0),
	    "generate a P-256 key",
	    error);
}

/* the fields a CA and a leaf share: version, serial, validity, names, key */
static gboolean
iot_service_cert_new_crt(gnutls_x509_crt_t *crt,
			 gnutls_x509_privkey_t key,
			 const gchar *dn,
			 GError **error)
{
	guint8 serial[16];
	guint8 key_id[64];
	size_t key_id_size = sizeof(key_id);
	const char *dn_error = NULL;
	time_t now = time(NULL);

	if (!iot_service_random_bytes(serial, sizeof(serial), error))
		return FALSE;
	serial[0] &= 0x7f; /* a positive serial */
	if (!iot_service_cert_check(gnutls_x509_crt_init(crt), "create a certificate", error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_version(*crt, 3), "set the version", error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_serial(*crt, serial, sizeof(serial)),
				    "set the serial",
				    error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_activation_time(*crt, now - 3600),
				    "set the activation time",
				    error))
		return FALSE;
	if (!iot_service_cert_check(
		gnutls_x509_crt_set_expiration_time(*crt, now + IOT_SERVICE_CERT_VALIDITY),
		"set the expiration time",
		error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_dn(*crt, dn, &dn_error),
				    "set the subject",
				    error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_key(*crt, key), "set the key", error))
		return FALSE;
	if (!iot_service_cert_check(
		gnutls_x509_crt_get_key_id(*crt, GNUTLS_KEYID_USE_SHA1, key_id, &key_id_size),
		"compute the key id",
		error))
		return FALSE;
	return iot_service_cert_check(gnutls_x509_crt_set_subject_key_id(*crt, key_id, key_id_size),
				      "set the subject key id",
				      error);
}

static gboolean
iot_service_cert_new_ca(gnutls_x509_crt_t *ca, gnutls_x509_privkey_t ca_key, GError **error)
{
	if (!iot_service_cert_new_crt(ca, ca_key, "O=iotunnel,CN=iotunnel-service local CA", error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_basic_constraints(*ca, 1, 0),
				    "set the basic constraints",
				    error))
		return FALSE;
	if (!iot_service_cert_check(
		gnutls_x509_crt_set_key_usage(*ca, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN),
		"set the key usage",
		error))
		return FALSE;
	return iot_service_cert_check(gnutls_x509_crt_sign2(*ca, *ca, ca_key, GNUTLS_DIG_SHA256, 0),
				      "sign the CA certificate",
				      error);
}

/* whether the leaf names @address among its IP addresses */
static gboolean
iot_service_cert_names_address(GTlsCertificate *certificate, GInetAddress *address)
{
	g_autoptr(GPtrArray) addresses = g_tls_certificate_get_ip_addresses(certificate);

	for (guint i = 0; addresses != NULL && i < addresses->len; i++) {
		if (g_inet_address_equal(g_ptr_array_index(addresses, i), address))
			return TRUE;
	}
	return FALSE;
}

/* the address the service listens on, when the default names leave it out */
static GInetAddress *
iot_service_cert_extra_address(GInetAddress *address)
{
	g_autoptr(GInetAddress) ipv4 = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GInetAddress) ipv6 = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6);

	/* a certificate cannot name "any address" */
	if (address == NULL || g_inet_address_get_is_any(address) ||
	    g_inet_address_equal(address, ipv4) || g_inet_address_equal(address, ipv6))
		return NULL;
	return address;
}

static gboolean
iot_service_cert_new_leaf(gnutls_x509_crt_t *leaf,
			  gnutls_x509_privkey_t key,
			  gnutls_x509_crt_t ca,
			  gnutls_x509_privkey_t ca_key,
			  GInetAddress *extra_address,
			  GError **error)
{
	const guint8 ipv4[4] = {127, 0, 0, 1};
	const guint8 ipv6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	guint8 ca_key_id[64];
	size_t ca_key_id_size = sizeof(ca_key_id);
	unsigned int critical = 0;

	if (!iot_service_cert_new_crt(leaf, key, "O=iotunnel,CN=localhost", error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_basic_constraints(*leaf, 0, -1),
				    "set the basic constraints",
				    error))
		return FALSE;
	if (!iot_service_cert_check(
		gnutls_x509_crt_set_key_usage(*leaf, GNUTLS_KEY_DIGITAL_SIGNATURE),
		"set the key usage",
		error))
		return FALSE;
	if (!iot_service_cert_check(
		gnutls_x509_crt_set_key_purpose_oid(*leaf, GNUTLS_KP_TLS_WWW_SERVER, 0),
		"set the key purpose",
		error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_subject_alt_name(*leaf,
									 GNUTLS_SAN_DNSNAME,
									 "localhost",
									 9,
									 GNUTLS_FSAN_APPEND),
				    "add localhost",
				    error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_subject_alt_name(*leaf,
									 GNUTLS_SAN_IPADDRESS,
									 ipv4,
									 sizeof(ipv4),
									 GNUTLS_FSAN_APPEND),
				    "add 127.0.0.1",
				    error))
		return FALSE;
	if (!iot_service_cert_check(gnutls_x509_crt_set_subject_alt_name(*leaf,
									 GNUTLS_SAN_IPADDRESS,
									 ipv6,
									 sizeof(ipv6),
									 GNUTLS_FSAN_APPEND),
				    "add ::1",
				    error))
		return FALSE;
	if (extra_address != NULL &&
	    !iot_service_cert_check(
		gnutls_x509_crt_set_subject_alt_name(*leaf,
						     GNUTLS_SAN_IPADDRESS,
						     g_inet_address_to_bytes(extra_address),
						     g_inet_address_get_native_size(extra_address),
						     GNUTLS_FSAN_APPEND),
		"add the address the service listens on",
		error))
		return FALSE;
	if (!iot_service_cert_check(
		gnutls_x509_crt_get_subject_key_id(ca, ca_key_id, &ca_key_id_size, &critical),
		"read the CA key id",
		error))
		return FALSE;
	if (!iot_service_cert_check(
		gnutls_x509_crt_set_authority_key_id(*leaf, ca_key_id, ca_key_id_size),
		"set the authority key id",
		error))
		return FALSE;
	return iot_service_cert_check(
	    gnutls_x509_crt_sign2(*leaf, ca, ca_key, GNUTLS_DIG_SHA256, 0),
	    "sign the server certificate",
	    error);
}

/* appends the PEM of @crt to @pem */
static gboolean
iot_service_cert_append_crt(GString *pem, gnutls_x509_crt_t crt, GError **error)
{
	gnutls_datum_t out = {NULL, 0};
	if (!iot_service_cert_check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out),
				    "export a certificate",
				    error))
		return FALSE;
	g_string_append_len(pem, (const gchar *)out.data, out.size);
	gnutls_free(out.data);
	return TRUE;
}

static gboolean
iot_service_cert_write(const gchar *path, const gchar *contents, gssize len, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	if (!g_file_set_contents_full(path,
				      contents,
				      len,
				      G_FILE_SET_CONTENTS_CONSISTENT,
				      0600,
				      &error_local)) {
		g_set_error(error,
			    IOT_SERVICE_CERT_ERROR,
			    IOT_SERVICE_CERT_ERROR_WRITE,
			    "failed to write %s: %s",
			    path,
			    error_local->message);
		return FALSE;
	}
	return TRUE;
}

/* makes a CA and a leaf and writes ca.pem, server.pem (leaf then CA) and server-key.pem */
static gboolean
iot_service_cert_generate(const gchar *ca_file,
			  const gchar *cert_file,
			  const gchar *key_file,
			  GInetAddress *extra_address,
			  GError **error)
{
	g_auto(gnutls_x509_privkey_t) ca_key = NULL;
	g_auto(gnutls_x509_privkey_t) key = NULL;
	g_auto(gnutls_x509_crt_t) ca = NULL;
	g_auto(gnutls_x509_crt_t) leaf = NULL;
	g_autoptr(GString) ca_pem = g_string_new(NULL);
	g_autoptr(GString) chain_pem = g_string_new(NULL);
	gnutls_datum_t key_pem = {NULL, 0};
	gboolean ok;

	if (!iot_service_cert_new_key(&ca_key, error))
		return FALSE;
	if (!iot_service_cert_new_key(&key, error))
		return FALSE;
	if (!iot_service_cert_new_ca(&ca, ca_key, error))
		return FALSE;
	if (!iot_service_cert_new_leaf(&leaf, key, ca, ca_key, extra_address, error))
		return FALSE;
	if (!iot_service_cert_append_crt(ca_pem, ca, error))
		return FALSE;
	if (!iot_service_cert_append_crt(chain_pem, leaf, error))
		return FALSE;
	g_string_append(chain_pem, ca_pem->str);
	/* PKCS#8, which GLib's PEM reader takes for any key type */
	if (!iot_service_cert_check(gnutls_x509_privkey_export2_pkcs8(key,
								      GNUTLS_X509_FMT_PEM,
								      NULL,
								      GNUTLS_PKCS_PLAIN,
								      &key_pem),
				    "export the key",
				    error))
		return FALSE;
	ok = iot_service_cert_write(key_file, (const gchar *)key_pem.data, key_pem.size, error);
	gnutls_memset(key_pem.data, 0, key_pem.size);
	gnutls_free(key_pem.data);
	if (!ok)
		return FALSE;
	if (!iot_service_cert_write(cert_file, chain_pem->str, chain_pem->len, error))
		return FALSE;
	return iot_service_cert_write(ca_file, ca_pem->str, ca_pem->len, error);
}

static GTlsCertificate *
iot_service_cert_load(const gchar *cert_file, const gchar *key_file, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	GTlsCertificate *certificate =
	    g_tls_certificate_new_from_files(cert_file, key_file, &error_local);
	if (certificate == NULL) {
		g_set_error(error,
			    IOT_SERVICE_CERT_ERROR,
			    IOT_SERVICE_CERT_ERROR_LOAD,
			    "failed to load %s and %s: %s",
			    cert_file,
			    key_file,
			    error_local->message);
		return NULL;
	}
	return certificate;
}

/* whether @certificate is still good for a while */
static gboolean
iot_service_cert_is_fresh(GTlsCertificate *certificate)
{
	g_autoptr(GDateTime) not_after = g_tls_certificate_get_not_valid_after(certificate);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	if (not_after == NULL)
		return FALSE;
	return g_date_time_difference(not_after, now) > IOT_SERVICE_CERT_RENEW * G_TIME_SPAN_SECOND;
}

/**
 * iot_service_cert_new_from_files:
 * @cert_file: a PEM certificate (chain)
 * @key_file: its PEM private key
 * @error: (nullable): return location for an error in %IOT_SERVICE_CERT_ERROR
 *
 * Returns: (transfer full): the identity, or %NULL with @error set
 */
IotServiceCert *
iot_service_cert_new_from_files(const gchar *cert_file, const gchar *key_file, GError **error)
{
	g_autoptr(IotServiceCert) self = g_object_new(IOT_TYPE_SERVICE_CERT, NULL);
	self->certificate = iot_service_cert_load(cert_file, key_file, error);
	if (self->certificate == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * iot_service_cert_new_self_signed:
 * @state_dir: where the generated files live; created (0700) when missing
 * @address: (nullable): the address the service listens on, which the
 *   certificate names besides localhost, 127.0.0.1 and ::1 (unless it is
 *   the address of any interface)
 * @error: (nullable): return location for an error in %IOT_SERVICE_CERT_ERROR
 *
 * Loads the certificate generated at an earlier start, or generates a new one
 * when there is none, it cannot be loaded, it expires within a day, or it
 * does not name @address; then writes the CA into the hashed folder `ca-dir`
 * of @state_dir.
 *
 * Returns: (transfer full): the identity, or %NULL with @error set
 */
IotServiceCert *
iot_service_cert_new_self_signed(const gchar *state_dir, GInetAddress *address, GError **error)
{
	g_autoptr(IotServiceCert) self = g_object_new(IOT_TYPE_SERVICE_CERT, NULL);
	g_autofree gchar *cert_file = g_build_filename(state_dir, "server.pem", NULL);
	g_autofree gchar *key_file = g_build_filename(state_dir, "server-key.pem", NULL);
	g_autoptr(GError) error_local = NULL;
	GInetAddress *extra_address = iot_service_cert_extra_address(address);

	self->ca_file = g_build_filename(state_dir, "ca.pem", NULL);
	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		g_set_error(error,
			    IOT_SERVICE_CERT_ERROR,
			    IOT_SERVICE_CERT_ERROR_WRITE,
			    "failed to create %s: %s",
			    state_dir,
			    g_strerror(errno));
		return NULL;
	}
	if (g_file_test(self->ca_file, G_FILE_TEST_IS_REGULAR)) {
		self->certificate = iot_service_cert_load(cert_file, key_file, &error_local);
		if (self->certificate == NULL) {
			g_warning("generating a new certificate: %s", error_local->message);
			g_clear_error(&error_local);
		} else if (!iot_service_cert_is_fresh(self->certificate)) {
			g_message("generating a new certificate: %s expires soon", cert_file);
			g_clear_object(&self->certificate);
		} else if (extra_address != NULL &&
			   !iot_service_cert_names_address(self->certificate, extra_address)) {
			g_autofree gchar *text = g_inet_address_to_string(extra_address);
			g_message("generating a new certificate: %s does not name %s; proxies "
				  "need the new %s",
				  cert_file,
				  text,
				  self->ca_file);
			g_clear_object(&self->certificate);
		}
	}
	if (self->certificate == NULL) {
		if (!iot_service_cert_generate(self->ca_file,
					       cert_file,
					       key_file,
					       extra_address,
					       error))
			return NULL;
		self->certificate = iot_service_cert_load(cert_file, key_file, error);
		if (self->certificate == NULL)
			return NULL;
		self->generated = TRUE;
	}
	self->ca_dir = g_build_filename(state_dir, "ca-dir", NULL);
	if (!iot_service_ca_dir_write(self->ca_dir, self->ca_file, &error_local)) {
		g_set_error(error,
			    IOT_SERVICE_CERT_ERROR,
			    IOT_SERVICE_CERT_ERROR_WRITE,
			    "failed to keep the hashed CA folder: %s",
			    error_local->message);
		return NULL;
	}
	return g_steal_pointer(&self);
}

/**
 * iot_service_cert_get_certificate:
 * @self: an identity
 *
 * Returns: (transfer none): the certificate and key to serve
 */
GTlsCertificate *
iot_service_cert_get_certificate(IotServiceCert *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_CERT(self), NULL);
	return self->certificate;
}

/**
 * iot_service_cert_get_ca_file:
 * @self: an identity
 *
 * Returns: (nullable): the CA file proxies must trust, for a self-signed identity
 */
const gchar *
iot_service_cert_get_ca_file(IotServiceCert *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_CERT(self), NULL);
	return self->ca_file;
}

/**
 * iot_service_cert_get_ca_dir:
 * @self: an identity
 *
 * Returns: (nullable): the folder of hashed CA files (`openssl rehash` layout)
 *   that OpenSSL-based proxies take as `-c`, for a self-signed identity
 */
const gchar *
iot_service_cert_get_ca_dir(IotServiceCert *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_CERT(self), NULL);
	return self->ca_dir;
}

/**
 * iot_service_cert_get_generated:
 * @self: an identity
 *
 * Returns: whether the certificate was generated at this start
 */
gboolean
iot_service_cert_get_generated(IotServiceCert *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_CERT(self), FALSE);
	return self->generated;
}

static void
iot_service_cert_finalize(GObject *object)
{
	IotServiceCert *self = IOT_SERVICE_CERT(object);
	g_clear_object(&self->certificate);
	g_free(self->ca_file);
	g_free(self->ca_dir);
	G_OBJECT_CLASS(iot_service_cert_parent_class)->finalize(object);
}

static void
iot_service_cert_class_init(IotServiceCertClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_service_cert_finalize;
}

static void
iot_service_cert_init(IotServiceCert *self)
{
}

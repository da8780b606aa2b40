/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-ca-dir.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/*
 * The service's CA as a hashed folder, the layout OpenSSL looks certificates
 * up in (`openssl rehash`, X509_LOOKUP_hash_dir): the file is named after
 * the subject hash of the CA, `<8 hex digits>.0`. Proxies built on OpenSSL
 * whose option takes only a folder (the reference local proxy's `-c`) trust
 * the service through it.
 *
 * The subject hash is the first four bytes, read little-endian, of the SHA-1
 * of the subject name in OpenSSL's canonical encoding: the DER of each
 * relative distinguished name (the outer SEQUENCE left out), where every
 * text value is turned into a UTF8String, its ASCII white space trimmed at
 * both ends and collapsed to one space inside, its ASCII letters lowered.
 */

G_DEFINE_QUARK(iot-service-ca-dir-error-quark, iot_service_ca_dir_error);

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)

/* the ASN.1 universal tags of a name */
#define IOT_DER_OID 0x06
#define IOT_DER_UTF8_STRING 0x0c
#define IOT_DER_PRINTABLE_STRING 0x13
#define IOT_DER_T61_STRING 0x14
#define IOT_DER_IA5_STRING 0x16
#define IOT_DER_UNIVERSAL_STRING 0x1c
#define IOT_DER_BMP_STRING 0x1e
#define IOT_DER_SEQUENCE 0x30
#define IOT_DER_SET 0x31

/* one DER element: its tag, its content, and the whole of it */
typedef struct {
	guint8 tag;
	const guint8 *content;
	gsize content_len;
	const guint8 *whole;
	gsize whole_len;
} IotDerElement;

static gboolean
iot_service_ca_dir_parse_error(GError **error, const gchar *what)
{
	g_set_error(error,
		    IOT_SERVICE_CA_DIR_ERROR,
		    IOT_SERVICE_CA_DIR_ERROR_PARSE,
		    "malformed subject name: %s",
		    what);
	return FALSE;
}

/* reads the element at *@cursor, which must end before @end, and moves past it */
static gboolean
iot_service_ca_dir_read_element(const guint8 **cursor,
				const guint8 *end,
				IotDerElement *element,
				GError **error)
{
	const guint8 *p = *cursor;
	gsize len;

	if (end - p < 2)
		return iot_service_ca_dir_parse_error(error, "truncated element");
	element->whole = p;
	element->tag = *p++;
	if ((element->tag & 0x1f) == 0x1f)
		return iot_service_ca_dir_parse_error(error, "multi-byte tag");
	if (*p < 0x80) {
		len = *p++;
	} else {
		guint n = *p++ & 0x7f;
		if (n == 0 || n > sizeof(gsize) || (gsize)(end - p) < n)
			return iot_service_ca_dir_parse_error(error, "bad length");
		len = 0;
		for (guint i = 0; i < n; i++)
			len = (len << 8) | *p++;
	}
	if ((gsize)(end - p) < len)
		return iot_service_ca_dir_parse_error(error, "element longer than its container");
	element->content = p;
	element->content_len = len;
	element->whole_len = (gsize)(p + len - element->whole);
	*cursor = p + len;
	return TRUE;
}

/* appends a DER tag and length */
static void
iot_service_ca_dir_append_header(GByteArray *out, guint8 tag, gsize len)
{
	guint8 header[2 + sizeof(gsize)];
	guint n = 0;

	header[0] = tag;
	if (len < 0x80) {
		header[1] = (guint8)len;
		g_byte_array_append(out, header, 2);
		return;
	}
	for (gsize rest = len; rest > 0; rest >>= 8)
		n++;
	header[1] = 0x80 | n;
	for (guint i = 0; i < n; i++)
		header[2 + i] = (guint8)(len >> (8 * (n - 1 - i)));
	g_byte_array_append(out, header, 2 + n);
}

/* the character set of a text value's bytes, or NULL when OpenSSL keeps the value as it is */
static const gchar *
iot_service_ca_dir_charset(guint8 tag)
{
	switch (tag) {
	case IOT_DER_UTF8_STRING:
		return "UTF-8";
	/* OpenSSL reads every one-byte string type as Latin-1 */
	case IOT_DER_PRINTABLE_STRING:
	case IOT_DER_T61_STRING:
	case IOT_DER_IA5_STRING:
		return "ISO-8859-1";
	case IOT_DER_BMP_STRING:
		return "UCS-2BE";
	case IOT_DER_UNIVERSAL_STRING:
		return "UCS-4BE";
	default:
		return NULL;
	}
}

/* whether OpenSSL's ossl_isspace() takes @c for white space */
static gboolean
iot_service_ca_dir_is_space(guint8 c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* appends the canonical form of one attribute value */
static gboolean
iot_service_ca_dir_append_value(GByteArray *out, const IotDerElement *value, GError **error)
{
	const gchar *charset = iot_service_ca_dir_charset(value->tag);
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *utf8 = NULL;
	g_autoptr(GByteArray) canon = g_byte_array_new();
	gsize utf8_len = 0;
	gsize start = 0;
	gsize stop;

	if (charset == NULL) {
		g_byte_array_append(out, value->whole, value->whole_len);
		return TRUE;
	}
	if (value->tag == IOT_DER_UTF8_STRING) {
		if (!g_utf8_validate_len((const gchar *)value->content, value->content_len, NULL))
			return iot_service_ca_dir_parse_error(error, "a UTF8String is not UTF-8");
		utf8 = g_strndup((const gchar *)value->content, value->content_len);
		utf8_len = value->content_len;
	} else {
		utf8 = g_convert((const gchar *)value->content,
				 value->content_len,
				 "UTF-8",
				 charset,
				 NULL,
				 &utf8_len,
				 &error_local);
		if (utf8 == NULL) {
			g_set_error(error,
				    IOT_SERVICE_CA_DIR_ERROR,
				    IOT_SERVICE_CA_DIR_ERROR_PARSE,
				    "malformed subject name: a value is not %s: %s",
				    charset,
				    error_local->message);
			return FALSE;
		}
	}
	stop = utf8_len;
	while (start < stop && iot_service_ca_dir_is_space((guint8)utf8[start]))
		start++;
	while (stop > start && iot_service_ca_dir_is_space((guint8)utf8[stop - 1]))
		stop--;
	for (gsize i = start; i < stop; i++) {
		guint8 c = (guint8)utf8[i];
		if (iot_service_ca_dir_is_space(c)) {
			/* a run of spaces is one space; the last byte is not a space */
			c = ' ';
			while (iot_service_ca_dir_is_space((guint8)utf8[i + 1]))
				i++;
		} else if (c < 0x80) {
			c = (guint8)g_ascii_tolower((gchar)c);
		}
		g_byte_array_append(canon, &c, 1);
	}
	iot_service_ca_dir_append_header(out, IOT_DER_UTF8_STRING, canon->len);
	g_byte_array_append(out, canon->data, canon->len);
	return TRUE;
}

/* appends the canonical form of one AttributeTypeAndValue */
static gboolean
iot_service_ca_dir_append_attribute(GByteArray *out, const IotDerElement *attribute, GError **error)
{
	const guint8 *cursor = attribute->content;
	const guint8 *end = attribute->content + attribute->content_len;
	IotDerElement type;
	IotDerElement value;
	g_autoptr(GByteArray) content = g_byte_array_new();

	if (attribute->tag != IOT_DER_SEQUENCE)
		return iot_service_ca_dir_parse_error(error, "an attribute is not a SEQUENCE");
	if (!iot_service_ca_dir_read_element(&cursor, end, &type, error))
		return FALSE;
	if (type.tag != IOT_DER_OID)
		return iot_service_ca_dir_parse_error(error, "an attribute type is not an OID");
	if (!iot_service_ca_dir_read_element(&cursor, end, &value, error))
		return FALSE;
	if (cursor != end)
		return iot_service_ca_dir_parse_error(error, "an attribute has more than a value");
	g_byte_array_append(content, type.whole, type.whole_len);
	if (!iot_service_ca_dir_append_value(content, &value, error))
		return FALSE;
	iot_service_ca_dir_append_header(out, IOT_DER_SEQUENCE, content->len);
	g_byte_array_append(out, content->data, content->len);
	return TRUE;
}

/* DER orders the members of a SET OF by their encodings */
static gint
iot_service_ca_dir_compare_encodings(gconstpointer a, gconstpointer b)
{
	GByteArray *x = *(GByteArray *const *)a;
	GByteArray *y = *(GByteArray *const *)b;
	gint cmp = memcmp(x->data, y->data, MIN(x->len, y->len));
	if (cmp != 0)
		return cmp;
	return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

/* appends the canonical form of one RelativeDistinguishedName */
static gboolean
iot_service_ca_dir_append_rdn(GByteArray *out, const IotDerElement *rdn, GError **error)
{
	const guint8 *cursor = rdn->content;
	const guint8 *end = rdn->content + rdn->content_len;
	g_autoptr(GPtrArray) attributes =
	    g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	gsize len = 0;

	if (rdn->tag != IOT_DER_SET)
		return iot_service_ca_dir_parse_error(error, "a relative name is not a SET");
	while (cursor < end) {
		IotDerElement attribute;
		GByteArray *encoding = g_byte_array_new();
		g_ptr_array_add(attributes, encoding);
		if (!iot_service_ca_dir_read_element(&cursor, end, &attribute, error))
			return FALSE;
		if (!iot_service_ca_dir_append_attribute(encoding, &attribute, error))
			return FALSE;
		len += encoding->len;
	}
	if (attributes->len == 0)
		return iot_service_ca_dir_parse_error(error, "an empty relative name");
	g_ptr_array_sort(attributes, iot_service_ca_dir_compare_encodings);
	iot_service_ca_dir_append_header(out, IOT_DER_SET, len);
	for (guint i = 0; i < attributes->len; i++) {
		GByteArray *encoding = g_ptr_array_index(attributes, i);
		g_byte_array_append(out, encoding->data, encoding->len);
	}
	return TRUE;
}

/**
 * iot_service_ca_dir_subject_hash:
 * @name: the DER of a Name, as gnutls_x509_crt_get_raw_dn() gives it
 * @name_len: its length
 * @hash: (out): the name's hash, as `openssl x509 -hash` prints it
 * @error: (nullable): return location for an error in %IOT_SERVICE_CA_DIR_ERROR
 *
 * Computes OpenSSL's X509_NAME_hash() of a name.
 *
 * Returns: %TRUE with @hash set, %FALSE when the name cannot be read
 */
gboolean
iot_service_ca_dir_subject_hash(const guint8 *name, gsize name_len, guint32 *hash, GError **error)
{
	const guint8 *cursor = name;
	const guint8 *end;
	IotDerElement sequence;
	g_autoptr(GByteArray) canon = g_byte_array_new();
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA1);
	guint8 digest[20];
	gsize digest_len = sizeof(digest);

	if (name == NULL || name_len == 0)
		return iot_service_ca_dir_parse_error(error, "empty");
	end = name + name_len;
	if (!iot_service_ca_dir_read_element(&cursor, end, &sequence, error))
		return FALSE;
	if (sequence.tag != IOT_DER_SEQUENCE || cursor != end)
		return iot_service_ca_dir_parse_error(error, "not one SEQUENCE");
	cursor = sequence.content;
	end = sequence.content + sequence.content_len;
	while (cursor < end) {
		IotDerElement rdn;
		if (!iot_service_ca_dir_read_element(&cursor, end, &rdn, error))
			return FALSE;
		if (!iot_service_ca_dir_append_rdn(canon, &rdn, error))
			return FALSE;
	}
	g_checksum_update(checksum, canon->data, canon->len);
	g_checksum_get_digest(checksum, digest, &digest_len);
	*hash = (guint32)digest[0] | (guint32)digest[1] << 8 | (guint32)digest[2] << 16 |
		(guint32)digest[3] << 24;
	return TRUE;
}

/* the subject hash of the one certificate in the PEM @pem */
static gboolean
iot_service_ca_dir_pem_hash(const gchar *pem, gsize pem_len, guint32 *hash, GError **error)
{
	g_auto(gnutls_x509_crt_t) crt = NULL;
	const gnutls_datum_t data = {(guchar *)pem, (guint)pem_len};
	gnutls_datum_t name = {NULL, 0};
	gboolean ok;
	int rc;

	rc = gnutls_x509_crt_init(&crt);
	if (rc >= 0)
		rc = gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM);
	if (rc >= 0)
		rc = gnutls_x509_crt_get_raw_dn(crt, &name);
	if (rc < 0) {
		g_set_error(error,
			    IOT_SERVICE_CA_DIR_ERROR,
			    IOT_SERVICE_CA_DIR_ERROR_PARSE,
			    "failed to read the certificate's subject: %s",
			    gnutls_strerror(rc));
		return FALSE;
	}
	ok = iot_service_ca_dir_subject_hash(name.data, name.size, hash, error);
	gnutls_free(name.data);
	return ok;
}

/**
 * iot_service_ca_dir_write:
 * @ca_dir: the folder; created (0700) when missing
 * @ca_file: the PEM file of one CA certificate
 * @error: (nullable): return location for an error in %IOT_SERVICE_CA_DIR_ERROR
 *
 * Writes a copy of @ca_file (0600) into @ca_dir under the name OpenSSL looks
 * it up by, `<subject hash>.0`, replacing any earlier copy.
 *
 * Returns: %TRUE once written
 */
gboolean
iot_service_ca_dir_write(const gchar *ca_dir, const gchar *ca_file, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *pem = NULL;
	g_autofree gchar *name = NULL;
	g_autofree gchar *path = NULL;
	gsize pem_len = 0;
	guint32 hash = 0;

	if (!g_file_get_contents(ca_file, &pem, &pem_len, &error_local)) {
		g_set_error(error,
			    IOT_SERVICE_CA_DIR_ERROR,
			    IOT_SERVICE_CA_DIR_ERROR_PARSE,
			    "failed to read %s: %s",
			    ca_file,
			    error_local->message);
		return FALSE;
	}
	if (!iot_service_ca_dir_pem_hash(pem, pem_len, &hash, error)) {
		g_prefix_error(error, "%s: ", ca_file);
		return FALSE;
	}
	if (g_mkdir_with_parents(ca_dir, 0700) != 0) {
		g_set_error(error,
			    IOT_SERVICE_CA_DIR_ERROR,
			    IOT_SERVICE_CA_DIR_ERROR_WRITE,
			    "failed to create %s: %s",
			    ca_dir,
			    g_strerror(errno));
		return FALSE;
	}
	name = g_strdup_printf("%08" G_GINT32_MODIFIER "x.0", hash);
	path = g_build_filename(ca_dir, name, NULL);
	if (!g_file_set_contents_full(path,
				      pem,
				      pem_len,
				      G_FILE_SET_CONTENTS_CONSISTENT,
				      0600,
				      &error_local)) {
		g_set_error(error,
			    IOT_SERVICE_CA_DIR_ERROR,
			    IOT_SERVICE_CA_DIR_ERROR_WRITE,
			    "failed to write %s: %s",
			    path,
			    error_local->message);
		return FALSE;
	}
	return TRUE;
}

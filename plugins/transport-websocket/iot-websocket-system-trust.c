/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-system-trust.h"

#include <gnutls/x509.h>
#include <malloc.h>

/*
 * Whether the system's trust store vouches for a peer's chain, with the
 * store read for this one check and freed after it.
 *
 * glib-networking's default GTlsDatabase parses the whole store (about 140
 * authorities, 7 MiB of heap with GnuTLS 3.7) on the first handshake and
 * keeps it for the life of the process: most of an idle proxy's own memory,
 * for a check made once per connection to the service. GIO has no way to
 * read the system store without that cache, so the store is read here with
 * GnuTLS, which is what glib-networking asks too. The peer's identity and
 * validity dates are not checked here: GIO checks them for every handshake.
 */

/* longer chains than any public authority issues are cut here */
#define IOT_WEBSOCKET_SYSTEM_TRUST_MAX_CHAIN 16

static GTlsCertificateFlags
iot_websocket_system_trust_flags(guint status)
{
	GTlsCertificateFlags flags = 0;

	if (status == 0)
		return 0;
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		flags |= G_TLS_CERTIFICATE_UNKNOWN_CA;
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		flags |= G_TLS_CERTIFICATE_NOT_ACTIVATED;
	if (status & GNUTLS_CERT_EXPIRED)
		flags |= G_TLS_CERTIFICATE_EXPIRED;
	if (status & GNUTLS_CERT_REVOKED)
		flags |= G_TLS_CERTIFICATE_REVOKED;
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		flags |= G_TLS_CERTIFICATE_INSECURE;
	return flags != 0 ? flags : G_TLS_CERTIFICATE_GENERIC_ERROR;
}

/**
 * iot_websocket_system_trust_verify:
 * @peer_certificate: the peer's certificate, with the issuers it sent
 *
 * Returns: 0 when an authority of the system store signed the chain, or what
 *   is wrong with it
 */
GTlsCertificateFlags
iot_websocket_system_trust_verify(GTlsCertificate *peer_certificate)
{
	gnutls_x509_trust_list_t trust = NULL;
	gnutls_x509_crt_t chain[IOT_WEBSOCKET_SYSTEM_TRUST_MAX_CHAIN];
	guint chain_len = 0;
	guint status = 0;
	GTlsCertificateFlags flags = G_TLS_CERTIFICATE_GENERIC_ERROR;
	gint ret;

	for (GTlsCertificate *cert = peer_certificate;
	     cert != NULL && chain_len < G_N_ELEMENTS(chain);
	     cert = g_tls_certificate_get_issuer(cert)) {
		g_autoptr(GByteArray) der = NULL;
		gnutls_datum_t datum;

		g_object_get(cert, "certificate", &der, NULL);
		if (der == NULL || gnutls_x509_crt_init(&chain[chain_len]) < 0)
			goto out;
		datum.data = der->data;
		datum.size = der->len;
		ret = gnutls_x509_crt_import(chain[chain_len], &datum, GNUTLS_X509_FMT_DER);
		chain_len++;
		if (ret < 0)
			goto out;
	}
	if (chain_len == 0 || gnutls_x509_trust_list_init(&trust, 0) < 0)
		goto out;
	ret = gnutls_x509_trust_list_add_system_trust(trust, 0, 0);
	if (ret <= 0) {
		g_debug("the system trust store holds no authority: %s",
			ret < 0 ? gnutls_strerror(ret) : "it is empty");
		flags = G_TLS_CERTIFICATE_UNKNOWN_CA;
		goto out;
	}
	ret =
	    gnutls_x509_trust_list_verify_crt2(trust, chain, chain_len, NULL, 0, 0, &status, NULL);
	if (ret < 0)
		g_debug("cannot check the chain against the system store: %s",
			gnutls_strerror(ret));
	else
		flags = iot_websocket_system_trust_flags(status);

out:
	if (trust != NULL)
		gnutls_x509_trust_list_deinit(trust, 1);
	for (guint i = 0; i < chain_len; i++)
		gnutls_x509_crt_deinit(chain[i]);
	/* the store's thousands of small blocks leave holes in the heap: give them back */
	malloc_trim(0);
	return flags;
}

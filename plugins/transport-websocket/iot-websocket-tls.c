/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-tls.h"

#include <iotunnel.h>

#include <string.h>

#include "iot-websocket-system-trust.h"

/*
 * The client side of a TLS handshake, with the service or with an https://
 * web proxy, and what its failure means for a user.
 *
 * The peer's certificate is accepted when one of the extra authorities
 * vouches for it, or else the system store does, checked against the host
 * name or, for an IP literal, the address. The connection has no
 * GTlsDatabase: glib-networking's default one would read the system store
 * and keep it for good (see iot-websocket-system-trust.c); the store is read
 * only when no extra authority vouches, and freed after the check. An IP literal is never sent as
 * the server name (RFC 6066 section 3): glib-networking 2.74 sends the host name of a
 * GNetworkAddress identity even when it is an address, so an address is
 * given as a GInetSocketAddress, which it sends no name for.
 *
 * The first bytes the peer answers with are kept: a peer that is not a TLS
 * server (sshd greets with "SSH-2.0-", an HTTP server answers "HTTP/1.1 400")
 * is named as such, rather than as a certificate or handshake failure.
 */

/* more than the 5 bytes of a record header, which may be all that is read */
#define IOT_WEBSOCKET_TLS_ANSWER_KEPT 8

typedef struct {
	IotWebsocketTlsPeer peer;
	gchar *host;
	gchar *name; /* host:port, for messages */
	GSocketConnectable *identity;
	GPtrArray *authorities;
	GPtrArray *more_authorities;
	gboolean insecure;
	IotPausableIOStream *recorder;
	GIOStream *connection;
	gulong accept_certificate_id;
	GTlsCertificateFlags tls_errors;
	/* written by the handshake's thread, read once it is done */
	guint8 answer[IOT_WEBSOCKET_TLS_ANSWER_KEPT];
	gsize answer_len;
	gint answered; /* atomic: whether any byte came back */
	guint answer_timeout_ms;
	GSource *answer_timeout;
	gboolean no_answer;
	GCancellable *cancellable;
	GCancellable *caller_cancellable;
	gulong caller_cancelled_id;
} IotWebsocketTlsHandshake;

static void
iot_websocket_tls_handshake_free(IotWebsocketTlsHandshake *handshake)
{
	if (handshake->caller_cancellable != NULL) {
		g_cancellable_disconnect(handshake->caller_cancellable,
					 handshake->caller_cancelled_id);
		g_object_unref(handshake->caller_cancellable);
	}
	if (handshake->answer_timeout != NULL) {
		g_source_destroy(handshake->answer_timeout);
		g_source_unref(handshake->answer_timeout);
	}
	if (handshake->accept_certificate_id != 0)
		g_signal_handler_disconnect(handshake->connection,
					    handshake->accept_certificate_id);
	if (handshake->recorder != NULL)
		iot_pausable_io_stream_set_read_func(handshake->recorder, NULL, NULL, NULL);
	g_clear_object(&handshake->recorder);
	g_clear_object(&handshake->connection);
	g_clear_object(&handshake->identity);
	g_clear_object(&handshake->cancellable);
	g_clear_pointer(&handshake->authorities, g_ptr_array_unref);
	g_clear_pointer(&handshake->more_authorities, g_ptr_array_unref);
	g_free(handshake->host);
	g_free(handshake->name);
	g_free(handshake);
}

/**
 * iot_websocket_tls_identity_new:
 * @host: a host name, or an IP address without brackets
 * @port: the port
 *
 * Returns: (transfer full): what the peer's certificate must name: the host
 *   name, or the address, which is then not sent as the server name
 */
GSocketConnectable *
iot_websocket_tls_identity_new(const gchar *host, guint16 port)
{
	g_autoptr(GInetAddress) address = g_inet_address_new_from_string(host);

	if (address != NULL)
		return G_SOCKET_CONNECTABLE(g_inet_socket_address_new(address, port));
	return g_network_address_new(host, port);
}

/**
 * iot_websocket_tls_describe_flags:
 * @flags: what is wrong with a certificate
 *
 * Returns: (transfer full): @flags in words, for a user
 */
gchar *
iot_websocket_tls_describe_flags(GTlsCertificateFlags flags)
{
	const struct {
		GTlsCertificateFlags flag;
		const gchar *text;
	} words[] = {
	    {G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a trusted certificate authority"},
	    {G_TLS_CERTIFICATE_BAD_IDENTITY, "it does not match the host name"},
	    {G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet"},
	    {G_TLS_CERTIFICATE_EXPIRED, "it has expired"},
	    {G_TLS_CERTIFICATE_REVOKED, "it has been revoked"},
	    {G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm"},
	    {G_TLS_CERTIFICATE_GENERIC_ERROR, "it could not be validated"},
	};
	g_autoptr(GString) str = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(words); i++) {
		if ((flags & words[i].flag) == 0)
			continue;
		if (str->len > 0)
			g_string_append(str, "; ");
		g_string_append(str, words[i].text);
	}
	if (str->len == 0)
		g_string_append(str, "it could not be validated");
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/* whether @data starts as a TLS record does: a content type, then major version 3 */
static gboolean
iot_websocket_tls_answer_is_tls(const guint8 *data, gsize len)
{
	if (len == 0)
		return TRUE;
	if (data[0] < 20 || data[0] > 24)
		return FALSE;
	return len < 2 || data[1] == 3;
}

/* whether @data starts with @prefix, ignoring case */
static gboolean
iot_websocket_tls_answer_starts(const guint8 *data, gsize len, const gchar *prefix)
{
	gsize prefix_len = strlen(prefix);
	return len >= prefix_len &&
	       g_ascii_strncasecmp((const gchar *)data, prefix, prefix_len) == 0;
}

/*
 * What a peer that answered @data instead of TLS seems to be, from as few as
 * the 5 bytes GnuTLS reads as a record header. An HTTP server answers the
 * hello with a status line, or, taking it for an HTTP/0.9 request (Python's
 * http.server), with a bare HTML page.
 */
static const gchar *
iot_websocket_tls_describe_answer(const guint8 *data, gsize len)
{
	if (iot_websocket_tls_answer_starts(data, len, "SSH-"))
		return "it answered like an SSH server";
	if (iot_websocket_tls_answer_starts(data, len, "HTTP/") ||
	    iot_websocket_tls_answer_starts(data, len, "<!DOC") ||
	    iot_websocket_tls_answer_starts(data, len, "<HTML"))
		return "it answered in plain HTTP";
	return "it answered with bytes that are not TLS";
}

/* the handshake's thread: keeps the first bytes of the answer */
static gsize
iot_websocket_tls_record_cb(IotPausableIOStream *stream,
			    const guint8 *data,
			    gsize len,
			    gpointer user_data)
{
	IotWebsocketTlsHandshake *handshake = user_data;
	gsize n = MIN(len, IOT_WEBSOCKET_TLS_ANSWER_KEPT - handshake->answer_len);

	memcpy(handshake->answer + handshake->answer_len, data, n);
	handshake->answer_len += n;
	g_atomic_int_set(&handshake->answered, 1);
	return len;
}

static gboolean
iot_websocket_tls_accept_certificate_cb(GTlsConnection *connection,
					GTlsCertificate *peer_certificate,
					GTlsCertificateFlags errors,
					gpointer user_data)
{
	IotWebsocketTlsHandshake *handshake = user_data;
	GPtrArray *lists[] = {handshake->authorities, handshake->more_authorities};

	handshake->tls_errors = errors;
	if (handshake->insecure) {
		g_autofree gchar *words = iot_websocket_tls_describe_flags(errors);
		g_debug("accepting the certificate of %s as told, although %s",
			handshake->name,
			words);
		return TRUE;
	}
	for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; lists[l] != NULL && i < lists[l]->len; i++) {
			GTlsCertificate *ca = g_ptr_array_index(lists[l], i);
			GTlsCertificateFlags flags =
			    g_tls_certificate_verify(peer_certificate, handshake->identity, ca);
			if (flags == 0) {
				g_debug("the certificate of %s is signed by an authority given",
					handshake->name);
				return TRUE;
			}
			/* signed by this authority, but wrong in another way: that is the news */
			if ((flags & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
				handshake->tls_errors = flags;
		}
	}
	/* an authority given signed it, but it is wrong in another way */
	if ((handshake->tls_errors & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
		return FALSE;
	/* with no database, GIO checked all but the signer: the system store says who signed */
	handshake->tls_errors = (handshake->tls_errors & ~G_TLS_CERTIFICATE_UNKNOWN_CA) |
				iot_websocket_system_trust_verify(peer_certificate);
	if (handshake->tls_errors == 0) {
		g_debug("the certificate of %s is signed by an authority of the system store",
			handshake->name);
		return TRUE;
	}
	return FALSE;
}

static gboolean
iot_websocket_tls_answer_timeout_cb(gpointer user_data)
{
	IotWebsocketTlsHandshake *handshake = user_data;

	g_clear_pointer(&handshake->answer_timeout, g_source_unref);
	if (g_atomic_int_get(&handshake->answered))
		return G_SOURCE_REMOVE;
	handshake->no_answer = TRUE;
	g_cancellable_cancel(handshake->cancellable);
	return G_SOURCE_REMOVE;
}

static void
iot_websocket_tls_caller_cancelled_cb(GCancellable *caller_cancellable, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

/* a failed handshake, in the words and codes of IOT_TRANSPORT_ERROR */
static GError *
iot_websocket_tls_explain(IotWebsocketTlsHandshake *handshake, const GError *error)
{
	gboolean proxy = handshake->peer == IOT_WEBSOCKET_TLS_PEER_PROXY;
	const gchar *who = proxy ? "web proxy " : "";

	if (handshake->no_answer && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		return g_error_new(IOT_TRANSPORT_ERROR,
				   proxy ? IOT_TRANSPORT_ERROR_PROXY_NOT_TLS
					 : IOT_TRANSPORT_ERROR_NOT_TLS,
				   "%s%s does not speak TLS: it did not answer the TLS handshake "
				   "within %u ms",
				   who,
				   handshake->name,
				   handshake->answer_timeout_ms);
	}
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return g_error_copy(error);
	if (!iot_websocket_tls_answer_is_tls(handshake->answer, handshake->answer_len)) {
		return g_error_new(
		    IOT_TRANSPORT_ERROR,
		    proxy ? IOT_TRANSPORT_ERROR_PROXY_NOT_TLS : IOT_TRANSPORT_ERROR_NOT_TLS,
		    "%s%s does not speak TLS: %s",
		    who,
		    handshake->name,
		    iot_websocket_tls_describe_answer(handshake->answer, handshake->answer_len));
	}
	if (g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
		g_autofree gchar *words = iot_websocket_tls_describe_flags(handshake->tls_errors);
		return g_error_new(IOT_TRANSPORT_ERROR,
				   proxy ? IOT_TRANSPORT_ERROR_PROXY_TLS : IOT_TRANSPORT_ERROR_TLS,
				   "the TLS certificate of %s%s was refused: %s",
				   who,
				   handshake->host,
				   words);
	}
	/* glib-networking says NOT_TLS also when the peer closed without a word */
	if (g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_EOF) ||
	    (g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) &&
	     handshake->answer_len == 0)) {
		return g_error_new(IOT_TRANSPORT_ERROR,
				   IOT_TRANSPORT_ERROR_NETWORK,
				   "%s%s closed the connection during the TLS handshake",
				   who,
				   handshake->name);
	}
	if (error->domain == G_TLS_ERROR) {
		return g_error_new(IOT_TRANSPORT_ERROR,
				   proxy ? IOT_TRANSPORT_ERROR_PROXY_TLS : IOT_TRANSPORT_ERROR_TLS,
				   "TLS handshake with %s%s failed: %s",
				   who,
				   handshake->name,
				   error->message);
	}
	return g_error_new(IOT_TRANSPORT_ERROR,
			   IOT_TRANSPORT_ERROR_NETWORK,
			   "connection lost in the TLS handshake with %s%s: %s",
			   who,
			   handshake->name,
			   error->message);
}

static void
iot_websocket_tls_handshake_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketTlsHandshake *handshake = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	/* the first bytes are known now: no more recording */
	iot_pausable_io_stream_set_read_func(handshake->recorder, NULL, NULL, NULL);
	if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), result, &error)) {
		g_task_return_error(task, iot_websocket_tls_explain(handshake, error));
		return;
	}
	g_task_return_pointer(task, g_object_ref(handshake->connection), g_object_unref);
}

/**
 * iot_websocket_tls_handshake_async:
 * @base: the connection to the peer
 * @peer: whom it is with
 * @host: the peer's host name, or its IP address without brackets
 * @port: the peer's port
 * @trust: what its certificate is checked against
 * @answer_timeout_ms: how long the peer may take to send its first byte
 *   back, after which it is taken for one that does not speak TLS; 0 for no
 *   limit but the caller's
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the handshake is done
 * @user_data: data for @callback
 *
 * Starts a TLS client handshake over @base.
 */
void
iot_websocket_tls_handshake_async(GIOStream *base,
				  IotWebsocketTlsPeer peer,
				  const gchar *host,
				  guint16 port,
				  const IotWebsocketTlsTrust *trust,
				  guint answer_timeout_ms,
				  GCancellable *cancellable,
				  GAsyncReadyCallback callback,
				  gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	IotWebsocketTlsHandshake *handshake = g_new0(IotWebsocketTlsHandshake, 1);
	g_autoptr(GError) error = NULL;

	g_task_set_source_tag(task, iot_websocket_tls_handshake_async);
	g_task_set_name(task, "IotWebsocketTls handshake");
	g_task_set_task_data(task, handshake, (GDestroyNotify)iot_websocket_tls_handshake_free);
	handshake->peer = peer;
	handshake->host = g_strdup(host);
	if (strchr(host, ':') != NULL)
		handshake->name = g_strdup_printf("[%s]:%u", host, port);
	else
		handshake->name = g_strdup_printf("%s:%u", host, port);
	handshake->identity = iot_websocket_tls_identity_new(host, port);
	if (trust->authorities != NULL)
		handshake->authorities = g_ptr_array_ref(trust->authorities);
	if (trust->more_authorities != NULL)
		handshake->more_authorities = g_ptr_array_ref(trust->more_authorities);
	handshake->insecure = trust->insecure;
	handshake->answer_timeout_ms = answer_timeout_ms;
	handshake->cancellable = g_cancellable_new();
	if (cancellable != NULL) {
		handshake->caller_cancellable = g_object_ref(cancellable);
		handshake->caller_cancelled_id =
		    g_cancellable_connect(cancellable,
					  G_CALLBACK(iot_websocket_tls_caller_cancelled_cb),
					  g_object_ref(handshake->cancellable),
					  g_object_unref);
	}

	handshake->recorder = iot_pausable_io_stream_new(base);
	iot_pausable_io_stream_set_read_func(handshake->recorder,
					     iot_websocket_tls_record_cb,
					     handshake,
					     NULL);
	/*
	 * g_tls_client_connection_new(), but with no database from the start:
	 * glib-networking's setup asks for the default one, which reads the
	 * system store, unless the database is set when it is built
	 */
	handshake->connection =
	    g_initable_new(g_tls_backend_get_client_connection_type(g_tls_backend_get_default()),
			   NULL,
			   &error,
			   "base-io-stream",
			   handshake->recorder,
			   "server-identity",
			   handshake->identity,
			   "database",
			   NULL,
			   NULL);
	if (handshake->connection == NULL) {
		g_task_return_new_error(task,
					IOT_TRANSPORT_ERROR,
					peer == IOT_WEBSOCKET_TLS_PEER_PROXY
					    ? IOT_TRANSPORT_ERROR_PROXY_TLS
					    : IOT_TRANSPORT_ERROR_TLS,
					"cannot use TLS: %s",
					error->message);
		return;
	}
	handshake->accept_certificate_id =
	    g_signal_connect(handshake->connection,
			     "accept-certificate",
			     G_CALLBACK(iot_websocket_tls_accept_certificate_cb),
			     handshake);
	if (answer_timeout_ms > 0) {
		handshake->answer_timeout = g_timeout_source_new(answer_timeout_ms);
		g_source_set_static_name(handshake->answer_timeout,
					 "IotWebsocketTls answer timeout");
		g_source_set_callback(handshake->answer_timeout,
				      iot_websocket_tls_answer_timeout_cb,
				      handshake,
				      NULL);
		g_source_attach(handshake->answer_timeout, g_main_context_get_thread_default());
	}
	g_tls_connection_handshake_async(G_TLS_CONNECTION(handshake->connection),
					 G_PRIORITY_DEFAULT,
					 handshake->cancellable,
					 iot_websocket_tls_handshake_cb,
					 g_steal_pointer(&task));
}

/**
 * iot_websocket_tls_handshake_finish:
 * @result: the result given to the callback
 * @error: (nullable): return location for an error in %IOT_TRANSPORT_ERROR,
 *   or %G_IO_ERROR_CANCELLED
 *
 * Returns: (transfer full): the TLS connection, or %NULL with @error set
 */
GIOStream *
iot_websocket_tls_handshake_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				 iot_websocket_tls_handshake_async,
			     NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

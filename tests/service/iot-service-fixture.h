/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "iot-test-wait.h"

G_BEGIN_DECLS

/*
 * What the service's test programs share: the real iotunnel-service, started
 * afresh for each test in one state folder (so the certificate is generated
 * once), the JSON API, a scripted libsoup WebSocket client, and a raw TLS
 * WebSocket client for what libsoup will not do on purpose.
 */

#define ADMIN_TOKEN "test-admin-token-0123456789"
#define CLIENT_TOKEN_A "client-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CLIENT_TOKEN_B "client-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* the state folder every test's service uses */
extern gchar *state_dir;

typedef struct {
	GSubprocess *process;
	GString *log; /* the service's stderr */
	GDataInputStream *stdout_data;
	GCancellable *cancellable;
	guint16 port;
	gchar *ca_file;
	gchar *ca_dir;
	GTlsDatabase *database;
	SoupSession *session; /* for the API */
	GPtrArray *secrets;   /* every token the test saw, which no log may hold */
	gboolean stderr_done;
	gboolean plain;	    /* ws:// and http:// */
	gboolean user_cert; /* --cert and --key, of the certificate generated before */
	gboolean restarted; /* keeps the tunnels the previous run left in the state folder */
	gboolean quiet;	    /* no --verbose: for floods, which would log each message */
	GStrv args;	    /* more options for the service, or NULL */
	guint fd_limit;	    /* the service's soft and hard RLIMIT_NOFILE, 0 for the test's own */
} Fixture;

typedef struct {
	gchar *id;
	gchar *source_token;
	gchar *destination_token;
} Tunnel;

typedef struct {
	GBytes *body;
	GError *error;
	gboolean done;
} ApiCall;

typedef struct {
	SoupSession *session;
	SoupMessage *msg;
	SoupWebsocketConnection *ws;
	GError *error;
	gboolean done;
	GByteArray *received; /* every binary payload, concatenated */
	guint n_received;
	IotFrameDecoder *decoder;
	GPtrArray *messages; /* IotMessage, decoded from @received */
	gboolean closed;
	gushort close_code;
	gchar *close_data;
} Client;

/* a raw TLS WebSocket client: it writes as fast as the socket takes, or never reads */
typedef struct {
	GIOStream *stream;
	guint64 written;
	guint64 read;
	gint64 last_progress;
	gboolean writing;
	gboolean reading;
	GBytes *block;
	guint64 write_limit;
	GCancellable *cancellable;
} RawClient;

void
fixture_init_state_dir(void);
void
fixture_remove_state_dir(void);
GBytes *
pattern(gsize n, guint k);
GBytes *
encode(const IotMessage *msg);
GBytes *
encode_full(IotMessageType type,
	    gint32 stream_id,
	    const gchar *service_id,
	    guint32 connection_id,
	    GBytes *payload);

void
fixture_setup(Fixture *fixture, gconstpointer user_data);
void
fixture_setup_plain(Fixture *fixture, gconstpointer user_data);
void
fixture_teardown(Fixture *fixture, gconstpointer user_data);
void
fixture_restart(Fixture *fixture, gboolean user_cert);
guint64
fixture_get_rss_kib(Fixture *fixture);
guint
fixture_get_n_threads(Fixture *fixture);
guint
fixture_get_n_sockets(Fixture *fixture);

void
api_call_cb(GObject *source, GAsyncResult *result, gpointer user_data);
JsonNode *
api_call_full(Fixture *fixture,
	      const gchar *method,
	      const gchar *path,
	      const gchar *body,
	      const gchar *admin_token,
	      guint *status);
JsonObject *
api_call(Fixture *fixture, const gchar *method, const gchar *path, const gchar *body, guint expect);
void
tunnel_free(Tunnel *tunnel);
Tunnel *
open_tunnel(Fixture *fixture, const gchar *body);
JsonObject *
describe_tunnel(Fixture *fixture, const gchar *id);

void
client_free(Client *client);
Client *
client_new(Fixture *fixture, const gchar *path);
void
client_add_header(Client *client, const gchar *name, const gchar *value);
guint
client_connect_offering(Client *client, const gchar *const *protocols);
guint
client_connect(Client *client, const gchar *protocol);
const gchar *
client_get_response_header(Client *client, const gchar *name);
Client *
client_open(Fixture *fixture,
	    const gchar *mode,
	    const gchar *token,
	    const gchar *client_token,
	    const gchar *protocol);
void
client_send(Client *client, GBytes *payload);
void
client_wait_closed(Client *client, gushort code);
void
client_expect_service_ids(Client *client, const gchar *const *services);
void
client_assert_received(Client *client, gsize skip, const GByteArray *expected);

void
raw_client_free(RawClient *raw);
GIOStream *
raw_connect(Fixture *fixture);
RawClient *
raw_client_open(Fixture *fixture, const gchar *mode, const gchar *token);
GBytes *
raw_frame(GBytes *payload);
void
raw_client_write_next(RawClient *raw);
void
raw_client_read_next(RawClient *raw);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Tunnel, tunnel_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Client, client_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RawClient, raw_client_free)

G_END_DECLS

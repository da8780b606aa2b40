/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-fuzz.h"
#include "iot-websocket-proxy-tunnel.h"

/*
 * libFuzzer target for a web proxy's answer to CONNECT: the input is what
 * the proxy sends back, read by iot_websocket_proxy_tunnel_over_async()
 * (GIO's HTTP proxy, then our error mapping). The first byte picks a proxy
 * URL with or without credentials. The answer gives a connection or an
 * error in IOT_TRANSPORT_ERROR, and the proxy password is never in it.
 */

#define IOT_FUZZ_PASSWORD "pr0xy-s3cret"

static const gchar *const iot_fuzz_proxy_urls[] = {
    "http://127.0.0.1:3128",
    "http://alice:" IOT_FUZZ_PASSWORD "@127.0.0.1:3128",
    "https://alice:" IOT_FUZZ_PASSWORD "@proxy.example:8443",
};

static GInetAddress *iot_fuzz_proxy_address;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	g_type_ensure(G_TYPE_MEMORY_INPUT_STREAM);
	g_type_ensure(G_TYPE_MEMORY_OUTPUT_STREAM);
	g_type_ensure(G_TYPE_SIMPLE_IO_STREAM);
	g_type_ensure(G_TYPE_PROXY_ADDRESS);
	/* GIO's proxy extension point and HTTP proxy, loaded once */
	g_object_unref(g_proxy_get_default_for_protocol("http"));
	iot_fuzz_proxy_address = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	return 0;
}

typedef struct {
	gboolean done;
	GIOStream *stream;
	GError *error;
} IotFuzzResult;

static void
iot_fuzz_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotFuzzResult *done = user_data;

	done->stream = iot_websocket_proxy_tunnel_finish(result, &done->error);
	done->done = TRUE;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GInputStream) answer = NULL;
	g_autoptr(GOutputStream) sink = NULL;
	g_autoptr(GIOStream) stream = NULL;
	IotFuzzResult result = {0};
	const gchar *url;

	if (size == 0)
		return -1;
	url = iot_fuzz_proxy_urls[data[0] % G_N_ELEMENTS(iot_fuzz_proxy_urls)];
	answer = g_memory_input_stream_new_from_data(data + 1, (gssize)size - 1, NULL);
	sink = g_memory_output_stream_new_resizable();
	stream = g_simple_io_stream_new(answer, sink);
	iot_websocket_proxy_tunnel_over_async(stream,
					      iot_fuzz_proxy_address,
					      url,
					      "tunnel.example",
					      443,
					      NULL,
					      iot_fuzz_done_cb,
					      &result);
	while (!result.done)
		g_main_context_iteration(NULL, TRUE);
	if (result.stream != NULL) {
		g_assert_no_error(result.error);
		g_object_unref(result.stream);
		return 0;
	}
	g_assert_nonnull(result.error);
	g_assert_true(result.error->domain == IOT_TRANSPORT_ERROR);
	g_assert_null(strstr(result.error->message, IOT_FUZZ_PASSWORD));
	g_error_free(result.error);
	return 0;
}

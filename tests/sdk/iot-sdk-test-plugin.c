/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * One endpoint plugin, built several times with a different settings schema
 * or init hook. Each build registers its own type name, as several of them
 * share one process.
 */

#include "config.h"

#include <iotunnel.h>

#ifdef TEST_PLUGIN_BAD_SCHEMA
/* oneOf is JSON Schema, but not the part of it iotunneld implements */
#define TEST_PLUGIN_SCHEMA                                                                         \
	"{\"type\": \"object\", \"properties\": {\"level\": {\"oneOf\": [{\"type\": "              \
	"\"integer\"}]}}}"
#else
#define TEST_PLUGIN_SCHEMA                                                                         \
	"{\"type\": \"object\", \"properties\": {\"endpoint\": {\"const\": \"" TEST_PLUGIN_NAME    \
	"\"}, \"level\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 9, \"default\": 5, " \
	"\"description\": \"How loud.\"}}, \"additionalProperties\": false}"
#endif

static void
iot_sdk_test_endpoint_iface_init(IotEndpointInterface *iface)
{
}

/* an endpoint that does nothing, under one type name per build */
static GType
iot_sdk_test_plugin_get_type(void)
{
	static gsize type = 0;
	if (g_once_init_enter(&type)) {
		const GInterfaceInfo iface_info = {
		    (GInterfaceInitFunc)(void (*)(void))iot_sdk_test_endpoint_iface_init,
		    NULL,
		    NULL,
		};
		GType registered =
		    g_type_register_static_simple(G_TYPE_OBJECT,
						  "IotSdkTestEndpoint-" TEST_PLUGIN_NAME,
						  sizeof(GObjectClass),
						  NULL,
						  sizeof(GObject),
						  NULL,
						  G_TYPE_FLAG_FINAL);
		g_type_add_interface_static(registered, IOT_TYPE_ENDPOINT, &iface_info);
		g_once_init_leave(&type, registered);
	}
	return type;
}

static gboolean
iot_sdk_test_plugin_init(GError **error)
{
#ifdef TEST_PLUGIN_INIT_FAILS
	g_set_error_literal(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_NOT_SUPPORTED,
			    "no /dev/iotunnel-test-device on this system");
	return FALSE;
#else
	return TRUE;
#endif
}

static const IotPluginInfo iot_sdk_test_plugin_info = {
    .abi_version = IOT_PLUGIN_ABI_VERSION,
    .kind = IOT_PLUGIN_KIND_ENDPOINT,
    .name = TEST_PLUGIN_NAME,
    .version = "2.5",
    .description = "an endpoint for the SDK tests",
    .settings_schema = TEST_PLUGIN_SCHEMA,
    .get_type = iot_sdk_test_plugin_get_type,
    .init = iot_sdk_test_plugin_init,
};

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void);

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	return &iot_sdk_test_plugin_info;
}

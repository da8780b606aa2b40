/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * One endpoint plugin, built several times with different declarations. Each
 * build registers its own type name, as several of them share one process.
 */

#include "config.h"

#include <iotunnel.h>

static GType
iot_test_endpoint_get_type(void);

#ifdef TEST_PLUGIN_IMPLEMENTS_ENDPOINT
static void
iot_test_endpoint_iface_init(IotEndpointInterface *iface)
{
}
#endif

static GType
iot_test_endpoint_get_type(void)
{
	static gsize type = 0;
	if (g_once_init_enter(&type)) {
		GType registered =
		    g_type_register_static_simple(G_TYPE_OBJECT,
						  "IotTestEndpoint-" TEST_PLUGIN_NAME,
						  sizeof(GObjectClass),
						  NULL,
						  sizeof(GObject),
						  NULL,
						  G_TYPE_FLAG_FINAL);
#ifdef TEST_PLUGIN_IMPLEMENTS_ENDPOINT
		const GInterfaceInfo iface_info = {
		    (GInterfaceInitFunc)(void (*)(void))iot_test_endpoint_iface_init,
		    NULL,
		    NULL,
		};
		g_type_add_interface_static(registered, IOT_TYPE_ENDPOINT, &iface_info);
#endif
		g_once_init_leave(&type, registered);
	}
	return type;
}

static const IotPluginInfo iot_test_plugin_info = {
    .abi_version = TEST_PLUGIN_ABI,
    .kind = IOT_PLUGIN_KIND_ENDPOINT,
    .name = TEST_PLUGIN_NAME,
    .version = "1",
    .description = "an endpoint for the loader tests",
    .get_type = iot_test_endpoint_get_type,
};

#ifndef TEST_PLUGIN_NO_ENTRY
IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void);

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	return &iot_test_plugin_info;
}
#else
IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_test_plugin_hidden_query(void);

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_test_plugin_hidden_query(void)
{
	return &iot_test_plugin_info;
}
#endif

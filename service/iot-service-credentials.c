/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-credentials.h"

/*
 * The access keys that may sign requests to the AWS API, read from a file in
 * the AWS shared-credentials format (what `aws configure` writes to
 * ~/.aws/credentials):
 *
 *   [default]
 *   aws_access_key_id = AKIDEXAMPLE
 *   aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
 *
 * Every section (profile) that has both keys is one access key; an optional
 * aws_session_token must then come with each request the key signs. Secrets
 * stay in this object: nothing here logs or prints them.
 */

typedef struct {
	gchar *secret_access_key;
	gchar *session_token; /* NULL when the key needs none */
} IotServiceCredentialsKey;

struct _IotServiceCredentials {
	GObject parent_instance;
	GHashTable *keys; /* access key ID -> IotServiceCredentialsKey */
};

G_DEFINE_FINAL_TYPE(IotServiceCredentials, iot_service_credentials, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-service-credentials-error-quark, iot_service_credentials_error);

static void
iot_service_credentials_key_free(IotServiceCredentialsKey *key)
{
	g_free(key->secret_access_key);
	g_free(key->session_token);
	g_free(key);
}

/* a value as written, spaces around it dropped; NULL when absent or empty */
static gchar *
iot_service_credentials_get(GKeyFile *file, const gchar *group, const gchar *name)
{
	g_autofree gchar *value = g_key_file_get_value(file, group, name, NULL);
	if (value == NULL)
		return NULL;
	g_strstrip(value);
	if (value[0] == '\0')
		return NULL;
	return g_steal_pointer(&value);
}

/**
 * iot_service_credentials_new_from_file:
 * @path: a shared-credentials file
 * @error: (nullable): return location for an error in %IOT_SERVICE_CREDENTIALS_ERROR
 *
 * Returns: (transfer full): the access keys of every section that has
 *   `aws_access_key_id` and `aws_secret_access_key`, or %NULL with @error set
 */
IotServiceCredentials *
iot_service_credentials_new_from_file(const gchar *path, GError **error)
{
	g_autoptr(IotServiceCredentials) self = g_object_new(IOT_TYPE_SERVICE_CREDENTIALS, NULL);
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GError) error_local = NULL;
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &error_local)) {
		g_set_error(error,
			    IOT_SERVICE_CREDENTIALS_ERROR,
			    IOT_SERVICE_CREDENTIALS_ERROR_READ,
			    "%s: %s",
			    path,
			    error_local->message);
		return NULL;
	}
	groups = g_key_file_get_groups(file, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		g_autofree gchar *id =
		    iot_service_credentials_get(file, groups[i], "aws_access_key_id");
		g_autofree gchar *secret =
		    iot_service_credentials_get(file, groups[i], "aws_secret_access_key");
		IotServiceCredentialsKey *key;

		if (id == NULL && secret == NULL)
			continue;
		if (id == NULL || secret == NULL) {
			g_set_error(error,
				    IOT_SERVICE_CREDENTIALS_ERROR,
				    IOT_SERVICE_CREDENTIALS_ERROR_INVALID,
				    "%s: section [%s] has %s but no %s",
				    path,
				    groups[i],
				    id != NULL ? "aws_access_key_id" : "aws_secret_access_key",
				    id != NULL ? "aws_secret_access_key" : "aws_access_key_id");
			return NULL;
		}
		if (g_hash_table_contains(self->keys, id)) {
			g_set_error(error,
				    IOT_SERVICE_CREDENTIALS_ERROR,
				    IOT_SERVICE_CREDENTIALS_ERROR_INVALID,
				    "%s: section [%s] has the access key ID of an earlier section",
				    path,
				    groups[i]);
			return NULL;
		}
		key = g_new0(IotServiceCredentialsKey, 1);
		key->secret_access_key = g_steal_pointer(&secret);
		key->session_token =
		    iot_service_credentials_get(file, groups[i], "aws_session_token");
		g_hash_table_insert(self->keys, g_steal_pointer(&id), key);
	}
	if (g_hash_table_size(self->keys) == 0) {
		g_set_error(error,
			    IOT_SERVICE_CREDENTIALS_ERROR,
			    IOT_SERVICE_CREDENTIALS_ERROR_EMPTY,
			    "%s has no section with aws_access_key_id and aws_secret_access_key",
			    path);
		return NULL;
	}
	return g_steal_pointer(&self);
}

/**
 * iot_service_credentials_lookup:
 * @self: credentials
 * @access_key_id: the ID a request names
 * @secret_access_key: (out) (transfer none): its secret
 * @session_token: (out) (transfer none) (nullable): the session token its
 *   requests must carry, %NULL for none
 *
 * Returns: %TRUE when @access_key_id is one of the keys
 */
gboolean
iot_service_credentials_lookup(IotServiceCredentials *self,
			       const gchar *access_key_id,
			       const gchar **secret_access_key,
			       const gchar **session_token)
{
	IotServiceCredentialsKey *key;

	g_return_val_if_fail(IOT_IS_SERVICE_CREDENTIALS(self), FALSE);

	key = g_hash_table_lookup(self->keys, access_key_id);
	if (key == NULL)
		return FALSE;
	*secret_access_key = key->secret_access_key;
	*session_token = key->session_token;
	return TRUE;
}

guint
iot_service_credentials_get_n_keys(IotServiceCredentials *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_CREDENTIALS(self), 0);
	return g_hash_table_size(self->keys);
}

static void
iot_service_credentials_finalize(GObject *object)
{
	IotServiceCredentials *self = IOT_SERVICE_CREDENTIALS(object);
	g_hash_table_unref(self->keys);
	G_OBJECT_CLASS(iot_service_credentials_parent_class)->finalize(object);
}

static void
iot_service_credentials_class_init(IotServiceCredentialsClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_service_credentials_finalize;
}

static void
iot_service_credentials_init(IotServiceCredentials *self)
{
	self->keys = g_hash_table_new_full(g_str_hash,
					   g_str_equal,
					   g_free,
					   (GDestroyNotify)iot_service_credentials_key_free);
}

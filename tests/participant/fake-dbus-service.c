/* fake-dbus-service.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A stand-in for a system or desktop D-Bus service (UPower, logind, GNOME's idle monitor, a
 * tray watcher) on a private test bus. It has its own connection, so it has its own unique name,
 * as the real service would.
 */

#include "config.h"

#include "fake-dbus-service.h"

struct _FakeDBusService
{
  GDBusConnection    *connection;
  GDBusNodeInfo      *node;
  GDBusInterfaceInfo *interface;
  char               *object_path;
  guint               registration_id;
  GHashTable         *properties;
  FakeDBusMethodFunc  func;
  gpointer            user_data;
};

GDBusConnection *
test_bus_connect (const char *address)
{
  g_autoptr(GError) error = NULL;
  GDBusConnectionFlags flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (address, flags, NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static gboolean
spin_done_cb (gpointer user_data)
{
  gboolean *done = user_data;

  *done = TRUE;
  return G_SOURCE_REMOVE;
}

void
test_spin (guint milliseconds)
{
  gboolean done = FALSE;

  g_timeout_add (milliseconds, spin_done_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  FakeDBusService *self = user_data;
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  if (self->func == NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.DBus.Error.UnknownMethod",
                                                  "No methods here");
      return;
    }

  reply = self->func (self, method_name, parameters, sender, self->user_data, &error);
  if (reply == NULL)
    {
      g_assert_nonnull (error);
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }

  g_dbus_method_invocation_return_value (invocation, reply);
}

static GVariant *
get_property_cb (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  FakeDBusService *self = user_data;
  GVariant *value = g_hash_table_lookup (self->properties, property_name);

  if (value == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s",
                   property_name);
      return NULL;
    }

  return g_variant_ref (value);
}

static const GDBusInterfaceVTable vtable = {
  method_call_cb,
  get_property_cb,
  NULL,
};

FakeDBusService *
fake_dbus_service_new (const char         *address,
                       const char         *xml,
                       const char         *object_path,
                       FakeDBusMethodFunc  func,
                       gpointer            user_data)
{
  g_autoptr(GError) error = NULL;
  FakeDBusService *self = g_new0 (FakeDBusService, 1);

  self->connection = test_bus_connect (address);
  self->node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  self->interface = self->node->interfaces[0];
  self->object_path = g_strdup (object_path);
  self->properties = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_variant_unref);
  self->func = func;
  self->user_data = user_data;
  self->registration_id = g_dbus_connection_register_object (self->connection, object_path,
                                                             self->interface, &vtable, self,
                                                             NULL, &error);
  g_assert_no_error (error);
  return self;
}

void
fake_dbus_service_free (FakeDBusService *self)
{
  g_dbus_connection_unregister_object (self->connection, self->registration_id);
  g_dbus_connection_close_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->node, g_dbus_node_info_unref);
  g_clear_pointer (&self->properties, g_hash_table_unref);
  g_free (self->object_path);
  g_free (self);
}

GDBusConnection *
fake_dbus_service_get_connection (FakeDBusService *self)
{
  return self->connection;
}

/* Takes @name on @connection, which must not be queued behind another owner. */
void
fake_dbus_own_name (GDBusConnection *connection,
                    const char      *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint32 result = 0;

  /* 4: DBUS_NAME_FLAG_DO_NOT_QUEUE; 1: DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER. */
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName", g_variant_new ("(su)", name, 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1);
}

void
fake_dbus_service_own_name (FakeDBusService *self,
                            const char      *name)
{
  fake_dbus_own_name (self->connection, name);
}

void
fake_dbus_service_release_name (FakeDBusService *self,
                                const char      *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "ReleaseName", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
}

void
fake_dbus_service_set_property (FakeDBusService *self,
                                const char      *name,
                                GVariant        *value,
                                gboolean         invalidate_only)
{
  GVariantBuilder changed;
  GVariantBuilder invalidated;
  g_autoptr(GError) error = NULL;

  g_variant_ref_sink (value);
  g_hash_table_insert (self->properties, g_strdup (name), value);

  g_variant_builder_init (&changed, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_init (&invalidated, G_VARIANT_TYPE ("as"));
  if (invalidate_only)
    g_variant_builder_add (&invalidated, "s", name);
  else
    g_variant_builder_add (&changed, "{sv}", name, value);

  g_dbus_connection_emit_signal (self->connection, NULL, self->object_path,
                                 "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                 g_variant_new ("(sa{sv}as)", self->interface->name,
                                                &changed, &invalidated),
                                 &error);
  g_assert_no_error (error);
}

void
fake_dbus_service_emit (FakeDBusService *self,
                        const char      *signal_name,
                        GVariant        *parameters)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (self->connection, NULL, self->object_path,
                                 self->interface->name, signal_name, parameters, &error);
  g_assert_no_error (error);
}

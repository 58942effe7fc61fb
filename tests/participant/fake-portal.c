/* fake-portal.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A stand-in for xdg-desktop-portal on a private session bus: the parts of
 * org.freedesktop.portal.Desktop that GLib's portal monitors and libportal's background request
 * use, as the portal documentation describes them.
 *
 * - PowerProfileMonitor (version 1): the `power-saver-enabled` property, announced with
 *   PropertiesChanged.
 * - NetworkMonitor (version 3): GetStatus, GetAvailable, GetMetered, GetConnectivity, CanReach,
 *   and the `changed` signal, after which clients ask again.
 * - Background (version 1): RequestBackground answers with a Request object path, built from
 *   the caller's unique name and its handle_token, then emits Request.Response on that path to
 *   the caller alone, as the real portal does.
 *
 * GLib makes its monitors with blocking calls on the thread that asks for them, so the fake
 * answers from a thread of its own. Its state is kept under a mutex; signals are emitted from
 * whichever thread changes it, which GDBus allows.
 */

#include "config.h"

#include "fake-portal.h"

#include "fake-dbus-service.h"

#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define REQUEST_PATH_PREFIX PORTAL_PATH "/request/"
#define POWER_IFACE "org.freedesktop.portal.PowerProfileMonitor"
#define NETWORK_IFACE "org.freedesktop.portal.NetworkMonitor"
#define BACKGROUND_IFACE "org.freedesktop.portal.Background"
#define REQUEST_IFACE "org.freedesktop.portal.Request"

static const char portal_xml[] =
  "<node>"
  "  <interface name='" POWER_IFACE "'>"
  "    <property name='power-saver-enabled' type='b' access='read'/>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "  <interface name='" NETWORK_IFACE "'>"
  "    <signal name='changed'/>"
  "    <method name='GetAvailable'><arg type='b' direction='out'/></method>"
  "    <method name='GetMetered'><arg type='b' direction='out'/></method>"
  "    <method name='GetConnectivity'><arg type='u' direction='out'/></method>"
  "    <method name='GetStatus'><arg type='a{sv}' direction='out'/></method>"
  "    <method name='CanReach'>"
  "      <arg type='s' direction='in'/>"
  "      <arg type='u' direction='in'/>"
  "      <arg type='b' direction='out'/>"
  "    </method>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "  <interface name='" BACKGROUND_IFACE "'>"
  "    <method name='RequestBackground'>"
  "      <arg type='s' name='parent_window' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "  <interface name='" REQUEST_IFACE "'>"
  "    <method name='Close'/>"
  "    <signal name='Response'>"
  "      <arg type='u' name='response'/>"
  "      <arg type='a{sv}' name='results'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

struct _FakePortal
{
  char             *address;
  GThread          *thread;
  GMainContext     *context;
  GMainLoop        *loop;
  GDBusConnection  *connection;
  GDBusNodeInfo    *node;
  guint             registrations[3];

  GMutex            mutex;
  GCond             cond;
  gboolean          ready;

  /* Under the mutex from here on. */
  gboolean          power_saver;
  gboolean          available;
  gboolean          metered;
  guint             connectivity;
  guint             n_status_calls;
  FakePortalAnswer  answer;
  guint             n_background_requests;
  guint             n_background_responses;
  GVariant         *last_background_options;
};

static GVariant *
get_property_cb (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  FakePortal *self = user_data;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  if (g_str_equal (property_name, "version"))
    return g_variant_new_uint32 (g_str_equal (interface_name, NETWORK_IFACE) ? 3 : 1);

  if (g_str_equal (interface_name, POWER_IFACE) &&
      g_str_equal (property_name, "power-saver-enabled"))
    return g_variant_new_boolean (self->power_saver);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s",
               property_name);
  return NULL;
}

static void
network_method_cb (FakePortal            *self,
                   const char            *method_name,
                   GDBusMethodInvocation *invocation)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  if (g_str_equal (method_name, "GetStatus"))
    {
      GVariantBuilder status;

      self->n_status_calls++;
      g_variant_builder_init (&status, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&status, "{sv}", "available",
                             g_variant_new_boolean (self->available));
      g_variant_builder_add (&status, "{sv}", "metered", g_variant_new_boolean (self->metered));
      g_variant_builder_add (&status, "{sv}", "connectivity",
                             g_variant_new_uint32 (self->connectivity));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a{sv})", &status));
    }
  else if (g_str_equal (method_name, "GetAvailable"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", self->available));
  else if (g_str_equal (method_name, "GetMetered"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", self->metered));
  else if (g_str_equal (method_name, "GetConnectivity"))
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(u)", self->connectivity));
  else /* CanReach */
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", self->available));
}

static void
request_method_cb (GDBusConnection       *connection,
                   const char            *sender,
                   const char            *object_path,
                   const char            *interface_name,
                   const char            *method_name,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation,
                   gpointer               user_data)
{
  /* Close: the request is answered at once, so there is nothing left to close. */
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable request_vtable = { request_method_cb, NULL, NULL };

/* The handle is /org/freedesktop/portal/desktop/request/SENDER/TOKEN, where SENDER is the
 * caller's unique name without its colon and with dots as underscores. */
static char *
make_request_path (const char *sender,
                   const char *token)
{
  g_autofree char *escaped = g_strdup (sender + 1);

  g_strdelimit (escaped, ".", '_');
  return g_strconcat (REQUEST_PATH_PREFIX, escaped, "/", token, NULL);
}

static gboolean
token_is_valid (const char *token)
{
  if (*token == '\0')
    return FALSE;
  for (const char *p = token; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

static void
request_background (FakePortal            *self,
                    const char            *sender,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GVariantBuilder results;
  const char *parent_window = NULL;
  const char *token = "t";
  FakePortalAnswer answer;
  guint registration;

  g_variant_get (parameters, "(&s@a{sv})", &parent_window, &options);
  g_variant_lookup (options, "handle_token", "&s", &token);
  if (!token_is_valid (token))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                             G_DBUS_ERROR_INVALID_ARGS, "Bad handle_token");
      return;
    }

  g_mutex_lock (&self->mutex);
  self->n_background_requests++;
  g_clear_pointer (&self->last_background_options, g_variant_unref);
  self->last_background_options = g_variant_ref (options);
  answer = self->answer;
  g_mutex_unlock (&self->mutex);

  path = make_request_path (sender, token);
  registration = g_dbus_connection_register_object (self->connection, path,
                                                    g_dbus_node_info_lookup_interface (
                                                      self->node, REQUEST_IFACE),
                                                    &request_vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));

  /* The reply goes out first, then the response, to the caller alone. */
  g_variant_builder_init (&results, G_VARIANT_TYPE_VARDICT);
  if (answer.response == 0)
    {
      g_variant_builder_add (&results, "{sv}", "background",
                             g_variant_new_boolean (answer.background));
      g_variant_builder_add (&results, "{sv}", "autostart",
                             g_variant_new_boolean (answer.autostart));
    }
  g_dbus_connection_emit_signal (self->connection, sender, path, REQUEST_IFACE, "Response",
                                 g_variant_new ("(ua{sv})", answer.response, &results), &error);
  g_assert_no_error (error);
  g_dbus_connection_unregister_object (self->connection, registration);

  g_mutex_lock (&self->mutex);
  self->n_background_responses++;
  g_mutex_unlock (&self->mutex);
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
  FakePortal *self = user_data;

  if (g_str_equal (interface_name, NETWORK_IFACE))
    network_method_cb (self, method_name, invocation);
  else if (g_str_equal (interface_name, BACKGROUND_IFACE))
    request_background (self, sender, parameters, invocation);
  else
    g_dbus_method_invocation_return_dbus_error (invocation,
                                                "org.freedesktop.DBus.Error.UnknownMethod",
                                                "No such method");
}

static const GDBusInterfaceVTable portal_vtable = { method_call_cb, get_property_cb, NULL };

static gpointer
portal_thread (gpointer user_data)
{
  static const char * const interfaces[] = { POWER_IFACE, NETWORK_IFACE, BACKGROUND_IFACE };
  FakePortal *self = user_data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (self->context);

  self->connection = test_bus_connect (self->address);
  self->node = g_dbus_node_info_new_for_xml (portal_xml, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (interfaces); i++)
    {
      GDBusInterfaceInfo *info = g_dbus_node_info_lookup_interface (self->node, interfaces[i]);

      self->registrations[i] = g_dbus_connection_register_object (self->connection, PORTAL_PATH,
                                                                  info, &portal_vtable, self,
                                                                  NULL, &error);
      g_assert_no_error (error);
    }
  fake_dbus_own_name (self->connection, PORTAL_NAME);

  g_mutex_lock (&self->mutex);
  self->ready = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);

  g_main_loop_run (self->loop);

  for (guint i = 0; i < G_N_ELEMENTS (self->registrations); i++)
    g_dbus_connection_unregister_object (self->connection, self->registrations[i]);
  g_dbus_connection_close_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* Starts the fake on the bus at @address and returns once it owns the portal's name. The power
 * saver is off, the network available, not metered, with full connectivity, and background
 * requests are granted with autostart. */
FakePortal *
fake_portal_new (const char *address)
{
  FakePortal *self = g_new0 (FakePortal, 1);

  self->address = g_strdup (address);
  self->available = TRUE;
  self->connectivity = G_NETWORK_CONNECTIVITY_FULL;
  self->answer = (FakePortalAnswer) { 0, TRUE, TRUE };
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("fake-portal", portal_thread, self);

  g_mutex_lock (&self->mutex);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  return self;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
fake_portal_free (FakePortal *self)
{
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_clear_pointer (&self->node, g_dbus_node_info_unref);
  g_clear_pointer (&self->last_background_options, g_variant_unref);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self->address);
  g_free (self);
}

void
fake_portal_set_power_saver (FakePortal *self,
                             gboolean    enabled)
{
  g_autoptr(GError) error = NULL;
  GVariantBuilder changed;

  g_mutex_lock (&self->mutex);
  self->power_saver = enabled;
  g_mutex_unlock (&self->mutex);

  g_variant_builder_init (&changed, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&changed, "{sv}", "power-saver-enabled",
                         g_variant_new_boolean (enabled));
  g_dbus_connection_emit_signal (self->connection, NULL, PORTAL_PATH,
                                 "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                 g_variant_new ("(sa{sv}as)", POWER_IFACE, &changed, NULL),
                                 &error);
  g_assert_no_error (error);
}

void
fake_portal_set_network (FakePortal           *self,
                         gboolean              available,
                         gboolean              metered,
                         GNetworkConnectivity  connectivity)
{
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&self->mutex);
  self->available = available;
  self->metered = metered;
  self->connectivity = connectivity;
  g_mutex_unlock (&self->mutex);

  /* Version 3 says only that something changed; clients call GetStatus. */
  g_dbus_connection_emit_signal (self->connection, NULL, PORTAL_PATH, NETWORK_IFACE, "changed",
                                 NULL, &error);
  g_assert_no_error (error);
}

guint
fake_portal_get_n_status_calls (FakePortal *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  return self->n_status_calls;
}

void
fake_portal_set_background_answer (FakePortal             *self,
                                   const FakePortalAnswer *answer)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  self->answer = *answer;
}

guint
fake_portal_get_n_background_requests (FakePortal *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  return self->n_background_requests;
}

guint
fake_portal_get_n_background_responses (FakePortal *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  return self->n_background_responses;
}

/* Returns the options of the last RequestBackground call, or NULL before the first. */
GVariant *
fake_portal_dup_last_background_options (FakePortal *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  return self->last_background_options != NULL
         ? g_variant_ref (self->last_background_options) : NULL;
}

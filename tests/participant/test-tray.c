/* test-tray.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tray icon against a fake org.kde.StatusNotifierWatcher on a private bus: registration,
 * the menu as a tray host reads it, menu items activating the app's actions, and silence when
 * there is no watcher (stock GNOME).
 */

#include "config.h"

#include "fake-dbus-service.h"
#include "desktop/trb-tray.h"

#define ITEM_PATH "/StatusNotifierItem"

static const char watcher_xml[] =
  "<node>"
  "  <interface name='org.kde.StatusNotifierWatcher'>"
  "    <method name='RegisterStatusNotifierItem'>"
  "      <arg name='service' type='s' direction='in'/>"
  "    </method>"
  "    <property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
  "  </interface>"
  "</node>";

static const char * const no_names[] = { NULL };

static const char * const action_names[] = {
  "pause", "resume", "pause-for-an-hour", "open", "quit",
};

typedef struct
{
  GTestDBus          *bus;
  const char         *address;
  GDBusConnection    *client;
  GSimpleActionGroup *actions;
  GHashTable         *activations; /* action name → count */
  GPtrArray          *registered;  /* services the watcher was given */
  GPtrArray          *senders;     /* who gave them */
} Fixture;

static GVariant *
watcher_method_cb (FakeDBusService  *service,
                   const char       *method,
                   GVariant         *parameters,
                   const char       *sender,
                   gpointer          user_data,
                   GError          **error)
{
  Fixture *fixture = user_data;
  const char *item = NULL;

  g_assert_cmpstr (method, ==, "RegisterStatusNotifierItem");
  g_variant_get (parameters, "(&s)", &item);
  g_ptr_array_add (fixture->registered, g_strdup (item));
  g_ptr_array_add (fixture->senders, g_strdup (sender));
  return g_variant_new ("()");
}

static void
action_activated_cb (GSimpleAction *action,
                     GVariant      *parameter,
                     Fixture       *fixture)
{
  const char *name = g_action_get_name (G_ACTION (action));
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (fixture->activations, name));

  g_hash_table_insert (fixture->activations, (gpointer) name, GUINT_TO_POINTER (count + 1));
}

static guint
activations (Fixture    *fixture,
             const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fixture->activations, name));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->address = g_test_dbus_get_bus_address (fixture->bus);
  fixture->client = test_bus_connect (fixture->address);
  fixture->activations = g_hash_table_new (g_str_hash, g_str_equal);
  fixture->registered = g_ptr_array_new_with_free_func (g_free);
  fixture->senders = g_ptr_array_new_with_free_func (g_free);
  fixture->actions = g_simple_action_group_new ();
  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    {
      g_autoptr(GSimpleAction) action = g_simple_action_new (action_names[i], NULL);

      g_signal_connect (action, "activate", G_CALLBACK (action_activated_cb), fixture);
      g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (action));
    }
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->actions);
  g_clear_pointer (&fixture->activations, g_hash_table_unref);
  g_clear_pointer (&fixture->registered, g_ptr_array_unref);
  g_clear_pointer (&fixture->senders, g_ptr_array_unref);
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_clear_object (&fixture->client);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
}

static FakeDBusService *
start_watcher (Fixture *fixture)
{
  FakeDBusService *watcher = fake_dbus_service_new (fixture->address, watcher_xml,
                                                    "/StatusNotifierWatcher",
                                                    watcher_method_cb, fixture);

  fake_dbus_service_set_property (watcher, "IsStatusNotifierHostRegistered",
                                  g_variant_new_boolean (TRUE), FALSE);
  fake_dbus_service_own_name (watcher, "org.kde.StatusNotifierWatcher");
  return watcher;
}

typedef struct
{
  GVariant *reply;
  GError   *error;
  gboolean  done;
} CallResult;

static void
host_call_done_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CallResult *call = user_data;

  call->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &call->error);
  call->done = TRUE;
}

/* Calls the tray as a host would: from another connection, to the registered name. The tray
 * answers from this thread's main context, so the call is asynchronous and the context runs. */
static GVariant *
host_call (FakeDBusService     *host,
           const char          *service,
           const char          *path,
           const char          *interface,
           const char          *method,
           GVariant            *parameters,
           const GVariantType  *reply_type,
           GError             **error)
{
  CallResult call = { NULL, NULL, FALSE };

  g_dbus_connection_call (fake_dbus_service_get_connection (host), service, path, interface,
                          method, parameters, reply_type, G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
                          host_call_done_cb, &call);
  TEST_WAIT_UNTIL (call.done);
  if (call.error != NULL)
    g_propagate_error (error, call.error);
  return call.reply;
}

static GVariant *
host_get (FakeDBusService *host,
          const char      *service,
          const char      *path,
          const char      *interface,
          const char      *property)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariant *value = NULL;

  reply = host_call (host, service, path, "org.freedesktop.DBus.Properties", "Get",
                     g_variant_new ("(ss)", interface, property), G_VARIANT_TYPE ("(v)"),
                     &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

/* The menu's items by label, as a host shows them: label → id. */
static GHashTable *
read_menu (FakeDBusService *host,
           const char      *service,
           const char      *menu_path,
           GHashTable     **enabled_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) root_props = NULL;
  g_autoptr(GVariantIter) children = NULL;
  GHashTable *items = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTable *enabled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *display = NULL;
  GVariant *child;
  guint revision = 0;
  int root = -1;

  reply = host_call (host, service, menu_path, "com.canonical.dbusmenu", "GetLayout",
                     g_variant_new ("(ii^as)", 0, -1, no_names),
                     G_VARIANT_TYPE ("(u(ia{sv}av))"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u(i@a{sv}av))", &revision, &root, &root_props, &children);
  g_assert_cmpint (root, ==, 0);
  g_assert_true (g_variant_lookup (root_props, "children-display", "&s", &display));
  g_assert_cmpstr (display, ==, "submenu");

  while (g_variant_iter_next (children, "v", &child))
    {
      g_autoptr(GVariant) props = NULL;
      g_autoptr(GVariantIter) grandchildren = NULL;
      const char *label = NULL;
      gboolean is_enabled = TRUE;
      int id = -1;

      g_variant_get (child, "(i@a{sv}av)", &id, &props, &grandchildren);
      g_assert_cmpuint (g_variant_iter_n_children (grandchildren), ==, 0);
      if (g_variant_lookup (props, "label", "&s", &label))
        {
          g_variant_lookup (props, "enabled", "b", &is_enabled);
          g_hash_table_insert (items, g_strdup (label), GINT_TO_POINTER (id));
          g_hash_table_insert (enabled, g_strdup (label), GINT_TO_POINTER (is_enabled));
        }
      g_variant_unref (child);
    }

  if (enabled_out != NULL)
    *enabled_out = enabled;
  else
    g_hash_table_unref (enabled);
  return items;
}

static void
click (FakeDBusService *host,
       const char      *service,
       const char      *menu_path,
       GHashTable      *items,
       const char      *label)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  gpointer id;

  g_assert_true (g_hash_table_lookup_extended (items, label, NULL, &id));
  reply = host_call (host, service, menu_path, "com.canonical.dbusmenu", "Event",
                     g_variant_new ("(isvu)", GPOINTER_TO_INT (id), "clicked",
                                    g_variant_new_int32 (0), 0),
                     NULL, &error);
  g_assert_no_error (error);
}

static void
test_tray_registers_and_serves_menu (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(FakeDBusService) watcher = start_watcher (fixture);
  g_autoptr(TrbTray) tray = NULL;
  g_autoptr(GHashTable) items = NULL;
  g_autoptr(GHashTable) enabled = NULL;
  g_autoptr(GVariant) title = NULL;
  g_autoptr(GVariant) menu = NULL;
  g_autoptr(GVariant) tooltip = NULL;
  g_autoptr(GError) error = NULL;
  const char *unique_name = g_dbus_connection_get_unique_name (fixture->client);
  GAction *quit;
  const char *service;
  const char *menu_path;

  tray = trb_tray_new (fixture->client, G_ACTION_GROUP (fixture->actions), "tributary-test",
                       &error);
  g_assert_no_error (error);
  TEST_WAIT_UNTIL (trb_tray_get_registered (tray));

  /* Registered once, under the connection's unique name, by that connection. */
  g_assert_cmpuint (fixture->registered->len, ==, 1);
  service = g_ptr_array_index (fixture->registered, 0);
  g_assert_cmpstr (service, ==, unique_name);
  g_assert_cmpstr (g_ptr_array_index (fixture->senders, 0), ==, unique_name);

  title = host_get (watcher, service, ITEM_PATH, "org.kde.StatusNotifierItem", "Title");
  g_assert_cmpstr (g_variant_get_string (title, NULL), ==, "Tributary");
  menu = host_get (watcher, service, ITEM_PATH, "org.kde.StatusNotifierItem", "Menu");
  g_assert_true (g_variant_is_of_type (menu, G_VARIANT_TYPE_OBJECT_PATH));
  menu_path = g_variant_get_string (menu, NULL);

  trb_tray_set_status (tray, "Paused: on battery");
  items = read_menu (watcher, service, menu_path, &enabled);
  g_assert_true (g_hash_table_contains (items, "Paused: on battery"));
  g_assert_false (GPOINTER_TO_INT (g_hash_table_lookup (enabled, "Paused: on battery")));
  g_assert_true (GPOINTER_TO_INT (g_hash_table_lookup (enabled, "_Pause")));
  g_assert_false (g_hash_table_contains (items, "_Resume"));
  tooltip = host_get (watcher, service, ITEM_PATH, "org.kde.StatusNotifierItem", "ToolTip");
  {
    const char *text = NULL;

    g_variant_get_child (tooltip, 3, "&s", &text);
    g_assert_cmpstr (text, ==, "Paused: on battery");
  }

  /* Each item activates its action, and only it. */
  click (watcher, service, menu_path, items, "_Pause");
  g_assert_cmpuint (activations (fixture, "pause"), ==, 1);
  click (watcher, service, menu_path, items, "Pause for an _Hour");
  g_assert_cmpuint (activations (fixture, "pause-for-an-hour"), ==, 1);
  click (watcher, service, menu_path, items, "_Open Tributary");
  g_assert_cmpuint (activations (fixture, "open"), ==, 1);
  click (watcher, service, menu_path, items, "_Quit");
  g_assert_cmpuint (activations (fixture, "quit"), ==, 1);
  /* The status line is not an action. */
  click (watcher, service, menu_path, items, "Paused: on battery");
  g_assert_cmpuint (activations (fixture, "resume"), ==, 0);
  g_assert_cmpuint (g_hash_table_size (fixture->activations), ==, 4);

  /* Paused, the same item resumes. */
  trb_tray_set_paused (tray, TRUE);
  g_clear_pointer (&items, g_hash_table_unref);
  items = read_menu (watcher, service, menu_path, NULL);
  g_assert_false (g_hash_table_contains (items, "_Pause"));
  click (watcher, service, menu_path, items, "_Resume");
  g_assert_cmpuint (activations (fixture, "resume"), ==, 1);
  g_assert_cmpuint (activations (fixture, "pause"), ==, 1);

  /* A click on the icon opens the window. */
  {
    g_autoptr(GVariant) reply = host_call (watcher, service, ITEM_PATH,
                                           "org.kde.StatusNotifierItem", "Activate",
                                           g_variant_new ("(ii)", 10, 10), NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (activations (fixture, "open"), ==, 2);
  }

  /* A disabled action shows as disabled and cannot be clicked. */
  quit = g_action_map_lookup_action (G_ACTION_MAP (fixture->actions), "quit");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (quit), FALSE);
  g_clear_pointer (&enabled, g_hash_table_unref);
  g_clear_pointer (&items, g_hash_table_unref);
  items = read_menu (watcher, service, menu_path, &enabled);
  g_assert_false (GPOINTER_TO_INT (g_hash_table_lookup (enabled, "_Quit")));
  click (watcher, service, menu_path, items, "_Quit");
  g_assert_cmpuint (activations (fixture, "quit"), ==, 1);

  /* Nonsense from a host is answered with an error, not a crash. */
  {
    g_autoptr(GVariant) reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu",
                                           "Event",
                                           g_variant_new ("(isvu)", 9999, "clicked",
                                                          g_variant_new_int32 (0), 0),
                                           NULL, &error);

    g_assert_null (reply);
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
    g_clear_error (&error);
  }
  {
    g_autoptr(GVariant) reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu",
                                           "GetLayout", g_variant_new ("(ii^as)", -5, 1, no_names),
                                           NULL, &error);

    g_assert_null (reply);
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
    g_clear_error (&error);
  }
}

/* The dbusmenu methods a host uses besides GetLayout and Event: each answers as the
 * specification says, and an unknown item or method is an error. */
static void
test_tray_menu_methods (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(FakeDBusService) watcher = start_watcher (fixture);
  g_autoptr(TrbTray) tray = NULL;
  g_autoptr(GHashTable) items = NULL;
  g_autoptr(GVariant) menu = NULL;
  g_autoptr(GError) error = NULL;
  const char *service = g_dbus_connection_get_unique_name (fixture->client);
  const char *menu_path;
  int quit_id;
  int open_id;

  tray = trb_tray_new (fixture->client, G_ACTION_GROUP (fixture->actions), "tributary-test",
                       &error);
  g_assert_no_error (error);
  TEST_WAIT_UNTIL (trb_tray_get_registered (tray));
  menu = host_get (watcher, service, ITEM_PATH, "org.kde.StatusNotifierItem", "Menu");
  menu_path = g_variant_get_string (menu, NULL);
  items = read_menu (watcher, service, menu_path, NULL);
  quit_id = GPOINTER_TO_INT (g_hash_table_lookup (items, "_Quit"));
  open_id = GPOINTER_TO_INT (g_hash_table_lookup (items, "_Open Tributary"));
  g_assert_cmpint (quit_id, >, 0);
  g_assert_cmpint (open_id, >, 0);

  /* One property of one item. */
  {
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) value = NULL;

    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu", "GetProperty",
                       g_variant_new ("(is)", quit_id, "label"), G_VARIANT_TYPE ("(v)"), &error);
    g_assert_no_error (error);
    g_variant_get (reply, "(v)", &value);
    g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "_Quit");
  }
  {
    g_autoptr(GVariant) reply = NULL;

    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu", "GetProperty",
                       g_variant_new ("(is)", quit_id, "no-such-property"), NULL, &error);
    g_assert_null (reply);
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
    g_clear_error (&error);
    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu", "GetProperty",
                       g_variant_new ("(is)", -1, "label"), NULL, &error);
    g_assert_null (reply);
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
    g_clear_error (&error);
  }

  /* The properties of the items asked for, unknown ids left out; all items when none is. */
  {
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) group = NULL;
    g_autoptr(GVariant) props = NULL;
    int ids[] = { open_id, 9999 };
    const char *label = NULL;
    int id = -1;

    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu",
                       "GetGroupProperties",
                       g_variant_new ("(@ai^as)",
                                      g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, ids,
                                                                 G_N_ELEMENTS (ids),
                                                                 sizeof (int)),
                                      no_names),
                       G_VARIANT_TYPE ("(a(ia{sv}))"), &error);
    g_assert_no_error (error);
    group = g_variant_get_child_value (reply, 0);
    g_assert_cmpuint (g_variant_n_children (group), ==, 1);
    g_variant_get_child (group, 0, "(i@a{sv})", &id, &props);
    g_assert_cmpint (id, ==, open_id);
    g_assert_true (g_variant_lookup (props, "label", "&s", &label));
    g_assert_cmpstr (label, ==, "_Open Tributary");
  }
  {
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) group = NULL;

    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu",
                       "GetGroupProperties",
                       g_variant_new ("(@ai^as)",
                                      g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0),
                                      no_names),
                       G_VARIANT_TYPE ("(a(ia{sv}))"), &error);
    g_assert_no_error (error);
    group = g_variant_get_child_value (reply, 0);
    /* The root and every item the menu shows. */
    g_assert_cmpuint (g_variant_n_children (group), >, g_hash_table_size (items));
  }

  /* Several clicks at once: the known ones activate, the unknown one comes back. */
  {
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) errors = NULL;
    GVariantBuilder events;
    int unknown = 0;

    g_variant_builder_init (&events, G_VARIANT_TYPE ("a(isvu)"));
    g_variant_builder_add (&events, "(isvu)", open_id, "clicked", g_variant_new_int32 (0), 0);
    g_variant_builder_add (&events, "(isvu)", 4242, "clicked", g_variant_new_int32 (0), 0);
    g_variant_builder_add (&events, "(isvu)", quit_id, "hovered", g_variant_new_int32 (0), 0);
    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu", "EventGroup",
                       g_variant_new ("(a(isvu))", &events), G_VARIANT_TYPE ("(ai)"), &error);
    g_assert_no_error (error);
    errors = g_variant_get_child_value (reply, 0);
    g_assert_cmpuint (g_variant_n_children (errors), ==, 1);
    g_variant_get_child (errors, 0, "i", &unknown);
    g_assert_cmpint (unknown, ==, 4242);
    g_assert_cmpuint (activations (fixture, "open"), ==, 1);
    g_assert_cmpuint (activations (fixture, "quit"), ==, 0);
  }

  /* The menu is always up to date: nothing to refresh before it opens. */
  {
    g_autoptr(GVariant) reply = NULL;
    gboolean needs_update = TRUE;

    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu", "AboutToShow",
                       g_variant_new ("(i)", 0), G_VARIANT_TYPE ("(b)"), &error);
    g_assert_no_error (error);
    g_variant_get (reply, "(b)", &needs_update);
    g_assert_false (needs_update);
  }
  {
    g_autoptr(GVariant) reply = NULL;
    int ids[] = { 0 };

    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu", "AboutToShowGroup",
                       g_variant_new ("(@ai)",
                                      g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, ids,
                                                                 G_N_ELEMENTS (ids),
                                                                 sizeof (int))),
                       G_VARIANT_TYPE ("(aiai)"), &error);
    g_assert_no_error (error);
  }

  /* A method the menu does not have (GDBus answers it from the interface's description). */
  {
    g_autoptr(GVariant) reply = NULL;

    reply = host_call (watcher, service, menu_path, "com.canonical.dbusmenu", "NoSuchMethod",
                       NULL, NULL, &error);
    g_assert_null (reply);
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
    g_clear_error (&error);
  }
}

static void
signal_received_cb (GDBusConnection *connection,
                    const char      *sender_name,
                    const char      *object_path,
                    const char      *interface_name,
                    const char      *signal_name,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  GPtrArray *signals = user_data;

  g_ptr_array_add (signals, g_strdup (signal_name));
}

static void
test_tray_announces_changes (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(FakeDBusService) watcher = start_watcher (fixture);
  g_autoptr(TrbTray) tray = NULL;
  g_autoptr(GPtrArray) signals = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  GDBusConnection *host = fake_dbus_service_get_connection (watcher);
  const char *tray_name = g_dbus_connection_get_unique_name (fixture->client);
  guint subscription;

  tray = trb_tray_new (fixture->client, G_ACTION_GROUP (fixture->actions), "tributary-test",
                       &error);
  g_assert_no_error (error);
  TEST_WAIT_UNTIL (trb_tray_get_registered (tray));

  subscription = g_dbus_connection_signal_subscribe (host, tray_name, NULL, NULL, NULL, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE,
                                                     signal_received_cb, signals, NULL);
  /* Let the match rule reach the bus before anything is emitted. */
  {
    g_autoptr(GVariant) ping = host_call (watcher, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                          "org.freedesktop.DBus", "GetId", NULL, NULL, &error);
    g_assert_no_error (error);
  }

  trb_tray_set_status (tray, "Waiting until the computer is idle");
  TEST_WAIT_UNTIL (signals->len >= 3);
  g_assert_true (g_ptr_array_find_with_equal_func (signals, "ItemsPropertiesUpdated",
                                                   g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (signals, "NewToolTip", g_str_equal, NULL));

  /* The same status again says nothing. */
  g_ptr_array_set_size (signals, 0);
  trb_tray_set_status (tray, "Waiting until the computer is idle");
  trb_tray_set_paused (tray, TRUE);
  TEST_WAIT_UNTIL (signals->len >= 2);
  test_spin (100);
  g_assert_false (g_ptr_array_find_with_equal_func (signals, "NewToolTip", g_str_equal, NULL));

  g_dbus_connection_signal_unsubscribe (host, subscription);
}

static void
test_tray_watcher_comes_later (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(FakeDBusService) watcher = NULL;
  g_autoptr(FakeDBusService) watcher2 = NULL;
  g_autoptr(TrbTray) tray = NULL;
  g_autoptr(GError) error = NULL;

  tray = trb_tray_new (fixture->client, G_ACTION_GROUP (fixture->actions), "tributary-test",
                       &error);
  g_assert_no_error (error);
  test_spin (100);
  g_assert_false (trb_tray_get_registered (tray));

  watcher = start_watcher (fixture);
  TEST_WAIT_UNTIL (trb_tray_get_registered (tray));
  g_assert_cmpuint (fixture->registered->len, ==, 1);

  /* The tray host restarts: the icon registers with the new one. */
  fake_dbus_service_release_name (watcher, "org.kde.StatusNotifierWatcher");
  TEST_WAIT_UNTIL (!trb_tray_get_registered (tray));
  watcher2 = start_watcher (fixture);
  TEST_WAIT_UNTIL (trb_tray_get_registered (tray));
  g_assert_cmpuint (fixture->registered->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (fixture->registered, 1), ==,
                   g_dbus_connection_get_unique_name (fixture->client));
}

/* Stock GNOME: no watcher. Nothing is registered and nothing complains; the test would fail on
 * any warning or critical, which GLib's test mode makes fatal. */
static void
test_tray_without_watcher (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(TrbTray) tray = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *long_status = NULL;

  tray = trb_tray_new (fixture->client, G_ACTION_GROUP (fixture->actions), "tributary-test",
                       &error);
  g_assert_no_error (error);
  trb_tray_set_status (tray, "Ready to train");
  trb_tray_set_paused (tray, TRUE);
  long_status = g_strnfill (5000, 'x');
  trb_tray_set_status (tray, long_status);
  trb_tray_set_status (tray, "\xff\xfe not UTF-8");
  test_spin (200);

  g_assert_false (trb_tray_get_registered (tray));
  g_assert_cmpuint (fixture->registered->len, ==, 0);
  g_assert_cmpuint (g_hash_table_size (fixture->activations), ==, 0);

  /* Gone cleanly, and a second icon can be exported on the same connection. */
  g_assert_finalize_object (g_steal_pointer (&tray));
  tray = trb_tray_new (fixture->client, G_ACTION_GROUP (fixture->actions), "tributary-test",
                       &error);
  g_assert_no_error (error);
  g_assert_nonnull (tray);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/tray/registers-and-serves-menu", Fixture, NULL,
              fixture_set_up, test_tray_registers_and_serves_menu, fixture_tear_down);
  g_test_add ("/tray/menu-methods", Fixture, NULL,
              fixture_set_up, test_tray_menu_methods, fixture_tear_down);
  g_test_add ("/tray/announces-changes", Fixture, NULL,
              fixture_set_up, test_tray_announces_changes, fixture_tear_down);
  g_test_add ("/tray/watcher-comes-later", Fixture, NULL,
              fixture_set_up, test_tray_watcher_comes_later, fixture_tear_down);
  g_test_add ("/tray/without-watcher", Fixture, NULL,
              fixture_set_up, test_tray_without_watcher, fixture_tear_down);

  return g_test_run ();
}

/* trb-tray.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A tray icon as a StatusNotifierItem with a com.canonical.dbusmenu menu: the status, Pause or
 * Resume, Pause for an hour, Open and Quit. Desktops with a tray host (KDE, GNOME with the
 * AppIndicator extension, most others) run an org.kde.StatusNotifierWatcher; the item registers
 * with it under the connection's unique name, again whenever a watcher appears. Stock GNOME has
 * no watcher; then the objects stay exported, unused, and nothing else happens.
 *
 * The menu items activate actions of the given action group: "pause", "resume",
 * "pause-for-an-hour", "open" and "quit".
 */

#define G_LOG_DOMAIN "trb-tray"

#include "config.h"

#include "trb-tray.h"

#include <glib/gi18n.h>

#define ITEM_PATH "/StatusNotifierItem"
#define MENU_PATH "/StatusNotifierItem/Menu"
#define WATCHER_NAME "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH "/StatusNotifierWatcher"

/* Longest status text shown; the text comes from elsewhere in the app. */
#define MAX_STATUS_LENGTH 200

static const char item_xml[] =
  "<node>"
  "  <interface name='org.kde.StatusNotifierItem'>"
  "    <property name='Category' type='s' access='read'/>"
  "    <property name='Id' type='s' access='read'/>"
  "    <property name='Title' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='WindowId' type='i' access='read'/>"
  "    <property name='IconName' type='s' access='read'/>"
  "    <property name='IconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='OverlayIconName' type='s' access='read'/>"
  "    <property name='OverlayIconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='AttentionIconName' type='s' access='read'/>"
  "    <property name='AttentionIconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='AttentionMovieName' type='s' access='read'/>"
  "    <property name='IconThemePath' type='s' access='read'/>"
  "    <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "    <property name='ItemIsMenu' type='b' access='read'/>"
  "    <property name='Menu' type='o' access='read'/>"
  "    <method name='ContextMenu'><arg name='x' type='i'/><arg name='y' type='i'/></method>"
  "    <method name='Activate'><arg name='x' type='i'/><arg name='y' type='i'/></method>"
  "    <method name='SecondaryActivate'>"
  "      <arg name='x' type='i'/><arg name='y' type='i'/>"
  "    </method>"
  "    <method name='Scroll'>"
  "      <arg name='delta' type='i'/><arg name='orientation' type='s'/>"
  "    </method>"
  "    <signal name='NewTitle'/>"
  "    <signal name='NewIcon'/>"
  "    <signal name='NewAttentionIcon'/>"
  "    <signal name='NewOverlayIcon'/>"
  "    <signal name='NewToolTip'/>"
  "    <signal name='NewStatus'><arg name='status' type='s'/></signal>"
  "  </interface>"
  "</node>";

static const char menu_xml[] =
  "<node>"
  "  <interface name='com.canonical.dbusmenu'>"
  "    <property name='Version' type='u' access='read'/>"
  "    <property name='TextDirection' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='IconThemePath' type='as' access='read'/>"
  "    <method name='GetLayout'>"
  "      <arg name='parentId' type='i' direction='in'/>"
  "      <arg name='recursionDepth' type='i' direction='in'/>"
  "      <arg name='propertyNames' type='as' direction='in'/>"
  "      <arg name='revision' type='u' direction='out'/>"
  "      <arg name='layout' type='(ia{sv}av)' direction='out'/>"
  "    </method>"
  "    <method name='GetGroupProperties'>"
  "      <arg name='ids' type='ai' direction='in'/>"
  "      <arg name='propertyNames' type='as' direction='in'/>"
  "      <arg name='properties' type='a(ia{sv})' direction='out'/>"
  "    </method>"
  "    <method name='GetProperty'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='name' type='s' direction='in'/>"
  "      <arg name='value' type='v' direction='out'/>"
  "    </method>"
  "    <method name='Event'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='eventId' type='s' direction='in'/>"
  "      <arg name='data' type='v' direction='in'/>"
  "      <arg name='timestamp' type='u' direction='in'/>"
  "    </method>"
  "    <method name='EventGroup'>"
  "      <arg name='events' type='a(isvu)' direction='in'/>"
  "      <arg name='idErrors' type='ai' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShow'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='needUpdate' type='b' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShowGroup'>"
  "      <arg name='ids' type='ai' direction='in'/>"
  "      <arg name='updatesNeeded' type='ai' direction='out'/>"
  "      <arg name='idErrors' type='ai' direction='out'/>"
  "    </method>"
  "    <signal name='ItemsPropertiesUpdated'>"
  "      <arg name='updatedProps' type='a(ia{sv})'/>"
  "      <arg name='removedProps' type='a(ias)'/>"
  "    </signal>"
  "    <signal name='LayoutUpdated'>"
  "      <arg name='revision' type='u'/><arg name='parent' type='i'/>"
  "    </signal>"
  "    <signal name='ItemActivationRequested'>"
  "      <arg name='id' type='i'/><arg name='timestamp' type='u'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

/* The menu's items; 0 is the root. */
enum {
  ITEM_ROOT,
  ITEM_STATUS,
  ITEM_SEPARATOR_1,
  ITEM_PAUSE,
  ITEM_PAUSE_FOR_AN_HOUR,
  ITEM_SEPARATOR_2,
  ITEM_OPEN,
  ITEM_QUIT,
  N_ITEMS
};

struct _TrbTray
{
  GObject          parent_instance;

  GDBusConnection *connection;
  GActionGroup    *actions;
  GDBusNodeInfo   *item_info;
  GDBusNodeInfo   *menu_info;
  char            *icon_name;
  char            *status;
  GCancellable    *cancellable;

  guint            item_id;
  guint            menu_id;
  guint            watch_id;
  guint            revision;
  gboolean         paused;
  gboolean         registered;
};

G_DEFINE_FINAL_TYPE (TrbTray, trb_tray, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_REGISTERED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
item_action (TrbTray *self,
             int      id)
{
  switch (id)
    {
    case ITEM_PAUSE:
      return self->paused ? "resume" : "pause";
    case ITEM_PAUSE_FOR_AN_HOUR:
      return "pause-for-an-hour";
    case ITEM_OPEN:
      return "open";
    case ITEM_QUIT:
      return "quit";
    default:
      return NULL;
    }
}

static gboolean
action_enabled (TrbTray    *self,
                const char *action)
{
  return action != NULL &&
         g_action_group_has_action (self->actions, action) &&
         g_action_group_get_action_enabled (self->actions, action);
}

static GVariant *
item_properties (TrbTray            *self,
                 int                 id,
                 const char * const *names)
{
  GVariantDict dict;
  const char *label = NULL;
  const char *action = item_action (self, id);

  g_variant_dict_init (&dict, NULL);

  switch (id)
    {
    case ITEM_ROOT:
      g_variant_dict_insert (&dict, "children-display", "s", "submenu");
      break;

    case ITEM_STATUS:
      label = self->status;
      g_variant_dict_insert (&dict, "enabled", "b", FALSE);
      break;

    case ITEM_SEPARATOR_1:
    case ITEM_SEPARATOR_2:
      g_variant_dict_insert (&dict, "type", "s", "separator");
      break;

    case ITEM_PAUSE:
      label = self->paused ? _("_Resume") : _("_Pause");
      break;

    case ITEM_PAUSE_FOR_AN_HOUR:
      label = _("Pause for an _Hour");
      break;

    case ITEM_OPEN:
      label = _("_Open Tributary");
      break;

    case ITEM_QUIT:
      label = _("_Quit");
      break;

    default:
      g_assert_not_reached ();
    }

  if (label != NULL)
    g_variant_dict_insert (&dict, "label", "s", label);
  if (action != NULL && !action_enabled (self, action))
    g_variant_dict_insert (&dict, "enabled", "b", FALSE);

  /* An empty list of names asks for all of them. */
  if (names != NULL && names[0] != NULL)
    {
      g_autoptr(GVariant) all = g_variant_ref_sink (g_variant_dict_end (&dict));
      GVariantIter iter;
      const char *key;
      GVariant *value;

      g_variant_dict_init (&dict, NULL);
      g_variant_iter_init (&iter, all);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          if (g_strv_contains (names, key))
            g_variant_dict_insert_value (&dict, key, value);
          g_variant_unref (value);
        }
    }

  return g_variant_dict_end (&dict);
}

static GVariant *
item_layout (TrbTray            *self,
             int                 id,
             int                 depth,
             const char * const *names)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  if (id == ITEM_ROOT && depth != 0)
    {
      for (int child = ITEM_ROOT + 1; child < N_ITEMS; child++)
        g_variant_builder_add (&children, "v", item_layout (self, child, depth - 1, names));
    }

  return g_variant_new ("(i@a{sv}av)", id, item_properties (self, id, names), &children);
}

static void
emit_menu_signal (TrbTray    *self,
                  const char *name,
                  GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;

  if (!g_dbus_connection_emit_signal (self->connection, NULL, MENU_PATH,
                                      "com.canonical.dbusmenu", name, parameters, &error))
    g_debug ("Could not tell the tray about the menu: %s", error->message);
}

static void
emit_item_signal (TrbTray    *self,
                  const char *name,
                  GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;

  if (!g_dbus_connection_emit_signal (self->connection, NULL, ITEM_PATH,
                                      "org.kde.StatusNotifierItem", name, parameters, &error))
    g_debug ("Could not tell the tray about the icon: %s", error->message);
}

static void
menu_changed (TrbTray *self,
              int      first,
              int      last)
{
  GVariantBuilder updated;

  self->revision++;
  g_variant_builder_init (&updated, G_VARIANT_TYPE ("a(ia{sv})"));
  for (int id = first; id <= last; id++)
    g_variant_builder_add (&updated, "(i@a{sv})", id, item_properties (self, id, NULL));

  emit_menu_signal (self, "ItemsPropertiesUpdated",
                    g_variant_new ("(a(ia{sv})a(ias))", &updated, NULL));
  emit_menu_signal (self, "LayoutUpdated", g_variant_new ("(ui)", self->revision, ITEM_ROOT));
}

static gboolean
activate_item (TrbTray *self,
               int      id)
{
  const char *action = item_action (self, id);

  if (!action_enabled (self, action))
    return FALSE;

  g_debug ("Tray menu: %s", action);
  g_action_group_activate_action (self->actions, action, NULL);
  return TRUE;
}

static gboolean
valid_id (int id)
{
  return id >= ITEM_ROOT && id < N_ITEMS;
}

static void
return_invalid_id (GDBusMethodInvocation *invocation,
                   int                    id)
{
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                         "No menu item %d", id);
}

/* com.canonical.dbusmenu, one function per method. GDBus has checked the parameters against
 * menu_xml before any of them runs; the item ids in them come from the tray host and are
 * checked here. */

typedef void (*MenuMethod) (TrbTray               *self,
                            GVariant              *parameters,
                            GDBusMethodInvocation *invocation);

/* The menu's tree from the item @parentId down, as the host shows it. */
static void
menu_get_layout (TrbTray               *self,
                 GVariant              *parameters,
                 GDBusMethodInvocation *invocation)
{
  g_autofree const char **names = NULL;
  int parent = 0;
  int depth = 0;

  g_variant_get (parameters, "(ii^a&s)", &parent, &depth, &names);
  if (!valid_id (parent))
    {
      return_invalid_id (invocation, parent);
      return;
    }

  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(u@(ia{sv}av))", self->revision,
                                                        item_layout (self, parent, depth,
                                                                     names)));
}

/* The properties of the items asked for, of every item when none is named; unknown ids are
 * left out, as the specification says. */
static void
menu_get_group_properties (TrbTray               *self,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariantIter) ids = NULL;
  g_autofree const char **names = NULL;
  GVariantBuilder result;
  int id;

  g_variant_get (parameters, "(ai^a&s)", &ids, &names);
  g_variant_builder_init (&result, G_VARIANT_TYPE ("a(ia{sv})"));
  if (g_variant_iter_n_children (ids) == 0)
    {
      for (id = ITEM_ROOT; id < N_ITEMS; id++)
        g_variant_builder_add (&result, "(i@a{sv})", id, item_properties (self, id, names));
    }
  while (g_variant_iter_next (ids, "i", &id))
    {
      if (valid_id (id))
        g_variant_builder_add (&result, "(i@a{sv})", id, item_properties (self, id, names));
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &result));
}

/* One property of one item. */
static void
menu_get_property (TrbTray               *self,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) value = NULL;
  const char *name = NULL;
  int id = 0;

  g_variant_get (parameters, "(i&s)", &id, &name);
  if (!valid_id (id))
    {
      return_invalid_id (invocation, id);
      return;
    }

  props = g_variant_ref_sink (item_properties (self, id, NULL));
  value = g_variant_lookup_value (props, name, NULL);
  if (value == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                             G_DBUS_ERROR_INVALID_ARGS,
                                             "Menu item %d has no property %s", id, name);
      return;
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
}

/* Something happened to an item; only a click does anything. */
static void
menu_event (TrbTray               *self,
            GVariant              *parameters,
            GDBusMethodInvocation *invocation)
{
  const char *event = NULL;
  int id = 0;

  g_variant_get (parameters, "(i&svu)", &id, &event, NULL, NULL);
  if (!valid_id (id))
    {
      return_invalid_id (invocation, id);
      return;
    }

  if (g_str_equal (event, "clicked"))
    activate_item (self, id);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

/* Several events at once; the answer lists the ids that were not found. */
static void
menu_event_group (TrbTray               *self,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariantIter) events = NULL;
  GVariantBuilder errors;
  const char *event = NULL;
  int id = 0;

  g_variant_get (parameters, "(a(isvu))", &events);
  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
  while (g_variant_iter_next (events, "(i&svu)", &id, &event, NULL, NULL))
    {
      if (!valid_id (id))
        g_variant_builder_add (&errors, "i", id);
      else if (g_str_equal (event, "clicked"))
        activate_item (self, id);
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));
}

/* The menu is about to open: it is always up to date, so nothing needs updating. */
static void
menu_about_to_show (TrbTray               *self,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation)
{
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", FALSE));
}

static void
menu_about_to_show_group (TrbTray               *self,
                          GVariant              *parameters,
                          GDBusMethodInvocation *invocation)
{
  GVariant *updates = g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0);
  GVariant *errors = g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0);

  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(@ai@ai)", updates, errors));
}

static const struct
{
  const char *name;
  MenuMethod  call;
} menu_methods[] = {
  { "GetLayout", menu_get_layout },
  { "GetGroupProperties", menu_get_group_properties },
  { "GetProperty", menu_get_property },
  { "Event", menu_event },
  { "EventGroup", menu_event_group },
  { "AboutToShow", menu_about_to_show },
  { "AboutToShowGroup", menu_about_to_show_group },
};

static void
menu_method_call_cb (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *object_path,
                     const char            *interface_name,
                     const char            *method_name,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               user_data)
{
  TrbTray *self = user_data;

  for (gsize i = 0; i < G_N_ELEMENTS (menu_methods); i++)
    {
      if (g_str_equal (method_name, menu_methods[i].name))
        {
          menu_methods[i].call (self, parameters, invocation);
          return;
        }
    }

  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                         "No method %s", method_name);
}

static GVariant *
menu_get_property_cb (GDBusConnection  *connection,
                      const char       *sender,
                      const char       *object_path,
                      const char       *interface_name,
                      const char       *property_name,
                      GError          **error,
                      gpointer          user_data)
{
  if (g_str_equal (property_name, "Version"))
    return g_variant_new_uint32 (3);
  if (g_str_equal (property_name, "TextDirection"))
    {
      /* Translators: "default:RTL" for right-to-left languages, otherwise "default:LTR". */
      gboolean rtl = g_str_equal (_("default:LTR"), "default:RTL");

      return g_variant_new_string (rtl ? "rtl" : "ltr");
    }
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("normal");
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_strv (NULL, 0);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s",
               property_name);
  return NULL;
}

static GVariant *
empty_pixmaps (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
}

static GVariant *
item_get_property_cb (GDBusConnection  *connection,
                      const char       *sender,
                      const char       *object_path,
                      const char       *interface_name,
                      const char       *property_name,
                      GError          **error,
                      gpointer          user_data)
{
  TrbTray *self = user_data;

  if (g_str_equal (property_name, "Category"))
    return g_variant_new_string ("ApplicationStatus");
  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (BASE_APP_ID);
  if (g_str_equal (property_name, "Title"))
    return g_variant_new_string (_("Tributary"));
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("Active");
  if (g_str_equal (property_name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (property_name, "IconName"))
    return g_variant_new_string (self->icon_name);
  if (g_str_equal (property_name, "IconPixmap") ||
      g_str_equal (property_name, "OverlayIconPixmap") ||
      g_str_equal (property_name, "AttentionIconPixmap"))
    return empty_pixmaps ();
  if (g_str_equal (property_name, "OverlayIconName") ||
      g_str_equal (property_name, "AttentionIconName") ||
      g_str_equal (property_name, "AttentionMovieName") ||
      g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_string ("");
  if (g_str_equal (property_name, "ToolTip"))
    return g_variant_new ("(s@a(iiay)ss)", self->icon_name, empty_pixmaps (), _("Tributary"),
                          self->status);
  if (g_str_equal (property_name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (property_name, "Menu"))
    return g_variant_new_object_path (MENU_PATH);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s",
               property_name);
  return NULL;
}

static void
item_method_call_cb (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *object_path,
                     const char            *interface_name,
                     const char            *method_name,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               user_data)
{
  TrbTray *self = user_data;

  /* A click on the icon opens the window; the menu is the host's business (ContextMenu is only
   * for hosts that cannot show dbusmenu menus themselves). */
  if (g_str_equal (method_name, "Activate"))
    activate_item (self, ITEM_OPEN);

  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable item_vtable = {
  item_method_call_cb,
  item_get_property_cb,
  NULL,
};

static const GDBusInterfaceVTable menu_vtable = {
  menu_method_call_cb,
  menu_get_property_cb,
  NULL,
};

static void
set_registered (TrbTray  *self,
                gboolean  registered)
{
  if (self->registered == registered)
    return;

  self->registered = registered;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTERED]);
}

static void
registered_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TrbTray) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("The tray did not take the icon: %s", error->message);
      return;
    }

  set_registered (self, TRUE);
}

static void
watcher_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *name_owner,
                     gpointer         user_data)
{
  TrbTray *self = user_data;

  g_dbus_connection_call (connection, name_owner, WATCHER_PATH, WATCHER_NAME,
                          "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", g_dbus_connection_get_unique_name (connection)),
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->cancellable,
                          registered_cb, g_object_ref (self));
}

static void
watcher_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  set_registered (TRB_TRAY (user_data), FALSE);
}

static void
actions_changed_cb (TrbTray *self)
{
  menu_changed (self, ITEM_PAUSE, ITEM_QUIT);
}

static void
trb_tray_dispose (GObject *object)
{
  TrbTray *self = TRB_TRAY (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->connection != NULL)
    {
      if (self->item_id != 0)
        g_dbus_connection_unregister_object (self->connection, self->item_id);
      if (self->menu_id != 0)
        g_dbus_connection_unregister_object (self->connection, self->menu_id);
      self->item_id = self->menu_id = 0;
    }
  if (self->actions != NULL)
    g_signal_handlers_disconnect_by_data (self->actions, self);
  g_clear_object (&self->actions);
  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (trb_tray_parent_class)->dispose (object);
}

static void
trb_tray_finalize (GObject *object)
{
  TrbTray *self = TRB_TRAY (object);

  g_clear_pointer (&self->item_info, g_dbus_node_info_unref);
  g_clear_pointer (&self->menu_info, g_dbus_node_info_unref);
  g_free (self->icon_name);
  g_free (self->status);

  G_OBJECT_CLASS (trb_tray_parent_class)->finalize (object);
}

static void
trb_tray_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  TrbTray *self = TRB_TRAY (object);

  switch (prop_id)
    {
    case PROP_REGISTERED:
      g_value_set_boolean (value, self->registered);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_tray_class_init (TrbTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_tray_dispose;
  object_class->finalize = trb_tray_finalize;
  object_class->get_property = trb_tray_get_property;

  /**
   * TrbTray:registered:
   *
   * Whether a tray host has taken the icon.
   */
  properties[PROP_REGISTERED] =
    g_param_spec_boolean ("registered", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
trb_tray_init (TrbTray *self)
{
  self->cancellable = g_cancellable_new ();
  self->status = g_strdup (_("Tributary"));
  self->revision = 1;
}

/**
 * trb_tray_new:
 * @connection: the session bus
 * @actions: the actions the menu activates
 * @icon_name: the icon's name in the icon theme
 * @error: return location for a #GError
 *
 * Exports the tray icon and its menu on @connection and registers them with the tray host,
 * now or whenever one appears.
 *
 * Returns: (transfer full) (nullable): the tray icon, or %NULL when it could not be exported
 */
TrbTray *
trb_tray_new (GDBusConnection  *connection,
              GActionGroup     *actions,
              const char       *icon_name,
              GError          **error)
{
  g_autoptr(TrbTray) self = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);
  g_return_val_if_fail (icon_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (TRB_TYPE_TRAY, NULL);
  self->connection = g_object_ref (connection);
  self->actions = g_object_ref (actions);
  self->icon_name = g_strdup (icon_name);

  self->item_info = g_dbus_node_info_new_for_xml (item_xml, error);
  if (self->item_info == NULL)
    return NULL;
  self->menu_info = g_dbus_node_info_new_for_xml (menu_xml, error);
  if (self->menu_info == NULL)
    return NULL;

  self->item_id = g_dbus_connection_register_object (connection, ITEM_PATH,
                                                     self->item_info->interfaces[0],
                                                     &item_vtable, self, NULL, error);
  if (self->item_id == 0)
    return NULL;
  self->menu_id = g_dbus_connection_register_object (connection, MENU_PATH,
                                                     self->menu_info->interfaces[0],
                                                     &menu_vtable, self, NULL, error);
  if (self->menu_id == 0)
    return NULL;

  g_signal_connect_swapped (actions, "action-added", G_CALLBACK (actions_changed_cb), self);
  g_signal_connect_swapped (actions, "action-removed", G_CALLBACK (actions_changed_cb), self);
  g_signal_connect_swapped (actions, "action-enabled-changed",
                            G_CALLBACK (actions_changed_cb), self);

  self->watch_id = g_bus_watch_name_on_connection (connection, WATCHER_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   watcher_appeared_cb, watcher_vanished_cb,
                                                   self, NULL);
  return g_steal_pointer (&self);
}

/**
 * trb_tray_set_status:
 * @self: a #TrbTray
 * @status: the status in plain words, such as "Paused: on battery"
 *
 * Shows @status in the menu and the tooltip.
 */
void
trb_tray_set_status (TrbTray    *self,
                     const char *status)
{
  g_autofree char *text = NULL;

  g_return_if_fail (TRB_IS_TRAY (self));
  g_return_if_fail (status != NULL);

  if (!g_utf8_validate (status, -1, NULL))
    text = g_utf8_make_valid (status, -1);
  else
    text = g_strdup (status);
  if (g_utf8_strlen (text, -1) > MAX_STATUS_LENGTH)
    {
      g_autofree char *cut = g_utf8_substring (text, 0, MAX_STATUS_LENGTH - 1);

      g_free (text);
      text = g_strconcat (cut, "…", NULL);
    }

  if (g_strcmp0 (self->status, text) == 0)
    return;

  g_free (self->status);
  self->status = g_steal_pointer (&text);
  menu_changed (self, ITEM_STATUS, ITEM_STATUS);
  emit_item_signal (self, "NewToolTip", NULL);
}

/**
 * trb_tray_set_paused:
 * @self: a #TrbTray
 * @paused: whether the person has paused training
 *
 * Turns the menu's Pause item into Resume and back.
 */
void
trb_tray_set_paused (TrbTray  *self,
                     gboolean  paused)
{
  g_return_if_fail (TRB_IS_TRAY (self));

  paused = !!paused;
  if (self->paused == paused)
    return;

  self->paused = paused;
  menu_changed (self, ITEM_PAUSE, ITEM_PAUSE);
}

/**
 * trb_tray_get_registered:
 * @self: a #TrbTray
 *
 * Returns: whether a tray host has taken the icon
 */
gboolean
trb_tray_get_registered (TrbTray *self)
{
  g_return_val_if_fail (TRB_IS_TRAY (self), FALSE);

  return self->registered;
}

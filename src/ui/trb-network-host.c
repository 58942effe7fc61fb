/* trb-network-host.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Host a Network" in Preferences: runs a tributary-node on this computer with a chosen task,
 * reachable from the local network, and shows its address and an invite link to pass on.
 */

#define G_LOG_DOMAIN "trb-network-host"

#include "config.h"

#include "trb-network-host.h"

#include <glib/gi18n.h>

#include "participant/trb-invite.h"
#include "trb-application.h"

struct _TrbNetworkHost
{
  GtkBox        parent_instance;

  GtkListBox   *list;
  AdwComboRow  *task_row;
  GtkButton    *host_button;
  gboolean      running;
  AdwActionRow *address_row;
  AdwActionRow *invite_row;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (TrbNetworkHost, trb_network_host, GTK_TYPE_BOX)

/**
 * trb_network_host_invite_link:
 * @url: a network's address
 *
 * Returns: (transfer full): `tributary://join?url=…`, which the app opens to join
 */
char *
trb_network_host_invite_link (const char *url)
{
  return trb_invite_make (url);
}

/* A node listening on every interface says 0.0.0.0: others reach it by this computer's name. */
static char *
reachable_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *host = NULL;

  if (uri == NULL || g_strcmp0 (g_uri_get_host (uri), "0.0.0.0") != 0)
    return g_strdup (url);
  host = g_strconcat (g_get_host_name (), ".local", NULL);
  return g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL, host, g_uri_get_port (uri),
                     "", NULL, NULL);
}

static void
show_url (TrbNetworkHost *self,
          const char     *url)
{
  g_autofree char *shown = url != NULL ? reachable_url (url) : NULL;
  g_autofree char *invite = shown != NULL ? trb_network_host_invite_link (shown) : NULL;

  adw_action_row_set_subtitle (self->address_row, shown != NULL ? shown : _("Not running"));
  adw_action_row_set_subtitle (self->invite_row, invite != NULL ? invite : "");
  gtk_widget_set_visible (GTK_WIDGET (self->invite_row), invite != NULL);
  g_object_set_data_full (G_OBJECT (self->invite_row), "invite", g_steal_pointer (&invite),
                          g_free);
  self->running = url != NULL;
  gtk_button_set_label (self->host_button, self->running ? _("_Stop") : _("_Start"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->host_button), TRUE);
}

static void
started_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TrbNetworkHost) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = trb_demo_node_start_finish (TRB_DEMO_NODE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  show_url (self, url);
  if (url == NULL)
    adw_action_row_set_subtitle (self->address_row, error->message);
}

static TrbDemoNode *
get_node (void)
{
  GApplication *app = g_application_get_default ();

  return TRB_IS_APPLICATION (app)
           ? trb_application_get_hosted_node (TRB_APPLICATION (app)) : NULL;
}

static void
host_clicked_cb (TrbNetworkHost *self)
{
  TrbDemoNode *node = get_node ();

  if (node == NULL)
    return;
  if (!self->running)
    {
      adw_action_row_set_subtitle (self->address_row, _("Starting…"));
      gtk_widget_set_sensitive (GTK_WIDGET (self->host_button), FALSE);
      trb_demo_node_start_async (node, self->cancellable, started_cb, g_object_ref (self));
    }
  else
    {
      trb_demo_node_stop (node);
      show_url (self, NULL);
    }
}

static void
copy_clicked_cb (TrbNetworkHost *self)
{
  const char *invite = g_object_get_data (G_OBJECT (self->invite_row), "invite");

  if (invite != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), invite);
}

static void
trb_network_host_dispose (GObject *object)
{
  TrbNetworkHost *self = TRB_NETWORK_HOST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (trb_network_host_parent_class)->dispose (object);
}

static void
trb_network_host_class_init (TrbNetworkHostClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = trb_network_host_dispose;
}

static GtkWidget *
make_row (const char *title)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_add_css_class (row, "property");
  return row;
}

static void
trb_network_host_init (TrbNetworkHost *self)
{
  g_autoptr(GtkStringList) tasks = gtk_string_list_new (NULL);
  GtkWidget *host_row, *copy;
  TrbDemoNode *node = get_node ();

  self->cancellable = g_cancellable_new ();
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->list));

  self->task_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->task_row), _("Task"));
  gtk_string_list_append (tasks, _("Recognise clothing in small pictures (Fashion-MNIST)"));
  adw_combo_row_set_model (self->task_row, G_LIST_MODEL (tasks));
  gtk_list_box_append (self->list, GTK_WIDGET (self->task_row));

  host_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (host_row), _("Host on This Computer"));
  self->host_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Start")));
  gtk_widget_set_valign (GTK_WIDGET (self->host_button), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (host_row), GTK_WIDGET (self->host_button));
  g_signal_connect_swapped (self->host_button, "clicked", G_CALLBACK (host_clicked_cb), self);
  gtk_list_box_append (self->list, host_row);

  self->address_row = ADW_ACTION_ROW (make_row (_("Address")));
  gtk_list_box_append (self->list, GTK_WIDGET (self->address_row));

  self->invite_row = ADW_ACTION_ROW (make_row (_("Invite link")));
  copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (copy, _("Copy the Invite Link"));
  gtk_widget_add_css_class (copy, "flat");
  g_signal_connect_swapped (copy, "clicked", G_CALLBACK (copy_clicked_cb), self);
  adw_action_row_add_suffix (self->invite_row, copy);
  gtk_list_box_append (self->list, GTK_WIDGET (self->invite_row));

  show_url (self, node != NULL ? trb_demo_node_get_url (node) : NULL);
  if (node == NULL)
    gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
}

GtkWidget *
trb_network_host_new (void)
{
  return g_object_new (TRB_TYPE_NETWORK_HOST, NULL);
}

/* trb-network-host.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Host a Network" in Preferences: runs a tributary-node of its own on this computer with a
 * chosen task, listening on the local network once the person has agreed to that, and shows
 * the addresses other computers reach it by, with an invite link and its QR code to pass on.
 * Stop ends the node; so does quitting the app. The rows are the template's
 * (trb-network-host.ui); only what they say changes.
 */

#define G_LOG_DOMAIN "trb-network-host"

#include "config.h"

#include "trb-network-host.h"

#include <glib/gi18n.h>
#include <string.h>

#include "net/trb-local-addresses.h"
#include "participant/trb-invite.h"
#include "trb-application.h"
#include "ui/trb-qr-texture.h"

struct _TrbNetworkHost
{
  GtkBox        parent_instance;

  GtkListBox   *list;
  AdwComboRow  *task_row;
  GtkButton    *host_button;
  gboolean      running;
  AdwActionRow *address_row;
  AdwActionRow *invite_row;
  GtkPicture   *qr_picture;
  GCancellable *cancellable;
  gboolean      retried;   /* with any free port, after the kept one failed */
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

/* The node says where it listens (0.0.0.0 and a port); others reach it by this computer's
 * local network addresses, or failing those by its name on the local network. */
static GPtrArray *
reachable_urls (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_auto(GStrv) addresses = NULL;
  GPtrArray *urls = g_ptr_array_new_with_free_func (g_free);
  const char *host;

  if (uri == NULL || g_uri_get_port (uri) <= 0)
    {
      g_ptr_array_add (urls, g_strdup (url));
      return urls;
    }
  host = g_uri_get_host (uri);
  if (g_strcmp0 (host, "0.0.0.0") != 0 && g_strcmp0 (host, "::") != 0)
    {
      g_ptr_array_add (urls, g_strdup (url));
      return urls;
    }
  addresses = trb_local_addresses_list ();
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      /* A node on 0.0.0.0 answers on IPv4 addresses only; one on :: on both. */
      if (g_str_equal (host, "0.0.0.0") && strchr (addresses[i], ':') != NULL)
        continue;
      g_ptr_array_add (urls, trb_local_addresses_url (addresses[i], g_uri_get_port (uri)));
    }
  if (urls->len == 0)
    {
      g_autofree char *name = g_strconcat (g_get_host_name (), ".local", NULL);

      g_ptr_array_add (urls, trb_local_addresses_url (name, g_uri_get_port (uri)));
    }
  return urls;
}

static void
show_url (TrbNetworkHost *self,
          const char     *url)
{
  g_autoptr(GPtrArray) urls = url != NULL ? reachable_urls (url) : NULL;
  g_autofree char *invite = NULL;
  g_autofree char *addresses = NULL;
  g_autoptr(GdkTexture) qr = NULL;

  if (urls != NULL)
    {
      /* The first address is the one most likely reachable: an IPv4 one, if any. */
      invite = trb_network_host_invite_link (g_ptr_array_index (urls, 0));
      g_ptr_array_add (urls, NULL);
      addresses = g_strjoinv ("\n", (char **) urls->pdata);
      qr = trb_qr_texture_new (invite);
    }
  adw_action_row_set_subtitle (self->address_row,
                               addresses != NULL ? addresses : _("Not running"));
  adw_action_row_set_subtitle (self->invite_row, invite != NULL ? invite : "");
  gtk_widget_set_visible (GTK_WIDGET (self->invite_row), invite != NULL);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (qr));
  gtk_picture_set_alternative_text (self->qr_picture, invite);
  gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), qr != NULL);
  g_object_set_data_full (G_OBJECT (self->invite_row), "invite", g_steal_pointer (&invite),
                          g_free);
  self->running = url != NULL;
  gtk_button_set_label (self->host_button, self->running ? _("_Stop Hosting") : _("_Start"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->host_button), TRUE);
  if (self->running)
    gtk_widget_add_css_class (GTK_WIDGET (self->host_button), "destructive-action");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->host_button), "destructive-action");
}

/* The port is kept from one hosting to the next, so that invite links already given out go on
 * working; where another program took it meanwhile, any free port will do. */
static char *
port_file (TrbDemoNode *node)
{
  return g_build_filename (trb_demo_node_get_data_dir (node), "port", NULL);
}

static guint
read_port (TrbDemoNode *node)
{
  g_autofree char *path = port_file (node);
  g_autofree char *text = NULL;
  guint64 port = 0;

  if (g_file_get_contents (path, &text, NULL, NULL) &&
      g_ascii_string_to_unsigned (g_strstrip (text), 10, 1, G_MAXUINT16, &port, NULL))
    return (guint) port;
  return 0;
}

static void
write_port (TrbDemoNode *node,
            const char  *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *path = port_file (node);
  g_autofree char *text = NULL;

  if (uri == NULL || g_uri_get_port (uri) <= 0)
    return;
  text = g_strdup_printf ("%d\n", g_uri_get_port (uri));
  g_file_set_contents (path, text, -1, NULL);
}

static void start_node (TrbNetworkHost *self,
                        TrbDemoNode    *node,
                        guint           port);

static void
started_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TrbNetworkHost) self = user_data;
  g_autoptr(GError) error = NULL;
  TrbDemoNode *node = TRB_DEMO_NODE (source);
  g_autofree char *url = trb_demo_node_start_finish (node, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (url == NULL && read_port (node) != 0 && !self->retried)
    {
      self->retried = TRUE;
      start_node (self, node, 0);
      return;
    }
  if (url != NULL)
    write_port (node, url);
  show_url (self, url);
  if (url == NULL)
    adw_action_row_set_subtitle (self->address_row,
                                 _("The network could not be started. Try again; if it still "
                                   "fails, restart Tributary."));
}

static TrbDemoNode *
get_node (void)
{
  GApplication *app = g_application_get_default ();

  return TRB_IS_APPLICATION (app)
           ? trb_application_get_hosted_node (TRB_APPLICATION (app)) : NULL;
}

static void
listen_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    TrbNetworkHost   *self)
{
  TrbDemoNode *node = get_node ();

  if (!g_str_equal (response, "listen") || node == NULL || self->running)
    return;
  adw_action_row_set_subtitle (self->address_row, _("Starting…"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->host_button), FALSE);
  self->retried = FALSE;
  start_node (self, node, read_port (node));
}

static void
start_node (TrbNetworkHost *self,
            TrbDemoNode    *node,
            guint           port)
{
  g_autofree char *listen = g_strdup_printf ("0.0.0.0:%u", port);

  trb_demo_node_set_listen (node, listen);
  trb_demo_node_start_async (node, self->cancellable, started_cb, g_object_ref (self));
}

/* Listening beyond this computer is the person's choice, asked each time. */
static void
ask_to_listen (TrbNetworkHost *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Listen on the Local Network?"),
                                   _("Other computers on your network will be able to join "
                                     "it, from its address or its invite link, until you stop "
                                     "hosting."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "listen", _("_Listen"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "listen",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "listen");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (listen_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
host_clicked_cb (TrbNetworkHost *self)
{
  TrbDemoNode *node = get_node ();

  if (node == NULL)
    return;
  if (!self->running)
    ask_to_listen (self);
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
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_NETWORK_HOST);
  G_OBJECT_CLASS (trb_network_host_parent_class)->dispose (object);
}

static void
trb_network_host_class_init (TrbNetworkHostClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = trb_network_host_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-network-host.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkHost, list);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkHost, task_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkHost, host_button);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkHost, address_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkHost, invite_row);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkHost, qr_picture);
  gtk_widget_class_bind_template_callback (widget_class, host_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
}

static void
trb_network_host_init (TrbNetworkHost *self)
{
  TrbDemoNode *node = get_node ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  show_url (self, node != NULL ? trb_demo_node_get_url (node) : NULL);
  if (node == NULL)
    gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
}

GtkWidget *
trb_network_host_new (void)
{
  return g_object_new (TRB_TYPE_NETWORK_HOST, NULL);
}

/* trb-networks-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Networks area: the joined networks with their state and Leave, the built-in demo network
 * and "Add by Address" for an address or an invite link.
 */

#define G_LOG_DOMAIN "trb-networks-page"

#include "config.h"

#include "trb-networks-page.h"

#include <glib/gi18n.h>

#include "participant/trb-catalogue.h"
#include "trb-application.h"
#include "ui/trb-address-dialog.h"
#include "ui/trb-join-dialog.h"
#include "ui/trb-network-page.h"
#include "ui/trb-network-row.h"
#include "ui/trb-text-row.h"
#include "ui/trb-window.h"

struct _TrbNetworksPage
{
  AdwBin      parent_instance;

  GtkStack   *stack;
  GtkListBox *networks_list;
  AdwPreferencesGroup *directory_group;
  AdwPreferencesGroup *joined_group;
  TrbNetworkPage      *network_page;

  TrbParticipationManager *manager;
  GtkListBox   *directory_list;
  GListStore   *directory;   /* TrbTextItem, one per network of the directory */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (TrbNetworksPage, trb_networks_page, ADW_TYPE_BIN)

static GtkWindow *
get_window (TrbNetworksPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
join_demo_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  TrbNetworksPage *self = TRB_NETWORKS_PAGE (widget);
  TrbParticipationManager *manager = self->manager;
  TrbDemoNode *demo = trb_application_get_demo_node (
    TRB_APPLICATION (g_application_get_default ()));
  const char *url = demo != NULL ? trb_demo_node_get_url (demo) : NULL;

  /* Already joined: show what it is doing. */
  if (manager != NULL && url != NULL && trb_participation_manager_lookup_url (manager, url))
    {
      if (TRB_IS_WINDOW (get_window (self)))
        trb_window_show_area (TRB_WINDOW (get_window (self)), "activity");
      return;
    }
  trb_join_dialog_present (get_window (self), NULL);
}

static void
add_by_address_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  trb_address_dialog_present (get_window (TRB_NETWORKS_PAGE (widget)));
}

static void
leave_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   TrbNetworksPage  *self)
{
  TrbParticipation *p = g_object_get_data (G_OBJECT (dialog), "participation");
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (response, "leave") || self->manager == NULL)
    return;
  if (!trb_participation_manager_leave (self->manager, p, &error))
    trb_window_report_problem (GTK_WIDGET (self), _("The network could not be left"), error);
}

static void
ask_leave (TrbNetworksPage  *self,
           TrbParticipation *p)
{
  const char *name = trb_participation_manager_get_name (self->manager, p);
  g_autofree char *heading = g_strdup_printf (_("Leave “%s”?"), name);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (get_window (self), heading,
                                   _("This computer stops training for this network. Rewards "
                                     "already earned stay yours."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "leave", _("_Leave"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "leave",
                                              ADW_RESPONSE_DESTRUCTIVE);
  g_object_set_data_full (G_OBJECT (dialog), "participation", g_object_ref (p), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (leave_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_list (TrbNetworksPage *self)
{
  guint n = self->manager != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->manager)) : 0;
  guint n_directory = g_list_model_get_n_items (G_LIST_MODEL (self->directory));

  gtk_stack_set_visible_child_name (self->stack, n + n_directory > 0 ? "list" : "empty");
  if (self->network_page != NULL)
    trb_network_page_set_participation (self->network_page, NULL);
}

static void
open_network (TrbNetworksPage  *self,
              TrbParticipation *p)
{
  trb_network_page_set_participation (self->network_page, p);
  gtk_stack_set_visible_child_name (self->stack, "network");
  gtk_widget_grab_focus (GTK_WIDGET (self->network_page));
}

static void
network_row_open_cb (TrbNetworkRow   *row,
                     TrbNetworksPage *self)
{
  open_network (self, trb_network_row_get_participation (row));
}

static void
network_row_leave_cb (TrbNetworkRow   *row,
                      TrbNetworksPage *self)
{
  ask_leave (self, trb_network_row_get_participation (row));
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  TrbNetworksPage *self = user_data;
  TrbParticipation *p = item;
  GtkWidget *row = trb_network_row_new (p, trb_participation_manager_get_name (self->manager,
                                                                               p));

  g_signal_connect_object (row, "open", G_CALLBACK (network_row_open_cb), self, 0);
  g_signal_connect_object (row, "leave", G_CALLBACK (network_row_leave_cb), self, 0);
  return row;
}

static gboolean
network_is_joined (TrbNetworksPage  *self,
                   TrbParticipation *p)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->manager));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbParticipation) item = g_list_model_get_item (G_LIST_MODEL (self->manager), i);

      if (item == p)
        return TRUE;
    }
  return FALSE;
}

static void
items_changed_cb (TrbNetworksPage *self)
{
  guint n = self->manager != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->manager)) : 0;

  TrbParticipation *shown = self->network_page != NULL
                             ? trb_network_page_get_participation (self->network_page) : NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->joined_group), n > 0);
  /* A network's page stays open unless its network was left. */
  if (shown == NULL || !network_is_joined (self, shown))
    show_list (self);
}

static void
directory_row_activated_cb (TrbNetworksPage *self,
                            GtkListBoxRow   *row)
{
  trb_join_dialog_present (get_window (self),
                           trb_text_item_get_target (trb_text_row_get_item (TRB_TEXT_ROW (row))));
}

static void
catalogue_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  TrbNetworksPage *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = trb_catalogue_fetch_finish (result, &error);
  g_autoptr(GPtrArray) items = NULL;

  if (entries == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("%s", error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->directory_group), TRUE);
          adw_preferences_group_set_description (self->directory_group, error->message);
        }
      return;
    }
  items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < entries->len; i++)
    {
      TrbCatalogueEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *subtitle = NULL;
      TrbTextItem *item;

      subtitle = g_strdup_printf ("%s%s%s", entry->operator_name ? entry->operator_name : "",
                                  entry->operator_name && entry->description ? " — " : "",
                                  entry->description ? entry->description : "");
      item = trb_text_item_new (entry->name, subtitle, NULL);
      trb_text_item_set_target (item, entry->url);
      g_ptr_array_add (items, item);
    }
  /* One change for the whole directory: its rows are made once, from the model. */
  g_list_store_splice (self->directory, 0, g_list_model_get_n_items (G_LIST_MODEL (
                         self->directory)), items->pdata, items->len);
  gtk_widget_set_visible (GTK_WIDGET (self->directory_group), entries->len > 0);
  items_changed_cb (self);
}

static void
load_directory (TrbNetworksPage *self)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *url = g_settings_get_string (settings, "catalogue-url");

  if (url == NULL || *url == '\0')
    return;
  trb_catalogue_fetch_async (url, self->cancellable, catalogue_cb, self);
}

static void
trb_networks_page_dispose (GObject *object)
{
  TrbNetworksPage *self = TRB_NETWORKS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  /* Let AdwBin unparent its child itself, or it would unparent it again once freed. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_NETWORKS_PAGE);
  g_clear_object (&self->manager);
  g_clear_object (&self->directory);

  G_OBJECT_CLASS (trb_networks_page_parent_class)->dispose (object);
}

static void
trb_networks_page_class_init (TrbNetworksPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_networks_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-networks-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbNetworksPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworksPage, networks_list);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworksPage, directory_group);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworksPage, joined_group);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworksPage, directory_list);
  gtk_widget_class_bind_template_callback (widget_class, directory_row_activated_cb);
  gtk_widget_class_install_action (widget_class, "networks.join-demo", NULL, join_demo_action);
  gtk_widget_class_install_action (widget_class, "networks.add-by-address", NULL,
                                   add_by_address_action);
}

static void
trb_networks_page_init (TrbNetworksPage *self)
{
  GApplication *app = g_application_get_default ();
  TrbParticipationManager *manager = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->directory = g_list_store_new (TRB_TYPE_TEXT_ITEM);
  gtk_list_box_bind_model (self->directory_list, G_LIST_MODEL (self->directory),
                           trb_text_row_create, NULL, NULL);

  if (TRB_IS_APPLICATION (app))
    manager = trb_application_get_participations (TRB_APPLICATION (app));
  if (manager == NULL)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "networks.join-demo", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "networks.add-by-address", FALSE);
      return;
    }
  self->manager = g_object_ref (manager);
  self->network_page = TRB_NETWORK_PAGE (trb_network_page_new (manager));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->network_page), "network");
  g_signal_connect_object (self->network_page, "back", G_CALLBACK (show_list), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->network_page, "leave", G_CALLBACK (ask_leave), self,
                           G_CONNECT_SWAPPED);
  gtk_list_box_bind_model (self->networks_list, G_LIST_MODEL (manager), create_row, self,
                           NULL);
  g_signal_connect_object (manager, "items-changed", G_CALLBACK (items_changed_cb), self,
                           G_CONNECT_SWAPPED);
  items_changed_cb (self);
  load_directory (self);
}

/* trb-datasets-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Datasets area: the datasets the user picked, with their status, a way to add more
 * (through the file chooser portal, or the demo dataset), and a detail page for each.
 */

#define G_LOG_DOMAIN "trb-datasets-page"

#include "config.h"

#include "trb-datasets-page.h"

#include <glib/gi18n.h>

#include "datasets/trb-dataset-registry.h"
#include "trb-dataset-detail.h"
#include "trb-dataset-row.h"
#include "trb-error-area.h"
#include "trb-window.h"

struct _TrbDatasetsPage
{
  AdwBin              parent_instance;

  TrbStore           *store;
  TrbDatasetRegistry *registry;
  GtkFileChooserNative *chooser;

  GtkStack           *stack;
  GtkListBox         *list_box;
  TrbDatasetDetail   *detail;
  TrbErrorArea       *add_error;
};

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TrbDatasetsPage, trb_datasets_page, ADW_TYPE_BIN)

static void
toast (TrbDatasetsPage *self,
       const char      *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), TRB_TYPE_WINDOW);

  if (window != NULL)
    trb_window_add_toast (TRB_WINDOW (window), adw_toast_new (text));
}

static void
update_visible_page (TrbDatasetsPage *self)
{
  guint n = self->registry ? g_list_model_get_n_items (G_LIST_MODEL (self->registry)) : 0;
  const char *current = gtk_stack_get_visible_child_name (self->stack);

  if (g_strcmp0 (current, "detail") == 0)
    return;
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

static void
registry_items_changed_cb (TrbDatasetsPage *self)
{
  update_visible_page (self);
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  return trb_dataset_row_new (TRB_DATASET_ITEM (item));
}

static void
show_detail (TrbDatasetsPage *self,
             TrbDatasetItem  *item)
{
  trb_dataset_detail_set_item (self->detail, self->registry, item);
  gtk_stack_set_visible_child_name (self->stack, "detail");
}

static void
row_activated_cb (TrbDatasetsPage *self,
                  GtkListBoxRow   *row)
{
  show_detail (self, trb_dataset_row_get_item (TRB_DATASET_ROW (row)));
}

static void
show_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  TrbDatasetsPage *self = TRB_DATASETS_PAGE (widget);
  gint64 id = g_variant_get_int64 (param);
  guint n;

  if (self->registry == NULL)
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->registry));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbDatasetItem) item = g_list_model_get_item (G_LIST_MODEL (self->registry), i);

      if (trb_dataset_item_get_id (item) == id)
        {
          show_detail (self, item);
          return;
        }
    }
}

static void
detail_closed_cb (TrbDatasetsPage *self)
{
  gtk_stack_set_visible_child_name (self->stack, "list");
  update_visible_page (self);
}

static void
check_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TrbDatasetsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Problems show on the dataset's row and page; a toast would repeat them. */
  trb_dataset_registry_check_finish (TRB_DATASET_REGISTRY (object), result, &error);
}

static void
add_path (TrbDatasetsPage *self,
          const char      *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  TrbDatasetItem *item;

  if (self->registry == NULL)
    return;

  item = trb_dataset_registry_add (self->registry, path, NULL, &error);
  if (item == NULL)
    {
      /* In the page, in full: a toast would cut the sentence off, and vanish. */
      trb_error_area_show_error (self->add_error, error);
      return;
    }
  trb_error_area_clear (self->add_error);

  trb_dataset_registry_check_async (self->registry, item, NULL, check_done_cb,
                                    g_object_ref (self));
  message = g_strdup_printf (_("Added “%s”"), trb_dataset_item_get_name (item));
  toast (self, message);
}

static void
chooser_response_cb (TrbDatasetsPage      *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        add_path (self, path);
      else
        trb_error_area_show_message (self->add_error,
                                     _("This place cannot be read as a dataset: pick a file or "
                                       "folder on this computer."), NULL);
    }

  g_clear_object (&self->chooser);
}

static void
open_chooser (TrbDatasetsPage      *self,
              GtkFileChooserAction  action)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                               ? _("Add a Folder of Pictures")
                                               : _("Add Dataset"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               action, _("_Add"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);

  if (action == GTK_FILE_CHOOSER_ACTION_OPEN)
    {
      g_autoptr(GtkFileFilter) datasets = gtk_file_filter_new ();
      g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

      gtk_file_filter_set_name (datasets, _("Datasets (IDX, CSV)"));
      gtk_file_filter_add_pattern (datasets, "*ubyte*");
      gtk_file_filter_add_pattern (datasets, "*.idx*");
      gtk_file_filter_add_pattern (datasets, "*.csv");
      gtk_file_filter_add_pattern (datasets, "*.csv.gz");
      gtk_file_filter_add_pattern (datasets, "*.tsv");
      gtk_file_filter_add_mime_type (datasets, "text/csv");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), datasets);
      gtk_file_filter_set_name (all, _("All Files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
    }

  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  open_chooser (TRB_DATASETS_PAGE (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
add_folder_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  open_chooser (TRB_DATASETS_PAGE (widget), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static void
add_demo_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  g_autofree char *path = trb_dataset_dup_demo_path ();

  add_path (TRB_DATASETS_PAGE (widget), path);
}

/* Files may have changed while the app was away: those datasets are read again. */
static void
trb_datasets_page_map (GtkWidget *widget)
{
  TrbDatasetsPage *self = TRB_DATASETS_PAGE (widget);
  guint n, n_changed = 0;

  GTK_WIDGET_CLASS (trb_datasets_page_parent_class)->map (widget);

  if (self->registry == NULL || trb_dataset_registry_refresh (self->registry) == 0)
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->registry));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbDatasetItem) item = g_list_model_get_item (G_LIST_MODEL (self->registry), i);

      if (trb_dataset_item_get_changed (item))
        {
          n_changed++;
          trb_dataset_registry_check_async (self->registry, item, NULL, check_done_cb,
                                            g_object_ref (self));
        }
    }
  /* One short toast, whatever the names: each row says which dataset is read again. */
  if (n_changed > 0)
    {
      g_autofree char *message = g_strdup_printf (ngettext ("A dataset changed: reading it again",
                                                            "%u datasets changed: reading them "
                                                            "again", n_changed), n_changed);
      toast (self, message);
    }
}

static void
trb_datasets_page_dispose (GObject *object)
{
  TrbDatasetsPage *self = (TrbDatasetsPage *)object;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->registry != NULL)
    g_signal_handlers_disconnect_by_data (self->registry, self);
  g_clear_object (&self->store);
  /* Let AdwBin unparent its child itself, or it would unparent it again once freed. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_DATASETS_PAGE);
  g_clear_object (&self->registry);

  G_OBJECT_CLASS (trb_datasets_page_parent_class)->dispose (object);
}

static void
trb_datasets_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TrbDatasetsPage *self = (TrbDatasetsPage *) object;

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_datasets_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TrbDatasetsPage *self = (TrbDatasetsPage *) object;

  switch (prop_id)
    {
    case PROP_STORE:
      trb_datasets_page_set_store (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_datasets_page_class_init (TrbDatasetsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_datasets_page_dispose;
  object_class->get_property = trb_datasets_page_get_property;
  object_class->set_property = trb_datasets_page_set_property;

  /**
   * TrbDatasetsPage:store:
   *
   * The application's store, handed over by the window; the page shows nothing until then.
   */
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, TRB_TYPE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);
  widget_class->map = trb_datasets_page_map;

  g_type_ensure (TRB_TYPE_DATASET_DETAIL);
  g_type_ensure (TRB_TYPE_ERROR_AREA);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-datasets-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetsPage, list_box);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetsPage, detail);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetsPage, add_error);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, detail_closed_cb);

  gtk_widget_class_install_action (widget_class, "datasets.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "datasets.add-folder", NULL, add_folder_action);
  gtk_widget_class_install_action (widget_class, "datasets.add-demo", NULL, add_demo_action);
  gtk_widget_class_install_action (widget_class, "datasets.show", "x", show_action);
}

/**
 * trb_datasets_page_set_store:
 * @store: the application's store
 *
 * Shows the datasets kept in @store. Set once, by the window.
 */
void
trb_datasets_page_set_store (TrbDatasetsPage *self,
                             TrbStore        *store)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TRB_IS_DATASETS_PAGE (self));
  g_return_if_fail (!store || TRB_IS_STORE (store));
  g_return_if_fail (self->store == NULL);

  if (store == NULL)
    return;
  self->store = g_object_ref (store);
  self->registry = trb_dataset_registry_new (store, &error);
  if (self->registry == NULL)
    {
      g_warning ("The datasets cannot be shown: %s", error->message);
      return;
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "datasets.add", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "datasets.add-folder", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "datasets.add-demo", TRUE);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->registry), create_row_cb, NULL,
                           NULL);
  g_signal_connect_swapped (self->registry, "items-changed",
                            G_CALLBACK (registry_items_changed_cb), self);
  update_visible_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

static void
trb_datasets_page_init (TrbDatasetsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  trb_error_area_set_dismissible (self->add_error, TRUE);

  /* Until the window hands the store over (trb_datasets_page_set_store()). */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "datasets.add", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "datasets.add-folder", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "datasets.add-demo", FALSE);
}

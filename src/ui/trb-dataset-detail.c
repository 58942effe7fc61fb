/* trb-dataset-detail.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The detail page of one dataset: a preview (thumbnails, or the first rows of a table), the
 * samples per class, problems, how well it fits the demo network, which networks learn from
 * it, what leaves the computer, and the actions pause, check again and withdraw.
 */

#define G_LOG_DOMAIN "trb-dataset-detail"

#include "config.h"

#include "trb-dataset-detail.h"

#include <glib/gi18n.h>

#include "datasets/trb-data-schema.h"
#include "store/trb-store-participation.h"
#include "trb-application.h"
#include "trb-i18n.h"
#include "trb-text-row.h"
#include "trb-window.h"

#define THUMB_SIZE 56

struct _TrbDatasetDetail
{
  AdwBin              parent_instance;

  TrbDatasetRegistry *registry;
  TrbDatasetItem     *item;
  TrbDataSchema      *demo_schema;
  GCancellable       *cancellable;

  GtkLabel           *title_label;
  GtkSpinner         *spinner;
  GtkLabel           *summary_label;
  GtkLabel           *path_label;
  GtkLabel           *error_label;
  AdwPreferencesGroup *preview_group;
  GtkFlowBox         *thumbnails;
  GtkScrolledWindow  *table_scroller;
  GtkGrid            *table;
  AdwPreferencesGroup *classes_group;
  GtkGrid            *histogram;
  AdwPreferencesGroup *problems_group;
  GtkListBox         *problems_list;
  AdwPreferencesGroup *fit_group;
  GtkListBox         *fit_list;
  GtkListBox         *networks_list;
  TrbStore           *store;      /* the application's, for the networks joined */
  GListStore         *fit;        /* TrbTextItem: the verdict, then what does not fit */
  GListStore         *problems;   /* TrbTextItem: what is wrong with the files */
  GListStore         *networks;   /* TrbTextItem: the networks learning from the dataset */
  GtkLabel           *fingerprint_label;
  GtkButton          *pause_button;
};

G_DEFINE_FINAL_TYPE (TrbDatasetDetail, trb_dataset_detail, ADW_TYPE_BIN)

enum {
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
clear_container (GtkWidget *container)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (container)) != NULL)
    {
      if (GTK_IS_FLOW_BOX (container))
        gtk_flow_box_remove (GTK_FLOW_BOX (container), child);
      else if (GTK_IS_GRID (container))
        gtk_grid_remove (GTK_GRID (container), child);
      else
        gtk_widget_unparent (child);
    }
}

/* Class names: the dataset's own, else the demo network's when the data fits it. */
static char *
class_name (TrbDatasetDetail *self,
            TrbDatasetReport *report,
            gboolean          fits_demo,
            guint             index)
{
  const char * const *names = trb_data_schema_get_class_names (self->demo_schema);

  if (trb_dataset_report_get_class_names (report) == NULL && fits_demo &&
      index < trb_data_schema_get_n_classes (self->demo_schema))
    return g_strdup (names[index]);
  return trb_dataset_report_dup_class_name (report, index);
}

static void
show_thumbnails (TrbDatasetDetail *self,
                 TrbDatasetReport *report,
                 gboolean          fits_demo)
{
  GPtrArray *thumbs = trb_dataset_report_get_thumbnails (report);
  GArray *labels = trb_dataset_report_get_thumbnail_labels (report);

  clear_container (GTK_WIDGET (self->thumbnails));
  for (guint i = 0; i < thumbs->len; i++)
    {
      GdkPixbuf *thumb = g_ptr_array_index (thumbs, i);
      g_autoptr(GdkPixbuf) scaled = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      g_autofree char *name = class_name (self, report, fits_demo,
                                          g_array_index (labels, int, i));
      GtkWidget *picture;
      int w = gdk_pixbuf_get_width (thumb);
      int h = gdk_pixbuf_get_height (thumb);
      double scale = (double)THUMB_SIZE / MAX (w, h);

      /* Small pictures are enlarged without blurring, so their pixels stay visible. */
      scaled = gdk_pixbuf_scale_simple (thumb, MAX (1, w * scale), MAX (1, h * scale),
                                        scale >= 1 ? GDK_INTERP_NEAREST : GDK_INTERP_BILINEAR);
      texture = gdk_texture_new_for_pixbuf (scaled);
      picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
      gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
      gtk_widget_set_tooltip_text (picture, name);
      gtk_picture_set_alternative_text (GTK_PICTURE (picture), name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      name, -1);
      gtk_flow_box_append (self->thumbnails, picture);
      /* Tab goes from picture to picture, so that the tooltip can be read: the flow box's child
       * that takes the keyboard is named too, not after its type. */
      gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_widget_get_parent (picture)),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->thumbnails), thumbs->len > 0);
}

static void
show_table (TrbDatasetDetail *self,
            TrbDatasetReport *report)
{
  const char * const *header = trb_dataset_report_get_csv_header (report);
  GPtrArray *rows = trb_dataset_report_get_csv_rows (report);

  clear_container (GTK_WIDGET (self->table));
  gtk_widget_set_visible (GTK_WIDGET (self->table_scroller), header != NULL);
  if (header == NULL)
    return;

  for (guint c = 0; header[c] != NULL && c < 12; c++)
    {
      GtkWidget *label = gtk_label_new (header[c]);
      gtk_widget_add_css_class (label, "heading");
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_grid_attach (self->table, label, c, 0, 1, 1);
    }
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      for (guint c = 0; row[c] != NULL && c < 12; c++)
        {
          GtkWidget *label = gtk_label_new (row[c]);
          gtk_label_set_xalign (GTK_LABEL (label), 0);
          gtk_widget_add_css_class (label, "numeric");
          gtk_grid_attach (self->table, label, c, r + 1, 1, 1);
        }
    }
}

static void
show_histogram (TrbDatasetDetail *self,
                TrbDatasetReport *report,
                gboolean          fits_demo)
{
  guint n_classes = trb_dataset_report_get_n_classes (report);
  const guint64 *histogram = trb_dataset_report_get_histogram (report);
  guint64 most = 1;

  clear_container (GTK_WIDGET (self->histogram));
  for (guint i = 0; i < n_classes; i++)
    most = MAX (most, histogram[i]);

  for (guint i = 0; i < n_classes && i < 100; i++)
    {
      g_autofree char *name = class_name (self, report, fits_demo, i);
      g_autofree char *count = trb_format_count ((gint64) MIN (histogram[i], G_MAXINT64));
      g_autofree char *description = NULL;
      GtkWidget *label = gtk_label_new (name);
      GtkWidget *bar = gtk_level_bar_new_for_interval (0, most);
      GtkWidget *number = gtk_label_new (count);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 18);
      gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), histogram[i]);
      gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
      gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
      gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
      gtk_widget_set_hexpand (bar, TRUE);
      gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
      /* Translators: a class's name, then its number of samples, already formatted. */
      description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %s sample",
                                                  "%s: %s samples", histogram[i]),
                                     name, count);
      gtk_accessible_update_property (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      description, -1);
      gtk_label_set_xalign (GTK_LABEL (number), 1);
      gtk_widget_add_css_class (number, "numeric");

      gtk_grid_attach (self->histogram, label, 0, i, 1, 1);
      gtk_grid_attach (self->histogram, bar, 1, i, 1, 1);
      gtk_grid_attach (self->histogram, number, 2, i, 1, 1);
    }
}

static gboolean
same_lines (GListModel *model,
            GPtrArray  *lines)
{
  if (g_list_model_get_n_items (model) != lines->len)
    return FALSE;
  for (guint i = 0; i < lines->len; i++)
    {
      g_autoptr(TrbTextItem) old = g_list_model_get_item (model, i);
      TrbTextItem *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (trb_text_item_get_title (old), trb_text_item_get_title (line)) != 0 ||
          g_strcmp0 (trb_text_item_get_subtitle (old), trb_text_item_get_subtitle (line)) != 0 ||
          g_strcmp0 (trb_text_item_get_icon_name (old), trb_text_item_get_icon_name (line)) != 0)
        return FALSE;
    }
  return TRUE;
}

/* The item announces a change of its status, report or pause as a whole: a list whose lines
 * stay the same keeps its rows (and the keyboard focus in them). */
static void
set_lines (GListStore *store,
           GPtrArray  *lines)
{
  if (same_lines (G_LIST_MODEL (store), lines))
    return;
  g_list_store_splice (store, 0, g_list_model_get_n_items (G_LIST_MODEL (store)), lines->pdata,
                       lines->len);
}

/* The networks learning from the dataset: the joined networks whose data it is, as the store
 * has them now, and any recorded against the dataset itself. */
static void
show_users (TrbDatasetDetail *self)
{
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) joined = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char * const *recorded;

  if (self->item == NULL)
    return;

  if (self->store != NULL)
    joined = trb_store_participation_list_networks (self->store, &error);
  if (error != NULL)
    g_warning ("The networks learning from a dataset could not be read: %s", error->message);
  for (guint i = 0; joined != NULL && i < joined->len; i++)
    {
      TrbStoreNetwork *network = g_ptr_array_index (joined, i);
      g_autofree char *path = g_canonicalize_filename (network->dataset, NULL);

      if (g_str_equal (path, trb_dataset_item_get_path (self->item)))
        g_ptr_array_add (names, network->name);
    }
  recorded = trb_dataset_item_get_networks (self->item);
  for (guint i = 0; recorded != NULL && recorded[i] != NULL; i++)
    if (!g_ptr_array_find_with_equal_func (names, recorded[i], g_str_equal, NULL))
      g_ptr_array_add (names, (gpointer) recorded[i]);

  if (names->len == 0)
    g_ptr_array_add (users, trb_text_item_new (_("No network learns from this dataset yet"),
                                               _("Join a network and choose this dataset for "
                                                 "it."), NULL));
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (users, trb_text_item_new (g_ptr_array_index (names, i), NULL, NULL));
  set_lines (self->networks, users);
}

static void
update (TrbDatasetDetail *self)
{
  TrbDatasetReport *report;
  TrbDatasetStatus status;
  const char *error;
  g_autofree char *summary = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) fit = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean fits_demo = FALSE;

  if (self->item == NULL)
    return;

  report = trb_dataset_item_get_report (self->item);
  status = trb_dataset_item_get_status (self->item);
  error = trb_dataset_item_get_error (self->item);
  summary = trb_dataset_item_dup_summary (self->item);
  path = g_filename_display_name (trb_dataset_item_get_path (self->item));

  gtk_label_set_label (self->title_label, trb_dataset_item_get_name (self->item));
  gtk_label_set_label (self->summary_label, status == TRB_DATASET_STATUS_CHECKING || error
                                            ? trb_dataset_status_to_string (status) : summary);
  gtk_label_set_label (self->path_label, path);
  gtk_label_set_label (self->error_label, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  gtk_spinner_set_spinning (self->spinner, status == TRB_DATASET_STATUS_CHECKING);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), status == TRB_DATASET_STATUS_CHECKING);
  gtk_button_set_label (self->pause_button, trb_dataset_item_get_paused (self->item)
                                            ? _("_Resume") : _("_Pause"));

  if (report != NULL)
    {
      g_autoptr(GPtrArray) fit_problems = NULL;
      TrbSchemaVerdict verdict = trb_data_schema_check (self->demo_schema, report,
                                                        &fit_problems);
      GPtrArray *problems = trb_dataset_report_get_problems (report);
      const char *icon = verdict == TRB_SCHEMA_VERDICT_USABLE ? "emblem-ok-symbolic"
                                                              : "dialog-warning-symbolic";

      fits_demo = verdict != TRB_SCHEMA_VERDICT_UNUSABLE;
      g_ptr_array_add (fit, trb_text_item_new (trb_schema_verdict_to_string (verdict), NULL,
                                               icon));
      for (guint i = 0; i < fit_problems->len; i++)
        g_ptr_array_add (fit, trb_text_item_new (g_ptr_array_index (fit_problems, i), NULL,
                                                 NULL));
      for (guint i = 0; i < problems->len; i++)
        g_ptr_array_add (found, trb_text_item_new (g_ptr_array_index (problems, i), NULL,
                                                   NULL));
      gtk_widget_set_visible (GTK_WIDGET (self->problems_group), problems->len > 0);

      show_thumbnails (self, report, fits_demo);
      show_table (self, report);
      show_histogram (self, report, fits_demo);
      gtk_label_set_label (self->fingerprint_label, trb_dataset_report_get_fingerprint (report));
    }
  else
    {
      gtk_widget_set_visible (GTK_WIDGET (self->problems_group), FALSE);
      gtk_label_set_label (self->fingerprint_label, _("Not computed yet"));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->preview_group), report != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->classes_group), report != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->fit_group), report != NULL);

  set_lines (self->fit, fit);
  set_lines (self->problems, found);
  show_users (self);
}

static void
item_notified_cb (TrbDatasetDetail *self)
{
  update (self);
}

static void
check_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The outcome shows on the item itself; errors are part of it. */
  trb_dataset_registry_check_finish (TRB_DATASET_REGISTRY (object), result, &error);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Check failed: %s", error->message);
}

static void
start_check (TrbDatasetDetail *self)
{
  if (self->item == NULL || trb_dataset_item_get_checking (self->item))
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  trb_dataset_registry_check_async (self->registry, self->item, self->cancellable,
                                    check_done_cb, NULL);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  g_signal_emit (widget, signals[CLOSED], 0);
}

static void
check_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  start_check (TRB_DATASET_DETAIL (widget));
}

static void
pause_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  TrbDatasetDetail *self = TRB_DATASET_DETAIL (widget);
  g_autoptr(GError) error = NULL;

  if (self->item == NULL)
    return;
  if (!trb_dataset_registry_set_paused (self->registry, self->item,
                                        !trb_dataset_item_get_paused (self->item), &error))
    trb_window_report_problem (widget, trb_dataset_item_get_paused (self->item) ?
                               _("The dataset could not be offered again") :
                               _("The dataset could not be paused"), error);
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    TrbDatasetDetail *self)
{
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (response, "withdraw") || self->item == NULL)
    return;

  if (!trb_dataset_registry_remove (self->registry, self->item, &error))
    {
      trb_window_report_problem (GTK_WIDGET (self), _("The dataset could not be withdrawn"),
                                 error);
      return;
    }
  g_signal_emit (self, signals[CLOSED], 0);
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TrbDatasetDetail *self = TRB_DATASET_DETAIL (widget);
  GtkWidget *dialog;

  if (self->item == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Withdraw This Dataset?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("No network will learn from “%s” any more. Your files are "
                                    "not deleted. Contributions already made stay in the "
                                    "networks’ history."),
                                  trb_dataset_item_get_name (self->item));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "withdraw", _("_Withdraw"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "withdraw",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (remove_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
disconnect_item (TrbDatasetDetail *self)
{
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
}

static void
trb_dataset_detail_dispose (GObject *object)
{
  TrbDatasetDetail *self = (TrbDatasetDetail *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  disconnect_item (self);
  g_clear_object (&self->registry);
  g_clear_object (&self->demo_schema);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_DATASET_DETAIL);
  g_clear_object (&self->store);
  g_clear_object (&self->fit);
  g_clear_object (&self->problems);
  g_clear_object (&self->networks);

  G_OBJECT_CLASS (trb_dataset_detail_parent_class)->dispose (object);
}

static void
trb_dataset_detail_class_init (TrbDatasetDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_dataset_detail_dispose;

  /**
   * TrbDatasetDetail::closed:
   *
   * The user went back to the list, or withdrew the dataset.
   */
  signals[CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-dataset-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, title_label);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, spinner);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, summary_label);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, path_label);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, error_label);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, preview_group);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, thumbnails);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, table_scroller);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, table);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, classes_group);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, histogram);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, problems_group);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, problems_list);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, fit_group);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, fit_list);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, networks_list);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetDetail, pause_button);

  gtk_widget_class_install_action (widget_class, "dataset.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "dataset.check", NULL, check_action);
  gtk_widget_class_install_action (widget_class, "dataset.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "dataset.remove", NULL, remove_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "dataset.back", NULL);
}

static void
trb_dataset_detail_init (TrbDatasetDetail *self)
{
  GApplication *app = g_application_get_default ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->fit = g_list_store_new (TRB_TYPE_TEXT_ITEM);
  self->problems = g_list_store_new (TRB_TYPE_TEXT_ITEM);
  self->networks = g_list_store_new (TRB_TYPE_TEXT_ITEM);
  gtk_list_box_bind_model (self->fit_list, G_LIST_MODEL (self->fit), trb_text_row_create,
                           NULL, NULL);
  gtk_list_box_bind_model (self->problems_list, G_LIST_MODEL (self->problems),
                           trb_text_row_create, NULL, NULL);
  gtk_list_box_bind_model (self->networks_list, G_LIST_MODEL (self->networks),
                           trb_text_row_create, NULL, NULL);
  /* A network joined, left or given other data, in the Networks area or by the participation:
   * "Used By" follows at once. */
  if (TRB_IS_APPLICATION (app) && trb_application_get_store (TRB_APPLICATION (app)) != NULL)
    {
      self->store = g_object_ref (trb_application_get_store (TRB_APPLICATION (app)));
      g_signal_connect_object (self->store, "changed::" TRB_STORE_CHANGE_NETWORKS,
                               G_CALLBACK (show_users), self, G_CONNECT_SWAPPED);
    }
  self->demo_schema = trb_data_schema_new_from_json (TRB_DATA_SCHEMA_DEMO_JSON, -1, NULL);
  g_assert (self->demo_schema != NULL);
}

/**
 * trb_dataset_detail_set_item:
 *
 * Shows @item. Datasets restored from the store have no thumbnails: they are read again to
 * show their preview.
 */
void
trb_dataset_detail_set_item (TrbDatasetDetail   *self,
                             TrbDatasetRegistry *registry,
                             TrbDatasetItem     *item)
{
  TrbDatasetReport *report;

  g_return_if_fail (TRB_IS_DATASET_DETAIL (self));
  g_return_if_fail (TRB_IS_DATASET_REGISTRY (registry));
  g_return_if_fail (TRB_IS_DATASET_ITEM (item));

  g_set_object (&self->registry, registry);
  if (self->item != item)
    {
      disconnect_item (self);
      self->item = g_object_ref (item);
      g_signal_connect_swapped (item, "notify::status", G_CALLBACK (item_notified_cb), self);
      g_signal_connect_swapped (item, "notify::report", G_CALLBACK (item_notified_cb), self);
      g_signal_connect_swapped (item, "notify::paused", G_CALLBACK (item_notified_cb), self);
    }
  update (self);

  report = trb_dataset_item_get_report (item);
  if (report != NULL && trb_dataset_report_get_thumbnails (report)->len == 0 &&
      trb_dataset_report_get_format (report) != TRB_DATASET_FORMAT_CSV)
    start_check (self);
}

/**
 * trb_dataset_detail_get_item:
 *
 * Returns: (transfer none) (nullable): the dataset shown
 */
TrbDatasetItem *
trb_dataset_detail_get_item (TrbDatasetDetail *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_DETAIL (self), NULL);

  return self->item;
}

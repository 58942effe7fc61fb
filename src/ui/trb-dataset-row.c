/* trb-dataset-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One dataset in the Datasets list: its name, a one-line summary and its status, kept up to
 * date from the item's notifications.
 */

#define G_LOG_DOMAIN "trb-dataset-row"

#include "config.h"

#include "trb-dataset-row.h"

#include <glib/gi18n.h>

struct _TrbDatasetRow
{
  AdwActionRow    parent_instance;

  TrbDatasetItem *item;
  GtkImage       *icon;
  GtkSpinner     *spinner;
  GtkLabel       *status_label;
  GtkButton      *details_button;
};

G_DEFINE_FINAL_TYPE (TrbDatasetRow, trb_dataset_row, ADW_TYPE_ACTION_ROW)

static const char *
icon_for_format (TrbDatasetFormat format)
{
  switch (format)
    {
    case TRB_DATASET_FORMAT_CSV:
      return "x-office-spreadsheet-symbolic";
    case TRB_DATASET_FORMAT_IMAGE_FOLDER:
      return "folder-symbolic";
    case TRB_DATASET_FORMAT_IDX:
    case TRB_DATASET_FORMAT_UNKNOWN:
    default:
      return "image-x-generic-symbolic";
    }
}

static void
update (TrbDatasetRow *self)
{
  TrbDatasetStatus status = trb_dataset_item_get_status (self->item);
  g_autofree char *summary = trb_dataset_item_dup_summary (self->item);
  GtkWidget *label = GTK_WIDGET (self->status_label);

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), summary);
  gtk_label_set_label (self->status_label, trb_dataset_status_to_string (status));
  gtk_spinner_set_spinning (self->spinner, status == TRB_DATASET_STATUS_CHECKING);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), status == TRB_DATASET_STATUS_CHECKING);

  gtk_widget_remove_css_class (label, "success");
  gtk_widget_remove_css_class (label, "warning");
  gtk_widget_remove_css_class (label, "error");
  if (status == TRB_DATASET_STATUS_READY)
    gtk_widget_add_css_class (label, "success");
  else if (status == TRB_DATASET_STATUS_PROBLEMS)
    gtk_widget_add_css_class (label, trb_dataset_item_get_report (self->item) ? "warning"
                                                                              : "error");
  else if (status == TRB_DATASET_STATUS_CHANGED)
    gtk_widget_add_css_class (label, "warning");
}

static void
item_status_notified_cb (TrbDatasetRow *self)
{
  update (self);
}

static void
trb_dataset_row_dispose (GObject *object)
{
  TrbDatasetRow *self = (TrbDatasetRow *)object;

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_DATASET_ROW);

  G_OBJECT_CLASS (trb_dataset_row_parent_class)->dispose (object);
}

static void
trb_dataset_row_class_init (TrbDatasetRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_dataset_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-dataset-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetRow, icon);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, TrbDatasetRow, details_button);
}

static void
trb_dataset_row_init (TrbDatasetRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
trb_dataset_row_new (TrbDatasetItem *item)
{
  TrbDatasetRow *self;

  g_return_val_if_fail (TRB_IS_DATASET_ITEM (item), NULL);

  self = g_object_new (TRB_TYPE_DATASET_ROW, NULL);
  self->item = g_object_ref (item);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), trb_dataset_item_get_name (item));
  gtk_image_set_from_icon_name (self->icon, icon_for_format (trb_dataset_item_get_format (item)));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->details_button), "x",
                                    trb_dataset_item_get_id (item));
  {
    /* Translators: the label of a button, read by screen readers; %s is a dataset's name */
    g_autofree char *label = g_strdup_printf (_("Details of %s"),
                                              trb_dataset_item_get_name (item));
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->details_button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  }
  g_signal_connect_swapped (item, "notify::status", G_CALLBACK (item_status_notified_cb), self);
  g_signal_connect_swapped (item, "notify::summary", G_CALLBACK (item_status_notified_cb), self);
  update (self);

  return GTK_WIDGET (self);
}

/**
 * trb_dataset_row_get_item:
 *
 * Returns: (transfer none): the dataset the row shows
 */
TrbDatasetItem *
trb_dataset_row_get_item (TrbDatasetRow *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ROW (self), NULL);

  return self->item;
}

/* trb-network-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A joined network in the Networks area: its name, why it waits and until when (in the same
 * words as the Activity area), Leave, and the way to its page. The row follows its
 * participation's status by itself, so a change to one network redraws that row only.
 */

#define G_LOG_DOMAIN "trb-network-row"

#include "config.h"

#include "trb-network-row.h"

#include <glib/gi18n.h>

#include "ui/trb-a11y.h"
#include "ui/trb-waiting-text.h"

struct _TrbNetworkRow
{
  AdwActionRow      parent_instance;

  GtkButton        *leave_button;
  GtkButton        *details_button;
  TrbParticipation *participation;
};

G_DEFINE_FINAL_TYPE (TrbNetworkRow, trb_network_row, ADW_TYPE_ACTION_ROW)

enum
{
  SIGNAL_LEAVE,
  SIGNAL_OPEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
status_changed_cb (TrbNetworkRow *self)
{
  g_autofree char *status = trb_waiting_text_dup_status (self->participation);

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), status);
}

static void
leave_clicked_cb (TrbNetworkRow *self)
{
  g_signal_emit (self, signals[SIGNAL_LEAVE], 0);
}

static void
details_clicked_cb (TrbNetworkRow *self)
{
  g_signal_emit (self, signals[SIGNAL_OPEN], 0);
}

static void
trb_network_row_dispose (GObject *object)
{
  TrbNetworkRow *self = TRB_NETWORK_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_NETWORK_ROW);
  g_clear_object (&self->participation);

  G_OBJECT_CLASS (trb_network_row_parent_class)->dispose (object);
}

static void
trb_network_row_class_init (TrbNetworkRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_network_row_dispose;

  /**
   * TrbNetworkRow::leave:
   * @self: the row
   *
   * The person pressed Leave.
   */
  signals[SIGNAL_LEAVE] = g_signal_new ("leave", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * TrbNetworkRow::open:
   * @self: the row
   *
   * The person activated the row or its Details button: the network's page is wanted.
   */
  signals[SIGNAL_OPEN] = g_signal_new ("open", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-network-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkRow, leave_button);
  gtk_widget_class_bind_template_child (widget_class, TrbNetworkRow, details_button);
  gtk_widget_class_bind_template_callback (widget_class, leave_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, details_clicked_cb);
}

static void
trb_network_row_init (TrbNetworkRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self, "activated", G_CALLBACK (details_clicked_cb), NULL);
}

/**
 * trb_network_row_new:
 * @participation: a joined network
 * @name: its name, as the participation manager gives it
 *
 * Returns: (transfer floating): a row showing @participation
 */
GtkWidget *
trb_network_row_new (TrbParticipation *participation,
                     const char       *name)
{
  TrbNetworkRow *self;
  g_autofree char *details_label = NULL;

  g_return_val_if_fail (TRB_IS_PARTICIPATION (participation), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (TRB_TYPE_NETWORK_ROW, NULL);
  self->participation = g_object_ref (participation);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), name);
  /* The app's accessible names are put right first, so that these keep theirs (trb-a11y.c). */
  trb_a11y_fix_tree (GTK_WIDGET (self));
  details_label = g_strdup_printf (_("Details of %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->details_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, details_label, -1);
  g_signal_connect_object (participation, "notify::status", G_CALLBACK (status_changed_cb),
                           self, G_CONNECT_SWAPPED);
  status_changed_cb (self);
  return GTK_WIDGET (self);
}

/**
 * trb_network_row_get_participation:
 *
 * Returns: (transfer none): the joined network the row shows
 */
TrbParticipation *
trb_network_row_get_participation (TrbNetworkRow *self)
{
  g_return_val_if_fail (TRB_IS_NETWORK_ROW (self), NULL);
  return self->participation;
}

/* trb-event-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One line of the Activity area's event log. The log is a list model of its lines; a new
 * event adds one row and leaves the others as they are.
 */

#define G_LOG_DOMAIN "trb-event-row"

#include "config.h"

#include "trb-event-row.h"

struct _TrbEventRow
{
  GtkListBoxRow  parent_instance;

  GtkLabel      *label;
};

G_DEFINE_FINAL_TYPE (TrbEventRow, trb_event_row, GTK_TYPE_LIST_BOX_ROW)

static void
trb_event_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_EVENT_ROW);

  G_OBJECT_CLASS (trb_event_row_parent_class)->dispose (object);
}

static void
trb_event_row_class_init (TrbEventRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_event_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-event-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbEventRow, label);
}

static void
trb_event_row_init (TrbEventRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * trb_event_row_new:
 * @line: the event's line: when, which network, what happened
 *
 * Returns: (transfer floating): a row showing @line
 */
GtkWidget *
trb_event_row_new (GtkStringObject *line)
{
  TrbEventRow *self = g_object_new (TRB_TYPE_EVENT_ROW, NULL);

  g_return_val_if_fail (GTK_IS_STRING_OBJECT (line), NULL);

  /* Names and messages come from the network: plain text, never markup. */
  gtk_label_set_text (self->label, gtk_string_object_get_string (line));
  return GTK_WIDGET (self);
}

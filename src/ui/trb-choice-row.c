/* trb-choice-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One of several things to pick from, such as the data a network learns from or the compute
 * device: the one in use has a check mark, each other one a Use button. Choosing another
 * changes the two rows concerned and no other.
 */

#define G_LOG_DOMAIN "trb-choice-row"

#include "config.h"

#include "trb-choice-row.h"

#include <glib/gi18n.h>

#include "ui/trb-a11y.h"

struct _TrbChoiceRow
{
  AdwActionRow  parent_instance;

  GtkButton    *use_button;
  GtkImage     *mark;
  gboolean      chosen;
  gboolean      can_use;
};

G_DEFINE_FINAL_TYPE (TrbChoiceRow, trb_choice_row, ADW_TYPE_ACTION_ROW)

enum
{
  SIGNAL_USE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update (TrbChoiceRow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->mark), self->chosen);
  gtk_widget_set_visible (GTK_WIDGET (self->use_button), !self->chosen && self->can_use);
}

static void
use_clicked_cb (TrbChoiceRow *self)
{
  g_signal_emit (self, signals[SIGNAL_USE], 0);
}

static void
trb_choice_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_CHOICE_ROW);

  G_OBJECT_CLASS (trb_choice_row_parent_class)->dispose (object);
}

static void
trb_choice_row_class_init (TrbChoiceRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_choice_row_dispose;

  /**
   * TrbChoiceRow::use:
   * @self: the row
   *
   * The person pressed the row's Use button.
   */
  signals[SIGNAL_USE] = g_signal_new ("use", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-choice-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbChoiceRow, use_button);
  gtk_widget_class_bind_template_child (widget_class, TrbChoiceRow, mark);
  gtk_widget_class_bind_template_callback (widget_class, use_clicked_cb);
}

static void
trb_choice_row_init (TrbChoiceRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->can_use = TRUE;
  update (self);
}

/**
 * trb_choice_row_new:
 * @title: what can be chosen, in the person's words or the system's: never markup
 * @subtitle: (nullable): more about it
 *
 * Returns: (transfer floating): a row not chosen, with its Use button
 */
GtkWidget *
trb_choice_row_new (const char *title,
                    const char *subtitle)
{
  TrbChoiceRow *self = g_object_new (TRB_TYPE_CHOICE_ROW, NULL);
  /* Translators: the accessible name of a Use button: "Use Clothing photos" */
  g_autofree char *use_label = g_strdup_printf (_("Use %s"), title);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  /* Say what the button uses, in place of its own word. The app's accessible names are put
   * right first, so that they keep this one (see trb-a11y.c). */
  trb_a11y_fix_tree (GTK_WIDGET (self->use_button));
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->use_button),
                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->use_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, use_label, -1);
  return GTK_WIDGET (self);
}

/**
 * trb_choice_row_set_chosen:
 * @self: a row
 * @chosen: whether it is the one in use
 */
void
trb_choice_row_set_chosen (TrbChoiceRow *self,
                           gboolean      chosen)
{
  g_return_if_fail (TRB_IS_CHOICE_ROW (self));

  self->chosen = !!chosen;
  update (self);
}

/**
 * trb_choice_row_get_chosen:
 * @self: a row
 *
 * Returns: whether it is the one in use
 */
gboolean
trb_choice_row_get_chosen (TrbChoiceRow *self)
{
  g_return_val_if_fail (TRB_IS_CHOICE_ROW (self), FALSE);

  return self->chosen;
}

/**
 * trb_choice_row_set_can_use:
 * @self: a row
 * @can_use: whether it may be chosen at all; one that may not has no Use button
 */
void
trb_choice_row_set_can_use (TrbChoiceRow *self,
                            gboolean      can_use)
{
  g_return_if_fail (TRB_IS_CHOICE_ROW (self));

  self->can_use = !!can_use;
  update (self);
}

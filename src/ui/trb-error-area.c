/* trb-error-area.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An error shown in place, where the person was working: the plain sentence of
 * trb_error_describe() in full (a toast would cut it off), and the library's own message under
 * an expander, for whoever is asked to help. Dialogs and pages put one under what was typed or
 * picked, so that the person can fix it and try again without starting over.
 */

#define G_LOG_DOMAIN "trb-error-area"

#include "config.h"

#include "trb-error-area.h"

#include <glib/gi18n.h>

#include "participant/trb-error-text.h"

struct _TrbErrorArea
{
  GtkBox       parent_instance;

  GtkLabel    *message;
  GtkWidget   *dismiss;
  GtkExpander *expander;
  GtkLabel    *details;
};

G_DEFINE_FINAL_TYPE (TrbErrorArea, trb_error_area, GTK_TYPE_BOX)

static void
trb_error_area_class_init (TrbErrorAreaClass *klass)
{
}

static void
trb_error_area_init (TrbErrorArea *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);

  gtk_widget_add_css_class (icon, "error");
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  /* Level with the first line of text, which is a little taller than the icon. (The margin
   * also keeps the row at least a line high whatever width GTK measures it for, which spares
   * GTK 4.8 an inconsistent height-for-width of the wrapped label beside it.) */
  gtk_widget_set_margin_top (icon, 2);
  gtk_box_append (GTK_BOX (row), icon);

  /* Wrapped and never ellipsized: the whole sentence is the point. */
  self->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->message, TRUE);
  gtk_label_set_xalign (self->message, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->message), TRUE);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->message));
  self->dismiss = gtk_button_new_from_icon_name ("window-close-symbolic");
  gtk_widget_add_css_class (self->dismiss, "flat");
  gtk_widget_add_css_class (self->dismiss, "circular");
  gtk_widget_set_valign (self->dismiss, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (self->dismiss, _("Dismiss"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->dismiss), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Dismiss"), -1);
  gtk_widget_set_visible (self->dismiss, FALSE);
  g_signal_connect_swapped (self->dismiss, "clicked", G_CALLBACK (trb_error_area_clear), self);
  gtk_box_append (GTK_BOX (row), self->dismiss);
  gtk_box_append (GTK_BOX (self), row);

  self->details = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->details, TRUE);
  gtk_label_set_wrap_mode (self->details, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (self->details, 0);
  gtk_label_set_selectable (self->details, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->details), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->details), "monospace");
  self->expander = GTK_EXPANDER (gtk_expander_new_with_mnemonic (_("_Details")));
  gtk_expander_set_child (self->expander, GTK_WIDGET (self->details));
  gtk_widget_set_margin_start (GTK_WIDGET (self->expander), 28);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->expander));
}

/**
 * trb_error_area_new:
 *
 * Returns: (transfer floating): a hidden error area
 */
GtkWidget *
trb_error_area_new (void)
{
  return g_object_new (TRB_TYPE_ERROR_AREA, NULL);
}

/**
 * trb_error_area_show_message:
 * @self: an error area
 * @message: the sentence to show
 * @details: (nullable): technical details, shown only when asked for
 */
void
trb_error_area_show_message (TrbErrorArea *self,
                             const char   *message,
                             const char   *details)
{
  g_return_if_fail (TRB_IS_ERROR_AREA (self));
  g_return_if_fail (message != NULL);

  gtk_label_set_text (self->message, message);
  gtk_label_set_text (self->details, details != NULL ? details : "");
  gtk_expander_set_expanded (self->expander, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->expander), details != NULL && *details != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  /* Screen readers announce the new problem, as they would an alert. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  message, -1);
}

/**
 * trb_error_area_show_error:
 * @self: an error area
 * @error: the error, told with trb_error_describe()
 */
void
trb_error_area_show_error (TrbErrorArea *self,
                           const GError *error)
{
  g_autofree char *details = NULL;
  g_autofree char *message = NULL;

  g_return_if_fail (TRB_IS_ERROR_AREA (self));
  g_return_if_fail (error != NULL);

  message = trb_error_describe (error, &details);
  trb_error_area_show_message (self, message, details);
}

/**
 * trb_error_area_clear:
 * @self: an error area
 *
 * Hides the error, once the person changed what caused it.
 */
void
trb_error_area_clear (TrbErrorArea *self)
{
  g_return_if_fail (TRB_IS_ERROR_AREA (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  gtk_label_set_text (self->message, "");
  gtk_label_set_text (self->details, "");
}

/**
 * trb_error_area_set_dismissible:
 * @self: an error area
 * @dismissible: whether the area has a button that hides the error
 *
 * In a page, where nothing else would hide it until the next try, the person may dismiss it.
 */
void
trb_error_area_set_dismissible (TrbErrorArea *self,
                                gboolean      dismissible)
{
  g_return_if_fail (TRB_IS_ERROR_AREA (self));
  gtk_widget_set_visible (self->dismiss, dismissible);
}

/**
 * trb_error_area_get_message:
 * @self: an error area
 *
 * Returns: (nullable): the sentence shown, or %NULL when no error is shown
 */
const char *
trb_error_area_get_message (TrbErrorArea *self)
{
  g_return_val_if_fail (TRB_IS_ERROR_AREA (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self)) ? gtk_label_get_text (self->message) : NULL;
}

/* trb-history-format.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the parts of the History area share: dates as people read them and the amounts beside
 * a row.
 */

#include "config.h"

#include "trb-history-format.h"

#include <glib/gi18n.h>

/**
 * trb_history_format_time:
 * @time: seconds since 1970
 * @format: a g_date_time_format() format
 *
 * Returns: (transfer full): @time in the local time zone, or "" when it cannot be shown
 */
char *
trb_history_format_time (gint64      time,
                         const char *format)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (time);

  return when != NULL ? g_date_time_format (when, format) : g_strdup ("");
}

/**
 * trb_history_format_when:
 * @time: seconds since 1970
 *
 * Returns: (transfer full): a date and time as people read them, in their language:
 *   “7 December, 14:05”
 */
char *
trb_history_format_when (gint64 time)
{
  /* Translators: a date and time, for example “7 December, 14:05”; see the strftime() style
   * codes of g_date_time_format(). */
  return trb_history_format_time (time, _("%-d %B, %H:%M"));
}

/* An amount or status this long or shorter stays on one line. */
#define SHORT_SUFFIX_CHARS 16

/**
 * trb_history_suffix_label:
 * @text: an amount or a status
 * @css_class: (nullable): a style class for it
 *
 * Returns: (transfer floating): a label for the end of a row
 */
GtkWidget *
trb_history_suffix_label (const char *text,
                          const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  /* A long amount ("Erwartet 2 Punkte · Gutgeschrieben 2 Punkte") wraps rather than widening
   * the window past a phone's width. A row hands a wrapping suffix only its narrowest width,
   * so a short amount ("2 points") would wrap too, even inside a word: only a long one wraps,
   * and only between words. */
  if (g_utf8_strlen (text, -1) > SHORT_SUFFIX_CHARS)
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 20);
    }
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_RIGHT);
  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/**
 * trb_history_clear_box:
 * @box: a box
 * @data: the object the children's handlers were connected with
 *
 * Removes every child of @box, first disconnecting their handlers that have @data: a child
 * that something else still holds must not call into its former owner.
 */
void
trb_history_clear_box (GtkBox   *box,
                       gpointer  data)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    {
      g_signal_handlers_disconnect_by_data (child, data);
      gtk_box_remove (box, child);
    }
}

/* The button under a list that shows the newest entries of a longer one. */
static void
update_show_more (GtkWidget *button)
{
  GtkSliceListModel *slice = g_object_get_data (G_OBJECT (button), "trb-slice");
  GListModel *all = gtk_slice_list_model_get_model (slice);

  gtk_widget_set_visible (button, g_list_model_get_n_items (all) >
                                  gtk_slice_list_model_get_size (slice));
}

static void
all_changed_cb (GListModel *all,
                guint       position,
                guint       removed,
                guint       added,
                GtkWidget  *button)
{
  update_show_more (button);
}

static void
show_more_clicked_cb (GtkWidget *button)
{
  GtkSliceListModel *slice = g_object_get_data (G_OBJECT (button), "trb-slice");
  guint step = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "trb-step"));

  gtk_slice_list_model_set_size (slice, gtk_slice_list_model_get_size (slice) + step);
  update_show_more (button);
}

/**
 * trb_history_show_more_new:
 * @slice: the newest entries of a list, the slice's size being how many to show at first
 * @label: the button's label, with a mnemonic
 *
 * A button that shows as many entries again, visible only while the list has more than
 * @slice shows. A History list grows by a row at each round; the rows it shows are bounded,
 * so an open window's memory does not grow with the network's age.
 *
 * Returns: (transfer floating): the button
 */
GtkWidget *
trb_history_show_more_new (GtkSliceListModel *slice,
                           const char        *label)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (button, 12);
  gtk_widget_add_css_class (button, "pill");
  g_object_set_data_full (G_OBJECT (button), "trb-slice", g_object_ref (slice), g_object_unref);
  g_object_set_data (G_OBJECT (button), "trb-step",
                     GUINT_TO_POINTER (gtk_slice_list_model_get_size (slice)));
  g_signal_connect (button, "clicked", G_CALLBACK (show_more_clicked_cb), NULL);
  g_signal_connect_object (gtk_slice_list_model_get_model (slice), "items-changed",
                           G_CALLBACK (all_changed_cb), button, 0);
  update_show_more (button);
  return button;
}

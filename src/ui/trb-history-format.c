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

/* trb-a11y.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Accessible names that GTK 4.8 gets wrong, put right for the whole app in one place:
 *
 * - A button with a mnemonic label ("_Leave", use-underline) is given the raw text as its
 *   accessible label *and* is labelled by its child label ("Leave"), so screen readers read
 *   "_Leave Leave". The label property is dropped; the name then comes from the child label
 *   alone, which has the text without the underscore. Each button is watched, so that a label
 *   set later ("_Pause" to "_Resume") is put right too.
 * - A widget without a name is named after its type by the AT-SPI bridge ("GtkToggleButton").
 *   So a drop-down's inner toggle button is labelled by the drop-down, which the app names;
 *   the switch of an expander row by its row's title; a search entry by its placeholder or
 *   "Search". In the parts libadwaita and GTK build (the search of Preferences, About,
 *   Keyboard Shortcuts, toasts), a button that shows only an icon is named by its tooltip, or
 *   after its icon; a button whose child is a label by that label; the text view of About and
 *   the section menu of Keyboard Shortcuts by what they are.
 * - A preferences group's title is cut off when long (in German at 360 px); it wraps instead.
 *
 * Every window is walked when it is made and each time it is shown (its templates, pages not
 * shown yet included: AT-SPI lists them; the responses of a message dialog, the pages of the
 * About window), and every widget when it is mapped. Buttons the app builds while their page
 * is hidden are made with trb_a11y_button_new_with_mnemonic().
 *
 * With TRB_DEBUG_CUT_OFF=1 in the environment, the labels a person cannot read whole are listed
 * on stderr, one "cut off: <text> [<details>]" line each: a mapped label whose text is
 * ellipsized, wider than the label, or reaching past its window's sides. Neither AT-SPI nor a
 * screenshot says that a label was shortened, so the display tests read these lines. The check
 * runs a few times a second; a label is listed once it was cut off at two checks in a row, so
 * that a size on its way somewhere during a transition is not counted.
 */

#define G_LOG_DOMAIN "trb-a11y"

#include "config.h"

#include "trb-a11y.h"

#include <adwaita.h>
#include <glib/gi18n.h>

static void
drop_mnemonic_label (GtkButton *button)
{
  if (gtk_button_get_use_underline (button) && GTK_IS_LABEL (gtk_button_get_child (button)))
    gtk_accessible_reset_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL);
}

static void
button_label_changed_cb (GtkButton  *button,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  drop_mnemonic_label (button);
}

/* Parts built by libadwaita and GTK, not by the app: the About and Keyboard Shortcuts windows,
 * the header of Preferences and toasts. The app names its own icon buttons, often otherwise than
 * their tooltips ("Back" with "Back to Networks"), and those names stay. */
static gboolean
is_toolkit_part (GtkWidget *widget)
{
  /* A toast's close button; its widget type is private to libadwaita. */
  GType toast = g_type_from_name ("AdwToastWidget");

  if (toast != 0 && gtk_widget_get_ancestor (widget, toast) != NULL)
    return TRUE;
  if (gtk_widget_get_ancestor (widget, ADW_TYPE_ABOUT_WINDOW) != NULL ||
      gtk_widget_get_ancestor (widget, GTK_TYPE_SHORTCUTS_WINDOW) != NULL)
    return TRUE;
  return gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_WINDOW) != NULL &&
         gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_PAGE) == NULL;
}

static char *
without_mnemonic (const char *text,
                  gboolean    use_underline)
{
  GString *plain = g_string_new (NULL);

  for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
    {
      if (use_underline && *p == '_')
        {
          if (p[1] != '_')
            continue;
          p++;
        }
      g_string_append_c (plain, *p);
    }
  return g_string_free (plain, FALSE);
}

/* Icon buttons of libadwaita and GTK without a tooltip, named after what their icon shows. */
static const char *
name_of_icon (GtkWidget *button)
{
  static const struct {
    const char *icon;
    const char *name;
  } icons[] = {
    { "edit-find-symbolic", N_("Search") },
    { "go-previous-symbolic", N_("Back") },
    { "window-close-symbolic", N_("Close") },
    { "open-menu-symbolic", N_("Menu") },
    { "pan-down-symbolic", N_("Sections") },
  };
  GtkWidget *child = GTK_IS_BUTTON (button) ? gtk_button_get_child (GTK_BUTTON (button)) : NULL;
  const char *icon = NULL;

  if (GTK_IS_BUTTON (button) && gtk_button_get_icon_name (GTK_BUTTON (button)) != NULL)
    icon = gtk_button_get_icon_name (GTK_BUTTON (button));
  else if (GTK_IS_IMAGE (child))
    icon = gtk_image_get_icon_name (GTK_IMAGE (child));
  else if (GTK_IS_MENU_BUTTON (button))
    icon = gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (button));
  for (guint i = 0; icon != NULL && i < G_N_ELEMENTS (icons); i++)
    if (g_str_equal (icon, icons[i].icon))
      return _(icons[i].name);
  return NULL;
}

static void
name_after_tooltip (GtkWidget *widget)
{
  const char *tooltip = gtk_widget_get_tooltip_text (widget);
  const char *name = tooltip != NULL && *tooltip != '\0' ? tooltip : name_of_icon (widget);

  if (is_toolkit_part (widget) && name != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                    -1);
}

/* libadwaita 1.2 cuts a preferences group's title off where it is longer than the group is
 * wide ("Runden, zu denen Sie beigetragen haben" at 360 px): it wraps instead. */
static void
wrap_group_title (GtkWidget *label)
{
  GtkWidget *group = gtk_widget_get_ancestor (label, ADW_TYPE_PREFERENCES_GROUP);
  const char *title;

  if (group == NULL || gtk_label_get_ellipsize (GTK_LABEL (label)) == PANGO_ELLIPSIZE_NONE)
    return;
  title = adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group));
  if (title == NULL || g_strcmp0 (gtk_label_get_label (GTK_LABEL (label)), title) != 0 ||
      gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX) != NULL)
    return;
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_NONE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
}

static void
fix_widget (GtkWidget *widget)
{
  GtkWidget *parent;

  if (GTK_IS_LABEL (widget))
    {
      wrap_group_title (widget);
      return;
    }

  if (GTK_IS_SEARCH_ENTRY (widget))
    {
      g_autofree char *placeholder = NULL;

      g_object_get (widget, "placeholder-text", &placeholder, NULL);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      placeholder != NULL && *placeholder != '\0' ? placeholder
                                                                                : _("Search"),
                                      -1);
      return;
    }
  if (GTK_IS_SWITCH (widget))
    {
      GtkWidget *row = gtk_widget_get_ancestor (widget, ADW_TYPE_EXPANDER_ROW);

      if (row != NULL)
        {
          g_autofree char *title = without_mnemonic (
            adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
            adw_preferences_row_get_use_underline (ADW_PREFERENCES_ROW (row)));

          gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
        }
      return;
    }
  if (GTK_IS_TEXT_VIEW (widget) && gtk_widget_get_ancestor (widget, ADW_TYPE_ABOUT_WINDOW))
    {
      /* The only text view of About shows the troubleshooting information. */
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Troubleshooting information"), -1);
      return;
    }
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_label (GTK_MENU_BUTTON (widget)) == NULL)
    {
      /* The menu button of Keyboard Shortcuts picks a section. */
      if (gtk_widget_get_ancestor (widget, GTK_TYPE_SHORTCUTS_WINDOW) != NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        _("Sections"), -1);
      else
        name_after_tooltip (widget);
      return;
    }
  if (!GTK_IS_BUTTON (widget))
    return;
  /* A label put in a button as its child (not with gtk_button_set_label()) does not name it,
   * unless its maker named the button too (a stack switcher does): About's version button. */
  if (GTK_IS_LABEL (gtk_button_get_child (GTK_BUTTON (widget))) &&
      gtk_button_get_label (GTK_BUTTON (widget)) == NULL && is_toolkit_part (widget))
    gtk_accessible_update_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                    gtk_button_get_child (GTK_BUTTON (widget)), NULL, -1);
  if (GTK_IS_IMAGE (gtk_button_get_child (GTK_BUTTON (widget))) ||
      gtk_button_get_child (GTK_BUTTON (widget)) == NULL)
    name_after_tooltip (widget);

  /* Once, when first seen, and then on each change of the label: a name the app gives the
   * button afterwards ("Use Demo pictures") stays. */
  if (g_object_get_data (G_OBJECT (widget), "trb-a11y-watched") == NULL)
    {
      g_object_set_data (G_OBJECT (widget), "trb-a11y-watched", GINT_TO_POINTER (TRUE));
      g_signal_connect (widget, "notify::label", G_CALLBACK (button_label_changed_cb), NULL);
      g_signal_connect (widget, "notify::use-underline", G_CALLBACK (button_label_changed_cb),
                        NULL);
      g_signal_connect (widget, "notify::child", G_CALLBACK (button_label_changed_cb), NULL);
      drop_mnemonic_label (GTK_BUTTON (widget));
    }

  parent = gtk_widget_get_parent (widget);
  if (GTK_IS_TOGGLE_BUTTON (widget) && GTK_IS_DROP_DOWN (parent))
    gtk_accessible_update_relation (GTK_ACCESSIBLE (widget),
                                    GTK_ACCESSIBLE_RELATION_LABELLED_BY, parent, NULL, -1);
}

/**
 * trb_a11y_fix_tree:
 * @root: a widget
 *
 * Puts right the accessible names of @root and every widget under it (see the top of this
 * file), now and when their labels change.
 */
void
trb_a11y_fix_tree (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  fix_widget (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    trb_a11y_fix_tree (child);
}

/**
 * trb_a11y_button_new_with_mnemonic:
 * @label: the label, with an underscore before the mnemonic
 *
 * gtk_button_new_with_mnemonic(), named as the label reads.
 *
 * Returns: (transfer floating): a button
 */
GtkWidget *
trb_a11y_button_new_with_mnemonic (const char *label)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  fix_widget (button);
  return button;
}

static gboolean
widget_mapped_hook (GSignalInvocationHint *hint,
                    guint                  n_param_values,
                    const GValue          *param_values,
                    gpointer               user_data)
{
  fix_widget (g_value_get_object (&param_values[0]));
  return TRUE;
}

static void
window_mapped_cb (GtkWidget *window,
                  gpointer   user_data)
{
  trb_a11y_fix_tree (window);
}

static void
toplevels_changed_cb (GListModel *toplevels,
                      guint       position,
                      guint       removed,
                      guint       added,
                      gpointer    user_data)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      trb_a11y_fix_tree (window);
      if (g_object_get_data (G_OBJECT (window), "trb-a11y-window") == NULL)
        {
          g_object_set_data (G_OBJECT (window), "trb-a11y-window", GINT_TO_POINTER (TRUE));
          g_signal_connect (window, "map", G_CALLBACK (window_mapped_cb), NULL);
        }
    }
}

/* The widgets found cut off at the last check, and the texts listed already. */
typedef struct
{
  GHashTable *last;
  GHashTable *listed;
} CutOff;

static void
check_cut_off (CutOff     *cut_off,
               GHashTable *now,
               GtkWidget  *widget)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  /* A squeezer keeps the children it does not show mapped, at their own width: the view
   * switcher of the header, wider than a phone's window. */
  if (ADW_IS_SQUEEZER (gtk_widget_get_parent (widget)) &&
      adw_squeezer_get_visible_child (ADW_SQUEEZER (gtk_widget_get_parent (widget))) != widget)
    return;
  if (GTK_IS_LABEL (widget) && *gtk_label_get_text (GTK_LABEL (widget)) != '\0')
    {
      PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (widget));
      int text_width;
      int width = gtk_widget_get_width (widget);
      /* A popover's surface, not the window, holds the labels of a menu. */
      GtkWidget *surface = GTK_WIDGET (gtk_widget_get_native (widget));
      graphene_rect_t bounds;
      const char *why = NULL;

      pango_layout_get_pixel_size (layout, &text_width, NULL);
      if (pango_layout_is_ellipsized (layout))
        why = "ellipsized";
      else if (text_width > width + 1)
        why = "wider than its label";
      else if (surface != NULL && gtk_widget_compute_bounds (widget, surface, &bounds) &&
               (bounds.origin.x < -1 ||
                bounds.origin.x + bounds.size.width > gtk_widget_get_width (surface) + 1))
        why = "past the window's side";

      if (why != NULL)
        {
          g_hash_table_add (now, widget);
          if (g_hash_table_contains (cut_off->last, widget) &&
              !g_hash_table_contains (cut_off->listed, gtk_label_get_text (GTK_LABEL (widget))))
            {
              g_autofree char *text = g_strdup (gtk_label_get_text (GTK_LABEL (widget)));

              g_strdelimit (text, "\n\r", ' ');
              g_printerr ("cut off: %s [%s: %s, %d px for %d, in %s]\n", text,
                          G_OBJECT_TYPE_NAME (widget), why, width, text_width,
                          G_OBJECT_TYPE_NAME (gtk_widget_get_parent (widget)));
              g_hash_table_add (cut_off->listed, g_steal_pointer (&text));
            }
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    check_cut_off (cut_off, now, child);
}

static gboolean
check_cut_off_cb (gpointer user_data)
{
  CutOff *cut_off = user_data;
  GListModel *toplevels = gtk_window_get_toplevels ();
  GHashTable *now = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      check_cut_off (cut_off, now, window);
    }
  /* Only compared as pointers: a widget gone since is never looked at. */
  g_hash_table_unref (cut_off->last);
  cut_off->last = now;
  return G_SOURCE_CONTINUE;
}

/**
 * trb_a11y_init:
 *
 * Puts right the accessible names of every window and of every widget mapped from now on
 * (see the top of this file). Called once, at startup.
 */
void
trb_a11y_init (void)
{
  static gboolean done;
  GListModel *toplevels;

  if (done)
    return;
  done = TRUE;
  /* The class is kept: a signal can be looked up only once its class exists. */
  g_type_class_ref (GTK_TYPE_WIDGET);
  g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0, widget_mapped_hook,
                              NULL, NULL);
  toplevels = gtk_window_get_toplevels ();
  g_signal_connect (toplevels, "items-changed", G_CALLBACK (toplevels_changed_cb), NULL);
  toplevels_changed_cb (toplevels, 0, 0, g_list_model_get_n_items (toplevels), NULL);

  if (g_strcmp0 (g_getenv ("TRB_DEBUG_CUT_OFF"), "1") == 0)
    {
      CutOff *cut_off = g_new0 (CutOff, 1);

      /* Kept for the life of the app, as the check is. */
      cut_off->last = g_hash_table_new (NULL, NULL);
      cut_off->listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_timeout_add (250, check_cut_off_cb, cut_off);
    }
}

/* trb-help.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opening the user help. The help is written in Mallard (help/C) for Yelp, but many desktops
 * have no Yelp, and there `help:` URIs fail with a message nobody can act on. So Yelp is used
 * only where something handles the `help:` scheme, and otherwise, or when Yelp cannot be
 * started, the same pages, built as HTML with yelp-build at build time, open in the web browser.
 */

#define G_LOG_DOMAIN "trb-help"

#include "config.h"

#include "trb-help.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

typedef struct
{
  char *page;
} ShowData;

static void
show_data_free (ShowData *data)
{
  g_free (data->page);
  g_free (data);
}

static gboolean
in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

static char *
find_html_in (const char *dir,
              const char *page)
{
  g_autofree char *name = g_strconcat (page, ".html", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&path);
  return NULL;
}

/**
 * trb_help_find_html:
 * @page: (nullable): the Mallard page's ID, or %NULL for the first page
 *
 * Finds the HTML version of a help page: installed under the help folder, in the first of the
 * user's languages that has it, or else in the build folder when the app runs from there
 * (`src/ui/tributary` beside `help/html`).
 *
 * Returns: (transfer full) (nullable): the page's path, or %NULL when it is nowhere
 */
char *
trb_help_find_html (const char *page)
{
  const char * const *languages = g_get_language_names ();
  g_autofree char *exe = NULL;
  char *path;

  if (page == NULL || *page == '\0')
    page = "index";
  /* Page IDs are plain names; nothing may climb out of the help folder. */
  g_return_val_if_fail (strchr (page, '/') == NULL && strstr (page, "..") == NULL, NULL);

  for (guint i = 0; languages[i] != NULL; i++)
    {
      g_autofree char *dir = g_build_filename (HELPDIR, languages[i], PACKAGE_NAME, "html",
                                               NULL);

      if ((path = find_html_in (dir, page)) != NULL)
        return path;
    }

  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL)
    {
      g_autofree char *exe_dir = g_path_get_dirname (exe);
      g_autofree char *dir = g_build_filename (exe_dir, "..", "..", "help", "html", NULL);

      if ((path = find_html_in (dir, page)) != NULL)
        return path;
    }

  return NULL;
}

static void
show_message (GtkWindow  *parent,
              const char *heading,
              const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
html_shown_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autofree char *path = user_data;
  g_autoptr(GError) error = NULL;

  if (gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error))
    return;

  g_debug ("No browser for the help: %s", error->message);
  {
    g_autofree char *body = NULL;

    /* Translators: %s is the path of a web page on this computer. */
    body = g_strdup_printf (_("No web browser could be started to show the help. You can open "
                              "it yourself: it is the page %s."), path);
    show_message (GTK_WINDOW (source), _("The Help Could Not Be Opened"), body);
  }
}

static void
show_html (GtkWindow  *parent,
           const char *page)
{
  g_autofree char *path = trb_help_find_html (page);
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;

  if (path == NULL)
    {
      show_message (parent, _("The Help Is Not Installed"),
                    _("The help pages of Tributary are missing from this computer. "
                      "Installing Tributary again brings them back."));
      return;
    }

  file = g_file_new_for_path (path);
  uri = g_file_get_uri (file);
  g_debug ("Showing the help in the browser: %s", uri);
  gtk_show_uri_full (parent, uri, GDK_CURRENT_TIME, NULL, html_shown_cb,
                     g_steal_pointer (&path));
}

static void
yelp_shown_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ShowData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error))
    {
      g_debug ("Yelp could not show the help: %s", error->message);
      show_html (GTK_WINDOW (source), data->page);
    }
  show_data_free (data);
}

/**
 * trb_help_show:
 * @parent: (nullable): the window the help is opened from
 * @page: (nullable): the Mallard page's ID, or %NULL for the first page
 *
 * Opens the help at @page: in Yelp (or whatever handles `help:` URIs) where there is one,
 * otherwise, or when it fails, the HTML pages in the web browser. Inside Flatpak the handler
 * is on the host and only the portal knows it, so the portal is asked first there.
 */
void
trb_help_show (GtkWindow  *parent,
               const char *page)
{
  g_autoptr(GAppInfo) handler = NULL;
  g_autofree char *uri = NULL;
  ShowData *data;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  if (!in_flatpak ())
    {
      handler = g_app_info_get_default_for_uri_scheme ("help");
      if (handler == NULL)
        {
          show_html (parent, page);
          return;
        }
    }

  if (page == NULL)
    uri = g_strdup ("help:" PACKAGE_NAME);
  else
    uri = g_strconcat ("help:" PACKAGE_NAME "/", page, NULL);

  data = g_new0 (ShowData, 1);
  data->page = g_strdup (page);
  gtk_show_uri_full (parent, uri, GDK_CURRENT_TIME, NULL, yelp_shown_cb, data);
}

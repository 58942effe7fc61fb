/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "trb-application.h"

/* The folder of the message catalogues. A development build run from its build folder
 * (src/ui/tributary) finds the catalogues meson compiled into po/<lang>/LC_MESSAGES there, as
 * it finds the demo data and the help beside it; an installed program uses LOCALEDIR. */
static char *
dup_locale_dir (void)
{
#if DEVELOPMENT_BUILD
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);

  if (self_path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self_path);
      g_autofree char *build_root = g_build_filename (dir, "..", "..", NULL);
      g_autofree char *ninja = g_build_filename (build_root, "build.ninja", NULL);
      g_autofree char *po = g_build_filename (build_root, "po", NULL);

      if (g_file_test (ninja, G_FILE_TEST_IS_REGULAR) && g_file_test (po, G_FILE_TEST_IS_DIR))
        return g_steal_pointer (&po);
    }
#endif
  return g_strdup (LOCALEDIR);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(TrbApplication) app = NULL;
  g_autofree char *locale_dir = dup_locale_dir ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = trb_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}

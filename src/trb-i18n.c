/* trb-i18n.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The language set-up the app, the CLI and the node share, and the formatting of numbers shown
 * to people. Numbers that cross a boundary (the wire, the ledger, the CSV export, file names)
 * never go through these functions: they are written with the C locale's rules, and a German
 * "12.345" in a ledger entry would be a different number.
 */

#define G_LOG_DOMAIN "trb-i18n"

#include "config.h"

#include "trb-i18n.h"

#include <glib/gi18n.h>
#include <locale.h>

/* The folder of the message catalogues. Every program of a development build lies two levels
 * below the build folder (src/ui/tributary, src/cli/tributary-cli, src/node/tributary-node), and
 * meson compiles the catalogues into po/<lang>/LC_MESSAGES there: a program run from its build
 * folder finds them, as it finds the demo data and the help beside it, and so can be tried in
 * another language before it is installed. An installed program uses LOCALEDIR. */
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

/**
 * trb_i18n_init:
 *
 * Takes the locale from the environment and binds the program's message catalogue, from the
 * build folder in an uninstalled development build. Every main() calls it first.
 */
void
trb_i18n_init (void)
{
  g_autofree char *locale_dir = dup_locale_dir ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/**
 * trb_format_count:
 * @count: a whole number shown to a person
 *
 * Writes @count with the digit grouping of the user's locale: "12.345" in German, "12,345" in
 * American English, "12345" in the C locale. glibc's printf groups digits for the ' flag
 * following LC_NUMERIC.
 *
 * Returns: (transfer full): the text
 */
char *
trb_format_count (gint64 count)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, count);
}

/**
 * trb_format_decimal:
 * @value: a number with a fraction shown to a person
 * @decimals: how many digits to show after the decimal mark
 *
 * Writes @value with the decimal mark and the digit grouping of the user's locale: "12.345,5"
 * in German, "12345.5" in the C locale.
 *
 * Returns: (transfer full): the text
 */
char *
trb_format_decimal (double value,
                    int    decimals)
{
  g_return_val_if_fail (decimals >= 0 && decimals <= 17, NULL);

  return g_strdup_printf ("%'.*f", decimals, value);
}

/* test-number-format.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Numbers shown to people follow the user's locale: "12.345" and "2,4 Punkte" in German,
 * "12345" and "2.4 points" in the C locale. The German locale comes from
 * tests/common/trb-test-locale.c, which generates it where the machine lacks it: the test never
 * skips for want of it. The catalogue is the one meson compiled into the build folder.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "participant/trb-rewards.h"
#include "trb-i18n.h"
#include "trb-test-locale.h"

/* Switches to German: the messages through LANGUAGE, the numbers through LC_ALL. */
static void
use_german (void)
{
  g_setenv ("LANGUAGE", "de", TRUE);
  trb_test_locale_use_german ();
}

static void
use_c (void)
{
  g_assert_nonnull (setlocale (LC_ALL, "C"));
}

static void
test_count_german (void)
{
  g_autofree char *big = NULL;
  g_autofree char *small = NULL;
  g_autofree char *huge = NULL;

  use_german ();
  big = trb_format_count (12345);
  small = trb_format_count (999);
  huge = trb_format_count (-1234567);
  use_c ();
  g_assert_cmpstr (big, ==, "12.345");
  g_assert_cmpstr (small, ==, "999");
  g_assert_cmpstr (huge, ==, "-1.234.567");
}

static void
test_count_c (void)
{
  g_autofree char *big = NULL;

  use_c ();
  big = trb_format_count (12345);
  g_assert_cmpstr (big, ==, "12345");
}

static void
test_decimal (void)
{
  g_autofree char *german = NULL;
  g_autofree char *c = NULL;

  use_german ();
  german = trb_format_decimal (12345.5, 1);
  use_c ();
  c = trb_format_decimal (12345.5, 1);
  g_assert_cmpstr (german, ==, "12.345,5");
  g_assert_cmpstr (c, ==, "12345.5");
}

/* Points are thousandths: shown with as many decimals as they have, with the plural form of
 * the language, in words the catalogue gives. */
static void
test_points (void)
{
  struct { gint64 points; const char *german; const char *c; } cases[] = {
    { 1000, "1 Punkt", "1 point" },
    { 2400, "2,4 Punkte", "2.4 points" },
    { 1500, "1,5 Punkte", "1.5 points" },
    { 125, "0,125 Punkte", "0.125 points" },
    { 12345000, "12.345 Punkte", "12345 points" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *german = NULL;
      g_autofree char *c = NULL;

      use_german ();
      german = trb_rewards_dup_points_text (cases[i].points);
      use_c ();
      c = trb_rewards_dup_points_text (cases[i].points);
      g_assert_cmpstr (german, ==, cases[i].german);
      g_assert_cmpstr (c, ==, cases[i].c);
    }
}

/* What crosses a boundary keeps the C locale's form whatever the user's locale. */
static void
test_csv_points_stay_plain (void)
{
  g_autofree char *german = NULL;

  use_german ();
  german = trb_rewards_format_points (12345600);
  use_c ();
  g_assert_cmpstr (german, ==, "12345.600");
}

int
main (int    argc,
      char **argv)
{
  const char *build_root = g_getenv ("TRB_BUILD_ROOT");
  g_autofree char *po = NULL;
  int result;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_nonnull (build_root);
  po = g_build_filename (build_root, "po", NULL);
  bindtextdomain (GETTEXT_PACKAGE, po);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_add_func ("/number-format/count/german", test_count_german);
  g_test_add_func ("/number-format/count/c", test_count_c);
  g_test_add_func ("/number-format/decimal", test_decimal);
  g_test_add_func ("/number-format/points", test_points);
  g_test_add_func ("/number-format/csv-points-stay-plain", test_csv_points_stay_plain);
  result = g_test_run ();
  trb_test_locale_cleanup ();
  return result;
}

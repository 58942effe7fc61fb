/* test-locale.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What crosses a boundary is the same bytes in every locale. The app, the CLI and the node all
 * call setlocale (LC_ALL, ""), so a German, French or Brazilian contributor runs every format
 * under a decimal-comma LC_NUMERIC. Each ledger entry kind and a task file are written and read
 * back under C.UTF-8 and under de_DE.UTF-8, and must give identical bytes. The German locale
 * comes from tests/common/trb-test-locale.c, which generates it where the machine lacks it: the
 * test never skips for want of it.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>

#include "ledger/trb-canonical-json.h"
#include "ledger/trb-ledger-entry.h"
#include "net/trb-client.h"
#include "trb-test-locale.h"

#define HASH_1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ADDRESS "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"
#define HASH_2 "2222222222222222222222222222222222222222222222222222222222222222"

static void
use_c (void)
{
  g_assert_nonnull (setlocale (LC_ALL, "C.UTF-8"));
}

typedef char *(*BuildFunc) (gsize *length, GError **error);

static char *
build_joined (gsize *length, GError **error)
{
  return trb_ledger_entry_build_participant_joined (ADDRESS, 1700000000, length, error);
}

static char *
build_opened (gsize *length, GError **error)
{
  return trb_ledger_entry_build_round_opened ("fashion-mnist", 3, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1700000600,
                                              1700000000, length, error);
}

static char *
build_accepted (gsize *length, GError **error)
{
  return trb_ledger_entry_build_update_accepted ("fashion-mnist", 3,
                                                 ADDRESS,
                                                 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 2000, "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", 1700000100, length,
                                                 error);
}

static char *
build_closed (gsize *length, GError **error)
{
  /* Numbers whose shortest form needs a decimal separator, in both notations. */
  const char * const updates[] = { HASH_2, HASH_1, NULL };
  const char * const names[] = { "accuracy", "loss", "tiny", "large", "third" };
  const double values[] = { 0.8125, 1.6536, 1.25e-7, 123456.789, 1.0 / 3.0 };

  return trb_ledger_entry_build_round_closed ("fashion-mnist", 3, "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", updates, names, values,
                                              G_N_ELEMENTS (values), 1700000700, length, error);
}

static char *
build_reward (gsize *length, GError **error)
{
  return trb_ledger_entry_build_reward ("fashion-mnist", 3,
                                        ADDRESS, 2400,
                                        1700000700, length, error);
}

/* Built, then parsed and given back, in one locale. */
static char *
round_trip (BuildFunc  build,
            gsize     *length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbLedgerEntry) entry = NULL;
  g_autofree char *built = NULL;
  const char *canonical;
  gsize built_length = 0;
  gsize canonical_length = 0;

  built = build (&built_length, &error);
  g_assert_no_error (error);
  g_assert_nonnull (built);
  entry = trb_ledger_entry_parse (built, built_length, &error);
  g_assert_no_error (error);
  canonical = trb_ledger_entry_get_canonical (entry, &canonical_length);
  g_assert_cmpmem (canonical, canonical_length, built, built_length);
  *length = built_length;
  return g_steal_pointer (&built);
}

static void
test_entries_same_bytes (void)
{
  const BuildFunc builders[] = { build_joined, build_opened, build_accepted, build_closed,
                                 build_reward };

  for (gsize i = 0; i < G_N_ELEMENTS (builders); i++)
    {
      g_autofree char *in_c = NULL;
      g_autofree char *in_german = NULL;
      gsize c_length, german_length;

      use_c ();
      in_c = round_trip (builders[i], &c_length);
      trb_test_locale_use_german ();
      in_german = round_trip (builders[i], &german_length);
      use_c ();
      g_test_message ("%.*s", (int) c_length, in_c);
      g_assert_cmpmem (in_german, german_length, in_c, c_length);
    }
}

/* The round_closed example of docs/ledger-format.md is canonical in every locale, and what one
 * locale wrote, another reads. */
static void
test_written_in_one_read_in_another (void)
{
  static const char example[] =
    "{\"metrics\":{\"accuracy\":0.875,\"loss\":0.5},\"model\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"round\":3,\"task\":\"fashion-mnist\",\"time\":"
    "1700000700,\"type\":\"round_closed\",\"updates\":[\"11111111111111111111111111111111111111"
    "11111111111111111111111111\",\"2222222222222222222222222222222222222222222222222222222222"
    "222222\"]}";
  g_autofree char *written_in_c = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbLedgerEntry) entry = NULL;
  gsize length;
  char number[32];

  trb_test_locale_use_german ();
  g_assert_true (trb_canonical_json_is_canonical (example, strlen (example), &error));
  g_assert_no_error (error);
  g_assert_true (trb_canonical_json_format_number (0.8125, number, sizeof number, &error));
  g_assert_cmpstr (number, ==, "0.8125");
  g_assert_true (trb_canonical_json_format_number (-1.25e-7, number, sizeof number, &error));
  g_assert_cmpstr (number, ==, "-1.25e-7");
  g_assert_true (trb_canonical_json_format_number (1e21, number, sizeof number, &error));
  g_assert_cmpstr (number, ==, "1e+21");

  use_c ();
  written_in_c = build_closed (&length, &error);
  g_assert_no_error (error);
  trb_test_locale_use_german ();
  entry = trb_ledger_entry_parse (written_in_c, length, &error);
  g_assert_no_error (error);
  {
    double value = 0;

    g_assert_cmpstr (trb_ledger_entry_get_metric (entry, 0, &value), ==, "accuracy");
    g_assert_cmpfloat (value, ==, 0.8125);
  }
  use_c ();
}

/* A task file: read under either locale, its numbers are the same, and written back it is the
 * same bytes. */
static void
test_task_file (void)
{
  static const char task[] =
    "{\"id\":\"fashion-mnist\",\"hyper_parameters\":{\"local_epochs\":1,\"batch_size\":32,"
    "\"learning_rate\":0.05,\"optimizer\":\"sgd\"},\"round_policy\":{\"duration_seconds\":20,"
    "\"min_updates\":1,\"fraction\":0.25,\"server_momentum\":0.9},\"reward_policy\":"
    "{\"points_per_sample_epoch\":0.001,\"cap_per_round\":10},\"privacy_policy\":"
    "{\"clip_norm\":1.5,\"noise_multiplier\":0.75}}";
  g_autofree char *in_c = NULL;
  double rate_in_c, fraction_in_c;

  for (int pass = 0; pass < 2; pass++)
    {
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *written = NULL;
      JsonObject *obj;

      if (pass == 0)
        use_c ();
      else
        trb_test_locale_use_german ();
      root = json_from_string (task, &error);
      g_assert_no_error (error);
      obj = json_node_get_object (root);
      written = json_to_string (root, FALSE);
      if (pass == 0)
        {
          rate_in_c = trb_client_task_number (obj, "hyper_parameters", "learning_rate", 0);
          fraction_in_c = trb_client_task_number (obj, "round_policy", "fraction", 0);
          g_assert_cmpfloat (rate_in_c, ==, 0.05);
          in_c = g_steal_pointer (&written);
        }
      else
        {
          g_assert_cmpfloat (trb_client_task_number (obj, "hyper_parameters", "learning_rate", 0),
                             ==, rate_in_c);
          g_assert_cmpfloat (trb_client_task_number (obj, "round_policy", "fraction", 0), ==,
                             fraction_in_c);
          g_assert_cmpstr (written, ==, in_c);
        }
    }
  use_c ();
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/locale/ledger-entries-same-bytes", test_entries_same_bytes);
  g_test_add_func ("/locale/written-in-one-read-in-another", test_written_in_one_read_in_another);
  g_test_add_func ("/locale/task-file", test_task_file);
  status = g_test_run ();
  trb_test_locale_cleanup ();
  return status;
}

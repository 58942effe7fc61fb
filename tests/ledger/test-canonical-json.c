/* test-canonical-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "ledger/trb-canonical-json.h"
#include "ledger/trb-ledger-error.h"

#include "ledger-test-util.h"

static void
check_fixture_pair (const char *input_name,
                    const char *output_name)
{
  g_autofree char *input = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *canonical = NULL;
  g_autoptr(GError) error = NULL;
  gsize input_len;
  gsize expected_len;
  gsize canonical_len;

  input = ledger_test_read_fixture (input_name, &input_len);
  expected = ledger_test_read_fixture (output_name, &expected_len);

  canonical = trb_canonical_json_from_string (input, input_len, &canonical_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (canonical, canonical_len, expected, expected_len);

  /* The canonical form is a fixed point. */
  g_assert_true (trb_canonical_json_is_canonical (expected, expected_len, &error));
  g_assert_no_error (error);
  g_assert_false (trb_canonical_json_is_canonical (input, input_len, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
}

static void
test_rfc8785_example (void)
{
  check_fixture_pair ("rfc8785-example.json", "rfc8785-example.out");
}

static void
test_rfc8785_sorting (void)
{
  check_fixture_pair ("rfc8785-sorting.json", "rfc8785-sorting.out");
}

static void
test_rfc8785_numbers (void)
{
  g_autofree char *contents = ledger_test_read_fixture ("rfc8785-numbers.txt", NULL);
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  guint checked = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *text = NULL;
      guint64 bits;
      double value;

      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;

      fields = g_strsplit (lines[i], " ", 2);
      g_assert_cmpuint (g_strv_length (fields), ==, 2);
      bits = g_ascii_strtoull (fields[0], NULL, 16);
      memcpy (&value, &bits, sizeof value);

      node = json_node_init_double (json_node_alloc (), value);
      text = trb_canonical_json_serialize (node, NULL, &error);
      if (g_str_equal (fields[1], "error"))
        {
          g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
          g_assert_null (text);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpstr (text, ==, fields[1]);
          /* And the text reads back as the same double. */
          if (!g_str_equal (fields[0], "8000000000000000"))
            g_assert_cmpfloat (g_ascii_strtod (text, NULL), ==, value);
        }
      checked++;
    }

  g_assert_cmpuint (checked, ==, 26);
}

static void
test_numbers_round_trip (void)
{
  GRand *rand = g_rand_new_with_seed (8785);

  /* Random doubles over the whole exponent range: the shortest form must read back exactly and
   * must not be longer than 17 significant digits. */
  for (guint i = 0; i < 20000; i++)
    {
      guint64 bits = ((guint64)g_rand_int (rand) << 32) | g_rand_int (rand);
      char buf[32];
      double value;

      memcpy (&value, &bits, sizeof value);
      if (!isfinite (value))
        continue;

      g_assert_true (trb_canonical_json_format_number (value, buf, sizeof buf, NULL));
      g_assert_cmpfloat (g_ascii_strtod (buf, NULL), ==, value);
    }

  g_rand_free (rand);
}

static void
test_integers (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ok = NULL;
  g_autofree char *too_big = NULL;

  ok = trb_canonical_json_from_string ("{\"b\":-9007199254740992,\"a\":12}", -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ok, ==, "{\"a\":12,\"b\":-9007199254740992}");

  too_big = trb_canonical_json_from_string ("[9007199254740993]", -1, NULL, &error);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
  g_assert_null (too_big);
}

static void
test_escapes (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  out = trb_canonical_json_from_string ("[\"\\u0001\\u001f\\b\\t\\u007f\\u2028é\"]", -1, NULL,
                                        &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "[\"\\u0001\\u001f\\b\\t\x7f\xe2\x80\xa8\xc3\xa9\"]");
  g_clear_pointer (&out, g_free);

  /* A NUL character cannot be carried faithfully, so it is refused rather than dropped. */
  out = trb_canonical_json_from_string ("[\"a\\u0000b\"]", -1, NULL, &error);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
  g_assert_null (out);
}

static void
test_bad_input (void)
{
  const char *bad[] = {
    "",
    "{",
    "{\"a\":1,}",
    "[1 2]",
    "nul",
    "\xff\xfe",
  };
  g_autoptr(GString) deep = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = trb_canonical_json_from_string (bad[i], -1, NULL, &error);

      g_assert_null (out);
      g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
    }

  /* Deep nesting is refused before the parser recurses. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *out = trb_canonical_json_from_string (deep->str, deep->len, NULL, &error);

    g_assert_null (out);
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE);
  }

  /* Duplicate names are not canonical. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (trb_canonical_json_is_canonical ("{\"a\":1,\"a\":2}", 13, &error));
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ledger/canonical-json/rfc8785-example", test_rfc8785_example);
  g_test_add_func ("/ledger/canonical-json/rfc8785-sorting", test_rfc8785_sorting);
  g_test_add_func ("/ledger/canonical-json/rfc8785-numbers", test_rfc8785_numbers);
  g_test_add_func ("/ledger/canonical-json/numbers-round-trip", test_numbers_round_trip);
  g_test_add_func ("/ledger/canonical-json/integers", test_integers);
  g_test_add_func ("/ledger/canonical-json/escapes", test_escapes);
  g_test_add_func ("/ledger/canonical-json/bad-input", test_bad_input);

  return g_test_run ();
}

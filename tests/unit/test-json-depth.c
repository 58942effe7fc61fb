/* test-json-depth.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * JSON from outside nested far too deeply is refused before it is parsed, by every reader:
 * json-glib recurses once a level, and 80,000 levels in a safetensors header used to crash the
 * node. Each reader gets 200,000 levels (400 KB) and must answer with an error.
 */

#include "config.h"

#include <string.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "ledger/trb-canonical-json.h"
#include "ledger/trb-ledger-entry.h"
#include "trb-json.h"

#define DEEP 200000

static char *
nested (guint depth,
        char  open,
        char  close)
{
  char *text = g_malloc (2 * depth + 1);

  memset (text, open, depth);
  memset (text + depth, close, depth);
  text[2 * depth] = '\0';
  return text;
}

static void
test_check_depth (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *deep = nested (65, '[', ']');
  g_autofree char *ok = nested (64, '{', '}');
  /* Brackets inside strings, escaped quotes included, are not nesting. */
  const char *strings = "{\"a\":\"[[[[{{{{\\\"[[[[\",\"b\":[1,2]}";

  g_assert_true (trb_json_check_depth (ok, strlen (ok), TRB_JSON_MAX_DEPTH, &error));
  g_assert_no_error (error);
  g_assert_false (trb_json_check_depth (deep, strlen (deep), TRB_JSON_MAX_DEPTH, &error));
  g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_true (trb_json_check_depth (strings, strlen (strings), 2, &error));
  g_assert_no_error (error);
  g_assert_false (trb_json_check_depth (strings, strlen (strings), 1, &error));
}

static void
test_safetensors_header (void)
{
  g_autofree char *header = nested (DEEP, '[', ']');
  gsize header_len = strlen (header);
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) weights = NULL;
  guint8 len_le[8];

  for (int i = 0; i < 8; i++)
    len_le[i] = (guint8) ((guint64) header_len >> (8 * i));
  g_byte_array_append (file, len_le, sizeof len_le);
  g_byte_array_append (file, (const guint8 *) header, header_len);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&file));
  weights = trb_weights_new_from_safetensors (bytes, &error);
  g_assert_null (weights);
  g_assert_nonnull (error);
}

static void
test_other_readers (void)
{
  g_autofree char *deep = nested (DEEP, '[', ']');
  g_autofree char *deep_object = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (trb_json_from_string_bounded (deep, &error));
  g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE);
  g_clear_error (&error);

  g_assert_null (trb_ledger_entry_parse (deep, strlen (deep), &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_null (trb_canonical_json_from_string (deep, -1, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* {"a":{"a":…}} */
  {
    GString *s = g_string_new (NULL);

    for (guint i = 0; i < DEEP; i++)
      g_string_append (s, "{\"a\":");
    g_string_append (s, "1");
    for (guint i = 0; i < DEEP; i++)
      g_string_append_c (s, '}');
    deep_object = g_string_free (s, FALSE);
  }
  g_assert_null (trb_model_spec_new_from_json (deep_object, -1, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/json/check-depth", test_check_depth);
  g_test_add_func ("/json/safetensors-header", test_safetensors_header);
  g_test_add_func ("/json/other-readers", test_other_readers);
  return g_test_run ();
}

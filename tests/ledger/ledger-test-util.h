/* ledger-test-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers shared by the ledger tests.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline char *
ledger_test_read_fixture (const char *name,
                          gsize      *length)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "ledger", "fixtures", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);
  return contents;
}

static inline GByteArray *
ledger_test_unhex (const char *hex)
{
  GByteArray *out = g_byte_array_new ();
  gsize n = strlen (hex);

  if (g_str_equal (hex, "-"))
    return out;

  g_assert_cmpuint (n % 2, ==, 0);
  for (gsize i = 0; i < n; i += 2)
    {
      int hi = g_ascii_xdigit_value (hex[i]);
      int lo = g_ascii_xdigit_value (hex[i + 1]);
      guint8 b;

      g_assert_cmpint (hi, >=, 0);
      g_assert_cmpint (lo, >=, 0);
      b = (guint8)(hi << 4 | lo);
      g_byte_array_append (out, &b, 1);
    }
  return out;
}

G_END_DECLS

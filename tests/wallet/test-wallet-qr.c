/* test-wallet-qr.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The QR encoder against codes made by an independent encoder (qrencode 4.1.1, level M, byte
 * mode), module for module. The mask is read back from each reference code's format
 * information, so the comparison covers the bit stream, Reed-Solomon, interleaving, function
 * patterns, placement and masking; the automatic mask choice is checked to give a valid code.
 */

#include "config.h"

#include <string.h>

#include "wallet/trb-qr-code.h"
#include "wallet/trb-wallet-error.h"

typedef struct
{
  char      *text;
  GPtrArray *rows;
} Reference;

static void
reference_clear (Reference *ref)
{
  g_free (ref->text);
  g_ptr_array_unref (ref->rows);
}

static void
load_reference (const char *name,
                Reference  *ref)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "wallet", "fixtures", name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "#"));
  ref->text = g_strdup (lines[1]);
  ref->rows = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 2; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      g_ptr_array_add (ref->rows, g_strdup (lines[i]));
}

static gboolean
ref_module (Reference *ref,
            guint      x,
            guint      y)
{
  return ((const char *)g_ptr_array_index (ref->rows, y))[x] == '1';
}

/* The 15 format bits of the first copy, around the top-left finder pattern. */
typedef gboolean (*ModuleFunc) (gpointer data, guint x, guint y);

static guint
read_format (ModuleFunc get,
             gpointer   data)
{
  guint bits = 0;

  for (guint i = 0; i <= 5; i++)
    bits |= (guint)get (data, 8, i) << i;
  bits |= (guint)get (data, 8, 7) << 6;
  bits |= (guint)get (data, 8, 8) << 7;
  bits |= (guint)get (data, 7, 8) << 8;
  for (guint i = 9; i < 15; i++)
    bits |= (guint)get (data, 14 - i, 8) << i;
  return bits ^ 0x5412;
}

static gboolean
format_is_valid (guint bits)
{
  guint rem = bits >> 10;

  for (int i = 0; i < 10; i++)
    rem = (rem << 1) ^ ((rem >> 9) * 0x537);
  return (bits & 0x3ff) == (rem & 0x3ff);
}

static gboolean
get_ref (gpointer data, guint x, guint y)
{
  return ref_module (data, x, y);
}

static gboolean
get_code (gpointer data, guint x, guint y)
{
  return trb_qr_code_get_module (data, x, y);
}

static void
check_reference (gconstpointer name)
{
  Reference ref;
  g_autoptr(TrbQrCode) code = NULL;
  g_autoptr(TrbQrCode) automatic = NULL;
  g_autoptr(GError) error = NULL;
  guint format;
  guint mask;
  guint size;
  guint differences = 0;

  load_reference (name, &ref);
  size = ref.rows->len;

  format = read_format (get_ref, &ref);
  g_assert_true (format_is_valid (format));
  g_assert_cmpuint (format >> 13, ==, 0);   /* level M */
  mask = (format >> 10) & 7;

  code = trb_qr_code_encode ((const guint8 *)ref.text, strlen (ref.text), mask, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_qr_code_get_size (code), ==, size);
  g_assert_cmpuint (trb_qr_code_get_version (code), ==, (size - 17) / 4);
  for (guint y = 0; y < size; y++)
    for (guint x = 0; x < size; x++)
      differences += trb_qr_code_get_module (code, x, y) != ref_module (&ref, x, y);
  g_assert_cmpuint (differences, ==, 0);

  /* With the mask chosen by penalty: the same version, valid format information that names
   * the mask used, and the same modules as a forced encoding with that mask. */
  automatic = trb_qr_code_encode_text (ref.text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_qr_code_get_size (automatic), ==, size);
  format = read_format (get_code, automatic);
  g_assert_true (format_is_valid (format));
  g_assert_cmpuint ((format >> 10) & 7, ==, trb_qr_code_get_mask (automatic));
  {
    g_autoptr(TrbQrCode) forced = trb_qr_code_encode ((const guint8 *)ref.text,
                                                      strlen (ref.text),
                                                      trb_qr_code_get_mask (automatic), NULL);
    for (guint y = 0; y < size; y++)
      for (guint x = 0; x < size; x++)
        g_assert_cmpint (trb_qr_code_get_module (forced, x, y), ==,
                         trb_qr_code_get_module (automatic, x, y));
  }

  reference_clear (&ref);
}

static void
test_capacity (void)
{
  /* Version 10 at level M holds 213 bytes in byte mode; one more does not fit. */
  g_autofree guint8 *data = g_malloc0 (214);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbQrCode) fits = NULL;
  g_autoptr(TrbQrCode) too_long = NULL;
  g_autoptr(TrbQrCode) smallest = NULL;

  memset (data, 'a', 214);
  fits = trb_qr_code_encode (data, 213, TRB_QR_MASK_AUTO, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_qr_code_get_version (fits), ==, 10);
  g_assert_cmpuint (trb_qr_code_get_size (fits), ==, 57);

  too_long = trb_qr_code_encode (data, 214, TRB_QR_MASK_AUTO, &error);
  g_assert_null (too_long);
  g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT);

  /* Version 1 at level M holds 14 bytes. */
  smallest = trb_qr_code_encode (data, 14, TRB_QR_MASK_AUTO, NULL);
  g_assert_cmpuint (trb_qr_code_get_version (smallest), ==, 1);
  g_clear_pointer (&smallest, trb_qr_code_free);
  smallest = trb_qr_code_encode (data, 15, TRB_QR_MASK_AUTO, NULL);
  g_assert_cmpuint (trb_qr_code_get_version (smallest), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_data_func ("/wallet/qr/reference/hello", "qr-hello.txt", check_reference);
  g_test_add_data_func ("/wallet/qr/reference/address", "qr-address.txt", check_reference);
  g_test_add_data_func ("/wallet/qr/reference/long", "qr-long.txt", check_reference);
  g_test_add_func ("/wallet/qr/capacity", test_capacity);

  return g_test_run ();
}

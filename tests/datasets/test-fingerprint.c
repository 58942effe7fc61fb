/* test-fingerprint.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sodium.h>

#include "datasets/trb-dataset-registry.h"
#include "datasets/trb-dataset-report.h"
#include "datasets/trb-fingerprint.h"

#include "dataset-fixtures.h"

/* RFC 9162 section 2.1.1, written recursively as the reference. */
static void
reference_root (guint8 (*leaves)[32],
                guint   n,
                guint8  out[32])
{
  guint k = 1;
  guint8 left[32];
  guint8 right[32];

  if (n == 1)
    {
      memcpy (out, leaves[0], 32);
      return;
    }
  while (k * 2 < n)
    k *= 2;
  reference_root (leaves, k, left);
  reference_root (leaves + k, n - k, right);
  trb_fingerprint_node_hash (left, right, out);
}

static void
test_merkle_matches_reference (void)
{
  static const guint8 salt[4] = { 1, 2, 3, 4 };
  guint8 (*leaves)[32] = g_malloc (70 * 32);

  for (guint n = 1; n <= 70; n++)
    {
      g_autoptr(TrbFingerprint) fp = trb_fingerprint_new (salt, sizeof salt);
      guint8 root[32];
      guint8 expected[32];

      for (guint i = 0; i < n; i++)
        {
          guint8 sample[3] = { i, i * 3, i * 7 };
          trb_fingerprint_add (fp, sample, sizeof sample, i % 5);
          trb_fingerprint_leaf_hash (salt, sizeof salt, i, i % 5, sample, sizeof sample,
                                     leaves[i]);
        }
      trb_fingerprint_finish (fp, root);
      reference_root (leaves, n, expected);
      g_assert_cmpmem (root, 32, expected, 32);
    }

  g_free (leaves);
}

static void
test_leaf_hash_layout (void)
{
  /* leaf = SHA-256 (0x00 || salt || u64be index || i32be label || bytes) */
  static const guint8 salt[2] = { 0xaa, 0xbb };
  static const guint8 message[] = {
    0x00, 0xaa, 0xbb,
    0, 0, 0, 0, 0, 0, 0x01, 0x02,
    0, 0, 0, 0x09,
    'h', 'i',
  };
  guint8 expected[32];
  guint8 leaf[32];

  crypto_hash_sha256 (expected, message, sizeof message);
  trb_fingerprint_leaf_hash (salt, sizeof salt, 0x0102, 9, "hi", 2, leaf);
  g_assert_cmpmem (leaf, 32, expected, 32);
}

static void
test_empty_tree (void)
{
  g_autoptr(TrbFingerprint) fp = trb_fingerprint_new (NULL, 0);
  guint8 root[32];
  g_autofree char *hex = NULL;

  trb_fingerprint_finish (fp, root);
  hex = trb_fingerprint_to_hex (root);
  g_assert_cmpstr (hex, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static char *
scan_fingerprint (const char *path,
                  GBytes     *salt)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbDatasetReport) report = trb_dataset_scan (path, NULL, salt, NULL, NULL, NULL,
                                                         &error);

  g_assert_no_error (error);
  return g_strdup (trb_dataset_report_get_fingerprint (report));
}

static void
test_fingerprint_stable_and_sensitive (void)
{
  g_autofree char *dir = test_dir ("fp");
  g_autofree char *images = write_idx_pair (dir, "f", FALSE, 300, 6, 6, 10);
  g_autoptr(GBytes) salt = test_salt (3);
  g_autoptr(GBytes) other_salt = test_salt (4);
  g_autofree char *first = scan_fingerprint (images, salt);
  g_autofree char *second = scan_fingerprint (images, salt);
  g_autofree char *salted = scan_fingerprint (images, other_salt);
  g_autofree char *changed = NULL;
  g_autofree char *restored = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_cmpuint (strlen (first), ==, 64);
  g_assert_cmpstr (first, ==, second);
  g_assert_cmpstr (first, !=, salted);

  /* One pixel of sample 123 changes: the fingerprint changes. */
  g_assert_true (g_file_get_contents (images, &data, &len, NULL));
  data[16 + 123 * 36 + 5] ^= 1;
  g_assert_true (g_file_set_contents (images, data, len, NULL));
  changed = scan_fingerprint (images, salt);
  g_assert_cmpstr (first, !=, changed);

  /* Back as it was: the same fingerprint again. */
  data[16 + 123 * 36 + 5] ^= 1;
  g_assert_true (g_file_set_contents (images, data, len, NULL));
  restored = scan_fingerprint (images, salt);
  g_assert_cmpstr (first, ==, restored);
}

static void
test_fingerprint_compressed_equals_raw (void)
{
  g_autofree char *dir = test_dir ("fp-gz");
  g_autofree char *raw = write_idx_pair (dir, "r", FALSE, 50, 4, 4, 3);
  g_autofree char *gz = write_idx_pair (dir, "z", TRUE, 50, 4, 4, 3);
  g_autoptr(GBytes) salt = test_salt (5);
  g_autofree char *a = scan_fingerprint (raw, salt);
  g_autofree char *b = scan_fingerprint (gz, salt);

  /* The commitment is over the samples, not over how they are stored. */
  g_assert_cmpstr (a, ==, b);
}

static void
test_fashion_fingerprint_runs (void)
{
  g_autoptr(GBytes) salt = test_salt (6);
  g_autofree char *a = scan_fingerprint (FASHION_DIR "/t10k-images-idx3-ubyte.gz", salt);
  g_autofree char *b = scan_fingerprint (FASHION_DIR "/t10k-images-idx3-ubyte.gz", salt);

  g_assert_cmpstr (a, ==, b);
}

static TrbDatasetRegistry *
open_registry (void)
{
  g_autofree char *path = trb_store_default_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  TrbDatasetRegistry *registry;

  g_assert_no_error (error);
  registry = trb_dataset_registry_new (store, &error);
  g_assert_no_error (error);
  return registry;
}

static void
test_registry_persists (void)
{
  g_autofree char *dir = test_dir ("reg");
  g_autofree char *images = write_idx_pair (dir, "d", TRUE, 120, 5, 5, 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbDatasetReport) report = NULL;
  g_autoptr(TrbDatasetReport) again = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *previous = NULL;
  TrbDatasetItem *item;

  {
    g_autoptr(TrbDatasetRegistry) registry = open_registry ();

    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (registry)), ==, 0);
    item = trb_dataset_registry_add (registry, images, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (registry)), ==, 1);
    g_assert_cmpint (trb_dataset_item_get_status (item), ==, TRB_DATASET_STATUS_PROBLEMS);

    report = trb_dataset_registry_check_path (registry, images, NULL, NULL, NULL, NULL,
                                              &previous, &error);
    g_assert_no_error (error);
    g_assert_null (previous);
    g_assert_cmpint (trb_dataset_item_get_status (item), ==, TRB_DATASET_STATUS_READY);
    fingerprint = g_strdup (trb_dataset_item_get_fingerprint (item));
    g_assert_cmpstr (fingerprint, ==, trb_dataset_report_get_fingerprint (report));

    g_assert_true (trb_dataset_registry_set_paused (registry, item, TRUE, &error));
    g_assert_true (trb_dataset_registry_set_used_by (registry, item, "demo", TRUE, &error));
    g_assert_cmpint (trb_dataset_item_get_status (item), ==, TRB_DATASET_STATUS_PAUSED);
    g_assert_cmpuint (trb_dataset_registry_refresh (registry), ==, 0);
  }

  /* A new registry on the same store: everything is back, the salt too. */
  {
    g_autoptr(TrbDatasetRegistry) registry = open_registry ();
    const guint64 *histogram;

    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (registry)), ==, 1);
    item = trb_dataset_registry_lookup (registry, images);
    g_assert_nonnull (item);
    g_assert_true (trb_dataset_item_get_paused (item));
    g_assert_cmpstr (trb_dataset_item_get_networks (item)[0], ==, "demo");
    g_assert_cmpstr (trb_dataset_item_get_fingerprint (item), ==, fingerprint);
    g_assert_cmpuint (trb_dataset_report_get_n_samples (trb_dataset_item_get_report (item)), ==,
                      120);
    histogram = trb_dataset_report_get_histogram (trb_dataset_item_get_report (item));
    g_assert_cmpuint (histogram[0], ==, 30);
    g_assert_cmpuint (histogram[3], ==, 30);

    again = trb_dataset_registry_check_path (registry, images, NULL, NULL, NULL, NULL,
                                             &previous, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (previous, ==, fingerprint);
    g_assert_cmpstr (trb_dataset_report_get_fingerprint (again), ==, fingerprint);

    /* The files change: refresh notices without reading them. */
    g_assert_true (trb_dataset_registry_set_paused (registry, item, FALSE, &error));
    g_usleep (10000);
    g_free (write_idx_pair (dir, "d", TRUE, 121, 5, 5, 4));
    g_assert_cmpuint (trb_dataset_registry_refresh (registry), ==, 1);
    g_assert_cmpint (trb_dataset_item_get_status (item), ==, TRB_DATASET_STATUS_CHANGED);

    g_assert_true (trb_dataset_registry_remove (registry, item, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (registry)), ==, 0);
  }

  /* Removed means forgotten: a new salt, so a new fingerprint for the same data. */
  {
    g_autoptr(TrbDatasetRegistry) registry = open_registry ();
    g_autoptr(TrbDatasetReport) fresh = NULL;

    g_free (write_idx_pair (dir, "d", TRUE, 120, 5, 5, 4));
    g_clear_pointer (&previous, g_free);
    fresh = trb_dataset_registry_check_path (registry, images, NULL, NULL, NULL, NULL,
                                             &previous, &error);
    g_assert_no_error (error);
    g_assert_null (previous);
    g_assert_cmpstr (trb_dataset_report_get_fingerprint (fresh), !=, fingerprint);
  }
}

static void
check_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_dataset_registry_check_finish (TRB_DATASET_REGISTRY (object), result,
                                                    &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
progress_notified_cb (GObject    *item,
                      GParamSpec *pspec,
                      gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_registry_async_check (void)
{
  g_autoptr(TrbDatasetRegistry) registry = open_registry ();
  g_autoptr(GError) error = NULL;
  TrbDatasetItem *item;
  gboolean done = FALSE;
  guint progress_count = 0;

  item = trb_dataset_registry_add (registry, FASHION_DIR "/t10k-images-idx3-ubyte.gz", NULL,
                                   &error);
  g_assert_no_error (error);
  g_signal_connect (item, "notify::progress", G_CALLBACK (progress_notified_cb),
                    &progress_count);

  trb_dataset_registry_check_async (registry, item, NULL, check_done_cb, &done);
  g_assert_cmpint (trb_dataset_item_get_status (item), ==, TRB_DATASET_STATUS_CHECKING);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (trb_dataset_item_get_status (item), ==, TRB_DATASET_STATUS_READY);
  g_assert_cmpuint (trb_dataset_report_get_n_samples (trb_dataset_item_get_report (item)), ==,
                    10000);
  g_assert_cmpuint (trb_dataset_report_get_thumbnails (trb_dataset_item_get_report (item))->len,
                    ==, TRB_REPORT_MAX_THUMBS);
  g_assert_cmpuint (progress_count, >, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/fingerprint/merkle-reference", test_merkle_matches_reference);
  g_test_add_func ("/fingerprint/leaf-layout", test_leaf_hash_layout);
  g_test_add_func ("/fingerprint/empty", test_empty_tree);
  g_test_add_func ("/fingerprint/stable-and-sensitive", test_fingerprint_stable_and_sensitive);
  g_test_add_func ("/fingerprint/storage-independent", test_fingerprint_compressed_equals_raw);
  g_test_add_func ("/fingerprint/fashion", test_fashion_fingerprint_runs);
  g_test_add_func ("/registry/persists", test_registry_persists);
  g_test_add_func ("/registry/async-check", test_registry_async_check);

  return g_test_run ();
}

/* test-idx.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/trb-idx-reader.h"
#include "datasets/trb-sample-source.h"

#include "dataset-fixtures.h"

/* Reads everything; returns FALSE with @error on failure. */
static gboolean
read_all (TrbSampleSource  *source,
          guint             capacity,
          guint64          *n,
          guint64          *histogram,
          GError          **error)
{
  g_autoptr(TrbSampleBatch) batch = trb_sample_batch_new (source, capacity);

  *n = 0;
  while (trb_sample_source_read (source, batch, NULL, error))
    {
      if (batch->n == 0)
        return TRUE;
      for (guint i = 0; i < batch->n; i++)
        {
          g_assert_cmpint (batch->labels[i], >=, 0);
          g_assert_cmpint (batch->labels[i], <, 256);
          if (histogram != NULL)
            histogram[batch->labels[i]]++;
        }
      *n += batch->n;
    }

  return FALSE;
}

static void
check_fashion (const char *images,
               guint64     expected,
               guint64     per_class)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  guint64 histogram[256] = { 0 };
  guint64 n = 0;
  const TrbSampleShape *shape;

  source = trb_sample_source_open (images, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (TRB_IS_IDX_READER (source));

  shape = trb_sample_source_get_shape (source);
  g_assert_cmpint (shape->type, ==, TRB_SAMPLE_TYPE_U8);
  g_assert_cmpuint (shape->channels, ==, 1);
  g_assert_cmpuint (shape->height, ==, 28);
  g_assert_cmpuint (shape->width, ==, 28);
  g_assert_cmpint (trb_sample_source_get_n_samples (source), ==, expected);

  g_assert_true (read_all (source, 500, &n, histogram, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, expected);
  for (guint c = 0; c < 10; c++)
    g_assert_cmpuint (histogram[c], ==, per_class);
  for (guint c = 10; c < 256; c++)
    g_assert_cmpuint (histogram[c], ==, 0);
}

static void
test_idx_fashion_train (void)
{
  check_fashion (FASHION_DIR "/train-images-idx3-ubyte.gz", 60000, 6000);
}

static void
test_idx_fashion_test (void)
{
  check_fashion (FASHION_DIR "/t10k-images-idx3-ubyte.gz", 10000, 1000);
}

static void
test_idx_demo_shard (void)
{
  g_autofree char *train = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "data", "demo",
                                             "demo-train-images-idx3-ubyte.gz", NULL);
  g_autofree char *test = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "data", "demo",
                                            "demo-test-images-idx3-ubyte.gz", NULL);
  GStatBuf st;
  guint64 total = 0;
  const char * const demo_files[] = {
    "demo-train-images-idx3-ubyte.gz", "demo-train-labels-idx1-ubyte.gz",
    "demo-test-images-idx3-ubyte.gz", "demo-test-labels-idx1-ubyte.gz",
  };

  check_fashion (train, 2000, 200);
  check_fashion (test, 500, 50);

  for (guint i = 0; i < G_N_ELEMENTS (demo_files); i++)
    {
      g_autofree char *path = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "data", "demo",
                                                demo_files[i], NULL);
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      total += st.st_size;
    }
  g_assert_cmpuint (total, <=, 2 * 1024 * 1024);
}

static void
test_idx_fashion_from_labels_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbIdxReader) reader = NULL;

  /* Picking the labels file finds the images beside it. */
  reader = trb_idx_reader_new (FASHION_DIR "/t10k-labels-idx1-ubyte.gz", &error);
  g_assert_no_error (error);
  g_assert_cmpint (trb_sample_source_get_n_samples (TRB_SAMPLE_SOURCE (reader)), ==, 10000);
}

static void
test_idx_fixture_values (void)
{
  g_autofree char *dir = test_dir ("idx-values");

  for (int gz = 0; gz <= 1; gz++)
    {
      g_autofree char *images = write_idx_pair (dir, gz ? "z" : "r", gz, 37, 5, 3, 4);
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbSampleSource) source = trb_sample_source_open (images, NULL, &error);
      g_autoptr(TrbSampleBatch) batch = NULL;
      guint seen = 0;

      g_assert_no_error (error);
      batch = trb_sample_batch_new (source, 8);

      /* Two epochs: rewinding gives the same samples again. */
      for (int epoch = 0; epoch < 2; epoch++)
        {
          seen = 0;
          while (trb_sample_source_read (source, batch, NULL, &error) && batch->n > 0)
            {
              for (guint i = 0; i < batch->n; i++, seen++)
                {
                  g_assert_cmpint (batch->labels[i], ==, seen % 4);
                  for (guint k = 0; k < 15; k++)
                    g_assert_cmpuint (batch->u8[i * 15 + k], ==, fixture_pixel (seen, k));
                }
            }
          g_assert_no_error (error);
          g_assert_cmpuint (seen, ==, 37);
          g_assert_true (trb_sample_source_rewind (source, &error));
          g_assert_no_error (error);
        }
    }
}

/* Writes the two files as given (already possibly broken) and expects @code on open or read. */
static void
expect_error (const char *name,
              GBytes     *images,
              GBytes     *labels,
              gboolean    gz,
              int         code,
              const char *needle)
{
  g_autofree char *dir = test_dir (name);
  g_autofree char *images_path = g_build_filename (dir, gz ? "x-images-idx3-ubyte.gz"
                                                            : "x-images-idx3-ubyte", NULL);
  g_autofree char *labels_path = g_build_filename (dir, gz ? "x-labels-idx1-ubyte.gz"
                                                            : "x-labels-idx1-ubyte", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  guint64 n = 0;

  write_file (images_path, images, gz);
  write_file (labels_path, labels, gz);

  source = trb_sample_source_open (images_path, NULL, &error);
  if (source != NULL)
    {
      g_assert_false (read_all (source, 16, &n, NULL, &error));
    }
  g_assert_error (error, TRB_DATASET_ERROR, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (needle != NULL)
    g_assert_nonnull (strstr (error->message, needle));
  g_test_message ("%s: %s", name, error->message);
}

static void
test_idx_truncated (void)
{
  g_autoptr(GBytes) images = make_idx_images (20, 13, 4, 4);
  g_autoptr(GBytes) labels = make_idx_labels (20, 20, 3);
  g_autoptr(GBytes) short_labels = make_idx_labels (20, 19, 3);
  g_autoptr(GBytes) good_images = make_idx_images (20, 20, 4, 4);
  g_autoptr(GBytes) header_only = g_bytes_new ("\0\0\x08\x03\0\0", 6);

  /* Raw: caught from the file size before reading. */
  expect_error ("trunc-raw", images, labels, FALSE, TRB_DATASET_ERROR_TRUNCATED, "13");
  /* Compressed: caught while reading, with the sample number. */
  expect_error ("trunc-gz", images, labels, TRUE, TRB_DATASET_ERROR_TRUNCATED, "14 of 20");
  expect_error ("trunc-labels-gz", good_images, short_labels, TRUE, TRB_DATASET_ERROR_TRUNCATED,
                "20 of 20");
  expect_error ("trunc-header", header_only, labels, FALSE, TRB_DATASET_ERROR_TRUNCATED, NULL);
}

static void
test_idx_corrupt_gzip (void)
{
  g_autofree char *dir = test_dir ("corrupt-gz");
  g_autofree char *images = write_idx_pair (dir, "c", TRUE, 200, 8, 8, 5);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  guint64 n = 0;

  /* Flip bytes in the middle of the compressed stream. */
  g_assert_true (g_file_get_contents (images, &data, &len, NULL));
  for (gsize i = len / 2; i < len / 2 + 16 && i < len; i++)
    data[i] ^= 0x5a;
  g_assert_true (g_file_set_contents (images, data, len, NULL));

  source = trb_sample_source_open (images, NULL, &error);
  if (source != NULL)
    g_assert_false (read_all (source, 16, &n, NULL, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == TRB_DATASET_ERROR);
  g_test_message ("%s", error->message);
}

static void
test_idx_wrong_magic (void)
{
  g_autoptr(GBytes) images = g_bytes_new ("\x12\x34\x08\x03\0\0\0\1\0\0\0\1\0\0\0\1\x07", 17);
  g_autoptr(GBytes) floats = g_bytes_new ("\0\0\x0d\x03\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\0", 20);
  g_autoptr(GBytes) labels = make_idx_labels (1, 1, 2);
  g_autofree char *dir = test_dir ("magic");
  g_autofree char *path = g_build_filename (dir, "bad-images-idx3-ubyte", NULL);
  g_autoptr(GError) error = NULL;

  /* Not IDX at all: the format cannot be told. */
  write_file (path, images, FALSE);
  g_assert_null (trb_sample_source_open (path, NULL, &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT);
  g_clear_error (&error);

  /* IDX, but of floats. */
  expect_error ("floats", floats, labels, FALSE, TRB_DATASET_ERROR_FORMAT, "0 to 255");
}

static void
test_idx_counts_disagree (void)
{
  g_autoptr(GBytes) images = make_idx_images (10, 10, 2, 2);
  g_autoptr(GBytes) labels = make_idx_labels (9, 9, 2);

  /* The counts stand in brackets, away from the nouns, so that no plural form is needed. */
  expect_error ("disagree", images, labels, FALSE, TRB_DATASET_ERROR_MISMATCH,
                "(10) is not the number of labels");
  expect_error ("disagree-gz", images, labels, TRUE, TRB_DATASET_ERROR_MISMATCH,
                "(9). The two files");
}

static void
test_idx_huge_dimensions (void)
{
  /* Headers that declare gigantic data but hold a few bytes: refused before any allocation. */
  g_autoptr(GBytes) labels = make_idx_labels (5, 5, 2);
  g_autoptr(GBytes) huge_side = make_idx_images (5, 0, 100000, 100000);
  g_autoptr(GBytes) huge_sample = make_idx_images (5, 0, 16000, 16000);
  g_autoptr(GBytes) huge_count = make_idx_images (0xffffffffu, 0, 2, 2);
  g_autoptr(GBytes) huge_labels = make_idx_labels (0xffffffffu, 0, 2);
  g_autoptr(GBytes) small = make_idx_images (5, 5, 2, 2);

  expect_error ("huge-side", huge_side, labels, TRUE, TRB_DATASET_ERROR_TOO_LARGE, NULL);
  expect_error ("huge-sample", huge_sample, labels, TRUE, TRB_DATASET_ERROR_TOO_LARGE, NULL);
  expect_error ("huge-count", huge_count, labels, TRUE, TRB_DATASET_ERROR_TOO_LARGE, NULL);
  expect_error ("huge-labels", small, huge_labels, TRUE, TRB_DATASET_ERROR_TOO_LARGE, NULL);
}

static void
test_idx_trailing_data (void)
{
  g_autoptr(GBytes) images = make_idx_images (4, 5, 3, 3);
  g_autoptr(GBytes) labels = make_idx_labels (4, 4, 2);

  expect_error ("trailing-raw", images, labels, FALSE, TRB_DATASET_ERROR_FORMAT, "more data");
  expect_error ("trailing-gz", images, labels, TRUE, TRB_DATASET_ERROR_FORMAT, "more data");
}

static void
test_idx_garbage (void)
{
  g_autofree char *dir = test_dir ("garbage");
  g_autofree char *path = g_build_filename (dir, "noise-images-idx3-ubyte", NULL);
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (42);
  guint8 noise[4096];

  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = g_rand_int (rand);
  g_rand_free (rand);
  noise[0] = 0x17; /* not the IDX magic, not gzip */
  g_assert_true (g_file_set_contents (path, (const char *)noise, sizeof noise, NULL));

  g_assert_null (trb_sample_source_open (path, NULL, &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT);
  g_clear_error (&error);

  /* Garbage that starts like gzip. */
  noise[0] = 0x1f;
  noise[1] = 0x8b;
  g_assert_true (g_file_set_contents (path, (const char *)noise, sizeof noise, NULL));
  g_assert_null (trb_sample_source_open (path, NULL, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == TRB_DATASET_ERROR);
  g_test_message ("%s", error->message);
}

static void
test_idx_missing_labels (void)
{
  g_autofree char *dir = test_dir ("lonely");
  g_autofree char *images = write_idx_pair (dir, "l", FALSE, 3, 2, 2, 2);
  g_autofree char *labels = g_build_filename (dir, "l-labels-idx1-ubyte", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_unlink (labels), ==, 0);
  g_assert_null (trb_sample_source_open (images, NULL, &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "l-labels-idx1-ubyte"));
}

static void
test_idx_symlink_loop (void)
{
  g_autofree char *dir = test_dir ("loop");
  g_autofree char *a = g_build_filename (dir, "a-images-idx3-ubyte", NULL);
  g_autofree char *b = g_build_filename (dir, "b-images-idx3-ubyte", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (symlink (b, a), ==, 0);
  g_assert_cmpint (symlink (a, b), ==, 0);
  g_assert_null (trb_sample_source_open (a, NULL, &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE);
  g_assert_nonnull (strstr (error->message, "link"));
}

static void
test_idx_not_regular (void)
{
  g_autofree char *dir = test_dir ("fifo");
  g_autofree char *fifo = g_build_filename (dir, "f-images-idx3-ubyte", NULL);
  g_autoptr(GError) error = NULL;

  /* A FIFO would block a naive reader forever. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_null (trb_sample_source_open (fifo, NULL, &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT);
  g_clear_error (&error);

  g_assert_null (trb_sample_source_open ("/nonexistent/x-images-idx3-ubyte", NULL, &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND);
}

static void
test_idx_changes_while_read (void)
{
  g_autofree char *dir = test_dir ("changing");

  for (int gz = 0; gz <= 1; gz++)
    {
      g_autofree char *images = write_idx_pair (dir, gz ? "cz" : "cr", gz, 3000, 10, 10, 3);
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbSampleSource) source = trb_sample_source_open (images, NULL, &error);
      g_autoptr(TrbSampleBatch) batch = NULL;
      g_autoptr(GBytes) shorter = make_idx_images (3000, 100, 10, 10);
      int fd;

      g_assert_no_error (error);
      batch = trb_sample_batch_new (source, 10);
      g_assert_true (trb_sample_source_read (source, batch, NULL, &error));
      g_assert_cmpuint (batch->n, ==, 10);

      /* Another program rewrites the file in place while it is being read. */
      if (gz)
        {
          g_autoptr(GBytes) packed = gzip_bytes (shorter);
          fd = open (images, O_WRONLY | O_TRUNC);
          g_assert_cmpint (fd, >=, 0);
          g_assert_cmpint (write (fd, g_bytes_get_data (packed, NULL),
                                  g_bytes_get_size (packed)), ==, g_bytes_get_size (packed));
        }
      else
        {
          fd = open (images, O_WRONLY);
          g_assert_cmpint (fd, >=, 0);
          g_assert_cmpint (ftruncate (fd, 5000), ==, 0);
        }
      close (fd);

      while (trb_sample_source_read (source, batch, NULL, &error) && batch->n > 0)
        ;
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      /* Raw files: the shrink is noticed as a change. Compressed ones may also be damaged. */
      if (!gz)
        g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_CHANGED);
      else
        g_assert_true (error->domain == TRB_DATASET_ERROR);
    }
}

static void
test_idx_streams_cannot_rewind (void)
{
  g_autoptr(GBytes) images = make_idx_images (3, 3, 2, 2);
  g_autoptr(GBytes) labels = make_idx_labels (3, 3, 2);
  g_autoptr(GInputStream) is = g_memory_input_stream_new_from_bytes (images);
  g_autoptr(GInputStream) ls = g_memory_input_stream_new_from_bytes (labels);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbIdxReader) reader = trb_idx_reader_new_for_streams (is, ls, &error);
  guint64 n = 0;

  g_assert_no_error (error);
  g_assert_true (read_all (TRB_SAMPLE_SOURCE (reader), 2, &n, NULL, &error));
  g_assert_cmpuint (n, ==, 3);
  g_assert_false (trb_sample_source_rewind (TRB_SAMPLE_SOURCE (reader), &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/idx/fashion/train", test_idx_fashion_train);
  g_test_add_func ("/idx/fashion/test", test_idx_fashion_test);
  g_test_add_func ("/idx/fashion/labels-path", test_idx_fashion_from_labels_path);
  g_test_add_func ("/idx/demo-shard", test_idx_demo_shard);
  g_test_add_func ("/idx/fixture/values", test_idx_fixture_values);
  g_test_add_func ("/idx/malformed/truncated", test_idx_truncated);
  g_test_add_func ("/idx/malformed/corrupt-gzip", test_idx_corrupt_gzip);
  g_test_add_func ("/idx/malformed/wrong-magic", test_idx_wrong_magic);
  g_test_add_func ("/idx/malformed/counts-disagree", test_idx_counts_disagree);
  g_test_add_func ("/idx/malformed/huge-dimensions", test_idx_huge_dimensions);
  g_test_add_func ("/idx/malformed/trailing-data", test_idx_trailing_data);
  g_test_add_func ("/idx/malformed/garbage", test_idx_garbage);
  g_test_add_func ("/idx/malformed/missing-labels", test_idx_missing_labels);
  g_test_add_func ("/idx/malformed/symlink-loop", test_idx_symlink_loop);
  g_test_add_func ("/idx/malformed/not-regular", test_idx_not_regular);
  g_test_add_func ("/idx/malformed/changes-while-read", test_idx_changes_while_read);
  g_test_add_func ("/idx/streams", test_idx_streams_cannot_rewind);

  return g_test_run ();
}

/* test-image-folder.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <unistd.h>

#include "datasets/trb-data-schema.h"
#include "datasets/trb-dataset-report.h"
#include "datasets/trb-image-folder-reader.h"

#include "dataset-fixtures.h"

/* A picture filled with one colour. */
static void
save_picture (const char *dir,
              const char *name,
              const char *type,
              int         w,
              int         h,
              guint8      r,
              guint8      g,
              guint8      b)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_fill (pixbuf, ((guint32)r << 24) | ((guint32)g << 16) | ((guint32)b << 8) | 0xff);
  g_mkdir_with_parents (dir, 0700);
  gdk_pixbuf_save (pixbuf, path, type, &error, NULL);
  g_assert_no_error (error);
}

/* root/circle: 3 red 32×32 PNGs; root/square: 2 grey 28×28 PNGs and one JPEG, plus problems. */
static char *
make_folder (gboolean with_problems)
{
  g_autofree char *root = test_dir (with_problems ? "pictures-bad" : "pictures");
  g_autofree char *circle = g_build_filename (root, "circle", NULL);
  g_autofree char *square = g_build_filename (root, "square", NULL);
  g_autofree char *notes = NULL;

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("c%d.png", i);
      save_picture (circle, name, "png", 32, 32, 200, 0, 0);
    }
  save_picture (square, "s0.png", "png", 28, 28, 100, 100, 100);
  save_picture (square, "s1.png", "png", 28, 28, 100, 100, 100);
  save_picture (square, "s2.jpg", "jpeg", 28, 28, 100, 100, 100);
  /* Not a picture by name: ignored. */
  notes = g_build_filename (square, "notes.txt", NULL);
  g_assert_true (g_file_set_contents (notes, "hi", -1, NULL));

  if (with_problems)
    {
      g_autofree char *garbage = g_build_filename (square, "broken.png", NULL);
      g_autofree char *loop_a = g_build_filename (circle, "loop-a.png", NULL);
      g_autofree char *loop_b = g_build_filename (circle, "loop-b.png", NULL);
      g_autofree char *up = g_build_filename (circle, "up", NULL);

      g_autofree char *whole = NULL;
      g_autofree char *cut = g_build_filename (square, "cut.png", NULL);
      g_autofree char *whole_path = g_build_filename (square, "whole.png", NULL);
      gsize whole_len = 0;

      g_assert_true (g_file_set_contents (garbage, "\x89PNG\r\n\x1a\n garbage", -1, NULL));
      /* A real picture cut short: decoders would give a half-drawn picture. */
      save_picture (square, "whole.png", "png", 28, 28, 10, 20, 30);
      g_assert_true (g_file_get_contents (whole_path, &whole, &whole_len, NULL));
      g_assert_true (g_file_set_contents (cut, whole, whole_len - 20, NULL));
      g_unlink (whole_path);
      g_assert_cmpint (symlink (loop_b, loop_a), ==, 0);
      g_assert_cmpint (symlink (loop_a, loop_b), ==, 0);
      /* A folder link back to the top: must not be followed into a loop. */
      g_assert_cmpint (symlink (root, up), ==, 0);
    }

  return g_steal_pointer (&root);
}

static void
test_folder_reads_and_converts (void)
{
  g_autofree char *root = make_folder (FALSE);
  g_autoptr(GError) error = NULL;
  TrbDatasetOptions options = { 0 };
  g_autoptr(TrbSampleSource) source = NULL;
  g_autoptr(TrbSampleBatch) batch = NULL;
  const char * const *names;
  guint counts[2] = { 0, 0 };
  guint n = 0;

  options.channels = 1;
  options.height = 28;
  options.width = 28;
  source = trb_sample_source_open (root, &options, &error);
  g_assert_no_error (error);
  g_assert_true (TRB_IS_IMAGE_FOLDER_READER (source));
  g_assert_cmpint (trb_sample_source_get_n_samples (source), ==, 6);

  names = trb_sample_source_get_class_names (source);
  g_assert_cmpstr (names[0], ==, "circle");
  g_assert_cmpstr (names[1], ==, "square");
  g_assert_null (names[2]);

  batch = trb_sample_batch_new (source, 4);
  while (trb_sample_source_read (source, batch, NULL, &error) && batch->n > 0)
    for (guint i = 0; i < batch->n; i++, n++)
      {
        const guint8 *pixel = batch->u8 + i * batch->sample_len;
        int label = batch->labels[i];

        counts[label]++;
        /* Red (200,0,0) is luminance 0.299 × 200 ≈ 60; grey 100 stays 100 (JPEG: ±3). */
        if (label == 0)
          g_assert_cmpint (ABS ((int)pixel[0] - 60), <=, 1);
        else
          g_assert_cmpint (ABS ((int)pixel[14 * 28 + 14] - 100), <=, 3);
      }
  g_assert_no_error (error);
  for (guint i = 0; i < trb_sample_source_get_problems (source)->len; i++)
    g_test_message ("%s", (char *)g_ptr_array_index (trb_sample_source_get_problems (source), i));
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpuint (counts[0], ==, 3);
  g_assert_cmpuint (counts[1], ==, 3);
  g_assert_cmpuint (trb_sample_source_get_skipped (source), ==, 0);

  /* The original sizes are counted for the schema check. */
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (
    trb_image_folder_reader_get_size_counts (TRB_IMAGE_FOLDER_READER (source)), "32x32")), ==, 3);
  g_assert_cmpuint (trb_image_folder_reader_get_n_colour (TRB_IMAGE_FOLDER_READER (source)), ==,
                    3);
}

static void
test_folder_problems_skipped (void)
{
  g_autofree char *root = make_folder (TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) salt = test_salt (1);
  g_autoptr(TrbDatasetReport) report = NULL;
  GPtrArray *problems;
  gboolean saw_loop = FALSE;
  gboolean saw_broken = FALSE;
  gboolean saw_cut = FALSE;

  report = trb_dataset_scan (root, NULL, salt, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_dataset_report_get_n_samples (report), ==, 6);
  g_assert_cmpuint (trb_dataset_report_get_n_skipped (report), ==, 4);

  problems = trb_dataset_report_get_problems (report);
  for (guint i = 0; i < problems->len; i++)
    {
      const char *problem = g_ptr_array_index (problems, i);
      g_test_message ("%s", problem);
      saw_loop |= strstr (problem, "loop-a.png") != NULL && strstr (problem, "link") != NULL;
      saw_broken |= strstr (problem, "broken.png") != NULL;
      saw_cut |= strstr (problem, "cut.png") != NULL && strstr (problem, "incomplete") != NULL;
    }
  g_assert_true (saw_loop);
  g_assert_true (saw_broken);
  g_assert_true (saw_cut);

  /* Thumbnails: one per picture read here (under the per-class limit). */
  g_assert_cmpuint (trb_dataset_report_get_thumbnails (report)->len, ==, 6);
}

static void
test_folder_schema_check (void)
{
  g_autofree char *root = make_folder (FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) salt = test_salt (2);
  g_autoptr(TrbDataSchema) schema = NULL;
  g_autoptr(TrbDatasetReport) report = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  TrbDatasetOptions options = { 0 };
  TrbSchemaVerdict verdict;
  gboolean saw_resize = FALSE;
  gboolean saw_colour = FALSE;

  schema = trb_data_schema_new_from_json ("{\"type\":\"image\",\"input_shape\":[1,28,28],"
                                          "\"classes\":3,"
                                          "\"class_names\":[\"circle\",\"square\",\"star\"]}",
                                          -1, &error);
  g_assert_no_error (error);
  trb_data_schema_fill_options (schema, TRB_DATASET_FORMAT_IMAGE_FOLDER, &options);
  report = trb_dataset_scan (root, &options, salt, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  verdict = trb_data_schema_check (schema, report, &problems);
  g_assert_cmpint (verdict, ==, TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES);
  for (guint i = 0; i < problems->len; i++)
    {
      const char *problem = g_ptr_array_index (problems, i);
      g_test_message ("%s", problem);
      saw_resize |= strstr (problem, "3 pictures are 32×32") != NULL &&
                    strstr (problem, "28×28") != NULL;
      saw_colour |= strstr (problem, "3 pictures are in colour") != NULL;
    }
  g_assert_true (saw_resize);
  g_assert_true (saw_colour);
}

static void
add_picture_cb (double   fraction,
                guint64  samples,
                gpointer user_data)
{
  /* Another program drops a new picture into the folder while it is being read. */
  save_picture (user_data, "late.png", "png", 28, 28, 1, 2, 3);
}

static void
test_folder_changes_while_read (void)
{
  g_autofree char *root = make_folder (FALSE);
  g_autofree char *square = g_build_filename (root, "square", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) salt = test_salt (3);
  g_autoptr(TrbDatasetReport) report = NULL;

  report = trb_dataset_scan (root, NULL, salt, add_picture_cb, square, NULL, &error);
  g_assert_null (report);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_CHANGED);
  g_test_message ("%s", error->message);
}

static void
test_folder_empty (void)
{
  g_autofree char *root = test_dir ("empty-pictures");
  g_autofree char *sub = g_build_filename (root, "class", NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (sub, 0700);
  g_assert_null (trb_sample_source_open (root, NULL, &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/image-folder/read-convert", test_folder_reads_and_converts);
  g_test_add_func ("/image-folder/malformed/problems", test_folder_problems_skipped);
  g_test_add_func ("/image-folder/schema", test_folder_schema_check);
  g_test_add_func ("/image-folder/malformed/empty", test_folder_empty);
  g_test_add_func ("/image-folder/malformed/changes-while-read", test_folder_changes_while_read);

  return g_test_run ();
}

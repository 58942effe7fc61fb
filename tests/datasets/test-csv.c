/* test-csv.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "datasets/trb-csv-reader.h"
#include "datasets/trb-sample-source.h"

#include "dataset-fixtures.h"

static char *
write_text (const char *name,
            const char *text)
{
  g_autofree char *dir = test_dir ("csv");
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static TrbSampleSource *
open_csv (const char   *text,
          TrbCsvPolicy  policy,
          const char   *label_column,
          GError      **error)
{
  g_autofree char *path = write_text ("t.csv", text);
  TrbDatasetOptions options = { 0 };

  options.csv_policy = policy;
  options.label_column = label_column;
  return trb_sample_source_open (path, &options, error);
}

static guint
read_rows (TrbSampleSource *source,
           float           *values,
           int             *labels,
           guint            max,
           GError         **error)
{
  g_autoptr(TrbSampleBatch) batch = trb_sample_batch_new (source, 2);
  gsize len = batch->sample_len;
  guint n = 0;

  while (trb_sample_source_read (source, batch, NULL, error) && batch->n > 0)
    {
      for (guint i = 0; i < batch->n; i++, n++)
        {
          g_assert_cmpuint (n, <, max);
          memcpy (values + n * len, batch->f32 + i * len, len * sizeof (float));
          labels[n] = batch->labels[i];
        }
    }
  return n;
}

static void
test_csv_basic (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  float values[16];
  int labels[8];
  guint n;

  /* The label column is found by name, wherever it is; CRLF, quotes and spaces are fine. */
  source = open_csv ("a,label,b\r\n1.5, 0 ,-2\r\n\"3\",2,4e2\r\n\n0.25,1,\" 7 \"\r\n",
                     TRB_CSV_POLICY_FAIL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_sample_source_get_shape (source)->width, ==, 2);
  g_assert_cmpint (trb_sample_source_get_shape (source)->type, ==, TRB_SAMPLE_TYPE_F32);

  n = read_rows (source, values, labels, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpfloat (values[0], ==, 1.5f);
  g_assert_cmpfloat (values[1], ==, -2.0f);
  g_assert_cmpfloat (values[2], ==, 3.0f);
  g_assert_cmpfloat (values[3], ==, 400.0f);
  g_assert_cmpfloat (values[4], ==, 0.25f);
  g_assert_cmpfloat (values[5], ==, 7.0f);
  g_assert_cmpint (labels[0], ==, 0);
  g_assert_cmpint (labels[1], ==, 2);
  g_assert_cmpint (labels[2], ==, 1);
  g_assert_cmpuint (trb_csv_reader_get_preview (TRB_CSV_READER (source))->len, ==, 3);

  /* A second epoch gives the same rows. */
  g_assert_true (trb_sample_source_rewind (source, &error));
  g_assert_cmpuint (read_rows (source, values, labels, 8, &error), ==, 3);
  g_assert_no_error (error);
}

static void
test_csv_named_labels_and_column (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  float values[16];
  int labels[8];
  const char * const *names;

  source = open_csv ("kind;x;y\ncat;1;2\ndog;3;4\ncat;5;6\n", TRB_CSV_POLICY_FAIL, "kind",
                     &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_rows (source, values, labels, 8, &error), ==, 3);
  g_assert_no_error (error);
  g_assert_cmpint (labels[0], ==, 0);
  g_assert_cmpint (labels[1], ==, 1);
  g_assert_cmpint (labels[2], ==, 0);
  names = trb_sample_source_get_class_names (source);
  g_assert_cmpstr (names[0], ==, "cat");
  g_assert_cmpstr (names[1], ==, "dog");
  g_assert_null (names[2]);

  g_clear_object (&source);
  source = open_csv ("x,y\n1,2\n", TRB_CSV_POLICY_FAIL, "nope", &error);
  g_assert_null (source);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "nope"));
}

static const char *bad_table =
  "f1,f2,label\n"
  "1,2,0\n"          /* line 2: fine */
  "1,2\n"            /* line 3: ragged */
  "1,,1\n"           /* line 4: missing */
  "1,abc,1\n"        /* line 5: not a number */
  "1,nan,1\n"        /* line 6: not a finite number */
  "1,2,\n"           /* line 7: no label */
  "1,2,\"open\n"     /* line 8: unclosed quote */
  "3,4,1\n";         /* line 9: fine */

static void
test_csv_bad_rows_skip (void)
{
  static const char * const expected[] = {
    "line 3", "line 4", "line 5", "line 6", "line 7", "line 8",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  GPtrArray *problems;
  float values[16];
  int labels[8];

  source = open_csv (bad_table, TRB_CSV_POLICY_SKIP_ROW, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_rows (source, values, labels, 8, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_cmpfloat (values[2], ==, 3.0f);
  g_assert_cmpint (labels[1], ==, 1);
  g_assert_cmpuint (trb_sample_source_get_skipped (source), ==, 6);

  problems = trb_sample_source_get_problems (source);
  g_assert_cmpuint (problems->len, ==, 6);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const char *problem = g_ptr_array_index (problems, i);
      g_test_message ("%s", problem);
      g_assert_true (g_str_has_prefix (problem, expected[i]));
    }
  g_assert_nonnull (strstr (g_ptr_array_index (problems, 0), "2 values"));
  g_assert_nonnull (strstr (g_ptr_array_index (problems, 1), "missing"));
  g_assert_nonnull (strstr (g_ptr_array_index (problems, 2), "abc"));
}

static void
test_csv_bad_rows_fail (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  float values[16];
  int labels[8];

  source = open_csv (bad_table, TRB_CSV_POLICY_FAIL, NULL, &error);
  g_assert_no_error (error);
  read_rows (source, values, labels, 8, &error);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_BAD_ROW);
  g_assert_nonnull (strstr (error->message, "line 3"));
}

static void
test_csv_garbage (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = test_dir ("csv-garbage");
  g_autofree char *path = g_build_filename (dir, "noise.csv", NULL);
  GRand *rand = g_rand_new_with_seed (7);
  guint8 noise[8192];
  g_autoptr(TrbSampleSource) source = NULL;

  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = g_rand_int (rand);
  g_rand_free (rand);
  noise[0] = 'x';
  g_assert_true (g_file_set_contents (path, (const char *)noise, sizeof noise, NULL));

  source = trb_sample_source_open (path, NULL, &error);
  if (source != NULL)
    {
      float values[4];
      int labels[4];
      read_rows (source, values, labels, 4, &error);
    }
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT);
  g_test_message ("%s", error->message);
}

static void
test_csv_endless_line (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = test_dir ("csv-long");
  g_autofree char *path = g_build_filename (dir, "long.csv", NULL);
  gsize len = TRB_DATASET_MAX_CSV_LINE + 4096;
  g_autofree char *text = g_malloc (len + 1);
  g_autoptr(TrbSampleSource) source = NULL;

  /* A header, then one "line" longer than the limit without a line break. */
  memset (text, '1', len);
  memcpy (text, "a,b\n", 4);
  text[len] = '\0';
  g_assert_true (g_file_set_contents (path, text, len, NULL));

  source = trb_sample_source_open (path, NULL, &error);
  g_assert_no_error (error);
  {
    float values[4];
    int labels[4];
    read_rows (source, values, labels, 4, &error);
  }
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "Line 2"));
}

static void
test_csv_empty_and_narrow (void)
{
  g_autoptr(GError) error = NULL;
  TrbSampleSource *source;

  source = open_csv ("", TRB_CSV_POLICY_FAIL, NULL, &error);
  g_assert_null (source);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY);
  g_clear_error (&error);

  source = open_csv ("\n  \n", TRB_CSV_POLICY_FAIL, NULL, &error);
  g_assert_null (source);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY);
  g_clear_error (&error);

  source = open_csv ("label\n1\n", TRB_CSV_POLICY_FAIL, NULL, &error);
  g_assert_null (source);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT);
}

static void
test_csv_gzip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = test_dir ("csv-gz");
  g_autofree char *path = g_build_filename (dir, "t.csv.gz", NULL);
  g_autoptr(GBytes) text = g_bytes_new_static ("x,label\n1,0\n2,1\n", 16);
  g_autoptr(TrbSampleSource) source = NULL;
  float values[4];
  int labels[4];

  write_file (path, text, TRUE);
  source = trb_sample_source_open (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_rows (source, values, labels, 4, &error), ==, 2);
  g_assert_cmpfloat (values[1], ==, 2.0f);
}

static void
test_csv_changes_while_read (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new ("x,label\n");
  g_autofree char *path = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  g_autoptr(TrbSampleBatch) batch = NULL;
  int fd;

  for (guint i = 0; i < 50000; i++)
    g_string_append_printf (text, "%u,%u\n", i, i % 3);
  path = write_text ("grow.csv", text->str);

  source = trb_sample_source_open (path, NULL, &error);
  g_assert_no_error (error);
  batch = trb_sample_batch_new (source, 100);
  g_assert_true (trb_sample_source_read (source, batch, NULL, &error));
  g_assert_cmpuint (batch->n, ==, 100);

  /* Another program appends while we read. */
  fd = open (path, O_WRONLY | O_APPEND);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "1,1\n", 4), ==, 4);
  close (fd);

  while (trb_sample_source_read (source, batch, NULL, &error) && batch->n > 0)
    ;
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_CHANGED);
}

static void
test_csv_stream_many_columns (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(TrbCsvReader) reader = NULL;

  /* More columns than the limit: refused, not allocated. */
  for (guint i = 0; i <= TRB_DATASET_MAX_CSV_COLUMNS; i++)
    g_string_append (text, i ? ",c" : "c");
  g_string_append_c (text, '\n');
  stream = g_memory_input_stream_new_from_data (g_strdup (text->str), text->len, g_free);
  reader = trb_csv_reader_new_for_stream (stream, NULL, &error);
  g_assert_null (reader);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/csv/basic", test_csv_basic);
  g_test_add_func ("/csv/named-labels", test_csv_named_labels_and_column);
  g_test_add_func ("/csv/gzip", test_csv_gzip);
  g_test_add_func ("/csv/malformed/skip-rows", test_csv_bad_rows_skip);
  g_test_add_func ("/csv/malformed/fail-rows", test_csv_bad_rows_fail);
  g_test_add_func ("/csv/malformed/garbage", test_csv_garbage);
  g_test_add_func ("/csv/malformed/endless-line", test_csv_endless_line);
  g_test_add_func ("/csv/malformed/empty", test_csv_empty_and_narrow);
  g_test_add_func ("/csv/malformed/changes-while-read", test_csv_changes_while_read);
  g_test_add_func ("/csv/malformed/many-columns", test_csv_stream_many_columns);

  return g_test_run ();
}

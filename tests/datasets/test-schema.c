/* test-schema.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "datasets/trb-data-schema.h"

#include "dataset-fixtures.h"

static const char *fashion_schema =
  "{\"type\":\"image\",\"input_shape\":[1,28,28],\"classes\":10,"
  "\"class_names\":[\"T-shirt/top\",\"Trouser\",\"Pullover\",\"Dress\",\"Coat\",\"Sandal\","
  "\"Shirt\",\"Sneaker\",\"Bag\",\"Ankle boot\"],\"value_range\":[0,255],\"future\":true}";

static void
test_schema_parse_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbDataSchema) schema = trb_data_schema_new_from_json (fashion_schema, -1, &error);
  double lo, hi;

  g_assert_no_error (error);
  g_assert_cmpint (trb_data_schema_get_kind (schema), ==, TRB_DATA_KIND_IMAGE);
  g_assert_cmpuint (trb_data_schema_get_shape (schema)->channels, ==, 1);
  g_assert_cmpuint (trb_data_schema_get_shape (schema)->height, ==, 28);
  g_assert_cmpuint (trb_data_schema_get_n_classes (schema), ==, 10);
  g_assert_cmpstr (trb_data_schema_get_class_names (schema)[9], ==, "Ankle boot");
  g_assert_true (trb_data_schema_get_value_range (schema, &lo, &hi));
  g_assert_cmpfloat (hi, ==, 255);
}

static void
test_schema_rejects (void)
{
  static const char * const bad[] = {
    "",
    "[]",
    "{\"type\":\"image\"}",
    "{\"type\":\"sound\",\"input_shape\":[1],\"classes\":2}",
    "{\"type\":\"image\",\"input_shape\":[1,28],\"classes\":2}",
    "{\"type\":\"image\",\"input_shape\":[2,28,28],\"classes\":2}",
    "{\"type\":\"image\",\"input_shape\":[1,99999999,28],\"classes\":2}",
    "{\"type\":\"image\",\"input_shape\":[1,-28,28],\"classes\":2}",
    "{\"type\":\"image\",\"input_shape\":[4,16384,16384],\"classes\":2}",
    "{\"type\":\"image\",\"input_shape\":[1,28,28],\"classes\":0}",
    "{\"type\":\"image\",\"input_shape\":[1,28,28],\"classes\":1e12}",
    "{\"type\":\"image\",\"input_shape\":[1,28,28],\"classes\":2,\"class_names\":[\"a\"]}",
    "{\"type\":\"image\",\"input_shape\":[1,28,28],\"classes\":1,\"class_names\":[3]}",
    "{\"type\":\"tabular\",\"input_shape\":[4],\"classes\":2,\"value_range\":[1,0]}",
    "{\"type\":\"tabular\",\"input_shape\":[4.5],\"classes\":2}",
  };
  g_autofree char *huge = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      TrbDataSchema *schema = trb_data_schema_new_from_json (bad[i], -1, &error);
      g_assert_null (schema);
      g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_SCHEMA);
      g_test_message ("%s → %s", bad[i], error->message);
      g_clear_error (&error);
    }

  /* Over the size limit, even though valid JSON. */
  huge = g_strdup_printf ("{\"type\":\"tabular\",\"input_shape\":[3],\"classes\":2,\"x\":\"%*s\"}",
                          TRB_DATA_SCHEMA_MAX_JSON, "");
  g_assert_null (trb_data_schema_new_from_json (huge, -1, &error));
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_SCHEMA);
}

static TrbDatasetReport *
scan (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) salt = test_salt (9);
  TrbDatasetReport *report = trb_dataset_scan (path, NULL, salt, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  return report;
}

static TrbSchemaVerdict
check (const char *json,
       TrbDatasetReport *report,
       const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbDataSchema) schema = trb_data_schema_new_from_json (json, -1, &error);
  g_autoptr(GPtrArray) problems = NULL;
  TrbSchemaVerdict verdict;
  gboolean found = needle == NULL;

  g_assert_no_error (error);
  verdict = trb_data_schema_check (schema, report, &problems);
  for (guint i = 0; i < problems->len; i++)
    {
      g_test_message ("%s", (const char *)g_ptr_array_index (problems, i));
      if (needle != NULL && strstr (g_ptr_array_index (problems, i), needle) != NULL)
        found = TRUE;
    }
  g_assert_true (found);
  return verdict;
}

static void
test_schema_check_idx (void)
{
  g_autoptr(TrbDatasetReport) fashion = scan (FASHION_DIR "/t10k-images-idx3-ubyte.gz");
  g_autofree char *dir = test_dir ("schema-idx");
  g_autofree char *small = write_idx_pair (dir, "s", FALSE, 40, 32, 32, 12);
  g_autoptr(TrbDatasetReport) odd = scan (small);

  g_assert_cmpint (check (fashion_schema, fashion, NULL), ==, TRB_SCHEMA_VERDICT_USABLE);

  /* IDX pictures cannot be resized on the fly: wrong size is unusable. */
  g_assert_cmpint (check (fashion_schema, odd, "32×32; this network needs 28×28"), ==,
                   TRB_SCHEMA_VERDICT_UNUSABLE);

  /* Labels 10 and 11 are unknown to a 10-class network: those samples are left out. */
  g_assert_cmpint (check ("{\"type\":\"image\",\"input_shape\":[1,32,32],\"classes\":10}", odd,
                          "6 samples have labels"), ==,
                   TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES);

  g_assert_cmpint (check ("{\"type\":\"tabular\",\"input_shape\":[784],\"classes\":10}", fashion,
                          "tables of numbers"), ==, TRB_SCHEMA_VERDICT_UNUSABLE);
}

static void
test_schema_check_csv (void)
{
  g_autofree char *dir = test_dir ("schema-csv");
  g_autofree char *path = g_build_filename (dir, "t.csv", NULL);
  g_autoptr(TrbDatasetReport) report = NULL;

  g_assert_true (g_file_set_contents (path, "a,b,label\n0.5,2,0\n-3,0.1,1\nx,1,1\n", -1, NULL));
  report = scan (path);
  g_assert_cmpuint (trb_dataset_report_get_n_samples (report), ==, 2);

  g_assert_cmpint (check ("{\"type\":\"tabular\",\"input_shape\":[2],\"classes\":2,"
                          "\"value_range\":[0,1]}", report, "from -3 to 2"), ==,
                   TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES);
  g_assert_cmpint (check ("{\"type\":\"tabular\",\"input_shape\":[3],\"classes\":2}", report,
                          "2 columns"), ==, TRB_SCHEMA_VERDICT_UNUSABLE);
  g_assert_cmpint (check ("{\"type\":\"image\",\"input_shape\":[1,2,2],\"classes\":2}", report,
                          "pictures"), ==, TRB_SCHEMA_VERDICT_UNUSABLE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/schema/parse", test_schema_parse_roundtrip);
  g_test_add_func ("/schema/malformed", test_schema_rejects);
  g_test_add_func ("/schema/check-idx", test_schema_check_idx);
  g_test_add_func ("/schema/check-csv", test_schema_check_csv);

  return g_test_run ();
}

/* test-model-spec.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Model spec parsing and shape inference, seeded initialisation, safetensors reading and
 * writing (including damaged files) and the federated helpers.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"

static void
test_paper_models (void)
{
  struct { const char *json; gsize params; int classes; guint layers; } cases[] = {
    { trb_model_spec_json_2nn (), 784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10, 10, 5 },
    { trb_model_spec_json_fedavg_cnn (), 1663370, 10, 10 },
    { trb_model_spec_json_niid_cnn (), 44426, 10, 12 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (cases[i].json, -1, &error);
      g_autoptr(TrbWeights) w = NULL;

      g_assert_no_error (error);
      g_assert_cmpuint (trb_model_spec_get_n_parameters (spec), ==, cases[i].params);
      g_assert_cmpint (trb_model_spec_get_n_classes (spec), ==, cases[i].classes);
      g_assert_cmpuint (trb_model_spec_get_n_layers (spec), ==, cases[i].layers);
      g_assert_cmpuint (trb_model_spec_get_input_size (spec), ==, 784);
      w = trb_model_spec_init_weights (spec, 1);
      g_assert_cmpuint (trb_weights_get_total_elements (w), ==, cases[i].params);
    }
}

static void
test_shapes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbModelSpec) spec =
    trb_model_spec_new_from_json (trb_model_spec_json_fedavg_cnn (), -1, &error);
  const TrbLayer *l;

  g_assert_no_error (error);
  l = trb_model_spec_get_layer (spec, 0);
  g_assert_cmpint (l->out_c, ==, 32);
  g_assert_cmpint (l->out_h, ==, 28);
  l = trb_model_spec_get_layer (spec, 5);
  g_assert_cmpint (l->kind, ==, TRB_LAYER_MAXPOOL2D);
  g_assert_cmpint (l->out_c * l->out_h * l->out_w, ==, 64 * 7 * 7);
  l = trb_model_spec_get_layer (spec, 7);
  g_assert_cmpstr (l->name, ==, "fc1");
  g_assert_cmpint (l->in_c, ==, 3136);

  /* Stride and padding: (13 + 2·1 − 3)/2 + 1 = 7. */
  {
    g_autoptr(TrbModelSpec) s = trb_model_spec_new_from_json (
      "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[3,13,11]},"
      "\"layers\":[{\"type\":\"conv2d\",\"filters\":5,\"kernel\":3,\"stride\":2,\"padding\":1},"
      "{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":3}],"
      "\"loss\":\"softmax_cross_entropy\"}", -1, &error);
    g_assert_no_error (error);
    l = trb_model_spec_get_layer (s, 0);
    g_assert_cmpint (l->out_h, ==, 7);
    g_assert_cmpint (l->out_w, ==, 6);
    g_assert_cmpstr (l->name, ==, "layers.0");
    g_assert_cmpint (trb_model_spec_get_input_type (s), ==, TRB_FEATURE_F32);
  }
}

static void
test_bad_specs (void)
{
  struct { const char *json; const char *needle; } cases[] = {
    { "not json", "not valid JSON" },
    { "[]", "not a JSON object" },
    { "{\"format\":\"x\",\"version\":1}", "format" },
    { "{\"format\":\"tributary-model\",\"version\":2}", "version 2" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[784]},"
      "\"layers\":[{\"type\":\"conv2d\",\"filters\":3,\"kernel\":3}],"
      "\"loss\":\"softmax_cross_entropy\"}", "flat" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[1,8,8]},"
      "\"layers\":[{\"type\":\"dense\",\"units\":3}],\"loss\":\"softmax_cross_entropy\"}",
      "flatten" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[1,4,4]},"
      "\"layers\":[{\"type\":\"conv2d\",\"filters\":3,\"kernel\":5},{\"type\":\"flatten\"}],"
      "\"loss\":\"softmax_cross_entropy\"}", "larger than its input" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[4]},"
      "\"layers\":[{\"type\":\"softmax\"}],\"loss\":\"softmax_cross_entropy\"}", "unknown type" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[4]},"
      "\"layers\":[{\"type\":\"dense\",\"units\":-3}],\"loss\":\"softmax_cross_entropy\"}",
      "between" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[4]},"
      "\"layers\":[{\"type\":\"dense\",\"units\":3}],\"loss\":\"mse\"}", "loss" },
    /* A member of another JSON type where a string belongs. */
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[4],\"dtype\":1},"
      "\"layers\":[{\"type\":\"dense\",\"units\":3}],\"loss\":\"softmax_cross_entropy\"}",
      "input type" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[4]},"
      "\"layers\":[{\"type\":\"dense\",\"units\":3}],\"loss\":7}", "loss" },
    { "{\"format\":7,\"version\":1}", "format" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[4]},"
      "\"layers\":[{\"type\":\"dropout\",\"rate\":1.5},{\"type\":\"dense\",\"units\":3}],"
      "\"loss\":\"softmax_cross_entropy\"}", "rate" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[65536]},"
      "\"layers\":[{\"type\":\"dense\",\"units\":65536}],\"loss\":\"softmax_cross_entropy\"}",
      "parameters" },
    { "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[1,9,9]},"
      "\"layers\":[{\"type\":\"conv2d\",\"filters\":2,\"kernel\":4,\"padding\":\"same\"},"
      "{\"type\":\"flatten\"}],\"loss\":\"softmax_cross_entropy\"}", "odd kernel" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (cases[i].json, -1, &error);

      g_assert_null (spec);
      g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_SPEC);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("case %u: “%s” lacks “%s”", i, error->message, cases[i].needle);
    }
}

static void
test_init_deterministic (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_niid_cnn (),
                                                                -1, NULL);
  g_autoptr(TrbWeights) a = trb_model_spec_init_weights (spec, 42);
  g_autoptr(TrbWeights) b = trb_model_spec_init_weights (spec, 42);
  g_autoptr(TrbWeights) c = trb_model_spec_init_weights (spec, 43);
  g_autofree char *ha = trb_weights_content_address (a);
  g_autofree char *hb = trb_weights_content_address (b);
  g_autofree char *hc = trb_weights_content_address (c);
  double bound = 1.0 / sqrt (25.0), mean = 0, max = 0;
  gsize n = trb_weights_get_n_elements (a, 0);
  const float *w0 = trb_weights_get_data (a, 0);

  g_assert_cmpstr (ha, ==, hb);
  g_assert_cmpstr (ha, !=, hc);
  /* conv1.weight: fan-in 25, so U(−0.2, 0.2): bounded, roughly centred and spread. */
  for (gsize k = 0; k < n; k++)
    {
      mean += w0[k] / n;
      max = MAX (max, fabs (w0[k]));
    }
  g_assert_cmpfloat (max, <=, bound);
  g_assert_cmpfloat (max, >, 0.9 * bound);
  g_assert_cmpfloat (fabs (mean), <, 0.05);
}

static TrbWeights *
make_small (void)
{
  TrbWeights *w = trb_weights_new ();
  float *a = trb_weights_add (w, "a.weight", 2, (gsize[]) { 3, 5 });
  float *b = trb_weights_add (w, "a.bias", 1, (gsize[]) { 3 });

  for (int i = 0; i < 15; i++)
    a[i] = (float) (i * 0.25 - 1.0);
  for (int i = 0; i < 3; i++)
    b[i] = (float) (i + 0.5);
  return w;
}

static void
test_safetensors_round_trip (void)
{
  g_autoptr(TrbWeights) w = make_small ();
  g_autoptr(TrbWeights) back = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) bytes2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "w.safetensors", NULL);
  guint64 header_len;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  trb_weights_set_metadata (w, "epoch", "3");
  bytes = trb_weights_to_safetensors (w);
  memcpy (&header_len, g_bytes_get_data (bytes, NULL), 8);
  g_assert_cmpuint ((8 + header_len) % 8, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 8 + header_len + 18 * 4);

  back = trb_weights_new_from_safetensors (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_weights_get_n_tensors (back), ==, 2);
  g_assert_cmpstr (trb_weights_get_name (back, 1), ==, "a.bias");
  g_assert_cmpstr (trb_weights_get_metadata (back, "epoch"), ==, "3");
  g_assert_cmpfloat (trb_weights_max_abs_difference (w, back), ==, 0.0);
  bytes2 = trb_weights_to_safetensors (back);
  g_assert_true (g_bytes_equal (bytes, bytes2));

  g_assert_true (trb_weights_save (w, path, &error));
  g_assert_no_error (error);
  g_clear_object (&back);
  back = trb_weights_load (path, 1 << 20, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (trb_weights_max_abs_difference (w, back), ==, 0.0);
  g_clear_object (&back);
  back = trb_weights_load (path, 16, &error);
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
  g_assert_null (back);
}

static GBytes *
make_file (const char *header,
           gsize       data_len)
{
  gsize hl = strlen (header);
  guint8 *buf = g_malloc0 (8 + hl + data_len);
  guint64 le = GUINT64_TO_LE ((guint64) hl);

  memcpy (buf, &le, 8);
  memcpy (buf + 8, header, hl);
  return g_bytes_new_take (buf, 8 + hl + data_len);
}

static void
expect_rejected (GBytes     *bytes,
                 const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) w = trb_weights_new_from_safetensors (bytes, &error);

  g_assert_null (w);
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” lacks “%s”", error->message, needle);
}

static void
test_safetensors_malformed (void)
{
  g_autoptr(TrbWeights) w = make_small ();
  g_autoptr(GBytes) good = trb_weights_to_safetensors (w);
  gsize size = g_bytes_get_size (good);

  /* Truncated anywhere: in the length, in the header, in the data. */
  for (gsize cut = 0; cut < size; cut += 7)
    {
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (good, 0, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbWeights) back = trb_weights_new_from_safetensors (part, &error);

      g_assert_null (back);
      g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
    }

  /* A header length far beyond the cap, and one that claims all of memory. */
  {
    guint8 buf[16] = { 0 };
    guint64 le = GUINT64_TO_LE (G_MAXUINT64 - 3);
    g_autoptr(GBytes) b1 = NULL;
    g_autoptr(GBytes) b2 = NULL;

    memcpy (buf, &le, 8);
    b1 = g_bytes_new (buf, sizeof buf);
    expect_rejected (b1, "unreasonably large");
    le = GUINT64_TO_LE ((guint64) TRB_PROTOCOL_MAX_SAFETENSORS_HEADER + 1);
    memcpy (buf, &le, 8);
    b2 = g_bytes_new (buf, sizeof buf);
    expect_rejected (b2, "unreasonably large");
  }

  {
    g_autoptr(GBytes) overlap = make_file (
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    g_autoptr(GBytes) gap = make_file (
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
    g_autoptr(GBytes) past = make_file (
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
    g_autoptr(GBytes) dtype = make_file (
      "{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8);
    g_autoptr(GBytes) shape = make_file (
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
    g_autoptr(GBytes) overflow = make_file (
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],"
      "\"data_offsets\":[0,0]}}", 0);
    g_autoptr(GBytes) negative = make_file (
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
    g_autoptr(GBytes) stray = make_file (
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8);
    g_autoptr(GBytes) notjson = make_file ("{\"a\":", 8);

    /* The same name twice, once escaped: json-glib would keep the last. */
    g_autoptr(GBytes) twice = make_file (
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"\\u0077\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    g_autoptr(GString) big_meta = g_string_new ("{\"__metadata__\":{\"pad\":\"");
    g_autoptr(GBytes) too_much_metadata = NULL;

    for (int i = 0; i < TRB_PROTOCOL_MAX_METADATA; i++)
      g_string_append_c (big_meta, 'x');
    g_string_append (big_meta, "\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                               "\"data_offsets\":[0,4]}}");
    too_much_metadata = make_file (big_meta->str, 4);
    expect_rejected (twice, "appears twice");
    expect_rejected (too_much_metadata, "metadata is unreasonably large");
    expect_rejected (overlap, "overlap");
    expect_rejected (gap, "gap");
    expect_rejected (past, "past the end");
    expect_rejected (dtype, "F16");
    expect_rejected (shape, "does not match its shape");
    expect_rejected (overflow, "does not match its shape");
    expect_rejected (negative, "whole number");
    expect_rejected (stray, "stray bytes");
    expect_rejected (notjson, "not valid JSON");
  }
}

static void
test_conform (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbWeights) w = trb_model_spec_init_weights (spec, 5);
  g_autoptr(TrbWeights) shuffled = trb_weights_new ();
  g_autoptr(TrbWeights) back = NULL;
  g_autoptr(TrbWeights) small = make_small ();
  g_autoptr(GError) error = NULL;

  for (int i = (int) trb_weights_get_n_tensors (w) - 1; i >= 0; i--)
    memcpy (trb_weights_add (shuffled, trb_weights_get_name (w, i), trb_weights_get_n_dims (w, i),
                             trb_weights_get_shape (w, i)),
            trb_weights_get_data (w, i), trb_weights_get_n_elements (w, i) * 4);
  back = trb_model_spec_conform_weights (spec, shuffled, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (trb_weights_max_abs_difference (w, back), ==, 0.0);

  g_assert_null (trb_model_spec_conform_weights (spec, small, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
  g_clear_error (&error);
  trb_weights_get_data (shuffled, 0)[3] = NAN;
  g_assert_null (trb_model_spec_conform_weights (spec, shuffled, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
}

static void
test_federated_helpers (void)
{
  g_autoptr(TrbWeights) a = make_small ();
  g_autoptr(TrbWeights) b = make_small ();
  g_autoptr(TrbWeights) avg = NULL;
  g_autoptr(TrbWeights) update = NULL;
  g_autoptr(GError) error = NULL;
  TrbWeights *sets[2];
  double counts[2] = { 30, 10 };
  float *bw = trb_weights_get_data (b, 0);
  double norm, n2;

  for (int i = 0; i < 15; i++)
    bw[i] += 4.0f;
  sets[0] = a;
  sets[1] = b;
  avg = trb_weights_weighted_average (sets, counts, 2, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 15; i++)
    g_assert_cmpfloat_with_epsilon (trb_weights_get_data (avg, 0)[i],
                                    trb_weights_get_data (a, 0)[i] + 1.0, 1e-6);

  update = trb_weights_subtract (b, a, &error);
  g_assert_no_error (error);
  norm = trb_weights_l2_norm (update);
  g_assert_cmpfloat_with_epsilon (norm, sqrt (15 * 16.0), 1e-9);
  n2 = trb_weights_clip_norm (update, 2.0);
  g_assert_cmpfloat_with_epsilon (n2, norm, 1e-12);
  g_assert_cmpfloat_with_epsilon (trb_weights_l2_norm (update), 2.0, 1e-6);
  /* Clipping keeps the direction: every weight entry shrinks by the same factor. */
  g_assert_cmpfloat_with_epsilon (trb_weights_get_data (update, 0)[7], 4.0 * 2.0 / norm, 1e-6);
  g_assert_cmpfloat (trb_weights_get_data (update, 1)[0], ==, 0.0);

  /* global + update = trained */
  g_assert_true (trb_weights_add_scaled (a, update, norm / 2.0, &error));
  g_assert_cmpfloat (trb_weights_max_abs_difference (a, b), <, 1e-5);

  counts[0] = -1;
  g_assert_null (trb_weights_weighted_average (sets, counts, 2, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
  g_clear_error (&error);
  g_assert_null (trb_weights_weighted_average (sets, counts, 0, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
}

static void
test_content_address (void)
{
  /* SHA-256 of the exact bytes: recompute with GChecksum over a byte-for-byte copy. */
  g_autoptr(TrbWeights) w = make_small ();
  g_autoptr(GBytes) bytes = trb_weights_to_safetensors (w);
  g_autofree char *addr = trb_weights_content_address (w);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (sum, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_assert_cmpstr (addr, ==, g_checksum_get_string (sum));
  g_assert_cmpuint (strlen (addr), ==, 64);
  trb_weights_get_data (w, 1)[2] += 1e-3f;
  {
    g_autofree char *addr2 = trb_weights_content_address (w);
    g_assert_cmpstr (addr, !=, addr2);
  }
}

static void
test_noise (void)
{
  g_autoptr(TrbWeights) w = trb_weights_new ();
  g_autoptr(TrbWeights) w2 = NULL;
  float *d = trb_weights_add (w, "x", 1, (gsize[]) { 20000 });
  double mean = 0, var = 0;

  w2 = trb_weights_copy (w);
  trb_weights_add_gaussian_noise (w, 0.5, 9);
  trb_weights_add_gaussian_noise (w2, 0.5, 9);
  g_assert_cmpfloat (trb_weights_max_abs_difference (w, w2), ==, 0.0);
  for (int i = 0; i < 20000; i++)
    mean += d[i] / 20000.0;
  for (int i = 0; i < 20000; i++)
    var += (d[i] - mean) * (d[i] - mean) / 19999.0;
  /* Standard errors: mean 0.0035, variance ≈ 0.0025. */
  g_assert_cmpfloat (fabs (mean), <, 0.02);
  g_assert_cmpfloat (fabs (var - 0.25), <, 0.015);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/compute/spec/paper-models", test_paper_models);
  g_test_add_func ("/compute/spec/shapes", test_shapes);
  g_test_add_func ("/compute/spec/bad", test_bad_specs);
  g_test_add_func ("/compute/spec/init-deterministic", test_init_deterministic);
  g_test_add_func ("/compute/weights/round-trip", test_safetensors_round_trip);
  g_test_add_func ("/compute/weights/malformed", test_safetensors_malformed);
  g_test_add_func ("/compute/weights/conform", test_conform);
  g_test_add_func ("/compute/weights/federated", test_federated_helpers);
  g_test_add_func ("/compute/weights/content-address", test_content_address);
  g_test_add_func ("/compute/weights/noise", test_noise);

  return g_test_run ();
}

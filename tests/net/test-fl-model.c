/* test-fl-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "net/trb-fl-model.h"

static TrbFlModel *
make_model (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;
  TrbFlModel *model;

  g_assert_nonnull (node);
  model = trb_fl_model_new_from_spec (json_node_get_object (node), &error);
  g_assert_no_error (error);
  return model;
}

static const char small_spec[] =
  "{\"input\":6,\"layers\":[{\"type\":\"dense\",\"units\":5,\"activation\":\"relu\"},"
  "{\"type\":\"dense\",\"units\":3}]}";

static void
test_spec_rejects (void)
{
  static const char * const bad[] = {
    "{}",
    "{\"input\":0,\"layers\":[{\"type\":\"dense\",\"units\":3}]}",
    "{\"input\":4,\"layers\":[]}",
    "{\"input\":4,\"layers\":[{\"type\":\"conv2d\",\"units\":3}]}",
    "{\"input\":4,\"layers\":[{\"type\":\"dense\",\"units\":3,\"activation\":\"relu\"}]}",
    "{\"input\":4,\"layers\":[{\"type\":\"dense\",\"units\":1}]}",
    "{\"input\":4,\"layers\":[{\"type\":\"dense\",\"units\":99999}]}",
    "{\"input\":4,\"layers\":[{\"type\":\"dense\",\"units\":3}],\"loss\":\"mse\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (bad[i], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbFlModel) model = trb_fl_model_new_from_spec (json_node_get_object (node), &error);

      g_assert_null (model);
      g_assert_error (error, TRB_FL_MODEL_ERROR, TRB_FL_MODEL_ERROR_INVALID_SPEC);
    }
}

static void
test_safetensors_round_trip (void)
{
  g_autoptr(TrbFlModel) model = make_model (small_spec);
  g_autoptr(TrbFlModel) other = make_model ("{\"input\":6,\"layers\":[{\"type\":\"dense\","
                                            "\"units\":4,\"activation\":\"relu\"},"
                                            "{\"type\":\"dense\",\"units\":3}]}");
  g_autofree float *params = trb_fl_model_init_params (model, 7);
  g_autofree float *back = NULL;
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) meta_back = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  guint64 header_len;

  g_assert_cmpuint (model->n_params, ==, 6 * 5 + 5 + 5 * 3 + 3);
  g_hash_table_insert (meta, (char *)"samples", (char *)"12");
  bytes = trb_fl_model_to_safetensors (model, params, meta);
  memcpy (&header_len, g_bytes_get_data (bytes, NULL), 8);
  g_assert_cmpuint (GUINT64_FROM_LE (header_len) % 8, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 8 + GUINT64_FROM_LE (header_len) +
                    model->n_params * 4);

  back = trb_fl_model_from_safetensors (model, bytes, &meta_back, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back, model->n_params * 4, params, model->n_params * 4);
  g_assert_cmpstr (g_hash_table_lookup (meta_back, "samples"), ==, "12");

  /* The same file does not fit a model of another shape. */
  g_assert_null (trb_fl_model_from_safetensors (other, bytes, NULL, &error));
  g_assert_error (error, TRB_FL_MODEL_ERROR, TRB_FL_MODEL_ERROR_WRONG_SHAPE);
  g_clear_error (&error);

  /* A NaN anywhere is refused. */
  params[model->n_params - 1] = NAN;
  {
    g_autoptr(GBytes) nan_bytes = trb_fl_model_to_safetensors (model, params, NULL);

    g_assert_null (trb_fl_model_from_safetensors (model, nan_bytes, NULL, &error));
    g_assert_error (error, TRB_FL_MODEL_ERROR, TRB_FL_MODEL_ERROR_NON_FINITE);
    g_clear_error (&error);
  }

  /* Every truncation is refused without a crash. */
  for (gsize len = 0; len < g_bytes_get_size (bytes); len += 7)
    {
      g_autoptr(GBytes) cut = g_bytes_new_from_bytes (bytes, 0, len);

      g_assert_null (trb_fl_model_from_safetensors (model, cut, NULL, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
    }
}

/* One full-batch SGD step moves the parameters by lr × gradient; the gradient must agree with
 * central finite differences of the mean loss (relative tolerance 2 %, absolute 1e-3). */
static void
test_gradient_matches_finite_differences (void)
{
  g_autoptr(TrbFlModel) model = make_model (small_spec);
  g_autofree float *params = trb_fl_model_init_params (model, 3);
  g_autofree float *stepped = g_memdup2 (params, model->n_params * sizeof (float));
  float inputs[8 * 6];
  guint8 labels[8];
  GRand *rand = g_rand_new_with_seed (11);
  const double lr = 1e-3;

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    inputs[i] = g_rand_double_range (rand, -1, 1);
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    labels[i] = g_rand_int_range (rand, 0, 3);
  g_rand_free (rand);

  trb_fl_model_train (model, stepped, inputs, labels, 8, 1, 8, lr, 1);

  for (gsize p = 0; p < model->n_params; p++)
    {
      double analytic = (params[p] - stepped[p]) / lr;
      double plus_loss, minus_loss, acc;
      float saved = params[p];
      const float h = 1e-3f;
      double numeric;

      params[p] = saved + h;
      trb_fl_model_evaluate (model, params, inputs, labels, 8, &plus_loss, &acc);
      params[p] = saved - h;
      trb_fl_model_evaluate (model, params, inputs, labels, 8, &minus_loss, &acc);
      params[p] = saved;
      numeric = (plus_loss - minus_loss) / (2 * h);
      if (fabs (analytic - numeric) > 1e-3 + 0.02 * fabs (numeric))
        g_test_message ("parameter %zu: %g vs %g", p, analytic, numeric);
      g_assert_cmpfloat_with_epsilon (analytic, numeric, 1e-3 + 0.02 * fabs (numeric));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/net/fl-model/spec-rejects", test_spec_rejects);
  g_test_add_func ("/net/fl-model/safetensors", test_safetensors_round_trip);
  g_test_add_func ("/net/fl-model/gradient", test_gradient_matches_finite_differences);

  return g_test_run ();
}

/* test-aggregation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The aggregation strategies, the norm bound and the server optimizers against references
 * written here: Reddi et al. 2021 (Algorithm 2) for the optimizers, hand-made vectors with an
 * outlier for the robust strategies.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "aggregation/trb-aggregator.h"

#define N 6   /* values of the test model: a tensor of 4 and one of 2 */

static TrbWeights *
make_weights (const double *values)
{
  TrbWeights *w = trb_weights_new ();
  const gsize shape_a[] = { 2, 2 };
  const gsize shape_b[] = { 2 };
  float *a = trb_weights_add (w, "layer.weight", 2, shape_a);
  float *b = trb_weights_add (w, "layer.bias", 1, shape_b);

  for (guint k = 0; k < 4; k++)
    a[k] = (float) values[k];
  for (guint k = 0; k < 2; k++)
    b[k] = (float) values[4 + k];
  return w;
}

static void
read_weights (TrbWeights *w,
              double     *values)
{
  for (guint k = 0; k < 4; k++)
    values[k] = trb_weights_get_data (w, 0)[k];
  for (guint k = 0; k < 2; k++)
    values[4 + k] = trb_weights_get_data (w, 1)[k];
}

static void
parse_config (const char           *json,
              TrbAggregationConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_from_string (json, &error);

  g_assert_no_error (error);
  g_assert_true (trb_aggregation_config_parse (json_node_get_object (root), config, &error));
  g_assert_no_error (error);
}

static void
assert_invalid (const char *json,
                const char *expected_fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_from_string (json, &error);
  TrbAggregationConfig config;

  g_assert_no_error (error);
  g_assert_false (trb_aggregation_config_parse (json_node_get_object (root), &config, &error));
  g_assert_error (error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_INVALID);
  g_test_message ("%s → %s", json, error->message);
  g_assert_nonnull (strstr (error->message, expected_fragment));
}

/* One round: the updates, their sample counts, the model; the state goes through safetensors
 * between rounds as the node stores it. */
static TrbAggregator *
run_round (const TrbAggregationConfig  *config,
           const double               (*updates)[N],
           const gint64                *samples,
           guint                        n,
           double                      *params,
           GBytes                     **state_blob)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) model = make_weights (params);
  g_autoptr(TrbWeights) state = NULL;
  g_autoptr(TrbWeights) next = NULL;
  TrbAggregator *aggregator = trb_aggregator_new (config);

  for (guint u = 0; u < n; u++)
    {
      g_autoptr(TrbWeights) delta = make_weights (updates[u]);
      g_autoptr(GError) update_error = NULL;

      if (!trb_aggregator_add_update (aggregator, delta, samples[u], &update_error))
        g_assert_error (update_error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_REFUSED);
    }
  if (state_blob != NULL && *state_blob != NULL)
    {
      state = trb_weights_new_from_safetensors (*state_blob, &error);
      g_assert_no_error (error);
    }
  next = trb_aggregator_finish (aggregator, model, &state, &error);
  g_assert_no_error (error);
  read_weights (next, params);
  if (state_blob != NULL)
    {
      g_clear_pointer (state_blob, g_bytes_unref);
      if (state != NULL)
        *state_blob = trb_weights_to_safetensors (state);
    }
  return aggregator;
}

static void
assert_close (const double *got,
              const double *expected,
              double        tolerance)
{
  for (guint k = 0; k < N; k++)
    {
      double scale = MAX (1.0, fabs (expected[k]));

      if (fabs (got[k] - expected[k]) > tolerance * scale)
        g_error ("value %u: got %.9g, expected %.9g", k, got[k], expected[k]);
    }
}

/* ---- server optimizers -------------------------------------------------------------------- */

static const double x0[N] = { 0.5, -0.25, 1.0, 0.0, 0.125, -1.0 };
static const double rounds[4][N] = {
  { 0.01, -0.02, 0.03, 0.0, 0.5, -0.004 },
  { 0.02, 0.01, -0.03, 0.001, 0.4, -0.002 },
  { -0.01, 0.03, 0.01, -0.002, 0.1, 0.006 },
  { 0.005, 0.005, 0.005, 0.005, -0.3, 0.001 },
};

/* Reddi et al. 2021, Algorithm 2, in double precision: m₋₁ = 0, v₋₁ = τ². (τ is chosen so that
 * no Δ² equals τ², where FedYogi's sign would turn on a float's rounding.) */
static void
reference_adaptive (const char *optimizer,
                    double      eta,
                    double      beta1,
                    double      beta2,
                    double      tau,
                    guint       n_rounds,
                    double     *x)
{
  double m[N] = { 0 }, v[N];

  for (guint k = 0; k < N; k++)
    {
      v[k] = tau * tau;
      x[k] = x0[k];
    }
  for (guint t = 0; t < n_rounds; t++)
    for (guint k = 0; k < N; k++)
      {
        double d = rounds[t][k], d2 = d * d;

        m[k] = beta1 * m[k] + (1 - beta1) * d;
        if (g_str_equal (optimizer, "fedadagrad"))
          v[k] = v[k] + d2;
        else if (g_str_equal (optimizer, "fedyogi"))
          v[k] = v[k] - (1 - beta2) * d2 * (v[k] - d2 > 0 ? 1 : v[k] - d2 < 0 ? -1 : 0);
        else
          v[k] = beta2 * v[k] + (1 - beta2) * d2;
        x[k] = x[k] + eta * m[k] / (sqrt (v[k]) + tau);
      }
}

static void
test_adaptive (gconstpointer data)
{
  const char *optimizer = data;
  g_autofree char *json = g_strdup_printf ("{\"aggregation\": {\"server_optimizer\": \"%s\", "
                                           "\"server_lr\": 0.05, \"beta1\": 0.8, "
                                           "\"beta2\": 0.95, \"tau\": 0.003}}", optimizer);
  g_autoptr(GBytes) state = NULL;
  TrbAggregationConfig config;
  double params[N], expected[N];
  const gint64 samples[1] = { 10 };

  parse_config (json, &config);
  g_assert_cmpstr (trb_server_optimizer_to_string (config.optimizer), ==, optimizer);
  memcpy (params, x0, sizeof params);
  for (guint t = 0; t < G_N_ELEMENTS (rounds); t++)
    {
      g_autoptr(TrbAggregator) aggregator = run_round (&config, &rounds[t], samples, 1, params,
                                                       &state);

      g_assert_nonnull (state);
      reference_adaptive (optimizer, 0.05, 0.8, 0.95, 0.003, t + 1, expected);
      assert_close (params, expected, 1e-5);
    }

  /* A state from another optimizer is not used: the optimizer starts afresh. */
  {
    TrbAggregationConfig other = config;
    g_autoptr(TrbAggregator) aggregator = NULL;

    other.optimizer = config.optimizer == TRB_SERVER_OPTIMIZER_FEDADAM
                      ? TRB_SERVER_OPTIMIZER_FEDYOGI : TRB_SERVER_OPTIMIZER_FEDADAM;
    memcpy (params, x0, sizeof params);
    aggregator = run_round (&other, &rounds[0], samples, 1, params, &state);
    reference_adaptive (trb_server_optimizer_to_string (other.optimizer), 0.05, 0.8, 0.95,
                        0.003, 1, expected);
    assert_close (params, expected, 1e-5);
  }
}

/* FedAvgM: v ← μ v + Δ, x ← x + η v; a task without `aggregation` takes μ from
 * round_policy.server_momentum and η = 1, as before. */
static void
test_fedavgm (void)
{
  const double mu = 0.9, eta = 0.5;
  g_autoptr(GBytes) state = NULL;
  g_autoptr(GBytes) legacy_state = NULL;
  TrbAggregationConfig config, legacy;
  double params[N], legacy_params[N], x[N], v[N] = { 0 }, xl[N], vl[N] = { 0 };
  const gint64 samples[1] = { 7 };

  parse_config ("{\"aggregation\": {\"server_optimizer\": \"fedavgm\", \"server_momentum\": 0.9,"
                " \"server_lr\": 0.5}}", &config);
  parse_config ("{\"round_policy\": {\"server_momentum\": 0.9}}", &legacy);
  g_assert_cmpint (legacy.strategy, ==, TRB_AGGREGATION_FEDAVG);
  g_assert_cmpint (legacy.optimizer, ==, TRB_SERVER_OPTIMIZER_FEDAVGM);
  g_assert_cmpfloat (legacy.momentum, ==, 0.9);
  g_assert_cmpfloat (legacy.server_lr, ==, 1.0);

  memcpy (params, x0, sizeof params);
  memcpy (legacy_params, x0, sizeof params);
  memcpy (x, x0, sizeof x);
  memcpy (xl, x0, sizeof x);
  for (guint t = 0; t < G_N_ELEMENTS (rounds); t++)
    {
      g_autoptr(TrbAggregator) a = run_round (&config, &rounds[t], samples, 1, params, &state);
      g_autoptr(TrbAggregator) b = run_round (&legacy, &rounds[t], samples, 1, legacy_params,
                                              &legacy_state);

      for (guint k = 0; k < N; k++)
        {
          v[k] = mu * v[k] + rounds[t][k];
          x[k] += eta * v[k];
          vl[k] = mu * vl[k] + rounds[t][k];
          xl[k] += vl[k];
        }
      assert_close (params, x, 1e-5);
      assert_close (legacy_params, xl, 1e-5);
    }

  /* A velocity saved before states were tagged (the model's names, no metadata) is resumed. */
  {
    g_autoptr(TrbWeights) untagged = make_weights (vl);
    g_autoptr(GBytes) blob = trb_weights_to_safetensors (untagged);
    g_autoptr(TrbAggregator) c = NULL;

    memcpy (params, xl, sizeof params);
    c = run_round (&legacy, &rounds[0], samples, 1, params, &blob);
    for (guint k = 0; k < N; k++)
      xl[k] += mu * vl[k] + rounds[0][k];
    assert_close (params, xl, 1e-5);
  }
}

/* ---- FedAvg and its cap ------------------------------------------------------------------- */

static const double honest[4][N] = {
  { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 },
  { 1.1, 2.1, 2.9, 4.2, 4.8, 6.1 },
  { 0.9, 1.8, 3.1, 3.9, 5.1, 5.9 },
  { 1.05, 2.05, 3.05, 4.05, 4.95, 6.05 },
};

/* With a cap that does not bind, capped FedAvg is plain FedAvg to the bit; with one that binds,
 * an update claiming a billion samples weighs what the cap says. */
static void
test_fedavg_cap (void)
{
  const gint64 samples[4] = { 10, 30, 50, 20 };
  const double weights[4] = { 10, 30, 50, 20 };
  const double zero[N] = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(TrbWeights) plain = NULL;
  g_autoptr(TrbWeights) model = make_weights (zero);
  TrbAggregationConfig uncapped, capped, tight;

  parse_config ("{}", &uncapped);
  parse_config ("{\"aggregation\": {\"strategy\": \"fedavg\", \"max_samples_per_update\": 50}}",
                &capped);
  parse_config ("{\"aggregation\": {\"max_samples_per_update\": 10}}", &tight);
  for (guint u = 0; u < 4; u++)
    g_ptr_array_add (sets, make_weights (honest[u]));
  plain = trb_weights_weighted_average ((TrbWeights **) sets->pdata, weights, 4, &error);
  g_assert_no_error (error);

  for (guint c = 0; c < 2; c++)
    {
      g_autoptr(TrbAggregator) aggregator = trb_aggregator_new (c == 0 ? &uncapped : &capped);
      g_autoptr(TrbWeights) next = NULL;

      for (guint u = 0; u < 4; u++)
        {
          g_assert_true (trb_aggregator_add_update (aggregator, sets->pdata[u], samples[u],
                                                    &error));
          g_assert_no_error (error);
        }
      next = trb_aggregator_finish (aggregator, model, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (trb_weights_max_abs_difference (next, plain), ==, 0);
      g_assert_cmpuint (trb_aggregator_get_n_used (aggregator), ==, 4);
    }

  /* A sign-flipped update claiming 10⁹ samples: under the cap of 10 it weighs as one of four. */
  {
    const double flipped[N] = { -100, -200, -300, -400, -500, -600 };
    const gint64 claims[2] = { 1000000000, 10 };
    const double pair[2][N] = {
      { -100, -200, -300, -400, -500, -600 },
      { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 },
    };
    double params[N] = { 0 }, expected[N], uncapped_params[N] = { 0 };
    g_autoptr(TrbAggregator) a = run_round (&tight, pair, claims, 2, params, NULL);
    g_autoptr(TrbAggregator) b = run_round (&uncapped, pair, claims, 2, uncapped_params, NULL);

    for (guint k = 0; k < N; k++)
      expected[k] = (flipped[k] + honest[0][k]) / 2;
    assert_close (params, expected, 1e-6);
    /* Without the cap the claim holds nearly all the weight. */
    assert_close (uncapped_params, flipped, 1e-5);
  }
}

/* ---- robust strategies -------------------------------------------------------------------- */

/* Four honest updates and one attacker: scaled ×1000 or sign-flipped ×10. */
static void
attacked_round (const char   *json,
                gboolean      flipped,
                double       *params,
                TrbAggregator **out)
{
  double updates[5][N];
  const gint64 samples[5] = { 10, 10, 10, 10, 1000000000 };
  TrbAggregationConfig config;

  parse_config (json, &config);
  for (guint u = 0; u < 4; u++)
    memcpy (updates[u], honest[u], sizeof updates[u]);
  for (guint k = 0; k < N; k++)
    updates[4][k] = flipped ? -10 * honest[0][k] : 1000 * honest[0][k];
  memset (params, 0, N * sizeof (double));
  *out = run_round (&config, (const double (*)[N]) updates, samples, 5, params, NULL);
}

static void
test_median (void)
{
  for (guint flipped = 0; flipped < 2; flipped++)
    {
      g_autoptr(TrbAggregator) aggregator = NULL;
      double params[N], expected[N];

      attacked_round ("{\"aggregation\": {\"strategy\": \"median\"}}", flipped, params,
                      &aggregator);
      /* Of five values per coordinate the attacker's is the largest or the smallest: the
       * median is the third or the second of the four honest ones in order. */
      for (guint k = 0; k < N; k++)
        {
          double c[4] = { honest[0][k], honest[1][k], honest[2][k], honest[3][k] };

          /* Sort four values by hand. */
          for (guint i = 0; i < 4; i++)
            for (guint j = i + 1; j < 4; j++)
              if (c[j] < c[i])
                {
                  double t = c[i];
                  c[i] = c[j];
                  c[j] = t;
                }
          expected[k] = flipped ? c[1] : c[2];
        }
      assert_close (params, expected, 1e-6);
      g_assert_cmpfloat (trb_aggregator_get_kept_share (aggregator, 4), ==, 0);
    }
}

static void
test_trimmed_mean (void)
{
  for (guint flipped = 0; flipped < 2; flipped++)
    {
      g_autoptr(TrbAggregator) aggregator = NULL;
      double params[N], expected[N];

      /* β = 0.2 of five: one value set aside at each end. */
      attacked_round ("{\"aggregation\": {\"strategy\": \"trimmed_mean\", "
                      "\"trim_fraction\": 0.2}}", flipped, params, &aggregator);
      for (guint k = 0; k < N; k++)
        {
          double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE, sum = 0;

          for (guint u = 0; u < 4; u++)
            {
              sum += honest[u][k];
              lo = MIN (lo, honest[u][k]);
              hi = MAX (hi, honest[u][k]);
            }
          /* The attacker is trimmed at one end, the lowest or highest honest value at the
           * other. */
          expected[k] = (sum - (flipped ? hi : lo)) / 3;
        }
      assert_close (params, expected, 1e-6);
      g_assert_cmpfloat (trb_aggregator_get_kept_share (aggregator, 4), ==, 0);
      for (guint u = 0; u < 4; u++)
        g_assert_cmpfloat (trb_aggregator_get_kept_share (aggregator, u), >, 0);
    }
}

static void
test_multi_krum (void)
{
  for (guint flipped = 0; flipped < 2; flipped++)
    {
      g_autoptr(TrbAggregator) aggregator = NULL;
      double params[N], expected[N];

      attacked_round ("{\"round_policy\": {\"max_updates\": 5}, \"aggregation\": "
                      "{\"strategy\": \"multi_krum\", \"attackers\": 1}}", flipped, params,
                      &aggregator);
      /* m = n − f = 4: the four honest updates, averaged without weights. */
      for (guint k = 0; k < N; k++)
        expected[k] = (honest[0][k] + honest[1][k] + honest[2][k] + honest[3][k]) / 4;
      assert_close (params, expected, 1e-6);
      g_assert_false (trb_aggregator_is_used (aggregator, 4));
      for (guint u = 0; u < 4; u++)
        g_assert_true (trb_aggregator_is_used (aggregator, u));
      g_assert_cmpuint (trb_aggregator_get_n_used (aggregator), ==, 4);
    }

  /* m = 1 is Krum: the single update with the best score. */
  {
    g_autoptr(TrbAggregator) aggregator = NULL;
    double params[N];

    attacked_round ("{\"round_policy\": {\"max_updates\": 5}, \"aggregation\": "
                    "{\"strategy\": \"multi_krum\", \"attackers\": 1, \"selected\": 1}}", FALSE,
                    params, &aggregator);
    g_assert_cmpuint (trb_aggregator_get_n_used (aggregator), ==, 1);
    g_assert_false (trb_aggregator_is_used (aggregator, 4));
  }
}

/* ---- the norm bound ----------------------------------------------------------------------- */

static double
norm_of (const double *v)
{
  double acc = 0;

  for (guint k = 0; k < N; k++)
    acc += v[k] * v[k];
  return sqrt (acc);
}

static void
test_norm_bound (void)
{
  const double big[1][N] = { { 300, -400, 0, 0, 0, 0 } };         /* norm 500 */
  const double mid[1][N] = { { 0.6, 0.8, 0.6, 0.8, 0, 0 } };      /* norm √2 ≈ 1.414 */
  const double small[1][N] = { { 0.3, 0.4, 0, 0, 0, 0 } };        /* norm 0.5 */
  const gint64 samples[1] = { 1 };
  TrbAggregationConfig clip, refuse;

  parse_config ("{\"aggregation\": {\"max_update_norm\": 1}}", &clip);
  parse_config ("{\"aggregation\": {\"max_update_norm\": 1, \"norm_bound\": \"refuse\", "
                "\"refuse_factor\": 2}}", &refuse);

  /* Clip: the update keeps its direction, at the bound's length. */
  {
    double params[N] = { 0 };
    g_autoptr(TrbAggregator) a = run_round (&clip, big, samples, 1, params, NULL);

    g_assert_cmpfloat_with_epsilon (norm_of (params), 1.0, 1e-6);
    g_assert_cmpfloat_with_epsilon (params[0], 0.6, 1e-6);
    g_assert_cmpfloat_with_epsilon (params[1], -0.8, 1e-6);
  }
  /* An update within the bound is untouched. */
  {
    double params[N] = { 0 };
    g_autoptr(TrbAggregator) a = run_round (&clip, small, samples, 1, params, NULL);

    assert_close (params, small[0], 1e-7);
  }
  /* Refuse: beyond 2 × the bound it is refused, between the bound and that it is clipped. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TrbWeights) delta = make_weights (big[0]);
    g_autoptr(TrbAggregator) aggregator = trb_aggregator_new (&refuse);
    g_autoptr(TrbWeights) model = make_weights (small[0]);
    g_autoptr(TrbWeights) next = NULL;

    g_assert_true (trb_aggregation_config_refuses (&refuse, 500));
    g_assert_false (trb_aggregation_config_refuses (&refuse, 1.9));
    g_assert_false (trb_aggregation_config_refuses (&clip, 500));
    g_assert_false (trb_aggregator_add_update (aggregator, delta, 1, &error));
    g_assert_error (error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_REFUSED);
    g_clear_error (&error);
    next = trb_aggregator_finish (aggregator, model, NULL, &error);
    g_assert_null (next);
    g_assert_error (error, TRB_AGGREGATION_ERROR, TRB_AGGREGATION_ERROR_EMPTY);
    g_clear_error (&error);
    g_assert_false (trb_aggregator_is_used (aggregator, 0));
  }
  {
    double params[N] = { 0 };
    g_autoptr(TrbAggregator) a = run_round (&refuse, mid, samples, 1, params, NULL);

    g_assert_cmpfloat_with_epsilon (norm_of (params), 1.0, 1e-6);
  }
  /* The bound applies before the robust strategies too: under the median a clipped attacker
   * is still one value among five. */
  {
    TrbAggregationConfig config;
    double params[N] = { 0 };
    const double updates[3][N] = {
      { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 },
      { 0.2, 0.2, 0.2, 0.2, 0.2, 0.2 },
      { 1000, 1000, 1000, 1000, 1000, 1000 },
    };
    const gint64 s3[3] = { 1, 1, 1 };
    g_autoptr(TrbAggregator) a = NULL;

    parse_config ("{\"aggregation\": {\"strategy\": \"trimmed_mean\", \"trim_fraction\": 0, "
                  "\"max_update_norm\": 1}}", &config);
    a = run_round (&config, updates, s3, 3, params, NULL);
    /* Mean of 0.1, 0.2 and 1/√6 (the attacker clipped to norm 1). */
    for (guint k = 0; k < N; k++)
      g_assert_cmpfloat_with_epsilon (params[k], (0.1 + 0.2 + 1 / sqrt (6)) / 3, 1e-6);
  }
}

/* ---- the task's member, checked --------------------------------------------------------- */

static void
test_config_errors (void)
{
  TrbAggregationConfig config;

  assert_invalid ("{\"aggregation\": 3}", "object");
  assert_invalid ("{\"aggregation\": {\"strategy\": \"mean\"}}", "strategy");
  assert_invalid ("{\"aggregation\": {\"strategy\": 1}}", "strategy");
  assert_invalid ("{\"aggregation\": {\"strategy\": \"trimmed_mean\", \"trim_fraction\": 0.5}}",
                  "trim_fraction");
  assert_invalid ("{\"aggregation\": {\"trim_fraction\": -0.1}}", "trim_fraction");
  assert_invalid ("{\"round_policy\": {\"max_updates\": 6}, \"aggregation\": "
                  "{\"strategy\": \"multi_krum\", \"attackers\": 2}}", "attackers");
  assert_invalid ("{\"aggregation\": {\"attackers\": 1.5}}", "attackers");
  assert_invalid ("{\"round_policy\": {\"max_updates\": 5000}, \"aggregation\": "
                  "{\"strategy\": \"multi_krum\"}}", "max_updates");
  assert_invalid ("{\"aggregation\": {\"max_update_norm\": -1}}", "max_update_norm");
  assert_invalid ("{\"aggregation\": {\"max_samples_per_update\": -5}}",
                  "max_samples_per_update");
  assert_invalid ("{\"aggregation\": {\"norm_bound\": \"refuse\"}}", "max_update_norm");
  assert_invalid ("{\"aggregation\": {\"max_update_norm\": 1, \"norm_bound\": \"drop\"}}",
                  "norm_bound");
  assert_invalid ("{\"aggregation\": {\"max_update_norm\": 1, \"refuse_factor\": 0.5}}",
                  "refuse_factor");
  assert_invalid ("{\"aggregation\": {\"server_optimizer\": \"adam\"}}", "server_optimizer");
  assert_invalid ("{\"aggregation\": {\"server_optimizer\": \"fedadam\", \"beta1\": 1}}",
                  "beta1");
  assert_invalid ("{\"aggregation\": {\"tau\": 0}}", "tau");
  assert_invalid ("{\"aggregation\": {\"server_lr\": -0.1}}", "server_lr");
  assert_invalid ("{\"aggregation\": {\"stratgy\": \"median\"}}", "stratgy");

  /* Exactly 2f + 3 updates is enough. */
  parse_config ("{\"round_policy\": {\"max_updates\": 7}, \"aggregation\": "
                "{\"strategy\": \"multi_krum\", \"attackers\": 2}}", &config);
  g_assert_cmpint (config.attackers, ==, 2);
  /* The defaults. */
  parse_config ("{\"aggregation\": {\"server_optimizer\": \"fedadam\"}}", &config);
  g_assert_cmpfloat (config.server_lr, ==, 0.01);
  g_assert_cmpfloat (config.beta1, ==, 0.9);
  g_assert_cmpfloat (config.beta2, ==, 0.99);
  g_assert_cmpfloat (config.tau, ==, 1e-3);
  g_assert_cmpfloat (config.max_update_norm, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/aggregation/optimizer/fedadam", "fedadam", test_adaptive);
  g_test_add_data_func ("/aggregation/optimizer/fedyogi", "fedyogi", test_adaptive);
  g_test_add_data_func ("/aggregation/optimizer/fedadagrad", "fedadagrad", test_adaptive);
  g_test_add_func ("/aggregation/optimizer/fedavgm", test_fedavgm);
  g_test_add_func ("/aggregation/fedavg-cap", test_fedavg_cap);
  g_test_add_func ("/aggregation/median", test_median);
  g_test_add_func ("/aggregation/trimmed-mean", test_trimmed_mean);
  g_test_add_func ("/aggregation/multi-krum", test_multi_krum);
  g_test_add_func ("/aggregation/norm-bound", test_norm_bound);
  g_test_add_func ("/aggregation/config-errors", test_config_errors);

  return g_test_run ();
}

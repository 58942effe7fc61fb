/* test-task-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A task's hyper-parameters become the trainer's configuration in one place; a value the trainer
 * cannot use is refused, not clamped. What the trainer then does is checked against an update
 * written out here in double precision: SGD with momentum, Adam, weight decay and FedProx as the
 * task names them, and the model's input scale.
 */

#include "config.h"

#include <math.h>

#include "compute/trb-cpu-executor.h"
#include "net/trb-client.h"
#include "net/trb-task-config.h"

static JsonObject *
parse (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_every_parameter (void)
{
  g_autoptr(JsonObject) task =
    parse ("{\"id\": \"t\", \"hyper_parameters\": {\"local_epochs\": 3, \"batch_size\": 16,"
           " \"learning_rate\": 0.1}}");
  g_autoptr(GError) error = NULL;
  TrbTrainerConfig config = { 0 };

  config.seed = 7;
  config.low_priority = TRUE;
  g_assert_true (trb_task_training_config (task, &config, &error));
  g_assert_no_error (error);
  g_assert_cmpint (config.epochs, ==, 3);
  g_assert_cmpint (config.batch_size, ==, 16);
  g_assert_cmpint (config.step.optimizer, ==, TRB_OPTIMIZER_SGD);
  g_assert_cmpfloat (config.step.learning_rate, ==, 0.1);
  g_assert_cmpfloat (config.step.momentum, ==, 0.0);
  g_assert_cmpfloat (config.step.prox_mu, ==, 0.0);
  /* What is not the task's stays the caller's. */
  g_assert_cmpuint (config.seed, ==, 7);
  g_assert_true (config.low_priority);
}

static void
test_defaults (void)
{
  static const char * const tasks[] = {
    "{\"id\": \"t\"}",
    "{\"id\": \"t\", \"hyper_parameters\": {}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      g_autoptr(JsonObject) task = parse (tasks[i]);
      g_autoptr(GError) error = NULL;
      TrbTrainerConfig config = { 0 };

      g_assert_true (trb_task_training_config (task, &config, &error));
      g_assert_no_error (error);
      g_assert_cmpint (config.epochs, ==, TRB_TASK_DEFAULT_EPOCHS);
      g_assert_cmpint (config.batch_size, ==, TRB_TASK_DEFAULT_BATCH_SIZE);
      g_assert_cmpfloat (config.step.learning_rate, ==, TRB_TASK_DEFAULT_LEARNING_RATE);
    }
}

static void
test_out_of_range (void)
{
  static const char * const bad[] = {
    "{\"local_epochs\": 0}",
    "{\"local_epochs\": 101}",
    "{\"local_epochs\": 1.5}",
    "{\"local_epochs\": \"3\"}",
    "{\"batch_size\": 0}",
    "{\"batch_size\": 4097}",
    "{\"batch_size\": -16}",
    "{\"learning_rate\": 0}",
    "{\"learning_rate\": 11}",
    "{\"learning_rate\": null}",
    "{\"learning_rate\": [0.1]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"id\": \"t\", \"hyper_parameters\": %s}",
                                               bad[i]);
      g_autoptr(JsonObject) task = parse (json);
      g_autoptr(GError) error = NULL;
      TrbTrainerConfig config = { 0 };

      g_test_message ("%s", bad[i]);
      g_assert_false (trb_task_training_config (task, &config, &error));
      g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL);
      g_assert_cmpint (config.epochs, ==, 0);
      g_assert_cmpint (config.batch_size, ==, 0);
    }

  {
    g_autoptr(JsonObject) task = parse ("{\"id\": \"t\", \"hyper_parameters\": 3}");
    g_autoptr(GError) error = NULL;
    TrbTrainerConfig config = { 0 };

    g_assert_false (trb_task_training_config (task, &config, &error));
    g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL);
  }
}

static void
test_optimizers (void)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(JsonObject) task =
      parse ("{\"hyper_parameters\": {\"optimizer\": \"sgd\", \"momentum\": 0.9,"
             " \"weight_decay\": 0.0005, \"fedprox_mu\": 0.01, \"learning_rate\": 0.01,"
             " \"batch_size\": 64, \"local_epochs\": 10}}");
    TrbTrainerConfig config = { 0 };

    g_assert_true (trb_task_training_config (task, &config, &error));
    g_assert_no_error (error);
    g_assert_cmpint (config.step.optimizer, ==, TRB_OPTIMIZER_SGD);
    g_assert_cmpfloat (config.step.momentum, ==, 0.9);
    g_assert_cmpfloat (config.step.weight_decay, ==, 0.0005);
    g_assert_cmpfloat (config.step.prox_mu, ==, 0.01);
    g_assert_cmpfloat (config.step.learning_rate, ==, 0.01);
    g_assert_cmpint (config.batch_size, ==, 64);
    g_assert_cmpint (config.epochs, ==, 10);
  }
  {
    g_autoptr(JsonObject) task =
      parse ("{\"hyper_parameters\": {\"optimizer\": \"adam\", \"learning_rate\": 0.001}}");
    TrbTrainerConfig config = { 0 };

    g_assert_true (trb_task_training_config (task, &config, &error));
    g_assert_no_error (error);
    g_assert_cmpint (config.step.optimizer, ==, TRB_OPTIMIZER_ADAM);
    g_assert_cmpfloat (config.step.beta1, ==, TRB_TASK_DEFAULT_BETA1);
    g_assert_cmpfloat (config.step.beta2, ==, TRB_TASK_DEFAULT_BETA2);
    g_assert_cmpfloat (config.step.eps, ==, TRB_TASK_DEFAULT_EPSILON);
    g_assert_cmpfloat (config.step.momentum, ==, 0.0);
  }
  {
    g_autoptr(JsonObject) task =
      parse ("{\"hyper_parameters\": {\"optimizer\": \"adam\", \"beta1\": 0.5, \"beta2\": 0.9,"
             " \"epsilon\": 0.001}}");
    TrbTrainerConfig config = { 0 };

    g_assert_true (trb_task_training_config (task, &config, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat (config.step.beta1, ==, 0.5);
    g_assert_cmpfloat (config.step.beta2, ==, 0.9);
    g_assert_cmpfloat (config.step.eps, ==, 0.001);
  }
}

/* Each mistake is refused with the sentence an operator reads on the node and a participant in
 * the app. */
static void
test_refused_with_sentence (void)
{
  static const struct
  {
    const char *hyper;
    const char *sentence;
  } bad[] = {
    { "3", "The task’s training settings (“hyper_parameters”) must be a JSON object." },
    { "{\"optimizer\": \"rmsprop\"}", "The task’s “optimizer” must be “sgd” or “adam”." },
    { "{\"optimizer\": 1}", "The task’s “optimizer” must be “sgd” or “adam”." },
    { "{\"optimizer\": \"SGD\"}", "The task’s “optimizer” must be “sgd” or “adam”." },
    { "{\"momentum\": 1}", "The task’s “momentum” must be a number from 0 to less than 1." },
    { "{\"momentum\": -0.1}", "The task’s “momentum” must be a number from 0 to less than 1." },
    { "{\"momentum\": \"0.9\"}",
      "The task’s “momentum” must be a number from 0 to less than 1." },
    { "{\"optimizer\": \"adam\", \"momentum\": 0.9}",
      "The task’s “momentum” is a setting of the “sgd” optimizer, but the task trains with "
      "“adam”." },
    { "{\"beta1\": 0.9}",
      "The task’s “beta1” is a setting of the “adam” optimizer, but the task trains with "
      "“sgd”." },
    { "{\"optimizer\": \"adam\", \"beta2\": 1}",
      "The task’s “beta2” must be a number from 0 to less than 1." },
    { "{\"optimizer\": \"adam\", \"epsilon\": 0}",
      "The task’s “epsilon” must be a number from 0.000000000001 to 1." },
    { "{\"weight_decay\": 2}", "The task’s “weight_decay” must be a number from 0 to 1." },
    { "{\"weight_decay\": -0.001}", "The task’s “weight_decay” must be a number from 0 to 1." },
    { "{\"fedprox_mu\": 11}", "The task’s “fedprox_mu” must be a number from 0 to 10." },
    { "{\"fedprox_mu\": true}", "The task’s “fedprox_mu” must be a number from 0 to 10." },
    { "{\"learning_rate\": 0}",
      "The task’s “learning_rate” must be a number from 0.000001 to 10." },
    { "{\"local_epochs\": 1.5}",
      "The task’s “local_epochs” must be a whole number from 1 to 100." },
    { "{\"batch_size\": 4097}",
      "The task’s “batch_size” must be a whole number from 1 to 4096." },
    { "{\"learnig_rate\": 0.1}",
      "The task’s training settings name “learnig_rate”, which Tributary does not know: it is "
      "refused rather than ignored, as training without it would not be the training the task "
      "describes." },
    { "{\"nesterov\": true, \"momentum\": 0.9}",
      "The task’s training settings name “nesterov”, which Tributary does not know: it is "
      "refused rather than ignored, as training without it would not be the training the task "
      "describes." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"id\": \"t\", \"hyper_parameters\": %s}",
                                               bad[i].hyper);
      g_autoptr(JsonObject) task = parse (json);
      g_autoptr(GError) error = NULL;
      TrbTrainerConfig config = { 0 };

      g_test_message ("%s", bad[i].hyper);
      g_assert_false (trb_task_training_config (task, &config, &error));
      g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL);
      g_assert_cmpstr (error->message, ==, bad[i].sentence);
      g_assert_cmpint (config.epochs, ==, 0);
    }

  /* A long name from a hostile network is cut short. */
  {
    g_autofree char *name = g_strnfill (5000, 'x');
    g_autofree char *json = g_strdup_printf ("{\"hyper_parameters\": {\"%s\": 1}}", name);
    g_autoptr(JsonObject) task = parse (json);
    g_autoptr(GError) error = NULL;
    TrbTrainerConfig config = { 0 };

    g_assert_false (trb_task_training_config (task, &config, &error));
    g_assert_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL);
    g_assert_cmpuint (strlen (error->message), <, 400);
  }
}

/* ---- the trainer against an update written out here --------------------------------------- */

/* One dense layer, 3 inputs to 2 classes: fc.weight [2, 3] row-major, then fc.bias [2]. */
#define N_IN 3
#define N_OUT 2
#define N_W (N_OUT * N_IN + N_OUT)

static const double initial_w[N_W] = { 0.3, -0.2, 0.1, -0.4, 0.25, 0.05, 0.1, -0.1 };

typedef struct
{
  gboolean adam;
  double   lr, momentum, weight_decay, prox_mu, beta1, beta2, eps;
} Hyper;

static void
softmax (const double *w,
         const double *x,
         double       *p)
{
  double z[N_OUT], max = -INFINITY, sum = 0;

  for (int j = 0; j < N_OUT; j++)
    {
      z[j] = w[N_OUT * N_IN + j];
      for (int i = 0; i < N_IN; i++)
        z[j] += w[j * N_IN + i] * x[i];
      max = MAX (max, z[j]);
    }
  for (int j = 0; j < N_OUT; j++)
    sum += (p[j] = exp (z[j] - max));
  for (int j = 0; j < N_OUT; j++)
    p[j] /= sum;
}

/* @steps steps on the one sample (@x, @label), as PyTorch's SGD (heavy ball, v ← μv + g,
 * w ← w − lr·v) and Adam (bias-corrected) define them, with g = ∇loss + λw + μ_prox(w − w₀). */
static void
reference_train (const Hyper  *h,
                 const double *x,
                 int           label,
                 int           steps,
                 double       *w)
{
  double m[N_W] = { 0 }, v[N_W] = { 0 };

  memcpy (w, initial_w, sizeof initial_w);
  for (int t = 1; t <= steps; t++)
    {
      double p[N_OUT], g[N_W];

      softmax (w, x, p);
      for (int j = 0; j < N_OUT; j++)
        {
          double dz = p[j] - (j == label ? 1.0 : 0.0);

          for (int i = 0; i < N_IN; i++)
            g[j * N_IN + i] = dz * x[i];
          g[N_OUT * N_IN + j] = dz;
        }
      for (int k = 0; k < N_W; k++)
        {
          double grad = g[k] + h->weight_decay * w[k] + h->prox_mu * (w[k] - initial_w[k]);

          if (h->adam)
            {
              m[k] = h->beta1 * m[k] + (1 - h->beta1) * grad;
              v[k] = h->beta2 * v[k] + (1 - h->beta2) * grad * grad;
              w[k] -= h->lr * (m[k] / (1 - pow (h->beta1, t))) /
                      (sqrt (v[k] / (1 - pow (h->beta2, t))) + h->eps);
            }
          else
            {
              m[k] = h->momentum * m[k] + grad;
              w[k] -= h->lr * m[k];
            }
        }
    }
}

static TrbModelSpec *
dense_spec (const char *input)
{
  g_autofree char *json =
    g_strdup_printf ("{\"format\": \"tributary-model\", \"version\": 1, \"input\": %s,"
                     " \"layers\": [{\"type\": \"dense\", \"name\": \"fc\", \"units\": %d}],"
                     " \"loss\": \"softmax_cross_entropy\"}", input, N_OUT);
  g_autoptr(GError) error = NULL;
  TrbModelSpec *spec = trb_model_spec_new_from_json (json, -1, &error);

  g_assert_no_error (error);
  return spec;
}

static TrbWeights *
initial_weights (void)
{
  TrbWeights *w = trb_weights_new ();
  const gsize weight_shape[] = { N_OUT, N_IN }, bias_shape[] = { N_OUT };
  float *weight = trb_weights_add (w, "fc.weight", 2, weight_shape);
  float *bias = trb_weights_add (w, "fc.bias", 1, bias_shape);

  for (int k = 0; k < N_OUT * N_IN; k++)
    weight[k] = (float) initial_w[k];
  for (int j = 0; j < N_OUT; j++)
    bias[j] = (float) initial_w[N_OUT * N_IN + j];
  return w;
}

/* Trains @spec on @data as the task @hyper says, with the CPU executor, into @out. */
static void
train_task (const char          *hyper,
            TrbModelSpec        *spec,
            const TrbDataSource *data,
            double              *out)
{
  g_autofree char *json = g_strdup_printf ("{\"id\": \"t\", \"hyper_parameters\": %s}", hyper);
  g_autoptr(JsonObject) task = parse (json);
  g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
  g_autoptr(TrbTrainer) trainer = NULL;
  g_autoptr(TrbWeights) initial = initial_weights ();
  g_autoptr(TrbWeights) trained = NULL;
  g_autoptr(GError) error = NULL;
  TrbTrainerConfig config = { 0 };
  int wi, bi;

  config.seed = 1;
  g_assert_true (trb_task_training_config (task, &config, &error));
  g_assert_no_error (error);
  trainer = trb_trainer_new (cpu, spec, &config);
  trained = trb_trainer_run (trainer, initial, data, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (trained);
  wi = trb_weights_lookup (trained, "fc.weight");
  bi = trb_weights_lookup (trained, "fc.bias");
  g_assert_cmpint (wi, >=, 0);
  g_assert_cmpint (bi, >=, 0);
  for (int k = 0; k < N_OUT * N_IN; k++)
    out[k] = trb_weights_get_data (trained, wi)[k];
  for (int j = 0; j < N_OUT; j++)
    out[N_OUT * N_IN + j] = trb_weights_get_data (trained, bi)[j];
}

static double
max_difference (const double *a,
                const double *b)
{
  double d = 0;

  for (int k = 0; k < N_W; k++)
    d = MAX (d, fabs (a[k] - b[k]));
  return d;
}

/* Two local epochs of one sample, batch 1: two steps, so that momentum, Adam's moments and the
 * FedProx pull (zero at the first step, where w = w₀) all show. */
static void
test_reach_the_trainer (void)
{
  static const float x[N_IN] = { 0.5f, -1.0f, 2.0f };
  static const double xd[N_IN] = { 0.5, -1.0, 2.0 };
  static const gint32 label = 1;
  static const struct
  {
    const char *hyper;
    Hyper       h;
  } cases[] = {
    { "{\"optimizer\": \"sgd\", \"momentum\": 0.9, \"learning_rate\": 0.1, \"local_epochs\": 2,"
      " \"batch_size\": 1}", { FALSE, 0.1, 0.9, 0, 0, 0, 0, 0 } },
    { "{\"optimizer\": \"adam\", \"learning_rate\": 0.01, \"local_epochs\": 2,"
      " \"batch_size\": 1}", { TRUE, 0.01, 0, 0, 0, 0.9, 0.999, 1e-8 } },
    { "{\"optimizer\": \"adam\", \"learning_rate\": 0.05, \"beta1\": 0.5, \"beta2\": 0.8,"
      " \"epsilon\": 0.01, \"local_epochs\": 2, \"batch_size\": 1}",
      { TRUE, 0.05, 0, 0, 0, 0.5, 0.8, 0.01 } },
    { "{\"weight_decay\": 0.5, \"learning_rate\": 0.1, \"local_epochs\": 2, \"batch_size\": 1}",
      { FALSE, 0.1, 0, 0.5, 0, 0, 0, 0 } },
    { "{\"fedprox_mu\": 2, \"learning_rate\": 0.1, \"local_epochs\": 2, \"batch_size\": 1}",
      { FALSE, 0.1, 0, 0, 2, 0, 0, 0 } },
    { "{\"optimizer\": \"sgd\", \"momentum\": 0.5, \"weight_decay\": 0.1, \"fedprox_mu\": 1,"
      " \"learning_rate\": 0.2, \"local_epochs\": 2, \"batch_size\": 1}",
      { FALSE, 0.2, 0.5, 0.1, 1, 0, 0, 0 } },
  };
  g_autoptr(TrbModelSpec) spec = dense_spec ("{\"shape\": [3]}");
  TrbDataSource data = { 1, N_IN, TRB_FEATURE_F32, x, 1.0, &label };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      Hyper plain = { FALSE, cases[c].h.lr, 0, 0, 0, 0, 0, 0 };
      double trained[N_W], expected[N_W], sgd[N_W];

      g_test_message ("%s", cases[c].hyper);
      train_task (cases[c].hyper, spec, &data, trained);
      reference_train (&cases[c].h, xd, label, 2, expected);
      reference_train (&plain, xd, label, 2, sgd);
      /* The setting matters here, so that a trainer that ignored it would be caught. */
      g_assert_cmpfloat (max_difference (expected, sgd), >, 1e-3);
      g_assert_cmpfloat (max_difference (trained, expected), <, 1e-6);
    }
}

/* The spec's `input.scale` is what byte features are multiplied by, in training and in the
 * evaluation a node runs on its hold-out, not a fixed 1/255. */
static void
test_input_scale (void)
{
  static const guint8 bytes[N_IN] = { 1, 2, 4 };
  static const gint32 label = 0;
  /* What the reader says; the model's scale must win. */
  TrbDataSource data = { 1, N_IN, TRB_FEATURE_U8, bytes, 1.0 / 255.0, &label };
  g_autoptr(TrbModelSpec) spec = dense_spec ("{\"shape\": [3], \"dtype\": \"u8\","
                                             " \"scale\": 0.25}");
  g_autoptr(TrbModelSpec) spec_default = dense_spec ("{\"shape\": [3], \"dtype\": \"u8\"}");
  g_autoptr(TrbWeights) initial = initial_weights ();
  g_autoptr(GError) error = NULL;
  const double scaled[N_IN] = { 0.25, 0.5, 1.0 };
  const double by_255[N_IN] = { 1 / 255.0, 2 / 255.0, 4 / 255.0 };
  Hyper h = { FALSE, 0.5, 0, 0, 0, 0, 0, 0 };
  const char *hyper = "{\"learning_rate\": 0.5, \"batch_size\": 1}";
  double trained[N_W], expected[N_W], p[N_OUT];
  TrbEvaluation evaluation;

  g_assert_cmpfloat (trb_model_spec_get_input_scale (spec), ==, 0.25);
  g_assert_cmpfloat_with_epsilon (trb_model_spec_get_input_scale (spec_default), 1 / 255.0,
                                  1e-15);

  train_task (hyper, spec, &data, trained);
  reference_train (&h, scaled, label, 1, expected);
  g_assert_cmpfloat (max_difference (trained, expected), <, 1e-6);

  /* Without a scale, 1/255 as before; and a reader's other scale is not what trains. */
  data.u8_scale = 0.25;
  train_task (hyper, spec_default, &data, trained);
  reference_train (&h, by_255, label, 1, expected);
  g_assert_cmpfloat (max_difference (trained, expected), <, 1e-6);

  /* The node's evaluation of a model on its hold-out. */
  data.u8_scale = 1.0 / 255.0;
  g_assert_true (trb_evaluate_on_cpu (spec, initial, &data, &evaluation, NULL, &error));
  g_assert_no_error (error);
  softmax (initial_w, scaled, p);
  g_assert_cmpfloat (fabs (evaluation.loss - -log (p[label])), <, 1e-6);
}

/* The spec's `input.dtype`, where it names one, is the data's type: the other is refused. */
static void
test_input_type (void)
{
  static const guint8 bytes[N_IN] = { 1, 2, 4 };
  static const float floats[N_IN] = { 0.25f, 0.5f, 1.0f };
  static const gint32 label = 0;
  TrbDataSource byte_data = { 1, N_IN, TRB_FEATURE_U8, bytes, 1.0 / 255.0, &label };
  TrbDataSource float_data = { 1, N_IN, TRB_FEATURE_F32, floats, 1.0, &label };
  g_autoptr(TrbModelSpec) u8 = dense_spec ("{\"shape\": [3], \"dtype\": \"u8\"}");
  g_autoptr(TrbModelSpec) f32 = dense_spec ("{\"shape\": [3], \"dtype\": \"f32\"}");
  g_autoptr(TrbModelSpec) either = dense_spec ("{\"shape\": [3]}");
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_data_source_check (&byte_data, u8, &error));
  g_assert_true (trb_data_source_check (&float_data, f32, &error));
  g_assert_true (trb_data_source_check (&byte_data, either, &error));
  g_assert_true (trb_data_source_check (&float_data, either, &error));
  g_assert_no_error (error);

  g_assert_false (trb_data_source_check (&float_data, u8, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==,
                   "The model takes bytes (“u8”), but the data holds decimal numbers.");
  g_clear_error (&error);
  g_assert_false (trb_data_source_check (&byte_data, f32, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==,
                   "The model takes decimal numbers (“f32”), but the data holds bytes.");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/net/task-config/every-parameter", test_every_parameter);
  g_test_add_func ("/net/task-config/defaults", test_defaults);
  g_test_add_func ("/net/task-config/out-of-range", test_out_of_range);
  g_test_add_func ("/net/task-config/optimizers", test_optimizers);
  g_test_add_func ("/net/task-config/refused-with-sentence", test_refused_with_sentence);
  g_test_add_func ("/net/task-config/reach-the-trainer", test_reach_the_trainer);
  g_test_add_func ("/net/task-config/input-scale", test_input_scale);
  g_test_add_func ("/net/task-config/input-type", test_input_type);

  return g_test_run ();
}

/* test-vulkan.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan executor on whatever device there is; on machines without a GPU that is Mesa's
 * lavapipe, a real Vulkan implementation, so nothing here is skipped. GEMM against the fp64
 * reference on odd and prime shapes, the gradients of every layer kind against the reference,
 * the paper models and a model with dropout over several steps, evaluation, device loss and
 * unsupported models.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "compute/trb-cpu-executor.h"
#include "compute/trb-executor-choice.h"
#include "compute/trb-reference.h"
#include "compute/trb-reference-executor.h"
#include "compute/trb-trainer.h"
#include "compute/trb-vulkan-context.h"
#include "compute/trb-vulkan-executor.h"
#include "fashion.h"
#include "net/trb-task-config.h"
#include "vulkan-drivers.h"

static FashionSet *train_set;
static TrbVulkanContext *context;
static GRand *rng;

static void
test_enumerate (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = trb_vulkan_enumerate_devices (&error);
  gboolean only_cpu = TRUE;
  int chosen;

  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, >, 0);
  for (guint i = 0; i < devices->len; i++)
    {
      TrbVulkanDeviceInfo *d = g_ptr_array_index (devices, i);

      g_test_message ("device %d: %s (%s), %" G_GUINT64_FORMAT " MiB, usable %d", d->index,
                      d->name, trb_vulkan_device_type_to_string (d->type),
                      d->memory_bytes >> 20, d->usable);
      g_assert_cmpint (d->index, ==, (int) i);
      g_assert_cmpstr (d->name, !=, "");
      g_assert_cmpuint (d->memory_bytes, >, 0);
      if (d->usable && d->type != TRB_VULKAN_DEVICE_CPU)
        only_cpu = FALSE;
    }
  /* A software device is chosen only when allowed; a real GPU always wins over it. */
  chosen = trb_vulkan_choose_device (devices, FALSE);
  if (only_cpu)
    g_assert_cmpint (chosen, ==, -1);
  else
    g_assert_cmpint (((TrbVulkanDeviceInfo *) g_ptr_array_index (devices, chosen))->type, !=,
                     TRB_VULKAN_DEVICE_CPU);
  chosen = trb_vulkan_choose_device (devices, TRUE);
  g_assert_cmpint (chosen, >=, 0);
  g_assert_true (((TrbVulkanDeviceInfo *) g_ptr_array_index (devices, chosen))->usable);

  /* A device index that does not exist is a clear error, not a crash. */
  g_assert_null (trb_vulkan_context_new (1000, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_NO_DEVICE);
}

static const int sizes[] = { 1, 2, 3, 7, 13, 31, 61, 97, 127, 211, 257 };

/* The GEMM kernels the tests' executors use. */
static TrbVulkanGemmProfile gemm_profile = TRB_VULKAN_GEMM_AUTO;

static TrbExecutor *
new_executor (void)
{
  TrbExecutor *vk = trb_vulkan_executor_new (context);

  trb_vulkan_executor_set_gemm_profile (TRB_VULKAN_EXECUTOR (vk), gemm_profile);
  return vk;
}

static void
test_gemm (void)
{
  g_autoptr(TrbExecutor) vk = new_executor ();

  /* Shapes for the vec4 kernels (NN, NT and TN with the sizes read along multiples of four):
   * ragged edges, sizes of 4 (mod 8), tiny K; and M of 10, 9 and 25, which take the tiles of 5
   * rows (NN and NT). */
  const int vec4_shapes[][5] = {
    { 256, 200, 784, 0, 0 }, { 257, 100, 64, 0, 0 }, { 67, 260, 12, 0, 0 },
    { 10, 200, 784, 0, 1 }, { 61, 37, 200, 0, 1 }, { 12, 100, 4, 0, 1 },
    { 200, 784, 10, 1, 0 }, { 84, 12, 7, 1, 0 }, { 20, 68, 1, 1, 0 },
    { 10, 36, 20, 0, 0 }, { 9, 101, 16, 0, 1 }, { 25, 44, 8, 0, 0 },
    /* B read along N with N a multiple of four, A not in fours: the kernels fetching only B
     * four floats at a time (tiles of 8 and of 5 rows) */
    { 13, 20, 7, 0, 0 }, { 100, 200, 13, 0, 0 }, { 31, 36, 3, 1, 0 }, { 10, 28, 11, 0, 0 },
    { 9, 44, 5, 1, 0 },
    /* Shapes whose tiles, numbered down the columns, share workgroups across rows and
     * columns of tiles (the logits, a batch of 64 through 200 units), with ragged edges */
    { 64, 10, 200, 0, 1 }, { 61, 12, 36, 0, 1 }, { 25, 12, 8, 0, 1 }, { 64, 200, 200, 0, 0 },
    { 64, 200, 784, 0, 1 }, { 61, 36, 20, 0, 0 }, { 56, 28, 12, 0, 1 },
    /* B read along K, N a multiple of four: the scalar kernels writing four floats at a time */
    { 5, 12, 9, 0, 1 }, { 13, 20, 7, 0, 1 },
  };

  for (int iter = 0; iter < 18 + (int) G_N_ELEMENTS (vec4_shapes); iter++)
    {
      int m = sizes[g_rand_int_range (rng, 0, G_N_ELEMENTS (sizes))];
      int n = sizes[g_rand_int_range (rng, 0, G_N_ELEMENTS (sizes))];
      int k = sizes[g_rand_int_range (rng, 0, G_N_ELEMENTS (sizes))];
      gboolean ta = iter % 3 == 1, tb = iter % 3 == 2;

      if (iter >= 18)
        {
          m = vec4_shapes[iter - 18][0];
          n = vec4_shapes[iter - 18][1];
          k = vec4_shapes[iter - 18][2];
          ta = vec4_shapes[iter - 18][3];
          tb = vec4_shapes[iter - 18][4];
        }
      g_autofree float *a = g_new (float, (gsize) m * k), *b = g_new (float, (gsize) k * n);
      g_autofree float *c = g_new (float, (gsize) m * n);
      g_autofree double *ad = g_new (double, (gsize) m * k), *bd = g_new (double, (gsize) k * n);
      g_autofree double *aa = g_new (double, (gsize) m * k), *ba = g_new (double, (gsize) k * n);
      g_autofree double *cd = g_new (double, (gsize) m * n), *ca = g_new (double, (gsize) m * n);
      g_autoptr(GError) error = NULL;

      for (gsize i = 0; i < (gsize) m * k; i++)
        {
          a[i] = (float) g_rand_double_range (rng, -1, 1);
          ad[i] = a[i];
          aa[i] = fabs (ad[i]);
        }
      for (gsize i = 0; i < (gsize) k * n; i++)
        {
          b[i] = (float) g_rand_double_range (rng, -1, 1);
          bd[i] = b[i];
          ba[i] = fabs (bd[i]);
        }
      g_assert_true (trb_vulkan_executor_gemm (TRB_VULKAN_EXECUTOR (vk), ta, tb, m, n, k, a, b, c,
                                               &error));
      g_assert_no_error (error);
      trb_ref_gemm (ta, tb, m, n, k, 1.0, ad, bd, 0.0, cd);
      trb_ref_gemm (ta, tb, m, n, k, 1.0, aa, ba, 0.0, ca);
      for (gsize i = 0; i < (gsize) m * n; i++)
        {
          double bound = 2.0 * k * ldexp (1.0, -24) * ca[i];
          if (!(fabs (c[i] - cd[i]) <= bound))
            g_error ("Vulkan GEMM %s%s %d×%d×%d [%" G_GSIZE_FORMAT "]: |%g − %g| > %g",
                     ta ? "T" : "N", tb ? "T" : "N", m, n, k, i, c[i], cd[i], bound);
        }
    }
}

static double
nmse (const float *got,
      const float *want,
      gsize        n)
{
  double num = 0, den = 0;

  for (gsize i = 0; i < n; i++)
    {
      num += ((double) got[i] - want[i]) * ((double) got[i] - want[i]);
      den += (double) want[i] * want[i];
    }
  return den > 0 ? num / den : num;
}

/* One SGD step with lr = 1 and no momentum makes w₀ − w₁ the gradient: compare every
 * parameter's gradient, and the loss, with the fp64 reference. */
static void
check_gradients (const char *json,
                 int         batch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (json, -1, &error);
  g_autoptr(TrbWeights) init = NULL;
  g_autoptr(TrbExecutor) vk = new_executor ();
  g_autoptr(TrbExecutor) ref = trb_reference_executor_new ();
  gsize fs = trb_model_spec_get_input_size (spec);
  g_autofree float *x = g_new (float, batch * fs);
  g_autofree gint32 *labels = g_new (gint32, batch);
  TrbBatch b = { batch, x, labels };
  TrbStepParams sp;
  TrbStepResult rv = { 0 }, rr = { 0 };
  g_autoptr(TrbWeights) wv = NULL;
  g_autoptr(TrbWeights) wr = NULL;

  g_assert_no_error (error);
  init = trb_model_spec_init_weights (spec, 17);
  for (gsize i = 0; i < batch * fs; i++)
    x[i] = (float) g_rand_double_range (rng, -1, 1);
  for (int s = 0; s < batch; s++)
    labels[s] = g_rand_int_range (rng, 0, trb_model_spec_get_n_classes (spec));
  trb_step_params_init_sgd (&sp, 1.0, 0.0);

  g_assert_true (trb_executor_prepare (vk, spec, batch, &error));
  g_assert_true (trb_executor_set_weights (vk, init, NULL, &error));
  g_assert_true (trb_executor_train_step (vk, &b, &sp, &rv, &error));
  g_assert_no_error (error);
  g_assert_true (trb_executor_prepare (ref, spec, batch, &error));
  g_assert_true (trb_executor_set_weights (ref, init, NULL, &error));
  g_assert_true (trb_executor_train_step (ref, &b, &sp, &rr, &error));
  g_assert_no_error (error);

  g_assert_cmpfloat (fabs (rv.loss_sum - rr.loss_sum), <=, 1e-5 * rr.loss_sum);
  g_assert_cmpint (rv.correct, ==, rr.correct);
  wv = trb_executor_get_weights (vk);
  wr = trb_executor_get_weights (ref);
  for (guint i = 0; i < trb_weights_get_n_tensors (init); i++)
    {
      gsize n = trb_weights_get_n_elements (init, i);
      g_autofree float *gv = g_new (float, n), *gr = g_new (float, n);
      double e;

      for (gsize k = 0; k < n; k++)
        {
          gv[k] = trb_weights_get_data (init, i)[k] - trb_weights_get_data (wv, i)[k];
          gr[k] = trb_weights_get_data (init, i)[k] - trb_weights_get_data (wr, i)[k];
        }
      e = nmse (gv, gr, n);
      g_test_message ("%s gradient NMSE %.3g", trb_weights_get_name (init, i), e);
      if (!(e <= 1e-7))
        g_error ("Vulkan gradient of %s: NMSE %.3g > 1e-7", trb_weights_get_name (init, i), e);
    }
}

static void
test_layer_gradients (void)
{
  /* Odd sizes, stride and padding, a ReLU fused into a convolution, one that is not (after
   * pooling), overlapping pooling windows, and a ReLU whose mask a dense GEMM applies. */
  check_gradients (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[3,13,11]},"
    "\"layers\":[{\"type\":\"conv2d\",\"filters\":5,\"kernel\":3,\"stride\":2,\"padding\":1},"
    "{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"kernel\":3,\"stride\":1},"
    "{\"type\":\"conv2d\",\"filters\":7,\"kernel\":[3,1],\"padding\":[1,0]},"
    "{\"type\":\"maxpool2d\",\"kernel\":2},{\"type\":\"relu\"},{\"type\":\"flatten\"},"
    "{\"type\":\"dense\",\"units\":13},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":5}],"
    "\"loss\":\"softmax_cross_entropy\"}", 7);
  check_gradients (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[97]},"
    "\"layers\":[{\"type\":\"dense\",\"units\":61},{\"type\":\"relu\"},"
    "{\"type\":\"dense\",\"units\":31},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":3}],"
    "\"loss\":\"softmax_cross_entropy\"}", 11);
  /* Dense layers whose weight gradient takes the four-float update kernel, with the ragged
   * edges of its tiles (12 and 20 rows, 12 and 100 columns, 4 more than a multiple of 8), and
   * a prime batch as K. */
  check_gradients (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[100]},"
    "\"layers\":[{\"type\":\"dense\",\"units\":12},{\"type\":\"relu\"},"
    "{\"type\":\"dense\",\"units\":20},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":7}],"
    "\"loss\":\"softmax_cross_entropy\"}", 13);
  /* A convolution whose products all come in fours (K = 4·3·3, 8×8 positions): under the
   * block tiles, their four-float variants along every direction, with a bias per row. */
  check_gradients (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[4,8,8]},"
    "\"layers\":[{\"type\":\"conv2d\",\"filters\":8,\"kernel\":3,\"padding\":1},"
    "{\"type\":\"relu\"},{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":5}],"
    "\"loss\":\"softmax_cross_entropy\"}", 5);
  /* Scalar GEMMs that write four floats at a time (N of 8 and 12, K of 13 and 5): bias and
   * ReLU in the forward pass, the ReLU mask in the backward pass. */
  check_gradients (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[13]},"
    "\"layers\":[{\"type\":\"dense\",\"units\":8},{\"type\":\"relu\"},"
    "{\"type\":\"dense\",\"units\":12},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":5}],"
    "\"loss\":\"softmax_cross_entropy\"}", 7);
}

/* The shared-memory block tiles of GPUs, forced on whatever device there is: the same GEMM
 * bound on odd and prime shapes (NN, NT, TN; several 64×64 blocks and ragged edges), and the
 * gradients of every layer kind, which use its batched and fused-epilogue forms. */
static void
test_gemm_tiled (void)
{
  gemm_profile = TRB_VULKAN_GEMM_TILED;
  test_gemm ();
  test_layer_gradients ();
  gemm_profile = TRB_VULKAN_GEMM_AUTO;
}

static TrbWeights *
train_steps_on (TrbExecutor         *executor,
                TrbModelSpec        *spec,
                TrbWeights          *init,
                const TrbStepParams *step,
                int                  batch,
                int                  n_steps,
                const TrbDataSource *source)
{
  g_autoptr(GError) error = NULL;
  TrbTrainerConfig config = { 0 };
  g_autoptr(TrbTrainer) trainer = NULL;
  TrbDataSource data = *source;
  TrbWeights *out;

  config.epochs = 1;
  config.batch_size = batch;
  config.seed = 11;
  config.step = *step;
  data.n_samples = (gsize) batch * n_steps;
  trainer = trb_trainer_new (executor, spec, &config);
  out = trb_trainer_run (trainer, init, &data, NULL, &error);
  g_assert_no_error (error);
  return out;
}

/* Byte data: the Vulkan executor keeps it on the device and gathers batches there. */
static TrbWeights *
train_steps (TrbExecutor         *executor,
             TrbModelSpec        *spec,
             TrbWeights          *init,
             const TrbStepParams *step,
             int                  batch,
             int                  n_steps)
{
  return train_steps_on (executor, spec, init, step, batch, n_steps, &train_set->source);
}

/* @json's model without its `input.dtype`: a model that names "u8" refuses float data, and the
 * host path is checked with the same layers on the same values as floats. */
static TrbModelSpec *
spec_for_floats (const char *json)
{
  g_autoptr(JsonNode) root = json_from_string (json, NULL);
  JsonObject *input = json_object_get_object_member (json_node_get_object (root), "input");
  g_autofree char *text = NULL;
  TrbModelSpec *spec;

  json_object_remove_member (input, "dtype");
  text = json_to_string (root, FALSE);
  spec = trb_model_spec_new_from_json (text, -1, NULL);
  g_assert_nonnull (spec);
  return spec;
}

static void
check_model (const char          *json,
             const TrbStepParams *sp,
             int                  batch,
             int                  n_steps)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (json, -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 3);
  g_autoptr(TrbExecutor) ref = trb_reference_executor_new ();
  g_autoptr(TrbExecutor) vk = trb_vulkan_executor_new (context);
  g_autoptr(TrbWeights) want = train_steps (ref, spec, init, sp, batch, n_steps);
  g_autoptr(TrbWeights) got = train_steps (vk, spec, init, sp, batch, n_steps);
  g_autoptr(TrbWeights) again = train_steps (vk, spec, init, sp, batch, n_steps);
  double err = trb_weights_max_abs_difference (got, want) /
               trb_weights_max_abs_difference (want, init);

  double update_nmse = 0, den = 0;

  for (guint i = 0; i < trb_weights_get_n_tensors (init); i++)
    for (gsize k = 0; k < trb_weights_get_n_elements (init, i); k++)
      {
        double w0 = trb_weights_get_data (init, i)[k];
        double dv = trb_weights_get_data (got, i)[k] - w0;
        double dr = trb_weights_get_data (want, i)[k] - w0;

        update_nmse += (dv - dr) * (dv - dr);
        den += dr * dr;
      }
  update_nmse /= den;
  g_test_message ("vulkan: relative error %.3g, update NMSE %.3g after %d steps "
                  "(%u dispatches a step)", err, update_nmse, n_steps,
                  trb_vulkan_executor_get_dispatches_per_step (TRB_VULKAN_EXECUTOR (vk)));
  if (sp->optimizer == TRB_OPTIMIZER_SGD)
    {
      /* Bound: 1e-4 of what training changed, as for the CPU executor. */
      if (!(err <= 1e-4))
        g_error ("Vulkan executor after %d steps: relative error %.3g > 1e-4", n_steps, err);
    }
  else
    {
      /* Adam divides by √v, so a weight whose gradient is rounding noise may move by ±lr in
       * either executor; the bound is on the update as a whole instead. */
      if (!(update_nmse <= 1e-6))
        g_error ("Vulkan executor after %d Adam steps: update NMSE %.3g > 1e-6", n_steps,
                 update_nmse);
    }
  g_assert_cmpfloat (trb_weights_max_abs_difference (got, again), ==, 0.0);

  /* The same data as floats takes the host path: the very same result. */
  {
    gsize count = (gsize) batch * n_steps * 784;
    g_autofree float *xf = g_new (float, count);
    TrbDataSource fsrc = train_set->source;
    g_autoptr(TrbModelSpec) fspec = spec_for_floats (json);
    g_autoptr(TrbWeights) host = NULL;

    for (gsize i = 0; i < count; i++)
      xf[i] = train_set->images[i] * (float) (1.0 / 255.0);
    fsrc.feature_type = TRB_FEATURE_F32;
    fsrc.features = xf;
    host = train_steps_on (vk, fspec, init, sp, batch, n_steps, &fsrc);
    g_assert_cmpfloat (trb_weights_max_abs_difference (got, host), ==, 0.0);
  }
}

static void
test_2nn (void)
{
  TrbStepParams sp;

  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  check_model (trb_model_spec_json_2nn (), &sp, 10, 8);
}

static void
test_niid_cnn (void)
{
  TrbStepParams sp;

  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  check_model (trb_model_spec_json_niid_cnn (), &sp, 16, 4);
}

static void
test_fedavg_cnn (void)
{
  TrbStepParams sp;

  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  check_model (trb_model_spec_json_fedavg_cnn (), &sp, 4, 2);
}

static void
test_adam_fedprox (void)
{
  TrbStepParams sp;

  trb_step_params_init_adam (&sp, 0.003);
  sp.prox_mu = 0.1;
  sp.weight_decay = 1e-3;
  check_model (trb_model_spec_json_niid_cnn (), &sp, 9, 5);
}

/* Dense layers update their parameters in their weight-gradient GEMMs: SGD with momentum and
 * weight decay, plain SGD, Adam, and Adam with FedProx, over several steps, against the
 * reference. The three layers take the three update kernels (both operands in fours, 44 rows;
 * only B in fours, 13 rows; neither, 10 × 13), with ragged tile edges and a prime batch. */
static void
test_dense_update (void)
{
  const char *json =
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[784]},"
    "\"layers\":[{\"type\":\"dense\",\"units\":44},{\"type\":\"relu\"},"
    "{\"type\":\"dense\",\"units\":13},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":10}],"
    "\"loss\":\"softmax_cross_entropy\"}";
  TrbStepParams sp;

  /* Each optimizer has a kernel of its own, and FedProx the kernel that chooses at run time. */
  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  sp.weight_decay = 1e-3;
  check_model (json, &sp, 13, 6);
  trb_step_params_init_sgd (&sp, 0.05, 0.0);
  check_model (json, &sp, 13, 6);
  trb_step_params_init_adam (&sp, 0.003);
  sp.weight_decay = 1e-3;
  check_model (json, &sp, 13, 6);
  sp.prox_mu = 0.1;
  check_model (json, &sp, 13, 6);
}

static void
test_evaluate (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_niid_cnn (),
                                                                -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 8);
  g_autoptr(TrbExecutor) ref = trb_reference_executor_new ();
  g_autoptr(TrbExecutor) vk = trb_vulkan_executor_new (context);
  g_autoptr(GError) error = NULL;
  TrbDataSource data = train_set->source;
  TrbEvaluation a, b;

  data.n_samples = 101;
  g_assert_true (trb_evaluate (vk, spec, init, &data, 32, &a, NULL, &error));
  g_assert_true (trb_evaluate (ref, spec, init, &data, 13, &b, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (a.loss - b.loss), <, 1e-5 * b.loss);
  g_assert_cmpfloat (a.accuracy, ==, b.accuracy);
}

/* A task's training settings, read as participants read them, train on the device as on the
 * reference, and the model's own `input.scale` is what the device multiplies its resident bytes
 * by: the same bits as floats scaled on the host. */
static void
test_task_settings (void)
{
  static const char *const tasks[] = {
    "{\"hyper_parameters\": {\"optimizer\": \"sgd\", \"momentum\": 0.9, \"learning_rate\": 0.02,"
    " \"weight_decay\": 0.001, \"fedprox_mu\": 0.1, \"batch_size\": 12}}",
    "{\"hyper_parameters\": {\"optimizer\": \"adam\", \"learning_rate\": 0.003, \"beta1\": 0.8,"
    " \"beta2\": 0.99, \"epsilon\": 0.0001, \"fedprox_mu\": 0.1, \"batch_size\": 12}}",
  };
  const char *json =
    "{\"format\":\"tributary-model\",\"version\":1,"
    "\"input\":{\"shape\":[784],\"dtype\":\"u8\",\"scale\":0.01},"
    "\"layers\":[{\"type\":\"dense\",\"units\":24},{\"type\":\"relu\"},"
    "{\"type\":\"dense\",\"units\":10}],\"loss\":\"softmax_cross_entropy\"}";
  const int n_steps = 5;
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (json, -1, NULL);
  g_autoptr(TrbModelSpec) fspec = spec_for_floats (json);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 4);

  g_assert_cmpfloat (trb_model_spec_get_input_scale (spec), ==, 0.01);
  for (guint t = 0; t < G_N_ELEMENTS (tasks); t++)
    {
      g_autoptr(JsonNode) root = json_from_string (tasks[t], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbExecutor) ref = trb_reference_executor_new ();
      g_autoptr(TrbExecutor) vk = trb_vulkan_executor_new (context);
      g_autoptr(TrbWeights) want = NULL;
      g_autoptr(TrbWeights) got = NULL;
      g_autoptr(TrbWeights) host = NULL;
      TrbTrainerConfig config = { 0 };
      gsize count;
      g_autofree float *xf = NULL;
      TrbDataSource fsrc = train_set->source;
      double update_nmse = 0, den = 0;

      g_assert_true (trb_task_training_config (json_node_get_object (root), &config, &error));
      g_assert_no_error (error);
      want = train_steps (ref, spec, init, &config.step, config.batch_size, n_steps);
      got = train_steps (vk, spec, init, &config.step, config.batch_size, n_steps);
      for (guint i = 0; i < trb_weights_get_n_tensors (init); i++)
        for (gsize k = 0; k < trb_weights_get_n_elements (init, i); k++)
          {
            double w0 = trb_weights_get_data (init, i)[k];
            double dv = trb_weights_get_data (got, i)[k] - w0;
            double dr = trb_weights_get_data (want, i)[k] - w0;

            update_nmse += (dv - dr) * (dv - dr);
            den += dr * dr;
          }
      update_nmse /= den;
      g_test_message ("%s: update NMSE %.3g against the reference", tasks[t], update_nmse);
      g_assert_cmpfloat (update_nmse, <=, 1e-6);

      count = (gsize) config.batch_size * n_steps * 784;
      xf = g_new (float, count);
      for (gsize i = 0; i < count; i++)
        xf[i] = train_set->images[i] * 0.01f;
      fsrc.feature_type = TRB_FEATURE_F32;
      fsrc.features = xf;
      host = train_steps_on (vk, fspec, init, &config.step, config.batch_size, n_steps, &fsrc);
      g_assert_cmpfloat (trb_weights_max_abs_difference (got, host), ==, 0.0);
    }
}

/* Every executor refuses weights before a model is prepared, weights of another model, and an
 * optimizer state that is not the weights' own, each with its error, and keeps what it had. */
static void
test_refused_weights (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbModelSpec) other = trb_model_spec_new_from_json (trb_model_spec_json_niid_cnn (),
                                                                 -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 3);
  g_autoptr(TrbWeights) wrong = trb_model_spec_init_weights (other, 3);
  g_autoptr(TrbWeights) wrong_state = trb_optimizer_state_new (wrong);
  TrbExecutor *executors[] = { trb_cpu_executor_new (), trb_reference_executor_new (),
                               trb_vulkan_executor_new (context) };

  for (guint e = 0; e < G_N_ELEMENTS (executors); e++)
    {
      g_autoptr(TrbExecutor) executor = executors[e];
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbWeights) kept = NULL;

      g_test_message ("%s", trb_executor_get_name (executor));
      g_assert_false (trb_executor_set_weights (executor, init, NULL, &error));
      g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_FAILED);
      g_clear_error (&error);

      g_assert_true (trb_executor_prepare (executor, spec, 4, &error));
      g_assert_true (trb_executor_set_weights (executor, init, NULL, &error));
      g_assert_no_error (error);
      g_assert_false (trb_executor_set_weights (executor, wrong, NULL, &error));
      g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
      g_clear_error (&error);
      g_assert_false (trb_executor_set_weights (executor, init, wrong_state, &error));
      g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
      g_clear_error (&error);

      kept = trb_executor_get_weights (executor);
      g_assert_cmpfloat (trb_weights_max_abs_difference (kept, init), ==, 0.0);
    }
}

static void
test_device_lost (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 5);
  g_autoptr(TrbVulkanContext) own = trb_vulkan_context_new (
    trb_vulkan_context_get_info (context)->index, NULL);
  g_autoptr(TrbExecutor) vk = trb_vulkan_executor_new (own);
  g_autoptr(TrbExecutor) vk2 = trb_vulkan_executor_new (context);
  g_autoptr(GError) error = NULL;
  TrbTrainerConfig config = { 0 };
  g_autoptr(TrbTrainer) lossy = NULL;
  g_autoptr(TrbTrainer) plain = NULL;
  g_autoptr(TrbWeights) got = NULL;
  g_autoptr(TrbWeights) want = NULL;
  TrbDataSource data = train_set->source;
  TrbStepResult r;
  TrbBatch b = { 1, NULL, NULL };
  float x[784] = { 0 };
  gint32 label = 0;

  /* A lost device is reported as such… */
  b.x = x;
  b.labels = &label;
  g_assert_true (trb_executor_prepare (vk, spec, 4, &error));
  g_assert_true (trb_executor_set_weights (vk, init, NULL, &error));
  trb_vulkan_executor_simulate_device_lost (TRB_VULKAN_EXECUTOR (vk));
  {
    TrbStepParams sp;
    trb_step_params_init_sgd (&sp, 0.1, 0);
    g_assert_false (trb_executor_train_step (vk, &b, &sp, &r, &error));
    g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DEVICE_LOST);
    g_clear_error (&error);
    g_assert_false (trb_executor_train_step (vk, &b, &sp, &r, &error));
    g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DEVICE_LOST);
    g_clear_error (&error);
  }

  /* …and a trainer recreates the device and redoes the epoch: same weights as a clean run. */
  config.epochs = 2;
  config.batch_size = 16;
  config.seed = 3;
  trb_step_params_init_sgd (&config.step, 0.05, 0.9);
  data.n_samples = 320;
  plain = trb_trainer_new (vk2, spec, &config);
  want = trb_trainer_run (plain, init, &data, NULL, &error);
  g_assert_no_error (error);
  lossy = trb_trainer_new (vk, spec, &config);
  got = trb_trainer_run (lossy, init, &data, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (trb_weights_max_abs_difference (got, want), ==, 0.0);
  g_assert_true (trb_vulkan_executor_get_context (TRB_VULKAN_EXECUTOR (vk)) != own);
}

/* Training by index on a data set kept on the device as bytes gives exactly the result of the
 * same batches handed over as floats: with the features gathered four bytes at a time (784 of
 * them, the NIID-Bench CNN) and one at a time (13, a dense model); indices outside the data set
 * are refused. */
static void
check_resident (const char          *json,
                const TrbDataSource *source)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (json, -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 2);
  g_autoptr(TrbExecutor) a = trb_vulkan_executor_new (context);
  g_autoptr(TrbExecutor) b = trb_vulkan_executor_new (context);
  g_autoptr(TrbWeights) wa = NULL;
  g_autoptr(TrbWeights) wb = NULL;
  g_autoptr(GError) error = NULL;
  gsize fs = source->feature_size;
  gint32 idx[5] = { 399, 3, 17, 0, 250 }, bad[2] = { 1, 400 };
  g_autofree float *x = g_new (float, 5 * fs);
  gint32 labels[5];
  TrbBatch batch = { 5, x, labels };
  TrbStepParams sp;
  TrbStepResult ra, rb;

  g_assert_cmpuint (source->n_samples, ==, 400);
  trb_step_params_init_sgd (&sp, 0.1, 0.9);
  trb_data_source_gather (source, idx, 0, 5, x, labels);
  g_assert_true (trb_executor_prepare (a, spec, 8, &error));
  g_assert_true (trb_executor_set_weights (a, init, NULL, &error));
  g_assert_true (trb_executor_upload_dataset (a, source, &error));
  g_assert_no_error (error);
  g_assert_true (trb_executor_prepare (b, spec, 8, &error));
  g_assert_true (trb_executor_set_weights (b, init, NULL, &error));
  for (int step = 1; step <= 3; step++)
    {
      sp.step = step;
      g_assert_true (trb_executor_train_step_indexed (a, idx, 5, &sp, &ra, &error));
      g_assert_true (trb_executor_train_step (b, &batch, &sp, &rb, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (ra.loss_sum, ==, rb.loss_sum);
      g_assert_cmpint (ra.correct, ==, rb.correct);
    }
  wa = trb_executor_get_weights (a);
  wb = trb_executor_get_weights (b);
  g_assert_cmpfloat (trb_weights_max_abs_difference (wa, wb), ==, 0.0);

  g_assert_false (trb_executor_train_step_indexed (a, bad, 2, &sp, &ra, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA);
}

static void
test_resident_dataset (void)
{
  g_autofree guint8 *bytes13 = g_new (guint8, 400 * 13);
  TrbDataSource narrow = train_set->source;

  check_resident (trb_model_spec_json_niid_cnn (), &train_set->source);

  /* Thirteen bytes of each image, at odd offsets in the data set. */
  for (gsize s = 0; s < 400; s++)
    memcpy (bytes13 + s * 13, train_set->images + s * 784 + 300, 13);
  narrow.feature_size = 13;
  narrow.features = bytes13;
  narrow.u8_scale = 1.0 / 7.0;
  check_resident ("{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[13]},"
                  "\"layers\":[{\"type\":\"dense\",\"units\":9},{\"type\":\"relu\"},"
                  "{\"type\":\"dense\",\"units\":10}],"
                  "\"loss\":\"softmax_cross_entropy\"}", &narrow);
}

/* Dropout runs on the device with the CPU executor's Philox mask: the same units are dropped
 * as in the reference, step after step, forward and backward. */
static void
test_dropout (void)
{
  TrbStepParams sp;

  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  check_model (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[1,28,28]},"
    "\"layers\":[{\"type\":\"dropout\",\"rate\":0.2},{\"type\":\"flatten\"},"
    "{\"type\":\"dense\",\"units\":67},{\"type\":\"relu\"},"
    "{\"type\":\"dropout\",\"rate\":0.5},{\"type\":\"dense\",\"units\":33},"
    "{\"type\":\"dropout\",\"rate\":0.3},{\"type\":\"relu\"},"
    "{\"type\":\"dense\",\"units\":10}],\"loss\":\"softmax_cross_entropy\"}", &sp, 10, 8);
}

/* Several steps in one submission give the very same bits as one step per submission: the
 * results of every step and the weights after them. */
static void
test_steps_per_submit (void)
{
  const char *json = trb_model_spec_json_2nn ();
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (json, -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 6);
  g_autoptr(TrbExecutor) one = trb_vulkan_executor_new (context);
  g_autoptr(TrbExecutor) many = trb_vulkan_executor_new (context);
  g_autoptr(TrbWeights) w1 = NULL;
  g_autoptr(TrbWeights) wk = NULL;
  g_autoptr(GError) error = NULL;
  enum { N = 10, K = 7 };
  gint32 idx[N * K];
  TrbStepParams sp[K];
  TrbStepResult r1[K], rk[K];
  gboolean stamps;
  double us;

  for (int i = 0; i < N * K; i++)
    idx[i] = (i * 37 + 11) % 400;
  for (int j = 0; j < K; j++)
    {
      trb_step_params_init_sgd (&sp[j], 0.05, 0.9);
      sp[j].step = j + 1;
    }
  for (int e = 0; e < 2; e++)
    {
      TrbExecutor *ex = e == 0 ? one : many;

      g_assert_true (trb_executor_prepare (ex, spec, N, &error));
      g_assert_true (trb_executor_set_weights (ex, init, NULL, &error));
      g_assert_true (trb_executor_upload_dataset (ex, &train_set->source, &error));
      g_assert_no_error (error);
    }
  for (int j = 0; j < K; j++)
    g_assert_true (trb_executor_train_step_indexed (one, idx + j * N, N, &sp[j], &r1[j], &error));
  g_assert_true (trb_executor_train_steps_indexed (many, idx, N, K, sp, rk, &error));
  g_assert_no_error (error);
  for (int j = 0; j < K; j++)
    {
      g_assert_cmpfloat (r1[j].loss_sum, ==, rk[j].loss_sum);
      g_assert_cmpint (r1[j].correct, ==, rk[j].correct);
      g_assert_cmpint (rk[j].n, ==, N);
    }
  /* The steps really differ from each other, so a mix-up of their slots would show. */
  g_assert_cmpfloat (rk[0].loss_sum, !=, rk[K - 1].loss_sum);
  w1 = trb_executor_get_weights (one);
  wk = trb_executor_get_weights (many);
  g_assert_cmpfloat (trb_weights_max_abs_difference (w1, wk), ==, 0.0);

  us = trb_vulkan_executor_get_last_submit_us (TRB_VULKAN_EXECUTOR (many), &stamps);
  g_test_message ("%d steps of the 2NN at B=%d in one submission: %.0f µs (%s)", K, N, us,
                  stamps ? "timestamps" : "wall time");
  g_assert_cmpfloat (us, >, 0);
  g_assert_cmpint (stamps, ==, trb_vulkan_context_get_timestamp_bits (context) > 0);

  /* Whole runs through the trainer, with a last partial batch in every epoch and dropout: the
   * adaptive choice and fixed choices of steps per submission all agree with one at a time. */
  {
    g_autoptr(TrbModelSpec) dspec = trb_model_spec_new_from_json (
      "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[784]},"
      "\"layers\":[{\"type\":\"dense\",\"units\":32},{\"type\":\"relu\"},"
      "{\"type\":\"dropout\",\"rate\":0.25},{\"type\":\"dense\",\"units\":10}],"
      "\"loss\":\"softmax_cross_entropy\"}", -1, NULL);
    g_autoptr(TrbWeights) dinit = trb_model_spec_init_weights (dspec, 4);
    const int choices[] = { 1, 3, 32, 0 };
    g_autoptr(TrbWeights) want = NULL;
    TrbStepParams step;

    trb_step_params_init_sgd (&step, 0.05, 0.9);
    for (guint c = 0; c < G_N_ELEMENTS (choices); c++)
      {
        g_autoptr(TrbExecutor) vk = trb_vulkan_executor_new (context);
        g_autoptr(TrbWeights) got = NULL;
        TrbTrainerConfig config = { 0 };
        g_autoptr(TrbTrainer) trainer = NULL;
        TrbDataSource data = train_set->source;

        trb_vulkan_executor_set_steps_per_submit (TRB_VULKAN_EXECUTOR (vk), choices[c]);
        config.epochs = 2;
        config.batch_size = 8;
        config.seed = 21;
        config.step = step;
        data.n_samples = 397;
        trainer = trb_trainer_new (vk, dspec, &config);
        got = trb_trainer_run (trainer, dinit, &data, NULL, &error);
        g_assert_no_error (error);
        if (want == NULL)
          want = g_object_ref (got);
        g_assert_cmpfloat (trb_weights_max_abs_difference (got, want), ==, 0.0);
        if (choices[c] == 0)
          g_test_message ("adaptive: settled at %d steps a submission, the last one %.0f µs",
                          trb_executor_get_steps_per_submit (vk),
                          trb_vulkan_executor_get_last_submit_us (TRB_VULKAN_EXECUTOR (vk),
                                                                  NULL));
        else
          g_assert_cmpint (trb_executor_get_steps_per_submit (vk), ==, choices[c]);
      }
  }
}

/* With the big buffers where the host cannot map them, as on GPUs without host-visible device
 * memory, weights, optimizer state, the FedProx anchor and the data set go through staging
 * copies: every result is the same as with mapped memory. */
static void
test_staging (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_niid_cnn (),
                                                                -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 12);
  g_autoptr(TrbWeights) state = trb_optimizer_state_new (init);
  TrbWeights *result[2], *moments[2];
  g_autoptr(GError) error = NULL;
  TrbEvaluation ev[2];
  TrbDataSource data = train_set->source;

  for (guint i = 0; i < trb_weights_get_n_tensors (state); i++)
    for (gsize k = 0; k < trb_weights_get_n_elements (state, i); k++)
      trb_weights_get_data (state, i)[k] = (float) g_rand_double_range (rng, 0, 1);
  data.n_samples = 203;

  for (int staged = 0; staged < 2; staged++)
    {
      g_autoptr(TrbExecutor) vk = trb_vulkan_executor_new (context);
      g_autoptr(TrbWeights) w = NULL;
      g_autoptr(TrbWeights) st = NULL;
      g_autoptr(TrbTrainer) trainer = NULL;
      TrbTrainerConfig config = { 0 };

      trb_vulkan_executor_set_force_staging (TRB_VULKAN_EXECUTOR (vk), staged);
      g_assert_true (trb_executor_prepare (vk, spec, 16, &error));
      g_assert_no_error (error);
      if (staged)
        g_assert_true (trb_vulkan_executor_uses_staging (TRB_VULKAN_EXECUTOR (vk)));

      /* Set and get give back exactly what was set. */
      g_assert_true (trb_executor_set_weights (vk, init, state, &error));
      g_assert_no_error (error);
      w = trb_executor_get_weights (vk);
      st = trb_executor_get_optimizer_state (vk);
      g_assert_cmpfloat (trb_weights_max_abs_difference (w, init), ==, 0.0);
      g_assert_cmpfloat (trb_weights_max_abs_difference (st, state), ==, 0.0);

      /* Training on the resident data set (uploaded through staging), Adam and FedProx. */
      config.epochs = 2;
      config.batch_size = 16;
      config.seed = 9;
      trb_step_params_init_adam (&config.step, 0.003);
      config.step.prox_mu = 0.1;
      trainer = trb_trainer_new (vk, spec, &config);
      result[staged] = trb_trainer_run (trainer, init, &data, NULL, &error);
      g_assert_no_error (error);
      moments[staged] = trb_executor_get_optimizer_state (vk);
      if (staged)
        g_assert_true (trb_vulkan_executor_uses_staging (TRB_VULKAN_EXECUTOR (vk)));
      g_assert_true (trb_evaluate (vk, spec, result[staged], &data, 32, &ev[staged], NULL,
                                   &error));
      g_assert_no_error (error);
    }
  g_assert_cmpfloat (trb_weights_max_abs_difference (result[0], init), >, 0.0);
  g_assert_cmpfloat (trb_weights_max_abs_difference (result[0], result[1]), ==, 0.0);
  g_assert_cmpfloat (trb_weights_max_abs_difference (moments[0], moments[1]), ==, 0.0);
  g_assert_cmpfloat (ev[0].loss, ==, ev[1].loss);
  g_assert_cmpfloat (ev[0].accuracy, ==, ev[1].accuracy);
  for (int i = 0; i < 2; i++)
    {
      g_object_unref (result[i]);
      g_object_unref (moments[i]);
    }
}

/* A model whose buffers exceed what the device allows is refused with a clear error. */
static void
test_unsupported (void)
{
  const VkPhysicalDeviceProperties *props = trb_vulkan_context_get_properties (context);
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[3,2000,2000]},"
    "\"layers\":[{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":2}],"
    "\"loss\":\"softmax_cross_entropy\"}", -1, NULL);
  g_autoptr(TrbExecutor) vk = trb_vulkan_executor_new (context);
  g_autoptr(GError) error = NULL;
  guint64 batch = props->limits.maxStorageBufferRange / ((guint64) 12000000 * 4) + 1;

  g_assert_nonnull (spec);
  g_assert_cmpuint (batch, <=, 65536);
  g_assert_false (trb_executor_prepare (vk, spec, (int) batch, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "smaller batch"));
}

static void
test_choice (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbModelSpec) dropout = trb_model_spec_new_from_json (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":[8]},"
    "\"layers\":[{\"type\":\"dropout\",\"rate\":0.5},{\"type\":\"dense\",\"units\":3}],"
    "\"loss\":\"softmax_cross_entropy\"}", -1, NULL);
  g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "tributary", "choice.ini",
                                             NULL);
  g_autofree char *vk_name = g_strdup_printf ("vulkan:%d",
                                              trb_vulkan_context_get_info (context)->index);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbExecutor) cpu = trb_executor_new_for_task (spec, 10, "cpu", NULL, &error);
  g_autoptr(TrbExecutor) vk = trb_executor_new_for_task (spec, 10, vk_name, NULL, &error);
  g_autoptr(TrbExecutor) a1 = NULL;
  g_autoptr(TrbExecutor) a2 = NULL;
  g_autoptr(TrbExecutor) d = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_auto(GStrv) keys = NULL;

  g_assert_no_error (error);
  g_assert_true (TRB_IS_CPU_EXECUTOR (cpu));
  g_assert_true (TRB_IS_VULKAN_EXECUTOR (vk));
  g_assert_null (trb_executor_new_for_task (spec, 10, "vulkan:77", NULL, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_NO_DEVICE);
  g_clear_error (&error);
  g_assert_null (trb_executor_new_for_task (spec, 10, "abacus", NULL, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_NO_DEVICE);
  g_clear_error (&error);

  /* The automatic choice is measured once, remembered, and then stable. */
  a1 = trb_executor_new_for_task (spec, 10, NULL, cache, &error);
  g_assert_no_error (error);
  a2 = trb_executor_new_for_task (spec, 10, "auto", cache, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (trb_executor_get_name (a1), ==, trb_executor_get_name (a2));
  if (trb_vulkan_context_get_info (context)->type == TRB_VULKAN_DEVICE_CPU)
    {
      g_assert_true (g_key_file_load_from_file (kf, cache, 0, &error));
      keys = g_key_file_get_keys (kf, "choices", NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_strv_length (keys), ==, 1);
    }
  /* Models with dropout run on Vulkan too. */
  d = trb_executor_new_for_task (dropout, 4, vk_name, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (TRB_IS_VULKAN_EXECUTOR (d));
}

/* The preset's share of the device: after each submission the device is left idle three times
 * as long as it was busy for a quarter, and the training's result does not change. */
static void
test_device_share (void)
{
  const char *json = trb_model_spec_json_2nn ();
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (json, -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 6);
  g_autoptr(TrbExecutor) full = trb_vulkan_executor_new (context);
  g_autoptr(TrbExecutor) quarter = trb_vulkan_executor_new (context);
  g_autoptr(TrbWeights) wf = NULL;
  g_autoptr(TrbWeights) wq = NULL;
  g_autoptr(GError) error = NULL;
  enum { N = 10, STEPS = 6 };
  gint32 idx[N];
  TrbStepParams sp;
  TrbStepResult r;
  double busy, idle;
  gint64 start, wall;

  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  for (int e = 0; e < 2; e++)
    {
      TrbExecutor *ex = e == 0 ? full : quarter;

      g_assert_true (trb_executor_prepare (ex, spec, N, &error));
      g_assert_true (trb_executor_set_weights (ex, init, NULL, &error));
      g_assert_true (trb_executor_upload_dataset (ex, &train_set->source, &error));
      g_assert_no_error (error);
    }
  trb_executor_set_resource_share (quarter, 1, 0.25);
  for (int e = 0; e < 2; e++)
    {
      TrbExecutor *ex = e == 0 ? full : quarter;

      start = g_get_monotonic_time ();
      for (int step = 0; step < STEPS; step++)
        {
          for (int i = 0; i < N; i++)
            idx[i] = (step * N + i) * 7 % 400;
          sp.step = step + 1;
          g_assert_true (trb_executor_train_step_indexed (ex, idx, N, &sp, &r, &error));
          g_assert_no_error (error);
        }
      wall = g_get_monotonic_time () - start;
      trb_vulkan_executor_get_throttle_us (TRB_VULKAN_EXECUTOR (ex), &busy, &idle);
      g_test_message ("share %s: busy %.0f µs, idle %.0f µs, %" G_GINT64_FORMAT " µs in all",
                      e == 0 ? "1" : "0.25", busy, idle, wall);
      g_assert_cmpfloat (busy, >, 0);
      if (e == 0)
        g_assert_cmpfloat (idle, ==, 0);
      else
        {
          /* Three times as long, unless a submission over 333 ms met the one-second cap. */
          g_assert_true (fabs (idle - 3 * busy) <= 1e-6 * busy + 1 ||
                         (idle >= 1e6 && idle < 3 * busy));
          g_assert_cmpfloat ((double) wall, >=, busy + idle);
        }
    }
  wf = trb_executor_get_weights (full);
  wq = trb_executor_get_weights (quarter);
  g_assert_cmpfloat (trb_weights_max_abs_difference (wf, wq), ==, 0.0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  int index, ret;

  keep_vulkan_drivers ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  rng = g_rand_new_with_seed (5);
  train_set = fashion_load ("train", 400);
  devices = trb_vulkan_enumerate_devices (&error);
  g_assert_no_error (error);
  index = choose_test_device (devices);
  g_assert_cmpint (index, >=, 0);
  context = trb_vulkan_context_new (index, &error);
  g_assert_no_error (error);
  check_subgroup_size (context);

  g_test_add_func ("/compute/vulkan/enumerate", test_enumerate);
  g_test_add_func ("/compute/vulkan/gemm", test_gemm);
  g_test_add_func ("/compute/vulkan/layer-gradients", test_layer_gradients);
  g_test_add_func ("/compute/vulkan/gemm-tiled", test_gemm_tiled);
  g_test_add_func ("/compute/vulkan/2nn", test_2nn);
  g_test_add_func ("/compute/vulkan/niid-cnn", test_niid_cnn);
  g_test_add_func ("/compute/vulkan/fedavg-cnn", test_fedavg_cnn);
  g_test_add_func ("/compute/vulkan/adam-fedprox", test_adam_fedprox);
  g_test_add_func ("/compute/vulkan/dense-update", test_dense_update);
  g_test_add_func ("/compute/vulkan/evaluate", test_evaluate);
  g_test_add_func ("/compute/vulkan/task-settings", test_task_settings);
  g_test_add_func ("/compute/vulkan/refused-weights", test_refused_weights);
  g_test_add_func ("/compute/vulkan/device-lost", test_device_lost);
  g_test_add_func ("/compute/vulkan/resident-dataset", test_resident_dataset);
  g_test_add_func ("/compute/vulkan/dropout", test_dropout);
  g_test_add_func ("/compute/vulkan/steps-per-submit", test_steps_per_submit);
  g_test_add_func ("/compute/vulkan/device-share", test_device_share);
  g_test_add_func ("/compute/vulkan/staging", test_staging);
  g_test_add_func ("/compute/vulkan/unsupported", test_unsupported);
  g_test_add_func ("/compute/vulkan/choice", test_choice);

  ret = g_test_run ();
  g_object_unref (context);
  fashion_free (train_set);
  g_rand_free (rng);
  return ret;
}

/* tributary-bench.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Measures the compute engine against its peers in one run: SGEMM GFLOPS for every executor
 * and device against NumPy and PyTorch, and training samples per second of the FedAvg paper's
 * 2NN and CNN and of the NIID-Bench CNN against PyTorch eager (CPU, and CUDA where present).
 * `tributary-bench robustness` measures something else: what attackers do to a network's model
 * and rewards under each aggregation strategy (trb-bench-robustness.c).
 */

#define G_LOG_DOMAIN "tributary-bench"

#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "compute/trb-cpu-executor.h"
#include "compute/trb-cpu-ops.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-vulkan-context.h"
#include "compute/trb-vulkan-executor.h"
#include "trb-bench-robustness.h"

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"
#define N_SAMPLES 6000

static double opt_seconds = 2.0;
static gboolean opt_json = FALSE;
static gboolean opt_quick = FALSE;
static gboolean opt_no_peer = FALSE;
static int opt_rounds = 3;
static char *opt_peer = NULL;
static char *opt_executor = NULL;
static char *opt_model = NULL;

static GOptionEntry entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON", NULL },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Seconds per measurement", "S" },
  { "quick", 0, 0, G_OPTION_ARG_NONE, &opt_quick, "Fewer sizes, shorter runs", NULL },
  { "no-peer", 0, 0, G_OPTION_ARG_NONE, &opt_no_peer, "Do not run the PyTorch peer", NULL },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds, "Keep the best of this many rounds", "N" },
  { "peer-script", 0, 0, G_OPTION_ARG_FILENAME, &opt_peer, "The PyTorch peer script", "PATH" },
  { "executor", 0, 0, G_OPTION_ARG_STRING, &opt_executor, "Only executors whose name starts so",
    "NAME" },
  { "model", 0, 0, G_OPTION_ARG_STRING, &opt_model, "Only this model (2nn, fedavg-cnn, niid-cnn)",
    "NAME" },
  { NULL }
};

static guint8 *fashion_raw;   /* N_SAMPLES × 784 pixels */
static gint32 *fashion_y;

static gboolean
load_fashion (GError **error)
{
  gzFile fi = gzopen (FASHION_DIR "/train-images-idx3-ubyte.gz", "rb");
  gzFile fl = gzopen (FASHION_DIR "/train-labels-idx1-ubyte.gz", "rb");
  guint8 header[16];
  g_autofree guint8 *raw = g_new (guint8, (gsize) N_SAMPLES * 784);
  g_autofree guint8 *labels = g_new (guint8, N_SAMPLES);
  gboolean ok = fi && fl &&
                gzread (fi, header, 16) == 16 && header[2] == 8 && header[3] == 3 &&
                gzread (fi, raw, N_SAMPLES * 784) == N_SAMPLES * 784 &&
                gzread (fl, header, 8) == 8 && header[3] == 1 &&
                gzread (fl, labels, N_SAMPLES) == N_SAMPLES;

  if (fi)
    gzclose (fi);
  if (fl)
    gzclose (fl);
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Cannot read Fashion-MNIST from " FASHION_DIR " (dataset-fashion-mnist)");
      return FALSE;
    }
  fashion_raw = g_steal_pointer (&raw);
  fashion_y = g_new (gint32, N_SAMPLES);
  for (int i = 0; i < N_SAMPLES; i++)
    fashion_y[i] = labels[i] % 10;
  return TRUE;
}

static double
cpu_gemm_gflops (int n)
{
  g_autofree float *a = g_new (float, (gsize) n * n);
  g_autofree float *b = g_new (float, (gsize) n * n);
  g_autofree float *c = g_new (float, (gsize) n * n);
  gint64 start;
  int reps = 0;

  for (gsize i = 0; i < (gsize) n * n; i++)
    {
      a[i] = (float) g_random_double ();
      b[i] = (float) g_random_double ();
    }
  trb_cpu_gemm (FALSE, FALSE, n, n, n, 1.0f, a, b, 0.0f, c);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < opt_seconds / 2 * G_USEC_PER_SEC || reps < 2)
    {
      trb_cpu_gemm (FALSE, FALSE, n, n, n, 1.0f, a, b, 0.0f, c);
      reps++;
    }
  return 2.0 * n * n * (double) n * reps / ((g_get_monotonic_time () - start) / 1e6) / 1e9;
}

/* Samples per second of training, the way the trainer drives the executor in a round: in a
 * seeded random order; where the executor keeps the data set (the Vulkan executor holds it as
 * bytes) it takes the batches by index, as many steps at once as it asks for, and otherwise the
 * batch is gathered on the host for each step. The peer too takes its batches by random index
 * from tensors in memory. */
static double
train_rate (TrbExecutor *executor,
            const char  *json,
            int          batch,
            GError     **error)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (json, -1, error);
  g_autoptr(TrbWeights) init = NULL;
  g_autofree gint32 *order = g_new (gint32, N_SAMPLES);
  g_autofree float *x = g_new (float, (gsize) batch * 784);
  g_autofree gint32 *labels = g_new (gint32, batch);
  TrbDataSource data = { N_SAMPLES, 784, TRB_FEATURE_U8, fashion_raw, 1.0 / 255, fashion_y };
  TrbStepParams sps[TRB_EXECUTOR_MAX_STEPS];
  TrbStepResult results[TRB_EXECUTOR_MAX_STEPS];
  gboolean resident;
  gint64 start = 0;
  int steps = 0, warm = 5, per_epoch = N_SAMPLES / batch;

  if (spec == NULL)
    return -1;
  init = trb_model_spec_init_weights (spec, 1);
  if (!trb_executor_prepare (executor, spec, batch, error) ||
      !trb_executor_set_weights (executor, init, NULL, error))
    return -1;
  resident = trb_executor_upload_dataset (executor, &data, NULL);
  trb_data_source_shuffle (order, N_SAMPLES, 1, 0);

  for (;;)
    {
      int in_epoch = steps % per_epoch, first = in_epoch * batch;
      int k = resident ? MIN (trb_executor_get_steps_per_submit (executor),
                              per_epoch - in_epoch) : 1;
      gboolean ok;

      if (warm > 0 && --warm == 0)
        {
          start = g_get_monotonic_time ();
          steps = 0;
        }
      else if (warm == 0 && g_get_monotonic_time () - start >= opt_seconds * G_USEC_PER_SEC)
        break;
      for (int j = 0; j < k; j++)
        {
          trb_step_params_init_sgd (&sps[j], 0.01, 0.9);
          sps[j].step = (guint64) steps + j + 1;
        }
      if (resident)
        ok = trb_executor_train_steps_indexed (executor, order + first, batch, k, sps, results,
                                               error);
      else
        {
          TrbBatch b = { batch, x, labels };

          trb_data_source_gather (&data, order, first, batch, x, labels);
          ok = trb_executor_train_step (executor, &b, &sps[0], &results[0], error);
        }
      if (!ok)
        return -1;
      steps += k;
    }
  return (double) steps * batch / ((g_get_monotonic_time () - start) / 1e6);
}

/* Runs the PyTorch peer: its SGEMMs (when @model is NULL) or one training run. */
static JsonObject *
run_peer (const char *model,
          int         rounds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *seconds = g_strdup_printf ("%g", opt_seconds);
  g_autofree char *rounds_str = g_strdup_printf ("%d", MAX (rounds, 1));
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int status;

  g_ptr_array_add (argv, (char *) "/usr/bin/python3");
  g_ptr_array_add (argv, opt_peer ? opt_peer : (char *) TRB_BENCH_PEER_SCRIPT);
  g_ptr_array_add (argv, (char *) "--seconds");
  g_ptr_array_add (argv, seconds);
  g_ptr_array_add (argv, (char *) "--rounds");
  g_ptr_array_add (argv, rounds_str);
  if (opt_quick)
    g_ptr_array_add (argv, (char *) "--quick");
  if (model != NULL)
    {
      g_ptr_array_add (argv, (char *) "--no-gemm");
      g_ptr_array_add (argv, (char *) "--model");
      g_ptr_array_add (argv, (char *) model);
    }
  else
    {
      /* The SGEMMs alone: an impossible model name skips the training runs. */
      g_ptr_array_add (argv, (char *) "--model");
      g_ptr_array_add (argv, (char *) "none");
    }
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, &error) ||
      !json_parser_load_from_data (parser, out, -1, &error))
    {
      g_printerr ("tributary-bench: the PyTorch peer failed: %s\n", error->message);
      return NULL;
    }
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static double
peer_value (JsonObject *peer,
            const char *section,
            const char *key,
            const char *which)
{
  JsonObject *s, *k;

  if (peer == NULL || !json_object_has_member (peer, section))
    return NAN;
  s = json_object_get_object_member (peer, section);
  if (!json_object_has_member (s, key))
    return NAN;
  k = json_object_get_object_member (s, key);
  if (!json_object_has_member (k, which))
    return NAN;
  return json_object_get_double_member (k, which);
}

typedef struct
{
  char        *name;
  TrbExecutor *executor;
  int          device_index;   /* Vulkan device, or -1 for the CPU */
} Candidate;

static void
candidate_clear (gpointer data)
{
  Candidate *c = data;

  g_free (c->name);
  g_clear_object (&c->executor);
}

static const int gemm_sizes[] = { 256, 512, 1024, 2048 };

static const struct
{
  const char   *label;
  const char *(*json) (void);
  int           batch;
} models[] = {
  { "2nn/B=10", trb_model_spec_json_2nn, 10 },
  { "2nn/B=64", trb_model_spec_json_2nn, 64 },
  { "fedavg-cnn/B=50", trb_model_spec_json_fedavg_cnn, 50 },
  { "niid-cnn/B=64", trb_model_spec_json_niid_cnn, 64 },
};

/* The executors to measure: the processor, then every Vulkan device that opens, as far as
 * --executor lets them. */
static GArray *
find_candidates (void)
{
  GArray *candidates = g_array_new (FALSE, TRUE, sizeof (Candidate));
  g_autoptr(GPtrArray) vk_devices = NULL;
  g_autoptr(GError) error = NULL;

  g_array_set_clear_func (candidates, candidate_clear);
  if (opt_executor == NULL || g_str_has_prefix ("cpu", opt_executor))
    {
      Candidate c = { g_strdup ("cpu"), trb_cpu_executor_new (), -1 };
      g_array_append_val (candidates, c);
    }
  vk_devices = opt_executor && g_str_has_prefix ("cpu", opt_executor) ? NULL :
               trb_vulkan_enumerate_devices (&error);
  if (vk_devices == NULL && error != NULL)
    {
      g_printerr ("tributary-bench: no Vulkan: %s\n", error->message);
      g_clear_error (&error);
    }
  for (guint i = 0; vk_devices && i < vk_devices->len; i++)
    {
      TrbVulkanDeviceInfo *info = g_ptr_array_index (vk_devices, i);
      g_autoptr(TrbVulkanContext) ctx = trb_vulkan_context_new (info->index, &error);
      Candidate c = { 0 };

      if (ctx == NULL)
        {
          g_printerr ("tributary-bench: %s: %s\n", info->name, error->message);
          g_clear_error (&error);
          continue;
        }
      c.name = g_strdup_printf ("vulkan:%s", info->name);
      c.executor = trb_vulkan_executor_new (ctx);
      c.device_index = info->index;
      g_array_append_val (candidates, c);
    }
  return candidates;
}

/* Adds @value as @builder's member @name, or null when @missing. */
static void
add_double_or_null (JsonBuilder *builder,
                    const char  *name,
                    double       value,
                    gboolean     missing)
{
  json_builder_set_member_name (builder, name);
  if (missing)
    json_builder_add_null_value (builder);
  else
    json_builder_add_double_value (builder, value);
}

/* A device's SGEMM as a share of its measured multiply-add peak. */
static void
bench_fma_peak (JsonBuilder *builder,
                Candidate   *cand,
                int          n_sizes,
                double       largest)
{
  g_autoptr(GError) error = NULL;
  double peak = -1;

  for (int round = 0; round < MAX (opt_rounds, 1) && error == NULL; round++)
    peak = MAX (peak, trb_vulkan_executor_fma_gflops (TRB_VULKAN_EXECUTOR (cand->executor),
                                                      opt_seconds / 2, &error));
  if (peak < 0)
    g_printerr ("tributary-bench: %s\n", error->message);
  json_builder_set_member_name (builder, "fma-peak");
  json_builder_add_double_value (builder, peak);
  if (!opt_json && peak > 0)
    g_print ("\n%-42s   fp32 peak (multiply-adds only) %.1f GFLOPS; SGEMM %d at %.1f %%",
             "", peak, gemm_sizes[n_sizes - 1], 100 * largest / peak);
}

/* One executor's SGEMM GFLOPS at each size, the best of a few rounds since the machine may be
 * shared, and on a device its multiply-add peak. */
static void
bench_gemm_candidate (JsonBuilder *builder,
                      Candidate   *cand,
                      int          n_sizes)
{
  double largest = -1;

  json_builder_set_member_name (builder, cand->name);
  json_builder_begin_object (builder);
  if (!opt_json)
    g_print ("%-42s", cand->name);
  for (int s = 0; s < n_sizes; s++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *key = g_strdup_printf ("%d", gemm_sizes[s]);
      double g = -1;

      for (int round = 0; round < MAX (opt_rounds, 1) && error == NULL; round++)
        g = MAX (g, cand->device_index < 0 ? cpu_gemm_gflops (gemm_sizes[s]) :
                 trb_vulkan_executor_gemm_gflops (TRB_VULKAN_EXECUTOR (cand->executor),
                                                  gemm_sizes[s], opt_seconds / 2, &error));
      if (g < 0)
        g_printerr ("tributary-bench: %s\n", error->message);
      json_builder_set_member_name (builder, key);
      json_builder_add_double_value (builder, g);
      if (!opt_json)
        g_print (" %8.1f", g);
      largest = g;
    }
  if (cand->device_index >= 0)
    bench_fma_peak (builder, cand, n_sizes, largest);
  json_builder_end_object (builder);
  if (!opt_json)
    g_print ("\n");
}

/* The "gemm" section: every executor (none with --model), then the peer's rows, printed
 * only. */
static void
bench_gemm (JsonBuilder *builder,
            GArray      *candidates,
            JsonObject  *peer,
            int          n_sizes)
{
  const char *which[] = { "numpy", "torch-cpu", "torch-cuda" };

  json_builder_set_member_name (builder, "gemm");
  json_builder_begin_object (builder);
  if (!opt_json)
    g_print ("SGEMM GFLOPS (n x n x n)\n%-42s %8s %8s %8s %8s\n", "executor", "256", "512",
             "1024", "2048");
  for (guint c = 0; c < candidates->len && opt_model == NULL; c++)
    bench_gemm_candidate (builder, &g_array_index (candidates, Candidate, c), n_sizes);
  for (guint p = 0; p < G_N_ELEMENTS (which) && !opt_json; p++)
    {
      if (isnan (peer_value (peer, "gemm", "256", which[p])))
        continue;
      g_print ("%-42s", which[p]);
      for (int s = 0; s < n_sizes; s++)
        {
          g_autofree char *key = g_strdup_printf ("%d", gemm_sizes[s]);

          g_print (" %8.1f", peer_value (peer, "gemm", key, which[p]));
        }
      g_print ("\n");
    }
  json_builder_end_object (builder);
}

/* Training rates of model @m: rounds of ours and the peer's alternate and the best of each is
 * kept, so that both get the same chances of a quiet moment on a shared machine. */
static void
measure_model (guint    m,
               GArray  *candidates,
               double  *rates,
               double  *torch_cpu,
               double  *torch_cuda)
{
  for (guint c = 0; c < candidates->len; c++)
    rates[c] = -1;
  *torch_cpu = *torch_cuda = NAN;
  for (int round = 0; round < MAX (opt_rounds, 1); round++)
    {
      for (guint c = 0; c < candidates->len; c++)
        {
          Candidate *cand = &g_array_index (candidates, Candidate, c);
          g_autoptr(GError) error = NULL;
          double r = train_rate (cand->executor, models[m].json (), models[m].batch, &error);

          if (r < 0)
            g_printerr ("tributary-bench: %s: %s\n", cand->name, error->message);
          rates[c] = MAX (rates[c], r);
        }
      if (!opt_no_peer)
        {
          JsonObject *p = run_peer (models[m].label, 1);
          double v;

          v = peer_value (p, "train", models[m].label, "torch-cpu");
          if (!isnan (v))
            *torch_cpu = isnan (*torch_cpu) ? v : MAX (*torch_cpu, v);
          v = peer_value (p, "train", models[m].label, "torch-cuda");
          if (!isnan (v))
            *torch_cuda = isnan (*torch_cuda) ? v : MAX (*torch_cuda, v);
          g_clear_pointer (&p, json_object_unref);
        }
    }
}

/* Prints one executor's rate for model @m, against the peer on the same kind of processor. */
static void
print_rate (guint      m,
            Candidate *cand,
            double     rate,
            double     torch_cpu,
            double     torch_cuda)
{
  double vs = cand->device_index >= 0 && !isnan (torch_cuda) ? torch_cuda : torch_cpu;

  g_print ("%-18s %-42s %10.0f %10.0f %7.2fx\n", models[m].label, cand->name, rate, vs,
           rate / vs);
  if (TRB_IS_VULKAN_EXECUTOR (cand->executor))
    {
      gboolean stamps;
      double us = trb_vulkan_executor_get_last_submit_us (TRB_VULKAN_EXECUTOR (cand->executor),
                                                          &stamps);
      int k = trb_executor_get_steps_per_submit (cand->executor);

      g_print ("%-18s   %d step%s a submission: %.2f ms (%s)\n", "", k, k == 1 ? "" : "s",
               us / 1000, stamps ? "device timestamps" : "wall time");
    }
}

/* The "train" section: samples per second of each model on each executor and the peer. */
static void
bench_training (JsonBuilder *builder,
                GArray      *candidates,
                JsonObject  *peer)
{
  json_builder_set_member_name (builder, "train");
  json_builder_begin_object (builder);
  if (!opt_json)
    g_print ("\nTraining samples/s (SGD momentum 0.9), ratio to PyTorch CPU (2 threads)%s\n"
             "%-18s %-42s %10s %10s %8s\n",
             peer && json_object_get_boolean_member_with_default (peer, "cuda", FALSE) ?
             " and CUDA eager" : "", "model", "executor", "samples/s", "peer", "ratio");
  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    {
      g_autofree double *rates = g_new (double, candidates->len);
      double torch_cpu, torch_cuda;

      if (opt_model && !g_str_has_prefix (models[m].label, opt_model))
        continue;
      measure_model (m, candidates, rates, &torch_cpu, &torch_cuda);
      json_builder_set_member_name (builder, models[m].label);
      json_builder_begin_object (builder);
      for (guint c = 0; c < candidates->len; c++)
        {
          Candidate *cand = &g_array_index (candidates, Candidate, c);

          add_double_or_null (builder, cand->name, rates[c], rates[c] < 0);
          if (!opt_json)
            print_rate (m, cand, rates[c], torch_cpu, torch_cuda);
        }
      add_double_or_null (builder, "torch-cpu", torch_cpu, isnan (torch_cpu));
      if (!isnan (torch_cuda))
        add_double_or_null (builder, "torch-cuda", torch_cuda, FALSE);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— measure the compute engine");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GArray) candidates = NULL;
  JsonObject *peer = NULL;
  g_autofree char *load = NULL;

  if (argc > 1 && g_str_equal (argv[1], "robustness"))
    return trb_bench_robustness_main (argc - 1, argv + 1);
  g_option_context_set_summary (context, "\"tributary-bench robustness --help\" tells of the "
                                "robustness bench.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tributary-bench: %s\n", error->message);
      return 2;
    }
  if (!load_fashion (&error))
    {
      g_printerr ("tributary-bench: %s\n", error->message);
      return 1;
    }
  g_file_get_contents ("/proc/loadavg", &load, NULL, NULL);
  candidates = find_candidates ();
  if (!opt_no_peer)
    peer = run_peer (NULL, opt_rounds);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "loadavg");
  json_builder_add_string_value (builder, load ? g_strstrip (load) : "");
  if (!opt_json)
    g_print ("Load average before the run: %s\n\n", load ? load : "?");
  bench_gemm (builder, candidates, peer, opt_quick ? 2 : 4);
  bench_training (builder, candidates, peer);
  json_builder_set_member_name (builder, "peer_gemm");
  if (peer && json_object_has_member (peer, "gemm"))
    json_builder_add_value (builder, json_node_copy (json_object_get_member (peer, "gemm")));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  if (opt_json)
    print_json (builder);

  g_clear_pointer (&peer, json_object_unref);
  g_free (fashion_raw);
  g_free (fashion_y);
  return 0;
}

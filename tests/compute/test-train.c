/* test-train.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whole-model training: executors against the fp64 reference over several steps, determinism,
 * accuracy on Fashion-MNIST, pause/resume and kill/resume, evaluation and bad input.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "compute/trb-cpu-executor.h"
#include "compute/trb-reference-executor.h"
#include "compute/trb-trainer.h"
#include "fashion.h"

static FashionSet *train_set;

/* Trains with @executor and returns the weights; the run is one epoch of @n_steps batches. */
static TrbWeights *
train_steps (TrbExecutor         *executor,
             TrbModelSpec        *spec,
             TrbWeights          *init,
             const TrbStepParams *step,
             int                  batch,
             int                  n_steps,
             int                  epochs)
{
  g_autoptr(GError) error = NULL;
  TrbTrainerConfig config = { 0 };
  g_autoptr(TrbTrainer) trainer = NULL;
  TrbDataSource data = train_set->source;
  TrbWeights *out;

  config.epochs = epochs;
  config.batch_size = batch;
  config.seed = 11;
  config.step = *step;
  data.n_samples = (gsize) batch * n_steps;
  trainer = trb_trainer_new (executor, spec, &config);
  out = trb_trainer_run (trainer, init, &data, NULL, &error);
  g_assert_no_error (error);
  return out;
}

/* Relative error of the fp32 run: max |w − w_ref| over max |w_ref − w0| (the size of what
 * training changed). */
static double
relative_error (TrbWeights *got,
                TrbWeights *want,
                TrbWeights *init)
{
  return trb_weights_max_abs_difference (got, want) /
         trb_weights_max_abs_difference (want, init);
}

static void
check_model_against_reference (const char          *json,
                               const TrbStepParams *step,
                               int                  batch,
                               int                  n_steps,
                               double               bound)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (json, -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 3);
  g_autoptr(TrbExecutor) ref = trb_reference_executor_new ();
  g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
  g_autoptr(TrbWeights) want = train_steps (ref, spec, init, step, batch, n_steps, 1);
  g_autoptr(TrbWeights) got = train_steps (cpu, spec, init, step, batch, n_steps, 1);
  g_autoptr(TrbWeights) again = train_steps (cpu, spec, init, step, batch, n_steps, 1);
  double err = relative_error (got, want, init);

  g_test_message ("%s: relative error %.3g (bound %.1g)", trb_executor_get_name (cpu), err, bound);
  if (!(err <= bound))
    g_error ("CPU executor after %d steps: relative error %.3g > %.1g", n_steps, err, bound);
  /* Same seed, same executor: the very same bits. */
  g_assert_cmpfloat (trb_weights_max_abs_difference (got, again), ==, 0.0);
}

static void
test_2nn_matches_reference (void)
{
  TrbStepParams sp;

  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  check_model_against_reference (trb_model_spec_json_2nn (), &sp, 10, 8, 1e-4);
}

static void
test_niid_cnn_matches_reference (void)
{
  TrbStepParams sp;

  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  check_model_against_reference (trb_model_spec_json_niid_cnn (), &sp, 16, 4, 1e-4);
}

static void
test_fedavg_cnn_matches_reference (void)
{
  TrbStepParams sp;

  trb_step_params_init_sgd (&sp, 0.05, 0.9);
  check_model_against_reference (trb_model_spec_json_fedavg_cnn (), &sp, 4, 2, 1e-4);
}

static void
test_adam_fedprox_dropout_matches_reference (void)
{
  const char *json =
    "{\"format\":\"tributary-model\",\"version\":1,"
    "\"input\":{\"shape\":[1,28,28],\"dtype\":\"u8\"},"
    "\"layers\":[{\"type\":\"conv2d\",\"filters\":3,\"kernel\":3,\"stride\":2,\"padding\":1},"
    "{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"kernel\":3,\"stride\":2},"
    "{\"type\":\"flatten\"},{\"type\":\"dropout\",\"rate\":0.25},"
    "{\"type\":\"dense\",\"units\":31},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":10}],"
    "\"loss\":\"softmax_cross_entropy\"}";
  TrbStepParams sp;

  trb_step_params_init_adam (&sp, 0.003);
  sp.prox_mu = 0.1;
  sp.weight_decay = 1e-3;
  check_model_against_reference (json, &sp, 7, 6, 1e-4);
}

static void
test_fashion_2nn_accuracy (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 1);
  g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
  g_autoptr(TrbTrainer) trainer = NULL;
  g_autoptr(TrbWeights) trained = NULL;
  g_autoptr(GError) error = NULL;
  TrbTrainerConfig config = { 0 };
  FashionSet *test_set = fashion_load ("t10k", 2000);
  TrbEvaluation before, after;

  config.epochs = 5;
  config.batch_size = 20;
  config.seed = 1;
  config.holdout = &test_set->source;
  trb_step_params_init_sgd (&config.step, 0.01, 0.9);
  trainer = trb_trainer_new (cpu, spec, &config);
  trained = trb_trainer_run (trainer, init, &train_set->source, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (trb_evaluate_on_cpu (spec, init, &test_set->source, &before, NULL, &error));
  g_assert_true (trb_evaluate_on_cpu (spec, trained, &test_set->source, &after, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("2NN on 4,000 samples, 5 epochs: test accuracy %.1f%% (before %.1f%%), "
                  "loss %.3f", 100 * after.accuracy, 100 * before.accuracy, after.loss);
  g_assert_cmpuint (after.n_samples, ==, 2000);
  g_assert_cmpfloat (after.accuracy, >=, 0.75);
  g_assert_cmpfloat (after.loss, <, before.loss);
  g_assert_cmpfloat (trb_trainer_get_last_progress (trainer)->accuracy, >=, 0.75);
  /* The held-out evaluation after the last epoch is the same as evaluating the result. */
  g_assert_cmpfloat (fabs (trb_trainer_get_last_progress (trainer)->holdout_accuracy -
                           after.accuracy), <, 1e-12);
  g_assert_cmpfloat (fabs (trb_trainer_get_last_progress (trainer)->holdout_loss - after.loss),
                     <, 1e-5);
  fashion_free (test_set);
}

static void
test_evaluate_matches_reference (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_niid_cnn (),
                                                                -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 8);
  g_autoptr(TrbExecutor) ref = trb_reference_executor_new ();
  g_autoptr(GError) error = NULL;
  TrbDataSource data = train_set->source;
  TrbEvaluation a, b;

  data.n_samples = 97;
  g_assert_true (trb_evaluate_on_cpu (spec, init, &data, &a, NULL, &error));
  g_assert_true (trb_evaluate (ref, spec, init, &data, 13, &b, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (a.loss - b.loss), <, 1e-5 * b.loss);
  g_assert_cmpfloat (a.accuracy, ==, b.accuracy);
}

typedef struct
{
  GCancellable *cancellable;
  gint64        cancelled_at;
} CancelLater;

static gpointer
cancel_later_thread (gpointer user_data)
{
  CancelLater *later = user_data;

  g_usleep (200 * 1000);
  later->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (later->cancellable);
  return NULL;
}

/* A model of two hidden layers of 1024: about 1.8 million multiplications a sample. */
static const char wide_model[] =
  "{\"format\": \"tributary-model\", \"version\": 1,"
  " \"input\": {\"shape\": [784], \"dtype\": \"u8\"},"
  " \"layers\": [{\"type\": \"dense\", \"units\": 1024}, {\"type\": \"relu\"},"
  " {\"type\": \"dense\", \"units\": 1024}, {\"type\": \"relu\"},"
  " {\"type\": \"dense\", \"units\": 10}],"
  " \"loss\": \"softmax_cross_entropy\"}";

/* An evaluation on a large local set (50 000 samples of a wide model: seconds on a processor),
 * cancelled while it runs, as History's "evaluate on my data" is when the person leaves, stops
 * within a second. */
static void
test_evaluate_cancel (void)
{
  const gsize n = 50000;
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (wide_model, -1, NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 8);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *features = g_malloc0 (n * 784);
  g_autofree gint32 *labels = g_new0 (gint32, n);
  TrbDataSource data = { n, 784, TRB_FEATURE_U8, features, 1.0 / 255, labels };
  CancelLater later = { cancellable, 0 };
  TrbEvaluation evaluation;
  GThread *thread;
  gboolean done;
  gint64 ended;

  thread = g_thread_new ("cancel-later", cancel_later_thread, &later);
  done = trb_evaluate_on_cpu (spec, init, &data, &evaluation, cancellable, &error);
  ended = g_get_monotonic_time ();
  g_thread_join (thread);
  g_assert_false (done);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_test_message ("stopped %" G_GINT64_FORMAT " ms after the cancellation",
                  (ended - later.cancelled_at) / 1000);
  g_assert_cmpint (ended - later.cancelled_at, <, G_USEC_PER_SEC);
}

/* ---- pause / resume ---- */

typedef struct
{
  TrbTrainer *trainer;
  GMainLoop  *loop;
  TrbWeights *result;
  guint64     paused_at;
  guint64     seen_while_paused;
  gboolean    paused_once;
  int         paused_reads;
  int         reports;
} PauseState;

static void
pause_progress_cb (const TrbTrainerProgress *progress,
                   gpointer                  user_data)
{
  PauseState *st = user_data;

  st->reports++;
  if (!st->paused_once && progress->samples_done > 0)
    {
      st->paused_once = TRUE;
      trb_trainer_pause (st->trainer);
      st->paused_at = progress->samples_done;
    }
}

static gboolean
check_paused_cb (gpointer user_data)
{
  PauseState *st = user_data;
  guint64 now;

  if (!st->paused_once)
    return G_SOURCE_CONTINUE;
  now = trb_trainer_get_last_progress (st->trainer)->samples_done;
  g_assert_true (trb_trainer_is_paused (st->trainer));
  if (st->seen_while_paused == 0 || now != st->seen_while_paused)
    {
      /* Look again later: the step under way when pausing may still report. */
      st->seen_while_paused = now;
      return G_SOURCE_CONTINUE;
    }
  st->paused_reads++;
  if (st->paused_reads < 3)
    return G_SOURCE_CONTINUE;
  trb_trainer_resume (st->trainer);
  return G_SOURCE_REMOVE;
}

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  PauseState *st = user_data;
  g_autoptr(GError) error = NULL;

  st->result = trb_trainer_run_finish (TRB_TRAINER (object), result, &error);
  g_assert_no_error (error);
  g_main_loop_quit (st->loop);
}

static TrbTrainerConfig
small_config (void)
{
  TrbTrainerConfig config = { 0 };

  config.epochs = 3;
  config.batch_size = 10;
  config.seed = 99;
  trb_step_params_init_sgd (&config.step, 0.05, 0.9);
  return config;
}

static void
test_pause_resume (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 4);
  g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
  g_autoptr(TrbExecutor) cpu2 = trb_cpu_executor_new ();
  TrbTrainerConfig config = small_config ();
  g_autoptr(TrbTrainer) plain = trb_trainer_new (cpu, spec, &config);
  g_autoptr(TrbWeights) want = NULL;
  g_autoptr(GError) error = NULL;
  TrbDataSource data = train_set->source;
  PauseState st = { 0 };
  guint64 paused_samples;

  data.n_samples = 3000;
  want = trb_trainer_run (plain, init, &data, NULL, &error);
  g_assert_no_error (error);

  st.trainer = trb_trainer_new (cpu2, spec, &config);
  st.loop = g_main_loop_new (NULL, FALSE);
  trb_trainer_set_progress_func (st.trainer, pause_progress_cb, &st, NULL);
  trb_trainer_run_async (st.trainer, init, &data, NULL, run_done_cb, &st);
  g_timeout_add (150, check_paused_cb, &st);
  g_main_loop_run (st.loop);

  g_assert_true (st.paused_once);
  g_assert_nonnull (st.result);
  g_assert_false (trb_trainer_is_paused (st.trainer));
  /* While paused, three readings 150 ms apart saw no progress, well before the end. */
  paused_samples = st.seen_while_paused;
  g_assert_cmpuint (st.paused_reads, ==, 3);
  g_assert_cmpuint (paused_samples, >=, st.paused_at);
  g_assert_cmpuint (paused_samples, <, 9000);
  g_assert_cmpfloat (trb_weights_max_abs_difference (st.result, want), ==, 0.0);
  g_assert_cmpuint (trb_trainer_get_last_progress (st.trainer)->samples_done, ==, 9000);

  g_object_unref (st.result);
  g_object_unref (st.trainer);
  g_main_loop_unref (st.loop);
}

/* ---- kill / resume ---- */

static char *
kill_checkpoint_path (pid_t parent)
{
  g_autofree char *name = g_strdup_printf ("trb-kill-resume-%d.safetensors", (int) parent);
  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

static void
kill_in_second_epoch_cb (const TrbTrainerProgress *progress,
                         gpointer                  user_data)
{
  /* The trainer reports right after the first step of an epoch: die in the middle of the
   * second epoch, after its first checkpoint and before the next. */
  if (progress->epoch == 2 && !progress->epoch_done)
    raise (SIGKILL);
}

static void
test_kill_resume (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 4);
  TrbTrainerConfig config = small_config ();
  TrbDataSource data = train_set->source;
  g_autoptr(GError) error = NULL;

  data.n_samples = 3000;
  if (g_test_subprocess ())
    {
      g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
      g_autofree char *path = kill_checkpoint_path (getppid ());
      g_autoptr(TrbTrainer) trainer = NULL;
      g_autoptr(TrbWeights) w = NULL;

      config.checkpoint_path = path;
      trainer = trb_trainer_new (cpu, spec, &config);
      trb_trainer_set_progress_func (trainer, kill_in_second_epoch_cb, NULL, NULL);
      w = trb_trainer_run (trainer, init, &data, NULL, &error);
      g_assert_not_reached ();
    }
  else
    {
      g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
      g_autoptr(TrbExecutor) cpu2 = trb_cpu_executor_new ();
      g_autofree char *path = kill_checkpoint_path (getpid ());
      g_autoptr(TrbTrainer) plain = trb_trainer_new (cpu, spec, &config);
      g_autoptr(TrbTrainer) resumed = NULL;
      g_autoptr(TrbWeights) want = NULL;
      g_autoptr(TrbWeights) got = NULL;

      g_unlink (path);
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_failed ();
      /* The killed run left the checkpoint of its first epoch. */
      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

      want = trb_trainer_run (plain, init, &data, NULL, &error);
      g_assert_no_error (error);
      config.checkpoint_path = path;
      resumed = trb_trainer_new (cpu2, spec, &config);
      got = trb_trainer_run (resumed, init, &data, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (trb_trainer_get_resumed_epoch (resumed), ==, 1);
      g_assert_cmpfloat (trb_weights_max_abs_difference (got, want), ==, 0.0);
      /* A finished run removes its checkpoint. */
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    }
}

static void
test_cancel (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 4);
  g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
  TrbTrainerConfig config = small_config ();
  g_autoptr(TrbTrainer) trainer = trb_trainer_new (cpu, spec, &config);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) w = NULL;

  g_cancellable_cancel (cancellable);
  w = trb_trainer_run (trainer, init, &train_set->source, cancellable, &error);
  g_assert_null (w);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_bad_data (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbModelSpec) cnn = trb_model_spec_new_from_json (trb_model_spec_json_niid_cnn (), -1,
                                                               NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 4);
  g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
  TrbTrainerConfig config = small_config ();
  g_autoptr(TrbTrainer) trainer = trb_trainer_new (cpu, spec, &config);
  g_autoptr(TrbTrainer) cnn_trainer = trb_trainer_new (cpu, cnn, &config);
  g_autoptr(GError) error = NULL;
  gint32 labels[3] = { 1, 12, 3 };
  TrbDataSource data = train_set->source;
  TrbWeights *w;

  data.n_samples = 3;
  data.labels = labels;
  w = trb_trainer_run (trainer, init, &data, NULL, &error);
  g_assert_null (w);
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "label 12"));
  g_clear_error (&error);

  data = train_set->source;
  data.feature_size = 100;
  g_assert_null (trb_trainer_run (trainer, init, &data, NULL, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  data.n_samples = 0;
  g_assert_null (trb_trainer_run (trainer, init, &data, NULL, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Weights of another model. */
  g_assert_null (trb_trainer_run (cnn_trainer, init, &train_set->source, NULL, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
  g_clear_error (&error);

  /* A learning rate so large that training blows up is reported, not returned as weights. */
  config.step.learning_rate = 1e30;
  {
    g_autoptr(TrbTrainer) wild = trb_trainer_new (cpu, spec, &config);
    g_assert_null (trb_trainer_run (wild, init, &train_set->source, NULL, &error));
    g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DIVERGED);
  }
}

/* ---- the scheduler's share of the processor ---- */

typedef struct
{
  TrbExecutor *executor;
  int          reports;
  int          threads_seen[4];
} ShareState;

/* Changes the executor's threads while it trains: 1, then 3, then 2. */
static void
share_progress_cb (const TrbTrainerProgress *progress,
                   gpointer                  user_data)
{
  ShareState *st = user_data;
  static const guint threads[] = { 1, 3, 2 };

  st->threads_seen[MIN (st->reports, 3)] =
    trb_cpu_executor_get_n_threads (TRB_CPU_EXECUTOR (st->executor));
  if (st->reports < 3)
    trb_executor_set_resource_share (st->executor, threads[st->reports], 0.5);
  st->reports++;
}

/* The preset's share of the processor changes the CPU executor's threads from the next step,
 * and never the result. */
static void
test_cpu_share (void)
{
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                                NULL);
  g_autoptr(TrbWeights) init = trb_model_spec_init_weights (spec, 4);
  g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();
  g_autoptr(TrbExecutor) cpu2 = trb_cpu_executor_new ();
  TrbTrainerConfig config = small_config ();
  g_autoptr(TrbTrainer) plain = trb_trainer_new (cpu, spec, &config);
  g_autoptr(TrbTrainer) shared = trb_trainer_new (cpu2, spec, &config);
  g_autoptr(TrbWeights) want = NULL;
  g_autoptr(TrbWeights) got = NULL;
  g_autoptr(GError) error = NULL;
  TrbDataSource data = train_set->source;
  ShareState st = { cpu2 };

  data.n_samples = 400;
  want = trb_trainer_run (plain, init, &data, NULL, &error);
  g_assert_no_error (error);
  trb_trainer_set_progress_func (shared, share_progress_cb, &st, NULL);
  got = trb_trainer_run (shared, init, &data, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (st.reports, >=, 4);
  g_assert_cmpint (st.threads_seen[1], ==, 1);
  g_assert_cmpint (st.threads_seen[2], ==, 3);
  g_assert_cmpint (st.threads_seen[3], ==, 2);
  g_assert_cmpfloat (trb_weights_max_abs_difference (got, want), ==, 0.0);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  train_set = fashion_load ("train", 4000);

  g_test_add_func ("/compute/train/2nn-matches-reference", test_2nn_matches_reference);
  g_test_add_func ("/compute/train/niid-cnn-matches-reference", test_niid_cnn_matches_reference);
  g_test_add_func ("/compute/train/fedavg-cnn-matches-reference",
                   test_fedavg_cnn_matches_reference);
  g_test_add_func ("/compute/train/adam-fedprox-dropout-matches-reference",
                   test_adam_fedprox_dropout_matches_reference);
  g_test_add_func ("/compute/train/fashion-2nn-accuracy", test_fashion_2nn_accuracy);
  g_test_add_func ("/compute/train/evaluate", test_evaluate_matches_reference);
  g_test_add_func ("/compute/train/evaluate-cancel", test_evaluate_cancel);
  g_test_add_func ("/compute/train/pause-resume", test_pause_resume);
  g_test_add_func ("/compute/train/kill-resume", test_kill_resume);
  g_test_add_func ("/compute/train/cancel", test_cancel);
  g_test_add_func ("/compute/train/bad-data", test_bad_data);
  g_test_add_func ("/compute/train/cpu-share", test_cpu_share);

  ret = g_test_run ();
  fashion_free (train_set);
  return ret;
}

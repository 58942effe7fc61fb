/* trb-trainer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Local training: E epochs of seeded shuffles in batches of B, driven a step at a time (or a few
 * steps at once, when the executor runs them in one short submission) so that pausing and
 * cancelling take effect between submissions. Everything that decides the result (the
 * shuffle of each epoch, the step counter that keys dropout) is a pure function of the seed and
 * the position in the run, so a run resumed from the checkpoint of an epoch continues exactly
 * as the uninterrupted run would have.
 */

#define G_LOG_DOMAIN "trb-trainer"

#include "config.h"

#include "trb-trainer.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "compute/trb-cpu-executor.h"
#include "compute/trb-philox.h"

/* Checkpoints hold at most a few times the largest model; refuse anything bigger. */
#define MAX_CHECKPOINT_BYTES ((gsize) 3 * 4 * TRB_MODEL_SPEC_MAX_PARAMS + 1024 * 1024)
/* Progress is reported at most this often (µs), and at the end of every epoch. */
#define PROGRESS_INTERVAL_US (100 * 1000)

struct _TrbTrainer
{
  GObject                 parent_instance;

  TrbExecutor            *executor;
  TrbModelSpec           *spec;
  TrbTrainerConfig        config;
  char                   *checkpoint_path;

  TrbTrainerProgressFunc  progress_func;
  gpointer                progress_data;
  GDestroyNotify          progress_destroy;
  GMainContext           *progress_context;   /* where to call progress_func, or NULL */

  GMutex                  mutex;
  GCond                   cond;
  gboolean                paused;
  int                     resumed_epoch;
  TrbTrainerProgress      last;
};

G_DEFINE_FINAL_TYPE (TrbTrainer, trb_trainer, G_TYPE_OBJECT)

static void
trb_trainer_finalize (GObject *object)
{
  TrbTrainer *self = (TrbTrainer *)object;

  if (self->progress_destroy)
    self->progress_destroy (self->progress_data);
  g_clear_pointer (&self->progress_context, g_main_context_unref);
  g_clear_object (&self->executor);
  g_clear_object (&self->spec);
  g_free (self->checkpoint_path);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (trb_trainer_parent_class)->finalize (object);
}

static void
trb_trainer_class_init (TrbTrainerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_trainer_finalize;
}

static void
trb_trainer_init (TrbTrainer *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->resumed_epoch = -1;
}

TrbTrainer *
trb_trainer_new (TrbExecutor            *executor,
                 TrbModelSpec           *spec,
                 const TrbTrainerConfig *config)
{
  TrbTrainer *self;

  g_return_val_if_fail (TRB_IS_EXECUTOR (executor), NULL);
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (spec), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (TRB_TYPE_TRAINER, NULL);
  self->executor = g_object_ref (executor);
  self->spec = g_object_ref (spec);
  self->config = *config;
  self->checkpoint_path = g_strdup (config->checkpoint_path);
  self->config.checkpoint_path = self->checkpoint_path;
  return self;
}

void
trb_trainer_set_progress_func (TrbTrainer             *self,
                               TrbTrainerProgressFunc  func,
                               gpointer                user_data,
                               GDestroyNotify          destroy)
{
  g_return_if_fail (TRB_IS_TRAINER (self));

  if (self->progress_destroy)
    self->progress_destroy (self->progress_data);
  self->progress_func = func;
  self->progress_data = user_data;
  self->progress_destroy = destroy;
}

void
trb_trainer_pause (TrbTrainer *self)
{
  g_return_if_fail (TRB_IS_TRAINER (self));
  g_mutex_lock (&self->mutex);
  self->paused = TRUE;
  g_mutex_unlock (&self->mutex);
}

void
trb_trainer_resume (TrbTrainer *self)
{
  g_return_if_fail (TRB_IS_TRAINER (self));
  g_mutex_lock (&self->mutex);
  self->paused = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

gboolean
trb_trainer_is_paused (TrbTrainer *self)
{
  gboolean paused;

  g_return_val_if_fail (TRB_IS_TRAINER (self), FALSE);
  g_mutex_lock (&self->mutex);
  paused = self->paused;
  g_mutex_unlock (&self->mutex);
  return paused;
}

/* The epoch (0-based) the last run resumed at from its checkpoint, or -1 if it started fresh. */
int
trb_trainer_get_resumed_epoch (TrbTrainer *self)
{
  g_return_val_if_fail (TRB_IS_TRAINER (self), -1);
  return self->resumed_epoch;
}

const TrbTrainerProgress *
trb_trainer_get_last_progress (TrbTrainer *self)
{
  g_return_val_if_fail (TRB_IS_TRAINER (self), NULL);
  return &self->last;
}

gboolean
trb_data_source_check (const TrbDataSource  *data,
                       TrbModelSpec         *spec,
                       GError              **error)
{
  int classes = trb_model_spec_get_n_classes (spec);

  if (data == NULL || data->n_samples == 0 || data->features == NULL || data->labels == NULL)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                   _("There are no samples to train on."));
      return FALSE;
    }
  if (data->feature_size != trb_model_spec_get_input_size (spec))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: two counts of values per sample: the data's, which
                                 * chooses the plural form, then the model's. */
                                "The data has %zu value per sample, but the model expects %zu.",
                                "The data has %zu values per sample, but the model expects %zu.",
                                data->feature_size),
                   data->feature_size, trb_model_spec_get_input_size (spec));
      return FALSE;
    }
  if (trb_model_spec_names_input_type (spec) &&
      data->feature_type != trb_model_spec_get_input_type (spec))
    {
      g_set_error_literal (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                           data->feature_type == TRB_FEATURE_U8 ?
                           _("The model takes decimal numbers (“f32”), but the data holds "
                             "bytes.") :
                           _("The model takes bytes (“u8”), but the data holds decimal "
                             "numbers."));
      return FALSE;
    }
  if (data->n_samples > G_MAXINT32)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                   _("The data set has too many samples."));
      return FALSE;
    }
  for (gsize i = 0; i < data->n_samples; i++)
    if (data->labels[i] < 0 || data->labels[i] >= classes)
      {
        g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                     g_dngettext (GETTEXT_PACKAGE,
                                  /* Translators: the sample's position, its label, and the number
                                   * of classes the model knows, which chooses the plural form. */
                                  "Sample %zu has the label %d, but the model knows only %d "
                                  "class.",
                                  "Sample %zu has the label %d, but the model knows only %d "
                                  "classes.", classes),
                     i + 1, data->labels[i], classes);
        return FALSE;
      }
  return TRUE;
}

/* @data with the byte scale its model's spec gives: what training and evaluation see is the
 * model's choice (`input.scale`), never the reader's. */
static TrbDataSource
with_model_scale (TrbModelSpec        *spec,
                  const TrbDataSource *data)
{
  TrbDataSource scaled = *data;

  scaled.u8_scale = trb_model_spec_get_input_scale (spec);
  return scaled;
}

/**
 * trb_data_source_gather:
 * @order: (nullable): the samples' order, or %NULL for the stored one
 * @first: the first position in that order
 * @n: how many samples
 * @x: (out caller-allocates): n × feature_size floats, bytes scaled by u8_scale
 * @labels: (out caller-allocates): n labels
 *
 * A batch as the trainer hands it to an executor that does not keep the data set itself.
 */
void
trb_data_source_gather (const TrbDataSource *data,
                        const gint32        *order,
                        gsize                first,
                        int                  n,
                        float               *x,
                        gint32              *labels)
{
  gsize fs = data->feature_size;

  for (int s = 0; s < n; s++)
    {
      gsize idx = order ? (gsize) order[first + s] : first + s;

      labels[s] = data->labels[idx];
      if (data->feature_type == TRB_FEATURE_U8)
        {
          const guint8 *src = (const guint8 *) data->features + idx * fs;
          float scale = (float) data->u8_scale;
          for (gsize k = 0; k < fs; k++)
            x[s * fs + k] = src[k] * scale;
        }
      else
        memcpy (x + s * fs, (const float *) data->features + idx * fs, fs * sizeof (float));
    }
}

/**
 * trb_data_source_shuffle:
 * @order: (out caller-allocates): @n positions
 *
 * The trainer's order of @n samples in @epoch for @seed: a permutation, a pure function of its
 * arguments.
 */
void
trb_data_source_shuffle (gint32  *order,
                         gsize    n,
                         guint64  seed,
                         int      epoch)
{
  for (gsize i = 0; i < n; i++)
    order[i] = (gint32) i;
  for (gsize i = n - 1; i > 0; i--)
    {
      gsize j = (gsize) (trb_philox_uniform (seed, 0x5348554646ull + (guint64) epoch, i) * (i + 1));
      gint32 t = order[i];

      order[i] = order[j];
      order[j] = t;
    }
}

typedef struct
{
  TrbTrainer         *self;
  TrbTrainerProgress  progress;
} ProgressCall;

static gboolean
call_progress_cb (gpointer data)
{
  ProgressCall *call = data;

  if (call->self->progress_func)
    call->self->progress_func (&call->progress, call->self->progress_data);
  g_object_unref (call->self);
  g_free (call);
  return G_SOURCE_REMOVE;
}

static void
report (TrbTrainer               *self,
        const TrbTrainerProgress *progress)
{
  self->last = *progress;
  if (self->progress_func == NULL)
    return;
  if (self->progress_context == NULL)
    self->progress_func (progress, self->progress_data);
  else
    {
      ProgressCall *call = g_new0 (ProgressCall, 1);

      call->self = g_object_ref (self);
      call->progress = *progress;
      g_main_context_invoke (self->progress_context, call_progress_cb, call);
    }
}

/* Blocks while paused. Returns FALSE when cancelled. */
static gboolean
wait_while_paused (TrbTrainer   *self,
                   GCancellable *cancellable)
{
  g_mutex_lock (&self->mutex);
  while (self->paused && !g_cancellable_is_cancelled (cancellable))
    {
      gint64 until = g_get_monotonic_time () + 50 * 1000;
      g_cond_wait_until (&self->cond, &self->mutex, until);
    }
  g_mutex_unlock (&self->mutex);
  return !g_cancellable_is_cancelled (cancellable);
}

static char *
run_key (TrbTrainer          *self,
         TrbWeights          *initial,
         const TrbDataSource *data)
{
  g_autofree char *addr = trb_weights_content_address (initial);
  TrbStepParams *sp = &self->config.step;
  const double values[] = { sp->learning_rate, sp->momentum, sp->weight_decay, sp->beta1,
                            sp->beta2, sp->eps, sp->prox_mu };
  GString *key = g_string_new (NULL);

  g_string_append_printf (key, "%s|%s|%" G_GSIZE_FORMAT "|%d|%d|%" G_GUINT64_FORMAT "|%d",
                          trb_model_spec_get_digest (self->spec), addr, data->n_samples,
                          self->config.epochs, self->config.batch_size, self->config.seed,
                          sp->optimizer);
  /* The same key in every locale: a run saved under one LC_NUMERIC resumes under another. */
  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append_c (key, '|');
      g_string_append (key, g_ascii_dtostr (buf, sizeof buf, values[i]));
    }
  return g_string_free (key, FALSE);
}

static gboolean
save_checkpoint (TrbTrainer  *self,
                 const char  *key,
                 int          epochs_done,
                 GError     **error)
{
  g_autoptr(TrbWeights) params = trb_executor_get_weights (self->executor);
  g_autoptr(TrbWeights) state = trb_executor_get_optimizer_state (self->executor);
  g_autoptr(TrbWeights) both = trb_weights_new ();
  g_autofree char *epoch_str = g_strdup_printf ("%d", epochs_done);
  g_autofree char *key_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  g_autofree char *dir = g_path_get_dirname (self->checkpoint_path);
  TrbWeights *sets[2] = { params, state };
  const char *prefixes[2] = { "param/", "state/" };

  for (guint s = 0; s < 2; s++)
    for (guint i = 0; i < trb_weights_get_n_tensors (sets[s]); i++)
      {
        g_autofree char *name = g_strconcat (prefixes[s], trb_weights_get_name (sets[s], i),
                                             NULL);
        memcpy (trb_weights_add (both, name, trb_weights_get_n_dims (sets[s], i),
                                 trb_weights_get_shape (sets[s], i)),
                trb_weights_get_data (sets[s], i),
                trb_weights_get_n_elements (sets[s], i) * sizeof (float));
      }
  trb_weights_set_metadata (both, "tributary.run", key_hash);
  trb_weights_set_metadata (both, "tributary.epochs_done", epoch_str);
  g_mkdir_with_parents (dir, 0700);
  return trb_weights_save (both, self->checkpoint_path, error);
}

/* Returns the number of epochs the checkpoint completed, restoring the executor, or 0. */
static int
load_checkpoint (TrbTrainer *self,
                 const char *key,
                 TrbWeights *initial)
{
  g_autoptr(TrbWeights) both = NULL;
  g_autoptr(TrbWeights) params = NULL;
  g_autoptr(TrbWeights) state = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  const char *epochs_str;
  guint64 epochs_done;

  if (!g_file_test (self->checkpoint_path, G_FILE_TEST_EXISTS))
    return 0;
  both = trb_weights_load (self->checkpoint_path, MAX_CHECKPOINT_BYTES, &error);
  if (both == NULL)
    {
      g_warning ("Ignoring an unreadable training checkpoint: %s", error->message);
      return 0;
    }
  epochs_str = trb_weights_get_metadata (both, "tributary.epochs_done");
  if (g_strcmp0 (trb_weights_get_metadata (both, "tributary.run"), key_hash) != 0 ||
      epochs_str == NULL ||
      !g_ascii_string_to_unsigned (epochs_str, 10, 1, self->config.epochs, &epochs_done, NULL))
    return 0;

  params = trb_weights_new ();
  state = trb_weights_new ();
  for (guint i = 0; i < trb_weights_get_n_tensors (both); i++)
    {
      const char *name = trb_weights_get_name (both, i);
      TrbWeights *dst = g_str_has_prefix (name, "param/") ? params :
                        g_str_has_prefix (name, "state/") ? state : NULL;

      if (dst == NULL)
        return 0;
      memcpy (trb_weights_add (dst, name + 6, trb_weights_get_n_dims (both, i),
                               trb_weights_get_shape (both, i)),
              trb_weights_get_data (both, i), trb_weights_get_n_elements (both, i) * 4);
    }
  if (!trb_weights_same_layout (initial, params, NULL) ||
      !trb_executor_set_weights (self->executor, params, state, &error))
    return 0;
  return (int) epochs_done;
}

static void
lower_priority (void)
{
#ifdef __linux__
  /* On Linux, nice values are per thread: this lowers only the thread that trains. */
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 19) != 0)
    g_debug ("Could not lower the priority of the training thread");
#endif
}

/* Evaluates the executor's current weights on the held-out split, batch by batch, without
 * disturbing its parameters or optimizer state. */
static gboolean
evaluate_holdout (TrbTrainer     *self,
                  int             batch_size,
                  TrbEvaluation  *out,
                  GCancellable   *cancellable,
                  GError        **error)
{
  TrbDataSource scaled = with_model_scale (self->spec, self->config.holdout);
  const TrbDataSource *data = &scaled;
  g_autofree float *x = g_new (float, (gsize) batch_size * data->feature_size);
  g_autofree gint32 *labels = g_new (gint32, batch_size);
  double loss_sum = 0;
  guint64 correct = 0;

  for (gsize first = 0; first < data->n_samples; first += batch_size)
    {
      int n = (int) MIN ((gsize) batch_size, data->n_samples - first);
      TrbBatch batch = { n, x, labels };
      TrbStepResult r = { 0 };

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      trb_data_source_gather (data, NULL, first, n, x, labels);
      if (!trb_executor_evaluate (self->executor, &batch, &r, error))
        return FALSE;
      loss_sum += r.loss_sum;
      correct += r.correct;
    }
  out->n_samples = data->n_samples;
  out->loss = loss_sum / data->n_samples;
  out->accuracy = (double) correct / data->n_samples;
  return TRUE;
}

/* One call of trb_trainer_run(): what its steps share. */
typedef struct
{
  TrbTrainer          *self;
  const TrbDataSource *data;
  TrbWeights          *start;        /* the conformed initial weights, FedProx's anchor */
  GCancellable        *cancellable;
  int                  B;            /* the batch size, at most the number of samples */
  gboolean             resident;     /* the data set is on the executor's device */
  gsize                steps_per_epoch;
  TrbStepParams        sp;           /* the settings of every step, as the run began */
  gint32              *order;        /* the epoch's shuffle */
  float               *x;            /* a batch gathered on the host, when not resident */
  gint32              *labels;
  TrbTrainerProgress   progress;
  gint64               t_start;
  gint64               last_report;
  guint64              samples_at_start;
  double               loss_sum;     /* the epoch's tallies so far */
  guint64              correct;
  guint64              seen;
} Run;

static gboolean
check_settings (TrbTrainer  *self,
                GError     **error)
{
  int B = self->config.batch_size;

  if (self->config.epochs < 1 || self->config.epochs > 10000 || B < 1 || B > 65536 ||
      !(self->config.step.learning_rate > 0) || !isfinite (self->config.step.learning_rate))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                   _("The training settings are invalid (epochs, batch size or learning rate)."));
      return FALSE;
    }
  return TRUE;
}

/* Prepares the executor with @params and @state (NULL: a fresh optimizer), the FedProx anchor
 * and, where it takes it, the data set. */
static gboolean
load_executor (Run         *run,
               TrbWeights  *params,
               TrbWeights  *state,
               GError     **error)
{
  TrbTrainer *self = run->self;

  if (!trb_executor_prepare (self->executor, self->spec, run->B, error) ||
      !trb_executor_set_weights (self->executor, params, state, error) ||
      !trb_executor_set_prox_anchor (self->executor,
                                     self->config.step.prox_mu > 0 ? run->start : NULL, error))
    return FALSE;
  run->resident = run->data->feature_type == TRB_FEATURE_U8 &&
                  trb_executor_upload_dataset (self->executor, run->data, NULL);
  return TRUE;
}

/* Runs the steps from @step of @epoch that the executor takes in one submission (several full
 * batches of a resident data set, the same steps and results as one at a time): sets *@k to
 * their number and *@n to their batch size. */
static gboolean
run_submission (Run           *run,
                int            epoch,
                gsize          step,
                TrbStepResult *results,
                int           *k,
                int           *n,
                GError       **error)
{
  TrbTrainer *self = run->self;
  gsize first = step * run->B;
  TrbStepParams sps[TRB_EXECUTOR_MAX_STEPS];
  TrbBatch batch = { 0, run->x, run->labels };

  *n = (int) MIN ((gsize) run->B, run->data->n_samples - first);
  *k = 1;
  if (run->resident)
    *k = (int) MIN ((gsize) trb_executor_get_steps_per_submit (self->executor),
                    (run->data->n_samples - first) / run->B);
  *k = MAX (*k, 1);
  for (int j = 0; j < *k; j++)
    {
      sps[j] = run->sp;
      sps[j].step = (guint64) epoch * run->steps_per_epoch + step + j + 1;
      sps[j].dropout_seed = self->config.seed;
    }
  if (run->resident)
    return trb_executor_train_steps_indexed (self->executor, run->order + first, *n, *k, sps,
                                             results, error);
  batch.n = *n;
  trb_data_source_gather (run->data, run->order, first, *n, run->x, run->labels);
  return trb_executor_train_step (self->executor, &batch, &sps[0], &results[0], error);
}

/* Adds a step's result to the epoch's tallies; reports after the first step of each epoch,
 * then at most every PROGRESS_INTERVAL_US (the epoch's end is reported after the hold-out). */
static void
tally_step (Run                 *run,
            const TrbStepResult *result,
            int                  n,
            gsize                step)
{
  TrbTrainerProgress *progress = &run->progress;
  gint64 now;
  double elapsed;

  run->loss_sum += result->loss_sum;
  run->correct += result->correct;
  run->seen += n;
  progress->samples_done += n;
  now = g_get_monotonic_time ();
  if (!(now - run->last_report >= PROGRESS_INTERVAL_US || step == 0 ||
        step + 1 == run->steps_per_epoch))
    return;
  elapsed = (now - run->t_start) / 1e6;
  run->last_report = now;
  progress->loss = run->loss_sum / run->seen;
  progress->accuracy = (double) run->correct / run->seen;
  progress->samples_per_second =
    elapsed > 0 ? (progress->samples_done - run->samples_at_start) / elapsed : 0;
  progress->eta_seconds = progress->samples_per_second > 0 ?
    (progress->samples_total - progress->samples_done) / progress->samples_per_second : 0;
  progress->epoch_done = step + 1 == run->steps_per_epoch;
  if (!progress->epoch_done)
    report (run->self, progress);
}

/* The steps of one epoch, from its shuffle on. */
static gboolean
run_epoch_steps (Run     *run,
                 int      epoch,
                 GError **error)
{
  TrbTrainer *self = run->self;

  run->loss_sum = 0;
  run->correct = run->seen = 0;
  trb_data_source_shuffle (run->order, run->data->n_samples, self->config.seed, epoch);
  run->progress.epoch = epoch + 1;
  run->progress.epoch_done = FALSE;
  for (gsize step = 0; step < run->steps_per_epoch; )
    {
      TrbStepResult results[TRB_EXECUTOR_MAX_STEPS] = { { 0 } };
      int k, n;

      if (!wait_while_paused (self, run->cancellable))
        return g_cancellable_set_error_if_cancelled (run->cancellable, error), FALSE;
      if (!run_submission (run, epoch, step, results, &k, &n, error))
        return FALSE;
      for (int j = 0; j < k; j++, step++)
        tally_step (run, &results[j], n, step);
    }
  return TRUE;
}

/* One epoch. A device can be lost mid-epoch (a GPU reset): the epoch is then redone from its
 * start on a fresh device, up to three times. */
static gboolean
run_epoch (Run     *run,
           int      epoch,
           GError **error)
{
  TrbTrainer *self = run->self;
  g_autoptr(TrbWeights) snap_params = trb_executor_get_weights (self->executor);
  g_autoptr(TrbWeights) snap_state = trb_executor_get_optimizer_state (self->executor);
  guint64 samples_before = run->progress.samples_done;

  for (int lost = 0; ; )
    {
      g_autoptr(GError) local_error = NULL;

      run->progress.samples_done = samples_before;
      if (run_epoch_steps (run, epoch, &local_error))
        return TRUE;
      if (!g_error_matches (local_error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DEVICE_LOST) ||
          lost++ >= 3)
        {
          if (local_error != NULL)
            g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_message ("The compute device was lost; redoing epoch %d: %s", epoch + 1,
                 local_error->message);
      if (!load_executor (run, snap_params, snap_state, error))
        return FALSE;
    }
}

/* After an epoch: the checkpoint (not after the last), the hold-out, the epoch's report. */
static gboolean
finish_epoch (Run         *run,
              int          epoch,
              const char  *key,
              GError     **error)
{
  TrbTrainer *self = run->self;

  if (self->checkpoint_path != NULL && epoch + 1 < self->config.epochs &&
      !save_checkpoint (self, key, epoch + 1, error))
    return FALSE;
  run->progress.holdout_loss = run->progress.holdout_accuracy = -1;
  if (self->config.holdout != NULL)
    {
      TrbEvaluation ev;

      if (!evaluate_holdout (self, run->B, &ev, run->cancellable, error))
        return FALSE;
      run->progress.holdout_loss = ev.loss;
      run->progress.holdout_accuracy = ev.accuracy;
    }
  report (self, &run->progress);
  return TRUE;
}

TrbWeights *
trb_trainer_run (TrbTrainer           *self,
                 TrbWeights           *initial,
                 const TrbDataSource  *data,
                 GCancellable         *cancellable,
                 GError              **error)
{
  g_autoptr(TrbWeights) start = NULL;
  g_autofree gint32 *order = NULL;
  g_autofree float *x = NULL;
  g_autofree gint32 *labels = NULL;
  g_autofree char *key = NULL;
  TrbDataSource scaled;
  Run run = { .self = self, .cancellable = cancellable };
  int first_epoch = 0;

  g_return_val_if_fail (TRB_IS_TRAINER (self), NULL);
  g_return_val_if_fail (TRB_IS_WEIGHTS (initial), NULL);

  if (data != NULL)
    {
      scaled = with_model_scale (self->spec, data);
      data = &scaled;
    }
  run.data = data;

  if (!check_settings (self, error) ||
      !trb_data_source_check (data, self->spec, error) ||
      (self->config.holdout != NULL &&
       !trb_data_source_check (self->config.holdout, self->spec, error)))
    return NULL;
  start = trb_model_spec_conform_weights (self->spec, initial, error);
  if (start == NULL)
    return NULL;
  if (self->config.low_priority)
    lower_priority ();

  run.start = start;
  run.sp = self->config.step;
  run.B = (int) MIN ((gsize) self->config.batch_size, data->n_samples);
  if (!load_executor (&run, start, NULL, error))
    return NULL;

  key = run_key (self, start, data);
  self->resumed_epoch = -1;
  if (self->checkpoint_path != NULL)
    {
      first_epoch = load_checkpoint (self, key, start);
      if (first_epoch > 0)
        self->resumed_epoch = first_epoch;
    }

  run.steps_per_epoch = (data->n_samples + run.B - 1) / run.B;
  run.order = order = g_new (gint32, data->n_samples);
  run.x = x = g_new (float, (gsize) run.B * data->feature_size);
  run.labels = labels = g_new (gint32, run.B);
  run.progress.epochs = self->config.epochs;
  run.progress.samples_total = (guint64) data->n_samples * self->config.epochs;
  run.progress.samples_done = (guint64) data->n_samples * first_epoch;
  run.samples_at_start = run.progress.samples_done;
  run.t_start = g_get_monotonic_time ();

  for (int epoch = first_epoch; epoch < self->config.epochs; epoch++)
    if (!run_epoch (&run, epoch, error) || !finish_epoch (&run, epoch, key, error))
      return NULL;

  if (self->checkpoint_path != NULL)
    g_unlink (self->checkpoint_path);
  return trb_executor_get_weights (self->executor);
}

typedef struct
{
  TrbWeights    *initial;
  TrbDataSource  data;
} RunData;

static void
run_data_free (gpointer data)
{
  RunData *rd = data;

  g_clear_object (&rd->initial);
  g_free (rd);
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  TrbTrainer *self = source_object;
  RunData *rd = task_data;
  GError *error = NULL;
  TrbWeights *result = trb_trainer_run (self, rd->initial, &rd->data, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, g_object_unref);
}

/**
 * trb_trainer_run_async:
 *
 * Trains on a worker thread; the progress function is called in the thread-default main
 * context of the caller. @data's memory must stay valid until the callback.
 */
void
trb_trainer_run_async (TrbTrainer          *self,
                       TrbWeights          *initial,
                       const TrbDataSource *data,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RunData *rd;

  g_return_if_fail (TRB_IS_TRAINER (self));
  g_return_if_fail (TRB_IS_WEIGHTS (initial));
  g_return_if_fail (data != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_trainer_run_async);
  g_clear_pointer (&self->progress_context, g_main_context_unref);
  self->progress_context = g_main_context_ref_thread_default ();
  rd = g_new0 (RunData, 1);
  rd->initial = g_object_ref (initial);
  rd->data = *data;
  g_task_set_task_data (task, rd, run_data_free);
  g_task_set_return_on_cancel (task, FALSE);

  g_task_run_in_thread (task, run_thread);
}

TrbWeights *
trb_trainer_run_finish (TrbTrainer    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * trb_evaluate:
 *
 * Mean loss and accuracy of @weights over all of @data, in batches of @batch_size.
 */
gboolean
trb_evaluate (TrbExecutor          *executor,
              TrbModelSpec         *spec,
              TrbWeights           *weights,
              const TrbDataSource  *data,
              int                   batch_size,
              TrbEvaluation        *out,
              GCancellable         *cancellable,
              GError              **error)
{
  g_autoptr(TrbWeights) w = NULL;
  g_autofree float *x = NULL;
  g_autofree gint32 *labels = NULL;
  TrbDataSource scaled;
  double loss_sum = 0;
  guint64 correct = 0;
  int B;

  g_return_val_if_fail (TRB_IS_EXECUTOR (executor), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!trb_data_source_check (data, spec, error))
    return FALSE;
  scaled = with_model_scale (spec, data);
  data = &scaled;
  w = trb_model_spec_conform_weights (spec, weights, error);
  if (w == NULL)
    return FALSE;
  B = (int) MIN ((gsize) CLAMP (batch_size, 1, 4096), data->n_samples);
  if (!trb_executor_prepare (executor, spec, B, error) ||
      !trb_executor_set_weights (executor, w, NULL, error))
    return FALSE;
  x = g_new (float, (gsize) B * data->feature_size);
  labels = g_new (gint32, B);
  for (gsize first = 0; first < data->n_samples; first += B)
    {
      int n = (int) MIN ((gsize) B, data->n_samples - first);
      TrbBatch batch = { n, x, labels };
      TrbStepResult r = { 0 };

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      trb_data_source_gather (data, NULL, first, n, x, labels);
      if (!trb_executor_evaluate (executor, &batch, &r, error))
        return FALSE;
      loss_sum += r.loss_sum;
      correct += r.correct;
    }
  out->n_samples = data->n_samples;
  out->loss = loss_sum / data->n_samples;
  out->accuracy = (double) correct / data->n_samples;
  return TRUE;
}

/* Evaluation on the CPU executor: what a node does with its hold-out set, and a participant with
 * its own data ("evaluate on my data"). @cancellable is checked between batches, so that a
 * cancelled evaluation ends within a batch (256 samples). */
gboolean
trb_evaluate_on_cpu (TrbModelSpec         *spec,
                     TrbWeights           *weights,
                     const TrbDataSource  *data,
                     TrbEvaluation        *out,
                     GCancellable         *cancellable,
                     GError              **error)
{
  g_autoptr(TrbExecutor) cpu = trb_cpu_executor_new ();

  return trb_evaluate (cpu, spec, weights, data, 256, out, cancellable, error);
}

/* trb-node-rounds.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rounds: opening, closing when full or due, and the aggregation on a worker thread.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-rounds.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "aggregation/trb-round-aggregate.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "ledger/trb-ledger-entry.h"
#include "net/trb-client.h"
#include "net/trb-training-set.h"

#include "trb-node-db.h"
#include "trb-node-private.h"

const char * const trb_node_round_state_names[] = { "open", "collecting", "aggregating", "closed" };

/* ---- events ------------------------------------------------------------------------------- */

void
trb_node_emit_round_event (TrbNode *self,
                           Task    *task)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;
  JsonNode *node;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, self->next_event_seq++);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "round");
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "round");
  json_builder_add_int_value (b, task->round);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, trb_node_round_state_names[task->state]);
  json_builder_end_object (b);
  node = json_builder_get_root (b);

  g_queue_push_tail (&self->events, node);
  while (g_queue_get_length (&self->events) > MAX_EVENTS_KEPT)
    json_node_unref (g_queue_pop_head (&self->events));

  text = json_to_string (node, FALSE);
  for (guint i = 0; i < self->sockets->len; i++)
    {
      SoupWebsocketConnection *ws = g_ptr_array_index (self->sockets, i);

      if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text (ws, text);
    }
}

/* ---- whom a round asks ------------------------------------------------------------------- */

static int
compare_ranks (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Decides a period of whom the round asks: of the participants joined since the last period
 * (or ever, for the first) and before now, those the fraction keeps, lowest rank first, until
 * the round asks max_updates; and writes it in a `round_opened`. The ledger's size now is the
 * index that entry takes, so "joined before" is "before this entry". Nothing is written when a
 * later period would ask nobody. Must run inside a transaction. */
static gboolean
ask_period (TrbNode     *self,
            Task        *task,
            gboolean     first,
            gint64       now,
            GError     **error)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ranks = g_ptr_array_new_with_free_func (g_free);
  RoundPeriod period = { 0 };
  TrbRoundSelection selection;
  guint64 size;
  gsize len = 0;
  char *entry;

  if (!trb_merkle_log_get_size (self->log, &size, error))
    return FALSE;
  if (task->periods->len > 0)
    period.joined_after = g_array_index (task->periods, RoundPeriod, task->periods->len - 1)
                          .joined_before;
  period.joined_before = (gint64) size;
  task->asked_looked_at = size;
  if (!trb_node_db_list_participants (self, period.joined_after, period.joined_before, addresses,
                                      error))
    return FALSE;
  for (guint i = 0; i < addresses->len; i++)
    {
      const char *address = g_ptr_array_index (addresses, i);

      if (trb_client_is_selected (task->model_hash, address, task->fraction))
        g_ptr_array_add (ranks, trb_client_selection_rank (task->model_hash, address));
    }
  g_ptr_array_sort (ranks, compare_ranks);
  period.asked = MIN ((gint64) ranks->len, MAX (task->max_updates - task->n_asked, 0));
  if (period.asked == 0 && !first)
    return TRUE;
  g_strlcpy (period.cutoff,
             period.asked > 0 ? (const char *) g_ptr_array_index (ranks, period.asked - 1)
                              : "0000000000000000000000000000000000000000000000000000000000000000",
             sizeof period.cutoff);

  if (!trb_node_db_add_round_period (self, task->id, task->round, &period, error))
    return FALSE;
  selection = (TrbRoundSelection) {
    .joined_after = period.joined_after,
    .joined_before = period.joined_before,
    .max_asked = task->max_updates,
    .asked = period.asked,
    .cutoff = period.cutoff,
  };
  entry = trb_ledger_entry_build_round_opened_selected (task->id, task->round, task->model_hash,
                                                        task->deadline, &selection, now, &len,
                                                        error);
  if (!trb_node_db_append_entry (self, entry, len, NULL, error))
    return FALSE;
  g_array_append_val (task->periods, period);
  task->n_asked += period.asked;
  task->asked_looked_at = size + 1;    /* the entry just written */
  return TRUE;
}

/**
 * trb_node_round_asks:
 * @task: a task
 * @address: a participant's address
 * @joined_index: the ledger index of its `participant_joined`
 *
 * Whether the current round of @task asks @address for an update.
 *
 * Returns: %TRUE if it does
 */
gboolean
trb_node_round_asks (Task       *task,
                     const char *address,
                     guint64     joined_index)
{
  g_autofree char *rank = NULL;

  if (!trb_client_is_selected (task->model_hash, address, task->fraction))
    return FALSE;
  /* A round opened before this node decided whom a round asks: the fraction alone, as then. */
  if (task->periods->len == 0)
    return TRUE;
  rank = trb_client_selection_rank (task->model_hash, address);
  for (guint i = 0; i < task->periods->len; i++)
    {
      const RoundPeriod *period = &g_array_index (task->periods, RoundPeriod, i);

      if ((gint64) joined_index >= period->joined_after &&
          (gint64) joined_index < period->joined_before)
        return period->asked > 0 && strcmp (rank, period->cutoff) <= 0;
    }
  return FALSE;
}

/* The highest rank the current round asks, 64 zeros when it asks nobody (or %NULL when the round
 * has no periods: it asks by the fraction alone). */
const char *
trb_node_round_cutoff (Task *task)
{
  const char *cutoff = NULL;

  for (guint i = 0; i < task->periods->len; i++)
    {
      const RoundPeriod *period = &g_array_index (task->periods, RoundPeriod, i);

      if (cutoff == NULL || strcmp (period->cutoff, cutoff) > 0)
        cutoff = period->cutoff;
    }
  return cutoff;
}

/* The periods of @task's current round, as stored, when the node starts. */
gboolean
trb_node_load_round_periods (TrbNode  *self,
                             Task     *task,
                             GError  **error)
{
  g_autoptr(GArray) periods = g_array_new (FALSE, FALSE, sizeof (RoundPeriod));

  if (!trb_node_db_load_round_periods (self, task->id, task->round, periods, error))
    return FALSE;
  g_clear_pointer (&task->periods, g_array_unref);
  task->periods = g_steal_pointer (&periods);
  task->n_asked = 0;
  for (guint i = 0; i < task->periods->len; i++)
    task->n_asked += g_array_index (task->periods, RoundPeriod, i).asked;
  task->asked_looked_at = 0;
  return TRUE;
}

/* A round that asks fewer than min_updates participants can never close: round 1 of a new
 * network, opened before anyone joined, or a round of a network that has grown since. Such a
 * round asks those who joined since, in a new period, at the next tick; those it asked already
 * stay asked. A round that asks enough is never widened, so that participants who joined after
 * it opened cannot crowd out those it asked. */
static void
widen_round (TrbNode *self,
             Task    *task)
{
  g_autoptr(GError) error = NULL;
  guint64 size;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (task->periods->len == 0 || task->n_asked >= task->min_updates ||
      task->n_asked >= task->max_updates)
    return;
  /* Only when the ledger grew: every join is an entry. */
  if (!trb_merkle_log_get_size (self->log, &size, &error))
    {
      g_warning ("Could not read the ledger's size: %s", error->message);
      return;
    }
  if (size <= task->asked_looked_at)
    return;
  if (!trb_node_db_begin (self, &error))
    goto fail;
  if (!ask_period (self, task, FALSE, now, &error))
    {
      trb_node_db_rollback (self);
      goto fail;
    }
  if (!trb_node_db_commit (self, &error))
    {
      trb_node_db_rollback (self);
      goto fail;
    }
  return;

fail:
  /* Tried again at the next tick. The in-memory periods may hold one the store does not; it is
   * read again from the store. */
  g_warning ("Round %" G_GINT64_FORMAT " of %s could not ask the participants who joined since "
             "it opened; will retry: %s", task->round, task->id, error->message);
  g_clear_error (&error);
  if (!trb_node_load_round_periods (self, task, &error))
    g_warning ("Could not read whom round %" G_GINT64_FORMAT " of %s asks: %s", task->round,
               task->id, error->message);
}

/* Opens round @round of @task on the model @model_hash: the rounds row, whom it asks and its
 * ledger entry. Must run inside a transaction. */
gboolean
trb_node_open_round (TrbNode     *self,
                     Task        *task,
                     gint64       round,
                     const char  *model_hash,
                     GError     **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  task->round = round;
  task->state = ROUND_OPEN;
  g_free (task->model_hash);
  task->model_hash = g_strdup (model_hash);
  task->deadline = now + task->duration;
  task->n_updates = 0;
  g_array_set_size (task->periods, 0);
  task->n_asked = 0;

  if (!trb_node_db_save_round (self, task, error))
    return FALSE;
  return ask_period (self, task, TRUE, now, error);
}

void
trb_node_set_aggregation_delay (TrbNode *self,
                                guint    delay_ms)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->aggregation_delay_ms = delay_ms;
}

/* ---- aggregation -------------------------------------------------------------------------- */

typedef struct
{
  TrbModelSpec *spec;
  TrbTrainingSet *holdout;    /* borrowed from the task, which outlives the job */
  TrbAggregationConfig config;
  TrbWeights *params;
  TrbWeights *state;      /* the server optimizer's: the previous round's, then the new one */
  GPtrArray  *blobs;      /* GBytes*, the accepted updates as stored */
  GPtrArray  *hashes;     /* char*, their hashes */
  GArray     *samples;    /* gint64 */
  /* What the reward rule needs of each update, by its index in blobs: its L2 norm as
   * accepted, and whether the aggregate used it (trb_protocol_reward_used()). */
  GArray     *norms;      /* double */
  GArray     *used;       /* gboolean */
  guint       delay_ms;
  double      loss;
  double      accuracy;
  guint       n_used;     /* updates the aggregate used, after the norm bound and the strategy */
  gboolean    evaluated;
  gboolean    kept_previous;  /* the aggregate was not finite: the model stays as it was */
} Aggregation;

static void
aggregation_free (Aggregation *job)
{
  g_clear_object (&job->params);
  g_clear_object (&job->state);
  g_clear_object (&job->spec);
  g_ptr_array_unref (job->blobs);
  g_ptr_array_unref (job->hashes);
  g_array_unref (job->samples);
  g_array_unref (job->norms);
  g_array_unref (job->used);
  g_free (job);
}

/* Reads weights (a model or an update) and checks them against the task's model. */
static TrbWeights *
read_weights (TrbModelSpec  *spec,
              GBytes        *bytes,
              GError       **error)
{
  g_autoptr(TrbWeights) weights = trb_weights_new_from_safetensors (bytes, error);

  if (weights == NULL)
    return NULL;
  return trb_model_spec_conform_weights (spec, weights, error);
}

static void
aggregate_in_thread (GTask        *gtask,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  Aggregation *job = task_data;
  g_autoptr(GError) error = NULL;
  g_auto(TrbRoundAggregate) aggregate = { 0 };

  /* A node shutting down (trb_node_cancel_work()) does not wait for the remaining steps: the
   * job is checked between them and nothing it did is stored, so the round stays aggregating, as
   * committed, and is aggregated afresh at the next start. */
  if (job->delay_ms > 0 && !trb_client_sleep (job->delay_ms, cancellable, &error))
    {
      g_task_return_error (gtask, g_steal_pointer (&error));
      return;
    }

  /* The same function recomputes the round on a participant (trb-recompute.c): the same code
   * on the same updates in the same order, so that the models are bit-identical. */
  if (!trb_round_aggregate (&job->config, job->spec, job->params, job->state, job->blobs,
                            job->samples, cancellable, &aggregate, &error))
    {
      g_task_return_error (gtask, g_steal_pointer (&error));
      return;
    }
  g_array_set_size (job->used, 0);
  g_array_append_vals (job->used, aggregate.used->data, aggregate.used->len);
  g_array_set_size (job->norms, 0);
  g_array_append_vals (job->norms, aggregate.norms->data, aggregate.norms->len);
  job->n_used = aggregate.n_used;
  job->kept_previous = aggregate.kept_previous;
  g_set_object (&job->params, aggregate.params);
  if (!aggregate.kept_previous)
    g_set_object (&job->state, aggregate.state);

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (gtask, g_steal_pointer (&error));
      return;
    }
  if (job->holdout != NULL)
    {
      TrbDataSource source;
      TrbEvaluation evaluation;

      /* The compute engine's CPU executor, on the node's hold-out. */
      trb_training_set_get_source (job->holdout, &source);
      if (trb_evaluate_on_cpu (job->spec, job->params, &source, &evaluation, cancellable,
                               &error))
        {
          job->loss = evaluation.loss;
          job->accuracy = evaluation.accuracy;
          job->evaluated = TRUE;
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (gtask, g_steal_pointer (&error));
          return;
        }
      else
        g_warning ("The new model could not be evaluated: %s", error->message);
    }
  g_task_return_boolean (gtask, TRUE);
}

typedef struct
{
  TrbNode *node;
  char    *task_id;
} AggregationContext;

/* The inputs of reward rule 2 for one update, as its reward entry records them. */
typedef struct
{
  gint64   samples;
  gint64   epochs;
  gboolean used;
  double   norm;
} RewardInputs;

/* What the ledger records when a round closes: the accepted updates, the rewards for them and
 * the round's metrics. */
typedef struct
{
  GPtrArray  *hashes;
  GPtrArray  *participants;
  GArray     *points;
  GArray     *rewards;    /* RewardInputs, the inputs of each update's points */
  const char *metric_names[5];
  double      metric_values[5];
  guint       n_metrics;
} ClosedRound;

static void
closed_round_clear (ClosedRound *closed)
{
  g_clear_pointer (&closed->hashes, g_ptr_array_unref);
  g_clear_pointer (&closed->participants, g_ptr_array_unref);
  g_clear_pointer (&closed->points, g_array_unref);
  g_clear_pointer (&closed->rewards, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ClosedRound, closed_round_clear)

static void
add_metric (ClosedRound *closed,
            const char  *name,
            double       value)
{
  g_assert (closed->n_metrics < G_N_ELEMENTS (closed->metric_names));

  closed->metric_names[closed->n_metrics] = name;
  closed->metric_values[closed->n_metrics++] = value;
}

/* %FALSE when the updates could not be read: a round is never closed, nor its updates
 * rewarded, from a part of them. */
static gboolean
collect_closed_round (TrbNode      *self,
                      Task         *task,
                      Aggregation  *job,
                      ClosedRound  *closed,
                      GError      **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) job_index = g_hash_table_new (g_str_hash, g_str_equal);

  closed->hashes = g_ptr_array_new_with_free_func (g_free);
  closed->participants = g_ptr_array_new_with_free_func (g_free);
  closed->points = g_array_new (FALSE, FALSE, sizeof (gint64));
  closed->rewards = g_array_new (FALSE, FALSE, sizeof (RewardInputs));
  for (guint u = 0; u < job->hashes->len; u++)
    g_hash_table_insert (job_index, g_ptr_array_index (job->hashes, u), GUINT_TO_POINTER (u + 1));

  /* Rewards follow in the order the updates were accepted; round_closed.updates lists their
   * hashes sorted ascending (trb_ledger_entry_build_round_closed() sorts them). */
  rows = trb_node_db_list_updates (self, task->id, task->round, FALSE, error);
  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      TrbNodeUpdateRow *row = g_ptr_array_index (rows, i);
      guint u = GPOINTER_TO_UINT (g_hash_table_lookup (job_index, row->hash));
      RewardInputs in = { 0 };
      gint64 milli;

      /* Rule 2 (docs/ledger-format.md): only what the node can check is paid. An update the
       * job did not see (none should be) counts as unused. */
      in.samples = trb_protocol_reward_samples (row->samples,
                                                task->aggregation.max_samples_per_update);
      in.epochs = trb_protocol_reward_epochs (row->epochs, task->local_epochs);
      if (u > 0)
        {
          in.used = g_array_index (job->used, gboolean, u - 1);
          in.norm = g_array_index (job->norms, double, u - 1);
        }
      milli = trb_protocol_reward_checked (in.samples, in.epochs, in.used, in.norm,
                                           task->points_per_sample_epoch, task->cap_per_round);

      g_ptr_array_add (closed->hashes, g_strdup (row->hash));
      g_ptr_array_add (closed->participants, g_strdup (row->participant));
      g_array_append_val (closed->points, milli);
      g_array_append_val (closed->rewards, in);
    }
  g_ptr_array_add (closed->hashes, NULL);

  if (job->evaluated)
    {
      add_metric (closed, "eval_accuracy", job->accuracy);
      add_metric (closed, "eval_loss", job->loss);
      add_metric (closed, "eval_samples", task->holdout != NULL
                  ? (double) trb_training_set_get_n_samples (task->holdout) : 0);
    }
  if (job->kept_previous)
    add_metric (closed, "model_kept", 1);
  else
    add_metric (closed, "updates_used", job->n_used);
  return TRUE;
}

/* Appends round_closed, then a reward entry for each update, with no points for one the rule
 * pays nothing: the entry carries the inputs of the rule, so that its participant sees why. */
static gboolean
append_closed_round_entries (TrbNode            *self,
                             Task               *task,
                             const char         *hash,
                             const ClosedRound  *closed,
                             gint64              now,
                             GError            **error)
{
  gsize len = 0;
  char *entry;

  entry = trb_ledger_entry_build_round_closed (task->id, task->round, hash,
                                               (const char * const *) closed->hashes->pdata,
                                               closed->metric_names, closed->metric_values,
                                               closed->n_metrics, now, &len, error);
  if (!trb_node_db_append_entry (self, entry, len, NULL, error))
    return FALSE;
  for (guint i = 0; i < closed->participants->len; i++)
    {
      gint64 p = g_array_index (closed->points, gint64, i);
      const RewardInputs *in = &g_array_index (closed->rewards, RewardInputs, i);

      entry = trb_ledger_entry_build_checked_reward (task->id, task->round,
                                                     g_ptr_array_index (closed->participants, i),
                                                     g_ptr_array_index (closed->hashes, i), p,
                                                     in->samples, in->epochs, in->used, in->norm,
                                                     now, &len, error);
      if (entry == NULL)
        return FALSE;
      if (!trb_node_db_append_entry (self, entry, len, NULL, error))
        return FALSE;
    }
  return TRUE;
}

static void
finish_aggregation (TrbNode     *self,
                    Task        *task,
                    Aggregation *job)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(GBytes) blob = trb_node_weights_blob (job->params, &hash);
  g_auto(ClosedRound) closed = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!collect_closed_round (self, task, job, &closed, &error))
    goto fail;
  if (!trb_node_db_begin (self, &error))
    goto fail;
  if (!trb_node_db_store_blob (self, hash, blob, &error))
    goto fail_rollback;
  /* The server optimizer's state, kept per task so that a restart resumes it. */
  if (job->state != NULL && !job->kept_previous)
    {
      g_autoptr(GBytes) state = trb_weights_to_safetensors (job->state);

      if (!trb_node_db_save_momentum (self, task->id, state, &error))
        goto fail_rollback;
    }
  task->state = ROUND_CLOSED;
  if (!trb_node_db_save_round (self, task, &error))
    goto fail_rollback;
  if (!append_closed_round_entries (self, task, hash, &closed, now, &error))
    goto fail_rollback;
  if (!trb_node_open_round (self, task, task->round + 1, hash, &error) ||
      !trb_node_db_commit (self, &error))
    goto fail_rollback;

  if (job->evaluated)
    g_message ("Round %" G_GINT64_FORMAT " of %s closed: %u updates, hold-out accuracy %.4f, "
               "loss %.4f", task->round - 1, task->id, closed.participants->len, job->accuracy,
               job->loss);
  else
    g_message ("Round %" G_GINT64_FORMAT " of %s closed: %u updates", task->round - 1, task->id,
               closed.participants->len);
  trb_node_emit_round_event (self, task);
  return;

fail_rollback:
  trb_node_db_rollback (self);
fail:
  g_warning ("Round %" G_GINT64_FORMAT " of %s could not be closed, will retry: %s", task->round,
             task->id, error->message);
  /* Reload the state that was committed; the tick retries the aggregation. */
  task->state = ROUND_AGGREGATING;
}

static void
aggregation_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  AggregationContext *ctx = user_data;
  Task *task = g_hash_table_lookup (ctx->node->tasks, ctx->task_id);
  Aggregation *job = g_task_get_task_data (G_TASK (result));

  g_autoptr(GError) error = NULL;

  if (task != NULL)
    {
      task->aggregation_running = FALSE;
      if (g_task_propagate_boolean (G_TASK (result), &error))
        finish_aggregation (ctx->node, task, job);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Round %" G_GINT64_FORMAT " of %s: aggregation stopped, the node is shutting "
                   "down; it is aggregated again at the next start", task->round, task->id);
      else
        g_critical ("Round %" G_GINT64_FORMAT " of %s cannot be aggregated: %s", task->round,
                    task->id, error->message);
    }
  g_object_unref (ctx->node);
  g_free (ctx->task_id);
  g_free (ctx);
}

/* A read the round needs failed: the round stays as it is (aggregating, nothing closed or
 * rewarded) and the next tick tries again. Logged when the failure begins, not at every tick. */
static void
tick_read_failed (Task    *task,
                  GError **error)
{
  if (!task->read_failed)
    g_warning ("Round %" G_GINT64_FORMAT " of %s waits: the store could not be read (%s); "
               "trying again at every tick", task->round, task->id, (*error)->message);
  task->read_failed = TRUE;
  g_clear_error (error);
}

void
trb_node_start_aggregation (TrbNode *self,
                            Task    *task)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) model_blob = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GTask) gtask = NULL;
  Aggregation *job;
  AggregationContext *ctx;

  if (task->aggregation_running)
    return;

  if (task->state != ROUND_AGGREGATING)
    {
      task->state = ROUND_AGGREGATING;
      /* Committed before any work, so that a restart resumes the aggregation. */
      if (!trb_node_db_save_round (self, task, &error))
        {
          g_warning ("Could not record the aggregation of %s: %s", task->id, error->message);
          return;
        }
      trb_node_emit_round_event (self, task);
    }

  if (!trb_node_db_load_blob (self, task->model_hash, &model_blob, &error))
    {
      tick_read_failed (task, &error);
      return;
    }
  if (model_blob == NULL)
    {
      /* A damaged store, not a bug of the node: said once, as a failed read is. */
      g_set_error (&error, TRB_NODE_ERROR, TRB_NODE_ERROR_FAILED,
                   "the model %s is missing from the store", task->model_hash);
      tick_read_failed (task, &error);
      return;
    }

  job = g_new0 (Aggregation, 1);
  job->spec = g_object_ref (task->spec);
  job->holdout = task->holdout;
  job->delay_ms = self->aggregation_delay_ms;
  job->config = task->aggregation;
  job->blobs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  job->hashes = g_ptr_array_new_with_free_func (g_free);
  job->samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  job->norms = g_array_new (FALSE, TRUE, sizeof (double));
  job->used = g_array_new (FALSE, TRUE, sizeof (gboolean));
  job->params = read_weights (task->spec, model_blob, &error);
  if (job->params == NULL)
    {
      tick_read_failed (task, &error);
      aggregation_free (job);
      return;
    }

  {
    g_autoptr(GBytes) state = NULL;

    if (!trb_node_db_load_momentum (self, task->id, &state, &error))
      {
        tick_read_failed (task, &error);
        aggregation_free (job);
        return;
      }
    /* A state that does not read starts the optimizer afresh, as a first round does. */
    if (state != NULL)
      job->state = trb_weights_new_from_safetensors (state, NULL);
  }

  rows = trb_node_db_list_updates (self, task->id, task->round, TRUE, &error);
  if (rows == NULL)
    {
      tick_read_failed (task, &error);
      aggregation_free (job);
      return;
    }
  if (task->read_failed)
    g_message ("The store of %s reads again; round %" G_GINT64_FORMAT " is aggregated", task->id,
               task->round);
  task->read_failed = FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      TrbNodeUpdateRow *row = g_ptr_array_index (rows, i);
      gint64 samples = row->samples;

      g_ptr_array_add (job->blobs, g_bytes_ref (row->data));
      g_ptr_array_add (job->hashes, g_strdup (row->hash));
      g_array_append_val (job->samples, samples);
    }

  ctx = g_new0 (AggregationContext, 1);
  ctx->node = g_object_ref (self);
  ctx->task_id = g_strdup (task->id);
  task->aggregation_running = TRUE;

  gtask = g_task_new (NULL, self->cancellable, aggregation_done_cb, ctx);
  g_task_set_task_data (gtask, job, (GDestroyNotify) aggregation_free);
  g_task_run_in_thread (gtask, aggregate_in_thread);
}

gboolean
trb_node_tick_cb (gpointer user_data)
{
  TrbNode *self = user_data;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->tasks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Task *task = value;

      if (task->state == ROUND_AGGREGATING)
        trb_node_start_aggregation (self, task);
      else if (task->state == ROUND_OPEN || task->state == ROUND_COLLECTING)
        {
          widen_round (self, task);
          if (task->n_updates >= task->max_updates ||
              (now >= task->deadline && task->n_updates >= task->min_updates))
            trb_node_start_aggregation (self, task);
          else if (now >= task->deadline)
            {
              /* Too few updates: give the round another period rather than close it empty. */
              g_autoptr(GError) error = NULL;

              task->deadline = now + task->duration;
              if (!trb_node_db_save_round (self, task, &error))
                g_warning ("The new deadline of round %" G_GINT64_FORMAT " of %s is not stored; "
                           "a restart goes back to the old one: %s", task->round, task->id,
                           error->message);
            }
        }
    }

  /* Forget nonces whose signatures can no longer be accepted anyway. */
  if (g_hash_table_size (self->nonces) > 10000 || now % 60 == 0)
    {
      g_hash_table_iter_init (&iter, self->nonces);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if ((gint64) GPOINTER_TO_SIZE (value) < now)
          g_hash_table_iter_remove (&iter);
    }
  /* And on disk, where every signed request's nonce is kept too, once a minute. */
  if (now - self->nonces_pruned >= 60)
    {
      g_autoptr(GError) error = NULL;

      /* Not done is harmless (an expired signature is refused anyway): tried again in a
       * minute. */
      if (!trb_node_db_prune_nonces (self, &error))
        g_warning ("Could not forget the expired nonces: %s", error->message);
      self->nonces_pruned = now;
    }

  return G_SOURCE_CONTINUE;
}

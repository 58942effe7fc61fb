/* trb-participation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One joined network's participation loop. Every step is asynchronous; every state change is
 * written to the store (component "participation") before the step it announces starts, so
 * that a participant killed at any point resumes where it was: a half-trained round continues
 * from the trainer's checkpoint, and an update whose receipt never arrived is sent again (the
 * node answers a repeated update, keyed by its hash, with the same receipt).
 */

#define G_LOG_DOMAIN "trb-participation"

#include "config.h"

#include "trb-participation.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "compute/trb-executor-choice.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-vulkan-executor.h"
#include "compute/trb-weights.h"
#include "datasets/trb-dataset-registry.h"
#include "net/trb-contributor.h"
#include "net/trb-protocol.h"
#include "net/trb-task-config.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-history.h"
#include "net/trb-training-set.h"
#include "participant/trb-history.h"
#include "store/trb-store-participation.h"
#include "trb-json.h"

#define MAX_RETRY_SECONDS (10 * 60)



struct _TrbParticipation
{
  GObject                parent_instance;

  TrbStore              *store;
  TrbHistory            *history;    /* made on first use */
  TrbClient             *client;
  TrbScheduler          *scheduler;
  TrbKeypair            *keypair;
  gboolean               cosign;
  TrbDeviceQueue        *queue;
  GCancellable          *cancellable;
  char                  *origin;
  char                  *task;
  char                  *dataset_path;
  /* The path that self->data was read from: a changed choice is read again next round. */
  char                  *data_path;
  char                  *device;
  char                  *work_dir;
  guint8                 ledger_public_key[32];
  gboolean               have_key;

  JsonObject            *task_obj;
  TrbModelSpec          *spec;
  TrbWeights            *base;
  TrbTrainer            *trainer;
  TrbExecutor           *executor;   /* the trainer's, while it trains */
  TrbTrainingSet             *data;

  TrbParticipationState  state;
  gint64                 round;
  char                  *model;
  guint64                seed;
  char                  *update_hash;
  gint64                 last_round;
  char                  *problem;
  /* The last write of the state that failed (store_failed()); the loop is stopped. */
  GError                *store_error;
  /* The state written down could not be read: the loop must not start from a guess. */
  gboolean               load_failed;
  gint64                 retry_at;
  guint                  failures;
  guint                  refusals;
  guint64                ledger_scanned;
  gint64                 credited_points;  /* thousandths, since this object started */

  /* What the network last said of its current round, for saying what the loop waits for. */
  gint64                 seen_round;
  gboolean               seen_open;
  gboolean               seen_aggregating;
  TrbClientRoundCounts   seen_counts;

  double                 progress;
  double                 eta_seconds;
  int                    resumed_epoch;
  guint                  n_uploads;
  gboolean               holds_device;
  gboolean               running;
  gboolean               trained_here;  /* a round trained since start, on trained_on */
  char                  *trained_on;    /* the Vulkan device's name, NULL for the processor */
  gboolean               round_now;  /* asked for by Join: see trb_participation_request_round_now() */

  guint                  poll_ms;
  guint                  retry_base_s;
  gsize                  max_samples;
  guint                  timeout_id;
  gulong                 decision_id;
  gulong                 preset_id;
};

G_DEFINE_FINAL_TYPE (TrbParticipation, trb_participation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_ROUND,
  PROP_PROGRESS,
  PROP_LAST_CONTRIBUTED,
  PROP_STATUS,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char * const state_names[] = {
  "waiting-round", "waiting-scheduler", "waiting-device", "downloading", "training", "uploading",
  "confirming", "contributed", "problem", "stopped",
};

G_DEFINE_QUARK (trb-participation-error-quark, trb_participation_error)

static void step (TrbParticipation *self);

/* ---- names and words ------------------------------------------------------------------------ */

const char *
trb_participation_state_to_string (TrbParticipationState state)
{
  g_return_val_if_fail (state <= TRB_PARTICIPATION_STATE_STOPPED, NULL);
  return state_names[state];
}

static TrbParticipationState
state_from_string (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (name, state_names[i]) == 0)
      return i;
  return TRB_PARTICIPATION_STATE_WAITING_ROUND;
}

static char *
format_duration (double seconds)
{
  guint minutes;

  if (seconds < 60)
    return g_strdup (_("less than a minute"));
  minutes = (guint) ((seconds + 30) / 60);
  if (minutes < 120)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", minutes),
                            minutes);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u hour", "%u hours", minutes / 60),
                          minutes / 60);
}

/**
 * trb_participation_format_status:
 * @state: a state
 * @progress: 0…1, for training
 * @eta_seconds: time left in training, negative when unknown
 * @retry_in_s: for a problem, seconds until the next try
 * @waiting_why: (nullable): for waiting on the scheduler, its message
 *
 * Returns: (transfer full): the state in plain words, for the UI
 */
char *
trb_participation_format_status (TrbParticipationState state,
                                 double                progress,
                                 double                eta_seconds,
                                 gint64                retry_in_s,
                                 const char           *waiting_why)
{
  switch (state)
    {
    case TRB_PARTICIPATION_STATE_WAITING_ROUND:
      return g_strdup (_("Waiting for a round"));
    case TRB_PARTICIPATION_STATE_WAITING_SCHEDULER:
      return g_strdup (waiting_why != NULL ? waiting_why
                                           : _("Waiting until the computer is idle"));
    case TRB_PARTICIPATION_STATE_WAITING_DEVICE:
      return g_strdup (_("Waiting for another network to finish training"));
    case TRB_PARTICIPATION_STATE_DOWNLOADING:
      return g_strdup (_("Downloading the model"));
    case TRB_PARTICIPATION_STATE_TRAINING:
      {
        int percent = (int) CLAMP (progress * 100.0, 0, 100);

        if (eta_seconds >= 0 && eta_seconds < 60)
          /* Translators: "Training 92% — less than a minute left" */
          return g_strdup_printf (_("Training %d%% — less than a minute left"), percent);
        if (eta_seconds >= 0)
          {
            g_autofree char *left = format_duration (eta_seconds);

            /* Translators: "Training 43% — about 6 minutes left" */
            return g_strdup_printf (_("Training %d%% — about %s left"), percent, left);
          }
        return g_strdup_printf (_("Training %d%%"), percent);
      }
    case TRB_PARTICIPATION_STATE_UPLOADING:
      return g_strdup (_("Sending what the model learned"));
    case TRB_PARTICIPATION_STATE_CONFIRMING:
      return g_strdup (_("Confirming"));
    case TRB_PARTICIPATION_STATE_CONTRIBUTED:
      return g_strdup (_("Contributed"));
    case TRB_PARTICIPATION_STATE_PROBLEM:
      {
        g_autofree char *when = format_duration (MAX (retry_in_s, 0));

        if (retry_in_s < 60)
          return g_strdup (_("Problem — retrying in less than a minute"));
        /* Translators: "Problem — retrying in 2 minutes" */
        return g_strdup_printf (_("Problem — retrying in %s"), when);
      }
    case TRB_PARTICIPATION_STATE_STOPPED:
    default:
      return g_strdup (_("Stopped"));
    }
}

/* ---- the store ------------------------------------------------------------------------------ */

/**
 * trb_participation_migrate:
 * @store: the local store
 * @error: return location for an error
 *
 * Creates the tables of component "participation" (joined networks, loop states, event log)
 * and those of component "net" that receipts go to.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_participation_migrate (TrbStore  *store,
                           GError   **error)
{
  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  return trb_contributor_migrate (store, error) &&
         trb_store_participation_migrate (store, error);
}

static gboolean
save_state (TrbParticipation  *self,
            GError           **error)
{
  TrbStoreParticipationRow row = {
    .state = (char *) state_names[self->state],
    .round = self->round,
    .model = self->model,
    .seed = self->seed,
    .update_hash = self->update_hash,
    .last_round = self->last_round,
    .problem = self->problem,
    .retry_at = self->retry_at,
    .failures = self->failures,
    .ledger_scanned = self->ledger_scanned,
    .refusals = self->refusals,
  };

  return trb_store_participation_save (self->store, self->origin, &row, error);
}

static gboolean
load_state (TrbParticipation  *self,
            GError           **error)
{
  TrbStoreParticipationRow row = { 0 };
  gboolean found;

  if (!trb_store_participation_load (self->store, self->origin, &row, &found, error))
    return FALSE;
  if (!found)
    return TRUE;
  self->state = state_from_string (row.state);
  self->round = row.round;
  g_free (self->model);
  self->model = g_steal_pointer (&row.model);
  self->seed = row.seed;
  g_free (self->update_hash);
  self->update_hash = g_steal_pointer (&row.update_hash);
  self->last_round = row.last_round;
  g_free (self->problem);
  self->problem = g_steal_pointer (&row.problem);
  self->retry_at = row.retry_at;
  self->failures = row.failures;
  self->ledger_scanned = row.ledger_scanned;
  self->refusals = row.refusals;
  trb_store_participation_row_clear (&row);
  return TRUE;
}

/* Logs the event, then tells of it (TrbParticipation::event), so that a listener reading the
 * log finds it there. The event is told even when the log cannot be written, and then the
 * failure too: whoever listens still hears of both. */
static void
log_event (TrbParticipation *self,
           const char       *kind,
           const char       *message)
{
  g_autoptr(GError) error = NULL;
  gboolean logged;

  logged = trb_store_participation_log_event (self->store, self->origin, kind, message, &error);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, kind, message);
  if (!logged)
    g_signal_emit (self, signals[SIGNAL_EVENT], 0, "problem", error->message);
}

static gboolean
save_receipt (TrbParticipation  *self,
              JsonObject        *receipt,
              GError           **error)
{
  return trb_store_participation_add_receipt (self->store, self->origin,
                                              json_object_get_int_member_with_default (
                                                receipt, "leaf_index", 0),
                                              self->task, self->round,
                                              trb_client_get_address (self->client),
                                              self->update_hash, error);
}

/* The history of the store, kept for the loop's life; NULL when it cannot be opened. */
static TrbHistory *
get_history (TrbParticipation *self)
{
  g_autoptr(GError) error = NULL;

  if (self->history == NULL && (self->history = trb_history_new (self->store, &error)) == NULL)
    g_debug ("The history cannot be opened: %s", error->message);
  return self->history;
}

/* The History says which of this computer's datasets each of its contributions used; only
 * this computer knows. */
static gboolean
record_dataset (TrbParticipation  *self,
                GError           **error)
{
  g_autoptr(TrbDatasetRegistry) registry = NULL;
  g_autofree char *name = NULL;

  if (self->update_hash == NULL || get_history (self) == NULL)
    return TRUE;
  /* Read afresh: the Datasets area may have added or renamed it since. */
  registry = trb_dataset_registry_new (self->store, NULL);
  name = trb_dataset_dup_display_name (registry, self->dataset_path);
  return trb_history_record_dataset (self->history, self->origin, self->update_hash, name,
                                     error);
}

/* ---- files of a round in progress --------------------------------------------------------- */

static char *
checkpoint_path (TrbParticipation *self)
{
  g_autofree char *name = g_strdup_printf ("round-%" G_GINT64_FORMAT ".checkpoint", self->round);

  return g_build_filename (self->work_dir, name, NULL);
}

static char *
update_path (TrbParticipation *self)
{
  g_autofree char *name = g_strdup_printf ("round-%" G_GINT64_FORMAT ".update", self->round);

  return g_build_filename (self->work_dir, name, NULL);
}

static void
remove_round_files (TrbParticipation *self)
{
  g_autoptr(GDir) dir = g_dir_open (self->work_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "round-"))
      {
        g_autofree char *path = g_build_filename (self->work_dir, name, NULL);

        g_unlink (path);
      }
}

/* ---- state changes ------------------------------------------------------------------------ */

static void
notify_status (TrbParticipation *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

/* The loop's state could not be written down: going on would let a crash resume from a stale
 * state (send an update twice, or count a round as done that is not written down), so the loop
 * stops here, keeps the state in memory only, and says why. */
static void
store_failed (TrbParticipation *self,
              const GError     *error)
{
  g_autofree char *message = NULL;

  g_clear_error (&self->store_error);
  self->store_error = g_error_copy (error);
  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->state = TRB_PARTICIPATION_STATE_STOPPED;
  /* Translators: the reason follows, as the database library words it. */
  message = g_strdup_printf (_("Tributary stopped contributing to this network because it could "
                               "not write down its progress: %s"), error->message);
  g_free (self->problem);
  self->problem = g_steal_pointer (&message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  notify_status (self);
  /* Not logged: the log is in the store that just failed. */
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, "problem", self->problem);
}

/* Announces the state, then writes it down: a participant killed in between resumes from the
 * state before, which repeats at most the step that was starting. Returns %FALSE when it could
 * not be written down; then the loop has stopped (store_failed()). */
static gboolean
set_state (TrbParticipation      *self,
           TrbParticipationState  state)
{
  g_autoptr(GError) error = NULL;

  if (self->store_error != NULL)
    return FALSE;

  if (self->state != state)
    {
      self->state = state;
      if (state != TRB_PARTICIPATION_STATE_TRAINING)
        {
          self->progress = 0;
          self->eta_seconds = -1;
        }
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
      notify_status (self);
    }
  if (!save_state (self, &error))
    {
      store_failed (self, error);
      return FALSE;
    }
  return TRUE;
}

static void
release_device (TrbParticipation *self)
{
  if (self->holds_device && self->queue != NULL)
    trb_device_queue_release (self->queue, self);
  self->holds_device = FALSE;
}

static gboolean
step_cb (gpointer user_data)
{
  TrbParticipation *self = user_data;

  self->timeout_id = 0;
  step (self);
  return G_SOURCE_REMOVE;
}

static void
step_later (TrbParticipation *self,
            guint             ms)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->running)
    self->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, ms, step_cb,
                                           g_object_ref (self), g_object_unref);
}

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Why the loop stopped after @refusals updates or requests refused with @problem, in plain
 * words: what happened, then what a person can do. */
static char *
describe_refusals (const char *problem,
                   guint       refusals)
{
  const char *why;

  if (g_strcmp0 (problem, TRB_PROBLEM_NON_FINITE) == 0 ||
      g_strcmp0 (problem, TRB_PROBLEM_OUT_OF_RANGE) == 0 ||
      g_strcmp0 (problem, TRB_PROBLEM_NORM_TOO_LARGE) == 0)
    /* Translators: why a network stopped (the network refused updates whose values are not
     * numbers or too large, or that change the model too much), after "Stopped after the network refused 3 times in a row." */
    why = _("Training on this computer’s data gives results the network does not accept. "
            "Try other data, or leave the network.");
  else if (g_strcmp0 (problem, TRB_PROBLEM_NOT_JOINED) == 0)
    /* Translators: why a network stopped (it refused this computer as not joined), after
     * "Stopped after the network refused 3 times in a row." */
    why = _("The network no longer counts this computer as a participant. Leave the network "
            "and join it again.");
  else if (g_strcmp0 (problem, TRB_PROBLEM_UNKNOWN_TASK) == 0)
    /* Translators: why a network stopped (it no longer has the task), after "Stopped after
     * the network refused 3 times in a row." */
    why = _("The network no longer has the task this computer trains for. Leave the network "
            "and join it again.");
  else if (g_strcmp0 (problem, TRB_PROBLEM_WRONG_SHAPE) == 0 ||
           g_strcmp0 (problem, TRB_PROBLEM_BAD_UPDATE) == 0 ||
           g_strcmp0 (problem, TRB_PROBLEM_TOO_LARGE) == 0)
    /* Translators: why a network stopped (the updates do not fit the network's model), after
     * "Stopped after the network refused 3 times in a row." */
    why = _("The network cannot use what this computer learns: it does not fit the network’s "
            "model. Ask the network’s operator, or leave the network.");
  else
    /* Translators: why a network stopped (its requests were refused for another lasting
     * reason), after "Stopped after the network refused 3 times in a row." */
    why = _("The network refuses what this computer sends. Ask the network’s operator, or "
            "leave the network.");

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       /* Translators: why a network stopped, shown on its
                                        * page and in a notification; %d is how many times in
                                        * a row the network refused, then a sentence of what
                                        * happened and what to do. */
                                       "Stopped after the network refused %d time. %s",
                                       "Stopped after the network refused %d times in a row. %s",
                                       refusals),
                          (int) refusals, why);
}

static void
fail (TrbParticipation *self,
      const GError     *error)
{
  g_autofree char *message = NULL;
  TrbProblemKind kind = TRB_PROBLEM_KIND_RETRY;
  guint delay;

  release_device (self);
  g_clear_object (&self->trainer);
  g_clear_object (&self->executor);
  if (!self->running || is_cancelled (error))
    return;

  g_free (self->problem);
  self->problem = g_strdup (error->message);

  /* Stopped before the event is logged, so that whoever hears of the problem can tell that
   * it stopped the network (the app notifies such a problem always). */
  if (g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED))
    {
      self->running = FALSE;
      set_state (self, TRB_PARTICIPATION_STATE_STOPPED);
      log_event (self, "problem", error->message);
      return;
    }

  if (g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED))
    kind = trb_problem_kind (trb_client_error_get_problem (error));

  /* The same update or request refused again and again for a reason that does not go away
   * (it does not fit the model, the network no longer knows this address): trying every round
   * would repeat it forever without a word, so after a few tries the loop stops and says why. */
  if (kind == TRB_PROBLEM_KIND_PERMANENT)
    {
      self->refusals = MIN (self->refusals + 1, TRB_PARTICIPATION_MAX_REFUSALS);
      if (self->refusals >= TRB_PARTICIPATION_MAX_REFUSALS)
        {
          g_free (self->problem);
          self->problem = describe_refusals (trb_client_error_get_problem (error),
                                             self->refusals);
          self->running = FALSE;
          g_clear_handle_id (&self->timeout_id, g_source_remove);
          set_state (self, TRB_PARTICIPATION_STATE_STOPPED);
          log_event (self, "problem", self->problem);
          return;
        }
    }

  /* The round closed before the update was in (`late`, `wrong-round`) or did not pick this
   * participant: not a problem, the next round will do. */
  if (kind == TRB_PROBLEM_KIND_ROUND_MISSED &&
      self->state >= TRB_PARTICIPATION_STATE_DOWNLOADING &&
      self->state <= TRB_PARTICIPATION_STATE_CONFIRMING)
    {
      /* Translators: an event of the Activity area: the round's number, then the reason. */
      message = g_strdup_printf (_("Round %lld closed before this computer’s update was in: %s"),
                                 (long long) self->round, error->message);
      log_event (self, "round-missed", message);
      self->refusals = 0;
      remove_round_files (self);
      self->last_round = MAX (self->last_round, self->round);
      g_clear_pointer (&self->update_hash, g_free);
      g_clear_pointer (&self->problem, g_free);
      set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
      step_later (self, self->poll_ms);
      return;
    }

  self->failures = MIN (self->failures + 1, 16);
  delay = MIN ((guint64) self->retry_base_s << (self->failures - 1), MAX_RETRY_SECONDS);
  self->retry_at = g_get_real_time () / G_USEC_PER_SEC + delay;
  log_event (self, "problem", error->message);
  set_state (self, TRB_PARTICIPATION_STATE_PROBLEM);
  step_later (self, delay * 1000);
}

static void
fail_literal (TrbParticipation *self,
              GQuark            domain,
              int               code,
              const char       *message)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, message);

  fail (self, error);
}

/* ---- contributed ---------------------------------------------------------------------------- */

static void apply_preset (TrbParticipation *self);
static void update_pause (TrbParticipation *self);

static void
contributed (TrbParticipation *self)
{
  g_autofree char *message = NULL;

  self->last_round = self->round;
  self->failures = 0;
  self->refusals = 0;
  /* The receipt says the network has this update: count it before the next poll says so. */
  if (self->seen_round == self->round && self->seen_counts.updates >= 0 &&
      self->seen_counts.updates < TRB_CLIENT_MAX_ROUND_UPDATES)
    self->seen_counts.updates++;
  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->update_hash, g_free);
  if (!set_state (self, TRB_PARTICIPATION_STATE_CONTRIBUTED))
    return;
  /* Only once the round is written down as done: until then, the update may be sent again. */
  remove_round_files (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_CONTRIBUTED]);
  /* Translators: an event of the Activity area; %lld is the round's number. */
  message = g_strdup_printf (_("Round %lld contributed"), (long long) self->round);
  log_event (self, "contributed", message);
  /* The round Join asked for is done: later ones wait for the rules in Preferences. */
  self->round_now = FALSE;
  apply_preset (self);
  update_pause (self);
  if (self->scheduler != NULL)
    trb_scheduler_round_finished (self->scheduler);
  step_later (self, self->poll_ms);
}

/* ---- uploading and confirming --------------------------------------------------------------- */

/* Checks the ledger as the contributor does: the checkpoint against the pinned key and the last
 * one verified, and every receipt's entry included. It blocks on the client's _sync calls, so it
 * runs in a worker thread with a client of its own, and stops when the loop's cancellable is
 * cancelled. */
typedef struct
{
  guint64 scan_from;
  guint64 scanned_to;
  gint64  points;
  gint64  round;
} VerifyData;

/* The reward entries for this address in the verified part of the ledger not read yet. */
static void
scan_rewards (TrbClient    *client,
              VerifyData   *data,
              guint64       size,
              GCancellable *cancellable)
{
  guint64 start = data->scan_from;

  while (start < size && !g_cancellable_is_cancelled (cancellable))
    {
      guint64 end = MIN (size, start + TRB_PROTOCOL_LEDGER_PAGE);
      g_autoptr(JsonObject) page = NULL;
      JsonNode *entries;
      JsonArray *array;

      page = trb_client_get_entries_sync (client, start, end, cancellable, NULL);
      entries = page != NULL ? json_object_get_member (page, "entries") : NULL;
      if (entries == NULL || !JSON_NODE_HOLDS_ARRAY (entries))
        return;
      array = json_node_get_array (entries);
      if (json_array_get_length (array) == 0)
        return;
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *text = json_array_get_string_element (array, i);
          g_autoptr(TrbLedgerEntry) entry = NULL;

          if (text != NULL)
            entry = trb_ledger_entry_parse (text, strlen (text), NULL);
          if (entry != NULL &&
              trb_ledger_entry_get_entry_type (entry) == TRB_LEDGER_ENTRY_REWARD &&
              g_strcmp0 (trb_ledger_entry_get_participant (entry),
                         trb_client_get_address (client)) == 0)
            {
              data->points += trb_ledger_entry_get_points (entry);
              data->round = MAX (data->round, trb_ledger_entry_get_round (entry));
            }
        }
      start += json_array_get_length (array);
      data->scanned_to = start;
    }
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  TrbParticipation *self = source_object;
  g_autoptr(TrbClient) client = NULL;
  g_autoptr(TrbContributor) contributor = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (g_task_return_error_if_cancelled (task))
    return;
  client = trb_client_new (trb_client_get_base_url (self->client));
  trb_client_set_keypair (client, self->keypair);
  contributor = trb_contributor_new (client, self->store);
  trb_contributor_set_cancellable (contributor, cancellable);
  ok = trb_contributor_connect (contributor, &error) &&
       trb_contributor_sync (contributor, self->cosign, &error);
  if (ok)
    scan_rewards (client, task_data, trb_contributor_get_verified_size (contributor),
                  cancellable);
  g_clear_object (&contributor);
  g_clear_object (&client);
  if (ok && g_task_return_error_if_cancelled (task))
    return;
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void contributed (TrbParticipation *self);

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  VerifyData *data = g_task_get_task_data (G_TASK (result));

  if (data->scanned_to > self->ledger_scanned)
    self->ledger_scanned = data->scanned_to;
  if (data->points > 0)
    {
      g_autofree char *message = NULL;
      g_autofree char *points = trb_rewards_dup_points_text (data->points);

      self->credited_points += data->points;

      /* Translators: an event of the Activity area: an amount such as “1.5 points”, then the
       * last round the reward covers. */
      message = g_strdup_printf (_("Reward credited: %s, up to round %lld"), points,
                                 (long long) data->round);
      log_event (self, "reward", message);
    }
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!self->running)
        return;
      /* A tampered ledger stops everything; a ledger that cannot be reached now is checked
       * again after the next round, and the update is in. */
      if (g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED))
        {
          fail (self, error);
          return;
        }
      log_event (self, "problem", error->message);
    }
  if (self->running)
    contributed (self);
}

static void
verify (TrbParticipation *self)
{
  g_autoptr(GTask) task = NULL;
  VerifyData *data;

  if (self->keypair == NULL)
    {
      contributed (self);
      return;
    }
  task = g_task_new (self, self->cancellable, verified_cb, g_object_ref (self));
  data = g_new0 (VerifyData, 1);
  data->scan_from = self->ledger_scanned;
  g_task_set_task_data (task, data, g_free);
  g_task_run_in_thread (task, verify_thread);
}

static void
upload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) receipt = NULL;

  receipt = trb_client_json_finish (self->client, result, &error);
  if (!self->running)
    return;
  if (receipt == NULL && trb_client_error_get_duplicate_update (error) != NULL)
    {
      /* The node already holds an update of ours for this round, whose receipt was lost (the
       * app stopped in between): fetch that receipt, checked below as any other. */
      g_free (self->update_hash);
      self->update_hash = g_strdup (trb_client_error_get_duplicate_update (error));
      trb_client_get_receipt_async (self->client, self->task, self->round, self->update_hash,
                                    self->cancellable, upload_cb, g_object_ref (self));
      return;
    }
  if (receipt == NULL)
    {
      fail (self, error);
      return;
    }
  set_state (self, TRB_PARTICIPATION_STATE_CONFIRMING);

  if (self->have_key &&
      !trb_client_verify_receipt (receipt, self->ledger_public_key, &error))
    {
      g_clear_error (&error);
      fail_literal (self, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                    _("The network’s receipt was not signed with its key. Tributary stopped "
                      "contributing to it."));
      return;
    }
  if (g_strcmp0 (trb_json_get_string (receipt, "update", NULL),
                 self->update_hash) != 0 ||
      g_strcmp0 (trb_json_get_string (receipt, "participant", NULL),
                 trb_client_get_address (self->client)) != 0)
    {
      fail_literal (self, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                    _("The network’s receipt names another update. Tributary stopped "
                      "contributing to it."));
      return;
    }
  if (!save_receipt (self, receipt, &error))
    {
      fail (self, error);
      return;
    }
  if (!record_dataset (self, &error))
    {
      store_failed (self, error);
      return;
    }
  verify (self);
}

static void
upload (TrbParticipation *self)
{
  g_autofree char *path = update_path (self);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) update = NULL;
  g_autofree char *hash = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      /* The update was lost with the files: train the round again if it is still open. */
      g_clear_pointer (&self->update_hash, g_free);
      set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
      step_later (self, 0);
      return;
    }
  update = g_bytes_new_take (g_steal_pointer (&contents), length);
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  if (g_strcmp0 (hash, self->update_hash) != 0)
    {
      g_free (self->update_hash);
      self->update_hash = g_steal_pointer (&hash);
    }
  set_state (self, TRB_PARTICIPATION_STATE_UPLOADING);
  self->n_uploads++;
  trb_client_upload_update_async (self->client, self->task, self->round, update,
                                  self->cancellable, upload_cb, g_object_ref (self));
}

/* ---- training ------------------------------------------------------------------------------- */

/* Building the update hashes the whole dataset for its commitment and writes the file: on a
 * worker thread, so that a large dataset never stalls the window. */
typedef struct
{
  double          clip_norm;
  double          noise_multiplier;
  TrbWeights     *trained;
  TrbWeights     *base;
  char           *model;
  TrbTrainingSet *data;
  guint           epochs;
  double          loss;
  char           *path;
} BuildData;

static void
build_data_free (BuildData *d)
{
  g_clear_object (&d->trained);
  g_clear_object (&d->base);
  g_free (d->model);
  g_clear_object (&d->data);
  g_free (d->path);
  g_free (d);
}

static void
build_update_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  BuildData *d = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) update = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  update = trb_contributor_build_update (d->clip_norm, d->noise_multiplier, d->trained, d->base,
                                         d->model, d->data, d->epochs, d->loss, &error);
  /* Written before it is sent: an upload cut short is sent again byte for byte. */
  if (update == NULL ||
      !g_file_set_contents (d->path, g_bytes_get_data (update, NULL), g_bytes_get_size (update),
                            &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&update), (GDestroyNotify) g_bytes_unref);
}

static void
update_built_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) update = g_task_propagate_pointer (G_TASK (result), &error);

  if (!self->running)
    return;
  if (update == NULL)
    {
      fail (self, error);
      return;
    }
  g_free (self->update_hash);
  self->update_hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  upload (self);
}

static void
trained_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) trained = NULL;
  g_autoptr(GTask) task = NULL;
  TrbTrainerConfig config = { 0 };
  BuildData *d;

  trained = trb_trainer_run_finish (TRB_TRAINER (source), result, &error);
  if (!self->running)
    return;
  /* The epochs the update says it was trained for: the task's, as train() read them. */
  if (trained == NULL || !trb_task_training_config (self->task_obj, &config, &error))
    {
      fail (self, error);
      return;
    }
  d = g_new0 (BuildData, 1);
  d->loss = trb_trainer_get_last_progress (self->trainer)->loss;
  self->resumed_epoch = trb_trainer_get_resumed_epoch (self->trainer);
  g_clear_object (&self->trainer);
  g_clear_object (&self->executor);
  release_device (self);

  trb_contributor_read_privacy_policy (self->task_obj, &d->clip_norm, &d->noise_multiplier);
  d->trained = g_steal_pointer (&trained);
  d->base = g_object_ref (self->base);
  d->model = g_strdup (self->model);
  d->data = g_object_ref (self->data);
  d->epochs = (guint) config.epochs;
  d->path = update_path (self);
  /* The device is free for another network; what is left is sending. Should the app stop
   * before the file is written, upload() finds no file and the round is trained again. */
  set_state (self, TRB_PARTICIPATION_STATE_UPLOADING);
  task = g_task_new (self, self->cancellable, update_built_cb, g_object_ref (self));
  g_task_set_task_data (task, d, (GDestroyNotify) build_data_free);
  g_task_run_in_thread (task, build_update_thread);
}

static void
training_progress_cb (const TrbTrainerProgress *progress,
                      gpointer                  user_data)
{
  TrbParticipation *self = user_data;

  if (progress->samples_total > 0)
    self->progress = (double) progress->samples_done / (double) progress->samples_total;
  self->eta_seconds = progress->eta_seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
  notify_status (self);
}

/* Whether the round Join asked for runs although the scheduler would wait: it waits only for
 * conditions that come by themselves (the computer being idle, the training hours). A pause
 * (the person's, on battery, in power-saver mode, on a metered connection, after this round)
 * still holds. */
static gboolean
overrides_wait (TrbParticipation *self)
{
  return self->round_now && self->scheduler != NULL &&
         trb_scheduler_decision_get_verdict (trb_scheduler_get_decision (self->scheduler)) ==
           TRB_SCHEDULER_VERDICT_WAIT;
}

/* The scheduler's preset (Light, Balanced, Full): processor threads and share of the device
 * for the executor training now, from its next step. */
static void
apply_preset (TrbParticipation *self)
{
  TrbResourcePreset preset;

  if (self->executor == NULL || self->scheduler == NULL)
    return;
  preset = trb_scheduler_get_preset (self->scheduler);
  /* The round Join asked for, while the computer is in use, takes only a light share. */
  if (overrides_wait (self))
    preset = TRB_RESOURCE_PRESET_LIGHT;
  trb_executor_set_resource_share (self->executor,
                                   trb_resource_preset_get_cpu_threads (preset, 0),
                                   trb_resource_preset_get_device_share (preset));
}

static void
update_pause (TrbParticipation *self)
{
  TrbSchedulerDecision *decision;

  if (self->trainer == NULL || self->scheduler == NULL)
    return;
  decision = trb_scheduler_get_decision (self->scheduler);
  if (trb_scheduler_decision_may_continue (decision) || overrides_wait (self))
    trb_trainer_resume (self->trainer);
  else
    trb_trainer_pause (self->trainer);
}

static void
load_data_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  TrbParticipation *self = source_object;
  const char *path = task_data;
  g_autoptr(GError) error = NULL;
  TrbTrainingSet *data;

  /* The path is the task's own copy: the choice may change while this thread reads. */
  data = trb_training_set_load (path, 0, 1, self->max_samples, cancellable, &error);
  if (data == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, data, g_object_unref);
}

static void
train (TrbParticipation *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbExecutor) executor = NULL;
  g_autofree char *ckpt = NULL;
  g_autofree char *cache = NULL;
  TrbTrainerConfig config = { 0 };
  TrbDataSource source;

  trb_training_set_get_source (self->data, &source);
  if (!trb_data_source_check (&source, self->spec, &error))
    {
      g_autoptr(GError) data_error =
        g_error_new (TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA,
                     _("The chosen data does not fit this network: %s"), error->message);

      fail (self, data_error);
      return;
    }

  if (!trb_task_training_config (self->task_obj, &config, &error))
    {
      fail (self, error);
      return;
    }
  cache = trb_executor_choice_dup_cache_path ();
  executor = trb_executor_new_for_task (self->spec, config.batch_size, self->device, cache,
                                        &error);
  if (executor == NULL)
    {
      fail (self, error);
      return;
    }
  config.seed = self->seed;
  config.low_priority = TRUE;
  ckpt = checkpoint_path (self);
  config.checkpoint_path = ckpt;
  g_clear_object (&self->trainer);
  g_set_object (&self->executor, executor);
  {
    const char *vulkan_name = NULL;

    trb_participation_get_job_device (self, &vulkan_name);
    self->trained_here = TRUE;
    g_free (self->trained_on);
    self->trained_on = g_strdup (vulkan_name);
  }
  apply_preset (self);
  self->trainer = trb_trainer_new (executor, self->spec, &config);
  trb_trainer_set_progress_func (self->trainer, training_progress_cb, self, NULL);
  set_state (self, TRB_PARTICIPATION_STATE_TRAINING);
  update_pause (self);
  trb_trainer_run_async (self->trainer, self->base, &source, self->cancellable, trained_cb,
                         g_object_ref (self));
}

static void
data_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  TrbTrainingSet *data;

  data = g_task_propagate_pointer (G_TASK (result), &error);
  if (!self->running)
    {
      g_clear_object (&data);
      return;
    }
  if (data == NULL)
    {
      g_autoptr(GError) data_error =
        g_error_new (TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA,
                     _("The chosen data could not be read: %s"), error->message);

      fail (self, data_error);
      return;
    }
  g_clear_object (&self->data);
  self->data = data;
  g_free (self->data_path);
  self->data_path = g_strdup (g_task_get_task_data (G_TASK (result)));
  train (self);
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(TrbWeights) weights = NULL;

  blob = trb_client_download_blob_finish (self->client, result, &error);
  if (!self->running)
    return;
  if (blob != NULL)
    weights = trb_weights_new_from_safetensors (blob, &error);
  if (weights != NULL)
    {
      g_clear_object (&self->base);
      self->base = trb_model_spec_conform_weights (self->spec, weights, &error);
    }
  if (blob == NULL || weights == NULL || self->base == NULL)
    {
      fail (self, error);
      return;
    }

  if (self->data != NULL && g_strcmp0 (self->data_path, self->dataset_path) == 0)
    train (self);
  else
    {
      g_autoptr(GTask) task = g_task_new (self, self->cancellable, data_loaded_cb,
                                          g_object_ref (self));

      g_task_set_task_data (task, g_strdup (self->dataset_path), g_free);
      g_task_run_in_thread (task, load_data_thread);
    }
}

static void
download (TrbParticipation *self)
{
  set_state (self, TRB_PARTICIPATION_STATE_DOWNLOADING);
  trb_client_download_blob_async (self->client, self->model,
                                  trb_model_spec_get_n_parameters (self->spec) * 4 +
                                    2 * 1024 * 1024,
                                  self->cancellable, downloaded_cb, g_object_ref (self));
}

static void
device_acquired_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!trb_device_queue_acquire_finish (TRB_DEVICE_QUEUE (source), result, &error))
    {
      fail (self, error);
      return;
    }
  if (!self->running)
    {
      trb_device_queue_release (TRB_DEVICE_QUEUE (source), self);
      return;
    }
  self->holds_device = TRUE;
  download (self);
}

static gboolean
scheduler_allows (TrbParticipation *self)
{
  return self->scheduler == NULL ||
         trb_scheduler_decision_may_start (trb_scheduler_get_decision (self->scheduler)) ||
         overrides_wait (self);
}

static void
decision_changed_cb (TrbParticipation *self)
{
  apply_preset (self);
  update_pause (self);
  if (self->state == TRB_PARTICIPATION_STATE_WAITING_SCHEDULER)
    {
      if (scheduler_allows (self))
        step_later (self, 0);
      else
        notify_status (self);
    }
}

/* Whether the History halted this network after seeing two inconsistent histories of its
 * ledger, or a contributor (this app's or the headless one) caught it cheating. */
static gboolean
network_is_halted (TrbParticipation  *self,
                   GError           **error)
{
  return (get_history (self) != NULL &&
          trb_history_is_halted (self->history, self->origin, error)) ||
         trb_contributor_is_network_compromised (self->store, self->origin);
}

/* A round is open and ours to take part in: train when the scheduler and the device allow. */
static void
begin_round (TrbParticipation *self)
{
  g_autoptr(GError) error = NULL;
  gboolean stopped = network_is_halted (self, &error);

  /* Unreadable, the halt could not be honoured: the loop stops rather than contribute. */
  if (error != NULL)
    {
      store_failed (self, error);
      return;
    }
  if (stopped)
    {
      TrbLedgerTamper kind = trb_ledger_tamper_lookup (self->store, self->origin);
      /* Translators: %s is a sentence saying what was found in the network's ledger. */
      g_autoptr(GError) halted =
        g_error_new (TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                     _("%s Taking part in it has stopped. See History to save the evidence and "
                       "decide what to do."),
                     trb_ledger_tamper_describe (kind != TRB_LEDGER_TAMPER_NONE
                                                 ? kind : TRB_LEDGER_TAMPER_FORK));

      fail (self, halted);
      return;
    }
  if (!scheduler_allows (self))
    {
      set_state (self, TRB_PARTICIPATION_STATE_WAITING_SCHEDULER);
      return;
    }
  if (self->queue == NULL)
    {
      download (self);
      return;
    }
  if (trb_device_queue_get_holder (self->queue) != NULL &&
      trb_device_queue_get_holder (self->queue) != self)
    set_state (self, TRB_PARTICIPATION_STATE_WAITING_DEVICE);
  trb_device_queue_acquire_async (self->queue, self, self->cancellable, device_acquired_cb,
                                  g_object_ref (self));
}

/* ---- waiting for a round -------------------------------------------------------------------- */

/* Keeps what the network says of its round; a change in the counts or the deadline changes
 * what the person is told the loop waits for. */
static void
remember_round (TrbParticipation *self,
                JsonObject       *round,
                gint64            number,
                gboolean          open,
                gboolean          aggregating)
{
  TrbClientRoundCounts counts;

  trb_client_round_counts_from_json (round, g_get_real_time () / G_USEC_PER_SEC, &counts);
  if (number == self->seen_round && open == self->seen_open &&
      aggregating == self->seen_aggregating &&
      counts.deadline == self->seen_counts.deadline &&
      counts.updates == self->seen_counts.updates &&
      counts.min_updates == self->seen_counts.min_updates &&
      counts.max_updates == self->seen_counts.max_updates)
    return;
  self->seen_round = number;
  self->seen_open = open;
  self->seen_aggregating = aggregating;
  self->seen_counts = counts;
  notify_status (self);
}

static void
round_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) round = NULL;
  const char *state, *model;
  gint64 number;
  gboolean open;

  round = trb_client_json_finish (self->client, result, &error);
  if (!self->running)
    return;
  if (round == NULL)
    {
      fail (self, error);
      return;
    }
  number = json_object_get_int_member_with_default (round, "round", 0);
  state = trb_json_get_string (round, "state", "");
  model = trb_json_get_string (round, "model", NULL);
  open = g_str_equal (state, "open") || g_str_equal (state, "collecting");
  remember_round (self, round, number, open, g_str_equal (state, "aggregating"));

  /* A round resumed after a restart: go on with it only while it is still open. */
  if (self->state >= TRB_PARTICIPATION_STATE_WAITING_SCHEDULER &&
      self->state <= TRB_PARTICIPATION_STATE_TRAINING && self->round > self->last_round)
    {
      if (number == self->round && open && g_strcmp0 (model, self->model) == 0)
        {
          begin_round (self);
          return;
        }
      remove_round_files (self);
      set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
    }

  if (number > self->last_round && open && model != NULL && strlen (model) == 64)
    {
      g_autofree char *message = NULL;

      self->round = number;
      g_free (self->model);
      self->model = g_strdup (model);
      randombytes_buf (&self->seed, sizeof self->seed);
      self->seed &= G_MAXINT64;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROUND]);
      /* Translators: an event of the Activity area; %lld is the round's number. */
      message = g_strdup_printf (_("Round %lld opened"), (long long) number);
      log_event (self, "round", message);
      begin_round (self);
      return;
    }

  if (self->state != TRB_PARTICIPATION_STATE_CONTRIBUTED)
    set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
  step_later (self, self->poll_ms);
}

static void
poll_round (TrbParticipation *self)
{
  g_autofree char *escaped = g_uri_escape_string (self->task, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/v1/tasks/%s/round", escaped);

  trb_client_get_json_async (self->client, path, self->cancellable, round_cb,
                             g_object_ref (self));
}

static void
task_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TrbParticipation) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) task = NULL;
  g_autofree char *spec_json = NULL;
  TrbTrainerConfig config = { 0 };
  JsonNode *model;

  task = trb_client_json_finish (self->client, result, &error);
  if (!self->running)
    return;
  if (task == NULL)
    {
      fail (self, error);
      return;
    }
  model = json_object_get_member (task, "model");
  if (model == NULL || !JSON_NODE_HOLDS_OBJECT (model))
    {
      fail_literal (self, TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_TASK,
                    _("The network’s task does not describe its model."));
      return;
    }
  spec_json = json_to_string (model, FALSE);
  g_clear_object (&self->spec);
  self->spec = trb_model_spec_new_from_json (spec_json, -1, &error);
  /* Training settings this app would not apply are refused as soon as the task is read, with
   * the sentence the node gives its operator, before any model is fetched. */
  if (self->spec == NULL || !trb_task_training_config (task, &config, &error))
    {
      fail (self, error);
      return;
    }
  g_clear_pointer (&self->task_obj, json_object_unref);
  self->task_obj = g_steal_pointer (&task);
  step (self);
}

/* Picks up from the state last written. */
static void
step (TrbParticipation *self)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (!self->running)
    return;

  if (self->task_obj == NULL)
    {
      escaped = g_uri_escape_string (self->task, NULL, FALSE);
      path = g_strdup_printf ("/v1/tasks/%s", escaped);
      trb_client_get_json_async (self->client, path, self->cancellable, task_cb,
                                 g_object_ref (self));
      return;
    }

  switch (self->state)
    {
    case TRB_PARTICIPATION_STATE_UPLOADING:
    case TRB_PARTICIPATION_STATE_CONFIRMING:
      if (self->round > self->last_round && self->update_hash != NULL)
        {
          upload (self);
          return;
        }
      set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
      poll_round (self);
      return;

    case TRB_PARTICIPATION_STATE_PROBLEM:
      /* After a problem, start again from the round's beginning or its upload. */
      if (self->update_hash != NULL && self->round > self->last_round)
        {
          upload (self);
          return;
        }
      poll_round (self);
      return;

    case TRB_PARTICIPATION_STATE_STOPPED:
      self->state = TRB_PARTICIPATION_STATE_WAITING_ROUND;
      poll_round (self);
      return;

    case TRB_PARTICIPATION_STATE_WAITING_ROUND:
    case TRB_PARTICIPATION_STATE_WAITING_SCHEDULER:
    case TRB_PARTICIPATION_STATE_WAITING_DEVICE:
    case TRB_PARTICIPATION_STATE_DOWNLOADING:
    case TRB_PARTICIPATION_STATE_TRAINING:
    case TRB_PARTICIPATION_STATE_CONTRIBUTED:
    default:
      poll_round (self);
      return;
    }
}

/* ---- the object ----------------------------------------------------------------------------- */

static void
trb_participation_dispose (GObject *object)
{
  TrbParticipation *self = TRB_PARTICIPATION (object);

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->queue != NULL)
    trb_device_queue_withdraw (self->queue, self);
  if (self->scheduler != NULL)
    {
      g_clear_signal_handler (&self->decision_id, self->scheduler);
      g_clear_signal_handler (&self->preset_id, self->scheduler);
    }
  g_clear_object (&self->scheduler);
  g_clear_object (&self->queue);
  g_clear_object (&self->trainer);
  g_clear_object (&self->executor);

  G_OBJECT_CLASS (trb_participation_parent_class)->dispose (object);
}

static void
trb_participation_finalize (GObject *object)
{
  TrbParticipation *self = TRB_PARTICIPATION (object);

  g_clear_object (&self->store);
  g_clear_error (&self->store_error);
  g_clear_object (&self->history);
  g_clear_object (&self->client);
  g_clear_object (&self->keypair);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->spec);
  g_clear_object (&self->base);
  g_clear_pointer (&self->task_obj, json_object_unref);
  g_clear_object (&self->data);
  g_free (self->origin);
  g_free (self->task);
  g_free (self->dataset_path);
  g_free (self->data_path);
  g_free (self->trained_on);
  g_free (self->device);
  g_free (self->work_dir);
  g_free (self->model);
  g_free (self->update_hash);
  g_free (self->problem);

  G_OBJECT_CLASS (trb_participation_parent_class)->finalize (object);
}

static void
trb_participation_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TrbParticipation *self = TRB_PARTICIPATION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_ROUND:
      g_value_set_int64 (value, self->round);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_LAST_CONTRIBUTED:
      g_value_set_int64 (value, self->last_round);
      break;
    case PROP_STATUS:
      g_value_take_string (value, trb_participation_dup_status (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_participation_class_init (TrbParticipationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = trb_participation_dispose;
  object_class->finalize = trb_participation_finalize;
  object_class->get_property = trb_participation_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, 0, TRB_PARTICIPATION_STATE_STOPPED, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROUND] =
    g_param_spec_int64 ("round", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_CONTRIBUTED] =
    g_param_spec_int64 ("last-contributed", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TrbParticipation::event:
   * @kind: "round", "contributed", "round-missed" or "problem"
   * @message: plain words, already logged in the store
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
trb_participation_init (TrbParticipation *self)
{
  self->cancellable = g_cancellable_new ();
  self->device = g_strdup ("cpu");
  self->poll_ms = 2000;
  self->retry_base_s = 30;
  self->eta_seconds = -1;
  self->resumed_epoch = -1;
  self->seen_counts.updates = -1;
  self->seen_counts.min_updates = -1;
  self->seen_counts.max_updates = -1;
}

/**
 * trb_participation_new:
 * @store: the local store, migrated with trb_participation_migrate()
 * @client: a client for the network, with the wallet's key set
 * @origin: the network's origin (its ledger name)
 * @ledger_key: (nullable): the pinned ledger key (a note verifier key); receipts are checked
 *   against it
 * @task: the task to train
 * @dataset_path: the local data (an IDX image file)
 *
 * Returns: (transfer full): a participation, stopped; its state is read from the store
 */
TrbParticipation *
trb_participation_new (TrbStore   *store,
                       TrbClient  *client,
                       const char *origin,
                       const char *ledger_key,
                       const char *task,
                       const char *dataset_path)
{
  TrbParticipation *self;
  g_autofree char *origin_hash = NULL;
  g_autofree char *store_dir = NULL;

  g_return_val_if_fail (TRB_IS_STORE (store), NULL);
  g_return_val_if_fail (TRB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (origin != NULL && task != NULL && dataset_path != NULL, NULL);

  self = g_object_new (TRB_TYPE_PARTICIPATION, NULL);
  self->store = g_object_ref (store);
  self->client = g_object_ref (client);
  self->origin = g_strdup (origin);
  self->task = g_strdup (task);
  self->dataset_path = g_strdup (dataset_path);

  if (ledger_key != NULL)
    {
      g_autoptr(TrbNoteVerifier) verifier = trb_note_verifier_new_from_string (ledger_key, NULL);

      if (verifier != NULL && trb_note_verifier_get_key_type (verifier) == TRB_NOTE_KEY_ED25519)
        {
          memcpy (self->ledger_public_key, trb_note_verifier_get_public_key (verifier), 32);
          self->have_key = TRUE;
        }
    }

  origin_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, origin, -1);
  store_dir = g_path_get_dirname (trb_store_get_path (store));
  self->work_dir = g_build_filename (store_dir, "participation", origin_hash, NULL);
  g_mkdir_with_parents (self->work_dir, 0700);

  {
    g_autoptr(GError) error = NULL;

    if (!load_state (self, &error))
      {
        self->load_failed = TRUE;
        store_failed (self, error);
      }
  }
  return self;
}

void
trb_participation_set_scheduler (TrbParticipation *self,
                                 TrbScheduler     *scheduler)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));

  if (self->scheduler != NULL)
    {
      g_clear_signal_handler (&self->decision_id, self->scheduler);
      g_clear_signal_handler (&self->preset_id, self->scheduler);
    }
  g_set_object (&self->scheduler, scheduler);
  if (scheduler != NULL)
    {
      self->decision_id = g_signal_connect_swapped (scheduler, "notify::decision",
                                                    G_CALLBACK (decision_changed_cb), self);
      self->preset_id = g_signal_connect_swapped (scheduler, "notify::preset",
                                                  G_CALLBACK (apply_preset), self);
    }
  apply_preset (self);
}

void
trb_participation_set_device_queue (TrbParticipation *self,
                                    TrbDeviceQueue   *queue)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_set_object (&self->queue, queue);
}

/**
 * trb_participation_set_device:
 * @self: a participation
 * @device: (nullable): "cpu" (the default), "auto" or "vulkan:N"
 */
void
trb_participation_set_device (TrbParticipation *self,
                              const char       *device)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_free (self->device);
  self->device = g_strdup (device != NULL ? device : "cpu");
}

/**
 * trb_participation_set_verification:
 * @self: a participation
 * @keypair: (nullable): the wallet's key, to check the ledger after each round with a client of
 *   its own; %NULL checks only the receipt's signature
 * @cosign: whether to cosign each checkpoint verified (witness)
 */
void
trb_participation_set_verification (TrbParticipation *self,
                                    TrbKeypair       *keypair,
                                    gboolean          cosign)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_set_object (&self->keypair, keypair);
  self->cosign = cosign;
}

void
trb_participation_set_poll_interval (TrbParticipation *self,
                                     guint             ms)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  self->poll_ms = CLAMP (ms, 10, 60 * 60 * 1000);
}

void
trb_participation_set_retry_base (TrbParticipation *self,
                                  guint             seconds)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  self->retry_base_s = CLAMP (seconds, 1, MAX_RETRY_SECONDS);
}

/**
 * trb_participation_set_max_samples:
 * @self: a participation
 * @max_samples: train on at most this many samples; 0 for all
 */
void
trb_participation_set_max_samples (TrbParticipation *self,
                                   gsize             max_samples)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  self->max_samples = max_samples;
}

/**
 * trb_participation_request_round_now:
 * @self: a participation
 *
 * Joining is a request to contribute now: the next round this network takes part in runs even
 * where the scheduler would wait for the computer to be idle or for the training hours, at the
 * Light preset while it would. Pauses (the person's, on battery, in power-saver mode, on a
 * metered connection) still hold. Rounds after it follow the scheduler again.
 */
void
trb_participation_request_round_now (TrbParticipation *self)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));

  self->round_now = TRUE;
  if (self->running && self->state == TRB_PARTICIPATION_STATE_WAITING_SCHEDULER &&
      scheduler_allows (self))
    step_later (self, 0);
}

/**
 * trb_participation_get_round_now:
 * @self: a participation
 *
 * Returns: whether the round asked for by trb_participation_request_round_now() is still to
 *   be contributed
 */
gboolean
trb_participation_get_round_now (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), FALSE);
  return self->round_now;
}

/**
 * trb_participation_start:
 * @self: a participation
 *
 * Starts or resumes the loop from the state in the store.
 */
void
trb_participation_start (TrbParticipation *self)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));

  if (self->running)
    return;
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
    }
  /* After a failed write, starting again tries again; after a failed read, only once the
   * state written down can be read. */
  if (self->load_failed)
    {
      g_autoptr(GError) error = NULL;

      if (!load_state (self, &error))
        {
          store_failed (self, error);
          return;
        }
      self->load_failed = FALSE;
    }
  g_clear_error (&self->store_error);
  self->running = TRUE;
  if (self->state == TRB_PARTICIPATION_STATE_PROBLEM)
    {
      gint64 wait = self->retry_at - g_get_real_time () / G_USEC_PER_SEC;

      step_later (self, (guint) CLAMP (wait, 0, MAX_RETRY_SECONDS) * 1000);
      return;
    }
  step_later (self, 0);
}

/**
 * trb_participation_stop:
 * @self: a participation
 *
 * Stops the loop; what was in progress is kept (the trainer's checkpoint, the update not yet
 * confirmed) and goes on at the next trb_participation_start().
 */
void
trb_participation_stop (TrbParticipation *self)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->queue != NULL)
    trb_device_queue_withdraw (self->queue, self);
  self->holds_device = FALSE;
  g_clear_object (&self->trainer);
  g_clear_object (&self->executor);
  notify_status (self);
}

const char *
trb_participation_get_origin (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->origin;
}

const char *
trb_participation_get_task (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->task;
}

const char *
trb_participation_get_dataset_path (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->dataset_path;
}

/**
 * trb_participation_set_dataset_path:
 * @self: a participation
 * @dataset_path: the local data to train on from the next round
 *
 * A round already training goes on with the data it read; the next one reads @dataset_path.
 * Recording the choice in the store is trb_participation_manager_change_dataset_async()'s part.
 */
void
trb_participation_set_dataset_path (TrbParticipation *self,
                                    const char       *dataset_path)
{
  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_return_if_fail (dataset_path != NULL);

  g_free (self->dataset_path);
  self->dataset_path = g_strdup (dataset_path);
}

TrbParticipationState
trb_participation_get_state (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), TRB_PARTICIPATION_STATE_STOPPED);
  return self->state;
}

gint64
trb_participation_get_round (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->round;
}

gint64
trb_participation_get_last_contributed (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->last_round;
}

double
trb_participation_get_progress (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->progress;
}

/**
 * trb_participation_get_resumed_epoch:
 * @self: a participation
 *
 * Returns: the epoch (0-based) the last training resumed at from its checkpoint, or -1
 */
int
trb_participation_get_resumed_epoch (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), -1);
  return self->resumed_epoch;
}

const char *
trb_participation_get_problem (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->problem;
}

/**
 * trb_participation_get_n_uploads:
 * @self: a participation
 *
 * Returns: how many times this object sent an update (a repeat after a lost reply counts)
 */
guint
trb_participation_get_n_uploads (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->n_uploads;
}

/**
 * trb_participation_get_credited_points:
 * @self: a participation
 *
 * The reward points the ledger credited to this participant and this object verified since
 * it was made, in thousandths of a point; a "reward" event follows each increase.
 *
 * Returns: the points credited, in thousandths
 */
gint64
trb_participation_get_credited_points (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), 0);
  return self->credited_points;
}

/**
 * trb_participation_format_day_summary:
 * @rounds: rounds contributed today
 * @points: points credited today, in thousandths
 *
 * Sums up a network's day for its notification; the points are left out while there are none.
 *
 * Returns: (transfer full): "3 rounds contributed today, 30 points"
 */
char *
trb_participation_format_day_summary (guint  rounds,
                                      gint64 points)
{
  g_autofree char *rounds_text = NULL;
  g_autofree char *points_text = NULL;

  rounds_text = g_strdup_printf (ngettext ("%u round contributed today",
                                           "%u rounds contributed today", rounds), rounds);
  if (points <= 0)
    return g_steal_pointer (&rounds_text);

  points_text = trb_rewards_dup_points_text (points);
  /* Translators: "3 rounds contributed today" and "30 points" */
  return g_strdup_printf (_("%s, %s"), rounds_text, points_text);
}

/**
 * trb_participation_get_waiting:
 * @self: a participation
 * @waiting: (out caller-allocates): what the loop waits for
 *
 * Says why nothing visible happens now, and until when, from the loop's state, the scheduler's
 * decision and what the network last said of its round (deadline, updates in, updates needed).
 * `kind` is %TRB_WAITING_NONE while something visible happens.
 */
void
trb_participation_get_waiting (TrbParticipation *self,
                               TrbWaiting       *waiting)
{
  gboolean ours;

  g_return_if_fail (TRB_IS_PARTICIPATION (self));
  g_return_if_fail (waiting != NULL);

  memset (waiting, 0, sizeof *waiting);
  waiting->kind = TRB_WAITING_NONE;
  waiting->scheduler_reason = TRB_SCHEDULER_REASON_NONE;
  waiting->updates = self->seen_counts.updates;
  waiting->min_updates = self->seen_counts.min_updates;
  waiting->max_updates = self->seen_counts.max_updates;
  /* Once the round Join asked for is in, the rules in Preferences decide the later ones. */
  waiting->later_rounds = self->last_round > 0 && !self->round_now;
  if (!self->running)
    return;

  /* Whether the round the network is in is the one this computer already contributed to. */
  ours = self->seen_round > 0 && self->seen_round == self->last_round;
  switch (self->state)
    {
    case TRB_PARTICIPATION_STATE_WAITING_ROUND:
    case TRB_PARTICIPATION_STATE_CONTRIBUTED:
      if (self->seen_round == 0)
        waiting->kind = TRB_WAITING_NEXT_ROUND;
      else if (self->seen_aggregating)
        waiting->kind = TRB_WAITING_ROUND_AGGREGATING;
      else if (ours && self->seen_open && waiting->min_updates >= 0 && waiting->updates >= 0 &&
               waiting->updates < waiting->min_updates)
        waiting->kind = TRB_WAITING_ROUND_UPDATES;
      else if (ours && self->seen_open)
        waiting->kind = TRB_WAITING_ROUND_DEADLINE;
      else
        waiting->kind = TRB_WAITING_NEXT_ROUND;
      /* A round closes at its deadline at the earliest, and the next opens then. */
      waiting->until = self->seen_counts.deadline;
      break;

    case TRB_PARTICIPATION_STATE_WAITING_SCHEDULER:
      waiting->kind = TRB_WAITING_SCHEDULER;
      if (self->scheduler != NULL)
        {
          TrbSchedulerDecision *decision = trb_scheduler_get_decision (self->scheduler);

          waiting->scheduler_reason = trb_scheduler_decision_get_reason (decision);
          waiting->until = trb_scheduler_decision_get_until (decision);
        }
      break;

    case TRB_PARTICIPATION_STATE_WAITING_DEVICE:
      waiting->kind = TRB_WAITING_DEVICE;
      break;

    case TRB_PARTICIPATION_STATE_PROBLEM:
      waiting->kind = TRB_WAITING_RETRY;
      waiting->until = self->retry_at;
      break;

    case TRB_PARTICIPATION_STATE_DOWNLOADING:
    case TRB_PARTICIPATION_STATE_TRAINING:
    case TRB_PARTICIPATION_STATE_UPLOADING:
    case TRB_PARTICIPATION_STATE_CONFIRMING:
    case TRB_PARTICIPATION_STATE_STOPPED:
    default:
      break;
    }
}

/**
 * trb_participation_get_job_device:
 * @self: a participation
 * @vulkan_name: (out) (optional) (transfer none): the Vulkan device's name, or %NULL when the
 *   job runs on the processor
 *
 * Says where this network's training runs now, for "Training on the processor".
 *
 * Returns: %TRUE while training runs, %FALSE otherwise
 */
gboolean
trb_participation_get_job_device (TrbParticipation  *self,
                                  const char       **vulkan_name)
{
  const char *name = NULL;

  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), FALSE);

  if (self->executor == NULL)
    return FALSE;
  if (TRB_IS_VULKAN_EXECUTOR (self->executor))
    {
      TrbVulkanExecutor *vk = TRB_VULKAN_EXECUTOR (self->executor);

      name = trb_vulkan_context_get_info (trb_vulkan_executor_get_context (vk))->name;
    }
  if (vulkan_name != NULL)
    *vulkan_name = name;
  return TRUE;
}

/**
 * trb_participation_get_last_job_device:
 * @self: a participation
 * @vulkan_name: (out) (optional) (transfer none): the Vulkan device's name, or %NULL when the
 *   last round trained on the processor
 *
 * Says where this network's last round trained, for "Contributed to round 3 on the processor".
 *
 * Returns: %TRUE once a round trained since the loop started
 */
gboolean
trb_participation_get_last_job_device (TrbParticipation  *self,
                                       const char       **vulkan_name)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), FALSE);

  if (vulkan_name != NULL)
    *vulkan_name = self->trained_on;
  return self->trained_here;
}

/**
 * trb_participation_get_model_spec:
 * @self: a participation
 *
 * Returns: (transfer none) (nullable): the model of the network's task, once it was read
 */
TrbModelSpec *
trb_participation_get_model_spec (TrbParticipation *self)
{
  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);
  return self->spec;
}

/**
 * trb_participation_get_batch_size:
 * @self: a participation
 *
 * Returns: the batch size of the network's task (32 until the task was read)
 */
int
trb_participation_get_batch_size (TrbParticipation *self)
{
  TrbTrainerConfig config = { 0 };

  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), TRB_TASK_DEFAULT_BATCH_SIZE);
  if (self->task_obj == NULL ||
      !trb_task_training_config (self->task_obj, &config, NULL))
    return TRB_TASK_DEFAULT_BATCH_SIZE;
  return config.batch_size;
}

/**
 * trb_participation_dup_status:
 * @self: a participation
 *
 * Returns: (transfer full): the state in plain words, e.g. "Training 43% — about 6 minutes left"
 */
char *
trb_participation_dup_status (TrbParticipation *self)
{
  const char *why = NULL;

  g_return_val_if_fail (TRB_IS_PARTICIPATION (self), NULL);

  if (!self->running && self->state != TRB_PARTICIPATION_STATE_STOPPED &&
      self->state != TRB_PARTICIPATION_STATE_CONTRIBUTED)
    return g_strdup (_("Stopped"));
  /* Stopped by the loop itself: say why, which is all a person can act on. */
  if (self->state == TRB_PARTICIPATION_STATE_STOPPED &&
      self->refusals >= TRB_PARTICIPATION_MAX_REFUSALS && self->problem != NULL)
    return g_strdup (self->problem);
  if (self->scheduler != NULL)
    why = trb_scheduler_decision_get_message (trb_scheduler_get_decision (self->scheduler));
  return trb_participation_format_status (self->state, self->progress, self->eta_seconds,
                                          self->retry_at - g_get_real_time () / G_USEC_PER_SEC,
                                          why);
}

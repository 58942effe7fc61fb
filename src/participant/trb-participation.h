/* trb-participation.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "compute/trb-model-spec.h"
#include "net/trb-client.h"
#include "net/trb-protocol.h"
#include "participant/trb-device-queue.h"
#include "participant/trb-scheduler.h"
#include "store/trb-store.h"
#include "wallet/trb-keypair.h"

G_BEGIN_DECLS

/**
 * TrbParticipationState:
 * @TRB_PARTICIPATION_STATE_WAITING_ROUND: waiting for the network to open a round
 * @TRB_PARTICIPATION_STATE_WAITING_SCHEDULER: a round is open, the scheduler says not now
 * @TRB_PARTICIPATION_STATE_WAITING_DEVICE: another network is training on the device
 * @TRB_PARTICIPATION_STATE_DOWNLOADING: fetching the round's model
 * @TRB_PARTICIPATION_STATE_TRAINING: training on the local data
 * @TRB_PARTICIPATION_STATE_UPLOADING: sending the update
 * @TRB_PARTICIPATION_STATE_CONFIRMING: checking the network's signed receipt
 * @TRB_PARTICIPATION_STATE_CONTRIBUTED: the round's update was accepted
 * @TRB_PARTICIPATION_STATE_PROBLEM: something failed; retried at `retry-at`
 * @TRB_PARTICIPATION_STATE_STOPPED: not taking part (stopped, left, or the network's ledger
 *   was tampered with)
 *
 * The steps of one network's participation, as the store keeps them.
 */
typedef enum
{
  TRB_PARTICIPATION_STATE_WAITING_ROUND,
  TRB_PARTICIPATION_STATE_WAITING_SCHEDULER,
  TRB_PARTICIPATION_STATE_WAITING_DEVICE,
  TRB_PARTICIPATION_STATE_DOWNLOADING,
  TRB_PARTICIPATION_STATE_TRAINING,
  TRB_PARTICIPATION_STATE_UPLOADING,
  TRB_PARTICIPATION_STATE_CONFIRMING,
  TRB_PARTICIPATION_STATE_CONTRIBUTED,
  TRB_PARTICIPATION_STATE_PROBLEM,
  TRB_PARTICIPATION_STATE_STOPPED,
} TrbParticipationState;

/**
 * TrbWaitingKind:
 * @TRB_WAITING_NONE: something visible is happening, or taking part has stopped
 * @TRB_WAITING_ROUND_UPDATES: the round this computer contributed to needs more updates
 *   before it can close (`updates` < `min_updates`); `until` is its deadline
 * @TRB_WAITING_ROUND_DEADLINE: the round has the updates it needs and closes at `until`, or
 *   sooner when `max_updates` are in
 * @TRB_WAITING_ROUND_AGGREGATING: the network is combining the round's updates
 * @TRB_WAITING_NEXT_ROUND: no round is open for this computer; `until`, when known, is when
 *   the current round is due to close and the next one to open
 * @TRB_WAITING_SCHEDULER: a round is open but the rules in Preferences (or a pause) hold
 *   training back: `scheduler_reason`, and `until` when it is known
 * @TRB_WAITING_DEVICE: another network is training on the device
 * @TRB_WAITING_RETRY: something failed and is tried again at `until`
 *
 * Why nothing visible happens now, as data for the UI to put into words.
 */
typedef enum
{
  TRB_WAITING_NONE,
  TRB_WAITING_ROUND_UPDATES,
  TRB_WAITING_ROUND_DEADLINE,
  TRB_WAITING_ROUND_AGGREGATING,
  TRB_WAITING_NEXT_ROUND,
  TRB_WAITING_SCHEDULER,
  TRB_WAITING_DEVICE,
  TRB_WAITING_RETRY,
} TrbWaitingKind;

/**
 * TrbWaiting:
 * @kind: what is waited for
 * @scheduler_reason: for %TRB_WAITING_SCHEDULER, the scheduler's reason
 * @until: Unix time the wait ends (a deadline, a pause's end, a retry), 0 when unknown
 * @updates: the updates the network has in the round, as it last said (-1 unknown)
 * @min_updates: the updates the round needs to close (-1 unknown)
 * @max_updates: the updates that close the round at once (-1 unknown)
 * @later_rounds: %TRUE when this computer already contributed since it joined, so that what
 *   the rules in Preferences hold back are the later rounds
 */
typedef struct
{
  TrbWaitingKind      kind;
  TrbSchedulerReason  scheduler_reason;
  gint64              until;
  int                 updates;
  int                 min_updates;
  int                 max_updates;
  gboolean            later_rounds;
} TrbWaiting;

#define TRB_PARTICIPATION_ERROR (trb_participation_error_quark ())

/* Updates or requests refused in a row for a reason that does not go away (a
 * %TRB_PROBLEM_KIND_PERMANENT problem type) before the loop stops and says why. */
#define TRB_PARTICIPATION_MAX_REFUSALS TRB_PROTOCOL_MAX_REFUSALS

typedef enum
{
  TRB_PARTICIPATION_ERROR_DATA,
  TRB_PARTICIPATION_ERROR_TASK,
  TRB_PARTICIPATION_ERROR_NOT_JOINED,
} TrbParticipationError;

#define TRB_TYPE_PARTICIPATION (trb_participation_get_type ())

G_DECLARE_FINAL_TYPE (TrbParticipation, trb_participation, TRB, PARTICIPATION, GObject)

GQuark                 trb_participation_error_quark          (void);
gboolean               trb_participation_migrate              (TrbStore           *store,
                                                               GError            **error);
const char            *trb_participation_state_to_string      (TrbParticipationState state);

TrbParticipation      *trb_participation_new                  (TrbStore           *store,
                                                               TrbClient          *client,
                                                               const char         *origin,
                                                               const char         *ledger_key,
                                                               const char         *task,
                                                               const char         *dataset_path);
void                   trb_participation_set_scheduler        (TrbParticipation   *self,
                                                               TrbScheduler       *scheduler);
void                   trb_participation_set_device_queue     (TrbParticipation   *self,
                                                               TrbDeviceQueue     *queue);
void                   trb_participation_set_device           (TrbParticipation   *self,
                                                               const char         *device);
void                   trb_participation_set_verification     (TrbParticipation   *self,
                                                               TrbKeypair         *keypair,
                                                               gboolean            cosign);
void                   trb_participation_set_poll_interval    (TrbParticipation   *self,
                                                               guint               ms);
void                   trb_participation_set_retry_base       (TrbParticipation   *self,
                                                               guint               seconds);
void                   trb_participation_set_max_samples      (TrbParticipation   *self,
                                                               gsize               max_samples);

void                   trb_participation_request_round_now    (TrbParticipation   *self);
gboolean               trb_participation_get_round_now        (TrbParticipation   *self);

void                   trb_participation_start                (TrbParticipation   *self);
void                   trb_participation_stop                 (TrbParticipation   *self);

const char            *trb_participation_get_origin           (TrbParticipation   *self);
const char            *trb_participation_get_task             (TrbParticipation   *self);
const char            *trb_participation_get_dataset_path     (TrbParticipation   *self);
void                   trb_participation_set_dataset_path     (TrbParticipation   *self,
                                                               const char         *dataset_path);
TrbParticipationState  trb_participation_get_state            (TrbParticipation   *self);
gint64                 trb_participation_get_round            (TrbParticipation   *self);
gint64                 trb_participation_get_last_contributed (TrbParticipation   *self);
double                 trb_participation_get_progress         (TrbParticipation   *self);
int                    trb_participation_get_resumed_epoch    (TrbParticipation   *self);
const char            *trb_participation_get_problem          (TrbParticipation   *self);
char                  *trb_participation_dup_status           (TrbParticipation   *self);
void                   trb_participation_get_waiting          (TrbParticipation   *self,
                                                               TrbWaiting         *waiting);
gboolean               trb_participation_get_job_device       (TrbParticipation   *self,
                                                               const char        **vulkan_name);
gboolean               trb_participation_get_last_job_device  (TrbParticipation   *self,
                                                               const char        **vulkan_name);
TrbModelSpec          *trb_participation_get_model_spec       (TrbParticipation   *self);
int                    trb_participation_get_batch_size       (TrbParticipation   *self);
guint                  trb_participation_get_n_uploads        (TrbParticipation   *self);
gint64                 trb_participation_get_credited_points  (TrbParticipation   *self);
char                  *trb_participation_format_day_summary   (guint               rounds,
                                                               gint64              points);

char                  *trb_participation_format_status        (TrbParticipationState state,
                                                               double              progress,
                                                               double              eta_seconds,
                                                               gint64              retry_in_s,
                                                               const char         *waiting_why);

G_END_DECLS

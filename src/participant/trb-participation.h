/* trb-participation.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "net/trb-client.h"
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

#define TRB_PARTICIPATION_ERROR (trb_participation_error_quark ())

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
double                 trb_participation_get_eta_seconds      (TrbParticipation   *self);
int                    trb_participation_get_resumed_epoch    (TrbParticipation   *self);
gint64                 trb_participation_get_retry_at         (TrbParticipation   *self);
const char            *trb_participation_get_problem          (TrbParticipation   *self);
char                  *trb_participation_dup_status           (TrbParticipation   *self);
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

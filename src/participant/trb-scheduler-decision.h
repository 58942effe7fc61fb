/* trb-scheduler-decision.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * TrbSchedulerVerdict:
 * @TRB_SCHEDULER_VERDICT_RUN: training may run, and a new round may start
 * @TRB_SCHEDULER_VERDICT_FINISH_ROUND: the round under way may finish; no new one may start
 * @TRB_SCHEDULER_VERDICT_WAIT: training waits for a condition that comes by itself (idle,
 *   training hours)
 * @TRB_SCHEDULER_VERDICT_PAUSED: training is paused, by the person or by power and network
 *   settings
 */
typedef enum
{
  TRB_SCHEDULER_VERDICT_RUN,
  TRB_SCHEDULER_VERDICT_FINISH_ROUND,
  TRB_SCHEDULER_VERDICT_WAIT,
  TRB_SCHEDULER_VERDICT_PAUSED,
} TrbSchedulerVerdict;

/**
 * TrbSchedulerReason:
 * @TRB_SCHEDULER_REASON_NONE: nothing holds training back
 * @TRB_SCHEDULER_REASON_PAUSED: paused until resumed
 * @TRB_SCHEDULER_REASON_PAUSED_UNTIL: paused until a time
 * @TRB_SCHEDULER_REASON_ON_BATTERY: the computer runs on battery
 * @TRB_SCHEDULER_REASON_POWER_SAVER: power-saver mode is on
 * @TRB_SCHEDULER_REASON_METERED: the network connection is metered
 * @TRB_SCHEDULER_REASON_OUTSIDE_HOURS: outside the daily training hours
 * @TRB_SCHEDULER_REASON_NOT_IDLE: somebody is using the computer
 * @TRB_SCHEDULER_REASON_FINISHING_ROUND: the person asked to pause after this round
 *
 * Why the scheduler decided as it did.
 */
typedef enum
{
  TRB_SCHEDULER_REASON_NONE,
  TRB_SCHEDULER_REASON_PAUSED,
  TRB_SCHEDULER_REASON_PAUSED_UNTIL,
  TRB_SCHEDULER_REASON_ON_BATTERY,
  TRB_SCHEDULER_REASON_POWER_SAVER,
  TRB_SCHEDULER_REASON_METERED,
  TRB_SCHEDULER_REASON_OUTSIDE_HOURS,
  TRB_SCHEDULER_REASON_NOT_IDLE,
  TRB_SCHEDULER_REASON_FINISHING_ROUND,
} TrbSchedulerReason;

#define TRB_TYPE_SCHEDULER_DECISION (trb_scheduler_decision_get_type ())

G_DECLARE_FINAL_TYPE (TrbSchedulerDecision, trb_scheduler_decision,
                      TRB, SCHEDULER_DECISION, GObject)

TrbSchedulerDecision *trb_scheduler_decision_new          (TrbSchedulerVerdict   verdict,
                                                           TrbSchedulerReason    reason,
                                                           const char           *message,
                                                           gint64                until);
TrbSchedulerVerdict   trb_scheduler_decision_get_verdict  (TrbSchedulerDecision *self);
TrbSchedulerReason    trb_scheduler_decision_get_reason   (TrbSchedulerDecision *self);
const char           *trb_scheduler_decision_get_message  (TrbSchedulerDecision *self);
gint64                trb_scheduler_decision_get_until    (TrbSchedulerDecision *self);
gboolean              trb_scheduler_decision_may_start    (TrbSchedulerDecision *self);
gboolean              trb_scheduler_decision_may_continue (TrbSchedulerDecision *self);
gboolean              trb_scheduler_decision_equal        (TrbSchedulerDecision *a,
                                                           TrbSchedulerDecision *b);

G_END_DECLS

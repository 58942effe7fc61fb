/* trb-participation-status.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The participation loop in plain words, for the UI: a state as a status line, why the loop waits
 * and until when (TrbWaiting), and the day's contributions in one sentence.
 */

#define G_LOG_DOMAIN "trb-participation"

#include "config.h"

#include "trb-participation-private.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

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

/* What a loop between rounds waits for, from what the network last said of its round. */
static TrbWaitingKind
round_waiting_kind (TrbParticipation *self,
                    const TrbWaiting *waiting)
{
  /* Whether the round the network is in is the one this computer already contributed to. */
  gboolean ours = self->seen_round > 0 && self->seen_round == self->last_round;

  if (self->seen_round == 0)
    return TRB_WAITING_NEXT_ROUND;
  if (self->seen_aggregating)
    return TRB_WAITING_ROUND_AGGREGATING;
  if (ours && self->seen_open && waiting->min_updates >= 0 && waiting->updates >= 0 &&
      waiting->updates < waiting->min_updates)
    return TRB_WAITING_ROUND_UPDATES;
  if (ours && self->seen_open)
    return TRB_WAITING_ROUND_DEADLINE;
  return TRB_WAITING_NEXT_ROUND;
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

  switch (self->state)
    {
    case TRB_PARTICIPATION_STATE_WAITING_ROUND:
    case TRB_PARTICIPATION_STATE_CONTRIBUTED:
      waiting->kind = round_waiting_kind (self, waiting);
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

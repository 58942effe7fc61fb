/* trb-participation-problems.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the participation loop does about a failure: a tampered ledger stops it for good; a round
 * missed waits for the next round; a permanent refusal repeated TRB_PARTICIPATION_MAX_REFUSALS
 * times stops it with a reason in plain words; anything else is tried again after a backoff
 * (30 s doubling, at most 10 minutes).
 */

#define G_LOG_DOMAIN "trb-participation"

#include "config.h"

#include "trb-participation-private.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

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
     * numbers or too large, or that change the model too much), after "Stopped after the
     * network refused 3 times in a row." */
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

/* A tampered ledger: the loop stops for good. Stopped before the event is logged, so that
 * whoever hears of the problem can tell that it stopped the network (the app notifies such a
 * problem always). */
static void
stop_for_tampering (TrbParticipation *self,
                    const GError     *error)
{
  self->running = FALSE;
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_STOPPED);
  trb_participation_log_event (self, "problem", error->message);
}

/* The same update or request refused again and again for a reason that does not go away (it
 * does not fit the model, the network no longer knows this address): trying every round would
 * repeat it forever without a word, so after a few tries the loop stops and says why. %TRUE
 * when it stopped. */
static gboolean
count_refusal (TrbParticipation *self,
               const GError     *error)
{
  self->refusals = MIN (self->refusals + 1, TRB_PARTICIPATION_MAX_REFUSALS);
  if (self->refusals < TRB_PARTICIPATION_MAX_REFUSALS)
    return FALSE;
  g_free (self->problem);
  self->problem = describe_refusals (trb_client_error_get_problem (error), self->refusals);
  self->running = FALSE;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_STOPPED);
  trb_participation_log_event (self, "problem", self->problem);
  return TRUE;
}

/* The round closed before the update was in (`late`, `wrong-round`) or did not pick this
 * participant: not a problem, the next round will do. */
static void
miss_round (TrbParticipation *self,
            const GError     *error)
{
  g_autofree char *message = NULL;

  /* Translators: an event of the Activity area: the round's number, then the reason. */
  message = g_strdup_printf (_("Round %lld closed before this computer’s update was in: %s"),
                             (long long) self->round, error->message);
  trb_participation_log_event (self, "round-missed", message);
  self->refusals = 0;
  trb_participation_remove_round_files (self);
  self->last_round = MAX (self->last_round, self->round);
  g_clear_pointer (&self->update_hash, g_free);
  g_clear_pointer (&self->problem, g_free);
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_WAITING_ROUND);
  trb_participation_step_later (self, self->poll_ms);
}

/* Anything else: a problem, tried again after 30 s doubling, at most 10 minutes. */
static void
retry_later (TrbParticipation *self,
             const GError     *error)
{
  guint delay;

  self->failures = MIN (self->failures + 1, 16);
  delay = MIN ((guint64) self->retry_base_s << (self->failures - 1),
               TRB_PARTICIPATION_MAX_RETRY_SECONDS);
  self->retry_at = g_get_real_time () / G_USEC_PER_SEC + delay;
  trb_participation_log_event (self, "problem", error->message);
  trb_participation_set_state (self, TRB_PARTICIPATION_STATE_PROBLEM);
  trb_participation_step_later (self, delay * 1000);
}

/* What the loop does about @error, by its kind (net/trb-protocol.h, trb_problem_kind()). */
void
trb_participation_fail (TrbParticipation *self,
                        const GError     *error)
{
  TrbProblemKind kind = TRB_PROBLEM_KIND_RETRY;

  trb_participation_release_device (self);
  g_clear_object (&self->trainer);
  g_clear_object (&self->executor);
  if (!self->running || trb_participation_is_cancelled (error))
    return;

  g_free (self->problem);
  self->problem = g_strdup (error->message);

  if (g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED))
    {
      stop_for_tampering (self, error);
      return;
    }
  if (g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED))
    kind = trb_problem_kind (trb_client_error_get_problem (error));

  if (kind == TRB_PROBLEM_KIND_PERMANENT && count_refusal (self, error))
    return;
  if (kind == TRB_PROBLEM_KIND_ROUND_MISSED &&
      self->state >= TRB_PARTICIPATION_STATE_DOWNLOADING &&
      self->state <= TRB_PARTICIPATION_STATE_CONFIRMING)
    miss_round (self, error);
  else
    retry_later (self, error);
}

void
trb_participation_fail_literal (TrbParticipation *self,
                                GQuark            domain,
                                int               code,
                                const char       *message)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, message);

  trb_participation_fail (self, error);
}

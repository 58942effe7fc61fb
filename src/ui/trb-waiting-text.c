/* trb-waiting-text.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Why nothing visible happens, in a sentence: the participation loop and the scheduler say why
 * as data (TrbWaiting), and this puts it in the person's words and local time. It uses GLib
 * only, so that the unit tests can check the sentences without a display.
 */

#define G_LOG_DOMAIN "trb-waiting-text"

#include "config.h"

#include "trb-waiting-text.h"

#include <glib/gi18n.h>

/**
 * trb_waiting_text_format_time:
 * @now: the local time now
 * @when: a Unix time
 *
 * Returns: (transfer full): @when as the person reads a time soon: "14:05", "tomorrow at
 *   14:05" or "3 March at 14:05", in the local time zone
 */
char *
trb_waiting_text_format_time (GDateTime *now,
                              gint64     when)
{
  g_autoptr(GDateTime) local = g_date_time_new_from_unix_local (when);
  g_autoptr(GDateTime) here = NULL;
  g_autofree char *clock = NULL;
  g_autofree char *date = NULL;
  int days;

  g_return_val_if_fail (now != NULL, NULL);

  if (local == NULL)
    return g_strdup ("");
  here = g_date_time_to_timezone (now, g_date_time_get_timezone (local));
  /* Translators: a time of day, in g_date_time_format() notation; "%-H:%M" gives "8:00" and
   * "14:05". Use "%-I:%M %p" for a 12-hour clock. */
  clock = g_date_time_format (local, _("%-H:%M"));
  {
    g_autoptr(GDateTime) day = g_date_time_new_local (g_date_time_get_year (local),
                                                      g_date_time_get_month (local),
                                                      g_date_time_get_day_of_month (local),
                                                      0, 0, 0);
    g_autoptr(GDateTime) today = g_date_time_new_local (g_date_time_get_year (here),
                                                        g_date_time_get_month (here),
                                                        g_date_time_get_day_of_month (here),
                                                        0, 0, 0);

    /* Rounded: a day with a daylight-saving change is an hour shorter or longer. */
    days = (int) ((g_date_time_difference (day, today) + G_TIME_SPAN_HOUR * 2) /
                  G_TIME_SPAN_DAY);
  }
  if (days == 0)
    return g_steal_pointer (&clock);
  if (days == 1)
    /* Translators: "tomorrow at 8:00" */
    return g_strdup_printf (_("tomorrow at %s"), clock);
  /* Translators: a date in g_date_time_format() notation, such as "3 March". */
  date = g_date_time_format (local, _("%-d %B"));
  /* Translators: "3 March at 8:00" */
  return g_strdup_printf (_("%s at %s"), date, clock);
}

/* The rules in Preferences that hold training back, as a sentence of its own and as the end of
 * "Later rounds wait for the rules in Preferences: …". */
static char *
format_scheduler (const TrbWaiting *waiting,
                  GDateTime        *now)
{
  g_autofree char *when = NULL;
  const char *rule = NULL;
  const char *later = NULL;

  if (waiting->until > g_date_time_to_unix (now))
    when = trb_waiting_text_format_time (now, waiting->until);

  switch (waiting->scheduler_reason)
    {
    case TRB_SCHEDULER_REASON_PAUSED:
      return g_strdup (_("Paused"));
    case TRB_SCHEDULER_REASON_PAUSED_UNTIL:
      if (when == NULL)
        return g_strdup (_("Paused"));
      /* Translators: "Paused until 15:00", "Paused until tomorrow at 8:00" */
      return g_strdup_printf (_("Paused until %s"), when);
    case TRB_SCHEDULER_REASON_FINISHING_ROUND:
      return g_strdup (_("Paused after the last round"));
    case TRB_SCHEDULER_REASON_ON_BATTERY:
      rule = _("Waiting for mains power");
      later = _("waiting for mains power");
      break;
    case TRB_SCHEDULER_REASON_POWER_SAVER:
      rule = _("Waiting for power saver to be turned off");
      later = _("waiting for power saver to be turned off");
      break;
    case TRB_SCHEDULER_REASON_METERED:
      rule = _("Waiting for a connection that is not metered");
      later = _("waiting for a connection that is not metered");
      break;
    case TRB_SCHEDULER_REASON_NOT_IDLE:
      rule = _("Waiting for the computer to be idle");
      later = _("waiting for the computer to be idle");
      break;
    case TRB_SCHEDULER_REASON_OUTSIDE_HOURS:
      {
        g_autofree char *sentence = NULL;

        if (when != NULL)
          /* Translators: "Outside the training hours (from 22:00)" */
          sentence = g_strdup_printf (_("Outside the training hours (from %s)"), when);
        else
          sentence = g_strdup (_("Outside the training hours"));
        if (!waiting->later_rounds)
          return g_steal_pointer (&sentence);
        if (when != NULL)
          /* Translators: "Later rounds wait for the rules in Preferences: outside the training
           * hours (from 22:00)" */
          return g_strdup_printf (_("Later rounds wait for the rules in Preferences: outside the "
                                    "training hours (from %s)"), when);
        return g_strdup (_("Later rounds wait for the rules in Preferences: outside the "
                           "training hours"));
      }
    case TRB_SCHEDULER_REASON_NONE:
    default:
      return g_strdup (_("About to start"));
    }

  if (!waiting->later_rounds)
    return g_strdup (rule);
  /* Translators: the end is a rule such as "waiting for the computer to be idle" */
  return g_strdup_printf (_("Later rounds wait for the rules in Preferences: %s"), later);
}

static char *
format_round_updates (const TrbWaiting *waiting,
                      GDateTime        *now)
{
  int missing = MAX (waiting->min_updates - waiting->updates, 1);
  g_autofree char *who = NULL;
  g_autofree char *close = NULL;

  /* Translators: the start of "Waiting for 1 more participant — the round closes at 14:05 or
   * later, once 2 updates are in" */
  who = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Waiting for %d more participant",
                                      "Waiting for %d more participants", missing), missing);
  if (waiting->until > g_date_time_to_unix (now))
    {
      g_autofree char *when = trb_waiting_text_format_time (now, waiting->until);

      /* Translators: the end of "Waiting for 1 more participant — the round closes at 14:05
       * or later, once 2 updates are in"; the network extends a round that lacks updates */
      close = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            /* Translators: the earliest time the round closes, then
                                             * the number of updates it still needs. */
                                            "the round closes at %s or later, once %d update "
                                            "is in",
                                            "the round closes at %s or later, once %d updates "
                                            "are in", waiting->min_updates),
                               when, waiting->min_updates);
    }
  else
    close = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "the round closes once %d update is in",
                                          "the round closes once %d updates are in",
                                          waiting->min_updates),
                             waiting->min_updates);
  /* Translators: "<Waiting for 1 more participant> — <the round closes …>" */
  return g_strdup_printf (_("%s — %s"), who, close);
}

static char *
format_retry (const TrbWaiting *waiting,
              GDateTime        *now,
              const char       *problem)
{
  gint64 seconds = waiting->until - g_date_time_to_unix (now);
  g_autofree char *retry = NULL;

  if (seconds <= 0)
    retry = g_strdup (_("Trying again"));
  else if (seconds < 90)
    /* Translators: "Retrying in 30 s"; s is the symbol of seconds */
    retry = g_strdup_printf (_("Retrying in %d s"), (int) seconds);
  else if (seconds < 3600)
    {
      int minutes = (int) ((seconds + 30) / 60);

      retry = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Retrying in %d minute",
                                            "Retrying in %d minutes", minutes), minutes);
    }
  else
    {
      g_autofree char *when = trb_waiting_text_format_time (now, waiting->until);

      /* Translators: "Retrying at 15:00" */
      retry = g_strdup_printf (_("Retrying at %s"), when);
    }
  if (problem == NULL || *problem == '\0')
    return g_steal_pointer (&retry);
  /* Translators: "Retrying in 30 s: The network did not answer." */
  return g_strdup_printf (_("%s: %s"), retry, problem);
}

/**
 * trb_waiting_text_format:
 * @waiting: why a participation waits, from trb_participation_get_waiting()
 * @now: the local time now
 * @problem: (nullable): for %TRB_WAITING_RETRY, what failed in plain words
 *
 * Returns: (transfer full) (nullable): why nothing visible happens and until when, e.g.
 *   "Waiting for 1 more participant — the round closes at 14:05 or later, once 2 updates are
 *   in", "Paused until 15:00", "Retrying in 30 s: …"; %NULL for %TRB_WAITING_NONE
 */
char *
trb_waiting_text_format (const TrbWaiting *waiting,
                         GDateTime        *now,
                         const char       *problem)
{
  g_return_val_if_fail (waiting != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  switch (waiting->kind)
    {
    case TRB_WAITING_ROUND_UPDATES:
      if (waiting->min_updates > 0 && waiting->updates >= 0)
        return format_round_updates (waiting, now);
      G_GNUC_FALLTHROUGH;
    case TRB_WAITING_ROUND_DEADLINE:
      if (waiting->until > g_date_time_to_unix (now))
        {
          g_autofree char *when = trb_waiting_text_format_time (now, waiting->until);

          /* Translators: "Waiting for the round to close at 14:05" */
          return g_strdup_printf (_("Waiting for the round to close at %s"), when);
        }
      return g_strdup (_("Waiting for the round to close"));
    case TRB_WAITING_ROUND_AGGREGATING:
      return g_strdup (_("Waiting for the network to combine the round’s updates"));
    case TRB_WAITING_NEXT_ROUND:
      if (waiting->until > g_date_time_to_unix (now))
        {
          g_autofree char *when = trb_waiting_text_format_time (now, waiting->until);

          /* Translators: "Waiting for the next round — it opens at 14:05" */
          return g_strdup_printf (_("Waiting for the next round — it opens at %s"), when);
        }
      return g_strdup (_("Waiting for the next round"));
    case TRB_WAITING_SCHEDULER:
      return format_scheduler (waiting, now);
    case TRB_WAITING_DEVICE:
      return g_strdup (_("Waiting for another network to finish training"));
    case TRB_WAITING_RETRY:
      return format_retry (waiting, now, problem);
    case TRB_WAITING_NONE:
    default:
      return NULL;
    }
}

/**
 * trb_waiting_text_dup_status:
 * @participation: a joined network's loop
 *
 * Returns: (transfer full): what @participation does or waits for, in a sentence: why it
 *   waits and until when while nothing visible happens (after "Contributed to round 3 · " once
 *   its update is in), else its state such as "Training 43% — about 6 minutes left"
 */
char *
trb_waiting_text_dup_status (TrbParticipation *participation)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *why = NULL;
  TrbWaiting waiting;

  g_return_val_if_fail (TRB_IS_PARTICIPATION (participation), NULL);

  trb_participation_get_waiting (participation, &waiting);
  why = trb_waiting_text_format (&waiting, now, trb_participation_get_problem (participation));
  if (why == NULL)
    return trb_participation_dup_status (participation);
  if (trb_participation_get_state (participation) == TRB_PARTICIPATION_STATE_CONTRIBUTED)
    {
      gint64 last = trb_participation_get_last_contributed (participation);
      g_autofree char *round = g_strdup_printf ("%" G_GINT64_FORMAT, last);
      const char *vulkan_name = NULL;

      if (!trb_participation_get_last_job_device (participation, &vulkan_name))
        /* Translators: "Contributed to round 3 · Waiting for 1 more participant — …" */
        return g_strdup_printf (_("Contributed to round %s · %s"), round, why);
      if (vulkan_name == NULL)
        /* Translators: "Contributed to round 3 on the processor · Waiting for …" */
        return g_strdup_printf (_("Contributed to round %s on the processor · %s"), round, why);
      /* Translators: "Contributed to round 3 on llvmpipe (LLVM 15.0.6, 256 bits) · Waiting
       * for …", with a graphics card's name */
      return g_strdup_printf (_("Contributed to round %s on %s · %s"), round, vulkan_name, why);
    }
  return g_steal_pointer (&why);
}

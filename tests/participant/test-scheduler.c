/* test-scheduler.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The scheduler's decisions, from settings, fake monitors and a fake clock.
 */

#define _GNU_SOURCE

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fake-monitor.h"
#include "participant/trb-scheduler.h"

#define DAY "2026-03-10"

typedef struct
{
  GSettings    *settings;
  FakeMonitor  *idle;
  FakeMonitor  *on_battery;
  FakeMonitor  *power_saver;
  FakeMonitor  *metered;
  TrbScheduler *scheduler;
  GDateTime    *now;
  guint         n_notified;
} Fixture;

static GDateTime *
parse_time (const char *iso)
{
  GDateTime *time = g_date_time_new_from_iso8601 (iso, NULL);

  g_assert_nonnull (time);
  return time;
}

static GDateTime *
fake_clock (gpointer user_data)
{
  Fixture *fixture = user_data;

  return g_date_time_ref (fixture->now);
}

static void
set_now (Fixture    *fixture,
         const char *iso)
{
  g_clear_pointer (&fixture->now, g_date_time_unref);
  fixture->now = parse_time (iso);
  trb_scheduler_update (fixture->scheduler);
}

static void
decision_notified_cb (TrbScheduler *scheduler,
                      GParamSpec   *pspec,
                      Fixture      *fixture)
{
  fixture->n_notified++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  fixture->settings = g_settings_new_with_backend (APP_ID, backend);
  fixture->idle = fake_monitor_new (FALSE);
  fixture->on_battery = fake_monitor_new (FALSE);
  fixture->power_saver = fake_monitor_new (FALSE);
  fixture->metered = fake_monitor_new (FALSE);
  fixture->now = parse_time (DAY "T14:30:00Z");
  fixture->scheduler = trb_scheduler_new (fixture->settings,
                                          TRB_MONITOR (fixture->idle),
                                          TRB_MONITOR (fixture->on_battery),
                                          TRB_MONITOR (fixture->power_saver),
                                          TRB_MONITOR (fixture->metered));
  trb_scheduler_set_clock (fixture->scheduler, fake_clock, fixture, NULL);
  g_signal_connect (fixture->scheduler, "notify::decision",
                    G_CALLBACK (decision_notified_cb), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_finalize_object (fixture->scheduler);
  g_clear_object (&fixture->idle);
  g_clear_object (&fixture->on_battery);
  g_clear_object (&fixture->power_saver);
  g_clear_object (&fixture->metered);
  g_clear_object (&fixture->settings);
  g_clear_pointer (&fixture->now, g_date_time_unref);
}

/* One row: the situation, and the decision expected in it. */
typedef struct
{
  const char          *name;
  const char          *clock;          /* time of day on DAY, UTC */
  gboolean             idle;
  gboolean             on_battery;
  gboolean             power_saver;
  gboolean             metered;
  gboolean             no_idle_monitor;
  gboolean             allow_busy;     /* only-when-idle off */
  gboolean             allow_battery;  /* pause-on-battery off */
  gboolean             allow_saver;    /* pause-in-power-saver off */
  gboolean             allow_metered;  /* pause-on-metered off */
  guint                window_start;   /* minutes; the window is on when start or end is set */
  guint                window_end;
  gboolean             window;
  gboolean             paused;
  const char          *paused_until;   /* ISO 8601, or NULL */
  gboolean             finish_round;
  TrbSchedulerVerdict  verdict;
  TrbSchedulerReason   reason;
  const char          *message;
  const char          *until;          /* ISO 8601, or NULL for 0 */
} Row;

#define RUN TRB_SCHEDULER_VERDICT_RUN
#define FINISH TRB_SCHEDULER_VERDICT_FINISH_ROUND
#define WAIT TRB_SCHEDULER_VERDICT_WAIT
#define PAUSED TRB_SCHEDULER_VERDICT_PAUSED

static const Row rows[] = {
  { .name = "defaults, in use", .clock = "14:30",
    .verdict = WAIT, .reason = TRB_SCHEDULER_REASON_NOT_IDLE,
    .message = "Waiting until the computer is idle" },
  { .name = "idle", .clock = "14:30", .idle = TRUE,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "in use, idle rule off", .clock = "14:30", .allow_busy = TRUE,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "no idle monitor", .clock = "14:30", .no_idle_monitor = TRUE,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "battery", .clock = "14:30", .idle = TRUE, .on_battery = TRUE,
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_ON_BATTERY,
    .message = "Paused: on battery" },
  { .name = "battery allowed", .clock = "14:30", .idle = TRUE, .on_battery = TRUE,
    .allow_battery = TRUE,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "power saver", .clock = "14:30", .idle = TRUE, .power_saver = TRUE,
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_POWER_SAVER,
    .message = "Paused: power saver is on" },
  { .name = "power saver allowed", .clock = "14:30", .idle = TRUE, .power_saver = TRUE,
    .allow_saver = TRUE,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "metered", .clock = "14:30", .idle = TRUE, .metered = TRUE,
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_METERED,
    .message = "Paused: on a metered connection" },
  { .name = "metered allowed", .clock = "14:30", .idle = TRUE, .metered = TRUE,
    .allow_metered = TRUE,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "night window, afternoon", .clock = "14:30", .idle = TRUE,
    .window = TRUE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = WAIT, .reason = TRB_SCHEDULER_REASON_OUTSIDE_HOURS,
    .message = "Waiting for the training hours, 22:00 to 7:00", .until = DAY "T22:00:00Z" },
  { .name = "night window, before midnight", .clock = "23:30", .idle = TRUE,
    .window = TRUE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "night window, after midnight", .clock = "03:00", .idle = TRUE,
    .window = TRUE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "night window, at its start", .clock = "22:00", .idle = TRUE,
    .window = TRUE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "night window, at its end", .clock = "07:00", .idle = TRUE,
    .window = TRUE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = WAIT, .reason = TRB_SCHEDULER_REASON_OUTSIDE_HOURS,
    .message = "Waiting for the training hours, 22:00 to 7:00", .until = DAY "T22:00:00Z" },
  { .name = "day window, inside", .clock = "14:30", .idle = TRUE,
    .window = TRUE, .window_start = 9 * 60, .window_end = 17 * 60 + 30,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "day window, evening", .clock = "17:30", .idle = TRUE,
    .window = TRUE, .window_start = 9 * 60, .window_end = 17 * 60 + 30,
    .verdict = WAIT, .reason = TRB_SCHEDULER_REASON_OUTSIDE_HOURS,
    .message = "Waiting for the training hours, 9:00 to 17:30",
    .until = "2026-03-11T09:00:00Z" },
  { .name = "day window, morning", .clock = "08:59", .idle = TRUE,
    .window = TRUE, .window_start = 9 * 60, .window_end = 17 * 60 + 30,
    .verdict = WAIT, .reason = TRB_SCHEDULER_REASON_OUTSIDE_HOURS,
    .message = "Waiting for the training hours, 9:00 to 17:30", .until = DAY "T09:00:00Z" },
  { .name = "empty window means all day", .clock = "14:30", .idle = TRUE,
    .window = TRUE, .window_start = 8 * 60, .window_end = 8 * 60,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "window off", .clock = "14:30", .idle = TRUE,
    .window = FALSE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "paused for an hour", .clock = "14:30", .idle = TRUE,
    .paused_until = DAY "T15:30:00Z",
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_PAUSED_UNTIL,
    .message = "Paused until 15:30", .until = DAY "T15:30:00Z" },
  { .name = "paused until tomorrow", .clock = "14:30", .idle = TRUE,
    .paused_until = "2026-03-11T08:00:00Z",
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_PAUSED_UNTIL,
    .message = "Paused until tomorrow at 8:00", .until = "2026-03-11T08:00:00Z" },
  { .name = "paused for days", .clock = "14:30", .idle = TRUE,
    .paused_until = "2026-03-13T08:05:00Z",
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_PAUSED_UNTIL,
    .message = "Paused until 13 March at 8:05", .until = "2026-03-13T08:05:00Z" },
  { .name = "pause over", .clock = "14:30", .idle = TRUE,
    .paused_until = DAY "T14:29:59Z",
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "pause ends now", .clock = "14:30", .idle = TRUE,
    .paused_until = DAY "T14:30:00Z",
    .verdict = RUN, .reason = TRB_SCHEDULER_REASON_NONE, .message = "Ready to train" },
  { .name = "paused beats everything", .clock = "14:30", .on_battery = TRUE, .metered = TRUE,
    .power_saver = TRUE, .paused = TRUE, .paused_until = DAY "T15:30:00Z",
    .window = TRUE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_PAUSED, .message = "Paused" },
  { .name = "paused until beats battery", .clock = "14:30", .on_battery = TRUE,
    .paused_until = DAY "T15:30:00Z",
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_PAUSED_UNTIL,
    .message = "Paused until 15:30", .until = DAY "T15:30:00Z" },
  { .name = "battery beats power saver", .clock = "14:30", .on_battery = TRUE,
    .power_saver = TRUE, .metered = TRUE,
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_ON_BATTERY,
    .message = "Paused: on battery" },
  { .name = "power saver beats metered", .clock = "14:30", .power_saver = TRUE,
    .metered = TRUE,
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_POWER_SAVER,
    .message = "Paused: power saver is on" },
  { .name = "battery beats hours", .clock = "14:30", .on_battery = TRUE,
    .window = TRUE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_ON_BATTERY,
    .message = "Paused: on battery" },
  { .name = "hours beat idle", .clock = "14:30",
    .window = TRUE, .window_start = 22 * 60, .window_end = 7 * 60,
    .verdict = WAIT, .reason = TRB_SCHEDULER_REASON_OUTSIDE_HOURS,
    .message = "Waiting for the training hours, 22:00 to 7:00", .until = DAY "T22:00:00Z" },
  { .name = "finish this round", .clock = "14:30", .idle = TRUE, .finish_round = TRUE,
    .verdict = FINISH, .reason = TRB_SCHEDULER_REASON_FINISHING_ROUND,
    .message = "Finishing this round, then pausing" },
  { .name = "finish this round, on battery", .clock = "14:30", .idle = TRUE,
    .finish_round = TRUE, .on_battery = TRUE,
    .verdict = PAUSED, .reason = TRB_SCHEDULER_REASON_ON_BATTERY,
    .message = "Paused: on battery" },
};

static void
test_scheduler_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const Row *row = &rows[i];
      g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
      g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
      g_autoptr(FakeMonitor) idle = fake_monitor_new (row->idle);
      g_autoptr(FakeMonitor) on_battery = fake_monitor_new (row->on_battery);
      g_autoptr(FakeMonitor) power_saver = fake_monitor_new (row->power_saver);
      g_autoptr(FakeMonitor) metered = fake_monitor_new (row->metered);
      g_autoptr(TrbScheduler) scheduler = NULL;
      g_autofree char *iso = g_strdup_printf (DAY "T%s:00Z", row->clock);
      Fixture fixture = { .now = parse_time (iso) };
      TrbSchedulerDecision *decision;
      gint64 until = 0;

      g_test_message ("row %u: %s", i, row->name);

      g_settings_set_boolean (settings, "only-when-idle", !row->allow_busy);
      g_settings_set_boolean (settings, "pause-on-battery", !row->allow_battery);
      g_settings_set_boolean (settings, "pause-in-power-saver", !row->allow_saver);
      g_settings_set_boolean (settings, "pause-on-metered", !row->allow_metered);
      g_settings_set_boolean (settings, "time-window-enabled", row->window);
      if (row->window_start != 0 || row->window_end != 0)
        {
          g_settings_set_uint (settings, "time-window-start", row->window_start);
          g_settings_set_uint (settings, "time-window-end", row->window_end);
        }
      g_settings_set_boolean (settings, "paused", row->paused);
      if (row->paused_until != NULL)
        {
          g_autoptr(GDateTime) time = parse_time (row->paused_until);

          g_settings_set_int64 (settings, "paused-until", g_date_time_to_unix (time));
        }

      scheduler = trb_scheduler_new (settings,
                                     row->no_idle_monitor ? NULL : TRB_MONITOR (idle),
                                     TRB_MONITOR (on_battery), TRB_MONITOR (power_saver),
                                     TRB_MONITOR (metered));
      trb_scheduler_set_clock (scheduler, fake_clock, &fixture, NULL);
      if (row->finish_round)
        trb_scheduler_pause_after_round (scheduler);

      decision = trb_scheduler_get_decision (scheduler);
      g_assert_nonnull (decision);
      g_assert_cmpstr (trb_scheduler_decision_get_message (decision), ==, row->message);
      g_assert_cmpint (trb_scheduler_decision_get_verdict (decision), ==, row->verdict);
      g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==, row->reason);
      if (row->until != NULL)
        {
          g_autoptr(GDateTime) time = parse_time (row->until);

          until = g_date_time_to_unix (time);
        }
      g_assert_cmpint (trb_scheduler_decision_get_until (decision), ==, until);
      g_assert_cmpint (trb_scheduler_decision_may_start (decision), ==, row->verdict == RUN);
      g_assert_cmpint (trb_scheduler_decision_may_continue (decision), ==,
                       row->verdict == RUN || row->verdict == FINISH);

      g_clear_object (&scheduler);
      g_date_time_unref (fixture.now);
    }
}

static void
test_scheduler_follows_monitors (Fixture       *fixture,
                                 gconstpointer  data)
{
  TrbSchedulerDecision *decision;

  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==,
                   TRB_SCHEDULER_REASON_NOT_IDLE);
  fixture->n_notified = 0;

  fake_monitor_set_active (fixture->idle, TRUE);
  g_assert_cmpuint (fixture->n_notified, ==, 1);
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_verdict (decision), ==, RUN);

  fake_monitor_set_active (fixture->on_battery, TRUE);
  g_assert_cmpuint (fixture->n_notified, ==, 2);
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==,
                   TRB_SCHEDULER_REASON_ON_BATTERY);

  /* A change hidden behind a stronger reason makes no new decision. */
  fake_monitor_set_active (fixture->metered, TRUE);
  g_assert_cmpuint (fixture->n_notified, ==, 2);

  fake_monitor_set_active (fixture->on_battery, FALSE);
  g_assert_cmpuint (fixture->n_notified, ==, 3);
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==,
                   TRB_SCHEDULER_REASON_METERED);

  /* Settings are followed too, and unrelated ones change nothing. */
  g_settings_set_int (fixture->settings, "window-width", 500);
  g_assert_cmpuint (fixture->n_notified, ==, 3);
  g_settings_set_boolean (fixture->settings, "pause-on-metered", FALSE);
  g_assert_cmpuint (fixture->n_notified, ==, 4);
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_verdict (decision), ==, RUN);

  /* The hours are followed as the clock moves. */
  g_settings_set_uint (fixture->settings, "time-window-start", 15 * 60);
  g_settings_set_uint (fixture->settings, "time-window-end", 16 * 60);
  g_settings_set_boolean (fixture->settings, "time-window-enabled", TRUE);
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==,
                   TRB_SCHEDULER_REASON_OUTSIDE_HOURS);
  set_now (fixture, DAY "T15:00:00Z");
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_verdict (decision), ==, RUN);
  set_now (fixture, DAY "T16:00:00Z");
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==,
                   TRB_SCHEDULER_REASON_OUTSIDE_HOURS);
  g_assert_cmpstr (trb_scheduler_decision_get_message (decision), ==,
                   "Waiting for the training hours, 15:00 to 16:00");
}

static void
test_scheduler_pauses (Fixture       *fixture,
                       gconstpointer  data)
{
  TrbSchedulerDecision *decision;
  g_autoptr(GDateTime) expected = NULL;

  fake_monitor_set_active (fixture->idle, TRUE);
  g_assert_false (trb_scheduler_is_paused (fixture->scheduler));

  trb_scheduler_pause (fixture->scheduler);
  g_assert_true (trb_scheduler_is_paused (fixture->scheduler));
  g_assert_true (g_settings_get_boolean (fixture->settings, "paused"));
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==,
                   TRB_SCHEDULER_REASON_PAUSED);

  /* Pause for an hour replaces the open-ended pause. */
  fixture->n_notified = 0;
  trb_scheduler_pause_for (fixture->scheduler, 60 * 60);
  g_assert_cmpuint (fixture->n_notified, ==, 1);
  g_assert_false (g_settings_get_boolean (fixture->settings, "paused"));
  expected = parse_time (DAY "T15:30:00Z");
  g_assert_cmpint (g_settings_get_int64 (fixture->settings, "paused-until"), ==,
                   g_date_time_to_unix (expected));
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpstr (trb_scheduler_decision_get_message (decision), ==, "Paused until 15:30");

  /* An hour later it goes on by itself. */
  set_now (fixture, DAY "T15:30:00Z");
  g_assert_false (trb_scheduler_is_paused (fixture->scheduler));
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_verdict (decision), ==, RUN);

  /* Until tomorrow: midnight, or the start of the training hours. */
  trb_scheduler_pause_until_tomorrow (fixture->scheduler);
  g_clear_pointer (&expected, g_date_time_unref);
  expected = parse_time ("2026-03-11T00:00:00Z");
  g_assert_cmpint (g_settings_get_int64 (fixture->settings, "paused-until"), ==,
                   g_date_time_to_unix (expected));
  g_settings_set_boolean (fixture->settings, "time-window-enabled", TRUE);
  g_settings_set_uint (fixture->settings, "time-window-start", 8 * 60);
  g_settings_set_uint (fixture->settings, "time-window-end", 20 * 60);
  trb_scheduler_pause_until_tomorrow (fixture->scheduler);
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpstr (trb_scheduler_decision_get_message (decision), ==,
                   "Paused until tomorrow at 8:00");

  trb_scheduler_resume (fixture->scheduler);
  g_assert_false (trb_scheduler_is_paused (fixture->scheduler));
  g_assert_cmpint (g_settings_get_int64 (fixture->settings, "paused-until"), ==, 0);
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_verdict (decision), ==, RUN);
}

static void
test_scheduler_finish_round (Fixture       *fixture,
                             gconstpointer  data)
{
  TrbSchedulerDecision *decision;

  fake_monitor_set_active (fixture->idle, TRUE);

  /* A finished round with nothing asked changes nothing. */
  trb_scheduler_round_finished (fixture->scheduler);
  g_assert_false (trb_scheduler_is_paused (fixture->scheduler));

  trb_scheduler_pause_after_round (fixture->scheduler);
  g_assert_true (trb_scheduler_get_pause_after_round (fixture->scheduler));
  g_assert_true (trb_scheduler_is_paused (fixture->scheduler));
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_false (trb_scheduler_decision_may_start (decision));
  g_assert_true (trb_scheduler_decision_may_continue (decision));

  trb_scheduler_round_finished (fixture->scheduler);
  g_assert_false (trb_scheduler_get_pause_after_round (fixture->scheduler));
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_cmpint (trb_scheduler_decision_get_reason (decision), ==,
                   TRB_SCHEDULER_REASON_PAUSED);
  g_assert_false (trb_scheduler_decision_may_continue (decision));

  /* Resume also forgets a pending "after this round". */
  trb_scheduler_pause_after_round (fixture->scheduler);
  trb_scheduler_resume (fixture->scheduler);
  g_assert_false (trb_scheduler_get_pause_after_round (fixture->scheduler));
  decision = trb_scheduler_get_decision (fixture->scheduler);
  g_assert_true (trb_scheduler_decision_may_start (decision));
}

static void
decision_changed_cb (TrbScheduler *scheduler,
                     GParamSpec   *pspec,
                     gboolean     *changed)
{
  *changed = TRUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* With the real clock: a short pause ends by itself, through the scheduler's own timer. */
static void
test_scheduler_pause_ends_by_itself (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autoptr(TrbScheduler) scheduler = trb_scheduler_new (settings, NULL, NULL, NULL, NULL);
  gboolean changed = FALSE;
  gboolean timed_out = FALSE;
  guint timeout_id;

  trb_scheduler_pause_for (scheduler, 1);
  g_assert_cmpint (trb_scheduler_decision_get_reason (trb_scheduler_get_decision (scheduler)),
                   ==, TRB_SCHEDULER_REASON_PAUSED_UNTIL);

  g_signal_connect (scheduler, "notify::decision", G_CALLBACK (decision_changed_cb), &changed);
  timeout_id = g_timeout_add_seconds (5, timeout_cb, &timed_out);
  while (!changed && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout_id);

  g_assert_cmpint (trb_scheduler_decision_get_verdict (trb_scheduler_get_decision (scheduler)),
                   ==, RUN);
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          guint      *count)
{
  (*count)++;
}

static void
test_scheduler_presets (Fixture       *fixture,
                        gconstpointer  data)
{
  static const struct {
    TrbResourcePreset preset;
    guint             n_processors;
    guint             threads;
    double            share;
  } cases[] = {
    { TRB_RESOURCE_PRESET_LIGHT, 8, 1, 0.25 },
    { TRB_RESOURCE_PRESET_BALANCED, 8, 4, 0.5 },
    { TRB_RESOURCE_PRESET_FULL, 8, 8, 1.0 },
    { TRB_RESOURCE_PRESET_LIGHT, 1, 1, 0.25 },
    { TRB_RESOURCE_PRESET_BALANCED, 1, 1, 0.5 },
    { TRB_RESOURCE_PRESET_BALANCED, 3, 1, 0.5 },
    { TRB_RESOURCE_PRESET_FULL, 1, 1, 1.0 },
  };
  guint n_notified = 0;

  g_signal_connect (fixture->scheduler, "notify::preset", G_CALLBACK (count_cb), &n_notified);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpuint (trb_resource_preset_get_cpu_threads (cases[i].preset,
                                                             cases[i].n_processors),
                        ==, cases[i].threads);
      g_assert_cmpfloat (trb_resource_preset_get_device_share (cases[i].preset), ==,
                         cases[i].share);
    }
  g_assert_cmpuint (trb_resource_preset_get_cpu_threads (TRB_RESOURCE_PRESET_FULL, 0), ==,
                    g_get_num_processors ());

  /* Light is the default, and the setting is followed. */
  g_assert_cmpint (trb_scheduler_get_preset (fixture->scheduler), ==, TRB_RESOURCE_PRESET_LIGHT);
  g_settings_set_string (fixture->settings, "resource-preset", "full");
  g_assert_cmpuint (n_notified, ==, 1);
  g_assert_cmpint (trb_scheduler_get_preset (fixture->scheduler), ==, TRB_RESOURCE_PRESET_FULL);
  g_settings_set_string (fixture->settings, "resource-preset", "balanced");
  g_assert_cmpint (trb_scheduler_get_preset (fixture->scheduler), ==,
                   TRB_RESOURCE_PRESET_BALANCED);
}

typedef struct
{
  gboolean ok;
  int      policy;
  int      nice;
} PriorityResult;

static gpointer
lower_priority_thread (gpointer user_data)
{
  PriorityResult *result = user_data;
  g_autoptr(GError) error = NULL;

  result->ok = trb_scheduler_lower_thread_priority (&error);
  g_assert_no_error (error);
  result->policy = sched_getscheduler (0);
  errno = 0;
  result->nice = getpriority (PRIO_PROCESS, (id_t) gettid ());
  return NULL;
}

static void
test_scheduler_thread_priority (void)
{
  PriorityResult result = { 0 };
  int policy_before = sched_getscheduler (0);
  int nice_before = getpriority (PRIO_PROCESS, (id_t) gettid ());
  GThread *thread;

  thread = g_thread_new ("worker", lower_priority_thread, &result);
  g_thread_join (thread);

  g_assert_true (result.ok);
  g_assert_true (result.policy == SCHED_IDLE || result.nice == 19);

  /* Only the worker is lowered; the thread that asked is as it was. */
  g_assert_cmpint (sched_getscheduler (0), ==, policy_before);
  g_assert_cmpint (getpriority (PRIO_PROCESS, (id_t) gettid ()), ==, nice_before);
}

/* With monitors the scheduler can tell idle and battery; without them (a sandbox) it says it
 * cannot, and counts the computer as idle and on mains. */
static void
test_scheduler_can_tell (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = g_settings_new_with_backend (APP_ID, backend);
  g_autoptr(TrbScheduler) blind = NULL;

  g_assert_true (trb_scheduler_can_tell_idle (fixture->scheduler));
  g_assert_true (trb_scheduler_can_tell_battery (fixture->scheduler));

  blind = trb_scheduler_new (settings, NULL, NULL, NULL, NULL);
  g_assert_false (trb_scheduler_can_tell_idle (blind));
  g_assert_false (trb_scheduler_can_tell_battery (blind));
  g_assert_true (g_settings_get_boolean (settings, "only-when-idle"));
  g_assert_true (g_settings_get_boolean (settings, "pause-on-battery"));
  g_assert_cmpint (trb_scheduler_decision_get_reason (trb_scheduler_get_decision (blind)), ==,
                   TRB_SCHEDULER_REASON_NONE);
}

int
main (int    argc,
      char **argv)
{
  /* Every clock in these tests is UTC, so that the expected times hold in any time zone. */
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/scheduler/table", test_scheduler_table);
  g_test_add ("/scheduler/follows-monitors", Fixture, NULL,
              fixture_set_up, test_scheduler_follows_monitors, fixture_tear_down);
  g_test_add ("/scheduler/pauses", Fixture, NULL,
              fixture_set_up, test_scheduler_pauses, fixture_tear_down);
  g_test_add ("/scheduler/finish-round", Fixture, NULL,
              fixture_set_up, test_scheduler_finish_round, fixture_tear_down);
  g_test_add_func ("/scheduler/pause-ends-by-itself", test_scheduler_pause_ends_by_itself);
  g_test_add ("/scheduler/presets", Fixture, NULL,
              fixture_set_up, test_scheduler_presets, fixture_tear_down);
  g_test_add_func ("/scheduler/thread-priority", test_scheduler_thread_priority);
  g_test_add ("/scheduler/can-tell", Fixture, NULL,
              fixture_set_up, test_scheduler_can_tell, fixture_tear_down);

  return g_test_run ();
}

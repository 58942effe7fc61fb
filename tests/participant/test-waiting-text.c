/* test-waiting-text.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sentences that say why nothing visible happens, and until when, and the bounds on what a
 * node says of its round.
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "net/trb-client.h"
#include "ui/trb-waiting-text.h"

/* Monday 7 December 2026, 14:00:00 UTC; the tests run with TZ=UTC. */
#define NOW 1796652000

static GDateTime *
now_local (void)
{
  return g_date_time_new_from_unix_local (NOW);
}

static TrbWaiting
waiting_of (TrbWaitingKind kind,
            gint64         until)
{
  TrbWaiting w = { kind, TRB_SCHEDULER_REASON_NONE, until, -1, -1, -1, FALSE };

  return w;
}

static void
assert_text (const TrbWaiting *w,
             const char       *problem,
             const char       *expected)
{
  g_autoptr(GDateTime) now = now_local ();
  g_autofree char *text = trb_waiting_text_format (w, now, problem);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_round_needs_updates (void)
{
  TrbWaiting w = waiting_of (TRB_WAITING_ROUND_UPDATES, NOW + 5 * 60);

  w.updates = 1;
  w.min_updates = 2;
  w.max_updates = 10;
  assert_text (&w, NULL, "Waiting for 1 more participant — the round closes at 14:05 or later, "
                         "once 2 updates are in");
  w.updates = 0;
  w.min_updates = 3;
  assert_text (&w, NULL, "Waiting for 3 more participants — the round closes at 14:05 or "
                         "later, once 3 updates are in");
  /* Past its deadline the node extends the round: no time that has gone by is shown. */
  w.until = NOW - 10;
  assert_text (&w, NULL, "Waiting for 3 more participants — the round closes once 3 updates "
                         "are in");
}

static void
test_round_closing (void)
{
  TrbWaiting w = waiting_of (TRB_WAITING_ROUND_DEADLINE, NOW + 65);

  w.updates = 2;
  w.min_updates = 2;
  assert_text (&w, NULL, "Waiting for the round to close at 14:01");
  w = waiting_of (TRB_WAITING_NEXT_ROUND, NOW + 20 * 60);
  assert_text (&w, NULL, "Waiting for the next round — it opens at 14:20");
  w = waiting_of (TRB_WAITING_NEXT_ROUND, 0);
  assert_text (&w, NULL, "Waiting for the next round");
  w = waiting_of (TRB_WAITING_NONE, 0);
  assert_text (&w, NULL, NULL);
}

static void
test_paused_until (void)
{
  TrbWaiting w = waiting_of (TRB_WAITING_SCHEDULER, NOW + 3600);

  w.scheduler_reason = TRB_SCHEDULER_REASON_PAUSED_UNTIL;
  assert_text (&w, NULL, "Paused until 15:00");
  w.until = NOW + 18 * 3600;
  assert_text (&w, NULL, "Paused until tomorrow at 8:00");
  w.until = NOW + 3 * 86400;
  assert_text (&w, NULL, "Paused until 10 December at 14:00");
  /* A pause that has ended but not yet been noticed says no time. */
  w.until = NOW - 1;
  assert_text (&w, NULL, "Paused");
}

static void
test_rules (void)
{
  TrbWaiting w = waiting_of (TRB_WAITING_SCHEDULER, 0);

  w.scheduler_reason = TRB_SCHEDULER_REASON_NOT_IDLE;
  assert_text (&w, NULL, "Waiting for the computer to be idle");
  w.later_rounds = TRUE;
  assert_text (&w, NULL, "Later rounds wait for the rules in Preferences: waiting for the "
                         "computer to be idle");
  w.later_rounds = FALSE;
  w.scheduler_reason = TRB_SCHEDULER_REASON_ON_BATTERY;
  assert_text (&w, NULL, "Waiting for mains power");
  w.scheduler_reason = TRB_SCHEDULER_REASON_OUTSIDE_HOURS;
  w.until = NOW + 8 * 3600;
  assert_text (&w, NULL, "Outside the training hours (from 22:00)");
}

static void
test_retry (void)
{
  TrbWaiting w = waiting_of (TRB_WAITING_RETRY, NOW + 30);

  assert_text (&w, "The network did not answer.", "Retrying in 30 s: The network did not answer.");
  w.until = NOW + 150;
  assert_text (&w, NULL, "Retrying in 3 minutes");
  w.until = NOW + 60;
  assert_text (&w, NULL, "Retrying in 60 s");
}

static void
parse_counts (const char           *json,
              TrbClientRoundCounts *counts)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  trb_client_round_counts_from_json (json_node_get_object (json_parser_get_root (parser)), NOW,
                                     counts);
}

static void
test_round_counts (void)
{
  TrbClientRoundCounts c;

  parse_counts ("{\"round\": 2, \"deadline\": 1796652300, \"min_updates\": 2, "
                "\"max_updates\": 10, \"updates\": 1}", &c);
  g_assert_cmpint (c.deadline, ==, NOW + 300);
  g_assert_cmpint (c.updates, ==, 1);
  g_assert_cmpint (c.min_updates, ==, 2);
  g_assert_cmpint (c.max_updates, ==, 10);

  /* A hostile node: huge counts are capped, wrong types and far deadlines are unknown. */
  parse_counts ("{\"deadline\": 1e300, \"min_updates\": 1e30, \"max_updates\": \"10\", "
                "\"updates\": -4}", &c);
  g_assert_cmpint (c.deadline, ==, 0);
  g_assert_cmpint (c.min_updates, ==, TRB_CLIENT_MAX_ROUND_UPDATES);
  g_assert_cmpint (c.max_updates, ==, -1);
  g_assert_cmpint (c.updates, ==, -1);
  parse_counts ("{}", &c);
  g_assert_cmpint (c.deadline, ==, 0);
  g_assert_cmpint (c.updates, ==, -1);
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/waiting-text/round-needs-updates", test_round_needs_updates);
  g_test_add_func ("/waiting-text/round-closing", test_round_closing);
  g_test_add_func ("/waiting-text/paused-until", test_paused_until);
  g_test_add_func ("/waiting-text/rules", test_rules);
  g_test_add_func ("/waiting-text/retry", test_retry);
  g_test_add_func ("/waiting-text/round-counts", test_round_counts);
  return g_test_run ();
}

/* history-test-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real tributary-node on 127.0.0.1 with participants contributing real rounds, and the
 * history of the first participant: shared by the history tests and the display fixture.
 */

#pragma once

#include "participant/trb-history.h"
#include "../integration/trb-test-network.h"

G_BEGIN_DECLS

#define N_PARTICIPANTS 2
#define SAMPLES_EACH   120
#define TASK_ID        "fashion-mnist"

typedef struct
{
  TestNode         node;
  TestParticipant *participants[N_PARTICIPANTS];
  TrbHistory      *history;
} Fixture;

void         fixture_setup     (Fixture    *f,
                                const char *points_per_sample_epoch);
void         fixture_teardown  (Fixture    *f);
gint64       current_round     (TestParticipant *p);
void         contribute_round  (Fixture    *f,
                                gint64      r);
const char  *origin_of         (Fixture    *f);
gboolean     sync_history      (Fixture    *f,
                                gboolean    witness,
                                GError    **error);
GPtrArray   *node_rewards      (TestNode   *node,
                                const char *address);
gint64       sum_points        (GPtrArray  *entries);
void         forge_reward      (TestNode   *node,
                                const char *address,
                                gint64      round);
char        *receipt_update    (TestParticipant *p,
                                gint64      round);
void         copy_file         (const char *from_dir,
                                const char *to_dir,
                                const char *name);
void         join_extra        (TestNode   *node);

G_END_DECLS

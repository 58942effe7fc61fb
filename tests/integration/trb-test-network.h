/* trb-test-network.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers of the integration tests: a real tributary-node process on 127.0.0.1, port 0, and
 * headless participants with their own keys and stores.
 */

#pragma once

#include <gio/gio.h>

#include "net/trb-client.h"
#include "net/trb-contributor.h"
#include "net/trb-training-set.h"
#include "store/trb-store.h"

G_BEGIN_DECLS

typedef struct
{
  char        *data_dir;
  char        *url;
  GSubprocess *process;
} TestNode;

typedef struct
{
  guint8         *secret_key;
  TrbClient      *client;
  TrbStore       *store;
  TrbContributor *contributor;
  TrbTrainingSet *data;
} TestParticipant;

char            *test_dataset_path         (const char      *name);
void             test_node_init            (TestNode        *node,
                                            const char      *task_json);
void             test_node_start           (TestNode        *node,
                                            const char      *extra_arg);
void             test_node_start_args      (TestNode           *node,
                                            const char * const *extra_args);
void             test_node_kill            (TestNode        *node);
void             test_node_clear           (TestNode        *node);
TestParticipant *test_participant_new      (TestNode        *node,
                                            guint            part,
                                            guint            n_parts,
                                            gsize            n_samples);
void             test_participant_reconnect (TestParticipant *p,
                                             TestNode        *node);
void             test_participant_free     (TestParticipant *p);
JsonObject      *test_get_json             (TrbClient       *client,
                                            const char      *path,
                                            GError         **error);
JsonObject      *test_upload               (TrbClient       *client,
                                            const char      *task,
                                            gint64           round,
                                            GBytes          *update,
                                            GError         **error);

GBytes          *test_download             (TrbClient       *client,
                                            const char      *sha256,
                                            GError         **error);
gboolean         test_round_asks           (TrbClient       *client,
                                            const char      *task);
void             test_wait_round_asks      (TrbClient       *client,
                                            const char      *task,
                                            gint64           n_joined);
void             test_wait_asked           (TrbClient       *client,
                                            const char      *task);
JsonObject      *test_round_state          (TestParticipant *p);
void             test_wait_for_round       (TestParticipant *p,
                                            gint64           round);

G_END_DECLS

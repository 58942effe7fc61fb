/* trb-node-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the node's files share: the node's fields, a task and its current round, and the limits
 * of this node's own making; the protocol's limits are in net/trb-protocol.h.
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "aggregation/trb-aggregator.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "ledger/trb-merkle-log.h"
#include "ledger/trb-note-signer.h"
#include "net/trb-protocol.h"
#include "net/trb-training-set.h"
#include "store/trb-store.h"
#include "trb-node.h"

G_BEGIN_DECLS

#define MAX_EVENTS_KEPT        1000
#define TICK_MS                200
/* Updates waiting for a worker to check them, and the bytes of those and the ones being checked:
 * past either the node answers 503 `busy`. */
#define MAX_WAITING_CHECKS     64
#define MAX_CHECKING_BYTES     (256 * 1024 * 1024)
/* Descriptors kept for the database, its journal, blobs being read and the event WebSockets'
 * timers when the open-connection cap is fitted under RLIMIT_NOFILE. */
#define RESERVED_DESCRIPTORS   64
/* Seconds a client refused for too many open connections is asked to wait. */
#define CONNECTIONS_RETRY_AFTER_S 5

typedef enum
{
  ROUND_OPEN,
  ROUND_COLLECTING,
  ROUND_AGGREGATING,
  ROUND_CLOSED,
} RoundState;

extern const char * const trb_node_round_state_names[4];

/* One period of whom a round asks (docs/protocol.md, "Who a round asks"): the participants whose
 * `participant_joined` is at a ledger index in [joined_after, joined_before), that the fraction
 * keeps, with a rank up to cutoff. */
typedef struct
{
  gint64      joined_after;
  gint64      joined_before;
  gint64      asked;
  char        cutoff[65];
} RoundPeriod;

typedef struct
{
  char       *id;
  JsonObject *task;
  char       *public_json;
  TrbModelSpec *spec;
  TrbTrainingSet *holdout;
  /* Policies. */
  gint64      duration;
  gint64      min_updates;
  gint64      max_updates;
  double      points_per_sample_epoch;
  double      cap_per_round;
  gint64      local_epochs;   /* the most epochs the reward rule counts */
  double      fraction;
  double      max_update_value;
  /* The task's `aggregation` member, checked when the task was read. */
  TrbAggregationConfig aggregation;
  /* `publish_updates`: a closed round's accepted updates are served, for anyone to recompute
   * the round (docs/protocol.md, "Verifiable aggregation"). */
  gboolean    publish_updates;
  /* The current round. */
  gint64      round;
  RoundState  state;
  char       *model_hash;
  gint64      deadline;
  gint64      n_updates;
  /* Whom the round asks, its periods oldest first (RoundPeriod); empty for a round opened by a
   * node that asked by the fraction alone. */
  GArray     *periods;
  gint64      n_asked;
  /* The ledger's size when the tick last looked for participants to ask. */
  guint64     asked_looked_at;
  gboolean    aggregation_running;
  /* The last tick could not read what the round needs from the store: it left the round as it
   * was and tries again at the next tick; the failure is logged once, when it begins. */
  gboolean    read_failed;
} Task;

struct _TrbNode
{
  GObject          parent_instance;

  char            *data_dir;
  TrbStore        *store;
  TrbMerkleLog    *log;
  TrbNoteSigner   *signer;
  guint8          *secret_key;     /* sodium_malloc'd, 64 bytes */
  char            *name;
  char            *origin;
  char            *ledger_key;
  GPtrArray       *public_urls;    /* normalized, no trailing slash; the first is named */
  GPtrArray       *public_authorities; /* their host[:port], as a Host header has it */
  GHashTable      *tasks;          /* id → Task */
  GHashTable      *nonces;         /* nonce → expiry */
  gint64           nonces_pruned;  /* when the expired nonces were last deleted from disk */
  SoupServer      *server;
  GPtrArray       *sockets;
  GQueue           events;         /* JsonNode*, oldest first */
  gint64           next_event_seq;
  guint            tick_id;
  GSocketService  *service;        /* accepts the connections, before SoupServer sees them */
  GTlsCertificate *certificate;
  GHashTable      *connections;     /* remote GSocketAddress → Connection */
  GHashTable      *connections_per_host; /* remote host → open connections */
  guint            max_connections;
  guint            max_connections_per_host;
  GHashTable      *join_buckets;    /* remote address → Bucket */
  GHashTable      *upload_buckets;
  GHashTable      *challenge_buckets;
  guint            join_rate;       /* per minute and address; 0 for no limit */
  guint            upload_rate;
  guint            challenge_rate;
  guint            connection_timeout_s;
  guint            sweep_id;
  guint            aggregation_delay_ms;
  TrbJoinPolicy   *join_policy;
  guint            upload_check_delay_ms;
  guint            n_checking;      /* uploads being checked on a worker */
  GQueue           checks;          /* GTask*, uploads waiting for a worker */
  GCancellable    *cancellable;     /* the workers' (upload checks, aggregation): shutting down */
  gsize            checking_bytes;  /* of the uploads waiting or being checked */
};

GBytes *trb_node_weights_blob (TrbWeights  *weights,
                               char       **hash);

G_END_DECLS

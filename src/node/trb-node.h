/* trb-node.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A learning network hosted from a data folder: its ledger key, SQLite store, tasks and rounds,
 * served over HTTP as docs/protocol.md describes.
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "trb-node-join-policy.h"

G_BEGIN_DECLS

#define TRB_NODE_ERROR (trb_node_error_quark ())

/* The largest magnitude of any value of an update, unless the task's round_policy sets
 * max_update_value: far beyond what a training step changes, far below what could overflow. */
#define TRB_NODE_DEFAULT_MAX_UPDATE_VALUE 100.0

/* How long a connection may wait for the next bytes of a request, or for the next request. */
#define TRB_NODE_CONNECTION_TIMEOUT_S 30

/* Joins and uploads one address may make a minute, unless the operator says otherwise. */
#define TRB_NODE_DEFAULT_JOINS_PER_MINUTE 120
#define TRB_NODE_DEFAULT_UPLOADS_PER_MINUTE 600
/* Proof-of-work challenges one address may ask for a minute: one per join is enough. */
#define TRB_NODE_DEFAULT_CHALLENGES_PER_MINUTE 120

/* Connections open at once, in all and from one address (the first is lowered to fit under the
 * process's limit on open files). */
#define TRB_NODE_DEFAULT_MAX_CONNECTIONS 1024
#define TRB_NODE_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS 64

typedef enum
{
  TRB_NODE_ERROR_FAILED,
  TRB_NODE_ERROR_INVALID_TASK,
  TRB_NODE_ERROR_EXISTS,
  TRB_NODE_ERROR_NOT_INITIALISED,
} TrbNodeError;

#define TRB_TYPE_NODE (trb_node_get_type ())

G_DECLARE_FINAL_TYPE (TrbNode, trb_node, TRB, NODE, GObject)

GQuark    trb_node_error_quark          (void);

gboolean  trb_node_init_data            (const char   *data_dir,
                                         const char   *name,
                                         const char   *task_path,
                                         GError      **error);
TrbNode  *trb_node_open                 (const char   *data_dir,
                                         GError      **error);
void      trb_node_set_connection_timeout (TrbNode    *self,
                                           guint       seconds);
void      trb_node_set_rate_limits        (TrbNode    *self,
                                           guint       joins_per_minute,
                                           guint       uploads_per_minute);
void      trb_node_set_challenge_rate     (TrbNode    *self,
                                           guint       challenges_per_minute);
void      trb_node_set_connection_limits  (TrbNode    *self,
                                           guint       max_connections,
                                           guint       max_per_address);
TrbJoinPolicy *trb_node_get_join_policy   (TrbNode    *self);
void      trb_node_set_aggregation_delay (TrbNode     *self,
                                          guint        delay_ms);
void      trb_node_set_upload_check_delay (TrbNode    *self,
                                           guint       delay_ms);
void      trb_node_cancel_work           (TrbNode     *self);
gboolean  trb_node_add_public_url       (TrbNode      *self,
                                         const char   *url,
                                         GError      **error);
const char *trb_node_get_public_url     (TrbNode      *self);
gboolean  trb_node_listen               (TrbNode      *self,
                                         const char   *address,
                                         GTlsCertificate *certificate,
                                         char        **url,
                                         GError      **error);

G_END_DECLS

/* trb-client.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The participant's side of the wire protocol (docs/protocol.md): one SoupSession, signed
 * requests, retries with exponential backoff and jitter, size limits on everything read, resumable
 * blob downloads, and typed calls for every endpoint.
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ledger/trb-note-signer.h"
#include "net/trb-protocol.h"
#include "wallet/trb-keypair.h"

G_BEGIN_DECLS

#define TRB_CLIENT_ERROR (trb_client_error_quark ())

typedef enum
{
  TRB_CLIENT_ERROR_NETWORK,
  TRB_CLIENT_ERROR_SERVER,
  TRB_CLIENT_ERROR_REJECTED,
  TRB_CLIENT_ERROR_PROTOCOL,
  TRB_CLIENT_ERROR_TOO_LARGE,
  TRB_CLIENT_ERROR_UNSUPPORTED,
  TRB_CLIENT_ERROR_TAMPERED,
  TRB_CLIENT_ERROR_NOT_A_NETWORK,
} TrbClientError;

/* Limits on what the client reads (docs/protocol.md, section 2). */
#define TRB_CLIENT_MAX_JSON       (4 * 1024 * 1024)
#define TRB_CLIENT_MAX_BLOB       (256 * 1024 * 1024)

#define TRB_TYPE_CLIENT (trb_client_get_type ())

G_DECLARE_FINAL_TYPE (TrbClient, trb_client, TRB, CLIENT, GObject)

GQuark      trb_client_error_quark              (void);

TrbClient  *trb_client_new                      (const char           *base_url);
const char *trb_client_get_base_url             (TrbClient            *self);
void        trb_client_set_identity             (TrbClient            *self,
                                                 const guint8         *secret_key);
void        trb_client_set_keypair              (TrbClient            *self,
                                                 TrbKeypair           *keypair);
const char *trb_client_get_address              (TrbClient            *self);
void        trb_client_set_retry_policy         (TrbClient            *self,
                                                 guint                 max_tries,
                                                 guint                 base_delay_ms);
void        trb_client_set_interactive          (TrbClient            *self);
void        trb_client_set_timeout              (TrbClient            *self,
                                                 guint                 seconds);
TrbNoteSigner *trb_client_make_cosigner         (TrbClient            *self,
                                                 GError              **error);
const char *trb_client_error_get_problem        (const GError         *error);
const char *trb_client_error_get_duplicate_update (const GError     *error);
gboolean    trb_client_error_get_cause          (const GError         *error,
                                                 GQuark               *domain,
                                                 int                  *code);
guint       trb_client_error_get_status         (const GError         *error);

void        trb_client_request_async            (TrbClient            *self,
                                                 const char           *method,
                                                 const char           *path,
                                                 GBytes               *body,
                                                 const char           *content_type,
                                                 gboolean              sign,
                                                 gsize                 max_response,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GBytes     *trb_client_request_finish           (TrbClient            *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

void        trb_client_get_json_async           (TrbClient            *self,
                                                 const char           *path,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_post_json_async          (TrbClient            *self,
                                                 const char           *path,
                                                 JsonNode             *body,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject *trb_client_json_finish              (TrbClient            *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

void        trb_client_get_network_async        (TrbClient            *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_join_async               (TrbClient            *self,
                                                 const char           *display_name,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_join_with_async          (TrbClient            *self,
                                                 const char           *display_name,
                                                 const char           *invitation,
                                                 const char           *challenge,
                                                 const char           *nonce,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_get_join_challenge_async (TrbClient            *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_get_receipt_async        (TrbClient            *self,
                                                 const char           *task,
                                                 gint64                round,
                                                 const char           *update,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_get_task_async           (TrbClient            *self,
                                                 const char           *task,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_get_round_async          (TrbClient            *self,
                                                 const char           *task,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_upload_update_async      (TrbClient            *self,
                                                 const char           *task,
                                                 gint64                round,
                                                 GBytes               *update,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_get_entries_async        (TrbClient            *self,
                                                 guint64               start,
                                                 guint64               end,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_get_inclusion_proof_async (TrbClient           *self,
                                                  guint64              index,
                                                  guint64              tree_size,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void        trb_client_get_consistency_proof_async (TrbClient         *self,
                                                    guint64            first,
                                                    guint64            second,
                                                    GCancellable      *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer           user_data);
void        trb_client_post_cosignature_async   (TrbClient            *self,
                                                 guint64               tree_size,
                                                 const char           *line,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
void        trb_client_poll_events_async        (TrbClient            *self,
                                                 gint64                after,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);

void        trb_client_download_blob_async      (TrbClient            *self,
                                                 const char           *sha256,
                                                 gsize                 max_size,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GBytes     *trb_client_download_blob_finish     (TrbClient            *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

void        trb_client_get_checkpoint_async     (TrbClient            *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char       *trb_client_get_checkpoint_finish    (TrbClient            *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

void        trb_client_connect_events_async     (TrbClient            *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
SoupWebsocketConnection *
            trb_client_connect_events_finish    (TrbClient            *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
JsonObject *trb_client_parse_event              (const char           *text,
                                                 gsize                 length,
                                                 GError              **error);

/* The blocking forms, for worker threads only (never the main thread): the same requests,
 * retries and limits as the _async calls; @cancellable ends them at once, backoff included. */
gboolean    trb_client_sleep                    (guint                 ms,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
GBytes     *trb_client_request_sync             (TrbClient            *self,
                                                 const char           *method,
                                                 const char           *path,
                                                 GBytes               *body,
                                                 const char           *content_type,
                                                 gboolean              sign,
                                                 gsize                 max_response,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_json_sync            (TrbClient            *self,
                                                 const char           *path,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_post_json_sync           (TrbClient            *self,
                                                 const char           *path,
                                                 JsonNode             *body,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_network_sync         (TrbClient            *self,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_join_with_sync           (TrbClient            *self,
                                                 const char           *display_name,
                                                 const char           *invitation,
                                                 const char           *challenge,
                                                 const char           *nonce,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_join_challenge_sync  (TrbClient            *self,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_task_sync            (TrbClient            *self,
                                                 const char           *task,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_round_sync           (TrbClient            *self,
                                                 const char           *task,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_upload_update_sync       (TrbClient            *self,
                                                 const char           *task,
                                                 gint64                round,
                                                 GBytes               *update,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_receipt_sync         (TrbClient            *self,
                                                 const char           *task,
                                                 gint64                round,
                                                 const char           *update,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_entries_sync         (TrbClient            *self,
                                                 guint64               start,
                                                 guint64               end,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_inclusion_proof_sync (TrbClient            *self,
                                                 guint64               index,
                                                 guint64               tree_size,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
JsonObject *trb_client_get_consistency_proof_sync (TrbClient          *self,
                                                   guint64             first,
                                                   guint64             second,
                                                   GCancellable       *cancellable,
                                                   GError            **error);
JsonObject *trb_client_post_cosignature_sync    (TrbClient            *self,
                                                 guint64               tree_size,
                                                 const char           *line,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
GBytes     *trb_client_download_blob_sync       (TrbClient            *self,
                                                 const char           *sha256,
                                                 gsize                 max_size,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
char       *trb_client_get_checkpoint_sync      (TrbClient            *self,
                                                 GCancellable         *cancellable,
                                                 GError              **error);

gboolean    trb_client_is_selected              (const char           *model,
                                                 const char           *address,
                                                 double                fraction);
char       *trb_client_selection_rank           (const char           *model,
                                                 const char           *address);
gboolean    trb_client_round_asks               (JsonObject           *round,
                                                 const char           *address);

GBytes     *trb_client_proof_from_json          (JsonObject           *proof,
                                                 GError              **error);
gboolean    trb_client_verify_receipt           (JsonObject           *receipt,
                                                 const guint8         *ledger_public_key,
                                                 GError              **error);
double      trb_client_task_number              (JsonObject           *task,
                                                 const char           *section,
                                                 const char           *name,
                                                 double                fallback);

/**
 * TRB_CLIENT_MAX_ROUND_UPDATES:
 *
 * The largest update count read from a round's description; a node may claim anything.
 */
#define TRB_CLIENT_MAX_ROUND_UPDATES 1000000

/**
 * TrbClientRoundCounts:
 * @deadline: Unix time the round may close, 0 when missing or beyond reason
 * @updates: the updates accepted so far, -1 when missing
 * @min_updates: the updates the round needs to close, -1 when missing
 * @max_updates: the updates that close it at once, -1 when missing
 *
 * What a round's description (`GET /v1/tasks/{task}/round`) says about when it closes.
 */
typedef struct
{
  gint64 deadline;
  int    updates;
  int    min_updates;
  int    max_updates;
} TrbClientRoundCounts;

void        trb_client_round_counts_from_json   (JsonObject           *round,
                                                 gint64                now,
                                                 TrbClientRoundCounts *counts);

G_END_DECLS

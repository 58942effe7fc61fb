/* trb-client-calls.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The endpoints a participant calls to join a network and take part, each in its asynchronous and
 * its blocking (`_sync`) form: the network's description, joining (with an invitation or a proof
 * of work), tasks and rounds, uploading an update and fetching a receipt again, blobs (the
 * models, resumed and checked by SHA-256), and the events, polled or over a WebSocket.
 */

#define G_LOG_DOMAIN "trb-client"

#include "config.h"

#include "trb-client-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-json.h"

void
trb_client_get_network_async (TrbClient           *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (TRB_IS_CLIENT (self));
  trb_client_json_call (self, "GET", "/v1/network", NULL, FALSE, TRB_CLIENT_CHECK_NETWORK,
                        cancellable, callback, user_data);
}

JsonObject *
trb_client_get_network_sync (TrbClient     *self,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  return trb_client_json_call_sync (self, "GET", "/v1/network", NULL, NULL, FALSE,
                                    TRB_CLIENT_CHECK_NETWORK, cancellable, error);
}

void
trb_client_join_async (TrbClient           *self,
                       const char          *display_name,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  trb_client_join_with_async (self, display_name, NULL, NULL, NULL, cancellable, callback,
                              user_data);
}

static JsonNode *
join_body (const char *display_name,
           const char *invitation,
           const char *challenge,
           const char *nonce)
{
  JsonNode *body = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) obj = json_object_new ();

  if (display_name != NULL)
    json_object_set_string_member (obj, "display_name", display_name);
  if (invitation != NULL)
    json_object_set_string_member (obj, "invitation", invitation);
  if (challenge != NULL && nonce != NULL)
    {
      JsonObject *work = json_object_new ();

      json_object_set_string_member (work, "challenge", challenge);
      json_object_set_string_member (work, "nonce", nonce);
      json_object_set_object_member (obj, "proof_of_work", work);
    }
  json_node_set_object (body, obj);
  return body;
}

/**
 * trb_client_join_with_async:
 * @self: a client with an identity
 * @display_name: (nullable): the name shown to others
 * @invitation: (nullable): an invitation code, for a network that asks for one
 * @challenge: (nullable): a proof-of-work challenge from trb_client_get_join_challenge_async()
 * @nonce: (nullable): the nonce that solves it
 *
 * Joins a network whatever its join policy (docs/protocol.md, "Join policy"). Finish with
 * trb_client_json_finish().
 */
void
trb_client_join_with_async (TrbClient           *self,
                            const char          *display_name,
                            const char          *invitation,
                            const char          *challenge,
                            const char          *nonce,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonNode) body = join_body (display_name, invitation, challenge, nonce);

  trb_client_post_json_async (self, "/v1/participants", body, cancellable, callback, user_data);
}

JsonObject *
trb_client_join_with_sync (TrbClient     *self,
                           const char    *display_name,
                           const char    *invitation,
                           const char    *challenge,
                           const char    *nonce,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(JsonNode) body = join_body (display_name, invitation, challenge, nonce);

  return trb_client_post_json_sync (self, "/v1/participants", body, cancellable, error);
}

static char *
challenge_path (TrbClient *self)
{
  g_autofree char *escaped = g_uri_escape_string (self->address != NULL ? self->address : "",
                                                  NULL, FALSE);

  return g_strconcat ("/v1/participants/challenge?address=", escaped, NULL);
}

/**
 * trb_client_get_join_challenge_async:
 * @self: a client with an identity
 *
 * Asks a network whose join policy is `proof-of-work` for a challenge bound to this address.
 * Finish with trb_client_json_finish(): `{"challenge": …, "bits": N, "expires": T}`.
 */
void
trb_client_get_join_challenge_async (TrbClient           *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (TRB_IS_CLIENT (self));
  path = challenge_path (self);
  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

JsonObject *
trb_client_get_join_challenge_sync (TrbClient     *self,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  path = challenge_path (self);
  return trb_client_get_json_sync (self, path, cancellable, error);
}

char *
trb_client_escape_segment (const char *segment)
{
  return g_uri_escape_string (segment, NULL, FALSE);
}

void
trb_client_get_task_async (TrbClient           *self,
                           const char          *task,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *escaped = trb_client_escape_segment (task);
  g_autofree char *path = g_strdup_printf ("/v1/tasks/%s", escaped);

  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

JsonObject *
trb_client_get_task_sync (TrbClient     *self,
                          const char    *task,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autofree char *escaped = trb_client_escape_segment (task);
  g_autofree char *path = g_strdup_printf ("/v1/tasks/%s", escaped);

  return trb_client_get_json_sync (self, path, cancellable, error);
}

/* The round asked for with this participant's address, when it has one, so that the node says
 * whether the round asks it. */
static char *
round_path (TrbClient  *self,
            const char *task)
{
  g_autofree char *escaped = trb_client_escape_segment (task);
  const char *address = trb_client_get_address (self);

  if (address == NULL)
    return g_strdup_printf ("/v1/tasks/%s/round", escaped);
  return g_strdup_printf ("/v1/tasks/%s/round?participant=%s", escaped, address);
}

void
trb_client_get_round_async (TrbClient           *self,
                            const char          *task,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *path = round_path (self, task);

  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

JsonObject *
trb_client_get_round_sync (TrbClient     *self,
                           const char    *task,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autofree char *path = round_path (self, task);

  return trb_client_get_json_sync (self, path, cancellable, error);
}

static char *
updates_path (const char *task,
              gint64      round)
{
  g_autofree char *escaped = trb_client_escape_segment (task);

  return g_strdup_printf ("/v1/tasks/%s/rounds/%" G_GINT64_FORMAT "/updates", escaped, round);
}

/**
 * trb_client_upload_update_async:
 *
 * Uploads an update (safetensors). The node keys updates by their hash, so the retries this
 * call makes after a lost answer get the same receipt back. Finish with trb_client_json_finish().
 */
void
trb_client_upload_update_async (TrbClient           *self,
                                const char          *task,
                                gint64               round,
                                GBytes              *update,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *path = updates_path (task, round);
  GTask *gtask;

  g_return_if_fail (TRB_IS_CLIENT (self));
  g_return_if_fail (update != NULL);

  gtask = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, trb_client_json_finish);
  g_task_set_task_data (gtask, GINT_TO_POINTER (TRB_CLIENT_CHECK_NONE), NULL);
  trb_client_start_request (self, "POST", path, update, "application/vnd.safetensors", TRUE, FALSE,
                            TRB_CLIENT_MAX_JSON, cancellable, trb_client_json_done_cb, gtask);
}

JsonObject *
trb_client_upload_update_sync (TrbClient     *self,
                               const char    *task,
                               gint64         round,
                               GBytes        *update,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autofree char *path = updates_path (task, round);

  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (update != NULL, NULL);
  return trb_client_json_call_sync (self, "POST", path, update, "application/vnd.safetensors", TRUE,
                                    TRB_CLIENT_CHECK_NONE, cancellable, error);
}

static char *
receipt_path (const char *task,
              gint64      round,
              const char *update)
{
  g_autofree char *escaped = trb_client_escape_segment (task);
  g_autofree char *escaped_update = trb_client_escape_segment (update);

  return g_strdup_printf ("/v1/tasks/%s/rounds/%" G_GINT64_FORMAT "/updates/%s", escaped, round,
                          escaped_update);
}

/**
 * trb_client_get_receipt_async:
 * @self: a client with the identity that uploaded the update
 * @task: the task
 * @round: the round
 * @update: the update's hex SHA-256
 *
 * Fetches again the receipt of an update this participant uploaded (a signed GET), after its
 * reply was lost. Finish with trb_client_json_finish().
 */
void
trb_client_get_receipt_async (TrbClient           *self,
                              const char          *task,
                              gint64               round,
                              const char          *update,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *path = receipt_path (task, round, update);

  g_return_if_fail (TRB_IS_CLIENT (self));
  trb_client_json_call (self, "GET", path, NULL, TRUE, TRB_CLIENT_CHECK_NONE, cancellable, callback,
                        user_data);
}

JsonObject *
trb_client_get_receipt_sync (TrbClient     *self,
                             const char    *task,
                             gint64         round,
                             const char    *update,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autofree char *path = receipt_path (task, round, update);

  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  return trb_client_json_call_sync (self, "GET", path, NULL, NULL, TRUE, TRB_CLIENT_CHECK_NONE,
                                    cancellable, error);
}

void
trb_client_poll_events_async (TrbClient           *self,
                              gint64               after,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *path = g_strdup_printf ("/v1/events?after=%" G_GINT64_FORMAT, MAX (after, 0));

  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

/* ---- blobs ---------------------------------------------------------------------------------- */

static gboolean
is_blob_name (const char *sha256)
{
  return strlen (sha256) == 64 && strspn (sha256, "0123456789abcdef") == 64;
}

/* The blob, if its hash is the one asked for. */
static GBytes *
checked_blob (GBytes      *bytes,
              const char  *expected,
              GError     **error)
{
  g_autofree char *hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);

  if (!g_str_equal (hash, expected))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("A downloaded file does not match its checksum."));
      return NULL;
    }
  return g_bytes_ref (bytes);
}

static void
blob_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = trb_client_request_finish (TRB_CLIENT (source), result, &error);
  GBytes *blob = bytes != NULL ? checked_blob (bytes, g_task_get_task_data (task), &error) : NULL;

  if (blob == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, blob, (GDestroyNotify) g_bytes_unref);
}

/**
 * trb_client_download_blob_async:
 * @self: a client
 * @sha256: the blob's lowercase hex SHA-256
 * @max_size: the most bytes accepted
 *
 * Downloads a content-addressed blob, resuming with `Range` after an interruption, and checks
 * its hash.
 */
void
trb_client_download_blob_async (TrbClient           *self,
                                const char          *sha256,
                                gsize                max_size,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (TRB_IS_CLIENT (self));
  g_return_if_fail (sha256 != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_client_download_blob_async);
  if (!is_blob_name (sha256))
    {
      g_task_return_new_error (task, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                               _("The network named a file with an invalid checksum."));
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, g_strdup (sha256), g_free);
  path = g_strdup_printf ("/v1/blobs/%s", sha256);
  trb_client_start_request (self, "GET", path, NULL, NULL, FALSE, TRUE,
                            MIN (max_size, TRB_CLIENT_MAX_BLOB), cancellable, blob_done_cb, task);
}

GBytes *
trb_client_download_blob_finish (TrbClient     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * trb_client_download_blob_sync:
 *
 * The blocking form of trb_client_download_blob_async(), for worker threads.
 *
 * Returns: (transfer full): the blob, or %NULL with @error set
 */
GBytes *
trb_client_download_blob_sync (TrbClient     *self,
                               const char    *sha256,
                               gsize          max_size,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (sha256 != NULL, NULL);

  if (!is_blob_name (sha256))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network named a file with an invalid checksum."));
      return NULL;
    }
  path = g_strdup_printf ("/v1/blobs/%s", sha256);
  bytes = trb_client_run_request_sync (self, "GET", path, NULL, NULL, FALSE, TRUE,
                                       MIN (max_size, TRB_CLIENT_MAX_BLOB), cancellable, error);
  return bytes != NULL ? checked_blob (bytes, sha256, error) : NULL;
}

/* ---- events ----------------------------------------------------------------------------- */

static void
events_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws = soup_session_websocket_connect_finish (SOUP_SESSION (source),
                                                                       result, &error);

  if (ws == NULL)
    {
      g_task_return_new_error (task, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK,
                               _("The network’s event stream is not available: %s"),
                               error->message);
      return;
    }
  /* Events are small; anything larger is refused by the connection itself. */
  soup_websocket_connection_set_max_incoming_payload_size (ws, 64 * 1024);
  soup_websocket_connection_set_keepalive_interval (ws, 30);
  g_task_return_pointer (task, ws, g_object_unref);
}

/**
 * trb_client_connect_events_async:
 * @self: a client
 * @cancellable: (nullable): a cancellable
 * @callback: called when connected
 * @user_data: data for @callback
 *
 * Opens the `/v1/events` WebSocket. Each text message is an event that
 * trb_client_parse_event() reads. When it cannot be opened, poll with
 * trb_client_poll_events_async() instead.
 */
void
trb_client_connect_events_async (TrbClient           *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  static const char *protocols[] = { "tributary.events.v1", NULL };
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  GTask *task;

  g_return_if_fail (TRB_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_client_connect_events_async);
  url = g_strconcat (self->base_url, "/v1/events", NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                               _("The network’s address is not valid."));
      g_object_unref (task);
      return;
    }
  soup_session_websocket_connect_async (self->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, cancellable, events_connected_cb,
                                        task);
}

/**
 * trb_client_connect_events_finish:
 *
 * Returns: (transfer full): the connection, or %NULL with @error set
 */
SoupWebsocketConnection *
trb_client_connect_events_finish (TrbClient     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

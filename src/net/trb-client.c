/* trb-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TrbClient, the participant's side of the wire protocol: the object and its identity, its
 * errors and what they keep, the generic request calls and the JSON calls every endpoint is made
 * of. The request machinery (tries, backoff, limits, the asynchronous and the blocking paths) is
 * in trb-client-transport.c; the endpoints in trb-client-calls.c (taking part) and
 * trb-client-ledger.c (the ledger); reading what the node serves in trb-client-replies.c.
 */

#define G_LOG_DOMAIN "trb-client"

#include "config.h"

#include "trb-client-private.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "ledger/trb-merkle.h"
#include "net/trb-http-signature.h"
#include "trb-json.h"

/* What a person is told is worded from the error's class, not from a library's message, so the
 * error keeps the class of what caused it (a GIO, resolver, TLS or libsoup error) and the HTTP
 * status of a refused request. */
typedef struct
{
  char  *problem;
  char  *update;        /* the update a `duplicate` problem names */
  GQuark cause_domain;
  int    cause_code;
  guint  status;
} TrbClientErrorPrivate;

static void
trb_client_error_private_init (TrbClientErrorPrivate *priv)
{
  priv->problem = NULL;
  priv->update = NULL;
  priv->cause_domain = 0;
  priv->cause_code = 0;
  priv->status = 0;
}

static void
trb_client_error_private_copy (const TrbClientErrorPrivate *src,
                               TrbClientErrorPrivate       *dest)
{
  dest->problem = g_strdup (src->problem);
  dest->update = g_strdup (src->update);
  dest->cause_domain = src->cause_domain;
  dest->cause_code = src->cause_code;
  dest->status = src->status;
}

static void
trb_client_error_private_clear (TrbClientErrorPrivate *priv)
{
  g_clear_pointer (&priv->problem, g_free);
  g_clear_pointer (&priv->update, g_free);
}

/* GLib's macro casts its byte offset to the private struct, which clang's -Wcast-align flags;
 * the private data is allocated aligned. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-align"
G_DEFINE_EXTENDED_ERROR (TrbClientError, trb_client_error)
#pragma GCC diagnostic pop

/* Keeps what an error of a request says besides its message (see trb-client-private.h). */
void
trb_client_error_set_details (GError     *error,
                              const char *problem,
                              const char *update,
                              GQuark      cause_domain,
                              int         cause_code,
                              guint       status)
{
  TrbClientErrorPrivate *priv = trb_client_error_get_private (error);

  g_free (priv->problem);
  priv->problem = g_strdup (problem);
  g_free (priv->update);
  priv->update = g_strdup (update);
  priv->cause_domain = cause_domain;
  priv->cause_code = cause_code;
  priv->status = status;
}

G_DEFINE_FINAL_TYPE (TrbClient, trb_client, G_TYPE_OBJECT)

static void
trb_client_finalize (GObject *object)
{
  TrbClient *self = TRB_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_object (&self->keypair);
  g_free (self->base_url);
  g_free (self->address);
  if (self->secret_key != NULL)
    sodium_free (self->secret_key);

  G_OBJECT_CLASS (trb_client_parent_class)->finalize (object);
}

static void
trb_client_class_init (TrbClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_client_finalize;
}

static void
trb_client_init (TrbClient *self)
{
  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
  self->session = soup_session_new_with_options ("timeout", 30, "idle-timeout", 60,
                                                 "max-conns-per-host", 4,
                                                 "user-agent", "tributary/" PACKAGE_VERSION,
                                                 NULL);
  self->max_tries = 5;
  self->base_delay_ms = 500;
}

/**
 * trb_client_new:
 * @base_url: the network's URL, for example `http://127.0.0.1:8080`
 *
 * Returns: (transfer full): a client
 */
TrbClient *
trb_client_new (const char *base_url)
{
  TrbClient *self;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (TRB_TYPE_CLIENT, NULL);
  self->base_url = g_strdup (base_url);
  while (g_str_has_suffix (self->base_url, "/"))
    self->base_url[strlen (self->base_url) - 1] = '\0';
  return self;
}

const char *
trb_client_get_base_url (TrbClient *self)
{
  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  return self->base_url;
}

/**
 * trb_client_set_identity:
 * @self: a client
 * @secret_key: (nullable): the 64-byte libsodium Ed25519 secret key that signs requests
 *
 * The key is copied into guarded memory and wiped when replaced or when @self is finalised.
 */
void
trb_client_set_identity (TrbClient    *self,
                         const guint8 *secret_key)
{
  g_return_if_fail (TRB_IS_CLIENT (self));

  g_clear_pointer (&self->secret_key, sodium_free);
  g_clear_pointer (&self->address, g_free);
  g_clear_object (&self->keypair);
  if (secret_key == NULL)
    return;
  self->secret_key = sodium_malloc (64);
  memcpy (self->secret_key, secret_key, 64);
  self->address = trb_address_from_public_key (self->secret_key + 32);
}

/**
 * trb_client_set_keypair:
 * @self: a client
 * @keypair: (nullable): the wallet key pair that signs requests
 */
void
trb_client_set_keypair (TrbClient  *self,
                        TrbKeypair *keypair)
{
  g_return_if_fail (TRB_IS_CLIENT (self));

  trb_client_set_identity (self, NULL);
  if (keypair == NULL)
    return;
  self->keypair = g_object_ref (keypair);
  self->address = g_strdup (trb_keypair_get_address (keypair));
}

const char *
trb_client_get_address (TrbClient *self)
{
  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  return self->address;
}

void
trb_client_set_retry_policy (TrbClient *self,
                             guint      max_tries,
                             guint      base_delay_ms)
{
  g_return_if_fail (TRB_IS_CLIENT (self));
  self->max_tries = CLAMP (max_tries, 1, 20);
  self->base_delay_ms = base_delay_ms;
}

/**
 * trb_client_set_interactive:
 * @self: a client
 *
 * For calls a person waits on (reading a network's page before Join): two tries of at most
 * 4 s each, so that a dead or unreachable address is reported within 10 s rather than after
 * the minute of retries that background work may afford.
 */
void
trb_client_set_interactive (TrbClient *self)
{
  g_return_if_fail (TRB_IS_CLIENT (self));
  trb_client_set_retry_policy (self, 2, 500);
  trb_client_set_timeout (self, 4);
}

void
trb_client_set_timeout (TrbClient *self,
                        guint      seconds)
{
  g_return_if_fail (TRB_IS_CLIENT (self));
  g_object_set (self->session, "timeout", seconds, NULL);
}

static gboolean
sign_with_keypair (const guint8  *message,
                   gsize          length,
                   guint8         signature[64],
                   gpointer       user_data,
                   GError       **error)
{
  g_autoptr(GBytes) sig = trb_keypair_sign (user_data, message, length);

  if (sig == NULL || g_bytes_get_size (sig) != 64)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The wallet could not sign."));
      return FALSE;
    }
  memcpy (signature, g_bytes_get_data (sig, NULL), 64);
  return TRUE;
}

/**
 * trb_client_make_cosigner:
 * @self: a client with an identity
 * @error: return location for an error
 *
 * Returns: (transfer full): a tlog-cosignature signer named by the participant's address
 */
TrbNoteSigner *
trb_client_make_cosigner (TrbClient  *self,
                          GError    **error)
{
  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);

  if (self->secret_key != NULL)
    return trb_note_signer_new (self->address, TRB_NOTE_KEY_COSIGNATURE, self->secret_key, error);
  if (self->keypair != NULL)
    return trb_note_signer_new_with_func (self->address, TRB_NOTE_KEY_COSIGNATURE,
                                          trb_keypair_get_public_key (self->keypair),
                                          sign_with_keypair, g_object_ref (self->keypair),
                                          g_object_unref, error);
  g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                       _("No wallet key is set."));
  return NULL;
}

/**
 * trb_client_error_get_problem:
 * @error: an error from a #TrbClient call
 *
 * Returns: (nullable): the problem type's last path segment (`replayed`, `late`, …) when the
 *   node refused the request
 */
const char *
trb_client_error_get_problem (const GError *error)
{
  TrbClientErrorPrivate *priv;

  if (error == NULL || error->domain != TRB_CLIENT_ERROR)
    return NULL;
  priv = trb_client_error_get_private (error);
  return priv != NULL ? priv->problem : NULL;
}

/**
 * trb_client_error_get_duplicate_update:
 * @error: an error from a #TrbClient call
 *
 * A `duplicate` refusal of an upload names the update the node already holds from this
 * participant in the round, whose receipt trb_client_get_receipt_async() then fetches.
 *
 * Returns: (nullable): its hex SHA-256, when the node named a well-formed one
 */
const char *
trb_client_error_get_duplicate_update (const GError *error)
{
  TrbClientErrorPrivate *priv;

  if (g_strcmp0 (trb_client_error_get_problem (error), TRB_PROBLEM_DUPLICATE) != 0)
    return NULL;
  priv = trb_client_error_get_private (error);
  return priv != NULL ? priv->update : NULL;
}

/**
 * trb_client_error_get_cause:
 * @error: an error from a #TrbClient call
 * @domain: (out) (optional): the domain of the error that caused it
 * @code: (out) (optional): its code
 *
 * A %TRB_CLIENT_ERROR_NETWORK error keeps the class of the connection error behind it
 * (refused, timed out, name not found, TLS, not HTTP), so that it can be told in plain words.
 *
 * Returns: whether @error has a cause
 */
gboolean
trb_client_error_get_cause (const GError *error,
                            GQuark       *domain,
                            int          *code)
{
  TrbClientErrorPrivate *priv;

  if (error == NULL || error->domain != TRB_CLIENT_ERROR)
    return FALSE;
  priv = trb_client_error_get_private (error);
  if (priv == NULL || priv->cause_domain == 0)
    return FALSE;
  if (domain != NULL)
    *domain = priv->cause_domain;
  if (code != NULL)
    *code = priv->cause_code;
  return TRUE;
}

/**
 * trb_client_error_get_status:
 * @error: an error from a #TrbClient call
 *
 * Returns: the HTTP status of the answer that caused @error, or 0 when there was none
 */
guint
trb_client_error_get_status (const GError *error)
{
  TrbClientErrorPrivate *priv;

  if (error == NULL || error->domain != TRB_CLIENT_ERROR)
    return 0;
  priv = trb_client_error_get_private (error);
  return priv != NULL ? priv->status : 0;
}

/**
 * trb_client_request_async:
 * @self: a client
 * @method: `GET` or `POST`
 * @path: the path, starting with `/v1/`
 * @body: (nullable): the body
 * @content_type: (nullable): its type
 * @sign: whether to sign the request with the identity
 * @max_response: the most bytes of response to read
 * @cancellable: (nullable): a cancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Sends a request, retrying connection failures and 5xx answers with exponential backoff.
 */
void
trb_client_request_async (TrbClient           *self,
                          const char          *method,
                          const char          *path,
                          GBytes              *body,
                          const char          *content_type,
                          gboolean             sign,
                          gsize                max_response,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (TRB_IS_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL);

  trb_client_start_request (self, method, path, body, content_type, sign, FALSE, max_response,
                            cancellable, callback, user_data);
}

/**
 * trb_client_request_finish:
 *
 * Returns: (transfer full): the response body, or %NULL with @error set
 */
GBytes *
trb_client_request_finish (TrbClient     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * trb_client_request_sync:
 *
 * The blocking form of trb_client_request_async(), for worker threads: the same retries and
 * limits; @cancellable ends it, backoff waits included, at once.
 *
 * Returns: (transfer full): the response body, or %NULL with @error set
 */
GBytes *
trb_client_request_sync (TrbClient     *self,
                         const char    *method,
                         const char    *path,
                         GBytes        *body,
                         const char    *content_type,
                         gboolean       sign,
                         gsize          max_response,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (method != NULL && path != NULL, NULL);

  return trb_client_run_request_sync (self, method, path, body, content_type, sign, FALSE,
                                      max_response, cancellable, error);
}

/* ---- JSON calls --------------------------------------------------------------------------- */

/* What a JSON call's answer means: the object, or the error it ends with. @request_error is
 * the request's own error, taken. */
static JsonObject *
json_answer (GBytes            *bytes,
             GError            *request_error,
             TrbClientJsonCheck check,
             GError           **error)
{
  g_autoptr(GError) failure = request_error;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *obj;
  JsonNode *root;

  /* A web server that is not a Tributary node answers /v1/network with a page of its own (or
   * "not found") that is no problem document of the protocol's. */
  if (bytes == NULL && check == TRB_CLIENT_CHECK_NETWORK &&
      g_error_matches (failure, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED) &&
      trb_client_error_get_problem (failure) == NULL)
    {
      GError *not_network = g_error_new_literal (TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NOT_A_NETWORK,
                                                 failure->message);

      trb_client_error_get_private (not_network)->status = trb_client_error_get_status (failure);
      g_propagate_error (error, not_network);
      return NULL;
    }
  if (bytes == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return NULL;
    }
  parser = json_parser_new ();
  if (!trb_json_parser_load_bounded (parser, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR,
                           check == TRB_CLIENT_CHECK_NETWORK ? TRB_CLIENT_ERROR_NOT_A_NETWORK
                                                  : TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network sent an answer that could not be read."));
      return NULL;
    }
  obj = json_node_get_object (root);
  if (check == TRB_CLIENT_CHECK_NETWORK)
    {
      JsonNode *protocol = json_object_get_member (obj, "protocol");
      gint64 version = protocol != NULL && JSON_NODE_HOLDS_VALUE (protocol) &&
                       json_node_get_value_type (protocol) == G_TYPE_INT64
                         ? json_node_get_int (protocol) : 0;

      /* JSON without a protocol version is some other service's, not a newer Tributary. */
      if (version <= 0)
        {
          g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NOT_A_NETWORK,
                               _("The answer has no protocol version."));
          return NULL;
        }
      if (version != TRB_PROTOCOL_VERSION)
        {
          g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_UNSUPPORTED,
                               _("This network needs a newer version of Tributary."));
          return NULL;
        }
    }
  return json_object_ref (obj);
}

void
trb_client_json_done_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *request_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = trb_client_request_finish (TRB_CLIENT (source), result,
                                                       &request_error);
  JsonObject *obj = json_answer (bytes, request_error,
                                 GPOINTER_TO_INT (g_task_get_task_data (task)), &error);

  if (obj == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, obj, (GDestroyNotify) json_object_unref);
}

JsonObject *
trb_client_json_call_sync (TrbClient         *self,
                           const char        *method,
                           const char        *path,
                           GBytes            *body,
                           const char        *content_type,
                           gboolean           sign,
                           TrbClientJsonCheck check,
                           GCancellable      *cancellable,
                           GError           **error)
{
  GError *request_error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (content_type == NULL && body != NULL)
    content_type = "application/json";
  bytes = trb_client_run_request_sync (self, method, path, body, content_type, sign, FALSE,
                                       TRB_CLIENT_MAX_JSON, cancellable, &request_error);
  return json_answer (bytes, request_error, check, error);
}

void
trb_client_json_call (TrbClient          *self,
                      const char         *method,
                      const char         *path,
                      GBytes             *body,
                      gboolean            sign,
                      TrbClientJsonCheck  check,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, trb_client_json_finish);
  g_task_set_task_data (task, GINT_TO_POINTER (check), NULL);
  trb_client_start_request (self, method, path, body, body != NULL ? "application/json" : NULL,
                            sign, FALSE, TRB_CLIENT_MAX_JSON, cancellable, trb_client_json_done_cb,
                            task);
}

void
trb_client_get_json_async (TrbClient           *self,
                           const char          *path,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (TRB_IS_CLIENT (self));
  trb_client_json_call (self, "GET", path, NULL, FALSE, TRB_CLIENT_CHECK_NONE, cancellable,
                        callback, user_data);
}

/**
 * trb_client_get_json_sync:
 *
 * The blocking form of trb_client_get_json_async(), for worker threads.
 *
 * Returns: (transfer full): the object, or %NULL with @error set
 */
JsonObject *
trb_client_get_json_sync (TrbClient     *self,
                          const char    *path,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  return trb_client_json_call_sync (self, "GET", path, NULL, NULL, FALSE, TRB_CLIENT_CHECK_NONE,
                                    cancellable, error);
}

GBytes *
trb_client_json_body (JsonNode *body)
{
  char *text = json_to_string (body, FALSE);
  gsize len = strlen (text);

  return g_bytes_new_take (text, len);
}

/**
 * trb_client_post_json_async:
 *
 * Posts @body, signed with the identity.
 */
void
trb_client_post_json_async (TrbClient           *self,
                            const char          *path,
                            JsonNode            *body,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_if_fail (TRB_IS_CLIENT (self));
  bytes = trb_client_json_body (body);
  trb_client_json_call (self, "POST", path, bytes, TRUE, TRB_CLIENT_CHECK_NONE, cancellable,
                        callback, user_data);
}

/**
 * trb_client_post_json_sync:
 *
 * The blocking form of trb_client_post_json_async(), for worker threads.
 *
 * Returns: (transfer full): the object, or %NULL with @error set
 */
JsonObject *
trb_client_post_json_sync (TrbClient     *self,
                           const char    *path,
                           JsonNode      *body,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  bytes = trb_client_json_body (body);
  return trb_client_json_call_sync (self, "POST", path, bytes, NULL, TRUE, TRB_CLIENT_CHECK_NONE,
                                    cancellable, error);
}

/**
 * trb_client_json_finish:
 *
 * Finishes every call that answers a JSON object.
 *
 * Returns: (transfer full): the object, or %NULL with @error set
 */
JsonObject *
trb_client_json_finish (TrbClient     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

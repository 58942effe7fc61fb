/* trb-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-client"

#include "config.h"

#include "trb-client.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <sodium.h>
#include <string.h>

#include "ledger/trb-merkle.h"
#include "net/trb-http-signature.h"
#include "trb-json.h"

#define READ_CHUNK   (64 * 1024)

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

struct _TrbClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;
  guint8      *secret_key;   /* sodium_malloc'd, 64 bytes, or NULL */
  TrbKeypair  *keypair;
  char        *address;
  guint        max_tries;
  guint        base_delay_ms;
};

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

/* ---- the request machinery ---------------------------------------------------------------- */

typedef struct
{
  char        *method;
  char        *path;
  GBytes      *body;
  char        *content_type;
  gboolean     sign;
  gboolean     resumable;
  gsize        max;
  guint        attempt;
  GQuark       cause_domain;  /* of the last connection error, for the final error */
  int          cause_code;
  SoupMessage *msg;
  GByteArray  *buffer;
  gsize        resume_from;
  goffset      expected;     /* Content-Length of the answer, or -1 */
  GSource     *retry_source;   /* the wait before the next try, and its end by cancellation */
  GSource     *cancel_source;
} Request;

static void
clear_retry_sources (Request *req)
{
  if (req->retry_source != NULL)
    g_source_destroy (req->retry_source);
  g_clear_pointer (&req->retry_source, g_source_unref);
  if (req->cancel_source != NULL)
    g_source_destroy (req->cancel_source);
  g_clear_pointer (&req->cancel_source, g_source_unref);
}

static void
request_free (Request *req)
{
  clear_retry_sources (req);
  g_free (req->method);
  g_free (req->path);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req->content_type);
  g_clear_object (&req->msg);
  g_clear_pointer (&req->buffer, g_byte_array_unref);
  g_free (req);
}

static void attempt_request (GTask *task);

/* The error a request ends with, keeping the class of the last connection error and the HTTP
 * status behind it. */
static GError *
request_error (Request    *req,
               int         code,
               const char *problem,
               const char *update,
               const char *message)
{
  GError *error = g_error_new_literal (TRB_CLIENT_ERROR, code, message);
  TrbClientErrorPrivate *priv = trb_client_error_get_private (error);

  if (problem != NULL)
    priv->problem = g_strdup (problem);
  priv->update = g_strdup (update);
  if (req != NULL)
    {
      priv->cause_domain = req->cause_domain;
      priv->cause_code = req->cause_code;
      if (req->msg != NULL)
        priv->status = soup_message_get_status (req->msg);
    }
  return error;
}

static void
fail_task (GTask      *task,
           int         code,
           const char *message)
{
  g_task_return_error (task, request_error (g_task_get_task_data (task), code, NULL, NULL,
                                            message));
}

/* Remembers the class of a connection error for the error the request may end with. */
static void
note_cause (Request      *req,
            const GError *cause)
{
  req->cause_domain = cause->domain;
  req->cause_code = cause->code;
}

/* The wait before the next try: exponential backoff with ±50 % jitter. %FALSE once the tries
 * are spent or the request is cancelled. */
static gboolean
backoff_delay (TrbClient    *self,
               Request      *req,
               GCancellable *cancellable,
               guint        *delay_ms)
{
  double delay;

  if (req->attempt >= self->max_tries || g_cancellable_is_cancelled (cancellable))
    return FALSE;
  delay = self->base_delay_ms * (double) (1u << MIN (req->attempt - 1, 10));
  delay *= 0.5 + g_random_double ();
  *delay_ms = (guint) delay;
  return TRUE;
}

static gboolean
retry_cb (gpointer user_data)
{
  GTask *task = user_data;

  clear_retry_sources (g_task_get_task_data (task));
  if (g_task_return_error_if_cancelled (task))
    g_object_unref (task);
  else
    attempt_request (task);
  return G_SOURCE_REMOVE;
}

static gboolean
retry_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  return retry_cb (user_data);
}

/* Tries again after @delay_ms, in the task's own context (a request started in a worker's
 * context is retried there), or at once with the cancellation error when the task is
 * cancelled meanwhile. */
static void
schedule_retry (GTask *task,
                guint  delay_ms)
{
  Request *req = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  req->retry_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (req->retry_source, retry_cb, task, NULL);
  g_source_attach (req->retry_source, g_task_get_context (task));
  if (cancellable != NULL)
    {
      req->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (req->cancel_source, G_SOURCE_FUNC (retry_cancelled_cb), task, NULL);
      g_source_attach (req->cancel_source, g_task_get_context (task));
    }
}

/* Retries after a backoff, or fails once the tries are spent. */
static void
retry_or_fail (GTask      *task,
               int         code,
               const char *message)
{
  Request *req = g_task_get_task_data (task);
  guint delay_ms;

  if (!backoff_delay (g_task_get_source_object (task), req, g_task_get_cancellable (task),
                      &delay_ms))
    {
      fail_task (task, code, message);
      g_object_unref (task);
      return;
    }
  g_debug ("Retrying %s %s in %u ms: %s", req->method, req->path, delay_ms, message);
  schedule_retry (task, delay_ms);
}

static gboolean
is_sha256_hex (const char *text)
{
  if (text == NULL || strlen (text) != 64)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* What a complete answer means for the request: done, another try (now or after a wait the
 * node asked for), or a failure. The asynchronous and the blocking paths both act on it. */
typedef enum
{
  VERDICT_DONE,
  VERDICT_RETRY,
  VERDICT_WAIT,
  VERDICT_FAILED,
} VerdictKind;

typedef struct
{
  VerdictKind kind;
  int         code;      /* VERDICT_RETRY: the error if the tries are spent */
  char       *message;   /* VERDICT_RETRY */
  guint       wait_s;    /* VERDICT_WAIT */
  GError     *error;     /* VERDICT_FAILED */
  GBytes     *bytes;     /* VERDICT_DONE */
} Verdict;

static void
verdict_clear (Verdict *verdict)
{
  g_clear_pointer (&verdict->message, g_free);
  g_clear_error (&verdict->error);
  g_clear_pointer (&verdict->bytes, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Verdict, verdict_clear)

static void
judge_refusal (Request *req,
               guint    status,
               Verdict *verdict)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *problem = NULL;
  g_autofree char *message = NULL;
  g_autofree char *update = NULL;
  JsonNode *root;

  if (trb_json_parser_load_bounded (parser, (const char *)req->buffer->data, req->buffer->len,
                                    NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *obj = json_node_get_object (root);
      const char *type = trb_json_get_string (obj, "type", "");
      const char *title = trb_json_get_string (obj, "title", NULL);
      const char *detail = trb_json_get_string (obj, "detail", NULL);

      problem = g_strdup (trb_problem_name_from_uri (type));
      if (is_sha256_hex (trb_json_get_string (obj, "update", NULL)))
        update = g_strdup (trb_json_get_string (obj, "update", NULL));
      if (title != NULL && detail != NULL)
        message = g_strdup_printf ("%s: %s", title, detail);
      else if (title != NULL)
        message = g_strdup (title);
    }
  if (message == NULL)
    message = g_strdup_printf (_("The network refused the request (%u)."), status);
  verdict->kind = VERDICT_FAILED;
  verdict->error = request_error (req, TRB_CLIENT_ERROR_REJECTED, problem, update, message);
}

static void
judge_answer (TrbClient    *self,
              Request      *req,
              GCancellable *cancellable,
              Verdict      *verdict)
{
  guint status = soup_message_get_status (req->msg);

  /* A body that ends before its announced length is a cut connection, not an answer. */
  if (req->expected >= 0 && req->buffer->len < req->resume_from + (gsize) req->expected)
    {
      if (!req->resumable)
        g_byte_array_set_size (req->buffer, 0);
      verdict->kind = VERDICT_RETRY;
      verdict->code = TRB_CLIENT_ERROR_NETWORK;
      verdict->message = g_strdup (_("The connection to the network was cut."));
      return;
    }

  /* 429, too many requests (libsoup 3.2 has no name for it): wait as long as the node asks, at
   * most two minutes, then try again. */
  if (status == TRB_HTTP_STATUS_TOO_MANY_REQUESTS && req->attempt < self->max_tries &&
      !g_cancellable_is_cancelled (cancellable))
    {
      const char *after = soup_message_headers_get_one (soup_message_get_response_headers (req->msg),
                                                        "Retry-After");
      guint64 seconds = after != NULL ? g_ascii_strtoull (after, NULL, 10) : 1;

      g_byte_array_set_size (req->buffer, req->resume_from);
      verdict->kind = VERDICT_WAIT;
      verdict->wait_s = (guint) CLAMP (seconds, 1, 120);
      return;
    }
  if (status >= SOUP_STATUS_INTERNAL_SERVER_ERROR)
    {
      /* A partial body of an error response is no use for resuming. */
      g_byte_array_set_size (req->buffer, req->resume_from);
      verdict->kind = VERDICT_RETRY;
      verdict->code = TRB_CLIENT_ERROR_SERVER;
      verdict->message = g_strdup_printf (_("The network’s server had a problem (%u). "
                                            "Try again later."), status);
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      judge_refusal (req, status, verdict);
      return;
    }

  /* An empty body still points somewhere: GBytes of no bytes would hand the readers after
   * this one a NULL they take for text (a hostile node answers "200" with nothing). */
  verdict->kind = VERDICT_DONE;
  if (req->buffer->len == 0)
    verdict->bytes = g_bytes_new_static ("", 0);
  else
    verdict->bytes = g_byte_array_free_to_bytes (g_steal_pointer (&req->buffer));
}

static void
finish_response (GTask *task)
{
  g_auto(Verdict) verdict = { 0, };

  judge_answer (g_task_get_source_object (task), g_task_get_task_data (task),
                g_task_get_cancellable (task), &verdict);
  switch (verdict.kind)
    {
    case VERDICT_RETRY:
      retry_or_fail (task, verdict.code, verdict.message);
      return;
    case VERDICT_WAIT:
      schedule_retry (task, verdict.wait_s * 1000);
      return;
    case VERDICT_FAILED:
      g_task_return_error (task, g_steal_pointer (&verdict.error));
      break;
    case VERDICT_DONE:
    default:
      g_task_return_pointer (task, g_steal_pointer (&verdict.bytes),
                             (GDestroyNotify) g_bytes_unref);
      break;
    }
  g_object_unref (task);
}

/* Adds a chunk of the answer, within the request's limit. */
static gboolean
append_chunk (Request  *req,
              GBytes   *chunk,
              GError  **error)
{
  if (req->buffer->len + g_bytes_get_size (chunk) > req->max)
    {
      g_propagate_error (error, request_error (req, TRB_CLIENT_ERROR_TOO_LARGE, NULL, NULL,
                                               _("The network sent more data than allowed.")));
      return FALSE;
    }
  g_byte_array_append (req->buffer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  return TRUE;
}

/* A connection error of a read is retried, keeping what arrived of a resumable download (the
 * next try asks for the rest). */
static void
forget_partial (Request *req)
{
  if (!req->resumable)
    g_byte_array_set_size (req->buffer, 0);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);

  if (chunk == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      forget_partial (req);
      g_input_stream_close (G_INPUT_STREAM (source), NULL, NULL);
      note_cause (req, error);
      retry_or_fail (task, TRB_CLIENT_ERROR_NETWORK, error->message);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      g_input_stream_close (G_INPUT_STREAM (source), NULL, NULL);
      finish_response (task);
      return;
    }
  if (!append_chunk (req, chunk, &error))
    {
      g_input_stream_close (G_INPUT_STREAM (source), NULL, NULL);
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), READ_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_cb, task);
}

/* Reads the head of an answer: whether a resumed download goes on where it stopped, and
 * whether the announced length is within the limit. */
static gboolean
begin_body (Request  *req,
            GError  **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (req->msg);
  guint status = soup_message_get_status (req->msg);
  goffset length;

  /* An answer came: a connection error of an earlier try no longer describes the request. */
  req->cause_domain = 0;
  req->cause_code = 0;
  if (req->resumable && req->resume_from > 0)
    {
      goffset start = -1, end = -1, total = -1;

      if (status == SOUP_STATUS_PARTIAL_CONTENT &&
          soup_message_headers_get_content_range (headers, &start, &end, &total) &&
          (gsize) start == req->resume_from)
        ;
      else
        {
          /* The server sent the whole file again (or something else): start over. */
          req->resume_from = 0;
          g_byte_array_set_size (req->buffer, 0);
        }
    }
  else if (!req->resumable)
    g_byte_array_set_size (req->buffer, 0);

  length = soup_message_headers_get_content_length (headers);
  req->expected = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
                    ? length : -1;
  req->resume_from = req->buffer->len;
  if (req->expected >= 0 && (guint64) length + req->buffer->len > req->max)
    {
      g_propagate_error (error, request_error (req, TRB_CLIENT_ERROR_TOO_LARGE, NULL, NULL,
                                               _("The network offered more data than allowed.")));
      return FALSE;
    }
  return TRUE;
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (source), result,
                                                             &error);

  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      note_cause (req, error);
      retry_or_fail (task, TRB_CLIENT_ERROR_NETWORK, error->message);
      return;
    }
  if (!begin_body (req, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  g_input_stream_read_bytes_async (stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_cb, task);
}

/* Makes the message of the next try: signed afresh, and asking for the rest of a download cut
 * short. */
static gboolean
prepare_message (TrbClient  *self,
                 Request    *req,
                 GError    **error)
{
  g_autofree char *url = g_strconcat (self->base_url, req->path, NULL);
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  SoupMessageHeaders *headers;

  req->attempt++;
  if (uri == NULL)
    {
      g_propagate_error (error, request_error (req, TRB_CLIENT_ERROR_PROTOCOL, NULL, NULL,
                                               _("The network’s address is not valid.")));
      return FALSE;
    }

  g_clear_object (&req->msg);
  req->msg = soup_message_new_from_uri (req->method, uri);
  headers = soup_message_get_request_headers (req->msg);
  if (req->body != NULL)
    soup_message_set_request_body_from_bytes (req->msg, req->content_type, req->body);

  if (req->sign)
    {
      g_autofree char *digest = NULL;
      g_autofree char *input = NULL;
      g_autofree char *signature = NULL;
      g_autofree char *target = g_uri_to_string (uri);
      gsize len = 0;
      const guint8 *data = req->body != NULL ? g_bytes_get_data (req->body, &len) : NULL;

      if (self->secret_key == NULL && self->keypair == NULL)
        {
          g_propagate_error (error, request_error (req, TRB_CLIENT_ERROR_PROTOCOL, NULL, NULL,
                                                   _("No wallet key is set to sign the request.")));
          return FALSE;
        }
      /* Signed afresh on every try: a new nonce and time, so a retry is not a replay. */
      if (self->secret_key != NULL)
        trb_http_signature_sign (req->method, target, data, len, self->secret_key,
                                 g_get_real_time () / G_USEC_PER_SEC, &digest, &input,
                                 &signature);
      else
        {
          g_autofree char *base = NULL;
          g_autoptr(GBytes) sig = NULL;

          base = trb_http_signature_prepare (req->method, target, data, len,
                                             trb_keypair_get_public_key (self->keypair),
                                             g_get_real_time () / G_USEC_PER_SEC, &digest,
                                             &input);
          sig = trb_keypair_sign (self->keypair, (const guint8 *)base, strlen (base));
          signature = trb_http_signature_header (g_bytes_get_data (sig, NULL));
        }
      soup_message_headers_replace (headers, "Content-Digest", digest);
      soup_message_headers_replace (headers, "Signature-Input", input);
      soup_message_headers_replace (headers, "Signature", signature);
    }

  req->resume_from = req->buffer->len;
  if (req->resumable && req->resume_from > 0)
    soup_message_headers_set_range (headers, req->resume_from, -1);
  return TRUE;
}

static void
attempt_request (GTask *task)
{
  TrbClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!prepare_message (self, req, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  soup_session_send_async (self->session, req->msg, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), sent_cb, task);
}

static Request *
request_new (const char *method,
             const char *path,
             GBytes     *body,
             const char *content_type,
             gboolean    sign,
             gboolean    resumable,
             gsize       max_response)
{
  Request *req = g_new0 (Request, 1);

  req->method = g_strdup (method);
  req->path = g_strdup (path);
  req->body = body != NULL ? g_bytes_ref (body) : NULL;
  req->content_type = g_strdup (content_type);
  req->sign = sign;
  req->resumable = resumable;
  req->max = max_response;
  req->buffer = g_byte_array_new ();
  return req;
}

static void
start_request (TrbClient           *self,
               const char          *method,
               const char          *path,
               GBytes              *body,
               const char          *content_type,
               gboolean             sign,
               gboolean             resumable,
               gsize                max_response,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, trb_client_request_async);
  g_task_set_task_data (task, request_new (method, path, body, content_type, sign, resumable,
                                           max_response),
                        (GDestroyNotify) request_free);
  attempt_request (task);
}

/* ---- the blocking path, for worker threads ------------------------------------------------- */

/**
 * trb_client_sleep:
 * @ms: how long to wait, in milliseconds
 * @cancellable: (nullable): a cancellable that ends the wait early
 * @error: return location for an error
 *
 * Blocks the calling thread for @ms, or until @cancellable is cancelled. For worker threads:
 * it runs no main context, so a cancellation from another thread ends it at once.
 *
 * Returns: %FALSE with %G_IO_ERROR_CANCELLED when cancelled
 */
gboolean
trb_client_sleep (guint          ms,
                  GCancellable  *cancellable,
                  GError       **error)
{
  GPollFD pollfd;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (cancellable == NULL || !g_cancellable_make_pollfd (cancellable, &pollfd))
    {
      g_usleep ((gulong) ms * 1000);
      return TRUE;
    }
  /* The cancellable's descriptor becomes readable when it is cancelled. */
  g_poll (&pollfd, 1, (int) MIN (ms, G_MAXINT));
  g_cancellable_release_fd (cancellable);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* One try: sends the message and reads the answer in full. %FALSE with @error for what ends the
 * request (cancelled, too large), or with @retry for a connection error worth another try. */
static gboolean
exchange_sync (TrbClient     *self,
               Request       *req,
               GCancellable  *cancellable,
               GError       **retry,
               GError       **error)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;

  stream = soup_session_send (self->session, req->msg, cancellable, &local_error);
  if (stream != NULL && !begin_body (req, error))
    return FALSE;
  while (stream != NULL)
    {
      g_autoptr(GBytes) chunk = g_input_stream_read_bytes (stream, READ_CHUNK, cancellable,
                                                           &local_error);

      if (chunk == NULL)
        {
          forget_partial (req);
          break;
        }
      if (g_bytes_get_size (chunk) == 0)
        {
          g_input_stream_close (stream, NULL, NULL);
          return TRUE;
        }
      if (!append_chunk (req, chunk, error))
        {
          g_input_stream_close (stream, NULL, NULL);
          return FALSE;
        }
    }
  if (stream != NULL)
    g_input_stream_close (stream, NULL, NULL);
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    {
      note_cause (req, local_error);
      g_propagate_error (retry, g_steal_pointer (&local_error));
    }
  return FALSE;
}

/* The blocking twin of attempt_request() and its callbacks: the same messages, limits,
 * retries and verdicts, in the calling thread (libsoup 3.2 lets any thread send with a
 * session's blocking API), with the backoff cut short by @cancellable. */
static GBytes *
request_sync (TrbClient     *self,
              Request       *req,
              GCancellable  *cancellable,
              GError       **error)
{
  for (;;)
    {
      g_auto(Verdict) verdict = { 0, };
      g_autoptr(GError) retry = NULL;
      guint delay_ms = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          !prepare_message (self, req, error))
        return NULL;
      if (!exchange_sync (self, req, cancellable, &retry, error))
        {
          if (retry == NULL)
            return NULL;
          verdict.kind = VERDICT_RETRY;
          verdict.code = TRB_CLIENT_ERROR_NETWORK;
          verdict.message = g_strdup (retry->message);
        }
      else
        judge_answer (self, req, cancellable, &verdict);

      if (verdict.kind == VERDICT_DONE)
        return g_steal_pointer (&verdict.bytes);
      if (verdict.kind == VERDICT_FAILED)
        {
          g_propagate_error (error, g_steal_pointer (&verdict.error));
          return NULL;
        }
      if (verdict.kind == VERDICT_WAIT)
        delay_ms = verdict.wait_s * 1000;
      else if (!backoff_delay (self, req, cancellable, &delay_ms))
        {
          if (!g_cancellable_set_error_if_cancelled (cancellable, error))
            g_propagate_error (error, request_error (req, verdict.code, NULL, NULL,
                                                     verdict.message));
          return NULL;
        }
      g_debug ("Retrying %s %s in %u ms", req->method, req->path, delay_ms);
      if (!trb_client_sleep (delay_ms, cancellable, error))
        return NULL;
    }
}

static GBytes *
run_request_sync (TrbClient     *self,
                  const char    *method,
                  const char    *path,
                  GBytes        *body,
                  const char    *content_type,
                  gboolean       sign,
                  gboolean       resumable,
                  gsize          max_response,
                  GCancellable  *cancellable,
                  GError       **error)
{
  Request *req = request_new (method, path, body, content_type, sign, resumable, max_response);
  GBytes *bytes = request_sync (self, req, cancellable, error);

  request_free (req);
  return bytes;
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

  start_request (self, method, path, body, content_type, sign, FALSE, max_response, cancellable,
                 callback, user_data);
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

  return run_request_sync (self, method, path, body, content_type, sign, FALSE, max_response,
                           cancellable, error);
}

/* ---- JSON calls --------------------------------------------------------------------------- */

typedef enum
{
  CHECK_NONE,
  CHECK_NETWORK,
} JsonCheck;

/* What a JSON call's answer means: the object, or the error it ends with. @request_error is
 * the request's own error, taken. */
static JsonObject *
json_answer (GBytes     *bytes,
             GError     *request_error,
             JsonCheck   check,
             GError    **error)
{
  g_autoptr(GError) failure = request_error;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *obj;
  JsonNode *root;

  /* A web server that is not a Tributary node answers /v1/network with a page of its own (or
   * "not found") that is no problem document of the protocol's. */
  if (bytes == NULL && check == CHECK_NETWORK &&
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
                           check == CHECK_NETWORK ? TRB_CLIENT_ERROR_NOT_A_NETWORK
                                                  : TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network sent an answer that could not be read."));
      return NULL;
    }
  obj = json_node_get_object (root);
  if (check == CHECK_NETWORK)
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

static void
json_done_cb (GObject      *source,
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

static JsonObject *
json_call_sync (TrbClient     *self,
                const char    *method,
                const char    *path,
                GBytes        *body,
                const char    *content_type,
                gboolean       sign,
                JsonCheck      check,
                GCancellable  *cancellable,
                GError       **error)
{
  GError *request_error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (content_type == NULL && body != NULL)
    content_type = "application/json";
  bytes = run_request_sync (self, method, path, body, content_type, sign, FALSE,
                            TRB_CLIENT_MAX_JSON, cancellable, &request_error);
  return json_answer (bytes, request_error, check, error);
}

static void
json_call (TrbClient           *self,
           const char          *method,
           const char          *path,
           GBytes              *body,
           gboolean             sign,
           JsonCheck            check,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, trb_client_json_finish);
  g_task_set_task_data (task, GINT_TO_POINTER (check), NULL);
  start_request (self, method, path, body, body != NULL ? "application/json" : NULL, sign, FALSE,
                 TRB_CLIENT_MAX_JSON, cancellable, json_done_cb, task);
}

void
trb_client_get_json_async (TrbClient           *self,
                           const char          *path,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (TRB_IS_CLIENT (self));
  json_call (self, "GET", path, NULL, FALSE, CHECK_NONE, cancellable, callback, user_data);
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
  return json_call_sync (self, "GET", path, NULL, NULL, FALSE, CHECK_NONE, cancellable, error);
}

static GBytes *
json_body (JsonNode *body)
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
  bytes = json_body (body);
  json_call (self, "POST", path, bytes, TRUE, CHECK_NONE, cancellable, callback, user_data);
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
  bytes = json_body (body);
  return json_call_sync (self, "POST", path, bytes, NULL, TRUE, CHECK_NONE, cancellable, error);
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

void
trb_client_get_network_async (TrbClient           *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (TRB_IS_CLIENT (self));
  json_call (self, "GET", "/v1/network", NULL, FALSE, CHECK_NETWORK, cancellable, callback,
             user_data);
}

JsonObject *
trb_client_get_network_sync (TrbClient     *self,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  return json_call_sync (self, "GET", "/v1/network", NULL, NULL, FALSE, CHECK_NETWORK,
                         cancellable, error);
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

static char *
escape_segment (const char *segment)
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
  g_autofree char *escaped = escape_segment (task);
  g_autofree char *path = g_strdup_printf ("/v1/tasks/%s", escaped);

  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

JsonObject *
trb_client_get_task_sync (TrbClient     *self,
                          const char    *task,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autofree char *escaped = escape_segment (task);
  g_autofree char *path = g_strdup_printf ("/v1/tasks/%s", escaped);

  return trb_client_get_json_sync (self, path, cancellable, error);
}

void
trb_client_get_round_async (TrbClient           *self,
                            const char          *task,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *escaped = escape_segment (task);
  g_autofree char *path = g_strdup_printf ("/v1/tasks/%s/round", escaped);

  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

JsonObject *
trb_client_get_round_sync (TrbClient     *self,
                           const char    *task,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autofree char *escaped = escape_segment (task);
  g_autofree char *path = g_strdup_printf ("/v1/tasks/%s/round", escaped);

  return trb_client_get_json_sync (self, path, cancellable, error);
}

static char *
updates_path (const char *task,
              gint64      round)
{
  g_autofree char *escaped = escape_segment (task);

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
  g_task_set_task_data (gtask, GINT_TO_POINTER (CHECK_NONE), NULL);
  start_request (self, "POST", path, update, "application/vnd.safetensors", TRUE, FALSE,
                 TRB_CLIENT_MAX_JSON, cancellable, json_done_cb, gtask);
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
  return json_call_sync (self, "POST", path, update, "application/vnd.safetensors", TRUE,
                         CHECK_NONE, cancellable, error);
}

static char *
receipt_path (const char *task,
              gint64      round,
              const char *update)
{
  g_autofree char *escaped = escape_segment (task);
  g_autofree char *escaped_update = escape_segment (update);

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
  json_call (self, "GET", path, NULL, TRUE, CHECK_NONE, cancellable, callback, user_data);
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
  return json_call_sync (self, "GET", path, NULL, NULL, TRUE, CHECK_NONE, cancellable, error);
}

static char *
entries_path (guint64 start,
              guint64 end)
{
  return g_strdup_printf ("/v1/ledger/entries?start=%" G_GUINT64_FORMAT "&end=%" G_GUINT64_FORMAT,
                          start, end);
}

void
trb_client_get_entries_async (TrbClient           *self,
                              guint64              start,
                              guint64              end,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *path = entries_path (start, end);

  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

JsonObject *
trb_client_get_entries_sync (TrbClient     *self,
                             guint64        start,
                             guint64        end,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autofree char *path = entries_path (start, end);

  return trb_client_get_json_sync (self, path, cancellable, error);
}

static char *
proof_path (gboolean inclusion,
            guint64  a,
            guint64  b)
{
  if (inclusion)
    return g_strdup_printf ("/v1/ledger/proof/inclusion?index=%" G_GUINT64_FORMAT
                            "&tree_size=%" G_GUINT64_FORMAT, a, b);
  return g_strdup_printf ("/v1/ledger/proof/consistency?first=%" G_GUINT64_FORMAT
                          "&second=%" G_GUINT64_FORMAT, a, b);
}

void
trb_client_get_inclusion_proof_async (TrbClient           *self,
                                      guint64              index,
                                      guint64              tree_size,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *path = proof_path (TRUE, index, tree_size);

  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

JsonObject *
trb_client_get_inclusion_proof_sync (TrbClient     *self,
                                     guint64        index,
                                     guint64        tree_size,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  g_autofree char *path = proof_path (TRUE, index, tree_size);

  return trb_client_get_json_sync (self, path, cancellable, error);
}

void
trb_client_get_consistency_proof_async (TrbClient           *self,
                                        guint64              first,
                                        guint64              second,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *path = proof_path (FALSE, first, second);

  trb_client_get_json_async (self, path, cancellable, callback, user_data);
}

JsonObject *
trb_client_get_consistency_proof_sync (TrbClient     *self,
                                       guint64        first,
                                       guint64        second,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  g_autofree char *path = proof_path (FALSE, first, second);

  return trb_client_get_json_sync (self, path, cancellable, error);
}

static JsonNode *
cosignature_body (guint64     tree_size,
                  const char *line)
{
  JsonNode *body = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autofree char *trimmed = g_strdup (line);

  g_strchomp (trimmed);
  json_object_set_int_member (obj, "tree_size", tree_size);
  json_object_set_string_member (obj, "cosignature", trimmed);
  json_node_set_object (body, obj);
  return body;
}

void
trb_client_post_cosignature_async (TrbClient           *self,
                                   guint64              tree_size,
                                   const char          *line,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonNode) body = cosignature_body (tree_size, line);

  trb_client_post_json_async (self, "/v1/ledger/cosignatures", body, cancellable, callback,
                              user_data);
}

JsonObject *
trb_client_post_cosignature_sync (TrbClient     *self,
                                  guint64        tree_size,
                                  const char    *line,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autoptr(JsonNode) body = cosignature_body (tree_size, line);

  return trb_client_post_json_sync (self, "/v1/ledger/cosignatures", body, cancellable, error);
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

/* ---- blobs and checkpoints ---------------------------------------------------------------- */

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
  start_request (self, "GET", path, NULL, NULL, FALSE, TRUE,
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
  bytes = run_request_sync (self, "GET", path, NULL, NULL, FALSE, TRUE,
                            MIN (max_size, TRB_CLIENT_MAX_BLOB), cancellable, error);
  return bytes != NULL ? checked_blob (bytes, sha256, error) : NULL;
}

/* The checkpoint's text, if it is text. */
static char *
checkpoint_text (GBytes  *bytes,
                 GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (!g_utf8_validate_len (data, len, NULL) || memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network sent an unreadable checkpoint."));
      return NULL;
    }
  return g_strndup (data, len);
}

static void
checkpoint_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = trb_client_request_finish (TRB_CLIENT (source), result, &error);
  char *text = bytes != NULL ? checkpoint_text (bytes, &error) : NULL;

  if (text == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, text, g_free);
}

void
trb_client_get_checkpoint_async (TrbClient           *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TRB_IS_CLIENT (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_client_get_checkpoint_async);
  start_request (self, "GET", "/v1/ledger/checkpoint", NULL, NULL, FALSE, FALSE,
                 TRB_PROTOCOL_MAX_CHECKPOINT, cancellable, checkpoint_done_cb, task);
}

/**
 * trb_client_get_checkpoint_finish:
 *
 * Returns: (transfer full): the signed note text, not yet verified
 */
char *
trb_client_get_checkpoint_finish (TrbClient     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * trb_client_get_checkpoint_sync:
 *
 * The blocking form of trb_client_get_checkpoint_async(), for worker threads.
 *
 * Returns: (transfer full): the signed note text, not yet verified
 */
char *
trb_client_get_checkpoint_sync (TrbClient     *self,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (TRB_IS_CLIENT (self), NULL);
  bytes = run_request_sync (self, "GET", "/v1/ledger/checkpoint", NULL, NULL, FALSE, FALSE,
                            TRB_PROTOCOL_MAX_CHECKPOINT, cancellable, error);
  return bytes != NULL ? checkpoint_text (bytes, error) : NULL;
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

/**
 * trb_client_parse_event:
 * @text: an event message
 * @length: its length
 * @error: return location for an error
 *
 * Returns: (transfer full): the event, with at least `seq` and `type`, or %NULL
 */
JsonObject *
trb_client_parse_event (const char  *text,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *obj;

  if (length > 64 * 1024 || !trb_json_parser_load_bounded (parser, text, length, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  obj = json_node_get_object (root);
  if (json_object_get_int_member_with_default (obj, "seq", -1) < 1 ||
      trb_json_get_string (obj, "type", NULL) == NULL)
    goto bad;
  return json_object_ref (obj);

bad:
  g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                       _("The network sent an unreadable event."));
  return NULL;
}

/**
 * trb_client_is_selected:
 * @model: the round's model hash (hex)
 * @address: a participant's address
 * @fraction: the task's `round_policy.fraction`
 *
 * Whether a round asks @address for an update: the first 8 bytes of
 * SHA-256(@model "\n" @address), read big-endian and divided by 2^64, are below @fraction.
 * Anyone can check the node's choice, and it changes with every round's model.
 *
 * Returns: %TRUE if selected
 */
gboolean
trb_client_is_selected (const char *model,
                        const char *address,
                        double      fraction)
{
  g_autofree char *text = NULL;
  guint8 digest[32];
  gsize len = sizeof digest;
  GChecksum *checksum;
  guint64 value = 0;

  g_return_val_if_fail (model != NULL && address != NULL, FALSE);

  if (fraction >= 1.0)
    return TRUE;
  if (fraction <= 0.0)
    return FALSE;
  text = g_strconcat (model, "\n", address, NULL);
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guint8 *)text, strlen (text));
  g_checksum_get_digest (checksum, digest, &len);
  g_checksum_free (checksum);
  for (int i = 0; i < 8; i++)
    value = (value << 8) | digest[i];
  return value / 18446744073709551616.0 < fraction;
}

/* ---- verification helpers ----------------------------------------------------------------- */

/**
 * trb_client_proof_from_json:
 * @proof: an inclusion or consistency proof object
 * @error: return location for an error
 *
 * Returns: (transfer full): the proof's hashes, 32 bytes each, concatenated
 */
GBytes *
trb_client_proof_from_json (JsonObject  *proof,
                            GError     **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  JsonNode *node = json_object_get_member (proof, "hashes");
  JsonArray *hashes;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (hashes = json_node_get_array (node)) > TRB_MERKLE_MAX_PROOF_HASHES)
    goto bad;
  for (guint i = 0; i < json_array_get_length (hashes); i++)
    {
      JsonNode *element = json_array_get_element (hashes, i);
      g_autofree guint8 *raw = NULL;
      gsize len = 0;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING ||
          strlen (json_node_get_string (element)) != 44)
        goto bad;
      raw = g_base64_decode (json_node_get_string (element), &len);
      if (len != TRB_MERKLE_HASH_SIZE)
        goto bad;
      g_byte_array_append (out, raw, len);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));

bad:
  g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                       _("The network sent an unreadable ledger proof."));
  return NULL;
}

/**
 * trb_client_task_number:
 * @task: a task's description
 * @section: an object in it, such as "hyper_parameters" or "privacy_policy"
 * @name: a member of @section
 * @fallback: what to answer when it is missing or not a number
 *
 * Returns: the number @section.@name of @task, or @fallback
 */
double
trb_client_task_number (JsonObject *task,
                        const char *section,
                        const char *name,
                        double      fallback)
{
  JsonNode *node = json_object_get_member (task, section);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return fallback;
  return trb_json_get_number (json_node_get_object (node), name, fallback);
}

static int
read_count (JsonObject *round,
            const char *name)
{
  double value = trb_json_get_number (round, name, -1);

  if (!(value >= 0))
    return -1;
  return (int) MIN (value, TRB_CLIENT_MAX_ROUND_UPDATES);
}

/**
 * trb_client_round_counts_from_json:
 * @round: a round's description, as the network sent it
 * @now: the Unix time now
 * @counts: (out caller-allocates): where to put what @round says
 *
 * Reads the deadline and the update counts of @round for telling the person what the round
 * waits for. Counts are capped at %TRB_CLIENT_MAX_ROUND_UPDATES and a deadline more than a
 * year away from @now is taken as unknown: the network may send anything.
 */
void
trb_client_round_counts_from_json (JsonObject           *round,
                                   gint64                now,
                                   TrbClientRoundCounts *counts)
{
  double deadline;

  g_return_if_fail (counts != NULL);

  deadline = trb_json_get_number (round, "deadline", 0);
  counts->deadline = deadline > now - 366 * 86400.0 && deadline < now + 366 * 86400.0 ?
                     (gint64) deadline : 0;
  counts->updates = read_count (round, "updates");
  counts->min_updates = read_count (round, "min_updates");
  counts->max_updates = read_count (round, "max_updates");
}

/**
 * trb_client_verify_receipt:
 * @receipt: a receipt answered by trb_client_upload_update_async()
 * @ledger_public_key: the network's pinned 32-byte ledger key
 * @error: return location for an error
 *
 * Returns: %TRUE if the ledger key signed @receipt
 */
gboolean
trb_client_verify_receipt (JsonObject    *receipt,
                           const guint8  *ledger_public_key,
                           GError       **error)
{
  const char *update = trb_json_get_string (receipt, "update", NULL);
  const char *task = trb_json_get_string (receipt, "task", NULL);
  const char *participant = trb_json_get_string (receipt, "participant", NULL);
  const char *sig_b64 = trb_json_get_string (receipt, "signature", NULL);
  gint64 round = json_object_get_int_member_with_default (receipt, "round", -1);
  gint64 index = json_object_get_int_member_with_default (receipt, "leaf_index", -1);
  g_autofree char *text = NULL;
  g_autofree guint8 *sig = NULL;
  gsize sig_len = 0;

  if (update == NULL || task == NULL || participant == NULL || sig_b64 == NULL || round < 1 ||
      index < 0 || strlen (sig_b64) != 88)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network sent an unreadable receipt."));
      return FALSE;
    }
  text = g_strdup_printf ("tributary-receipt/v1\n%s\n%s\n%" G_GINT64_FORMAT "\n%s\n%"
                          G_GINT64_FORMAT "\n", update, task, round, participant, index);
  sig = g_base64_decode (sig_b64, &sig_len);
  if (sig_len != crypto_sign_BYTES ||
      crypto_sign_verify_detached (sig, (const guint8 *)text, strlen (text),
                                   ledger_public_key) != 0)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                           _("The network’s receipt is not signed by its ledger key."));
      return FALSE;
    }
  return TRUE;
}

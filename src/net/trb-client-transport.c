/* trb-client-transport.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The request machinery of TrbClient: a request's tries, signed afresh each time, its backoff with
 * jitter and its wait when the node asks for one, the limit on what is read, the resumption of a
 * download cut short, and what an answer means (judge_answer(), the steps of an exchange). Both
 * paths act on the same verdicts: the asynchronous one for the main thread, and the blocking one
 * (trb_client_sleep() and the `_sync` calls) for worker threads, which iterates no main context.
 */

#define G_LOG_DOMAIN "trb-client"

#include "config.h"

#include "trb-client-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "net/trb-http-signature.h"
#include "trb-json.h"

#define READ_CHUNK   (64 * 1024)

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

  trb_client_error_set_details (error, problem, update,
                                req != NULL ? req->cause_domain : 0,
                                req != NULL ? req->cause_code : 0,
                                req != NULL && req->msg != NULL
                                  ? soup_message_get_status (req->msg) : 0);
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

/* What a step of an exchange (the message sent, a chunk of the answer read) means for the
 * request; the asynchronous callbacks and the blocking loop both act on it, so that a
 * cancellation, a connection error and a limit are handled the same way on either path. */
typedef enum
{
  STEP_MORE,       /* read on */
  STEP_END,        /* the answer is complete: judge_answer() says what it means */
  STEP_CANCELLED,  /* the request's cancellable was cancelled: the error ends the request */
  STEP_FAILED,     /* a limit or a bad answer: the error ends the request */
  STEP_RETRY,      /* a connection error: the error is worth another try */
} Step;

static Step
judge_failed_io (Request *req,
                 GError  *io_error)
{
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return STEP_CANCELLED;
  note_cause (req, io_error);
  return STEP_RETRY;
}

/* The message sent, @stream its answer or %NULL with @error the send's error. On %STEP_FAILED,
 * @error is set to the error that ends the request. */
static Step
judge_sent (Request      *req,
            GInputStream *stream,
            GError      **error)
{
  if (stream == NULL)
    return judge_failed_io (req, *error);
  return begin_body (req, error) ? STEP_MORE : STEP_FAILED;
}

/* A chunk read, or %NULL with @error the read's error. */
static Step
judge_chunk (Request *req,
             GBytes  *chunk,
             GError **error)
{
  if (chunk == NULL)
    {
      Step next = judge_failed_io (req, *error);

      if (next == STEP_RETRY)
        forget_partial (req);
      return next;
    }
  if (g_bytes_get_size (chunk) == 0)
    return STEP_END;
  return append_chunk (req, chunk, error) ? STEP_MORE : STEP_FAILED;
}

/* Ends the task with @error, or tries again after a connection error. */
static void
act_on_step (GTask  *task,
             Step    next,
             GError *error)
{
  if (next == STEP_RETRY)
    {
      retry_or_fail (task, TRB_CLIENT_ERROR_NETWORK, error->message);
      g_error_free (error);
      return;
    }
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);
  Step next = judge_chunk (g_task_get_task_data (task), chunk, &error);

  if (next == STEP_MORE)
    {
      g_input_stream_read_bytes_async (G_INPUT_STREAM (source), READ_CHUNK, G_PRIORITY_DEFAULT,
                                       g_task_get_cancellable (task), read_cb, task);
      return;
    }
  if (next != STEP_CANCELLED)
    g_input_stream_close (G_INPUT_STREAM (source), NULL, NULL);
  if (next == STEP_END)
    finish_response (task);
  else
    act_on_step (task, next, g_steal_pointer (&error));
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (source), result,
                                                             &error);
  Step next = judge_sent (g_task_get_task_data (task), stream, &error);

  if (next == STEP_MORE)
    g_input_stream_read_bytes_async (stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                     g_task_get_cancellable (task), read_cb, task);
  else
    act_on_step (task, next, g_steal_pointer (&error));
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

void
trb_client_start_request (TrbClient          *self,
                          const char         *method,
                          const char         *path,
                          GBytes             *body,
                          const char         *content_type,
                          gboolean            sign,
                          gboolean            resumable,
                          gsize               max_response,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
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
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send (self->session, req->msg, cancellable,
                                                      &local_error);
  Step next = judge_sent (req, stream, &local_error);

  /* An answer refused at its head is left unread, as on the asynchronous path. */
  if (next == STEP_FAILED)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  while (next == STEP_MORE)
    {
      g_autoptr(GBytes) chunk = g_input_stream_read_bytes (stream, READ_CHUNK, cancellable,
                                                           &local_error);

      next = judge_chunk (req, chunk, &local_error);
    }
  if (stream != NULL)
    g_input_stream_close (stream, NULL, NULL);
  if (next == STEP_END)
    return TRUE;
  g_propagate_error (next == STEP_RETRY ? retry : error, g_steal_pointer (&local_error));
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

GBytes *
trb_client_run_request_sync (TrbClient    *self,
                             const char   *method,
                             const char   *path,
                             GBytes       *body,
                             const char   *content_type,
                             gboolean      sign,
                             gboolean      resumable,
                             gsize         max_response,
                             GCancellable *cancellable,
                             GError      **error)
{
  Request *req = request_new (method, path, body, content_type, sign, resumable, max_response);
  GBytes *bytes = request_sync (self, req, cancellable, error);

  request_free (req);
  return bytes;
}

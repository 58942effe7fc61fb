/* trb-node-http.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HTTP: listening, limits read before bodies, connection accounting, rate limits,
 * signature checks and problem replies.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-http.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>

#include "ledger/trb-canonical-json.h"
#include "net/trb-http-signature.h"
#include "net/trb-local-addresses.h"
#include "trb-json.h"

#include "trb-node-api.h"
#include "trb-node-private.h"

/* ---- HTTP --------------------------------------------------------------------------------- */

/* JSON as the node sends it: numbers in their shortest form that reads back the same (a task's
 * 0.05 is sent as 0.05, not 0.050000000000000003 as json-glib writes it), in every locale.
 * That is the canonical form of the ledger, whose only other effect is sorted members. */
char *
trb_node_json_to_string (JsonNode *node)
{
  g_autoptr(GError) error = NULL;
  char *text = trb_canonical_json_serialize (node, NULL, &error);

  /* An integer past 2^53 has no exact JSON number: json-glib writes it as it is. */
  if (text == NULL)
    text = json_to_string (node, FALSE);
  return text;
}

void
trb_node_reply_json (SoupServerMessage *msg,
                     guint              status,
                     JsonNode          *node)
{
  g_autofree char *text = trb_node_json_to_string (node);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

/* An RFC 9457 problem document. */
static char *
problem_text (guint       status,
              const char *type,
              const char *title,
              const char *detail)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *uri = g_strconcat (PROBLEM_BASE, type, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, uri);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, title);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  if (detail != NULL)
    {
      json_builder_set_member_name (b, "detail");
      json_builder_add_string_value (b, detail);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  return json_to_string (node, FALSE);
}

void
trb_node_reply_problem (SoupServerMessage *msg,
                        guint              status,
                        const char        *type,
                        const char        *title,
                        const char        *detail)
{
  g_autofree char *text = problem_text (status, type, title, detail);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/problem+json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

/* After a refusal the node reads, and drops, what the client is still sending for a moment
 * before it closes (a "lingering close", as HTTP servers do): closing at once would reset the
 * connection under a client still sending its body, which then never reads the answer. */
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (16 * 1024 * 1024)

/* Connections refused for the caps linger too, but only so many at once: past that they are
 * closed as soon as the answer is written, so that the caps stay a bound on descriptors. */
#define MAX_LINGERING_REFUSALS 64

static guint n_lingering_refusals;

typedef struct
{
  GIOStream    *stream;
  GSocket      *socket;   /* (nullable): to shut down for writing */
  GCancellable *cancellable;
  guint         timeout_id;
  gboolean      counted;  /* in n_lingering_refusals */
  guint8        buffer[16384];
  gsize         drained;
  gint64        deadline;
} Linger;

static void
linger_free (Linger *linger)
{
  g_io_stream_close_async (linger->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_object_unref (linger->stream);
  g_clear_object (&linger->socket);
  g_clear_handle_id (&linger->timeout_id, g_source_remove);
  g_object_unref (linger->cancellable);
  if (linger->counted)
    n_lingering_refusals--;
  g_free (linger);
}

/* A client that neither sends nor closes is not waited for past the deadline. */
static gboolean
linger_timeout_cb (gpointer user_data)
{
  Linger *linger = user_data;

  linger->timeout_id = 0;
  g_cancellable_cancel (linger->cancellable);
  return G_SOURCE_REMOVE;
}

static void
lingered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Linger *linger = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0 || g_get_monotonic_time () > linger->deadline ||
      (linger->drained += n) > LINGER_MAX_BYTES)
    {
      linger_free (linger);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (linger->stream), linger->buffer,
                             sizeof linger->buffer, G_PRIORITY_DEFAULT, linger->cancellable,
                             lingered_cb, linger);
}

static void
refusal_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Linger *linger = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  if (linger->socket != NULL)
    g_socket_shutdown (linger->socket, FALSE, TRUE, NULL);
  linger->deadline = g_get_monotonic_time () + LINGER_MS * 1000;
  linger->timeout_id = g_timeout_add (LINGER_MS, linger_timeout_cb, linger);
  g_input_stream_read_async (g_io_stream_get_input_stream (linger->stream), linger->buffer,
                             sizeof linger->buffer, G_PRIORITY_DEFAULT, linger->cancellable,
                             lingered_cb, linger);
}

/* libsoup 3.2 has no reason phrase for these ("Unknown Error"). */
static const char *
status_phrase (guint status)
{
  if (status == 429)
    return "Too Many Requests";
  if (status == 431)
    return "Request Header Fields Too Large";
  return soup_status_get_phrase (status);
}

/* The whole answer of a refusal, for a connection that the node answers itself. */
static char *
refusal_text (guint       status,
              const char *type,
              const char *title,
              const char *detail,
              guint       retry_after_s,
              gsize      *length)
{
  g_autofree char *text = problem_text (status, type, title, detail);
  GString *response = g_string_new (NULL);

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/problem+json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Cache-Control: no-store\r\n",
                          status, status_phrase (status), strlen (text));
  if (retry_after_s > 0)
    g_string_append_printf (response, "Retry-After: %u\r\n", retry_after_s);
  g_string_append_printf (response, "Connection: close\r\n\r\n%s", text);
  *length = response->len;
  return g_string_free (response, FALSE);
}

/* Writes a refusal on @stream, then lingers and closes it. @socket, when the stream is plain
 * TCP, is shut down for writing once the answer is out, so that the client sees its end. */
static Linger *
refuse_stream (GIOStream  *stream,
               GSocket    *socket,
               guint       status,
               const char *type,
               const char *title,
               const char *detail,
               guint       retry_after_s)
{
  gsize length;
  char *bytes = refusal_text (status, type, title, detail, retry_after_s, &length);
  Linger *linger = g_new0 (Linger, 1);

  linger->stream = stream;
  linger->socket = socket != NULL ? g_object_ref (socket) : NULL;
  linger->cancellable = g_cancellable_new ();
  /* Kept as long as the stream, which outlives the write. */
  g_object_set_data_full (G_OBJECT (stream), "trb-refusal", bytes, g_free);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), bytes, length,
                                   G_PRIORITY_DEFAULT, NULL, refusal_written_cb, linger);
  return linger;
}

static GSocket *plain_socket_of (TrbNode        *self,
                                 GSocketAddress *remote);

/* Refuses a request before its body is read, and closes the connection. SoupServer would read
 * the whole body (and keep it in memory) before sending a reply set here, even a 413: so the
 * connection is taken from it, the problem written by hand, and what follows is dropped. */
static void
refuse_and_close (TrbNode           *self,
                  SoupServerMessage *msg,
                  guint              status,
                  const char        *type,
                  const char        *title,
                  const char        *detail,
                  guint              retry_after_s)
{
  GSocket *socket = plain_socket_of (self, soup_server_message_get_remote_address (msg));

  refuse_stream (soup_server_message_steal_connection (msg), socket, status, type, title, detail,
                 retry_after_s);
}

void
trb_node_reply_internal (SoupServerMessage *msg,
                         const GError      *error)
{
  g_warning ("Request failed: %s", error != NULL ? error->message : "unknown error");
  trb_node_reply_problem (msg, 500, "internal", "The node could not store the request",
                          "Please try again later.");
}

static gsize
body_limit_for_path (const char *path)
{
  if (g_str_has_prefix (path, "/v1/tasks/") && g_str_has_suffix (path, "/updates"))
    return MAX_UPDATE_BODY;
  return MAX_JSON_BODY;
}

/* ---- Connections -------------------------------------------------------------------------- */

/* The node accepts connections itself, on a GSocketService, and hands one to SoupServer only
 * once its request's head (request line and headers) has arrived and been looked at:
 *
 * - the caps on open connections, in all and per remote address, are applied at accept, before
 *   anything is read: a connection over one is answered 503 by the node and closed;
 * - libsoup before 3.5.2 leaks, inside its own parser, the path of every request whose body
 *   encoding it does not recognise (a Transfer-Encoding other than chunked, a Content-Length
 *   that is not a number): up to 64 KB each, before any handler runs. The node parses the head
 *   as libsoup will, answers those itself, and SoupServer never reads them.
 *
 * Every connection is in `connections` from accept until its descriptor is closed: by the idle
 * sweep, by the node after a refusal, or when SoupServer closes the stream it was given. So the
 * caps count what is really open, at once. */
typedef struct
{
  guint              ref_count;
  TrbNode           *node;        /* (unowned) NULL once the connection is gone */
  GSocketConnection *connection;
  GIOStream         *transport;   /* the connection, or TLS over it */
  GIOStream         *stream;      /* (nullable) what SoupServer is given, once the head is read */
  GSocketAddress    *local;
  GSocketAddress    *remote;      /* the key; SoupServer gives the same object back */
  char              *host;
  GByteArray        *head;        /* what was read before the hand-over */
  GCancellable      *cancellable;
  gint64             since;       /* when it started waiting for a request */
  gboolean           waiting;
} Connection;

static Connection *
connection_ref (Connection *conn)
{
  conn->ref_count++;
  return conn;
}

static void
connection_unref (Connection *conn)
{
  if (--conn->ref_count > 0)
    return;
  g_object_unref (conn->connection);
  g_object_unref (conn->transport);
  g_clear_object (&conn->stream);
  g_object_unref (conn->local);
  g_object_unref (conn->remote);
  g_free (conn->host);
  g_byte_array_unref (conn->head);
  g_object_unref (conn->cancellable);
  g_free (conn);
}

/* Removed from `connections`: its descriptor is closed now, and it no longer counts. */
static void
connection_gone (gpointer data)
{
  Connection *conn = data;
  TrbNode *self = conn->node;
  guint from_host = GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_per_host,
                                                           conn->host));

  conn->node = NULL;
  g_cancellable_cancel (conn->cancellable);
  g_socket_close (g_socket_connection_get_socket (conn->connection), NULL);
  if (from_host > 1)
    g_hash_table_insert (self->connections_per_host, g_strdup (conn->host),
                         GUINT_TO_POINTER (from_host - 1));
  else
    g_hash_table_remove (self->connections_per_host, conn->host);
  connection_unref (conn);
}

static void
connection_drop (Connection *conn)
{
  if (conn->node != NULL)
    g_hash_table_remove (conn->node->connections, conn->remote);
}

/* The connection's socket, when it is plain TCP (not TLS), for a shutdown after a refusal. */
static GSocket *
plain_socket_of (TrbNode        *self,
                 GSocketAddress *remote)
{
  Connection *conn = remote != NULL && self->connections != NULL
    ? g_hash_table_lookup (self->connections, remote) : NULL;

  if (conn == NULL || conn->transport != G_IO_STREAM (conn->connection))
    return NULL;
  return g_socket_connection_get_socket (conn->connection);
}

/* The input SoupServer reads: the bytes the node already read from the connection, then the
 * connection itself. Pollable, as libsoup needs its streams to be. */
#define TRB_TYPE_PREFIX_INPUT_STREAM (trb_prefix_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (TrbPrefixInputStream, trb_prefix_input_stream, TRB, PREFIX_INPUT_STREAM,
                      GInputStream)

struct _TrbPrefixInputStream
{
  GInputStream  parent_instance;
  GInputStream *base;
  GBytes       *prefix;
  gsize         offset;
};

static void trb_prefix_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbPrefixInputStream, trb_prefix_input_stream,
                               G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      trb_prefix_input_stream_pollable_init))

static gboolean
prefix_left (TrbPrefixInputStream *self)
{
  return self->offset < g_bytes_get_size (self->prefix);
}

static gssize
take_prefix (TrbPrefixInputStream *self,
             void                 *buffer,
             gsize                 count)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (self->prefix, &size);
  gsize n = MIN (count, size - self->offset);

  memcpy (buffer, data + self->offset, n);
  self->offset += n;
  return n;
}

static gssize
trb_prefix_input_stream_read (GInputStream  *stream,
                              void          *buffer,
                              gsize          count,
                              GCancellable  *cancellable,
                              GError       **error)
{
  TrbPrefixInputStream *self = TRB_PREFIX_INPUT_STREAM (stream);

  if (prefix_left (self))
    return take_prefix (self, buffer, count);
  return g_input_stream_read (self->base, buffer, count, cancellable, error);
}

/* The connection's stream closes the socket: nothing to do here. */
static gboolean
trb_prefix_input_stream_close (GInputStream  *stream,
                               GCancellable  *cancellable,
                               GError       **error)
{
  return TRUE;
}

static gboolean
trb_prefix_input_stream_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
trb_prefix_input_stream_is_readable (GPollableInputStream *stream)
{
  TrbPrefixInputStream *self = TRB_PREFIX_INPUT_STREAM (stream);

  return prefix_left (self) ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
trb_prefix_input_stream_create_source (GPollableInputStream *stream,
                                       GCancellable         *cancellable)
{
  TrbPrefixInputStream *self = TRB_PREFIX_INPUT_STREAM (stream);
  g_autoptr(GSource) child = NULL;

  /* Bytes still held are readable at once. */
  if (prefix_left (self))
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base),
                                                   cancellable);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
trb_prefix_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                          void                  *buffer,
                                          gsize                  count,
                                          GError               **error)
{
  TrbPrefixInputStream *self = TRB_PREFIX_INPUT_STREAM (stream);

  if (prefix_left (self))
    return take_prefix (self, buffer, count);
  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base), buffer,
                                                   count, NULL, error);
}

static void
trb_prefix_input_stream_finalize (GObject *object)
{
  TrbPrefixInputStream *self = TRB_PREFIX_INPUT_STREAM (object);

  g_object_unref (self->base);
  g_bytes_unref (self->prefix);
  G_OBJECT_CLASS (trb_prefix_input_stream_parent_class)->finalize (object);
}

static void
trb_prefix_input_stream_class_init (TrbPrefixInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = trb_prefix_input_stream_finalize;
  input_class->read_fn = trb_prefix_input_stream_read;
  input_class->close_fn = trb_prefix_input_stream_close;
}

static void
trb_prefix_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = trb_prefix_input_stream_can_poll;
  iface->is_readable = trb_prefix_input_stream_is_readable;
  iface->create_source = trb_prefix_input_stream_create_source;
  iface->read_nonblocking = trb_prefix_input_stream_read_nonblocking;
}

static void
trb_prefix_input_stream_init (TrbPrefixInputStream *self)
{
}

/* A connection as SoupServer (or a refusal) gets it. Closing it, or dropping its last
 * reference, closes the socket and takes the connection out of the node's account at once:
 * SoupServer closes it synchronously when it is done with a connection. */
#define TRB_TYPE_NODE_STREAM (trb_node_stream_get_type ())
G_DECLARE_FINAL_TYPE (TrbNodeStream, trb_node_stream, TRB, NODE_STREAM, GIOStream)

struct _TrbNodeStream
{
  GIOStream       parent_instance;
  TrbNode        *node;        /* (nullable) a weak pointer */
  GInputStream   *input;
  GIOStream      *transport;
  GSocket        *socket;
  GSocketAddress *remote;
};

G_DEFINE_FINAL_TYPE (TrbNodeStream, trb_node_stream, G_TYPE_IO_STREAM)

static GInputStream *
trb_node_stream_get_input_stream (GIOStream *stream)
{
  return TRB_NODE_STREAM (stream)->input;
}

static GOutputStream *
trb_node_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (TRB_NODE_STREAM (stream)->transport);
}

static gboolean
trb_node_stream_close (GIOStream     *stream,
                       GCancellable  *cancellable,
                       GError       **error)
{
  TrbNodeStream *self = TRB_NODE_STREAM (stream);
  Connection *conn;

  g_socket_close (self->socket, NULL);
  if (self->node != NULL && self->node->connections != NULL &&
      (conn = g_hash_table_lookup (self->node->connections, self->remote)) != NULL &&
      conn->stream == stream)
    connection_drop (conn);
  return TRUE;
}

/* Closing is immediate: not in a thread, as GIOStream's default would, since the account is
 * kept on the main loop. */
static void
trb_node_stream_close_async (GIOStream           *stream,
                             int                  io_priority,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, trb_node_stream_close_async);
  trb_node_stream_close (stream, cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

static gboolean
trb_node_stream_close_finish (GIOStream     *stream,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
trb_node_stream_finalize (GObject *object)
{
  TrbNodeStream *self = TRB_NODE_STREAM (object);

  g_clear_weak_pointer (&self->node);
  g_object_unref (self->input);
  g_object_unref (self->transport);
  g_object_unref (self->socket);
  g_object_unref (self->remote);
  G_OBJECT_CLASS (trb_node_stream_parent_class)->finalize (object);
}

static void
trb_node_stream_class_init (TrbNodeStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = trb_node_stream_finalize;
  stream_class->get_input_stream = trb_node_stream_get_input_stream;
  stream_class->get_output_stream = trb_node_stream_get_output_stream;
  stream_class->close_fn = trb_node_stream_close;
  stream_class->close_async = trb_node_stream_close_async;
  stream_class->close_finish = trb_node_stream_close_finish;
}

static void
trb_node_stream_init (TrbNodeStream *self)
{
}

/* The stream of @conn, which replays what was read of it so far. */
static GIOStream *
connection_stream (Connection *conn)
{
  TrbNodeStream *stream = g_object_new (TRB_TYPE_NODE_STREAM, NULL);
  TrbPrefixInputStream *input = g_object_new (TRB_TYPE_PREFIX_INPUT_STREAM, NULL);

  input->base = g_object_ref (g_io_stream_get_input_stream (conn->transport));
  input->prefix = g_bytes_new (conn->head->data, conn->head->len);
  stream->input = G_INPUT_STREAM (input);
  stream->transport = g_object_ref (conn->transport);
  stream->socket = g_object_ref (g_socket_connection_get_socket (conn->connection));
  stream->remote = g_object_ref (conn->remote);
  g_set_weak_pointer (&stream->node, conn->node);
  conn->stream = G_IO_STREAM (g_object_ref (stream));
  return G_IO_STREAM (stream);
}

/* libsoup's reader (soup_message_io_data_read_headers()) ends a request's head at the first
 * line that is empty ("\n" or "\r\n") after at least one other. Returns the length of the head
 * without that line, as libsoup parses it, or -1 when it has not arrived yet. */
static gssize
head_length (const guint8 *data,
             gsize         length)
{
  gsize start = 0;

  for (;;)
    {
      const guint8 *lf = memchr (data + start, '\n', length - start);
      gsize line;

      if (lf == NULL)
        return -1;
      line = lf - (data + start) + 1;
      if ((line == 1 && start >= 2) || (line == 2 && start >= 3 && data[start] == '\r'))
        return start;
      start += line;
    }
}

static void read_head (Connection *conn);

/* Either hands the connection to SoupServer or answers it here, when SoupServer would leak the
 * request (see above). The head is parsed by libsoup's own parser, on a copy of the same bytes
 * SoupServer parses, so that the two cannot disagree. */
static void
check_head (Connection *conn,
            gsize       length)
{
  TrbNode *self = conn->node;
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *text = g_malloc (length + 1);
  g_autofree char *method = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  SoupHTTPVersion version;
  const char *encoding;
  guint status;

  memcpy (text, conn->head->data, length);
  text[length] = '\0';
  status = soup_headers_parse_request (text, length, headers, &method, &path, &version);
  encoding = soup_message_headers_get_list (headers, "Transfer-Encoding");
  stream = connection_stream (conn);
  if (status == SOUP_STATUS_OK &&
      ((encoding != NULL && g_ascii_strcasecmp (encoding, "chunked") != 0) ||
       soup_message_headers_get_encoding (headers) == SOUP_ENCODING_UNRECOGNIZED))
    {
      GSocket *socket = plain_socket_of (self, conn->remote);

      if (encoding != NULL)
        refuse_stream (g_steal_pointer (&stream), socket, 501, "unsupported-encoding",
                       "The request’s Transfer-Encoding is not supported",
                       "Send the body with a Content-Length.", 0);
      else
        refuse_stream (g_steal_pointer (&stream), socket, 400, "bad-request",
                       "The request’s Content-Length is not valid", NULL, 0);
      return;
    }
  if (!soup_server_accept_iostream (self->server, stream, conn->local, conn->remote, &error))
    {
      g_debug ("A connection could not be served: %s", error->message);
      connection_drop (conn);
    }
}

static void
head_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connection *conn = user_data;
  gsize before = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (source), "trb-head-before"));
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);
  gssize length;

  if (conn->node == NULL)
    goto out;
  g_byte_array_set_size (conn->head, before + MAX (n, 0));
  if (n < 0 || (n == 0 && conn->head->len == 0))
    connection_drop (conn);
  else if (n == 0)
    /* The client ended its side: libsoup parses whatever came, so the node does too. */
    check_head (conn, conn->head->len);
  else if ((length = head_length (conn->head->data, conn->head->len)) >= 0)
    check_head (conn, length);
  else if (conn->head->len >= MAX_REQUEST_HEAD)
    {
      g_autoptr(GIOStream) stream = connection_stream (conn);

      refuse_stream (g_steal_pointer (&stream), plain_socket_of (conn->node, conn->remote), 431,
                     "too-large", "The request’s headers are too large", NULL, 0);
    }
  else
    read_head (conn);
out:
  connection_unref (conn);
}

/* Reads what is there, in steps of 8 KiB, up to MAX_REQUEST_HEAD: a head usually comes whole in
 * the first step. The idle sweep bounds how long it may take. */
static void
read_head (Connection *conn)
{
  GInputStream *input = g_io_stream_get_input_stream (conn->transport);
  gsize before = conn->head->len;

  g_byte_array_set_size (conn->head, MIN (before + 8192, MAX_REQUEST_HEAD));
  g_object_set_data (G_OBJECT (input), "trb-head-before", GSIZE_TO_POINTER (before));
  g_input_stream_read_async (input, conn->head->data + before, conn->head->len - before,
                             G_PRIORITY_DEFAULT, conn->cancellable, head_read_cb,
                             connection_ref (conn));
}

/* The cap on open connections, under the process's limit on open files less a reserve. */
static guint
connection_cap (TrbNode *self)
{
  struct rlimit limit;
  guint cap = self->max_connections;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    cap = MIN (cap, limit.rlim_cur > RESERVED_DESCRIPTORS + 1
                      ? limit.rlim_cur - RESERVED_DESCRIPTORS : 1);
  return cap;
}

/* Over a cap: a 503, and the connection closed. Nothing of it is handed to SoupServer. While
 * few refusals are under way, the refusal lingers as others do (reading and dropping what the
 * client still sends, for 2 s at most): closing at once with what the client sent unread would
 * reset the connection, and a client still sending its body might never read the answer. Past
 * MAX_LINGERING_REFUSALS, the answer is written at once (it fits any socket buffer), what has
 * arrived is dropped, and the connection closed. Over TLS, closed without an answer: a handshake
 * is more than a refused connection should cost. */
static void
refuse_connection (TrbNode           *self,
                   GSocketConnection *connection,
                   const char        *detail)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  const char *title = "The node has too many connections open";
  gsize length;
  g_autofree char *bytes = NULL;
  char drain[4096];

  if (self->certificate != NULL)
    {
      g_socket_close (socket, NULL);
      return;
    }
  if (n_lingering_refusals < MAX_LINGERING_REFUSALS)
    {
      Linger *linger = refuse_stream (G_IO_STREAM (g_object_ref (connection)), socket, 503,
                                      "too-many-connections", title, detail,
                                      CONNECTIONS_RETRY_AFTER_S);

      linger->counted = TRUE;
      n_lingering_refusals++;
      return;
    }
  bytes = refusal_text (503, "too-many-connections", title, detail, CONNECTIONS_RETRY_AFTER_S,
                        &length);
  g_socket_set_blocking (socket, FALSE);
  g_socket_send (socket, bytes, length, NULL, NULL);
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  for (guint i = 0; i < 16; i++)
    if (g_socket_receive (socket, drain, sizeof drain, NULL, NULL) <= 0)
      break;
  g_socket_close (socket, NULL);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  TrbNode *self = user_data;
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  GIOStream *transport;
  Connection *conn;
  guint from_host;

  if (!G_IS_INET_SOCKET_ADDRESS (remote) || local == NULL)
    {
      g_socket_close (socket, NULL);
      return TRUE;
    }
  host = g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  from_host = GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_per_host, host));
  if (g_hash_table_size (self->connections) >= connection_cap (self))
    {
      refuse_connection (self, connection, "Try again in a moment.");
      return TRUE;
    }
  if (from_host >= self->max_connections_per_host)
    {
      refuse_connection (self, connection, "Too many connections are open from this address; "
                                           "try again in a moment.");
      return TRUE;
    }

  if (self->certificate != NULL)
    {
      /* The handshake happens with the first read of the head, under the same idle timeout. */
      transport = g_tls_server_connection_new (G_IO_STREAM (connection), self->certificate,
                                               &error);
      if (transport == NULL)
        {
          g_debug ("No TLS for a connection: %s", error->message);
          g_socket_close (socket, NULL);
          return TRUE;
        }
      g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (transport), FALSE);
    }
  else
    transport = G_IO_STREAM (g_object_ref (connection));
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  conn = g_new0 (Connection, 1);
  conn->ref_count = 1;
  conn->node = self;
  conn->connection = g_object_ref (connection);
  conn->transport = transport;
  conn->local = g_steal_pointer (&local);
  conn->remote = g_steal_pointer (&remote);
  conn->host = g_steal_pointer (&host);
  conn->head = g_byte_array_new ();
  conn->cancellable = g_cancellable_new ();
  conn->waiting = TRUE;
  conn->since = g_get_monotonic_time ();
  g_hash_table_insert (self->connections, conn->remote, conn);
  g_hash_table_insert (self->connections_per_host, g_strdup (conn->host),
                       GUINT_TO_POINTER (from_host + 1));
  read_head (conn);
  return TRUE;
}

/* libsoup before 3.3 never frees a keep-alive connection that the client closes between two
 * requests (fixed upstream in 3.3.0, "server: do not leak idle connections closed by the
 * client"), and libsoup before 3.5.2 leaks a request it cannot read the body of (above): the
 * node checks the head of a connection's first request only, so with such a libsoup every
 * answer closes its connection and every request comes on a connection of its own. (SoupServer
 * 3.2 already closes a connection it was handed with soup_server_accept_iostream() after one
 * request; the header says so to the client, and holds if a later libsoup keeps it open.)
 * Participants make a few requests a minute, so keep-alive buys little here. */
static gboolean
libsoup_needs_one_request_per_connection (void)
{
  return soup_check_version (3, 5, 2) == FALSE;
}

static Connection *
connection_of (TrbNode           *self,
               SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_hash_table_lookup (self->connections, remote) : NULL;
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    TrbNode           *self)
{
  Connection *conn = connection_of (self, msg);

  if (libsoup_needs_one_request_per_connection ())
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                  "close");
  if (conn != NULL)
    {
      conn->waiting = TRUE;
      conn->since = g_get_monotonic_time ();
    }
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 TrbNode           *self)
{
  Connection *conn = connection_of (self, msg);

  if (conn != NULL)
    conn->waiting = FALSE;
}

/* Answered (or given up): the connection waits for its next request from now. */
static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     TrbNode           *self)
{
  Connection *conn = connection_of (self, msg);

  if (conn != NULL)
    {
      conn->waiting = TRUE;
      conn->since = g_get_monotonic_time ();
    }
}

/**
 * trb_node_connection_keep_open: (skip)
 * @self: a node
 * @msg: a request whose connection becomes a WebSocket
 *
 * The connection is no longer closed for being idle (it still counts as open).
 */
void
trb_node_connection_keep_open (TrbNode           *self,
                               SoupServerMessage *msg)
{
  Connection *conn = connection_of (self, msg);

  if (conn != NULL)
    conn->waiting = FALSE;
}

/* A connection waiting for a request, or for the rest of one, longer than the idle timeout is
 * closed: SoupServer would wait for ever, and a client sending a byte at a time holds a
 * connection as long as it likes. A connection whose request is being handled is left alone. */
static gboolean
sweep_connections_cb (gpointer user_data)
{
  TrbNode *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Connection *conn;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    if (g_socket_is_closed (g_socket_connection_get_socket (conn->connection)) ||
        (conn->waiting &&
         now - conn->since > (gint64) self->connection_timeout_s * G_USEC_PER_SEC))
      g_hash_table_iter_remove (&iter);
  return G_SOURCE_CONTINUE;
}

/**
 * trb_node_http_shutdown: (skip)
 * @self: a node
 *
 * Stops accepting and closes every connection; for the node's dispose.
 */
void
trb_node_http_shutdown (TrbNode *self)
{
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  if (self->connections != NULL)
    g_hash_table_remove_all (self->connections);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->connections_per_host, g_hash_table_unref);
  g_clear_object (&self->certificate);
}

/**
 * trb_node_set_connection_timeout:
 * @self: a node
 * @seconds: how long a connection may wait for the next request, or for the rest of one
 *
 * Connections idle for longer are closed (default %TRB_NODE_CONNECTION_TIMEOUT_S).
 */
void
trb_node_set_connection_timeout (TrbNode *self,
                                 guint    seconds)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->connection_timeout_s = CLAMP (seconds, 1, 3600);
}

/**
 * trb_node_set_connection_limits:
 * @self: a node
 * @max_connections: connections open at once (default %TRB_NODE_DEFAULT_MAX_CONNECTIONS)
 * @max_per_address: connections open at once from one address (default
 *   %TRB_NODE_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)
 *
 * A connection over either is answered `503 too-many-connections` with `Retry-After` and closed
 * before anything of it is read. @max_connections is lowered, if need be, to what the process's
 * limit on open files leaves after the descriptors the node needs for itself.
 */
void
trb_node_set_connection_limits (TrbNode *self,
                                guint    max_connections,
                                guint    max_per_address)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->max_connections = MAX (max_connections, 1);
  self->max_connections_per_host = MAX (max_per_address, 1);
}

/* Per-address rate limits on joins and uploads: a token bucket per remote address, refilled at
 * the node's rate (per minute) and holding at most one minute's worth. Checked before the body
 * is read or any signature verified, so a flood costs the node almost nothing. */
typedef struct
{
  double tokens;
  gint64 updated;
} Bucket;

static gboolean
take_token (GHashTable *buckets,
            const char *host,
            guint       per_minute,
            guint      *retry_after_s)
{
  gint64 now = g_get_monotonic_time ();
  double rate = per_minute / 60.0;
  Bucket *bucket = g_hash_table_lookup (buckets, host);

  if (per_minute == 0)
    return TRUE;
  if (bucket == NULL)
    {
      /* Bounded: an attacker with many addresses fills this at most to the cap, then buckets
       * start afresh (no address gets more than a minute's worth from it). */
      if (g_hash_table_size (buckets) >= 100000)
        g_hash_table_remove_all (buckets);
      bucket = g_new0 (Bucket, 1);
      bucket->tokens = per_minute;
      bucket->updated = now;
      g_hash_table_insert (buckets, g_strdup (host), bucket);
    }
  bucket->tokens = MIN ((double) per_minute,
                        bucket->tokens + rate * (now - bucket->updated) / G_USEC_PER_SEC);
  bucket->updated = now;
  if (bucket->tokens >= 1)
    {
      bucket->tokens -= 1;
      return TRUE;
    }
  *retry_after_s = (guint) ceil ((1 - bucket->tokens) / rate);
  return FALSE;
}

static gboolean
within_rate (TrbNode           *self,
             SoupServerMessage *msg,
             const char        *path,
             guint             *retry_after_s)
{
  const char *host = soup_server_message_get_remote_host (msg);

  if (host == NULL)
    return TRUE;
  if (g_str_equal (path, "/v1/participants"))
    return take_token (self->join_buckets, host, self->join_rate, retry_after_s);
  if (g_str_has_prefix (path, "/v1/tasks/") && g_str_has_suffix (path, "/updates"))
    return take_token (self->upload_buckets, host, self->upload_rate, retry_after_s);
  return TRUE;
}

static gboolean
within_challenge_rate (TrbNode           *self,
                       SoupServerMessage *msg,
                       guint             *retry_after_s)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host == NULL ||
         take_token (self->challenge_buckets, host, self->challenge_rate, retry_after_s);
}

/**
 * trb_node_set_challenge_rate:
 * @self: a node
 * @challenges_per_minute: proof-of-work challenges one address may ask for a minute (0: no
 *   limit; default %TRB_NODE_DEFAULT_CHALLENGES_PER_MINUTE)
 *
 * Past it, `GET /v1/participants/challenge` is answered 429 `too-many-requests` with
 * `Retry-After`.
 */
void
trb_node_set_challenge_rate (TrbNode *self,
                             guint    challenges_per_minute)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->challenge_rate = challenges_per_minute;
}

/**
 * trb_node_set_rate_limits:
 * @self: a node
 * @joins_per_minute: joins one address may make a minute (0: no limit)
 * @uploads_per_minute: uploads one address may make a minute (0: no limit)
 */
void
trb_node_set_rate_limits (TrbNode *self,
                          guint    joins_per_minute,
                          guint    uploads_per_minute)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->join_rate = joins_per_minute;
  self->upload_rate = uploads_per_minute;
}

/**
 * trb_node_get_join_policy:
 * @self: a node
 *
 * Returns: (transfer none): who may join the network
 */
TrbJoinPolicy *
trb_node_get_join_policy (TrbNode *self)
{
  g_return_val_if_fail (TRB_IS_NODE (self), NULL);
  return self->join_policy;
}

/* Runs after the headers arrive and before the body is read: refuses oversized bodies early. */
static void
early_handler_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  TrbNode *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  guint retry_after = 0;
  goffset length;

  if (!g_str_equal (soup_server_message_get_method (msg), "POST"))
    {
      /* A challenge costs the node a keyed hash and the client a proof of work: asking for one
       * is limited per address like joins, so that nobody can keep the node hashing. */
      if (g_str_equal (path, "/v1/participants/challenge") &&
          !within_challenge_rate (self, msg, &retry_after))
        refuse_and_close (self, msg, 429, "too-many-requests",
                          "Too many requests from this address", "Wait a moment, then try again.",
                          retry_after);
      return;
    }
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      refuse_and_close (self, msg, 411, "bad-request", "The request must state its length", NULL, 0);
      return;
    }
  length = soup_message_headers_get_content_length (headers);
  if (length < 0 || (guint64) length > body_limit_for_path (path))
    {
      refuse_and_close (self, msg, 413, "too-large", "The request is too large",
                        "The body is larger than the protocol allows for this request.", 0);
      return;
    }
  if (!within_rate (self, msg, path, &retry_after))
    refuse_and_close (self, msg, 429, "too-many-requests", "Too many requests from this address",
                      "Wait a moment, then try again.", retry_after);
}

/* The public URL as a client writes what it signs: its base URL with the path appended, parsed
 * and written back by GUri (the scheme in lower case, no default port, the host as given). */
static char *
normalize_url (const char  *text,
               GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, error);
  char *normalized;

  if (uri == NULL)
    return NULL;
  if ((g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_user (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, G_URI_ERROR, G_URI_ERROR_FAILED,
                   _("“%s” is not an http or https address without user, query or fragment."),
                   text);
      return NULL;
    }
  normalized = g_uri_to_string (uri);
  while (g_str_has_suffix (normalized, "/"))
    normalized[strlen (normalized) - 1] = '\0';
  return normalized;
}

/**
 * trb_node_add_public_url:
 * @self: a node
 * @url: a URL participants reach the node at, for example `https://example.org/tributary`
 * @error: return location for an error
 *
 * Signed requests are checked against the node's public URLs, never against a URI rebuilt from
 * the `Host` header: a request signed for another node, or another path, does not verify here.
 * The first URL added is the one the node names; the `Host` header only picks which of the
 * others a request was signed for. Without any, the node uses the address it listens on
 * (`http://HOST:PORT`) or, listening on every address, each of this computer's addresses as
 * the app's Host a Network page shows them.
 *
 * Returns: %TRUE when @url is an http or https URL
 */
gboolean
trb_node_add_public_url (TrbNode     *self,
                         const char  *url,
                         GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  char *normalized;

  g_return_val_if_fail (TRB_IS_NODE (self), FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  normalized = normalize_url (url, error);
  if (normalized == NULL)
    return FALSE;
  uri = g_uri_parse (normalized, SOUP_HTTP_URI_FLAGS, NULL);
  g_ptr_array_add (self->public_urls, normalized);
  g_ptr_array_add (self->public_authorities,
                   g_uri_get_port (uri) > 0
                     ? g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri))
                     : g_strdup (g_uri_get_host (uri)));
  return TRUE;
}

/**
 * trb_node_get_public_url:
 * @self: a node
 *
 * Returns: (nullable): the node's first public URL, without a trailing slash
 */
const char *
trb_node_get_public_url (TrbNode *self)
{
  g_return_val_if_fail (TRB_IS_NODE (self), NULL);
  return self->public_urls->len > 0 ? g_ptr_array_index (self->public_urls, 0) : NULL;
}

/* The @target-uri a client signed, if it sent this request to one of the node's public URLs:
 * that URL, then the path and query of the request line. */
static char *
target_uri (TrbNode           *self,
            SoupServerMessage *msg)
{
  GUri *request = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (request);
  const char *host = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Host");
  const char *base = trb_node_get_public_url (self);
  g_autofree char *text = NULL;
  g_autoptr(GUri) uri = NULL;

  for (guint i = 1; host != NULL && i < self->public_urls->len; i++)
    if (g_ascii_strcasecmp (host, g_ptr_array_index (self->public_authorities, i)) == 0)
      base = g_ptr_array_index (self->public_urls, i);
  text = g_strconcat (base, g_uri_get_path (request), query != NULL ? "?" : "",
                      query != NULL ? query : "", NULL);
  uri = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, NULL);
  return uri != NULL ? g_uri_to_string (uri) : g_steal_pointer (&text);
}

/* Without --public-url: the URL the node listens at or, listening on every address, the
 * loopback address and each of this computer's, as the host page and its invite links form
 * them (trb_local_addresses_url()). */
static void
add_default_public_urls (TrbNode        *self,
                         const char     *listening_at,
                         GSocketAddress *address)
{
  GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  gboolean v4_only = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4;
  g_auto(GStrv) addresses = NULL;
  g_autofree char *loopback = NULL;
  g_autofree char *name = NULL;

  if (!g_inet_address_get_is_any (inet))
    {
      trb_node_add_public_url (self, listening_at, NULL);
      return;
    }
  if (port == 0)
    {
      g_autoptr(GUri) uri = g_uri_parse (listening_at, SOUP_HTTP_URI_FLAGS, NULL);

      port = uri != NULL && g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 0;
    }
  loopback = trb_local_addresses_url ("127.0.0.1", port);
  trb_node_add_public_url (self, loopback, NULL);
  addresses = trb_local_addresses_list ();
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      g_autofree char *url = NULL;

      if (v4_only && strchr (addresses[i], ':') != NULL)
        continue;
      url = trb_local_addresses_url (addresses[i], port);
      trb_node_add_public_url (self, url, NULL);
    }
  name = g_strconcat (g_get_host_name (), ".local", NULL);
  g_free (loopback);
  loopback = trb_local_addresses_url (name, port);
  trb_node_add_public_url (self, loopback, NULL);
}

/* Verifies the request signature and the nonce. Replies with a problem and returns NULL when
 * the request must be refused. */
char *
trb_node_verify_request (TrbNode           *self,
                         SoupServerMessage *msg,
                         GBytes            *body,
                         char             **nonce_out)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *uri = target_uri (self, msg);
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *nonce = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gsize len = 0;
  const guint8 *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (len > body_limit_for_path (g_uri_get_path (soup_server_message_get_uri (msg))))
    {
      trb_node_reply_problem (msg, 413, "too-large", "The request is too large", NULL);
      return NULL;
    }

  if (!trb_http_signature_verify (soup_server_message_get_method (msg), uri, data, len,
                                  soup_message_headers_get_one (headers, "Content-Digest"),
                                  soup_message_headers_get_one (headers, "Signature-Input"),
                                  soup_message_headers_get_one (headers, "Signature"),
                                  now, &address, &nonce, &error))
    {
      if (g_error_matches (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_UNSIGNED))
        trb_node_reply_problem (msg, 401, "unsigned", "The request is not signed", error->message);
      else if (g_error_matches (error, TRB_HTTP_SIGNATURE_ERROR,
                                TRB_HTTP_SIGNATURE_ERROR_EXPIRED))
        trb_node_reply_problem (msg, 401, "expired", "The request signature has expired",
                                error->message);
      else
        {
          g_autofree char *detail = g_strdup_printf ("%s Requests to this node are signed for "
                                                     "%s/….", error->message,
                                                     trb_node_get_public_url (self));

          trb_node_reply_problem (msg, 401, "bad-signature", "The request signature is not valid",
                                  detail);
        }
      return NULL;
    }

  if (g_hash_table_contains (self->nonces, nonce))
    {
      trb_node_reply_problem (msg, 409, "replayed", "This request was already received",
                              "The nonce was used before.");
      return NULL;
    }
  g_hash_table_insert (self->nonces, g_strdup (nonce),
                       GSIZE_TO_POINTER ((gsize) (now + 2 * TRB_HTTP_SIGNATURE_SKEW)));
  *nonce_out = g_steal_pointer (&nonce);
  return g_steal_pointer (&address);
}

JsonObject *
trb_node_parse_json_body (SoupServerMessage *msg,
                          GBytes            *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  JsonNode *root;

  if (len == 0)
    return json_object_new ();
  if (!trb_json_parser_load_bounded (parser, data, len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      trb_node_reply_problem (msg, 400, "bad-request", "The request body is not a JSON object",
                              NULL);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/**
 * trb_node_listen:
 * @self: a node
 * @address: `HOST:PORT`; port 0 picks a free port
 * @certificate: (nullable): serve HTTPS with this certificate
 * @url: (out) (optional): the URL the node is reachable at
 * @error: return location for an error
 *
 * Returns: %TRUE when listening
 */
gboolean
trb_node_listen (TrbNode          *self,
                 const char       *address,
                 GTlsCertificate  *certificate,
                 char            **url,
                 GError          **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *inet = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (TRB_IS_NODE (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  connectable = g_network_address_parse (address, 0, error);
  if (connectable == NULL)
    return FALSE;
  enumerator = g_socket_connectable_enumerate (connectable);
  socket_address = g_socket_address_enumerator_next (enumerator, NULL, error);
  if (socket_address == NULL)
    return FALSE;

  self->server = soup_server_new ("server-header", "tributary-node/" PACKAGE_VERSION, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_finished_cb), self);
  soup_server_add_early_handler (self->server, "/v1", early_handler_cb, self, NULL);
  soup_server_add_handler (self->server, "/v1", trb_node_handle_request_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, trb_node_handle_request_cb, self, NULL);

  /* Our own socket, for a listen backlog that absorbs bursts of participants connecting at
   * once (GSocket's default of 10 resets connections under load). */
  socket = g_socket_new (g_socket_address_get_family (socket_address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, 1024);
  if (!g_socket_bind (socket, socket_address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return FALSE;

  /* The node accepts connections itself and hands them to SoupServer (see Connections). */
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             connection_gone);
  self->connections_per_host = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_set_object (&self->certificate, certificate);
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error))
    return FALSE;
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);
  self->sweep_id = g_timeout_add_seconds (1, sweep_connections_cb, self);

  inet = g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound)));
  /* Without a trailing slash, so that clients can append “/v1/…”. */
  text = g_uri_join (G_URI_FLAGS_NONE, certificate != NULL ? "https" : "http", NULL, inet,
                     g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), "", NULL,
                     NULL);
  if (self->public_urls->len == 0)
    add_default_public_urls (self, text, socket_address);
  if (url != NULL)
    *url = g_steal_pointer (&text);
  return TRUE;
}

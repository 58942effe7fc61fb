/* trb-node-connections.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's connections: accepting them, the caps on how many are open, the check of a
 * request's head before SoupServer reads it, the account of every connection and the idle
 * sweep, and the answers the node writes itself (refusals that linger before they close).
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-connections.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>

#include "trb-node-http.h"

/* ---- Refusals ----------------------------------------------------------------------------- */

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
  if (status == TRB_HTTP_STATUS_TOO_MANY_REQUESTS)
    return "Too Many Requests";
  if (status == TRB_HTTP_STATUS_HEADERS_TOO_LARGE)
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
  g_autofree char *text = trb_node_problem_text (status, type, title, detail);
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

/**
 * trb_node_refuse_stream: (skip)
 * @stream: (transfer full): a connection the node answers itself
 * @socket: (nullable): its socket when it is plain TCP, shut down for writing after the answer
 * @status: the HTTP status
 * @type: the problem type's suffix
 * @title: the problem's title
 * @detail: (nullable): the problem's detail
 * @retry_after_s: seconds for `Retry-After`, or 0 for none
 *
 * Writes the problem, lingers (reading and dropping what the client still sends, for a moment)
 * and closes @stream.
 */
void
trb_node_refuse_stream (GIOStream  *stream,
                        GSocket    *socket,
                        guint       status,
                        const char *type,
                        const char *title,
                        const char *detail,
                        guint       retry_after_s)
{
  refuse_stream (stream, socket, status, type, title, detail, retry_after_s);
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

/**
 * trb_node_connection_plain_socket: (skip)
 * @self: a node
 * @remote: a request's remote address (soup_server_message_get_remote_address())
 *
 * Returns: (nullable) (transfer none): the connection's socket when it is plain TCP (not TLS),
 *   for a shutdown after a refusal
 */
GSocket *
trb_node_connection_plain_socket (TrbNode        *self,
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
  /* The head read so far goes to the stream; the connection keeps nothing of it. */
  input->prefix = g_byte_array_free_to_bytes (g_steal_pointer (&conn->head));
  conn->head = g_byte_array_new ();
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
      GSocket *socket = trb_node_connection_plain_socket (self, conn->remote);

      if (encoding != NULL)
        refuse_stream (g_steal_pointer (&stream), socket, SOUP_STATUS_NOT_IMPLEMENTED,
                       "unsupported-encoding",
                       "The request’s Transfer-Encoding is not supported",
                       "Send the body with a Content-Length.", 0);
      else
        refuse_stream (g_steal_pointer (&stream), socket, SOUP_STATUS_BAD_REQUEST,
                       TRB_PROBLEM_BAD_REQUEST, "The request’s Content-Length is not valid", NULL,
                       0);
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
  else if (conn->head->len >= TRB_PROTOCOL_MAX_REQUEST_HEAD)
    {
      g_autoptr(GIOStream) stream = connection_stream (conn);

      refuse_stream (g_steal_pointer (&stream),
                     trb_node_connection_plain_socket (conn->node, conn->remote),
                     TRB_HTTP_STATUS_HEADERS_TOO_LARGE, TRB_PROBLEM_TOO_LARGE,
                     "The request’s headers are too large", NULL, 0);
    }
  else
    read_head (conn);
out:
  connection_unref (conn);
}

/* Reads what is there, in steps of 8 KiB, up to TRB_PROTOCOL_MAX_REQUEST_HEAD: a head usually
 * comes whole in the first step. The idle sweep bounds how long it may take. */
static void
read_head (Connection *conn)
{
  GInputStream *input = g_io_stream_get_input_stream (conn->transport);
  gsize before = conn->head->len;

  g_byte_array_set_size (conn->head, MIN (before + 8192, TRB_PROTOCOL_MAX_REQUEST_HEAD));
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
      Linger *linger = refuse_stream (G_IO_STREAM (g_object_ref (connection)), socket,
                                      SOUP_STATUS_SERVICE_UNAVAILABLE,
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
  return !soup_check_version (3, 5, 2);
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
 * trb_node_connections_shutdown: (skip)
 * @self: a node
 *
 * Stops accepting and closes every connection; for the node's dispose.
 */
void
trb_node_connections_shutdown (TrbNode *self)
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

/**
 * trb_node_connections_listen: (skip)
 * @self: a node whose server exists
 * @socket: a listening socket
 * @certificate: (nullable): serve HTTPS with this certificate
 * @error: return location for an error
 *
 * Accepts the connections of @socket, applies the caps and the head check, and hands them to
 * the node's SoupServer.
 *
 * Returns: %TRUE when accepting
 */
gboolean
trb_node_connections_listen (TrbNode          *self,
                             GSocket          *socket,
                             GTlsCertificate  *certificate,
                             GError          **error)
{
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             connection_gone);
  self->connections_per_host = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_set_object (&self->certificate, certificate);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (request_finished_cb), self);
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error))
    return FALSE;
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);
  self->sweep_id = g_timeout_add_seconds (1, sweep_connections_cb, self);
  return TRUE;
}

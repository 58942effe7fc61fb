/* trb-node-http.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HTTP: listening, limits read before bodies, rate limits, signature checks and problem
 * replies. The connections themselves are in trb-node-connections.c.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-http.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ledger/trb-canonical-json.h"
#include "net/trb-http-signature.h"
#include "net/trb-local-addresses.h"
#include "trb-json.h"

#include "trb-node-api.h"
#include "trb-node-connections.h"
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
char *
trb_node_problem_text (guint       status,
                       const char *type,
                       const char *title,
                       const char *detail)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *uri = trb_problem_uri (type);

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
  g_autofree char *text = trb_node_problem_text (status, type, title, detail);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/problem+json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

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
  GSocket *socket = trb_node_connection_plain_socket (self,
                                                      soup_server_message_get_remote_address (msg));

  trb_node_refuse_stream (soup_server_message_steal_connection (msg), socket, status, type, title,
                          detail, retry_after_s);
}

void
trb_node_reply_internal (SoupServerMessage *msg,
                         const GError      *error)
{
  g_warning ("Request failed: %s", error != NULL ? error->message : "unknown error");
  trb_node_reply_problem (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                          "The node could not read or write its store",
                          "Please try again later.");
}

static gsize
body_limit_for_path (const char *path)
{
  if (g_str_has_prefix (path, "/v1/tasks/") && g_str_has_suffix (path, "/updates"))
    return TRB_PROTOCOL_MAX_UPDATE_BODY;
  return TRB_PROTOCOL_MAX_JSON_BODY;
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
        refuse_and_close (self, msg, TRB_HTTP_STATUS_TOO_MANY_REQUESTS, "too-many-requests",
                          "Too many requests from this address", "Wait a moment, then try again.",
                          retry_after);
      return;
    }
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      refuse_and_close (self, msg, SOUP_STATUS_LENGTH_REQUIRED, TRB_PROBLEM_BAD_REQUEST,
                        "The request must state its length", NULL, 0);
      return;
    }
  length = soup_message_headers_get_content_length (headers);
  if (length < 0 || (guint64) length > body_limit_for_path (path))
    {
      refuse_and_close (self, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, TRB_PROBLEM_TOO_LARGE,
                        "The request is too large",
                        "The body is larger than the protocol allows for this request.", 0);
      return;
    }
  if (!within_rate (self, msg, path, &retry_after))
    refuse_and_close (self, msg, TRB_HTTP_STATUS_TOO_MANY_REQUESTS, "too-many-requests",
                      "Too many requests from this address", "Wait a moment, then try again.",
                      retry_after);
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
      trb_node_reply_problem (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, TRB_PROBLEM_TOO_LARGE,
                              "The request is too large", NULL);
      return NULL;
    }

  if (!trb_http_signature_verify (soup_server_message_get_method (msg), uri, data, len,
                                  soup_message_headers_get_one (headers, "Content-Digest"),
                                  soup_message_headers_get_one (headers, "Signature-Input"),
                                  soup_message_headers_get_one (headers, "Signature"),
                                  now, &address, &nonce, &error))
    {
      if (g_error_matches (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_UNSIGNED))
        trb_node_reply_problem (msg, SOUP_STATUS_UNAUTHORIZED, "unsigned",
                                "The request is not signed", error->message);
      else if (g_error_matches (error, TRB_HTTP_SIGNATURE_ERROR,
                                TRB_HTTP_SIGNATURE_ERROR_EXPIRED))
        trb_node_reply_problem (msg, SOUP_STATUS_UNAUTHORIZED, TRB_PROBLEM_EXPIRED,
                                "The request signature has expired", error->message);
      else
        {
          g_autofree char *detail = g_strdup_printf ("%s Requests to this node are signed for "
                                                     "%s/….", error->message,
                                                     trb_node_get_public_url (self));

          trb_node_reply_problem (msg, SOUP_STATUS_UNAUTHORIZED, TRB_PROBLEM_BAD_SIGNATURE,
                                  "The request signature is not valid", detail);
        }
      return NULL;
    }

  if (g_hash_table_contains (self->nonces, nonce))
    {
      trb_node_reply_problem (msg, SOUP_STATUS_CONFLICT, "replayed",
                              "This request was already received", "The nonce was used before.");
      return NULL;
    }
  g_hash_table_insert (self->nonces, g_strdup (nonce),
                       GSIZE_TO_POINTER ((gsize) (now + 2 * TRB_PROTOCOL_SIGNATURE_SKEW)));
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
      trb_node_reply_problem (msg, SOUP_STATUS_BAD_REQUEST, TRB_PROBLEM_BAD_REQUEST,
                              "The request body is not a JSON object", NULL);
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

  /* The node accepts connections itself and hands them to SoupServer. */
  if (!trb_node_connections_listen (self, socket, certificate, error))
    return FALSE;

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

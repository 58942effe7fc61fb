/* trb-client-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of TrbClient share, and nothing outside src/net/ sees: the object's fields, the
 * details an error keeps, the request machinery of trb-client-transport.c and the JSON calls of
 * trb-client.c that every endpoint is made of.
 */

#pragma once

#include <libsoup/soup.h>

#include "net/trb-client.h"

G_BEGIN_DECLS

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

/* What a JSON call checks of its answer besides its being an object. */
typedef enum
{
  TRB_CLIENT_CHECK_NONE,
  TRB_CLIENT_CHECK_NETWORK,   /* GET /v1/network: a Tributary node speaking this protocol */
} TrbClientJsonCheck;

void        trb_client_error_set_details (GError               *error,
                                          const char           *problem,
                                          const char           *update,
                                          GQuark                cause_domain,
                                          int                   cause_code,
                                          guint                 status);

void        trb_client_start_request     (TrbClient            *self,
                                          const char           *method,
                                          const char           *path,
                                          GBytes               *body,
                                          const char           *content_type,
                                          gboolean              sign,
                                          gboolean              resumable,
                                          gsize                 max_response,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
GBytes     *trb_client_run_request_sync  (TrbClient            *self,
                                          const char           *method,
                                          const char           *path,
                                          GBytes               *body,
                                          const char           *content_type,
                                          gboolean              sign,
                                          gboolean              resumable,
                                          gsize                 max_response,
                                          GCancellable         *cancellable,
                                          GError              **error);

void        trb_client_json_call         (TrbClient            *self,
                                          const char           *method,
                                          const char           *path,
                                          GBytes               *body,
                                          gboolean              sign,
                                          TrbClientJsonCheck    check,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
JsonObject *trb_client_json_call_sync    (TrbClient            *self,
                                          const char           *method,
                                          const char           *path,
                                          GBytes               *body,
                                          const char           *content_type,
                                          gboolean              sign,
                                          TrbClientJsonCheck    check,
                                          GCancellable         *cancellable,
                                          GError              **error);
void        trb_client_json_done_cb      (GObject              *source,
                                          GAsyncResult         *result,
                                          gpointer              user_data);
GBytes     *trb_client_json_body         (JsonNode             *body);
char       *trb_client_escape_segment    (const char           *segment);

G_END_DECLS

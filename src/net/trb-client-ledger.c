/* trb-client-ledger.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ledger's endpoints, each in its asynchronous and its blocking (`_sync`) form: entries,
 * inclusion and consistency proofs, the signed checkpoint, and cosignatures posted by a
 * witness.
 */

#define G_LOG_DOMAIN "trb-client"

#include "config.h"

#include "trb-client-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-json.h"

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
  trb_client_start_request (self, "GET", "/v1/ledger/checkpoint", NULL, NULL, FALSE, FALSE,
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
  bytes = trb_client_run_request_sync (self, "GET", "/v1/ledger/checkpoint", NULL, NULL, FALSE,
                                       FALSE, TRB_PROTOCOL_MAX_CHECKPOINT, cancellable, error);
  return bytes != NULL ? checkpoint_text (bytes, error) : NULL;
}

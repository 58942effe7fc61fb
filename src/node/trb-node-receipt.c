/* trb-node-receipt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-receipt.h"

#include <json-glib/json-glib.h>
#include <string.h>

static gboolean
is_sha256_hex (const char *text)
{
  if (strlen (text) != 64)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/**
 * trb_node_receipt_find:
 * @store: the node's store
 * @task: the task
 * @round: the round
 * @participant: the address that asks, as its signature proved
 * @update: the hex SHA-256 of the update
 * @leaf_index: (out): the ledger index of the update's `update_accepted` entry
 *
 * Looks for @participant's own update @update in the round. Someone else's update is not found,
 * as an unknown one is: a receipt is given to the participant it names only.
 *
 * Returns: whether the update is stored
 */
gboolean
trb_node_receipt_find (TrbStore   *store,
                       const char *task,
                       gint64      round,
                       const char *participant,
                       const char *update,
                       gint64     *leaf_index)
{
  sqlite3_stmt *stmt = NULL;
  gboolean found;

  g_return_val_if_fail (TRB_IS_STORE (store), FALSE);

  if (!is_sha256_hex (update))
    return FALSE;
  if (sqlite3_prepare_v2 (trb_store_get_db (store),
                          "SELECT leaf_index FROM updates WHERE task = ? AND round = ? AND "
                          "participant = ? AND hash = ?", -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, round);
  sqlite3_bind_text (stmt, 3, participant, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, update, -1, SQLITE_TRANSIENT);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  if (found)
    *leaf_index = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return found;
}

/**
 * trb_node_receipt_reply_duplicate:
 * @msg: a signed upload from a participant that already has an update in the round
 * @stored: the hash of that update
 *
 * Answers `duplicate` with the member `update`: the hash of the update stored, so that a
 * participant that lost its receipt can ask for it (the request was signed, so only the
 * participant who sent the update learns it).
 */
void
trb_node_receipt_reply_duplicate (SoupServerMessage *msg,
                                  const char        *stored)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "https://tributary.invalid/problems/duplicate");
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, "You already sent an update for this round");
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, 409);
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, "Only one update per participant is accepted in a round.");
  json_builder_set_member_name (b, "update");
  json_builder_add_string_value (b, stored);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  text = json_to_string (node, FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, 409, NULL);
  soup_server_message_set_response (msg, "application/problem+json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

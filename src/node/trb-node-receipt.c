/* trb-node-receipt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-receipt.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "net/trb-protocol.h"
#include "trb-node-db.h"

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
 * @self: the node
 * @task: the task
 * @round: the round
 * @participant: the address that asks, as its signature proved
 * @update: the hex SHA-256 of the update
 * @found: (out): whether the update is stored
 * @leaf_index: (out): the ledger index of the update's `update_accepted` entry, when found
 * @error: return location for a failure of the store
 *
 * Looks for @participant's own update @update in the round. Someone else's update is not found,
 * as an unknown one is: a receipt is given to the participant it names only.
 *
 * Returns: %FALSE with @error set when the store could not be read
 */
gboolean
trb_node_receipt_find (TrbNode     *self,
                       const char  *task,
                       gint64       round,
                       const char  *participant,
                       const char  *update,
                       gboolean    *found,
                       gint64      *leaf_index,
                       GError     **error)
{
  g_autofree char *stored = NULL;
  guint64 index = 0;

  g_return_val_if_fail (TRB_IS_NODE (self), FALSE);

  *found = FALSE;
  if (!is_sha256_hex (update))
    return TRUE;
  /* A participant has at most one update in a round: it is that one, or none. */
  if (!trb_node_db_find_update (self, task, round, participant, &stored, &index, error))
    return FALSE;
  if (g_strcmp0 (stored, update) == 0)
    {
      *found = TRUE;
      *leaf_index = (gint64) index;
    }
  return TRUE;
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
  json_builder_add_string_value (b, TRB_PROBLEM_BASE TRB_PROBLEM_DUPLICATE);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, "You already sent an update for this round");
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, SOUP_STATUS_CONFLICT);
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, "Only one update per participant is accepted in a round.");
  json_builder_set_member_name (b, "update");
  json_builder_add_string_value (b, stored);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  text = json_to_string (node, FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_CONFLICT, NULL);
  soup_server_message_set_response (msg, "application/problem+json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

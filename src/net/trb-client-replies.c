/* trb-client-replies.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading what a node serves, without a request: an event message, whether a round selected this
 * participant, a proof, a task's number, a round's update counts, and the check of a signed
 * receipt against the pinned ledger key.
 */

#define G_LOG_DOMAIN "trb-client"

#include "config.h"

#include "trb-client-private.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "ledger/trb-merkle.h"
#include "trb-json.h"

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

/**
 * trb_client_selection_rank:
 * @model: the round's model hash (hex)
 * @address: a participant's address
 *
 * The rank of @address in a round on @model: SHA-256(@model "\n" @address) in lowercase
 * hexadecimal, the same digest whose first 8 bytes trb_client_is_selected() reads. A round asks
 * the participants with the lowest ranks (docs/protocol.md, "Who a round asks"); ranks compare
 * as strings.
 *
 * Returns: (transfer full): 64 hexadecimal digits
 */
char *
trb_client_selection_rank (const char *model,
                           const char *address)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (model != NULL && address != NULL, NULL);

  text = g_strconcat (model, "\n", address, NULL);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

/**
 * trb_client_round_asks:
 * @round: a round as `GET /v1/tasks/{task}/round?participant=A` answers it
 * @address: the participant's address, the `A` of the request
 *
 * Whether @round asks @address for an update, so that a participant not asked does not train
 * for nothing. A node that decides who a round asks when the round opens says so in the
 * round's `selection`, with its answer for @address in `asked`, and the rank of @address
 * must be within the round's `cutoff` besides; a node that does not is read with the task's
 * `fraction` alone.
 *
 * Returns: %TRUE if the round asks @address
 */
gboolean
trb_client_round_asks (JsonObject *round,
                       const char *address)
{
  const char *model;
  JsonNode *node;
  JsonObject *selection;
  g_autofree char *rank = NULL;

  g_return_val_if_fail (round != NULL && address != NULL, FALSE);

  model = trb_json_get_string (round, "model", "");
  if (!trb_client_is_selected (model, address,
                               json_object_get_double_member_with_default (round, "fraction",
                                                                           1.0)))
    return FALSE;
  node = json_object_get_member (round, "selection");
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  selection = json_node_get_object (node);
  node = json_object_get_member (selection, "asked");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN ||
      !json_node_get_boolean (node))
    return FALSE;
  /* The node's word is checked against what anyone can compute: a rank past the highest
   * cutoff of the round was not asked, whatever the node says. */
  rank = trb_client_selection_rank (model, address);
  return g_strcmp0 (rank, trb_json_get_string (selection, "cutoff", "")) <= 0;
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

/* trb-contributor-verify.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ledger's verification by a contributor: the checkpoint accepted against the pinned key and
 * the last one verified, the entries served hashed against its root, every receipt's inclusion
 * checked, and the checkpoint cosigned when asked.
 */

#define G_LOG_DOMAIN "trb-contributor"

#include "config.h"

#include "trb-contributor-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

static gboolean
parse_note_size (const char *note,
                 guint64    *size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbNote) parsed = trb_note_parse (note, strlen (note), &error);
  g_autoptr(TrbCheckpoint) checkpoint = NULL;
  const char *text;
  gsize len;

  if (parsed == NULL)
    return FALSE;
  text = trb_note_get_text (parsed, &len);
  checkpoint = trb_checkpoint_parse_text (text, len, &error);
  if (checkpoint == NULL)
    return FALSE;
  *size = trb_checkpoint_get_size (checkpoint);
  return TRUE;
}

static GBytes *
fetch_proof (TrbContributor *self,
             gboolean        inclusion,
             guint64         a,
             guint64         b,
             GError        **error)
{
  g_autoptr(JsonObject) proof = NULL;

  if (inclusion)
    proof = trb_client_get_inclusion_proof_sync (self->client, a, b, self->cancellable, error);
  else
    proof = trb_client_get_consistency_proof_sync (self->client, a, b, self->cancellable, error);
  if (proof == NULL)
    return NULL;
  return trb_client_proof_from_json (proof, error);
}

static char *
fetch_entry (TrbContributor *self,
             guint64         index,
             GError        **error)
{
  g_autoptr(JsonObject) page = NULL;
  JsonNode *entries;

  page = trb_client_get_entries_sync (self->client, index, index + 1, self->cancellable, error);
  if (page == NULL)
    return NULL;
  entries = json_object_get_member (page, "entries");
  if (entries == NULL || !JSON_NODE_HOLDS_ARRAY (entries) ||
      json_array_get_length (json_node_get_array (entries)) != 1 ||
      json_object_get_int_member_with_default (page, "start", -1) != (gint64) index)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network sent an unreadable ledger page."));
      return NULL;
    }
  return g_strdup (json_array_get_string_element (json_node_get_array (entries), 0));
}

/* The bytes of a proof: never %NULL, so that an empty proof still counts as one given. */
static const guint8 *
empty_or_data (GBytes *bytes)
{
  static const guint8 nothing[1];
  const guint8 *data = g_bytes_get_data (bytes, NULL);

  return data != NULL ? data : nothing;
}

/* Most inclusion proofs asked for to find which entry was changed; past them, the evidence is
 * the checkpoint alone. */
#define MAX_PROOFS_TO_LOCATE 2000

/* An entry served between @start and @size is not the one the verified tree holds there: each
 * one's inclusion proof is asked for until one fails, and that entry with its proof is kept as
 * the evidence. */
static gboolean
record_edited_entry (TrbContributor  *self,
                     guint64          start,
                     guint64          size,
                     GError         **error)
{
  g_autoptr(GError) local_error = NULL;

  for (guint64 index = start; index < size && index - start < MAX_PROOFS_TO_LOCATE; index++)
    {
      g_autofree char *entry = fetch_entry (self, index, error);
      g_autoptr(GBytes) proof = NULL;

      if (entry == NULL)
        return FALSE;
      proof = fetch_proof (self, TRUE, index, size, &local_error);
      if (proof == NULL &&
          !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED) &&
          !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
      if (proof != NULL &&
          trb_ledger_history_verify_inclusion (self->history, entry, strlen (entry), index, size,
                                               g_bytes_get_data (proof, NULL),
                                               g_bytes_get_size (proof) / TRB_MERKLE_HASH_SIZE,
                                               NULL))
        continue;
      trb_ledger_history_record_edited_entry (self->history, entry, strlen (entry), index, size,
                                              proof != NULL ? g_bytes_get_data (proof, NULL)
                                                            : NULL,
                                              proof != NULL ? g_bytes_get_size (proof) /
                                                              TRB_MERKLE_HASH_SIZE : 0,
                                              &local_error);
      return trb_contributor_mark_compromised (self, error, local_error->message);
    }
  trb_ledger_history_record_edited_entry (self->history, "", 0, size, size, NULL, 0,
                                          &local_error);
  return trb_contributor_mark_compromised (self, error, local_error->message);
}

/* Every entry served is hashed: the tree they make must have the root of the checkpoint just
 * verified, or one of them is not the entry that was signed. */
static gboolean
check_entries (TrbContributor  *self,
               TrbCheckpoint   *verified,
               GError         **error)
{
  guint64 size = trb_checkpoint_get_size (verified);
  guint64 start = self->checked.n_leaves;
  guint8 root[TRB_MERKLE_HASH_SIZE];

  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) kept_indexes = g_array_new (FALSE, FALSE, sizeof (guint64));

  /* A verified size below what was hashed is an older checkpoint, proven a prefix. */
  if (start > size)
    return TRUE;
  while (self->checked.n_leaves < size)
    {
      g_autoptr(JsonObject) page = NULL;
      guint64 next = self->checked.n_leaves;
      JsonNode *member;
      JsonArray *array;

      page = trb_client_get_entries_sync (self->client, next,
                                          MIN (next + TRB_PROTOCOL_LEDGER_PAGE, size),
                                          self->cancellable, error);
      if (page == NULL)
        return FALSE;
      member = json_object_get_member (page, "entries");
      if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member) ||
          json_object_get_int_member_with_default (page, "start", -1) != (gint64) next ||
          json_array_get_length ((array = json_node_get_array (member))) == 0 ||
          json_array_get_length (array) > MIN (TRB_PROTOCOL_LEDGER_PAGE, size - next))
        {
          g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                               _("The network sent an unreadable ledger page."));
          return FALSE;
        }
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *text;
          guint8 leaf[TRB_MERKLE_HASH_SIZE];

          if (!JSON_NODE_HOLDS_VALUE (element) ||
              json_node_get_value_type (element) != G_TYPE_STRING)
            {
              g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                                   _("The network sent an unreadable ledger page."));
              return FALSE;
            }
          text = json_node_get_string (element);
          trb_contributor_filter_round_entry (self, text, self->checked.n_leaves, kept,
                                              kept_indexes);
          trb_merkle_hash_leaf ((const guint8 *) text, strlen (text), leaf);
          trb_merkle_frontier_append (&self->checked, leaf);
        }
    }
  trb_merkle_frontier_get_root (&self->checked, root);
  if (memcmp (root, trb_checkpoint_get_root (verified), TRB_MERKLE_HASH_SIZE) == 0)
    {
      /* Only entries the signed tree holds are kept for recomputing rounds. */
      trb_contributor_keep_round_entries (self, kept, kept_indexes);
      return TRUE;
    }

  /* What was hashed does not make the signed tree: hash from the start next time. */
  memset (&self->checked, 0, sizeof self->checked);
  return record_edited_entry (self, start, size, error);
}

/* Fetches the latest checkpoint and accepts it into the ledger history: verified against the
 * pinned key and, with a consistency proof, against the last one verified. */
static TrbCheckpoint *
accept_checkpoint (TrbContributor  *self,
                   char           **note_out,
                   GError         **error)
{
  g_autoptr(TrbCheckpoint) latest = NULL;
  g_autoptr(TrbCheckpoint) accepted = NULL;
  g_autoptr(GBytes) consistency = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *note = NULL;
  guint64 size = 0;
  guint64 old_size = 0;

  note = trb_client_get_checkpoint_sync (self->client, self->cancellable, error);
  if (note == NULL)
    return NULL;
  if (!parse_note_size (note, &size))
    {
      trb_contributor_mark_compromised (self, error,
                                        _("This network’s signed checkpoint cannot be read."));
      return NULL;
    }

  latest = trb_ledger_history_get_latest (self->history, NULL);
  if (latest != NULL)
    old_size = trb_checkpoint_get_size (latest);
  if (latest != NULL && old_size > 0 && old_size < size)
    {
      consistency = fetch_proof (self, FALSE, old_size, size, error);
      if (consistency == NULL)
        return NULL;
    }
  else if (latest != NULL && size > 0 && size < old_size)
    {
      /* The ledger shrank: an honest node proves that what it shows now is a prefix of what it
       * signed before. One that refuses (it no longer has those entries) is given an empty
       * proof, which cannot verify. A network that cannot be reached is only an error. */
      consistency = fetch_proof (self, FALSE, size, old_size, &local_error);
      if (consistency == NULL)
        {
          if (!g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED) &&
              !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          g_clear_error (&local_error);
          consistency = g_bytes_new_static ("", 0);
        }
    }
  accepted = trb_ledger_history_accept (self->history, note, strlen (note),
                                        consistency ? empty_or_data (consistency) : NULL,
                                        consistency ? g_bytes_get_size (consistency) / 32 : 0,
                                        &local_error);
  if (accepted == NULL)
    {
      if (trb_contributor_is_tampering (local_error))
        trb_contributor_mark_compromised (self, error, local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  *note_out = g_steal_pointer (&note);
  return g_steal_pointer (&accepted);
}

/* Checks that every receipt's entry is in the tree of @size, with the update the receipt
 * promised. */
static gboolean
verify_receipts (TrbContributor  *self,
                 guint64          size,
                 GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) receipts = NULL;

  /* Every receipt not yet verified: its entry must be in this tree, with our update in it. */
  receipts = trb_store_net_list_unverified_receipts (self->store, self->origin, size, error);
  if (receipts == NULL)
    return FALSE;
  for (guint i = 0; i < receipts->len; i++)
    {
      const TrbStoreNetReceipt *receipt = g_ptr_array_index (receipts, i);
      guint64 index = receipt->leaf_index;
      const char *update = receipt->update_hash;
      const char *participant = receipt->participant;
      g_autofree char *entry = NULL;
      g_autoptr(GBytes) proof = NULL;
      g_autoptr(TrbLedgerEntry) parsed = NULL;

      if (g_cancellable_set_error_if_cancelled (self->cancellable, error) ||
          (entry = fetch_entry (self, index, error)) == NULL)
        return FALSE;
      parsed = trb_ledger_entry_parse (entry, strlen (entry), NULL);
      proof = fetch_proof (self, TRUE, index, size, error);
      if (proof == NULL)
        return FALSE;
      if (parsed == NULL ||
          trb_ledger_entry_get_entry_type (parsed) != TRB_LEDGER_ENTRY_UPDATE_ACCEPTED ||
          g_strcmp0 (trb_ledger_entry_get_update (parsed), update) != 0 ||
          g_strcmp0 (trb_ledger_entry_get_participant (parsed), participant) != 0 ||
          !trb_ledger_history_verify_inclusion (self->history, entry, strlen (entry), index, size,
                                                g_bytes_get_data (proof, NULL),
                                                g_bytes_get_size (proof) / 32, NULL))
        {
          /* The node signed a receipt for another entry than the one served here, or the one
           * served is not in the signed tree: either way, an entry changed. */
          trb_ledger_history_record_edited_entry (self->history, entry, strlen (entry), index,
                                                  size, g_bytes_get_data (proof, NULL),
                                                  g_bytes_get_size (proof) / 32, &local_error);
          return trb_contributor_mark_compromised (self, error, local_error->message);
        }

      if (!trb_store_net_set_receipt_verified (self->store, self->origin, index, size, error))
        return FALSE;
    }

  return TRUE;
}

/* Cosigns the verified checkpoint @note of @size and hands the cosignature to the network. */
static gboolean
cosign_checkpoint (TrbContributor  *self,
                   const char      *note,
                   guint64          size,
                   GError         **error)
{
  g_autofree char *line = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->cosigner == NULL)
    self->cosigner = trb_client_make_cosigner (self->client, error);
  if (self->cosigner == NULL)
    return FALSE;
  line = trb_checkpoint_cosign (note, strlen (note), self->cosigner,
                                g_get_real_time () / G_USEC_PER_SEC, error);
  if (line == NULL)
    return FALSE;
  answer = trb_client_post_cosignature_sync (self->client, size, line, self->cancellable,
                                             &local_error);
  /* Enough others have cosigned this checkpoint already: nothing is wrong. */
  if (answer == NULL &&
      g_strcmp0 (trb_client_error_get_problem (local_error), "cosignatures-full") == 0)
    return TRUE;
  if (answer == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * trb_contributor_sync:
 * @self: a contributor
 * @cosign: whether to cosign the checkpoint once verified
 * @error: return location for an error
 *
 * Fetches the latest checkpoint, verifies it against the pinned key and, with a consistency
 * proof, against the last one verified; then verifies that every receipt's entry is in the
 * ledger with the content the receipt promised. Any contradiction is %TRB_CLIENT_ERROR_TAMPERED.
 *
 * Returns: %TRUE when everything verified
 */
gboolean
trb_contributor_sync (TrbContributor  *self,
                      gboolean         cosign,
                      GError         **error)
{
  g_autoptr(TrbCheckpoint) accepted = NULL;
  g_autofree char *note = NULL;
  guint64 size;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), FALSE);
  g_return_val_if_fail (self->history != NULL, FALSE);

  if (self->compromised)
    return trb_contributor_mark_compromised (self, error, trb_contributor_caught_before (self));

  accepted = accept_checkpoint (self, &note, error);
  if (accepted == NULL)
    return FALSE;
  size = trb_checkpoint_get_size (accepted);
  if (!check_entries (self, accepted, error) ||
      !verify_receipts (self, size, error))
    return FALSE;
  /* A witness recomputes the rounds closed since, when the task publishes its updates, and
   * cosigns only what it found right. */
  if (cosign && !trb_contributor_recompute (self, error))
    return FALSE;
  if (cosign && !cosign_checkpoint (self, note, size, error))
    return FALSE;
  return TRUE;
}

guint64
trb_contributor_get_verified_size (TrbContributor *self)
{
  g_autoptr(TrbCheckpoint) latest = NULL;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), 0);
  if (self->history == NULL)
    return 0;
  latest = trb_ledger_history_get_latest (self->history, NULL);
  return latest != NULL ? trb_checkpoint_get_size (latest) : 0;
}

guint
trb_contributor_count_receipts (TrbContributor *self,
                                gboolean        verified_only)
{
  guint count = 0;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), 0);
  /* Not connected, or a store that cannot be read (closed as the program quits): none. */
  if (self->origin == NULL ||
      !trb_store_net_count_receipts (self->store, self->origin, verified_only, &count, NULL))
    return 0;
  return count;
}

/**
 * trb_contributor_check_root:
 * @self: a contributor
 * @tree_size: a tree size
 * @root: 32 bytes
 *
 * Returns: %TRUE when @root is the root of the checkpoint of @tree_size verified earlier
 */
gboolean
trb_contributor_check_root (TrbContributor *self,
                            guint64         tree_size,
                            const guint8   *root)
{
  g_autoptr(TrbCheckpoint) checkpoint = NULL;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), FALSE);
  if (self->history == NULL)
    return FALSE;
  checkpoint = trb_ledger_history_get_checkpoint (self->history, tree_size, NULL);
  return checkpoint != NULL &&
         memcmp (trb_checkpoint_get_root (checkpoint), root, TRB_MERKLE_HASH_SIZE) == 0;
}

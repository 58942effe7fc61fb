/* trb-node-upload.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * POST /v1/tasks/{task}/rounds/{round}/updates: the cheap checks (signature, membership, round)
 * on the main loop; reading and checking the update, which for a large model takes a good part
 * of a second, on a worker with the request paused; then storing it on the main loop again.
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-upload.h"

#include <string.h>

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"
#include "ledger/trb-ledger-entry.h"
#include "net/trb-client.h"

#include "trb-node-api.h"
#include "trb-node-db.h"
#include "trb-node-http.h"
#include "trb-node-receipt.h"
#include "trb-node-rounds.h"

/* One upload between its two steps. What the check reads is copied from the task, so that the
 * worker never touches the node. */
typedef struct
{
  TrbNode           *node;
  SoupServerMessage *msg;
  char              *task_id;
  gint64             round;
  char              *address;
  guint64            joined_index;   /* of the address's participant_joined */
  char              *nonce;
  GBytes            *body;
  TrbModelSpec      *spec;
  char              *model_hash;
  double             max_update_value;
  TrbAggregationConfig aggregation;

  /* What the check found: the update, or why it is refused. */
  char              *hash;
  gint64             samples;
  gint64             epochs;
  char              *commitment;
  guint              status;
  const char        *type;
  const char        *title;
  char              *detail;
} Upload;

static void
upload_free (Upload *upload)
{
  g_object_unref (upload->node);
  g_object_unref (upload->msg);
  g_free (upload->task_id);
  g_free (upload->address);
  g_free (upload->nonce);
  g_bytes_unref (upload->body);
  g_object_unref (upload->spec);
  g_free (upload->model_hash);
  g_free (upload->hash);
  g_free (upload->commitment);
  g_free (upload->detail);
  g_free (upload);
}

static gboolean
refuse (Upload     *upload,
        guint       status,
        const char *type,
        const char *title,
        const char *detail)
{
  upload->status = status;
  upload->type = type;
  upload->title = title;
  upload->detail = g_strdup (detail);
  return FALSE;
}

static gboolean
parse_decimal (const char *text,
               gint64      min,
               gint64      max,
               gint64     *out)
{
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, min < 0 ? 0 : min, max, &value,
                                                   NULL))
    return FALSE;
  *out = value;
  return TRUE;
}

/* The checking step: reads nothing but @upload, so it runs on any thread. */
static gboolean
check_update (Upload *upload)
{
  g_autoptr(TrbWeights) parsed = NULL;
  g_autoptr(TrbWeights) delta = NULL;
  g_autoptr(GError) error = NULL;
  const char *commitment;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (upload->body, &len);
  guint64 header_len = 0;

  upload->hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, upload->body);

  /* The safetensors header is bounded before anything else reads it. */
  if (len >= 8)
    {
      memcpy (&header_len, data, 8);
      header_len = GUINT64_FROM_LE (header_len);
    }
  if (len >= 8 && header_len <= len - 8 && header_len > TRB_PROTOCOL_MAX_SAFETENSORS_HEADER)
    return refuse (upload, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, TRB_PROBLEM_TOO_LARGE,
                   "The update is too large", "Its header is larger than the protocol allows.");

  parsed = trb_weights_new_from_safetensors (upload->body, &error);
  if (parsed == NULL)
    return refuse (upload, SOUP_STATUS_UNPROCESSABLE_ENTITY, TRB_PROBLEM_BAD_UPDATE,
                   "The update could not be read", error->message);
  if (!trb_weights_all_finite (parsed))
    return refuse (upload, SOUP_STATUS_UNPROCESSABLE_ENTITY, TRB_PROBLEM_NON_FINITE,
                   "The update contains values that are not numbers", NULL);
  if (trb_weights_max_abs (parsed) > upload->max_update_value)
    {
      g_autofree char *detail = NULL;
      char largest[G_ASCII_DTOSTR_BUF_SIZE], bound[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (largest, sizeof largest, "%.6g", trb_weights_max_abs (parsed));
      g_ascii_formatd (bound, sizeof bound, "%.6g", upload->max_update_value);
      detail = g_strdup_printf ("Its largest value is %s; this task accepts at most %s.",
                                largest, bound);
      return refuse (upload, SOUP_STATUS_UNPROCESSABLE_ENTITY, TRB_PROBLEM_OUT_OF_RANGE,
                     "The update has values out of range", detail);
    }
  delta = trb_model_spec_conform_weights (upload->spec, parsed, &error);
  if (delta == NULL)
    return refuse (upload, SOUP_STATUS_UNPROCESSABLE_ENTITY, TRB_PROBLEM_WRONG_SHAPE,
                   "The update does not fit the model", error->message);
  /* The task's norm bound in mode `refuse`: an update this long is not stored at all, and its
   * sender is told why. Shorter ones beyond the bound are clipped when the round aggregates. */
  if (trb_aggregation_config_refuses (&upload->aggregation, trb_weights_l2_norm (delta)))
    {
      g_autofree char *detail = NULL;
      char norm[G_ASCII_DTOSTR_BUF_SIZE], bound[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (norm, sizeof norm, "%.6g", trb_weights_l2_norm (delta));
      g_ascii_formatd (bound, sizeof bound, "%.6g", upload->aggregation.refuse_factor *
                                                   upload->aggregation.max_update_norm);
      detail = g_strdup_printf ("Its L2 norm is %s; this task refuses updates longer than %s.",
                                norm, bound);
      return refuse (upload, SOUP_STATUS_UNPROCESSABLE_ENTITY, TRB_PROBLEM_NORM_TOO_LARGE,
                     "The update is longer than the task allows", detail);
    }
  if (g_strcmp0 (trb_weights_get_metadata (parsed, "base_model"), upload->model_hash) != 0)
    return refuse (upload, SOUP_STATUS_CONFLICT, TRB_PROBLEM_WRONG_ROUND,
                   "The update was trained from another model",
                   "Fetch the current round and train on its model.");
  commitment = trb_weights_get_metadata (parsed, "dataset_commitment");
  if (!parse_decimal (trb_weights_get_metadata (parsed, "samples"), 1, 1000000000,
                      &upload->samples) ||
      !parse_decimal (trb_weights_get_metadata (parsed, "epochs"), 1, 1000, &upload->epochs) ||
      commitment == NULL || strlen (commitment) != 64 ||
      strspn (commitment, "0123456789abcdef") != 64)
    return refuse (upload, SOUP_STATUS_UNPROCESSABLE_ENTITY, TRB_PROBLEM_BAD_UPDATE,
                   "The update does not say how it was trained",
                   "The metadata must give samples and epochs.");
  upload->commitment = g_strdup (commitment);
  return TRUE;
}

static void
check_in_thread (GTask        *gtask,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Upload *upload = task_data;

  if (upload->node->upload_check_delay_ms > 0)
    trb_client_sleep (upload->node->upload_check_delay_ms, cancellable, NULL);
  /* A node shutting down answers at once rather than check what it will not store. */
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_boolean (gtask, refuse (upload, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                            TRB_PROBLEM_BUSY, "The node is shutting down",
                                            NULL));
      return;
    }
  g_task_return_boolean (gtask, check_update (upload));
}

/* The round's own conditions, checked before the update is read and again before it is stored:
 * the round may have filled up or closed while the update was being checked. */
static gboolean
round_accepts (TrbNode           *self,
               SoupServerMessage *msg,
               Task              *task,
               gint64             round,
               const char        *address,
               guint64            joined_index)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (round < task->round)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_CONFLICT, TRB_PROBLEM_LATE,
                              "This round has already closed",
                              "Fetch the current round and train on its model.");
      return FALSE;
    }
  if (round > task->round)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_CONFLICT, TRB_PROBLEM_WRONG_ROUND,
                              "This round has not started", NULL);
      return FALSE;
    }
  if (!trb_node_round_asks (task, address, joined_index))
    {
      trb_node_reply_problem (msg, SOUP_STATUS_FORBIDDEN, TRB_PROBLEM_NOT_SELECTED,
                              "This round did not ask you for an update",
                              "A round asks the participants who had joined when it opened, "
                              "chosen by the task's fraction and up to its max_updates.");
      return FALSE;
    }
  if ((task->state != ROUND_OPEN && task->state != ROUND_COLLECTING) ||
      task->n_updates >= task->max_updates ||
      (now >= task->deadline && task->n_updates >= task->min_updates))
    {
      trb_node_reply_problem (msg, SOUP_STATUS_CONFLICT, TRB_PROBLEM_LATE,
                              "This round no longer accepts updates",
                              "The round is full or past its deadline.");
      return FALSE;
    }
  return TRUE;
}

/* A retry of an update already stored gets the same receipt back; another update from the same
 * participant in the same round is a duplicate; a store that cannot tell is a 500. Returns
 * %TRUE when it replied. The body is hashed here only when it has to be (@hash is %NULL before
 * the check). */
static gboolean
reply_if_sent (TrbNode           *self,
               SoupServerMessage *msg,
               Task              *task,
               gint64             round,
               const char        *address,
               const char        *hash,
               GBytes            *body)
{
  g_autofree char *stored = NULL;
  g_autofree char *computed = NULL;
  g_autoptr(GError) error = NULL;
  guint64 leaf_index = 0;

  if (!trb_node_db_find_update (self, task->id, round, address, &stored, &leaf_index, &error))
    {
      trb_node_reply_internal (msg, error);
      return TRUE;
    }
  if (stored == NULL)
    return FALSE;
  if (hash == NULL)
    hash = computed = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, body);
  if (g_str_equal (stored, hash))
    trb_node_reply_receipt (self, msg, stored, task, round, address, leaf_index);
  else
    trb_node_receipt_reply_duplicate (msg, stored);
  return TRUE;
}

/* The storing step, on the main loop: the update, its ledger entry and the nonce in one
 * transaction, acknowledged only once committed. */
static void
store_update (TrbNode *self,
              Upload  *upload,
              Task    *task)
{
  SoupServerMessage *msg = upload->msg;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  TrbNodeUpdateRow row = { 0, };
  gsize len = 0;
  char *entry;

  if (reply_if_sent (self, msg, task, upload->round, upload->address, upload->hash, NULL) ||
      !round_accepts (self, msg, task, upload->round, upload->address, upload->joined_index))
    return;

  if (!trb_node_db_begin (self, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  entry = trb_ledger_entry_build_update_accepted (task->id, upload->round, upload->address,
                                                  upload->hash, upload->samples,
                                                  upload->commitment, now, &len, &error);
  if (!trb_node_db_append_entry (self, entry, len, &row.leaf_index, &error))
    goto fail;
  row.hash = upload->hash;
  row.participant = upload->address;
  row.samples = upload->samples;
  row.epochs = upload->epochs;
  row.data = upload->body;
  if (!trb_node_db_add_update (self, &row, task->id, upload->round, &error))
    goto fail;
  if (task->state == ROUND_OPEN)
    {
      task->state = ROUND_COLLECTING;
      if (!trb_node_db_save_round (self, task, &error))
        goto fail;
    }
  if (!trb_node_db_record_nonce (self, upload->nonce, &error) ||
      !trb_node_db_commit (self, &error))
    goto fail;

  /* Only now, with the update on disk, is it acknowledged. */
  task->n_updates++;
  if (task->n_updates == 1)
    trb_node_emit_round_event (self, task);
  trb_node_reply_receipt (self, msg, upload->hash, task, upload->round, upload->address,
                          row.leaf_index);
  if (task->n_updates >= task->max_updates)
    trb_node_start_aggregation (self, task);
  return;

fail:
  trb_node_db_rollback (self);
  task->state = task->n_updates > 0 ? ROUND_COLLECTING : ROUND_OPEN;
  trb_node_reply_internal (msg, error);
}

/* Checks run on one thread fewer than there are processors (at least one), so that the main
 * loop keeps a processor to itself; the others wait their turn, in order. More threads would only
 * take turns on the same processors, holding more updates in memory meanwhile. */
static void
start_checks (TrbNode *self)
{
  guint max = MAX (1, g_get_num_processors () - 1);

  while (self->n_checking < max && !g_queue_is_empty (&self->checks))
    {
      g_autoptr(GTask) gtask = g_queue_pop_head (&self->checks);

      self->n_checking++;
      g_task_run_in_thread (gtask, check_in_thread);
    }
}

static void
update_checked_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Upload *upload = g_task_get_task_data (G_TASK (result));
  TrbNode *self = upload->node;
  Task *task = g_hash_table_lookup (self->tasks, upload->task_id);

  self->n_checking--;
  self->checking_bytes -= g_bytes_get_size (upload->body);
  start_checks (self);
  soup_server_message_unpause (upload->msg);
  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    trb_node_reply_problem (upload->msg, upload->status, upload->type, upload->title,
                            upload->detail);
  else if (task != NULL)
    store_update (self, upload, task);
  else
    trb_node_reply_problem (upload->msg, SOUP_STATUS_NOT_FOUND, TRB_PROBLEM_UNKNOWN_TASK,
                            "This network has no such task", NULL);
}

/**
 * trb_node_handle_upload:
 * @self: a node
 * @msg: the request
 * @task: the task it is for
 * @round: the round it is for
 * @body: the request body
 *
 * Answers an upload: at once when it is refused before being read, otherwise after the update
 * has been checked on a worker and stored.
 */
void
trb_node_handle_upload (TrbNode           *self,
                        SoupServerMessage *msg,
                        Task              *task,
                        gint64             round,
                        GBytes            *body)
{
  g_autofree char *nonce = NULL;
  g_autofree char *address = trb_node_verify_request (self, msg, body, &nonce);
  g_autoptr(GTask) gtask = NULL;
  g_autoptr(GError) error = NULL;
  gboolean joined = FALSE;
  guint64 joined_index = 0;
  Upload *upload;

  if (address == NULL)
    return;
  if (!trb_node_db_find_participant (self, address, &joined, &joined_index, &error))
    {
      trb_node_reply_internal (msg, error);
      return;
    }
  if (!joined)
    {
      trb_node_reply_problem (msg, SOUP_STATUS_FORBIDDEN, TRB_PROBLEM_NOT_JOINED,
                              "Join the network first", "This address has not joined the network.");
      return;
    }
  if (reply_if_sent (self, msg, task, round, address, NULL, body) ||
      !round_accepts (self, msg, task, round, address, joined_index))
    return;
  /* Updates waiting for their check are held in memory: past a bound the node is busy, and the
   * client retries later as it does any 5xx. */
  if (g_queue_get_length (&self->checks) >= MAX_WAITING_CHECKS ||
      self->checking_bytes + g_bytes_get_size (body) > MAX_CHECKING_BYTES)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "1");
      trb_node_reply_problem (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, TRB_PROBLEM_BUSY,
                              "The node is busy checking other updates", "Try again in a moment.");
      return;
    }

  upload = g_new0 (Upload, 1);
  upload->node = g_object_ref (self);
  upload->msg = g_object_ref (msg);
  upload->task_id = g_strdup (task->id);
  upload->round = round;
  upload->joined_index = joined_index;
  upload->address = g_steal_pointer (&address);
  upload->nonce = g_steal_pointer (&nonce);
  upload->body = g_bytes_ref (body);
  upload->spec = g_object_ref (task->spec);
  upload->model_hash = g_strdup (task->model_hash);
  upload->max_update_value = task->max_update_value;
  upload->aggregation = task->aggregation;

  soup_server_message_pause (msg);
  gtask = g_task_new (NULL, self->cancellable, update_checked_cb, NULL);
  /* A check cancelled at shutdown still answers, with the refusal it set. */
  g_task_set_check_cancellable (gtask, FALSE);
  g_task_set_source_tag (gtask, trb_node_handle_upload);
  g_task_set_task_data (gtask, upload, (GDestroyNotify) upload_free);
  self->checking_bytes += g_bytes_get_size (body);
  g_queue_push_tail (&self->checks, g_steal_pointer (&gtask));
  start_checks (self);
}

/**
 * trb_node_set_upload_check_delay:
 * @self: a node
 * @delay_ms: how much longer each update's check takes
 *
 * For tests: makes the check of an update slow, as a large one is, to show that the node keeps
 * answering meanwhile.
 */
void
trb_node_set_upload_check_delay (TrbNode *self,
                                 guint    delay_ms)
{
  g_return_if_fail (TRB_IS_NODE (self));
  self->upload_check_delay_ms = delay_ms;
}

/* fuzz-messages.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: the JSON messages a participant reads from a node (events, proofs,
 * receipts, task models) and the task files a node reads.
 */

#include "config.h"

#include "net/trb-client.h"
#include "net/trb-fl-model.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const guint8 key[32] = { 1 };
  g_autoptr(JsonObject) event = trb_client_parse_event ((const char *)data, size, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (event != NULL)
    g_assert_cmpint (json_object_get_int_member (event, "seq"), >=, 1);
  if (!json_parser_load_from_data (parser, (const char *)data, size, NULL))
    return 0;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;
  {
    JsonObject *obj = json_node_get_object (root);
    g_autoptr(GBytes) proof = trb_client_proof_from_json (obj, NULL);
    g_autoptr(TrbFlModel) model = trb_fl_model_new_from_spec (obj, NULL);

    trb_client_verify_receipt (obj, key, NULL);
    if (proof != NULL)
      g_assert_cmpuint (g_bytes_get_size (proof) % 32, ==, 0);
    if (model != NULL)
      g_assert_cmpuint (model->n_params, <=, TRB_FL_MODEL_MAX_PARAMS);
  }
  return 0;
}

/* fuzz-messages.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: the JSON messages a participant reads from a node (events, proofs,
 * receipts, task models).
 */

#include "config.h"

#include "compute/trb-model-spec.h"
#include "net/trb-client.h"

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
    g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json ((const char *)data, size, NULL);

    trb_client_verify_receipt (obj, key, NULL);
    if (proof != NULL)
      g_assert_cmpuint (g_bytes_get_size (proof) % 32, ==, 0);
    if (spec != NULL)
      g_assert_cmpuint (trb_model_spec_get_n_parameters (spec), <=, 100000000);
  }
  return 0;
}

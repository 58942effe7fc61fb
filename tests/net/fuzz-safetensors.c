/* fuzz-safetensors.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: the safetensors reader a node applies to every uploaded update.
 */

#include "config.h"

#include "net/trb-fl-model.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static TrbFlModel *model;
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr(GHashTable) meta = NULL;
  g_autofree float *params = NULL;

  if (model == NULL)
    {
      g_autoptr(JsonNode) spec = json_from_string ("{\"input\":4,\"layers\":[{\"type\":\"dense\","
                                                   "\"units\":3,\"activation\":\"relu\"},"
                                                   "{\"type\":\"dense\",\"units\":2}]}", NULL);

      model = trb_fl_model_new_from_spec (json_node_get_object (spec), NULL);
    }
  params = trb_fl_model_from_safetensors (model, bytes, &meta, NULL);
  if (params != NULL)
    g_assert_nonnull (meta);
  return 0;
}

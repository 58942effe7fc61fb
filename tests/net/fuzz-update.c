/* fuzz-update.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: what a node does with the bytes of an uploaded update before accepting it
 * (the safetensors reader, the check against the task's model, finiteness, metadata).
 */

#include "config.h"

#include "compute/trb-model-spec.h"
#include "compute/trb-weights.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static TrbModelSpec *spec;
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr(TrbWeights) parsed = NULL;
  g_autoptr(TrbWeights) conformed = NULL;

  if (spec == NULL)
    spec = trb_model_spec_new_from_json ("{\"format\":\"tributary-model\",\"version\":1,"
                                         "\"input\":{\"shape\":[4],\"dtype\":\"f32\"},"
                                         "\"layers\":[{\"type\":\"dense\",\"units\":3},"
                                         "{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":2}],"
                                         "\"loss\":\"softmax_cross_entropy\"}", -1, NULL);
  parsed = trb_weights_new_from_safetensors (bytes, NULL);
  if (parsed == NULL)
    return 0;
  trb_weights_get_metadata (parsed, "base_model");
  trb_weights_get_metadata (parsed, "samples");
  if (trb_weights_all_finite (parsed))
    conformed = trb_model_spec_conform_weights (spec, parsed, NULL);
  if (conformed != NULL)
    g_assert_cmpuint (trb_weights_get_total_elements (conformed), ==,
                      trb_model_spec_get_n_parameters (spec));
  return 0;
}

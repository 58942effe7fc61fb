/* trb-model-spec.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "compute/trb-compute-types.h"
#include "compute/trb-weights.h"

G_BEGIN_DECLS

/**
 * SECTION:trb-model-spec
 *
 * The model spec is a small JSON document that a network embeds in its tasks. Version 1:
 *
 * |[
 * {
 *   "format": "tributary-model",
 *   "version": 1,
 *   "input": { "shape": [1, 28, 28], "dtype": "u8", "scale": 0.00392156862745098 },
 *   "layers": [
 *     { "type": "conv2d", "name": "conv1", "filters": 32, "kernel": 5, "stride": 1,
 *       "padding": "same" },
 *     { "type": "relu" },
 *     { "type": "maxpool2d", "kernel": 2, "stride": 2 },
 *     { "type": "flatten" },
 *     { "type": "dropout", "rate": 0.5 },
 *     { "type": "dense", "name": "fc1", "units": 10 }
 *   ],
 *   "loss": "softmax_cross_entropy"
 * }
 * ]|
 *
 * - `input.shape` is `[features]` or `[channels, height, width]`; `dtype` is `"u8"` (bytes,
 *   multiplied by `scale`, default 1/255) or `"f32"`. The trainer and trb_evaluate() multiply
 *   byte data by `scale` whichever reader produced it, on every executor; a spec that names its
 *   `dtype` refuses data of the other type, one that names none takes either.
 * - `dense`: `units`; weight `[units, in]`, bias `[units]`; needs flat input.
 * - `conv2d`: `filters`, `kernel` (n or [h, w]), `stride` (default 1), `padding` (a number,
 *   `"valid"` = 0, or `"same"`, which needs stride 1 and odd kernels); weight
 *   `[filters, channels, kh, kw]`, bias `[filters]`; NCHW layout.
 * - `maxpool2d`: `kernel` and `stride` (default = kernel), no padding.
 * - `relu`, `flatten`, `dropout` (`rate` in [0, 1), inverted scaling, training only).
 * - `name` is optional; parameters are named `<name>.weight` and `<name>.bias`, and unnamed
 *   layers are called `layers.<index>` (0-based), as PyTorch's nn.Sequential does.
 * - The last layer must give a flat output; its size is the number of classes. `loss` must be
 *   `"softmax_cross_entropy"` (mean over the batch).
 * - Limits: 64 layers, 65,536 per dimension, 100 million parameters, 16 million activations
 *   per sample.
 */

typedef enum
{
  TRB_LAYER_DENSE,
  TRB_LAYER_CONV2D,
  TRB_LAYER_MAXPOOL2D,
  TRB_LAYER_RELU,
  TRB_LAYER_FLATTEN,
  TRB_LAYER_DROPOUT,
} TrbLayerKind;

typedef struct
{
  TrbLayerKind kind;
  char        *name;
  /* Shapes of one sample; a flat tensor of n values is (n, 1, 1) with flat set. */
  int          in_c, in_h, in_w;
  int          out_c, out_h, out_w;
  gboolean     in_flat, out_flat;
  /* conv2d and maxpool2d */
  int          kernel_h, kernel_w, stride, pad_h, pad_w;
  /* dropout */
  double       rate;
  /* indices into the parameter set, or -1 */
  int          weight_index, bias_index;
} TrbLayer;

#define TRB_MODEL_SPEC_MAX_LAYERS 64
#define TRB_MODEL_SPEC_MAX_DIM 65536
#define TRB_MODEL_SPEC_MAX_PARAMS 100000000
#define TRB_MODEL_SPEC_MAX_ACTIVATIONS 16000000
#define TRB_MODEL_SPEC_MAX_JSON (256 * 1024)

#define TRB_TYPE_MODEL_SPEC (trb_model_spec_get_type ())

G_DECLARE_FINAL_TYPE (TrbModelSpec, trb_model_spec, TRB, MODEL_SPEC, GObject)

TrbModelSpec   *trb_model_spec_new_from_json       (const char    *json,
                                                    gssize         length,
                                                    GError       **error);
const char     *trb_model_spec_get_digest          (TrbModelSpec  *self);
guint           trb_model_spec_get_n_layers        (TrbModelSpec  *self);
const TrbLayer *trb_model_spec_get_layer           (TrbModelSpec  *self,
                                                    guint          index);
TrbFeatureType  trb_model_spec_get_input_type      (TrbModelSpec  *self);
gsize           trb_model_spec_get_input_size      (TrbModelSpec  *self);
double          trb_model_spec_get_input_scale     (TrbModelSpec  *self);
gboolean        trb_model_spec_names_input_type    (TrbModelSpec  *self);
int             trb_model_spec_get_n_classes       (TrbModelSpec  *self);
gsize           trb_model_spec_get_n_parameters    (TrbModelSpec  *self);
gsize           trb_model_spec_get_max_activations (TrbModelSpec  *self);
TrbWeights     *trb_model_spec_init_weights        (TrbModelSpec  *self,
                                                    guint64        seed);
TrbWeights     *trb_model_spec_conform_weights     (TrbModelSpec  *self,
                                                    TrbWeights    *weights,
                                                    GError       **error);

/* Specs of the models of the FedAvg paper and NIID-Bench, for tests, benchmarks and demos. */
const char     *trb_model_spec_json_2nn            (void);
const char     *trb_model_spec_json_fedavg_cnn     (void);
const char     *trb_model_spec_json_niid_cnn       (void);

G_END_DECLS

/* trb-fl-model.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The small multi-layer perceptron that protocol version 1 tasks describe (dense layers with
 * optional ReLU, softmax cross-entropy), its safetensors encoding, plain-C training and
 * evaluation, and the checks a node applies to received updates. The node and headless
 * participants use it where a full compute engine is not needed.
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TRB_FL_MODEL_ERROR (trb_fl_model_error_quark ())

typedef enum
{
  TRB_FL_MODEL_ERROR_INVALID_SPEC,
  TRB_FL_MODEL_ERROR_BAD_FILE,
  TRB_FL_MODEL_ERROR_WRONG_SHAPE,
  TRB_FL_MODEL_ERROR_NON_FINITE,
  TRB_FL_MODEL_ERROR_TOO_LARGE,
} TrbFlModelError;

#define TRB_FL_MODEL_MAX_LAYERS     8
#define TRB_FL_MODEL_MAX_UNITS      4096
#define TRB_FL_MODEL_MAX_PARAMS     (16 * 1024 * 1024)
#define TRB_SAFETENSORS_MAX_HEADER  (1024 * 1024)

typedef struct
{
  guint     n_layers;
  guint     sizes[TRB_FL_MODEL_MAX_LAYERS + 1];
  gboolean  relu[TRB_FL_MODEL_MAX_LAYERS];
  gsize     offsets[TRB_FL_MODEL_MAX_LAYERS];
  gsize     n_params;
} TrbFlModel;

GQuark      trb_fl_model_error_quark        (void);

TrbFlModel *trb_fl_model_new_from_spec      (JsonObject        *spec,
                                             GError           **error);
void        trb_fl_model_free               (TrbFlModel        *self);
float      *trb_fl_model_init_params        (TrbFlModel        *self,
                                             guint64            seed);

GBytes     *trb_fl_model_to_safetensors     (TrbFlModel        *self,
                                             const float       *params,
                                             GHashTable        *metadata);
float      *trb_fl_model_from_safetensors   (TrbFlModel        *self,
                                             GBytes            *bytes,
                                             GHashTable       **metadata,
                                             GError           **error);

double      trb_fl_model_train              (TrbFlModel        *self,
                                             float             *params,
                                             const float       *inputs,
                                             const guint8      *labels,
                                             gsize              n_samples,
                                             guint              epochs,
                                             guint              batch_size,
                                             double             learning_rate,
                                             guint64            seed);
void        trb_fl_model_evaluate           (TrbFlModel        *self,
                                             const float       *params,
                                             const float       *inputs,
                                             const guint8      *labels,
                                             gsize              n_samples,
                                             double            *loss,
                                             double            *accuracy);

char       *trb_sha256_hex                  (const guint8      *data,
                                             gsize              len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbFlModel, trb_fl_model_free)

G_END_DECLS

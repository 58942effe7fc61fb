/* trb-weights.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "compute/trb-compute-types.h"
#include "net/trb-protocol.h"

G_BEGIN_DECLS

/* Largest number of tensors and of dimensions of one tensor accepted. */
#define TRB_WEIGHTS_MAX_TENSORS 4096
#define TRB_WEIGHTS_MAX_DIMS 8

#define TRB_TYPE_WEIGHTS (trb_weights_get_type ())

G_DECLARE_FINAL_TYPE (TrbWeights, trb_weights, TRB, WEIGHTS, GObject)

/**
 * TrbWeights:
 *
 * An ordered set of named fp32 tensors: model parameters, an update, or optimizer state.
 * It reads and writes the safetensors format (a little-endian u64 header length, a JSON header
 * mapping names to dtype, shape and byte offsets, then the raw bytes). Written files are
 * deterministic: the same tensors in the same order always give the same bytes, so the SHA-256
 * of those bytes is a content address.
 */

TrbWeights   *trb_weights_new                  (void);
TrbWeights   *trb_weights_copy                 (TrbWeights    *self);
float        *trb_weights_add                  (TrbWeights    *self,
                                                const char    *name,
                                                guint          n_dims,
                                                const gsize   *shape);
guint         trb_weights_get_n_tensors        (TrbWeights    *self);
const char   *trb_weights_get_name             (TrbWeights    *self,
                                                guint          index);
guint         trb_weights_get_n_dims           (TrbWeights    *self,
                                                guint          index);
const gsize  *trb_weights_get_shape            (TrbWeights    *self,
                                                guint          index);
gsize         trb_weights_get_n_elements       (TrbWeights    *self,
                                                guint          index);
float        *trb_weights_get_data             (TrbWeights    *self,
                                                guint          index);
int           trb_weights_lookup               (TrbWeights    *self,
                                                const char    *name);
gsize         trb_weights_get_total_elements   (TrbWeights    *self);
void          trb_weights_set_metadata         (TrbWeights    *self,
                                                const char    *key,
                                                const char    *value);
const char   *trb_weights_get_metadata         (TrbWeights    *self,
                                                const char    *key);

/* safetensors */
GBytes       *trb_weights_to_safetensors       (TrbWeights    *self);
TrbWeights   *trb_weights_new_from_safetensors (GBytes        *bytes,
                                                GError       **error);
gboolean      trb_weights_save                 (TrbWeights    *self,
                                                const char    *path,
                                                GError       **error);
TrbWeights   *trb_weights_load                 (const char    *path,
                                                gsize          max_size,
                                                GError       **error);
char         *trb_weights_content_address      (TrbWeights    *self);
char         *trb_safetensors_content_address  (GBytes        *bytes);

/* Checks */
gboolean      trb_weights_same_layout          (TrbWeights    *self,
                                                TrbWeights    *other,
                                                GError       **error);
gboolean      trb_weights_all_finite           (TrbWeights    *self);
double        trb_weights_max_abs              (TrbWeights    *self);

/* Federated helpers (all in double precision internally) */
TrbWeights   *trb_weights_weighted_average     (TrbWeights   **sets,
                                                const double  *weights,
                                                guint          n_sets,
                                                GError       **error);
TrbWeights   *trb_weights_subtract             (TrbWeights    *trained,
                                                TrbWeights    *global,
                                                GError       **error);
gboolean      trb_weights_add_scaled           (TrbWeights    *self,
                                                TrbWeights    *other,
                                                double         scale,
                                                GError       **error);
double        trb_weights_l2_norm              (TrbWeights    *self);
double        trb_weights_clip_norm            (TrbWeights    *self,
                                                double         max_norm);
void          trb_weights_add_gaussian_noise   (TrbWeights    *self,
                                                double         stddev,
                                                guint64        seed);
double        trb_weights_max_abs_difference   (TrbWeights    *self,
                                                TrbWeights    *other);

G_END_DECLS

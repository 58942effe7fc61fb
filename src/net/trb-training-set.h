/* trb-training-set.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "compute/trb-compute-types.h"
#include "datasets/trb-sample-source.h"

G_BEGIN_DECLS

/* Limits on what is held in memory for training: samples, and bytes of features. */
#define TRB_TRAINING_SET_MAX_SAMPLES 1000000
#define TRB_TRAINING_SET_MAX_BYTES   (G_GUINT64_CONSTANT (1) << 30)

#define TRB_TYPE_TRAINING_SET (trb_training_set_get_type ())

G_DECLARE_FINAL_TYPE (TrbTrainingSet, trb_training_set, TRB, TRAINING_SET, GObject)

TrbTrainingSet *trb_training_set_load             (const char       *path,
                                                   guint             part,
                                                   guint             n_parts,
                                                   gsize             max_samples,
                                                   GCancellable     *cancellable,
                                                   GError          **error);
TrbTrainingSet *trb_training_set_new_from_source  (TrbSampleSource  *source,
                                                   guint             part,
                                                   guint             n_parts,
                                                   gsize             max_samples,
                                                   GCancellable     *cancellable,
                                                   GError          **error);
gsize           trb_training_set_get_n_samples    (TrbTrainingSet   *self);
void            trb_training_set_get_source       (TrbTrainingSet   *self,
                                                   TrbDataSource    *source);
char           *trb_training_set_compute_digest   (TrbTrainingSet   *self);

G_END_DECLS

/* trb-idx.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads a labelled IDX image set (MNIST layout, optionally gzip-compressed) into the float
 * features a classification task trains on, with a partition so that several headless
 * participants can each take a disjoint share.
 */

#pragma once

#include <glib.h>

#include "compute/trb-compute-types.h"

G_BEGIN_DECLS

#define TRB_IDX_MAX_SAMPLES  1000000
#define TRB_IDX_MAX_FEATURES 4096

typedef struct
{
  guint8 *pixels;       /* n_samples × n_features bytes, sample-major */
  gint32 *labels;
  gsize   n_samples;
  guint   n_features;
} TrbIdxSet;

TrbIdxSet *trb_idx_set_load       (const char  *path,
                                   guint        part,
                                   guint        n_parts,
                                   gsize        max_samples,
                                   GError     **error);
void       trb_idx_set_free       (TrbIdxSet   *self);
void       trb_idx_set_get_source (TrbIdxSet     *self,
                                   TrbDataSource *source);
char      *trb_idx_find_labels    (const char  *images_path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbIdxSet, trb_idx_set_free)

G_END_DECLS

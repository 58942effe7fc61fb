/* trb-idx-reader.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "trb-sample-source.h"

G_BEGIN_DECLS

#define TRB_TYPE_IDX_READER (trb_idx_reader_get_type ())

G_DECLARE_FINAL_TYPE (TrbIdxReader, trb_idx_reader, TRB, IDX_READER, GObject)

TrbIdxReader *trb_idx_reader_new             (const char    *path,
                                              GError       **error);
TrbIdxReader *trb_idx_reader_new_for_streams (GInputStream  *images,
                                              GInputStream  *labels,
                                              GError       **error);
gboolean      trb_idx_find_pair              (const char    *path,
                                              char         **images_path,
                                              char         **labels_path,
                                              GError       **error);

G_END_DECLS

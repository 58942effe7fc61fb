/* trb-csv-reader.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "trb-sample-source.h"

G_BEGIN_DECLS

#define TRB_CSV_PREVIEW_ROWS 5

#define TRB_TYPE_CSV_READER (trb_csv_reader_get_type ())

G_DECLARE_FINAL_TYPE (TrbCsvReader, trb_csv_reader, TRB, CSV_READER, GObject)

TrbCsvReader       *trb_csv_reader_new            (const char               *path,
                                                   const TrbDatasetOptions  *options,
                                                   GError                  **error);
TrbCsvReader       *trb_csv_reader_new_for_stream (GInputStream             *stream,
                                                   const TrbDatasetOptions  *options,
                                                   GError                  **error);
const char * const *trb_csv_reader_get_header     (TrbCsvReader             *self);
GPtrArray          *trb_csv_reader_get_preview    (TrbCsvReader             *self);

G_END_DECLS

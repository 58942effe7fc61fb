/* trb-image-folder-reader.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "trb-sample-source.h"

G_BEGIN_DECLS

#define TRB_TYPE_IMAGE_FOLDER_READER (trb_image_folder_reader_get_type ())

G_DECLARE_FINAL_TYPE (TrbImageFolderReader, trb_image_folder_reader, TRB, IMAGE_FOLDER_READER,
                      GObject)

TrbImageFolderReader *trb_image_folder_reader_new             (const char               *path,
                                                               const TrbDatasetOptions  *options,
                                                               GError                  **error);
GHashTable           *trb_image_folder_reader_get_size_counts (TrbImageFolderReader     *self);
guint                 trb_image_folder_reader_get_n_colour    (TrbImageFolderReader     *self);
guint                 trb_image_folder_reader_get_n_grey      (TrbImageFolderReader     *self);
GPtrArray            *trb_image_folder_reader_get_files       (TrbImageFolderReader     *self);

G_END_DECLS

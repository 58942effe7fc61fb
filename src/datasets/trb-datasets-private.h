/* trb-datasets-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers shared by the readers of the datasets domain. Not for other domains.
 */

#pragma once

#include "trb-sample-source.h"

G_BEGIN_DECLS

/* What identifies the version of a file on disk: if any of these differ, the file changed. */
typedef struct
{
  guint64 dev;
  guint64 ino;
  guint64 size;
  gint64  mtime_ns;
} TrbFileStamp;

gboolean      trb_file_stamp_take       (const char          *path,
                                         TrbFileStamp        *stamp,
                                         GError             **error);
gboolean      trb_file_stamp_equal      (const TrbFileStamp  *a,
                                         const TrbFileStamp  *b);
gboolean      trb_file_stamp_verify     (const char          *path,
                                         const TrbFileStamp  *stamp,
                                         GError             **error);

GInputStream *trb_dataset_open_file     (const char          *path,
                                         TrbFileStamp        *stamp,
                                         gboolean            *is_gzip,
                                         GError             **error);
gboolean      trb_dataset_read_fully    (GInputStream        *stream,
                                         void                *buffer,
                                         gsize                count,
                                         gsize               *bytes_read,
                                         const char          *name,
                                         GCancellable        *cancellable,
                                         GError             **error);
void          trb_dataset_set_open_error (GError            **error,
                                          const char         *path,
                                          int                 errsv);
char         *trb_dataset_display_name  (const char          *path);
void          trb_dataset_add_problem   (GPtrArray           *problems,
                                         const char          *format,
                                         ...) G_GNUC_PRINTF (2, 3);

#define TRB_DATASET_MAX_PROBLEMS 100

G_END_DECLS

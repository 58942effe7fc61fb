/* trb-note-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "trb-note-verifier.h"

G_BEGIN_DECLS

#define TRB_NOTE_EM_DASH "\xe2\x80\x94"

gboolean  _trb_note_base64_decode       (const char   *text,
                                         gsize         length,
                                         guint8       *out,
                                         gsize         out_size,
                                         gsize        *out_len);
char     *_trb_note_base64_encode       (const guint8 *data,
                                         gsize         length);
gboolean  _trb_note_parse_key_string    (const char   *key,
                                         char        **name,
                                         guint32      *key_id,
                                         guint8       *type,
                                         guint8        material[TRB_NOTE_SEED_SIZE],
                                         GError      **error);
GBytes   *_trb_note_cosignature_message (const char   *text,
                                         gsize         text_length,
                                         guint64       timestamp);

G_END_DECLS

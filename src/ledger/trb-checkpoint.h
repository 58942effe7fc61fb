/* trb-checkpoint.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A C2SP tlog-checkpoint: origin, tree size, root hash and optional extension lines, carried as
 * a signed note signed by the log and optionally cosigned (C2SP tlog-cosignature).
 */

#pragma once

#include <glib-object.h>

#include "ledger/trb-note-verifier.h"

#include "ledger/trb-merkle.h"
#include "ledger/trb-note.h"
#include "net/trb-protocol.h"

G_BEGIN_DECLS

#define TRB_CHECKPOINT_MAX_EXTENSIONS 16

#define TRB_TYPE_CHECKPOINT (trb_checkpoint_get_type ())

G_DECLARE_FINAL_TYPE (TrbCheckpoint, trb_checkpoint, TRB, CHECKPOINT, GObject)

TrbCheckpoint      *trb_checkpoint_new                (const char         *origin,
                                                       guint64             size,
                                                       const guint8        root[TRB_MERKLE_HASH_SIZE],
                                                       const char * const *extensions,
                                                       GError            **error);
TrbCheckpoint      *trb_checkpoint_parse_text         (const char         *text,
                                                       gsize               length,
                                                       GError            **error);
TrbCheckpoint      *trb_checkpoint_open               (const char         *signed_note,
                                                       gsize               length,
                                                       const char         *origin,
                                                       TrbNoteVerifier    *log_key,
                                                       TrbNoteVerifier   **cosigners,
                                                       guint               n_cosigners,
                                                       GError            **error);
char               *trb_checkpoint_to_text            (TrbCheckpoint      *self);
char               *trb_checkpoint_sign               (TrbCheckpoint      *self,
                                                       TrbNoteSigner      *log_signer,
                                                       GError            **error);
char               *trb_checkpoint_cosign             (const char         *signed_note,
                                                       gsize               length,
                                                       TrbNoteSigner      *cosigner,
                                                       gint64              timestamp,
                                                       GError            **error);
guint64             trb_checkpoint_get_size           (TrbCheckpoint      *self);
const guint8       *trb_checkpoint_get_root           (TrbCheckpoint      *self);
const char * const *trb_checkpoint_get_extensions     (TrbCheckpoint      *self);
const char         *trb_checkpoint_get_signed_note    (TrbCheckpoint      *self);
guint               trb_checkpoint_get_n_cosignatures (TrbCheckpoint      *self);
TrbNoteVerifier    *trb_checkpoint_get_cosigner       (TrbCheckpoint      *self,
                                                       guint               i,
                                                       gint64             *timestamp);
gboolean            trb_checkpoint_equal              (TrbCheckpoint      *a,
                                                       TrbCheckpoint      *b);

G_END_DECLS

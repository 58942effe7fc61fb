/* trb-note.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A C2SP signed note: a text and the signature lines after it. Parsing is strict and bounded
 * (TRB_NOTE_MAX_SIZE, TRB_NOTE_MAX_SIGNATURES); the text must not be trusted before
 * trb_note_verify() succeeds.
 */

#pragma once

#include <glib-object.h>

#include "ledger/trb-note-signer.h"
#include "ledger/trb-note-verifier.h"

G_BEGIN_DECLS

#define TRB_TYPE_NOTE (trb_note_get_type ())

G_DECLARE_FINAL_TYPE (TrbNote, trb_note, TRB, NOTE, GObject)

TrbNote      *trb_note_parse                  (const char       *data,
                                               gsize             length,
                                               GError          **error);
TrbNote      *trb_note_open                   (const char       *data,
                                               gsize             length,
                                               TrbNoteVerifier **verifiers,
                                               guint             n_verifiers,
                                               GError          **error);
char         *trb_note_sign                   (const char       *text,
                                               gsize             text_length,
                                               TrbNoteSigner   **signers,
                                               guint             n_signers,
                                               gint64            timestamp,
                                               GError          **error);
gboolean      trb_note_verify                 (TrbNote          *self,
                                               TrbNoteVerifier **verifiers,
                                               guint             n_verifiers,
                                               GError          **error);
const char   *trb_note_get_text               (TrbNote          *self,
                                               gsize            *length);
guint         trb_note_get_n_signatures       (TrbNote          *self);
const char   *trb_note_get_signature_name     (TrbNote          *self,
                                               guint             i);
GBytes       *trb_note_get_signature_bytes    (TrbNote          *self,
                                               guint             i);
gboolean      trb_note_find_verified          (TrbNote          *self,
                                               TrbNoteVerifier  *verifier,
                                               gint64           *timestamp);
gboolean      trb_note_add_signature_line     (TrbNote          *self,
                                               const char       *line,
                                               GError          **error);
char         *trb_note_to_string              (TrbNote          *self,
                                               gsize            *length);

G_END_DECLS

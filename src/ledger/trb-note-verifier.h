/* trb-note-verifier.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A public key that checks signatures on C2SP signed notes, encoded as a verifier key
 * `name+hexkeyid+base64(type || public key)`.
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Limits on notes and keys read from outside. */
#define TRB_NOTE_MAX_SIZE           (64 * 1024)
#define TRB_NOTE_MAX_SIGNATURES     64
#define TRB_NOTE_MAX_NAME_LENGTH    255
#define TRB_NOTE_PUBLIC_KEY_SIZE    32
#define TRB_NOTE_SEED_SIZE          32

/**
 * TrbNoteKeyType:
 * @TRB_NOTE_KEY_ED25519: Ed25519 signatures over the note text (signed-note type 0x01)
 * @TRB_NOTE_KEY_COSIGNATURE: timestamped Ed25519 cosignatures (tlog-cosignature, type 0x04)
 */
typedef enum
{
  TRB_NOTE_KEY_ED25519 = 0x01,
  TRB_NOTE_KEY_COSIGNATURE = 0x04,
} TrbNoteKeyType;

#define TRB_TYPE_NOTE_VERIFIER (trb_note_verifier_get_type ())

G_DECLARE_FINAL_TYPE (TrbNoteVerifier, trb_note_verifier, TRB, NOTE_VERIFIER, GObject)

TrbNoteVerifier *trb_note_verifier_new             (const char       *name,
                                                    TrbNoteKeyType    type,
                                                    const guint8      public_key[TRB_NOTE_PUBLIC_KEY_SIZE],
                                                    GError          **error);
TrbNoteVerifier *trb_note_verifier_new_from_string (const char       *vkey,
                                                    GError          **error);
char            *trb_note_verifier_to_string       (TrbNoteVerifier  *self);
const char      *trb_note_verifier_get_name        (TrbNoteVerifier  *self);
guint32          trb_note_verifier_get_key_id      (TrbNoteVerifier  *self);
TrbNoteKeyType   trb_note_verifier_get_key_type    (TrbNoteVerifier  *self);
const guint8    *trb_note_verifier_get_public_key  (TrbNoteVerifier  *self);
gboolean         trb_note_verifier_verify          (TrbNoteVerifier  *self,
                                                    const char       *text,
                                                    gsize             text_length,
                                                    const guint8     *signature,
                                                    gsize             signature_length,
                                                    gint64           *timestamp);
gboolean         trb_note_key_name_is_valid        (const char       *name,
                                                    gssize            length);
guint32          trb_note_compute_key_id           (const char       *name,
                                                    TrbNoteKeyType    type,
                                                    const guint8      public_key[TRB_NOTE_PUBLIC_KEY_SIZE]);

G_END_DECLS

/* trb-note-signer.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A private key that signs C2SP signed notes. The key lives in sodium_malloc() memory and is
 * zeroed when the signer is freed; alternatively the signing is delegated to a function (for
 * a wallet that never hands out its key).
 */

#pragma once

#include <glib-object.h>

#include "ledger/trb-note-verifier.h"

G_BEGIN_DECLS

/**
 * TrbNoteSignFunc:
 * @message: the bytes to sign
 * @length: their length
 * @signature: (out caller-allocates): the 64-byte Ed25519 signature
 * @user_data: the data given with the function
 * @error: return location for an error
 *
 * Returns: %TRUE when @signature was written
 */
typedef gboolean (*TrbNoteSignFunc) (const guint8  *message,
                                     gsize          length,
                                     guint8         signature[64],
                                     gpointer       user_data,
                                     GError       **error);

#define TRB_TYPE_NOTE_SIGNER (trb_note_signer_get_type ())

G_DECLARE_FINAL_TYPE (TrbNoteSigner, trb_note_signer, TRB, NOTE_SIGNER, GObject)

TrbNoteSigner   *trb_note_signer_new             (const char      *name,
                                                  TrbNoteKeyType   type,
                                                  const guint8     seed[TRB_NOTE_SEED_SIZE],
                                                  GError         **error);
TrbNoteSigner   *trb_note_signer_new_from_string (const char      *skey,
                                                  GError         **error);
TrbNoteSigner   *trb_note_signer_new_with_func   (const char      *name,
                                                  TrbNoteKeyType   type,
                                                  const guint8     public_key[TRB_NOTE_PUBLIC_KEY_SIZE],
                                                  TrbNoteSignFunc  func,
                                                  gpointer         user_data,
                                                  GDestroyNotify   destroy,
                                                  GError         **error);
TrbNoteVerifier *trb_note_signer_get_verifier    (TrbNoteSigner   *self);
const char      *trb_note_signer_get_name        (TrbNoteSigner   *self);
gboolean         trb_note_signer_sign            (TrbNoteSigner   *self,
                                                  const char      *text,
                                                  gsize            text_length,
                                                  gint64           timestamp,
                                                  GBytes         **signature,
                                                  GError         **error);
char            *trb_note_signer_sign_line       (TrbNoteSigner   *self,
                                                  const char      *text,
                                                  gsize            text_length,
                                                  gint64           timestamp,
                                                  GError         **error);

G_END_DECLS

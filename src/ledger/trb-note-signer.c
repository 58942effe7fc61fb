/* trb-note-signer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Signs notes with an Ed25519 key held in sodium_malloc() memory (zeroed and freed with the
 * signer), or through a function supplied by the key's owner.
 */

#define G_LOG_DOMAIN "trb-note"

#include "config.h"

#include "trb-note-signer.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "trb-ledger-error.h"
#include "trb-note-private.h"

struct _TrbNoteSigner
{
  GObject          parent_instance;

  TrbNoteVerifier *verifier;
  guint8          *secret_key;   /* crypto_sign_SECRETKEYBYTES, sodium_malloc() */
  TrbNoteSignFunc  func;
  gpointer         user_data;
  GDestroyNotify   destroy;
};

G_DEFINE_FINAL_TYPE (TrbNoteSigner, trb_note_signer, G_TYPE_OBJECT)

static void
trb_note_signer_finalize (GObject *object)
{
  TrbNoteSigner *self = (TrbNoteSigner *)object;

  /* sodium_free() zeroes the memory before releasing it. */
  g_clear_pointer (&self->secret_key, sodium_free);
  if (self->destroy != NULL)
    self->destroy (self->user_data);
  g_clear_object (&self->verifier);

  G_OBJECT_CLASS (trb_note_signer_parent_class)->finalize (object);
}

static void
trb_note_signer_class_init (TrbNoteSignerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_note_signer_finalize;
}

static void
trb_note_signer_init (TrbNoteSigner *self)
{
}

/**
 * trb_note_signer_new:
 * @name: the key name
 * @type: the signature type
 * @seed: the 32-byte Ed25519 seed, copied into protected memory
 *
 * Returns: (transfer full): the signer, or %NULL with @error set
 */
TrbNoteSigner *
trb_note_signer_new (const char      *name,
                     TrbNoteKeyType   type,
                     const guint8     seed[TRB_NOTE_SEED_SIZE],
                     GError         **error)
{
  g_autoptr(TrbNoteSigner) self = NULL;
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];

  g_return_val_if_fail (seed != NULL, NULL);

  if (sodium_init () < 0)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The cryptography library could not be started."));
      return NULL;
    }

  self = g_object_new (TRB_TYPE_NOTE_SIGNER, NULL);
  self->secret_key = sodium_malloc (crypto_sign_SECRETKEYBYTES);
  if (self->secret_key == NULL)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("There is not enough protected memory for a key."));
      return NULL;
    }
  crypto_sign_seed_keypair (public_key, self->secret_key, seed);

  self->verifier = trb_note_verifier_new (name, type, public_key, error);
  if (self->verifier == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * trb_note_signer_new_from_string:
 * @skey: a signer key `PRIVATE+KEY+name+hexkeyid+base64(type || seed)`
 *
 * Returns: (transfer full): the signer, or %NULL with @error set
 */
TrbNoteSigner *
trb_note_signer_new_from_string (const char  *skey,
                                 GError     **error)
{
  static const char prefix[] = "PRIVATE+KEY+";
  g_autofree char *name = NULL;
  g_autoptr(TrbNoteSigner) self = NULL;
  guint8 *seed;
  guint32 key_id;
  guint8 type;

  g_return_val_if_fail (skey != NULL, NULL);

  if (!g_str_has_prefix (skey, prefix) || strlen (skey) > TRB_NOTE_MAX_NAME_LENGTH + 100)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The key is not written correctly."));
      return NULL;
    }

  seed = sodium_init () >= 0 ? sodium_malloc (TRB_NOTE_SEED_SIZE) : NULL;
  if (seed == NULL)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("There is not enough protected memory for a key."));
      return NULL;
    }

  if (_trb_note_parse_key_string (skey + strlen (prefix), &name, &key_id, &type, seed, error))
    self = trb_note_signer_new (name, type, seed, error);
  sodium_free (seed);

  if (self == NULL)
    return NULL;

  if (trb_note_verifier_get_key_id (self->verifier) != key_id)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The key is not written correctly: its identifier does not match."));
      return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * trb_note_signer_new_with_func:
 * @public_key: the public key matching the key @func signs with
 * @func: (scope notified): signs a message with the private key
 *
 * Returns: (transfer full): the signer, or %NULL with @error set
 */
TrbNoteSigner *
trb_note_signer_new_with_func (const char      *name,
                               TrbNoteKeyType   type,
                               const guint8     public_key[TRB_NOTE_PUBLIC_KEY_SIZE],
                               TrbNoteSignFunc  func,
                               gpointer         user_data,
                               GDestroyNotify   destroy,
                               GError         **error)
{
  g_autoptr(TrbNoteSigner) self = NULL;

  g_return_val_if_fail (public_key != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (TRB_TYPE_NOTE_SIGNER, NULL);
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  self->verifier = trb_note_verifier_new (name, type, public_key, error);
  if (self->verifier == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * trb_note_signer_get_verifier:
 *
 * Returns: (transfer none): the matching verifier
 */
TrbNoteVerifier *
trb_note_signer_get_verifier (TrbNoteSigner *self)
{
  g_return_val_if_fail (TRB_IS_NOTE_SIGNER (self), NULL);
  return self->verifier;
}

const char *
trb_note_signer_get_name (TrbNoteSigner *self)
{
  g_return_val_if_fail (TRB_IS_NOTE_SIGNER (self), NULL);
  return trb_note_verifier_get_name (self->verifier);
}

static gboolean
sign_raw (TrbNoteSigner  *self,
          const guint8   *message,
          gsize           length,
          guint8          out[crypto_sign_BYTES],
          GError        **error)
{
  if (self->func != NULL)
    {
      if (!self->func (message, length, out, self->user_data, error))
        return FALSE;
    }
  else
    {
      crypto_sign_detached (out, NULL, message, length, self->secret_key);
    }

  /* A delegated signer could use the wrong key; never publish a signature that fails. */
  if (crypto_sign_verify_detached (out, message, length,
                                   trb_note_verifier_get_public_key (self->verifier)) != 0)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_SIGNATURE,
                   _("The signature made with this key is not valid."));
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_text (const char  *text,
            gsize        length,
            GError     **error)
{
  if (length == 0 || text[length - 1] != '\n' || length > TRB_NOTE_MAX_SIZE ||
      !g_utf8_validate_len (text, length, NULL))
    goto bad;

  for (gsize i = 0; i < length; i++)
    {
      if ((guchar)text[i] < 0x20 && text[i] != '\n')
        goto bad;
    }
  return TRUE;

bad:
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
               _("The text to sign is not valid: it must be UTF-8 without control characters "
                 "and end with a new line."));
  return FALSE;
}

/**
 * trb_note_signer_sign:
 * @text: the note text, ending in a newline
 * @timestamp: the time of a cosignature (seconds since 1970); ignored for other types
 * @signature: (out): the signature bytes that follow the key ID
 */
gboolean
trb_note_signer_sign (TrbNoteSigner  *self,
                      const char     *text,
                      gsize           text_length,
                      gint64          timestamp,
                      GBytes        **signature,
                      GError        **error)
{
  guint8 sig[8 + crypto_sign_BYTES];

  g_return_val_if_fail (TRB_IS_NOTE_SIGNER (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);

  if (!check_text (text, text_length, error))
    return FALSE;

  if (trb_note_verifier_get_key_type (self->verifier) == TRB_NOTE_KEY_ED25519)
    {
      if (!sign_raw (self, (const guint8 *)text, text_length, sig, error))
        return FALSE;
      *signature = g_bytes_new (sig, crypto_sign_BYTES);
    }
  else
    {
      g_autoptr(GBytes) message = NULL;

      if (timestamp < 0)
        {
          g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                       _("A cosignature needs a time after 1970."));
          return FALSE;
        }
      for (guint i = 0; i < 8; i++)
        sig[i] = (guint8)((guint64)timestamp >> (56 - 8 * i));
      message = _trb_note_cosignature_message (text, text_length, (guint64)timestamp);
      if (!sign_raw (self, g_bytes_get_data (message, NULL), g_bytes_get_size (message), sig + 8,
                     error))
        return FALSE;
      *signature = g_bytes_new (sig, sizeof sig);
    }

  return TRUE;
}

/**
 * trb_note_signer_sign_line:
 *
 * Returns: (transfer full): the signature line `— name base64(key ID || signature)\n`, or
 *   %NULL with @error set
 */
char *
trb_note_signer_sign_line (TrbNoteSigner  *self,
                           const char     *text,
                           gsize           text_length,
                           gint64          timestamp,
                           GError        **error)
{
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GByteArray) raw = NULL;
  g_autofree char *b64 = NULL;
  guint32 id;
  guint8 id_bytes[4];

  g_return_val_if_fail (TRB_IS_NOTE_SIGNER (self), NULL);

  if (!trb_note_signer_sign (self, text, text_length, timestamp, &signature, error))
    return NULL;

  id = trb_note_verifier_get_key_id (self->verifier);
  id_bytes[0] = id >> 24;
  id_bytes[1] = id >> 16;
  id_bytes[2] = id >> 8;
  id_bytes[3] = id;
  raw = g_byte_array_new ();
  g_byte_array_append (raw, id_bytes, 4);
  g_byte_array_append (raw, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  b64 = _trb_note_base64_encode (raw->data, raw->len);

  return g_strdup_printf (TRB_NOTE_EM_DASH " %s %s\n", trb_note_signer_get_name (self), b64);
}

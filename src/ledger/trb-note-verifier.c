/* trb-note-verifier.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * C2SP signed-note verifier keys. The key ID is the first four bytes (big-endian) of
 * SHA-256(name || 0x0A || type || public key). Ed25519 note signatures (type 0x01) sign the
 * note text; tlog-cosignature signatures (type 0x04) carry a big-endian 64-bit timestamp and
 * sign "cosignature/v1\ntime <t>\n" followed by the note text.
 */

#define G_LOG_DOMAIN "trb-note"

#include "config.h"

#include "trb-note-verifier.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "trb-ledger-error.h"
#include "trb-note-private.h"

struct _TrbNoteVerifier
{
  GObject         parent_instance;

  char           *name;
  TrbNoteKeyType  type;
  guint32         key_id;
  guint8          public_key[TRB_NOTE_PUBLIC_KEY_SIZE];
};

G_DEFINE_FINAL_TYPE (TrbNoteVerifier, trb_note_verifier, G_TYPE_OBJECT)

static void
trb_note_verifier_finalize (GObject *object)
{
  TrbNoteVerifier *self = (TrbNoteVerifier *)object;

  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (trb_note_verifier_parent_class)->finalize (object);
}

static void
trb_note_verifier_class_init (TrbNoteVerifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_note_verifier_finalize;
}

static void
trb_note_verifier_init (TrbNoteVerifier *self)
{
}

/**
 * trb_note_key_name_is_valid:
 * @name: a key name
 * @length: its length, or -1 when NUL-terminated
 *
 * Key names are non-empty UTF-8 of at most %TRB_NOTE_MAX_NAME_LENGTH bytes, without spaces,
 * control characters or plus signs.
 */
gboolean
trb_note_key_name_is_valid (const char *name,
                            gssize      length)
{
  const char *end;

  if (name == NULL)
    return FALSE;
  if (length < 0)
    length = strlen (name);
  if (length == 0 || length > TRB_NOTE_MAX_NAME_LENGTH)
    return FALSE;
  if (!g_utf8_validate_len (name, length, NULL))
    return FALSE;

  end = name + length;
  for (const char *p = name; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '+' || c == 0 || g_unichar_isspace (c) || g_unichar_iscntrl (c) ||
          g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR)
        return FALSE;
    }

  return TRUE;
}

guint32
trb_note_compute_key_id (const char     *name,
                         TrbNoteKeyType  type,
                         const guint8    public_key[TRB_NOTE_PUBLIC_KEY_SIZE])
{
  crypto_hash_sha256_state state;
  guint8 digest[crypto_hash_sha256_BYTES];
  guint8 sep[2] = { '\n', (guint8)type };

  g_return_val_if_fail (name != NULL && public_key != NULL, 0);

  crypto_hash_sha256_init (&state);
  crypto_hash_sha256_update (&state, (const guint8 *)name, strlen (name));
  crypto_hash_sha256_update (&state, sep, sizeof sep);
  crypto_hash_sha256_update (&state, public_key, TRB_NOTE_PUBLIC_KEY_SIZE);
  crypto_hash_sha256_final (&state, digest);

  return (guint32)digest[0] << 24 | (guint32)digest[1] << 16 |
         (guint32)digest[2] << 8 | (guint32)digest[3];
}

/**
 * trb_note_verifier_new:
 * @name: the key name
 * @type: the signature type
 * @public_key: the 32-byte Ed25519 public key
 *
 * Returns: (transfer full): the verifier, or %NULL with @error set
 */
TrbNoteVerifier *
trb_note_verifier_new (const char      *name,
                       TrbNoteKeyType   type,
                       const guint8     public_key[TRB_NOTE_PUBLIC_KEY_SIZE],
                       GError         **error)
{
  TrbNoteVerifier *self;

  g_return_val_if_fail (public_key != NULL, NULL);

  if (!trb_note_key_name_is_valid (name, -1))
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The key name is not valid."));
      return NULL;
    }
  if (type != TRB_NOTE_KEY_ED25519 && type != TRB_NOTE_KEY_COSIGNATURE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The key is of an unsupported kind."));
      return NULL;
    }

  self = g_object_new (TRB_TYPE_NOTE_VERIFIER, NULL);
  self->name = g_strdup (name);
  self->type = type;
  memcpy (self->public_key, public_key, TRB_NOTE_PUBLIC_KEY_SIZE);
  self->key_id = trb_note_compute_key_id (name, type, public_key);

  return self;
}

/* Strict standard base64 with padding; @out_len is the decoded size on success. */
gboolean
_trb_note_base64_decode (const char *text,
                         gsize       length,
                         guint8     *out,
                         gsize       out_size,
                         gsize      *out_len)
{
  if (length == 0)
    return FALSE;
  if (sodium_base642bin (out, out_size, text, length, NULL, out_len, NULL,
                         sodium_base64_VARIANT_ORIGINAL) != 0)
    return FALSE;
  return TRUE;
}

char *
_trb_note_base64_encode (const guint8 *data,
                         gsize         length)
{
  gsize size = sodium_base64_ENCODED_LEN (length, sodium_base64_VARIANT_ORIGINAL);
  char *out = g_malloc (size);

  sodium_bin2base64 (out, size, data, length, sodium_base64_VARIANT_ORIGINAL);
  return out;
}

gboolean
_trb_note_parse_key_string (const char  *key,
                            char       **name,
                            guint32     *key_id,
                            guint8      *type,
                            guint8       material[TRB_NOTE_SEED_SIZE],
                            GError     **error)
{
  const char *plus1;
  const char *plus2;
  guint8 decoded[1 + TRB_NOTE_SEED_SIZE + 1];
  gsize decoded_len = 0;
  guint32 id = 0;

  plus1 = strchr (key, '+');
  plus2 = plus1 ? strchr (plus1 + 1, '+') : NULL;
  if (plus1 == NULL || plus2 == NULL || plus2 - plus1 != 9 ||
      !trb_note_key_name_is_valid (key, plus1 - key) ||
      strlen (plus2 + 1) > 64)
    goto bad;

  for (const char *p = plus1 + 1; p < plus2; p++)
    {
      int v = g_ascii_xdigit_value (*p);

      if (v < 0 || g_ascii_isupper (*p))
        goto bad;
      id = id << 4 | (guint32)v;
    }

  if (!_trb_note_base64_decode (plus2 + 1, strlen (plus2 + 1), decoded, sizeof decoded,
                                &decoded_len) ||
      decoded_len != 1 + TRB_NOTE_SEED_SIZE)
    goto bad;

  *name = g_strndup (key, plus1 - key);
  *key_id = id;
  *type = decoded[0];
  memcpy (material, decoded + 1, TRB_NOTE_SEED_SIZE);
  sodium_memzero (decoded, sizeof decoded);
  return TRUE;

bad:
  sodium_memzero (decoded, sizeof decoded);
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
               _("The key is not written correctly."));
  return FALSE;
}

/**
 * trb_note_verifier_new_from_string:
 * @vkey: a verifier key `name+hexkeyid+base64(type || public key)`
 *
 * Returns: (transfer full): the verifier, or %NULL with @error set when the key is malformed,
 *   of an unknown type, or its key ID does not match
 */
TrbNoteVerifier *
trb_note_verifier_new_from_string (const char  *vkey,
                                   GError     **error)
{
  g_autofree char *name = NULL;
  guint8 public_key[TRB_NOTE_PUBLIC_KEY_SIZE];
  guint32 key_id;
  guint8 type;
  TrbNoteVerifier *self;

  g_return_val_if_fail (vkey != NULL, NULL);

  if (strlen (vkey) > TRB_NOTE_MAX_NAME_LENGTH + 80 ||
      !_trb_note_parse_key_string (vkey, &name, &key_id, &type, public_key, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                     _("The key is not written correctly."));
      return NULL;
    }

  self = trb_note_verifier_new (name, type, public_key, error);
  if (self == NULL)
    return NULL;

  if (self->key_id != key_id)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The key is not written correctly: its identifier does not match."));
      g_object_unref (self);
      return NULL;
    }

  return self;
}

/**
 * trb_note_verifier_to_string:
 *
 * Returns: (transfer full): the verifier key `name+hexkeyid+base64(type || public key)`
 */
char *
trb_note_verifier_to_string (TrbNoteVerifier *self)
{
  guint8 raw[1 + TRB_NOTE_PUBLIC_KEY_SIZE];
  g_autofree char *b64 = NULL;

  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (self), NULL);

  raw[0] = (guint8)self->type;
  memcpy (raw + 1, self->public_key, TRB_NOTE_PUBLIC_KEY_SIZE);
  b64 = _trb_note_base64_encode (raw, sizeof raw);

  return g_strdup_printf ("%s+%08x+%s", self->name, self->key_id, b64);
}

const char *
trb_note_verifier_get_name (TrbNoteVerifier *self)
{
  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (self), NULL);
  return self->name;
}

guint32
trb_note_verifier_get_key_id (TrbNoteVerifier *self)
{
  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (self), 0);
  return self->key_id;
}

TrbNoteKeyType
trb_note_verifier_get_key_type (TrbNoteVerifier *self)
{
  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (self), 0);
  return self->type;
}

/**
 * trb_note_verifier_get_public_key:
 *
 * Returns: (transfer none): the 32-byte public key
 */
const guint8 *
trb_note_verifier_get_public_key (TrbNoteVerifier *self)
{
  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (self), NULL);
  return self->public_key;
}

GBytes *
_trb_note_cosignature_message (const char *text,
                               gsize       text_length,
                               guint64     timestamp)
{
  g_autoptr(GString) message = g_string_sized_new (text_length + 48);

  g_string_append_printf (message, "cosignature/v1\ntime %" G_GUINT64_FORMAT "\n", timestamp);
  g_string_append_len (message, text, text_length);
  return g_string_free_to_bytes (g_steal_pointer (&message));
}

/**
 * trb_note_verifier_verify:
 * @text: the note text, ending in a newline
 * @signature: the signature bytes after the key ID
 * @timestamp: (out) (optional): the cosignature's time, or 0 for plain signatures
 *
 * Returns: %TRUE when @signature is a valid signature of @text by this key
 */
gboolean
trb_note_verifier_verify (TrbNoteVerifier *self,
                          const char      *text,
                          gsize            text_length,
                          const guint8    *signature,
                          gsize            signature_length,
                          gint64          *timestamp)
{
  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (signature != NULL || signature_length == 0, FALSE);

  if (self->type == TRB_NOTE_KEY_ED25519)
    {
      if (signature_length != crypto_sign_BYTES)
        return FALSE;
      if (crypto_sign_verify_detached (signature, (const guint8 *)text, text_length,
                                       self->public_key) != 0)
        return FALSE;
      if (timestamp != NULL)
        *timestamp = 0;
      return TRUE;
    }
  else
    {
      g_autoptr(GBytes) message = NULL;
      guint64 t = 0;

      if (signature_length != 8 + crypto_sign_BYTES)
        return FALSE;
      for (guint i = 0; i < 8; i++)
        t = t << 8 | signature[i];
      if (t > G_MAXINT64)
        return FALSE;

      message = _trb_note_cosignature_message (text, text_length, t);
      if (crypto_sign_verify_detached (signature + 8, g_bytes_get_data (message, NULL),
                                       g_bytes_get_size (message), self->public_key) != 0)
        return FALSE;
      if (timestamp != NULL)
        *timestamp = (gint64)t;
      return TRUE;
    }
}

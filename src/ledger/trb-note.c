/* trb-note.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * C2SP signed notes: a UTF-8 text without control characters other than newline, ending in a
 * newline, then a blank line, then one or more lines "— name base64(key ID || signature)".
 * The text ends at the last blank line. Signatures from unknown keys are ignored; a signature
 * from a known key must verify, and at least one must.
 */

#define G_LOG_DOMAIN "trb-note"

#include "config.h"

#include "trb-note.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-ledger-error.h"
#include "trb-note-private.h"

typedef struct
{
  char            *name;
  guint32          key_id;
  GBytes          *signature;
  char            *line;
  TrbNoteVerifier *verified_by;
  gint64           timestamp;
} Signature;

struct _TrbNote
{
  GObject    parent_instance;

  char      *text;
  gsize      text_length;
  GPtrArray *signatures;
};

G_DEFINE_FINAL_TYPE (TrbNote, trb_note, G_TYPE_OBJECT)

static void
signature_free (Signature *sig)
{
  g_free (sig->name);
  g_bytes_unref (sig->signature);
  g_free (sig->line);
  g_clear_object (&sig->verified_by);
  g_free (sig);
}

static void
trb_note_finalize (GObject *object)
{
  TrbNote *self = (TrbNote *)object;

  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->signatures, g_ptr_array_unref);

  G_OBJECT_CLASS (trb_note_parent_class)->finalize (object);
}

static void
trb_note_class_init (TrbNoteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_note_finalize;
}

static void
trb_note_init (TrbNote *self)
{
  self->signatures = g_ptr_array_new_with_free_func ((GDestroyNotify)signature_free);
}

static gboolean
set_malformed (GError     **error,
               const char  *why)
{
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
               _("The signed message from the network is malformed: %s"), why);
  return FALSE;
}

/* Parses one signature line, without its final newline. */
static Signature *
parse_signature_line (const char  *line,
                      gsize        length,
                      GError     **error)
{
  const gsize dash_len = strlen (TRB_NOTE_EM_DASH " ");
  const char *name;
  const char *space;
  const char *end = line + length;
  guint8 decoded[4 + 8 + 64 + 1];
  gsize decoded_len = 0;
  Signature *sig;

  if (length < dash_len || memcmp (line, TRB_NOTE_EM_DASH " ", dash_len) != 0)
    {
      set_malformed (error, _("a signature line does not start with a dash."));
      return NULL;
    }

  name = line + dash_len;
  space = memchr (name, ' ', end - name);
  if (space == NULL || !trb_note_key_name_is_valid (name, space - name))
    {
      set_malformed (error, _("a signature has no valid key name."));
      return NULL;
    }

  /* Ed25519 and cosignatures are at most 76 bytes; longer ones are not for us, but they must
   * still be well-formed base64 of bounded size. */
  if (end - (space + 1) > 4 * ((4 + 8 + 64 + 2) / 3) ||
      !_trb_note_base64_decode (space + 1, end - (space + 1), decoded, sizeof decoded,
                                &decoded_len) ||
      decoded_len < 5)
    {
      set_malformed (error, _("a signature is not valid base64 of the right size."));
      return NULL;
    }

  sig = g_new0 (Signature, 1);
  sig->name = g_strndup (name, space - name);
  sig->key_id = (guint32)decoded[0] << 24 | (guint32)decoded[1] << 16 |
                (guint32)decoded[2] << 8 | (guint32)decoded[3];
  sig->signature = g_bytes_new (decoded + 4, decoded_len - 4);
  sig->line = g_strndup (line, length);
  return sig;
}

static gboolean
check_characters (const char  *data,
                  gsize        length,
                  GError     **error)
{
  if (!g_utf8_validate_len (data, length, NULL))
    return set_malformed (error, _("it is not valid UTF-8."));
  for (gsize i = 0; i < length; i++)
    {
      if ((guchar)data[i] < 0x20 && data[i] != '\n')
        return set_malformed (error, _("it contains control characters."));
    }
  return TRUE;
}

/**
 * trb_note_parse:
 * @data: (array length=length): a signed note
 *
 * Parses the syntax of a signed note without checking any signature.
 *
 * Returns: (transfer full): the note, or %NULL with @error set
 */
TrbNote *
trb_note_parse (const char  *data,
                gsize        length,
                GError     **error)
{
  g_autoptr(TrbNote) self = NULL;
  const char *split = NULL;
  const char *p;
  const char *end;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > TRB_NOTE_MAX_SIZE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                   _("The signed message from the network is too large."));
      return NULL;
    }
  if (!check_characters (data, length, error))
    return NULL;
  if (length == 0 || data[length - 1] != '\n')
    {
      set_malformed (error, _("it does not end with a new line."));
      return NULL;
    }

  /* The text ends at the last blank line. */
  for (gsize i = length - 1; i > 0; i--)
    {
      if (data[i] == '\n' && data[i - 1] == '\n')
        {
          split = data + i - 1;
          break;
        }
    }
  if (split == NULL || split == data)
    {
      set_malformed (error, _("it has no signatures."));
      return NULL;
    }

  self = g_object_new (TRB_TYPE_NOTE, NULL);
  self->text_length = split - data + 1;
  self->text = g_strndup (data, self->text_length);

  end = data + length;
  for (p = split + 2; p < end;)
    {
      const char *nl = memchr (p, '\n', end - p);
      Signature *sig;

      g_assert (nl != NULL);
      if (self->signatures->len >= TRB_NOTE_MAX_SIGNATURES)
        {
          g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                       _("The signed message from the network has too many signatures."));
          return NULL;
        }
      sig = parse_signature_line (p, nl - p, error);
      if (sig == NULL)
        return NULL;
      g_ptr_array_add (self->signatures, sig);
      p = nl + 1;
    }

  if (self->signatures->len == 0)
    {
      set_malformed (error, _("it has no signatures."));
      return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * trb_note_verify:
 * @verifiers: (array length=n_verifiers): the keys to trust
 *
 * Checks every signature whose key name and ID match one of @verifiers. Signatures from other
 * keys are ignored.
 *
 * Returns: %TRUE when at least one known signature verifies and none fails;
 *   %FALSE with %TRB_LEDGER_ERROR_BAD_SIGNATURE when a known signature fails, or
 *   %TRB_LEDGER_ERROR_UNTRUSTED_KEY when no known key signed
 */
gboolean
trb_note_verify (TrbNote          *self,
                 TrbNoteVerifier **verifiers,
                 guint             n_verifiers,
                 GError          **error)
{
  guint n_verified = 0;

  g_return_val_if_fail (TRB_IS_NOTE (self), FALSE);
  g_return_val_if_fail (verifiers != NULL || n_verifiers == 0, FALSE);

  for (guint i = 0; i < self->signatures->len; i++)
    {
      Signature *sig = g_ptr_array_index (self->signatures, i);

      for (guint j = 0; j < n_verifiers; j++)
        {
          TrbNoteVerifier *v = verifiers[j];
          gsize sig_len;
          const guint8 *sig_data;

          if (trb_note_verifier_get_key_id (v) != sig->key_id ||
              !g_str_equal (trb_note_verifier_get_name (v), sig->name))
            continue;

          sig_data = g_bytes_get_data (sig->signature, &sig_len);
          if (!trb_note_verifier_verify (v, self->text, self->text_length, sig_data, sig_len,
                                         &sig->timestamp))
            {
              g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_SIGNATURE,
                           _("A signature by “%s” on a message from the network is not valid: "
                             "the message was changed or forged."), sig->name);
              return FALSE;
            }
          g_set_object (&sig->verified_by, v);
          n_verified++;
        }
    }

  if (n_verified == 0)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY,
                   _("The message from the network is not signed by a key this computer "
                     "trusts."));
      return FALSE;
    }

  return TRUE;
}

/**
 * trb_note_open:
 *
 * Parses and verifies a signed note (see trb_note_parse() and trb_note_verify()).
 *
 * Returns: (transfer full): the verified note, or %NULL with @error set
 */
TrbNote *
trb_note_open (const char       *data,
               gsize             length,
               TrbNoteVerifier **verifiers,
               guint             n_verifiers,
               GError          **error)
{
  g_autoptr(TrbNote) self = trb_note_parse (data, length, error);

  if (self == NULL || !trb_note_verify (self, verifiers, n_verifiers, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * trb_note_sign:
 * @text: the note text, ending in a newline
 * @signers: (array length=n_signers): the keys to sign with
 * @timestamp: the time for cosignatures
 *
 * Returns: (transfer full): the signed note, or %NULL with @error set
 */
char *
trb_note_sign (const char     *text,
               gsize           text_length,
               TrbNoteSigner **signers,
               guint           n_signers,
               gint64          timestamp,
               GError        **error)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (signers != NULL && n_signers > 0, NULL);

  out = g_string_new_len (text, text_length);
  g_string_append_c (out, '\n');
  for (guint i = 0; i < n_signers; i++)
    {
      g_autofree char *line = trb_note_signer_sign_line (signers[i], text, text_length,
                                                         timestamp, error);

      if (line == NULL)
        return NULL;
      g_string_append (out, line);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * trb_note_get_text:
 * @length: (out) (optional): the text's length
 *
 * Returns: (transfer none): the note text, ending in a newline
 */
const char *
trb_note_get_text (TrbNote *self,
                   gsize   *length)
{
  g_return_val_if_fail (TRB_IS_NOTE (self), NULL);

  if (length != NULL)
    *length = self->text_length;
  return self->text;
}

guint
trb_note_get_n_signatures (TrbNote *self)
{
  g_return_val_if_fail (TRB_IS_NOTE (self), 0);
  return self->signatures->len;
}

const char *
trb_note_get_signature_name (TrbNote *self,
                             guint    i)
{
  g_return_val_if_fail (TRB_IS_NOTE (self), NULL);
  g_return_val_if_fail (i < self->signatures->len, NULL);
  return ((Signature *)g_ptr_array_index (self->signatures, i))->name;
}

/**
 * trb_note_get_signature_bytes:
 *
 * Returns: (transfer full): the signature bytes after the key ID
 */
GBytes *
trb_note_get_signature_bytes (TrbNote *self,
                              guint    i)
{
  g_return_val_if_fail (TRB_IS_NOTE (self), NULL);
  g_return_val_if_fail (i < self->signatures->len, NULL);
  return g_bytes_ref (((Signature *)g_ptr_array_index (self->signatures, i))->signature);
}

/**
 * trb_note_find_verified:
 * @verifier: a key given to trb_note_verify()
 * @timestamp: (out) (optional): the cosignature's time
 *
 * Returns: %TRUE when the last trb_note_verify() found a valid signature by @verifier
 */
gboolean
trb_note_find_verified (TrbNote         *self,
                        TrbNoteVerifier *verifier,
                        gint64          *timestamp)
{
  g_return_val_if_fail (TRB_IS_NOTE (self), FALSE);
  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (verifier), FALSE);

  for (guint i = 0; i < self->signatures->len; i++)
    {
      Signature *sig = g_ptr_array_index (self->signatures, i);

      if (sig->verified_by == verifier)
        {
          if (timestamp != NULL)
            *timestamp = sig->timestamp;
          return TRUE;
        }
    }
  return FALSE;
}

/**
 * trb_note_add_signature_line:
 * @line: a line `— name base64\n` (the final newline is optional)
 *
 * Adds a signature, for example a cosignature sent by a participant. It is not verified until
 * trb_note_verify() is called again. A line already present is not added twice.
 */
gboolean
trb_note_add_signature_line (TrbNote     *self,
                             const char  *line,
                             GError     **error)
{
  gsize length;
  Signature *sig;

  g_return_val_if_fail (TRB_IS_NOTE (self), FALSE);
  g_return_val_if_fail (line != NULL, FALSE);

  length = strnlen (line, 1024);
  if (length == 1024)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                   _("The signature is too large."));
      return FALSE;
    }
  if (length > 0 && line[length - 1] == '\n')
    length--;
  if (!check_characters (line, length, error) || memchr (line, '\n', length) != NULL)
    {
      g_clear_error (error);
      return set_malformed (error, _("a signature line is not a single line of text."));
    }

  sig = parse_signature_line (line, length, error);
  if (sig == NULL)
    return FALSE;

  for (guint i = 0; i < self->signatures->len; i++)
    {
      Signature *other = g_ptr_array_index (self->signatures, i);

      if (g_str_equal (other->line, sig->line))
        {
          signature_free (sig);
          return TRUE;
        }
    }

  if (self->signatures->len >= TRB_NOTE_MAX_SIGNATURES)
    {
      signature_free (sig);
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                   _("The signed message has too many signatures."));
      return FALSE;
    }

  g_ptr_array_add (self->signatures, sig);
  return TRUE;
}

/**
 * trb_note_to_string:
 *
 * Returns: (transfer full): the signed note with all its signature lines
 */
char *
trb_note_to_string (TrbNote *self,
                    gsize   *length)
{
  GString *out;

  g_return_val_if_fail (TRB_IS_NOTE (self), NULL);

  out = g_string_new_len (self->text, self->text_length);
  g_string_append_c (out, '\n');
  for (guint i = 0; i < self->signatures->len; i++)
    {
      g_string_append (out, ((Signature *)g_ptr_array_index (self->signatures, i))->line);
      g_string_append_c (out, '\n');
    }

  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

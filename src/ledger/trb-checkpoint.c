/* trb-checkpoint.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * C2SP tlog-checkpoint bodies:
 *
 *   <origin>\n
 *   <tree size, decimal, no leading zeros>\n
 *   <root hash, base64>\n
 *   [<extension line>\n]…
 *
 * signed by the log as a signed note, with cosignatures (C2SP tlog-cosignature) from
 * witnesses and participants.
 */

#define G_LOG_DOMAIN "trb-checkpoint"

#include "config.h"

#include "trb-checkpoint.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "trb-ledger-error.h"
#include "trb-note-private.h"

/* The protocol's cosignature count is what a signed note holds besides the network's own
 * signature. */
G_STATIC_ASSERT (TRB_PROTOCOL_MAX_COSIGNATURES == TRB_NOTE_MAX_SIGNATURES - 1);

typedef struct
{
  TrbNoteVerifier *verifier;
  gint64           timestamp;
} Cosignature;

struct _TrbCheckpoint
{
  GObject   parent_instance;

  char     *origin;
  guint64   size;
  guint8    root[TRB_MERKLE_HASH_SIZE];
  GStrv     extensions;
  char     *signed_note;
  GArray   *cosignatures;
};

G_DEFINE_FINAL_TYPE (TrbCheckpoint, trb_checkpoint, G_TYPE_OBJECT)

static void
cosignature_clear (gpointer data)
{
  Cosignature *c = data;

  g_clear_object (&c->verifier);
}

static void
trb_checkpoint_finalize (GObject *object)
{
  TrbCheckpoint *self = (TrbCheckpoint *)object;

  g_clear_pointer (&self->origin, g_free);
  g_clear_pointer (&self->extensions, g_strfreev);
  g_clear_pointer (&self->signed_note, g_free);
  g_clear_pointer (&self->cosignatures, g_array_unref);

  G_OBJECT_CLASS (trb_checkpoint_parent_class)->finalize (object);
}

static void
trb_checkpoint_class_init (TrbCheckpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_checkpoint_finalize;
}

static void
trb_checkpoint_init (TrbCheckpoint *self)
{
  self->cosignatures = g_array_new (FALSE, TRUE, sizeof (Cosignature));
  g_array_set_clear_func (self->cosignatures, cosignature_clear);
}

static gboolean
set_malformed (GError     **error,
               const char  *why)
{
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
               _("The ledger checkpoint is malformed: %s"), why);
  return FALSE;
}

static gboolean
line_is_valid (const char *line)
{
  gsize len = strlen (line);

  if (len == 0 || len > 1024 || !g_utf8_validate (line, len, NULL))
    return FALSE;
  for (const char *p = line; *p; p++)
    {
      if ((guchar)*p < 0x20)
        return FALSE;
    }
  return TRUE;
}

/**
 * trb_checkpoint_new:
 * @origin: the log's origin line, for example `example.org/tributary/demo`
 * @size: the tree size
 * @root: the tree head
 * @extensions: (nullable) (array zero-terminated=1): extension lines
 *
 * Returns: (transfer full): the checkpoint, or %NULL with @error set
 */
TrbCheckpoint *
trb_checkpoint_new (const char         *origin,
                    guint64             size,
                    const guint8        root[TRB_MERKLE_HASH_SIZE],
                    const char * const *extensions,
                    GError            **error)
{
  g_autoptr(TrbCheckpoint) self = NULL;
  guint n_ext = extensions ? g_strv_length ((GStrv)extensions) : 0;

  g_return_val_if_fail (root != NULL, NULL);

  if (origin == NULL || !line_is_valid (origin))
    {
      set_malformed (error, _("the origin is not valid."));
      return NULL;
    }
  if (size > G_MAXINT64)
    {
      set_malformed (error, _("the size is too large."));
      return NULL;
    }
  if (n_ext > TRB_CHECKPOINT_MAX_EXTENSIONS)
    {
      set_malformed (error, _("it has too many extension lines."));
      return NULL;
    }
  for (guint i = 0; i < n_ext; i++)
    {
      if (!line_is_valid (extensions[i]))
        {
          set_malformed (error, _("an extension line is not valid."));
          return NULL;
        }
    }

  self = g_object_new (TRB_TYPE_CHECKPOINT, NULL);
  self->origin = g_strdup (origin);
  self->size = size;
  memcpy (self->root, root, TRB_MERKLE_HASH_SIZE);
  self->extensions = g_strdupv ((GStrv)(extensions ? extensions : (const char * const[]){ NULL }));

  return g_steal_pointer (&self);
}

/**
 * trb_checkpoint_to_text:
 *
 * Returns: (transfer full): the checkpoint body, ending in a newline
 */
char *
trb_checkpoint_to_text (TrbCheckpoint *self)
{
  g_autofree char *b64 = NULL;
  GString *out;

  g_return_val_if_fail (TRB_IS_CHECKPOINT (self), NULL);

  b64 = _trb_note_base64_encode (self->root, TRB_MERKLE_HASH_SIZE);
  out = g_string_new (NULL);
  g_string_append_printf (out, "%s\n%" G_GUINT64_FORMAT "\n%s\n", self->origin, self->size, b64);
  for (guint i = 0; self->extensions[i] != NULL; i++)
    g_string_append_printf (out, "%s\n", self->extensions[i]);

  return g_string_free (out, FALSE);
}

/**
 * trb_checkpoint_parse_text:
 * @text: (array length=length): a checkpoint body, ending in a newline
 *
 * Returns: (transfer full): the checkpoint, or %NULL with @error set
 */
TrbCheckpoint *
trb_checkpoint_parse_text (const char  *text,
                           gsize        length,
                           GError     **error)
{
  g_autofree char *copy = NULL;
  g_auto(GStrv) lines = NULL;
  guint8 root[TRB_MERKLE_HASH_SIZE + 1];
  gsize root_len = 0;
  guint64 size = 0;
  guint n;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length > TRB_NOTE_MAX_SIZE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                   _("The ledger checkpoint is too large."));
      return NULL;
    }
  if (length == 0 || text[length - 1] != '\n' || memchr (text, '\0', length) != NULL)
    {
      set_malformed (error, _("it does not end with a new line."));
      return NULL;
    }

  copy = g_strndup (text, length - 1);
  lines = g_strsplit (copy, "\n", TRB_CHECKPOINT_MAX_EXTENSIONS + 4);
  n = g_strv_length (lines);
  if (n < 3)
    {
      set_malformed (error, _("it has fewer than three lines."));
      return NULL;
    }
  if (n > TRB_CHECKPOINT_MAX_EXTENSIONS + 3)
    {
      set_malformed (error, _("it has too many extension lines."));
      return NULL;
    }

  /* The size: decimal digits, no sign, no leading zero, at most 2^63 - 1. */
  {
    const char *s = lines[1];
    gsize len = strlen (s);

    if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
      {
        set_malformed (error, _("the size is not a number."));
        return NULL;
      }
    for (gsize i = 0; i < len; i++)
      {
        if (!g_ascii_isdigit (s[i]))
          {
            set_malformed (error, _("the size is not a number."));
            return NULL;
          }
        size = size * 10 + (guint64)(s[i] - '0');
      }
    if (size > G_MAXINT64)
      {
        set_malformed (error, _("the size is too large."));
        return NULL;
      }
  }

  if (!_trb_note_base64_decode (lines[2], strlen (lines[2]), root, sizeof root, &root_len) ||
      root_len != TRB_MERKLE_HASH_SIZE)
    {
      set_malformed (error, _("the root hash is not valid."));
      return NULL;
    }

  return trb_checkpoint_new (lines[0], size, root, (const char * const *)lines + 3, error);
}

/**
 * trb_checkpoint_open:
 * @signed_note: (array length=length): a checkpoint signed as a note
 * @origin: (nullable): the expected origin
 * @log_key: the log's key
 * @cosigners: (array length=n_cosigners) (nullable): cosigners whose signatures to check
 *
 * Verifies the log's signature (and any cosignature from @cosigners) and parses the body.
 *
 * Returns: (transfer full): the checkpoint, or %NULL with @error set:
 *   %TRB_LEDGER_ERROR_UNTRUSTED_KEY when @log_key did not sign it,
 *   %TRB_LEDGER_ERROR_BAD_SIGNATURE when a signature from a known key is not valid,
 *   %TRB_LEDGER_ERROR_WRONG_ORIGIN when it is another log's checkpoint
 */
TrbCheckpoint *
trb_checkpoint_open (const char       *signed_note,
                     gsize             length,
                     const char       *origin,
                     TrbNoteVerifier  *log_key,
                     TrbNoteVerifier **cosigners,
                     guint             n_cosigners,
                     GError          **error)
{
  g_autoptr(TrbNote) note = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(TrbCheckpoint) self = NULL;
  const char *text;
  gsize text_length;

  g_return_val_if_fail (signed_note != NULL, NULL);
  g_return_val_if_fail (TRB_IS_NOTE_VERIFIER (log_key), NULL);

  if (trb_note_verifier_get_key_type (log_key) != TRB_NOTE_KEY_ED25519)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY,
                   _("The network’s key is of the wrong kind."));
      return NULL;
    }

  note = trb_note_parse (signed_note, length, error);
  if (note == NULL)
    return NULL;

  keys = g_ptr_array_new ();
  g_ptr_array_add (keys, log_key);
  for (guint i = 0; i < n_cosigners; i++)
    g_ptr_array_add (keys, cosigners[i]);

  if (!trb_note_verify (note, (TrbNoteVerifier **)keys->pdata, keys->len, error))
    return NULL;
  if (!trb_note_find_verified (note, log_key, NULL))
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY,
                   _("The ledger checkpoint is not signed by the network’s key."));
      return NULL;
    }

  text = trb_note_get_text (note, &text_length);
  self = trb_checkpoint_parse_text (text, text_length, error);
  if (self == NULL)
    return NULL;

  if (origin != NULL && !g_str_equal (origin, self->origin))
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_WRONG_ORIGIN,
                   _("The ledger checkpoint belongs to another network (“%s”)."), self->origin);
      return NULL;
    }

  for (guint i = 0; i < n_cosigners; i++)
    {
      Cosignature c = { NULL, 0 };

      if (cosigners[i] == log_key ||
          !trb_note_find_verified (note, cosigners[i], &c.timestamp))
        continue;
      c.verifier = g_object_ref (cosigners[i]);
      g_array_append_val (self->cosignatures, c);
    }

  self->signed_note = g_strndup (signed_note, length);
  return g_steal_pointer (&self);
}

/**
 * trb_checkpoint_sign:
 * @log_signer: the log's key
 *
 * Returns: (transfer full): the checkpoint as a signed note, or %NULL with @error set
 */
char *
trb_checkpoint_sign (TrbCheckpoint  *self,
                     TrbNoteSigner  *log_signer,
                     GError        **error)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (TRB_IS_CHECKPOINT (self), NULL);
  g_return_val_if_fail (TRB_IS_NOTE_SIGNER (log_signer), NULL);

  text = trb_checkpoint_to_text (self);
  return trb_note_sign (text, strlen (text), &log_signer, 1, 0, error);
}

/**
 * trb_checkpoint_cosign:
 * @signed_note: a checkpoint signed by the log (only its text is used)
 * @cosigner: a key of type %TRB_NOTE_KEY_COSIGNATURE
 * @timestamp: the time of the cosignature, seconds since 1970
 *
 * The caller is expected to have verified the checkpoint and its consistency first: that is
 * what a cosignature states.
 *
 * Returns: (transfer full): the cosignature line, or %NULL with @error set
 */
char *
trb_checkpoint_cosign (const char     *signed_note,
                       gsize           length,
                       TrbNoteSigner  *cosigner,
                       gint64          timestamp,
                       GError        **error)
{
  g_autoptr(TrbNote) note = NULL;
  g_autoptr(TrbCheckpoint) parsed = NULL;
  const char *text;
  gsize text_length;

  g_return_val_if_fail (signed_note != NULL, NULL);
  g_return_val_if_fail (TRB_IS_NOTE_SIGNER (cosigner), NULL);

  if (trb_note_verifier_get_key_type (trb_note_signer_get_verifier (cosigner)) !=
      TRB_NOTE_KEY_COSIGNATURE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("This key cannot make cosignatures."));
      return NULL;
    }

  note = trb_note_parse (signed_note, length, error);
  if (note == NULL)
    return NULL;
  text = trb_note_get_text (note, &text_length);
  parsed = trb_checkpoint_parse_text (text, text_length, error);
  if (parsed == NULL)
    return NULL;

  return trb_note_signer_sign_line (cosigner, text, text_length, timestamp, error);
}

guint64
trb_checkpoint_get_size (TrbCheckpoint *self)
{
  g_return_val_if_fail (TRB_IS_CHECKPOINT (self), 0);
  return self->size;
}

/**
 * trb_checkpoint_get_root:
 *
 * Returns: (transfer none): the 32-byte root hash
 */
const guint8 *
trb_checkpoint_get_root (TrbCheckpoint *self)
{
  g_return_val_if_fail (TRB_IS_CHECKPOINT (self), NULL);
  return self->root;
}

const char * const *
trb_checkpoint_get_extensions (TrbCheckpoint *self)
{
  g_return_val_if_fail (TRB_IS_CHECKPOINT (self), NULL);
  return (const char * const *)self->extensions;
}

/**
 * trb_checkpoint_get_signed_note:
 *
 * Returns: (nullable): the signed note it was opened from, or %NULL
 */
const char *
trb_checkpoint_get_signed_note (TrbCheckpoint *self)
{
  g_return_val_if_fail (TRB_IS_CHECKPOINT (self), NULL);
  return self->signed_note;
}

guint
trb_checkpoint_get_n_cosignatures (TrbCheckpoint *self)
{
  g_return_val_if_fail (TRB_IS_CHECKPOINT (self), 0);
  return self->cosignatures->len;
}

/**
 * trb_checkpoint_get_cosigner:
 * @timestamp: (out) (optional): when it cosigned
 *
 * Returns: (transfer none): the cosigner whose valid cosignature is number @i
 */
TrbNoteVerifier *
trb_checkpoint_get_cosigner (TrbCheckpoint *self,
                             guint          i,
                             gint64        *timestamp)
{
  Cosignature *c;

  g_return_val_if_fail (TRB_IS_CHECKPOINT (self), NULL);
  g_return_val_if_fail (i < self->cosignatures->len, NULL);

  c = &g_array_index (self->cosignatures, Cosignature, i);
  if (timestamp != NULL)
    *timestamp = c->timestamp;
  return c->verifier;
}

/**
 * trb_checkpoint_equal:
 *
 * Returns: %TRUE when both have the same origin, size and root
 */
gboolean
trb_checkpoint_equal (TrbCheckpoint *a,
                      TrbCheckpoint *b)
{
  g_return_val_if_fail (TRB_IS_CHECKPOINT (a), FALSE);
  g_return_val_if_fail (TRB_IS_CHECKPOINT (b), FALSE);

  return g_str_equal (a->origin, b->origin) && a->size == b->size &&
         sodium_memcmp (a->root, b->root, TRB_MERKLE_HASH_SIZE) == 0;
}

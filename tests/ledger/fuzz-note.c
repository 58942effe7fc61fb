/* fuzz-note.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target for the signed-note and checkpoint parsers: any input must give either a
 * note or an error, within the size limits, and never crash or leak.
 */

#include "config.h"

#include "ledger/trb-checkpoint.h"
#include "ledger/trb-note.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static TrbNoteVerifier *verifier;
  g_autoptr(TrbNote) note = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;

  if (verifier == NULL)
    verifier = trb_note_verifier_new_from_string (
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", NULL);

  note = trb_note_parse ((const char *)data, size, NULL);
  if (note != NULL)
    {
      gsize text_length;
      const char *text = trb_note_get_text (note, &text_length);
      g_autofree char *again = trb_note_to_string (note, NULL);

      trb_note_verify (note, &verifier, 1, NULL);
      cp = trb_checkpoint_parse_text (text, text_length, NULL);
      g_assert (again != NULL);
    }

  g_clear_object (&cp);
  cp = trb_checkpoint_open ((const char *)data, size, NULL, verifier, NULL, 0, NULL);

  return 0;
}

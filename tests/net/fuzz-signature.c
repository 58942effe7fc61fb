/* fuzz-signature.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target: the parser of Signature-Input and Signature headers, with the input split
 * into Content-Digest, Signature-Input, Signature and body at its first three newlines.
 */

#include "config.h"

#include <string.h>

#include "net/trb-http-signature.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *)data, size);
  g_auto(GStrv) parts = g_strsplit (text, "\n", 4);
  g_autofree char *address = NULL;
  g_autofree char *nonce = NULL;
  guint8 pk[32];

  if (g_strv_length (parts) < 3)
    return 0;
  trb_http_signature_verify ("POST", "http://127.0.0.1:1/v1/participants",
                             parts[3] != NULL ? (const guint8 *)parts[3] : NULL,
                             parts[3] != NULL ? strlen (parts[3]) : 0, parts[0], parts[1],
                             parts[2], 1700000000, &address, &nonce, NULL);
  trb_address_to_public_key (parts[0], pk);
  return 0;
}

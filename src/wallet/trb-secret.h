/* trb-secret.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * TrbSecret:
 * @data: the bytes, in guarded `sodium_malloc` memory, always followed by one NUL byte so that
 *   text secrets can be read as C strings
 * @len: the number of bytes, not counting that NUL
 *
 * A secret (seed, private key, backup phrase, passphrase). The memory is locked so that it is
 * not swapped out, guarded against overflows, and zeroed when the secret is freed.
 */
typedef struct
{
  guint8 *data;
  gsize   len;
} TrbSecret;

TrbSecret  *trb_secret_new             (gsize          len);
TrbSecret  *trb_secret_new_from_data   (const void    *data,
                                        gsize          len);
TrbSecret  *trb_secret_new_from_string (const char    *text);
const char *trb_secret_get_string      (const TrbSecret *self);
gboolean    trb_secret_equal           (const TrbSecret *a,
                                        const TrbSecret *b);
void        trb_secret_free            (TrbSecret     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbSecret, trb_secret_free)

G_END_DECLS

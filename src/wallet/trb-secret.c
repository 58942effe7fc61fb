/* trb-secret.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-secret"

#include "config.h"

#include "trb-secret.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "trb-wallet-error.h"

/**
 * trb_secret_new:
 * @len: the number of bytes
 *
 * Returns: (transfer full): a zero-filled secret of @len bytes
 */
TrbSecret *
trb_secret_new (gsize len)
{
  TrbSecret *self;

  g_return_val_if_fail (len < G_MAXSIZE / 2, NULL);

  trb_wallet_crypto_init ();

  self = g_new0 (TrbSecret, 1);
  self->data = sodium_malloc (len + 1);
  if (self->data == NULL)
    g_error ("Out of locked memory for a secret of %" G_GSIZE_FORMAT " bytes", len);
  sodium_memzero (self->data, len + 1);
  self->len = len;
  return self;
}

TrbSecret *
trb_secret_new_from_data (const void *data,
                          gsize       len)
{
  TrbSecret *self = trb_secret_new (len);

  if (len > 0)
    memcpy (self->data, data, len);
  return self;
}

TrbSecret *
trb_secret_new_from_string (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);

  return trb_secret_new_from_data (text, strlen (text));
}

const char *
trb_secret_get_string (const TrbSecret *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char *)self->data;
}

/* Constant-time comparison, so that a comparison does not tell how much of a guess was right. */
gboolean
trb_secret_equal (const TrbSecret *a,
                  const TrbSecret *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->len != b->len)
    return FALSE;
  return sodium_memcmp (a->data, b->data, a->len) == 0;
}

void
trb_secret_free (TrbSecret *self)
{
  if (self == NULL)
    return;

  /* sodium_free() zeroes the memory before it releases it. */
  sodium_free (self->data);
  g_free (self);
}

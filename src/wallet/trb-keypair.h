/* trb-keypair.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TRB_ED25519_PUBLIC_KEY_LEN 32
#define TRB_ED25519_SIGNATURE_LEN  64

#define TRB_TYPE_KEYPAIR (trb_keypair_get_type ())

G_DECLARE_FINAL_TYPE (TrbKeypair, trb_keypair, TRB, KEYPAIR, GObject)

TrbKeypair   *trb_keypair_new_from_seed        (const guint8  *seed);
TrbKeypair   *trb_keypair_new_from_phrase      (const char    *phrase,
                                                const char    *passphrase,
                                                GError       **error);
const guint8 *trb_keypair_get_public_key       (TrbKeypair    *self);
const char   *trb_keypair_get_address          (TrbKeypair    *self);
GBytes       *trb_keypair_sign                 (TrbKeypair    *self,
                                                const guint8  *data,
                                                gsize          len);

char         *trb_wallet_address_from_public_key (const guint8 *public_key);
gboolean      trb_wallet_address_to_public_key (const char    *address,
                                                guint8        *public_key,
                                                GError       **error);
gboolean      trb_wallet_verify                (const guint8  *public_key,
                                                const guint8  *data,
                                                gsize          len,
                                                const guint8  *signature,
                                                gsize          signature_len,
                                                GError       **error);
gboolean      trb_wallet_verify_with_address   (const char    *address,
                                                const guint8  *data,
                                                gsize          len,
                                                const guint8  *signature,
                                                gsize          signature_len,
                                                GError       **error);

G_END_DECLS

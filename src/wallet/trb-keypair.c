/* trb-keypair.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An Ed25519 key pair. The secret half lives in read-only sodium_malloc memory for the life
 * of the object and is zeroed when the object is finalised; it is never a GObject property.
 */

#define G_LOG_DOMAIN "trb-keypair"

#include "config.h"

#include "trb-keypair.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "trb-base58.h"
#include "trb-bip39.h"
#include "trb-secret.h"
#include "trb-slip10.h"
#include "trb-wallet-error.h"

struct _TrbKeypair
{
  GObject  parent_instance;

  guint8  *secret_key;   /* libsodium form: seed || public key, 64 bytes, sodium_malloc */
  guint8   public_key[crypto_sign_PUBLICKEYBYTES];
  char    *address;
};

G_DEFINE_FINAL_TYPE (TrbKeypair, trb_keypair, G_TYPE_OBJECT)

static void
trb_keypair_finalize (GObject *object)
{
  TrbKeypair *self = (TrbKeypair *)object;

  g_clear_pointer (&self->secret_key, sodium_free);
  g_clear_pointer (&self->address, g_free);

  G_OBJECT_CLASS (trb_keypair_parent_class)->finalize (object);
}

static void
trb_keypair_class_init (TrbKeypairClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_keypair_finalize;
}

static void
trb_keypair_init (TrbKeypair *self)
{
}

/**
 * trb_keypair_new_from_seed:
 * @seed: the 32-byte Ed25519 secret key (the "secret key" of RFC 8032)
 *
 * Returns: (transfer full): the key pair
 */
TrbKeypair *
trb_keypair_new_from_seed (const guint8 *seed)
{
  TrbKeypair *self;

  g_return_val_if_fail (seed != NULL, NULL);

  trb_wallet_crypto_init ();

  self = g_object_new (TRB_TYPE_KEYPAIR, NULL);
  self->secret_key = sodium_malloc (crypto_sign_SECRETKEYBYTES);
  g_assert (self->secret_key != NULL);
  crypto_sign_seed_keypair (self->public_key, self->secret_key, seed);
  sodium_mprotect_readonly (self->secret_key);
  self->address = trb_wallet_address_from_public_key (self->public_key);
  return self;
}

/**
 * trb_keypair_new_from_phrase:
 * @phrase: a BIP39 phrase as typed
 * @passphrase: (nullable): its optional passphrase
 *
 * Derives the key at %TRB_WALLET_DERIVATION_PATH with SLIP-0010.
 *
 * Returns: (transfer full): the key pair, or %NULL with @error set
 */
TrbKeypair *
trb_keypair_new_from_phrase (const char  *phrase,
                             const char  *passphrase,
                             GError     **error)
{
  g_autoptr(TrbSecret) seed = NULL;
  g_autoptr(TrbSecret) key = NULL;
  guint32 indices[TRB_SLIP10_MAX_DEPTH];
  guint n_indices = 0;

  g_return_val_if_fail (phrase != NULL, NULL);

  seed = trb_bip39_phrase_to_seed (phrase, passphrase, error);
  if (seed == NULL)
    return NULL;

  if (!trb_slip10_parse_path (TRB_WALLET_DERIVATION_PATH, indices, &n_indices, error))
    return NULL;
  key = trb_secret_new (32);
  if (!trb_slip10_derive_ed25519 (seed->data, seed->len, indices, n_indices, key->data, NULL,
                                  error))
    return NULL;

  return trb_keypair_new_from_seed (key->data);
}

const guint8 *
trb_keypair_get_public_key (TrbKeypair *self)
{
  g_return_val_if_fail (TRB_IS_KEYPAIR (self), NULL);

  return self->public_key;
}

/**
 * trb_keypair_get_address:
 *
 * Returns: the base58 public key
 */
const char *
trb_keypair_get_address (TrbKeypair *self)
{
  g_return_val_if_fail (TRB_IS_KEYPAIR (self), NULL);

  return self->address;
}

/**
 * trb_keypair_sign:
 *
 * Returns: (transfer full): the 64-byte Ed25519 signature of @data
 */
GBytes *
trb_keypair_sign (TrbKeypair   *self,
                  const guint8 *data,
                  gsize         len)
{
  guint8 signature[crypto_sign_BYTES];

  g_return_val_if_fail (TRB_IS_KEYPAIR (self), NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  crypto_sign_detached (signature, NULL, data ? data : (const guint8 *)"", len,
                        self->secret_key);
  return g_bytes_new (signature, sizeof signature);
}

char *
trb_wallet_address_from_public_key (const guint8 *public_key)
{
  g_return_val_if_fail (public_key != NULL, NULL);

  return trb_base58_encode (public_key, crypto_sign_PUBLICKEYBYTES);
}

/**
 * trb_wallet_address_to_public_key:
 * @public_key: (out caller-allocates): 32 bytes
 */
gboolean
trb_wallet_address_to_public_key (const char  *address,
                                  guint8      *public_key,
                                  GError     **error)
{
  g_autofree guint8 *bytes = NULL;
  gsize len = 0;

  g_return_val_if_fail (address != NULL && public_key != NULL, FALSE);

  if (!trb_base58_decode (address, &bytes, &len, NULL) || len != crypto_sign_PUBLICKEYBYTES)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_ADDRESS,
                   _("This is not a wallet address. An address is 32 to 44 letters and digits."));
      return FALSE;
    }
  memcpy (public_key, bytes, len);
  return TRUE;
}

gboolean
trb_wallet_verify (const guint8  *public_key,
                   const guint8  *data,
                   gsize          len,
                   const guint8  *signature,
                   gsize          signature_len,
                   GError       **error)
{
  g_return_val_if_fail (public_key != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  trb_wallet_crypto_init ();

  if (signature == NULL || signature_len != crypto_sign_BYTES)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_SIGNATURE,
                   _("This is not a signature: a signature is exactly 64 bytes."));
      return FALSE;
    }
  if (crypto_sign_verify_detached (signature, data ? data : (const guint8 *)"", len,
                                   public_key) != 0)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_SIGNATURE,
                   _("The signature does not match: these bytes were not signed by this "
                     "wallet, or they were changed after signing."));
      return FALSE;
    }
  return TRUE;
}

gboolean
trb_wallet_verify_with_address (const char    *address,
                                const guint8  *data,
                                gsize          len,
                                const guint8  *signature,
                                gsize          signature_len,
                                GError       **error)
{
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];

  if (!trb_wallet_address_to_public_key (address, public_key, error))
    return FALSE;
  return trb_wallet_verify (public_key, data, len, signature, signature_len, error);
}

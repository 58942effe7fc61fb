/* trb-bip39.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * BIP39 backup phrases with the English wordlist. Every phrase, passphrase and seed returned
 * here is a TrbSecret: locked memory that is zeroed when freed.
 */

#pragma once

#include <glib.h>

#include "wallet/trb-secret.h"

G_BEGIN_DECLS

/* Words of a newly created phrase; imports accept 12, 15, 18, 21 or 24. */
#define TRB_BIP39_DEFAULT_WORDS 24
/* The longest phrase or passphrase accepted, in bytes, before normalisation. */
#define TRB_BIP39_MAX_TEXT      1024
#define TRB_BIP39_SEED_LEN      64

void        trb_pbkdf2_hmac_sha512       (const guint8  *password,
                                          gsize          password_len,
                                          const guint8  *salt,
                                          gsize          salt_len,
                                          guint          iterations,
                                          guint8        *out,
                                          gsize          out_len);

const char *trb_bip39_word               (guint          index);
int         trb_bip39_word_index         (const char    *word);

TrbSecret  *trb_bip39_normalize          (const char    *text,
                                          GError       **error);
TrbSecret  *trb_bip39_entropy_to_phrase  (const guint8  *entropy,
                                          gsize          len,
                                          GError       **error);
TrbSecret  *trb_bip39_phrase_to_entropy  (const char    *phrase,
                                          GError       **error);
TrbSecret  *trb_bip39_generate           (guint          n_words,
                                          GError       **error);
TrbSecret  *trb_bip39_check              (const char    *text,
                                          GError       **error);
TrbSecret  *trb_bip39_phrase_to_seed     (const char    *phrase,
                                          const char    *passphrase,
                                          GError       **error);
guint       trb_bip39_count_words        (const char    *phrase);
TrbSecret  *trb_bip39_get_word           (const char    *phrase,
                                          guint          position);

G_END_DECLS

/* trb-bip39.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * BIP39: entropy <-> English mnemonic sentence with a SHA-256 checksum, and the binary seed
 * PBKDF2-HMAC-SHA512 (2048 rounds, salt "mnemonic" + passphrase), both texts in Unicode NFKD.
 * Intermediate copies of secrets live in sodium_malloc memory or are zeroed before release.
 */

#define G_LOG_DOMAIN "trb-bip39"

#include "config.h"

#include "trb-bip39.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "trb-bip39-private.h"
#include "trb-wallet-error.h"

#define PBKDF2_ROUNDS 2048
#define SALT_PREFIX   "mnemonic"

/**
 * trb_pbkdf2_hmac_sha512:
 *
 * PBKDF2 (RFC 8018) with HMAC-SHA512 as the pseudo-random function.
 */
void
trb_pbkdf2_hmac_sha512 (const guint8 *password,
                        gsize         password_len,
                        const guint8 *salt,
                        gsize         salt_len,
                        guint         iterations,
                        guint8       *out,
                        gsize         out_len)
{
  crypto_auth_hmacsha512_state *keyed;
  crypto_auth_hmacsha512_state *state;
  guint8 *u;
  guint8 *t;
  guint32 block = 1;

  g_return_if_fail (iterations > 0);
  g_return_if_fail (out != NULL);

  trb_wallet_crypto_init ();

  /* The keyed state and the running blocks are as secret as the password. */
  keyed = sodium_malloc (sizeof *keyed);
  state = sodium_malloc (sizeof *state);
  u = sodium_malloc (crypto_auth_hmacsha512_BYTES);
  t = sodium_malloc (crypto_auth_hmacsha512_BYTES);
  g_assert (keyed && state && u && t);

  crypto_auth_hmacsha512_init (keyed, password, password_len);

  while (out_len > 0)
    {
      guint8 be[4] = { block >> 24, block >> 16, block >> 8, block };
      gsize n = MIN (out_len, (gsize)crypto_auth_hmacsha512_BYTES);

      memcpy (state, keyed, sizeof *state);
      crypto_auth_hmacsha512_update (state, salt, salt_len);
      crypto_auth_hmacsha512_update (state, be, sizeof be);
      crypto_auth_hmacsha512_final (state, u);
      memcpy (t, u, crypto_auth_hmacsha512_BYTES);

      for (guint i = 1; i < iterations; i++)
        {
          memcpy (state, keyed, sizeof *state);
          crypto_auth_hmacsha512_update (state, u, crypto_auth_hmacsha512_BYTES);
          crypto_auth_hmacsha512_final (state, u);
          for (guint j = 0; j < crypto_auth_hmacsha512_BYTES; j++)
            t[j] ^= u[j];
        }

      memcpy (out, t, n);
      out += n;
      out_len -= n;
      block++;
    }

  sodium_free (keyed);
  sodium_free (state);
  sodium_free (u);
  sodium_free (t);
}

const char *
trb_bip39_word (guint index)
{
  g_return_val_if_fail (index < TRB_BIP39_N_WORDS, NULL);

  return trb_bip39_english[index];
}

static int
compare_word (const void *key,
              const void *element)
{
  return strcmp (key, *(const char * const *)element);
}

/**
 * trb_bip39_word_index:
 *
 * Returns: the index of @word in the English wordlist, or -1
 */
int
trb_bip39_word_index (const char *word)
{
  const char * const *found;

  g_return_val_if_fail (word != NULL, -1);

  found = bsearch (word, trb_bip39_english, TRB_BIP39_N_WORDS, sizeof (char *), compare_word);
  return found ? (int)(found - trb_bip39_english) : -1;
}

static gboolean
check_text (const char  *text,
            GError     **error)
{
  gsize len = strnlen (text, TRB_BIP39_MAX_TEXT + 1);

  if (len > TRB_BIP39_MAX_TEXT)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                   g_dngettext (GETTEXT_PACKAGE, "The text is too long (more than %d character).",
                                "The text is too long (more than %d characters).",
                                TRB_BIP39_MAX_TEXT), TRB_BIP39_MAX_TEXT);
      return FALSE;
    }
  if (!g_utf8_validate (text, len, NULL))
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                   _("The text contains bytes that are not valid characters."));
      return FALSE;
    }
  return TRUE;
}

/* NFKD into locked memory; the temporary copy GLib makes is zeroed before it is freed. */
static TrbSecret *
normalize_nfkd (const char  *text,
                GError     **error)
{
  g_autoptr(TrbSecret) result = NULL;
  char *nfkd;
  gsize len;

  if (!check_text (text, error))
    return NULL;

  nfkd = g_utf8_normalize (text, -1, G_NORMALIZE_NFKD);
  if (nfkd == NULL)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                   _("The text contains bytes that are not valid characters."));
      return NULL;
    }
  len = strlen (nfkd);
  result = trb_secret_new_from_data (nfkd, len);
  sodium_memzero (nfkd, len);
  g_free (nfkd);
  return g_steal_pointer (&result);
}

/**
 * trb_bip39_normalize:
 * @text: a backup phrase as a person typed or pasted it
 *
 * Normalises to NFKD, lower-cases ASCII letters, and separates the words by single spaces
 * (any Unicode white space, such as the ideographic space, separates words).
 *
 * Returns: (transfer full): the phrase, or %NULL with @error set when @text is not valid
 *   UTF-8 or is longer than %TRB_BIP39_MAX_TEXT bytes
 */
TrbSecret *
trb_bip39_normalize (const char  *text,
                     GError     **error)
{
  g_autoptr(TrbSecret) nfkd = NULL;
  g_autoptr(TrbSecret) out = NULL;
  const char *p;
  gsize n = 0;
  gboolean in_space = TRUE;

  g_return_val_if_fail (text != NULL, NULL);

  nfkd = normalize_nfkd (text, error);
  if (nfkd == NULL)
    return NULL;

  out = trb_secret_new (nfkd->len);
  for (p = trb_secret_get_string (nfkd); *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      int bytes = g_utf8_next_char (p) - p;

      if (g_unichar_isspace (c))
        {
          in_space = TRUE;
          continue;
        }
      if (in_space && n > 0)
        out->data[n++] = ' ';
      in_space = FALSE;
      if (bytes == 1)
        out->data[n++] = g_ascii_tolower (*p);
      else
        {
          memcpy (out->data + n, p, bytes);
          n += bytes;
        }
    }

  out->data[n] = '\0';
  out->len = n;
  return g_steal_pointer (&out);
}

static gboolean
valid_entropy_len (gsize len)
{
  return len >= 16 && len <= 32 && len % 4 == 0;
}

/**
 * trb_bip39_entropy_to_phrase:
 * @entropy: 16, 20, 24, 28 or 32 bytes
 *
 * Returns: (transfer full): the phrase, words separated by single spaces
 */
TrbSecret *
trb_bip39_entropy_to_phrase (const guint8  *entropy,
                             gsize          len,
                             GError       **error)
{
  g_autoptr(TrbSecret) bits = NULL;
  g_autoptr(TrbSecret) phrase = NULL;
  guint8 hash[crypto_hash_sha256_BYTES];
  guint n_words;
  gsize n = 0;

  g_return_val_if_fail (entropy != NULL, NULL);

  if (!valid_entropy_len (len))
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_WORD_COUNT,
                   _("A backup phrase is made from 16 to 32 bytes, a multiple of 4."));
      return NULL;
    }

  trb_wallet_crypto_init ();

  n_words = len * 8 * 33 / 32 / 11;
  bits = trb_secret_new (len + 1);
  memcpy (bits->data, entropy, len);
  crypto_hash_sha256 (hash, entropy, len);
  bits->data[len] = hash[0];
  sodium_memzero (hash, sizeof hash);

  /* The longest word has 8 letters. */
  phrase = trb_secret_new (n_words * 9);
  for (guint w = 0; w < n_words; w++)
    {
      guint index = 0;
      const char *word;
      gsize word_len;

      for (guint b = 0; b < 11; b++)
        {
          guint bit = w * 11 + b;
          index = (index << 1) | ((bits->data[bit / 8] >> (7 - bit % 8)) & 1);
        }
      word = trb_bip39_english[index];
      word_len = strlen (word);
      if (w > 0)
        phrase->data[n++] = ' ';
      memcpy (phrase->data + n, word, word_len);
      n += word_len;
      index = 0;
    }
  phrase->data[n] = '\0';
  phrase->len = n;
  return g_steal_pointer (&phrase);
}

guint
trb_bip39_count_words (const char *phrase)
{
  guint n = 0;
  gboolean in_word = FALSE;

  g_return_val_if_fail (phrase != NULL, 0);

  for (const char *p = phrase; *p != '\0'; p++)
    {
      if (*p == ' ')
        in_word = FALSE;
      else if (!in_word)
        {
          in_word = TRUE;
          n++;
        }
    }
  return n;
}

/**
 * trb_bip39_get_word:
 * @phrase: a normalised phrase
 * @position: 0-based
 *
 * Returns: (transfer full) (nullable): the word at @position, for the backup check
 */
TrbSecret *
trb_bip39_get_word (const char *phrase,
                    guint       position)
{
  const char *p = phrase;

  g_return_val_if_fail (phrase != NULL, NULL);

  for (guint i = 0; i < position && p != NULL; i++)
    {
      p = strchr (p, ' ');
      if (p != NULL)
        p++;
    }
  if (p == NULL || *p == '\0')
    return NULL;
  return trb_secret_new_from_data (p, strcspn (p, " "));
}

static gboolean
check_word_count (guint    n_words,
                  GError **error)
{
  if (n_words == 0)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_WORD_COUNT,
                   _("The backup phrase is empty. Type or paste its 12 to 24 words."));
      return FALSE;
    }
  if (n_words < 12 || n_words > 24 || n_words % 3 != 0)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_WORD_COUNT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "A backup phrase has 12, 15, 18, 21 or 24 words, but this one "
                                "has %u word.",
                                "A backup phrase has 12, 15, 18, 21 or 24 words, but this one "
                                "has %u words.", n_words),
                   n_words);
      return FALSE;
    }
  return TRUE;
}

/* Packs the 11-bit index of each of the @n_words words of @phrase into @bits (33 bytes, zeroed),
 * setting @n_bits to the number of bits written. Each word is copied into secret memory. */
static gboolean
pack_word_indices (const char  *phrase,
                   guint        n_words,
                   TrbSecret   *bits,
                   guint       *n_bits,
                   GError     **error)
{
  g_autoptr(TrbSecret) word = trb_secret_new (TRB_BIP39_MAX_TEXT);
  const char *p = phrase;

  *n_bits = 0;
  for (guint w = 0; w < n_words; w++)
    {
      gsize len;
      int index;

      while (*p == ' ')
        p++;
      len = strcspn (p, " ");
      if (len >= word->len)
        len = word->len - 1;
      memcpy (word->data, p, len);
      word->data[len] = '\0';
      p += len;

      index = trb_bip39_word_index ((const char *)word->data);
      if (index < 0)
        {
          /* The word itself is left out of the message: it is part of a secret. */
          g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_UNKNOWN_WORD,
                       _("Word %u is not one of the words backup phrases use. Check its "
                         "spelling."), w + 1);
          return FALSE;
        }
      for (int b = 10; b >= 0; b--, (*n_bits)++)
        if ((index >> b) & 1)
          bits->data[*n_bits / 8] |= 0x80 >> (*n_bits % 8);
    }
  return TRUE;
}

/**
 * trb_bip39_phrase_to_entropy:
 * @phrase: a normalised phrase (see trb_bip39_normalize())
 *
 * Checks the number of words, each word and the checksum.
 *
 * Returns: (transfer full): the entropy, or %NULL with @error set to a plain explanation
 */
TrbSecret *
trb_bip39_phrase_to_entropy (const char  *phrase,
                             GError     **error)
{
  g_autoptr(TrbSecret) bits = NULL;
  g_autoptr(TrbSecret) entropy = NULL;
  guint8 hash[crypto_hash_sha256_BYTES];
  guint n_words;
  guint n_bits = 0;
  gsize ent_len;
  guint cs_bits;
  guint8 mask;
  gboolean ok;

  g_return_val_if_fail (phrase != NULL, NULL);

  trb_wallet_crypto_init ();

  n_words = trb_bip39_count_words (phrase);
  if (!check_word_count (n_words, error))
    return NULL;

  bits = trb_secret_new (33);
  if (!pack_word_indices (phrase, n_words, bits, &n_bits, error))
    return NULL;

  cs_bits = n_words / 3;
  ent_len = (n_bits - cs_bits) / 8;
  entropy = trb_secret_new_from_data (bits->data, ent_len);

  crypto_hash_sha256 (hash, entropy->data, ent_len);
  mask = (guint8)(0xff << (8 - cs_bits));
  ok = (hash[0] & mask) == (bits->data[ent_len] & mask);
  sodium_memzero (hash, sizeof hash);
  if (!ok)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_CHECKSUM,
                   _("The words are all correct words, but together they are not a valid "
                     "backup phrase. A word may be wrong or in the wrong place."));
      return NULL;
    }

  return g_steal_pointer (&entropy);
}

/**
 * trb_bip39_check:
 * @text: a phrase as typed
 *
 * Normalises and validates a phrase.
 *
 * Returns: (transfer full): the normalised phrase, or %NULL with @error set
 */
TrbSecret *
trb_bip39_check (const char  *text,
                 GError     **error)
{
  g_autoptr(TrbSecret) phrase = NULL;
  g_autoptr(TrbSecret) entropy = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  phrase = trb_bip39_normalize (text, error);
  if (phrase == NULL)
    return NULL;
  entropy = trb_bip39_phrase_to_entropy (trb_secret_get_string (phrase), error);
  if (entropy == NULL)
    return NULL;
  return g_steal_pointer (&phrase);
}

/**
 * trb_bip39_generate:
 * @n_words: 12, 15, 18, 21 or 24
 *
 * Returns: (transfer full): a new random phrase
 */
TrbSecret *
trb_bip39_generate (guint    n_words,
                    GError **error)
{
  g_autoptr(TrbSecret) entropy = NULL;

  trb_wallet_crypto_init ();

  if (n_words < 12 || n_words > 24 || n_words % 3 != 0)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_WORD_COUNT,
                   _("A backup phrase has 12, 15, 18, 21 or 24 words."));
      return NULL;
    }

  entropy = trb_secret_new (n_words * 11 * 32 / 33 / 8);
  randombytes_buf (entropy->data, entropy->len);
  return trb_bip39_entropy_to_phrase (entropy->data, entropy->len, error);
}

/**
 * trb_bip39_phrase_to_seed:
 * @phrase: a phrase as typed; it is normalised and checked
 * @passphrase: (nullable): the optional passphrase. BIP39 defines no passphrase and the empty
 *   passphrase to be the same.
 *
 * Returns: (transfer full): the 64-byte seed, or %NULL with @error set
 */
TrbSecret *
trb_bip39_phrase_to_seed (const char  *phrase,
                          const char  *passphrase,
                          GError     **error)
{
  g_autoptr(TrbSecret) normalized = NULL;
  g_autoptr(TrbSecret) pass = NULL;
  g_autoptr(TrbSecret) salt = NULL;
  g_autoptr(TrbSecret) seed = NULL;

  g_return_val_if_fail (phrase != NULL, NULL);

  normalized = trb_bip39_check (phrase, error);
  if (normalized == NULL)
    return NULL;

  pass = normalize_nfkd (passphrase ? passphrase : "", error);
  if (pass == NULL)
    {
      g_prefix_error (error, "%s ", _("The passphrase cannot be used."));
      return NULL;
    }

  salt = trb_secret_new (strlen (SALT_PREFIX) + pass->len);
  memcpy (salt->data, SALT_PREFIX, strlen (SALT_PREFIX));
  memcpy (salt->data + strlen (SALT_PREFIX), pass->data, pass->len);

  seed = trb_secret_new (TRB_BIP39_SEED_LEN);
  trb_pbkdf2_hmac_sha512 (normalized->data, normalized->len, salt->data, salt->len,
                          PBKDF2_ROUNDS, seed->data, seed->len);
  return g_steal_pointer (&seed);
}

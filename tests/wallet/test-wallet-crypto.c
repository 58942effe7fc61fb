/* test-wallet-crypto.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Published vectors for every piece of the wallet's key chain: base58, BIP39 (Trezor's English
 * vectors with the passphrase "TREZOR"), SLIP-0010 ed25519 vectors 1 and 2, RFC 8032 §7.1, and
 * the malformed input a person may type.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <sodium.h>

#include "wallet/trb-base58.h"
#include "wallet/trb-bip39.h"
#include "wallet/trb-keypair.h"
#include "wallet/trb-slip10.h"
#include "wallet/trb-wallet-error.h"

static GBytes *
hex_to_bytes (const char *hex)
{
  gsize len = strlen (hex);
  guint8 *out;

  if (g_str_equal (hex, "-"))
    return g_bytes_new (NULL, 0);
  g_assert_cmpuint (len % 2, ==, 0);
  out = g_malloc (len / 2 + 1);
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      g_assert_cmpint (hi, >=, 0);
      g_assert_cmpint (lo, >=, 0);
      out[i] = (guint8)(hi << 4 | lo);
    }
  return g_bytes_new_take (out, len / 2);
}

static char *
to_hex (const guint8 *data,
        gsize         len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

/* Fixture lines split on spaces; comments and blank lines left out. */
static GPtrArray *
read_fixture_lines (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "wallet", "fixtures", name,
                                                 NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      g_ptr_array_add (result, g_strsplit (lines[i], " ", -1));
    }
  return result;
}

static void
test_base58_vectors (void)
{
  g_autoptr(GPtrArray) lines = read_fixture_lines ("base58.txt");

  g_assert_cmpuint (lines->len, >=, 15);
  for (guint i = 0; i < lines->len; i++)
    {
      char **fields = g_ptr_array_index (lines, i);
      g_autoptr(GBytes) bytes = hex_to_bytes (fields[0]);
      const char *expected = g_str_equal (fields[1], "-") ? "" : fields[1];
      g_autofree char *encoded = NULL;
      g_autofree guint8 *decoded = NULL;
      g_autoptr(GError) error = NULL;
      gsize len = 0;

      encoded = trb_base58_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_assert_cmpstr (encoded, ==, expected);

      g_assert_true (trb_base58_decode (expected, &decoded, &len, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (decoded, len, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
}

static void
test_base58_rejects (void)
{
  const char *bad[] = { "0OIl", "abc0", "2g ", "é", "+/" };
  g_autofree char *huge = g_strnfill (1000, 'z');
  g_autofree guint8 *data = NULL;
  gsize len = 0;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (trb_base58_decode (bad[i], &data, &len, &error));
      g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT);
    }

  {
    g_autoptr(GError) error = NULL;
    g_assert_false (trb_base58_decode (huge, &data, &len, &error));
    g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT);
  }
}

static void
test_bip39_wordlist (void)
{
  g_assert_cmpstr (trb_bip39_word (0), ==, "abandon");
  g_assert_cmpstr (trb_bip39_word (2047), ==, "zoo");
  for (guint i = 0; i < 2048; i++)
    g_assert_cmpint (trb_bip39_word_index (trb_bip39_word (i)), ==, (int)i);
  g_assert_cmpint (trb_bip39_word_index ("zzz"), ==, -1);
  g_assert_cmpint (trb_bip39_word_index (""), ==, -1);
}

static void
test_bip39_vectors (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "wallet", "fixtures",
                                                 "bip39-vectors.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *cases;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "english");
  g_assert_cmpuint (json_array_get_length (cases), ==, 24);

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonArray *row = json_array_get_array_element (cases, i);
      const char *entropy_hex = json_array_get_string_element (row, 0);
      const char *mnemonic = json_array_get_string_element (row, 1);
      const char *seed_hex = json_array_get_string_element (row, 2);
      g_autoptr(GBytes) entropy = hex_to_bytes (entropy_hex);
      g_autoptr(TrbSecret) phrase = NULL;
      g_autoptr(TrbSecret) back = NULL;
      g_autoptr(TrbSecret) seed = NULL;
      g_autofree char *seed_got = NULL;

      phrase = trb_bip39_entropy_to_phrase (g_bytes_get_data (entropy, NULL),
                                            g_bytes_get_size (entropy), &error);
      g_assert_no_error (error);
      g_assert_cmpstr (trb_secret_get_string (phrase), ==, mnemonic);

      back = trb_bip39_phrase_to_entropy (mnemonic, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (back->data, back->len,
                       g_bytes_get_data (entropy, NULL), g_bytes_get_size (entropy));

      seed = trb_bip39_phrase_to_seed (mnemonic, "TREZOR", &error);
      g_assert_no_error (error);
      seed_got = to_hex (seed->data, seed->len);
      g_assert_cmpstr (seed_got, ==, seed_hex);
    }
}

/* RFC 6070-style check of PBKDF2 with SHA-512 on a short known answer computed independently
 * (Python's hashlib.pbkdf2_hmac('sha512', b'password', b'salt', 1)). */
static void
test_pbkdf2_known_answer (void)
{
  static const char expected[] =
    "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
    "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce";
  guint8 out[64];
  g_autofree char *hex = NULL;

  trb_pbkdf2_hmac_sha512 ((const guint8 *)"password", 8, (const guint8 *)"salt", 4, 1,
                          out, sizeof out);
  hex = to_hex (out, sizeof out);
  g_assert_cmpstr (hex, ==, expected);
}

static void
test_slip10_vectors (void)
{
  g_autoptr(GPtrArray) lines = read_fixture_lines ("slip10-ed25519.txt");
  g_autoptr(GBytes) seed = NULL;
  guint n_checked = 0;

  for (guint i = 0; i < lines->len; i++)
    {
      char **f = g_ptr_array_index (lines, i);
      guint32 indices[TRB_SLIP10_MAX_DEPTH];
      guint n_indices = 0;
      guint8 key[32], chain[32];
      g_autoptr(GError) error = NULL;
      g_autofree char *key_hex = NULL;
      g_autofree char *chain_hex = NULL;
      g_autofree char *pub_hex = NULL;
      g_autoptr(TrbKeypair) pair = NULL;

      if (g_str_equal (f[0], "seed"))
        {
          g_clear_pointer (&seed, g_bytes_unref);
          seed = hex_to_bytes (f[1]);
          continue;
        }
      g_assert_nonnull (seed);
      g_assert_true (trb_slip10_parse_path (f[0], indices, &n_indices, &error));
      g_assert_no_error (error);
      g_assert_true (trb_slip10_derive_ed25519 (g_bytes_get_data (seed, NULL),
                                                g_bytes_get_size (seed), indices, n_indices,
                                                key, chain, &error));
      g_assert_no_error (error);
      chain_hex = to_hex (chain, 32);
      key_hex = to_hex (key, 32);
      g_assert_cmpstr (chain_hex, ==, f[1]);
      g_assert_cmpstr (key_hex, ==, f[2]);

      /* The specification prints public keys with a leading 0x00. */
      pair = trb_keypair_new_from_seed (key);
      pub_hex = to_hex (trb_keypair_get_public_key (pair), 32);
      g_assert_true (g_str_has_prefix (f[3], "00"));
      g_assert_cmpstr (pub_hex, ==, f[3] + 2);
      n_checked++;
    }
  g_assert_cmpuint (n_checked, ==, 12);
}

static void
test_slip10_rejects (void)
{
  const char *bad[] = { "", "x/0'", "m/0", "m/1'/2", "m/'", "m/2147483648'", "m/-1'", "m/1''" };
  guint32 indices[TRB_SLIP10_MAX_DEPTH];
  guint n = 0;
  guint8 seed[16] = { 0 }, key[32];

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (trb_slip10_parse_path (bad[i], indices, &n, &error));
      g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_PATH);
    }

  {
    g_autoptr(GError) error = NULL;
    guint32 soft = 1;
    g_assert_false (trb_slip10_derive_ed25519 (seed, sizeof seed, &soft, 1, key, NULL, &error));
    g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_PATH);
  }
}

static void
test_rfc8032_vectors (void)
{
  g_autoptr(GPtrArray) lines = read_fixture_lines ("rfc8032-ed25519.txt");

  g_assert_cmpuint (lines->len, ==, 5);
  for (guint i = 0; i < lines->len; i++)
    {
      char **f = g_ptr_array_index (lines, i);
      g_autoptr(GBytes) secret = hex_to_bytes (f[0]);
      g_autoptr(GBytes) message = hex_to_bytes (f[2]);
      g_autoptr(GBytes) expected_sig = hex_to_bytes (f[3]);
      g_autoptr(TrbKeypair) pair = trb_keypair_new_from_seed (g_bytes_get_data (secret, NULL));
      g_autoptr(GBytes) sig = NULL;
      g_autofree char *pub_hex = to_hex (trb_keypair_get_public_key (pair), 32);
      g_autoptr(GError) error = NULL;
      guint8 *tampered;
      gsize msg_len = g_bytes_get_size (message);

      g_assert_cmpstr (pub_hex, ==, f[1]);
      sig = trb_keypair_sign (pair, g_bytes_get_data (message, NULL), msg_len);
      g_assert_true (g_bytes_equal (sig, expected_sig));

      g_assert_true (trb_wallet_verify_with_address (trb_keypair_get_address (pair),
                                                     g_bytes_get_data (message, NULL), msg_len,
                                                     g_bytes_get_data (sig, NULL), 64, &error));
      g_assert_no_error (error);

      /* One flipped bit of the signature must fail. */
      tampered = g_memdup2 (g_bytes_get_data (sig, NULL), 64);
      tampered[i % 64] ^= 0x01;
      g_assert_false (trb_wallet_verify (trb_keypair_get_public_key (pair),
                                         g_bytes_get_data (message, NULL), msg_len,
                                         tampered, 64, &error));
      g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_SIGNATURE);
      g_clear_error (&error);
      g_assert_false (trb_wallet_verify (trb_keypair_get_public_key (pair),
                                         g_bytes_get_data (message, NULL), msg_len,
                                         tampered, 63, &error));
      g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_SIGNATURE);
      g_free (tampered);
    }
}

/* A phrase with a published Solana address: the first address that Solana wallets (Phantom,
 * Solflare, solana-keygen with --derivation-path) show for the all-"abandon … about" phrase at
 * m/44'/501'/0'/0', cross-checked with an independent derivation (Python hashlib HMAC + PyNaCl). */
static void
test_phrase_to_address (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbKeypair) pair = NULL;

  pair = trb_keypair_new_from_phrase ("abandon abandon abandon abandon abandon abandon abandon "
                                      "abandon abandon abandon abandon about", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (trb_keypair_get_address (pair), ==,
                   "HAgk14JpMQLgt6rVgv7cBQFJWFto5Dqxi472uT3DKpqk");
}

static void
expect_phrase_error (const char *text,
                     int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSecret) seed = trb_bip39_phrase_to_seed (text, NULL, &error);

  g_assert_null (seed);
  g_assert_error (error, TRB_WALLET_ERROR, code);
  g_assert_nonnull (error->message);
  g_assert_cmpuint (strlen (error->message), >, 10);
}

static void
test_malformed_phrases (void)
{
  g_autofree char *too_long = NULL;
  GString *s = g_string_new (NULL);

  /* Wrong checksum: the last word changed from "about" to "abandon". */
  expect_phrase_error ("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                       "abandon abandon abandon", TRB_WALLET_ERROR_CHECKSUM);
  /* Two words swapped. */
  expect_phrase_error ("legal winner thank year wave sausage worth useful legal winner yellow "
                       "thank", TRB_WALLET_ERROR_CHECKSUM);
  /* Unknown word. */
  expect_phrase_error ("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                       "abandon abandon abuot", TRB_WALLET_ERROR_UNKNOWN_WORD);
  /* Wrong word counts. */
  expect_phrase_error ("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                       "abandon about", TRB_WALLET_ERROR_WORD_COUNT);
  expect_phrase_error ("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                       "abandon abandon abandon abandon about", TRB_WALLET_ERROR_WORD_COUNT);
  expect_phrase_error ("", TRB_WALLET_ERROR_WORD_COUNT);
  expect_phrase_error ("   \t\n ", TRB_WALLET_ERROR_WORD_COUNT);
  /* Bytes that are not UTF-8, and text too long to be a phrase. */
  expect_phrase_error ("abandon \xff\xfe abandon", TRB_WALLET_ERROR_INVALID_TEXT);
  for (guint i = 0; i < 300; i++)
    g_string_append (s, "zoo ");
  too_long = g_string_free (s, FALSE);
  expect_phrase_error (too_long, TRB_WALLET_ERROR_INVALID_TEXT);
}

static void
test_non_nfkd_input (void)
{
  static const char plain[] = "legal winner thank year wave sausage worth useful legal winner "
                              "thank yellow";
  /* Full-width letters, ideographic spaces, capitals, tabs and extra spaces all normalise
   * (NFKD, then white space and case) to the plain phrase. */
  static const char wide[] = "ｌｅｇａｌ\u3000winner\tTHANK  year wave sausage worth useful "
                             "legal winner thank ｙｅｌｌｏｗ\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSecret) a = trb_bip39_phrase_to_seed (plain, "TREZOR", &error);
  g_autoptr(TrbSecret) b = NULL;
  g_autoptr(TrbSecret) normalized = NULL;
  g_autoptr(TrbSecret) p1 = NULL;
  g_autoptr(TrbSecret) p2 = NULL;
  g_autoptr(TrbSecret) p3 = NULL;

  g_assert_no_error (error);
  b = trb_bip39_phrase_to_seed (wide, "TREZOR", &error);
  g_assert_no_error (error);
  g_assert_true (trb_secret_equal (a, b));

  normalized = trb_bip39_normalize (wide, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (trb_secret_get_string (normalized), ==, plain);

  /* A passphrase in composed (NFC) and decomposed form gives the same seed, and a different
   * one from a passphrase without the accent. */
  p1 = trb_bip39_phrase_to_seed (plain, "caf\u00e9", &error);
  g_assert_no_error (error);
  p2 = trb_bip39_phrase_to_seed (plain, "cafe\u0301", &error);
  g_assert_no_error (error);
  p3 = trb_bip39_phrase_to_seed (plain, "cafe", &error);
  g_assert_no_error (error);
  g_assert_true (trb_secret_equal (p1, p2));
  g_assert_false (trb_secret_equal (p1, p3));

  /* A word with an accent is not a word of the list, even though its letters look alike. */
  expect_phrase_error ("légal winner thank year wave sausage worth useful legal winner thank "
                       "yellow", TRB_WALLET_ERROR_UNKNOWN_WORD);

  /* A passphrase that is not text is refused. */
  {
    g_autoptr(TrbSecret) bad = trb_bip39_phrase_to_seed (plain, "\xc3\x28", &error);
    g_assert_null (bad);
    g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT);
  }
}

static void
test_empty_passphrase_vs_none (void)
{
  static const char phrase[] = "abandon abandon abandon abandon abandon abandon abandon abandon "
                               "abandon abandon abandon about";
  /* BIP39 reference value for this phrase without passphrase. */
  static const char no_pass_hex[] =
    "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1"
    "9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4";
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbSecret) none = trb_bip39_phrase_to_seed (phrase, NULL, &error);
  g_autoptr(TrbSecret) empty = trb_bip39_phrase_to_seed (phrase, "", &error);
  g_autoptr(TrbSecret) space = trb_bip39_phrase_to_seed (phrase, " ", &error);
  g_autofree char *hex = NULL;

  g_assert_no_error (error);
  hex = to_hex (none->data, none->len);
  g_assert_cmpstr (hex, ==, no_pass_hex);
  g_assert_true (trb_secret_equal (none, empty));
  /* A passphrase of one space is a passphrase: it is not trimmed away. */
  g_assert_false (trb_secret_equal (none, space));
}

static void
test_generate (void)
{
  for (guint n = 12; n <= 24; n += 3)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbSecret) a = trb_bip39_generate (n, &error);
      g_autoptr(TrbSecret) b = trb_bip39_generate (n, &error);
      g_autoptr(TrbSecret) entropy = NULL;

      g_assert_no_error (error);
      g_assert_cmpuint (trb_bip39_count_words (trb_secret_get_string (a)), ==, n);
      g_assert_false (trb_secret_equal (a, b));
      entropy = trb_bip39_phrase_to_entropy (trb_secret_get_string (a), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (entropy->len, ==, n * 11 * 32 / 33 / 8);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TrbSecret) bad = trb_bip39_generate (13, &error);
    g_assert_null (bad);
    g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_WORD_COUNT);
  }
}

static void
test_get_word (void)
{
  g_autoptr(TrbSecret) w0 = trb_bip39_get_word ("legal winner thank", 0);
  g_autoptr(TrbSecret) w2 = trb_bip39_get_word ("legal winner thank", 2);
  g_autoptr(TrbSecret) w3 = trb_bip39_get_word ("legal winner thank", 3);

  g_assert_cmpstr (trb_secret_get_string (w0), ==, "legal");
  g_assert_cmpstr (trb_secret_get_string (w2), ==, "thank");
  g_assert_null (w3);
}

static void
test_address_rejects (void)
{
  const char *bad[] = { "", "abc", "HAgk14JpMQLgt6rVgv7cBQFJWFto5Dqxi472uT3DKpq0",
                        "HAgk14JpMQLgt6rVgv7cBQFJWFto5Dqxi472uT3DKpqkHAgk" };
  guint8 pub[32];

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (trb_wallet_address_to_public_key (bad[i], pub, &error));
      g_assert_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_ADDRESS);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/wallet/base58/vectors", test_base58_vectors);
  g_test_add_func ("/wallet/base58/rejects", test_base58_rejects);
  g_test_add_func ("/wallet/bip39/wordlist", test_bip39_wordlist);
  g_test_add_func ("/wallet/bip39/pbkdf2", test_pbkdf2_known_answer);
  g_test_add_func ("/wallet/bip39/trezor-vectors", test_bip39_vectors);
  g_test_add_func ("/wallet/bip39/malformed", test_malformed_phrases);
  g_test_add_func ("/wallet/bip39/non-nfkd", test_non_nfkd_input);
  g_test_add_func ("/wallet/bip39/empty-passphrase-vs-none", test_empty_passphrase_vs_none);
  g_test_add_func ("/wallet/bip39/generate", test_generate);
  g_test_add_func ("/wallet/bip39/get-word", test_get_word);
  g_test_add_func ("/wallet/slip10/vectors", test_slip10_vectors);
  g_test_add_func ("/wallet/slip10/rejects", test_slip10_rejects);
  g_test_add_func ("/wallet/ed25519/rfc8032", test_rfc8032_vectors);
  g_test_add_func ("/wallet/address/from-phrase", test_phrase_to_address);
  g_test_add_func ("/wallet/address/rejects", test_address_rejects);

  return g_test_run ();
}

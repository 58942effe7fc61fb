/* test-http-signature.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "net/trb-http-signature.h"

/* RFC 9421 Appendix B.1.4, test-key-ed25519: the 32-byte seed inside the PKCS#8 key. */
static const char rfc_seed_hex[] =
  "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";

static void
load_rfc_key (guint8 secret_key[64])
{
  guint8 seed[32];
  guint8 public_key[32];
  gsize len = 0;

  g_assert_cmpint (sodium_hex2bin (seed, sizeof seed, rfc_seed_hex, strlen (rfc_seed_hex),
                                   NULL, &len, NULL), ==, 0);
  g_assert_cmpuint (len, ==, 32);
  crypto_sign_seed_keypair (public_key, secret_key, seed);
}

/* RFC 9421 Appendix B.2.6: the signature base of a request signed with ed25519, and the
 * signature the RFC gives for it (Ed25519 is deterministic, so it must match exactly). */
static void
test_rfc9421_b26 (void)
{
  static const char * const names[] = {
    "date", "@method", "@path", "@authority", "content-type", "content-length",
  };
  static const char * const values[] = {
    "Tue, 20 Apr 2021 02:07:55 GMT", "POST", "/foo", "example.com", "application/json", "18",
  };
  static const char params[] =
    "(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\")"
    ";created=1618884473;keyid=\"test-key-ed25519\"";
  static const char expected_base[] =
    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
    "\"@method\": POST\n"
    "\"@path\": /foo\n"
    "\"@authority\": example.com\n"
    "\"content-type\": application/json\n"
    "\"content-length\": 18\n"
    "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "
    "\"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
  static const char expected_sig[] =
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==";
  g_autofree char *base = NULL;
  g_autofree char *sig_b64 = NULL;
  guint8 secret_key[64];
  guint8 sig[64];

  base = trb_http_signature_base (names, values, G_N_ELEMENTS (names), params);
  g_assert_cmpstr (base, ==, expected_base);

  load_rfc_key (secret_key);
  crypto_sign_detached (sig, NULL, (const guint8 *)base, strlen (base), secret_key);
  sig_b64 = g_base64_encode (sig, sizeof sig);
  g_assert_cmpstr (sig_b64, ==, expected_sig);
  g_assert_cmpint (crypto_sign_verify_detached (sig, (const guint8 *)base, strlen (base),
                                                secret_key + 32), ==, 0);
}

/* RFC 9530 section 2 example: the sha-256 digest of {"hello": "world"}. */
static void
test_content_digest (void)
{
  static const char body[] = "{\"hello\": \"world\"}";
  g_autofree char *digest = trb_content_digest_sha256 ((const guint8 *)body, strlen (body));
  g_autofree char *empty = trb_content_digest_sha256 (NULL, 0);

  g_assert_cmpstr (digest, ==, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
  g_assert_cmpstr (empty, ==, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
}

static void
test_address_round_trip (void)
{
  guint8 pk[32];
  guint8 back[32];
  guint8 zeros[32] = { 0 };
  g_autofree char *address = NULL;
  g_autofree char *zero_address = NULL;

  /* The System Program's address on Solana is the all-zero key. */
  zero_address = trb_address_from_public_key (zeros);
  g_assert_cmpstr (zero_address, ==, "11111111111111111111111111111111");
  g_assert_true (trb_address_to_public_key (zero_address, back));
  g_assert_cmpmem (back, 32, zeros, 32);

  for (int i = 0; i < 200; i++)
    {
      g_clear_pointer (&address, g_free);
      randombytes_buf (pk, sizeof pk);
      if (i % 7 == 0)
        pk[0] = 0;
      address = trb_address_from_public_key (pk);
      g_assert_true (trb_address_to_public_key (address, back));
      g_assert_cmpmem (back, 32, pk, 32);
    }

  g_assert_false (trb_address_to_public_key ("", back));
  g_assert_false (trb_address_to_public_key ("0OIl", back));
  g_assert_false (trb_address_to_public_key ("2", back));
  g_assert_false (trb_address_to_public_key ("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", back));
}

typedef struct
{
  guint8 secret_key[64];
  char *digest;
  char *input;
  char *signature;
} Signed;

static void
sign_request (Signed     *s,
              const char *body,
              gint64      created)
{
  guint8 pk[32];

  crypto_sign_keypair (pk, s->secret_key);
  g_assert_true (trb_http_signature_sign ("POST", "http://127.0.0.1:8080/v1/participants",
                                          (const guint8 *)body, strlen (body), s->secret_key,
                                          created, &s->digest, &s->input, &s->signature));
}

static void
signed_clear (Signed *s)
{
  sodium_memzero (s->secret_key, sizeof s->secret_key);
  g_clear_pointer (&s->digest, g_free);
  g_clear_pointer (&s->input, g_free);
  g_clear_pointer (&s->signature, g_free);
}

static gboolean
verify (Signed     *s,
        const char *method,
        const char *uri,
        const char *body,
        gint64      now,
        GError    **error)
{
  return trb_http_signature_verify (method, uri, (const guint8 *)body, strlen (body), s->digest,
                                    s->input, s->signature, now, NULL, NULL, error);
}

static void
test_sign_verify (void)
{
  static const char body[] = "{\"display_name\":\"Ada\"}";
  static const char uri[] = "http://127.0.0.1:8080/v1/participants";
  Signed s = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *expected_address = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *other_nonce = NULL;
  gint64 now = 1700000000;

  sign_request (&s, body, now);
  g_assert_true (g_str_has_prefix (s.input, "trb=(\"@method\" \"@target-uri\" \"content-digest\")"
                                            ";created=1700000000;nonce=\""));
  g_assert_true (trb_http_signature_verify ("POST", uri, (const guint8 *)body, strlen (body),
                                            s.digest, s.input, s.signature, now + 10, &address,
                                            &nonce, &error));
  g_assert_no_error (error);
  expected_address = trb_address_from_public_key (s.secret_key + 32);
  g_assert_cmpstr (address, ==, expected_address);
  g_assert_cmpuint (strlen (nonce), ==, 22);

  /* Every signature gets a fresh nonce. */
  signed_clear (&s);
  sign_request (&s, body, now);
  g_assert_true (trb_http_signature_verify ("POST", uri, (const guint8 *)body, strlen (body),
                                            s.digest, s.input, s.signature, now, NULL,
                                            &other_nonce, &error));
  g_assert_cmpstr (nonce, !=, other_nonce);

  /* Another method, another URI, another body: all break the signature. */
  g_assert_false (verify (&s, "PUT", uri, body, now, &error));
  g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (verify (&s, "POST", "http://127.0.0.1:8080/v1/participantz", body, now, &error));
  g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (verify (&s, "POST", uri, "{\"display_name\":\"Eve\"}", now, &error));
  g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* Outside the skew window either way. */
  g_assert_false (verify (&s, "POST", uri, body, now + TRB_PROTOCOL_SIGNATURE_SKEW + 1, &error));
  g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_EXPIRED);
  g_clear_error (&error);
  g_assert_false (verify (&s, "POST", uri, body, now - TRB_PROTOCOL_SIGNATURE_SKEW - 1, &error));
  g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_EXPIRED);
  g_clear_error (&error);

  /* A signature whose bytes are flipped. */
  {
    g_autofree char *tampered = g_strdup (s.signature);

    tampered[6] = tampered[6] == 'A' ? 'B' : 'A';
    g_assert_false (trb_http_signature_verify ("POST", uri, (const guint8 *)body, strlen (body),
                                               s.digest, s.input, tampered, now, NULL, NULL,
                                               &error));
    g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);
  }

  /* A keyid swapped for another key's address. */
  {
    guint8 other_pk[32], other_sk[64];
    g_autofree char *other = NULL;
    g_autofree char *swapped = NULL;
    g_autofree char *current = trb_address_from_public_key (s.secret_key + 32);
    g_autoptr(GString) input = g_string_new (s.input);

    crypto_sign_keypair (other_pk, other_sk);
    other = trb_address_from_public_key (other_pk);
    g_assert_cmpuint (g_string_replace (input, current, other, 1), ==, 1);
    swapped = g_string_free (g_steal_pointer (&input), FALSE);
    g_assert_false (trb_http_signature_verify ("POST", uri, (const guint8 *)body, strlen (body),
                                               s.digest, swapped, s.signature, now, NULL, NULL,
                                               &error));
    g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);
  }

  signed_clear (&s);
}

static void
test_unsigned_and_malformed (void)
{
  static const char * const bad_inputs[] = {
    "trb=",
    "trb=(\"@method\" \"@target-uri\")",
    "trb=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\"x\"",
    "trb=(\"@method\" \"@target-uri\" \"content-digest\" \"date\");created=1700000000;"
    "nonce=\"aaaaaaaaaaaaaaaaaaaaaa\";keyid=\"11111111111111111111111111111111\"",
    "trb=(\"@method\" \"@target-uri\" \"content-digest\");created=17x;"
    "nonce=\"aaaaaaaaaaaaaaaaaaaaaa\";keyid=\"11111111111111111111111111111111\"",
    "trb=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;"
    "nonce=\"aaaaaaaaaaaaaaaaaaaaaa\";keyid=\"11111111111111111111111111111111\";alg=\"hmac\"",
    "trb=(\"@method\" \"@target-uri\" \"content-digest\";created=1",
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = trb_content_digest_sha256 (NULL, 0);

  g_assert_false (trb_http_signature_verify ("POST", "http://x/v1/a", NULL, 0, digest, NULL, NULL,
                                             1700000000, NULL, NULL, &error));
  g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_UNSIGNED);
  g_clear_error (&error);

  g_assert_false (trb_http_signature_verify ("POST", "http://x/v1/a", NULL, 0, digest,
                                             "other=(\"@method\")", "other=:AAAA:", 1700000000,
                                             NULL, NULL, &error));
  g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_UNSIGNED);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (bad_inputs); i++)
    {
      g_assert_false (trb_http_signature_verify ("POST", "http://x/v1/a", NULL, 0, digest,
                                                 bad_inputs[i], "trb=:AAAA:", 1700000000, NULL,
                                                 NULL, &error));
      g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE);
      g_clear_error (&error);
    }
}

/* Correctly signed, but with parameters a verifier must refuse: no alg, and nonces that are
 * not 22 characters of base64url. */
static void
test_required_params (void)
{
  static const char * const bad_params[] = {
    "(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;"
    "nonce=\"AAAAAAAAAAAAAAAAAAAAAA\";keyid=\"%s\"",
    "(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;"
    "nonce=\"AAAAAAAAAAAAAAAAAAAAAAAA\";keyid=\"%s\";alg=\"ed25519\"",
    "(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;"
    "nonce=\"AAAAAAAAAAAAAAAAAAAA+/\";keyid=\"%s\";alg=\"ed25519\"",
    "(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;"
    "nonce=\"same-nonce-every-time!\";keyid=\"%s\";alg=\"ed25519\"",
  };
  static const char good[] =
    "(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;"
    "nonce=\"AAAAAAAAAAAAAAAAAAAA-_\";keyid=\"%s\";alg=\"ed25519\"";
  static const char * const names[] = { "@method", "@target-uri", "content-digest" };
  static const char uri[] = "http://127.0.0.1:8080/v1/participants";
  guint8 pk[32], sk[64];
  g_autofree char *address = NULL;
  g_autofree char *digest = trb_content_digest_sha256 (NULL, 0);

  crypto_sign_keypair (pk, sk);
  address = trb_address_from_public_key (pk);
  for (guint i = 0; i < G_N_ELEMENTS (bad_params) + 1; i++)
    {
      /* The last one is the good form, to show that the others fail for their parameters. */
      g_auto(GStrv) parts = g_strsplit (i < G_N_ELEMENTS (bad_params) ? bad_params[i] : good,
                                        "%s", 2);
      g_autofree char *params = g_strjoinv (address, parts);
      const char *values[] = { "POST", uri, digest };
      g_autofree char *base = trb_http_signature_base (names, values, 3, params);
      g_autofree char *input = g_strdup_printf ("trb=%s", params);
      g_autofree char *header = NULL;
      g_autoptr(GError) error = NULL;
      guint8 sig[crypto_sign_BYTES];
      gboolean ok;

      crypto_sign_detached (sig, NULL, (const guint8 *) base, strlen (base), sk);
      header = trb_http_signature_header (sig);
      ok = trb_http_signature_verify ("POST", uri, NULL, 0, digest, input, header, 1700000000,
                                      NULL, NULL, &error);
      if (i < G_N_ELEMENTS (bad_params))
        {
          g_assert_false (ok);
          g_assert_error (error, TRB_HTTP_SIGNATURE_ERROR,
                          TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
    }
  sodium_memzero (sk, sizeof sk);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/net/http-signature/rfc9421-b26", test_rfc9421_b26);
  g_test_add_func ("/net/http-signature/content-digest", test_content_digest);
  g_test_add_func ("/net/http-signature/required-params", test_required_params);
  g_test_add_func ("/net/http-signature/address", test_address_round_trip);
  g_test_add_func ("/net/http-signature/sign-verify", test_sign_verify);
  g_test_add_func ("/net/http-signature/unsigned-malformed", test_unsigned_and_malformed);

  return g_test_run ();
}

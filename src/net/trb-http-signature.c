/* trb-http-signature.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-http-signature"

#include "config.h"

#include "trb-http-signature.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

G_DEFINE_QUARK (trb-http-signature-error-quark, trb_http_signature_error)

static const char base58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* The components every Tributary signature must cover, in the order the client sends them. */
static const char * const required_components[] = { "@method", "@target-uri", "content-digest" };

static void
ensure_sodium (void)
{
  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
}

/**
 * trb_address_from_public_key:
 * @public_key: 32 bytes of Ed25519 public key
 *
 * Returns: (transfer full): the base58 (Bitcoin alphabet) address of @public_key.
 */
char *
trb_address_from_public_key (const guint8 *public_key)
{
  guint8 digits[64] = { 0 };
  int n_digits = 0;
  int zeros = 0;
  GString *out;

  g_return_val_if_fail (public_key != NULL, NULL);

  while (zeros < 32 && public_key[zeros] == 0)
    zeros++;

  /* Repeated multiply-and-add into base-58 digits, least significant first. */
  for (int i = zeros; i < 32; i++)
    {
      int carry = public_key[i];

      for (int j = 0; j < n_digits; j++)
        {
          carry += digits[j] * 256;
          digits[j] = carry % 58;
          carry /= 58;
        }
      while (carry > 0)
        {
          digits[n_digits++] = carry % 58;
          carry /= 58;
        }
    }

  out = g_string_new (NULL);
  for (int i = 0; i < zeros; i++)
    g_string_append_c (out, '1');
  for (int i = n_digits - 1; i >= 0; i--)
    g_string_append_c (out, base58_alphabet[digits[i]]);
  return g_string_free (out, FALSE);
}

/**
 * trb_address_to_public_key:
 * @address: a base58 address
 * @public_key: (out caller-allocates): 32 bytes
 *
 * Returns: %TRUE if @address decodes to exactly 32 bytes.
 */
gboolean
trb_address_to_public_key (const char *address,
                           guint8     *public_key)
{
  guint8 bytes[40] = { 0 };
  int n_bytes = 0;
  int zeros = 0;
  gsize len;

  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  len = strlen (address);
  if (len == 0 || len > TRB_ADDRESS_MAX_LEN)
    return FALSE;

  while (address[zeros] == '1')
    zeros++;

  for (gsize i = zeros; i < len; i++)
    {
      const char *p = strchr (base58_alphabet, address[i]);
      int carry;

      if (p == NULL || address[i] == '\0')
        return FALSE;
      carry = p - base58_alphabet;
      for (int j = 0; j < n_bytes; j++)
        {
          carry += bytes[j] * 58;
          bytes[j] = carry & 0xff;
          carry >>= 8;
        }
      while (carry > 0)
        {
          if (n_bytes >= (int) sizeof bytes)
            return FALSE;
          bytes[n_bytes++] = carry & 0xff;
          carry >>= 8;
        }
    }

  if (zeros + n_bytes != 32)
    return FALSE;

  memset (public_key, 0, zeros);
  for (int i = 0; i < n_bytes; i++)
    public_key[zeros + i] = bytes[n_bytes - 1 - i];
  return TRUE;
}

/**
 * trb_content_digest_sha256:
 * @body: (array length=len) (nullable): the body
 * @len: its length
 *
 * Returns: (transfer full): an RFC 9530 `Content-Digest` value, `sha-256=:…:`.
 */
char *
trb_content_digest_sha256 (const guint8 *body,
                           gsize         len)
{
  guint8 digest[crypto_hash_sha256_BYTES];
  g_autofree char *b64 = NULL;

  ensure_sodium ();
  crypto_hash_sha256 (digest, body != NULL ? body : (const guint8 *)"", len);
  b64 = g_base64_encode (digest, sizeof digest);
  return g_strdup_printf ("sha-256=:%s:", b64);
}

/**
 * trb_http_signature_base:
 * @names: component identifiers, without quotes (`@method`, `content-digest`)
 * @values: their values
 * @n_components: how many
 * @signature_params: the serialised inner list and parameters, as sent in Signature-Input
 *
 * Builds the RFC 9421 §2.5 signature base.
 *
 * Returns: (transfer full): the signature base
 */
char *
trb_http_signature_base (const char * const *names,
                         const char * const *values,
                         guint               n_components,
                         const char         *signature_params)
{
  GString *base = g_string_new (NULL);

  g_return_val_if_fail (signature_params != NULL, NULL);

  for (guint i = 0; i < n_components; i++)
    g_string_append_printf (base, "\"%s\": %s\n", names[i], values[i]);
  g_string_append_printf (base, "\"@signature-params\": %s", signature_params);
  return g_string_free (base, FALSE);
}

static char *
make_nonce (void)
{
  guint8 raw[16];
  char b64[sodium_base64_ENCODED_LEN (16, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (raw, sizeof raw);
  sodium_bin2base64 (b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return g_strdup (b64);
}

/* A nonce as make_nonce() writes it: 16 random bytes in unpadded base64url, 22 characters. A
 * nonce of any other form would let a signer pick values that collide in the replay cache or
 * fill it with long strings. */
static gboolean
nonce_is_valid (const char *nonce)
{
  gsize n = 0;

  for (; nonce[n] != '\0'; n++)
    if (!g_ascii_isalnum (nonce[n]) && nonce[n] != '-' && nonce[n] != '_')
      return FALSE;
  return n == TRB_PROTOCOL_NONCE_LENGTH;
}

/**
 * trb_http_signature_prepare:
 * @method: the request method, upper case
 * @target_uri: the absolute request URI
 * @body: (nullable): the body
 * @body_len: its length
 * @public_key: the signer's 32-byte Ed25519 public key
 * @created: the Unix time to put in `created`
 * @content_digest: (out): the Content-Digest header value
 * @signature_input: (out): the Signature-Input header value
 *
 * Builds the headers and the signature base of a request signed as docs/protocol.md section 3
 * describes, with a fresh random nonce, for a signer that keeps its key to itself.
 *
 * Returns: (transfer full): the signature base to sign
 */
char *
trb_http_signature_prepare (const char    *method,
                            const char    *target_uri,
                            const guint8  *body,
                            gsize          body_len,
                            const guint8  *public_key,
                            gint64         created,
                            char         **content_digest,
                            char         **signature_input)
{
  g_autofree char *digest = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *address = NULL;
  g_autofree char *params = NULL;
  const char *values[3];
  char *base;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (target_uri != NULL, NULL);
  g_return_val_if_fail (public_key != NULL, NULL);

  ensure_sodium ();

  digest = trb_content_digest_sha256 (body, body_len);
  nonce = make_nonce ();
  address = trb_address_from_public_key (public_key);
  params = g_strdup_printf ("(\"@method\" \"@target-uri\" \"content-digest\");created=%"
                            G_GINT64_FORMAT ";nonce=\"%s\";keyid=\"%s\";alg=\"ed25519\"",
                            created, nonce, address);
  values[0] = method;
  values[1] = target_uri;
  values[2] = digest;
  base = trb_http_signature_base (required_components, values, 3, params);

  *content_digest = g_steal_pointer (&digest);
  *signature_input = g_strdup_printf (TRB_HTTP_SIGNATURE_LABEL "=%s", params);
  return base;
}

/**
 * trb_http_signature_header:
 * @signature: 64 bytes of Ed25519 signature over the signature base
 *
 * Returns: (transfer full): the Signature header value
 */
char *
trb_http_signature_header (const guint8 *signature)
{
  g_autofree char *sig_b64 = g_base64_encode (signature, crypto_sign_BYTES);

  return g_strdup_printf (TRB_HTTP_SIGNATURE_LABEL "=:%s:", sig_b64);
}

/**
 * trb_http_signature_sign:
 * @method: the request method, upper case
 * @target_uri: the absolute request URI
 * @body: (nullable): the body
 * @body_len: its length
 * @secret_key: the 64-byte libsodium Ed25519 secret key (seed and public key)
 * @created: the Unix time to put in `created`
 * @content_digest: (out): the Content-Digest header value
 * @signature_input: (out): the Signature-Input header value
 * @signature: (out): the Signature header value
 *
 * Signs a request as docs/protocol.md section 3 describes, with a fresh random nonce.
 *
 * Returns: %TRUE
 */
gboolean
trb_http_signature_sign (const char    *method,
                         const char    *target_uri,
                         const guint8  *body,
                         gsize          body_len,
                         const guint8  *secret_key,
                         gint64         created,
                         char         **content_digest,
                         char         **signature_input,
                         char         **signature)
{
  g_autofree char *base = NULL;
  guint8 sig[crypto_sign_BYTES];

  g_return_val_if_fail (secret_key != NULL, FALSE);

  base = trb_http_signature_prepare (method, target_uri, body, body_len, secret_key + 32, created,
                                     content_digest, signature_input);
  crypto_sign_detached (sig, NULL, (const guint8 *)base, strlen (base), secret_key);
  *signature = trb_http_signature_header (sig);
  return TRUE;
}

/* Finds the dictionary member @label in a structured-field dictionary and returns a pointer to its
 * value; members are separated by commas that are not inside quotes or parentheses. */
static const char *
find_member (const char *dict,
             const char *label)
{
  gsize label_len = strlen (label);
  const char *p = dict;

  while (*p != '\0')
    {
      gboolean quoted = FALSE;
      int depth = 0;

      while (*p == ' ' || *p == '\t')
        p++;
      if (strncmp (p, label, label_len) == 0 && p[label_len] == '=')
        return p + label_len + 1;

      for (; *p != '\0'; p++)
        {
          if (quoted)
            {
              if (*p == '\\' && p[1] != '\0')
                p++;
              else if (*p == '"')
                quoted = FALSE;
            }
          else if (*p == '"')
            quoted = TRUE;
          else if (*p == '(')
            depth++;
          else if (*p == ')')
            depth--;
          else if (*p == ',' && depth == 0)
            {
              p++;
              break;
            }
        }
    }
  return NULL;
}

/* Parses `("a" "b");k=v;k2="s"` up to the end of the member. */
static gboolean
parse_signature_params (const char  *value,
                        GPtrArray   *components,
                        GHashTable  *params,
                        char       **raw)
{
  const char *p = value;
  const char *start = value;

  if (*p != '(')
    return FALSE;
  p++;
  for (;;)
    {
      const char *end;

      while (*p == ' ')
        p++;
      if (*p == ')')
        {
          p++;
          break;
        }
      if (*p != '"')
        return FALSE;
      end = strchr (p + 1, '"');
      if (end == NULL || end - p > 64)
        return FALSE;
      g_ptr_array_add (components, g_strndup (p + 1, end - p - 1));
      if (components->len > 16)
        return FALSE;
      p = end + 1;
    }

  while (*p == ';')
    {
      const char *key = ++p;
      const char *eq = p;
      char *val;

      while (g_ascii_islower (*eq) || g_ascii_isdigit (*eq) || *eq == '-' || *eq == '_')
        eq++;
      if (*eq != '=' || eq == key)
        return FALSE;
      p = eq + 1;
      if (*p == '"')
        {
          const char *end = strchr (p + 1, '"');

          if (end == NULL)
            return FALSE;
          val = g_strndup (p + 1, end - p - 1);
          p = end + 1;
        }
      else
        {
          const char *end = p;

          while (g_ascii_isdigit (*end) || *end == '-')
            end++;
          if (end == p)
            return FALSE;
          val = g_strndup (p, end - p);
          p = end;
        }
      {
        char *name = g_strndup (key, eq - key);

        if (g_hash_table_contains (params, name))
          {
            g_free (name);
            g_free (val);
            return FALSE;
          }
        g_hash_table_insert (params, name, val);
      }
    }

  if (*p != '\0' && *p != ',' && *p != ' ')
    return FALSE;

  *raw = g_strndup (start, p - start);
  return TRUE;
}

static gboolean
set_bad (GError     **error,
         const char  *message)
{
  g_set_error_literal (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE,
                       message);
  return FALSE;
}

/* The signature must cover exactly the required components, in their order. */
static gboolean
covers_required_components (GPtrArray *components)
{
  if (components->len != G_N_ELEMENTS (required_components))
    return FALSE;
  for (guint i = 0; i < components->len; i++)
    if (!g_str_equal (g_ptr_array_index (components, i), required_components[i]))
      return FALSE;
  return TRUE;
}

/* Checks the signature's parameters: key, algorithm, nonce and a creation time within the
 * allowed clock skew of @now; fills @public_key from the key's address. */
static gboolean
check_signature_params (GHashTable  *params,
                        gint64       now,
                        guint8       public_key[32],
                        GError     **error)
{
  const char *keyid = g_hash_table_lookup (params, "keyid");
  const char *created_str = g_hash_table_lookup (params, "created");
  const char *alg = g_hash_table_lookup (params, "alg");
  const char *nonce_str = g_hash_table_lookup (params, "nonce");
  const char *end;
  gint64 created;

  if (keyid == NULL || created_str == NULL || nonce_str == NULL)
    return set_bad (error, _("The request signature lacks its key, time or nonce."));
  /* alg is required: a verifier that guessed the algorithm from the key could be led to
   * another one (RFC 9421, section 7.3.6). */
  if (alg == NULL || !g_str_equal (alg, "ed25519"))
    return set_bad (error, _("The request is signed with an unsupported algorithm."));
  if (!nonce_is_valid (nonce_str))
    return set_bad (error, _("The request signature has an unusable nonce."));
  if (!trb_address_to_public_key (keyid, public_key))
    return set_bad (error, _("The request is signed with an unknown kind of key."));

  created = g_ascii_strtoll (created_str, (char **)&end, 10);
  if (*end != '\0')
    return set_bad (error, _("The request signature has an unreadable time."));
  if (created > now + TRB_PROTOCOL_SIGNATURE_SKEW || created < now - TRB_PROTOCOL_SIGNATURE_SKEW)
    {
      g_set_error_literal (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_EXPIRED,
                           _("The request was signed too long ago or with a wrong clock. Check "
                             "that this computer’s clock is right."));
      return FALSE;
    }
  return TRUE;
}

/* The Ed25519 signature in our member of the Signature header (a byte sequence, :base64:), or
 * %NULL when it is missing or is not one. */
static guint8 *
decode_signature (const char *signature)
{
  g_autofree char *b64 = NULL;
  g_autofree guint8 *sig = NULL;
  const char *sig_value;
  const char *close;
  gsize sig_len = 0;

  sig_value = find_member (signature, TRB_HTTP_SIGNATURE_LABEL);
  if (sig_value == NULL || sig_value[0] != ':')
    return NULL;
  close = strchr (sig_value + 1, ':');
  if (close == NULL)
    return NULL;
  b64 = g_strndup (sig_value + 1, close - sig_value - 1);
  sig = g_base64_decode (b64, &sig_len);
  if (sig_len != crypto_sign_BYTES)
    return NULL;
  return g_steal_pointer (&sig);
}

/**
 * trb_http_signature_verify:
 * @method: the request method
 * @target_uri: the absolute URI the request was sent to
 * @body: (nullable): the body received
 * @body_len: its length
 * @content_digest: (nullable): the Content-Digest header
 * @signature_input: (nullable): the Signature-Input header
 * @signature: (nullable): the Signature header
 * @now: the verifier's Unix time
 * @address: (out) (optional): the signer's address
 * @nonce: (out) (optional): the signature's nonce, for the caller's replay check
 * @error: return location for a #TrbHttpSignatureError
 *
 * Checks a request signed as docs/protocol.md section 3 requires.
 *
 * Returns: %TRUE if the signature is valid
 */
gboolean
trb_http_signature_verify (const char    *method,
                           const char    *target_uri,
                           const guint8  *body,
                           gsize          body_len,
                           const char    *content_digest,
                           const char    *signature_input,
                           const char    *signature,
                           gint64         now,
                           char         **address,
                           char         **nonce,
                           GError       **error)
{
  g_autoptr(GPtrArray) components = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *raw_params = NULL;
  g_autofree char *expected_digest = NULL;
  g_autofree char *base = NULL;
  g_autofree guint8 *sig = NULL;
  const char *member;
  const char *values[3];
  guint8 public_key[32];

  g_return_val_if_fail (method != NULL, FALSE);
  g_return_val_if_fail (target_uri != NULL, FALSE);

  ensure_sodium ();

  if (signature_input == NULL || signature == NULL)
    {
      g_set_error_literal (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_UNSIGNED,
                           _("The request is not signed."));
      return FALSE;
    }
  if (strlen (signature_input) > 1024 || strlen (signature) > 1024)
    return set_bad (error, _("The request signature is too long."));

  member = find_member (signature_input, TRB_HTTP_SIGNATURE_LABEL);
  if (member == NULL)
    {
      g_set_error_literal (error, TRB_HTTP_SIGNATURE_ERROR, TRB_HTTP_SIGNATURE_ERROR_UNSIGNED,
                           _("The request has no Tributary signature."));
      return FALSE;
    }
  if (!parse_signature_params (member, components, params, &raw_params))
    return set_bad (error, _("The request signature could not be read."));
  if (!covers_required_components (components))
    return set_bad (error, _("The request signature does not cover the required parts."));
  if (!check_signature_params (params, now, public_key, error))
    return FALSE;

  expected_digest = trb_content_digest_sha256 (body, body_len);
  if (content_digest == NULL || !g_str_equal (content_digest, expected_digest))
    return set_bad (error, _("The request body does not match its digest."));

  sig = decode_signature (signature);
  if (sig == NULL)
    return set_bad (error, _("The request signature could not be read."));

  values[0] = method;
  values[1] = target_uri;
  values[2] = content_digest;
  base = trb_http_signature_base (required_components, values, 3, raw_params);
  if (crypto_sign_verify_detached (sig, (const guint8 *)base, strlen (base), public_key) != 0)
    return set_bad (error, _("The request signature is not valid."));

  if (address != NULL)
    *address = g_strdup (g_hash_table_lookup (params, "keyid"));
  if (nonce != NULL)
    *nonce = g_strdup (g_hash_table_lookup (params, "nonce"));
  return TRUE;
}

/* trb-http-signature.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RFC 9421 HTTP Message Signatures with ed25519, RFC 9530 Content-Digest, and the base58
 * addresses that name participants (see docs/protocol.md, section 3).
 */

#pragma once

#include <glib.h>

#include "net/trb-protocol.h"

G_BEGIN_DECLS

#define TRB_HTTP_SIGNATURE_ERROR (trb_http_signature_error_quark ())

typedef enum
{
  TRB_HTTP_SIGNATURE_ERROR_UNSIGNED,
  TRB_HTTP_SIGNATURE_ERROR_BAD_SIGNATURE,
  TRB_HTTP_SIGNATURE_ERROR_EXPIRED,
} TrbHttpSignatureError;


/* The signature label Tributary uses in Signature-Input and Signature. */
#define TRB_HTTP_SIGNATURE_LABEL "trb"

#define TRB_ADDRESS_MAX_LEN 44

GQuark    trb_http_signature_error_quark (void);


char     *trb_address_from_public_key    (const guint8 *public_key);
gboolean  trb_address_to_public_key      (const char   *address,
                                          guint8       *public_key);

char     *trb_content_digest_sha256      (const guint8 *body,
                                          gsize         len);

char     *trb_http_signature_base        (const char * const *names,
                                          const char * const *values,
                                          guint               n_components,
                                          const char         *signature_params);

gboolean  trb_http_signature_sign        (const char    *method,
                                          const char    *target_uri,
                                          const guint8  *body,
                                          gsize          body_len,
                                          const guint8  *secret_key,
                                          gint64         created,
                                          char         **content_digest,
                                          char         **signature_input,
                                          char         **signature);

char     *trb_http_signature_prepare     (const char    *method,
                                          const char    *target_uri,
                                          const guint8  *body,
                                          gsize          body_len,
                                          const guint8  *public_key,
                                          gint64         created,
                                          char         **content_digest,
                                          char         **signature_input);
char     *trb_http_signature_header      (const guint8  *signature);

gboolean  trb_http_signature_verify      (const char    *method,
                                          const char    *target_uri,
                                          const guint8  *body,
                                          gsize          body_len,
                                          const char    *content_digest,
                                          const char    *signature_input,
                                          const char    *signature,
                                          gint64         now,
                                          char         **address,
                                          char         **nonce,
                                          GError       **error);

G_END_DECLS

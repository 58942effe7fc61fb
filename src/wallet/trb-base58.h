/* trb-base58.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest input either function accepts: far more than any key, address or signature. */
#define TRB_BASE58_MAX_BYTES 256

char     *trb_base58_encode (const guint8  *data,
                             gsize          len);
gboolean  trb_base58_decode (const char    *text,
                             guint8       **data,
                             gsize         *len,
                             GError       **error);

G_END_DECLS

/* trb-quantize.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Compact encodings of updates for upload: IEEE half precision, and symmetric 8-bit integers
 * with one scale per tensor.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void  trb_quantize_f16    (const float  *src,
                           guint16      *dst,
                           gsize         n);
void  trb_dequantize_f16  (const guint16 *src,
                           float         *dst,
                           gsize          n);
float trb_quantize_int8   (const float  *src,
                           gint8        *dst,
                           gsize         n);
void  trb_dequantize_int8 (const gint8  *src,
                           float         scale,
                           float        *dst,
                           gsize         n);

G_END_DECLS

/* trb-qr-code.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TRB_QR_MAX_VERSION 10
#define TRB_QR_MASK_AUTO   (-1)

/**
 * TrbQrCode:
 *
 * A QR code (ISO/IEC 18004) in byte mode with error correction level M, versions 1 to 10: enough
 * for an address or a short link. Modules are read with trb_qr_code_get_module().
 */
typedef struct _TrbQrCode TrbQrCode;

TrbQrCode *trb_qr_code_encode           (const guint8  *data,
                                         gsize          len,
                                         int            mask,
                                         GError       **error);
TrbQrCode *trb_qr_code_encode_text      (const char    *text,
                                         GError       **error);
guint      trb_qr_code_get_size         (const TrbQrCode *self);
guint      trb_qr_code_get_version      (const TrbQrCode *self);
guint      trb_qr_code_get_mask         (const TrbQrCode *self);
gboolean   trb_qr_code_get_module       (const TrbQrCode *self,
                                         guint          x,
                                         guint          y);
void       trb_qr_code_free             (TrbQrCode     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbQrCode, trb_qr_code_free)

G_END_DECLS

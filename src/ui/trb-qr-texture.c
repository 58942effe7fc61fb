/* trb-qr-texture.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A QR code as a texture for a GtkPicture: the wallet's address in the Wallet area, a hosted
 * network's invite link in Preferences. Dark on white whatever the style, with the quiet zone
 * readers need around it.
 */

#define G_LOG_DOMAIN "trb-qr-texture"

#include "config.h"

#include "trb-qr-texture.h"

#include <string.h>

#include "wallet/trb-qr-code.h"

#define QR_MODULE_PIXELS 5
#define QR_QUIET_ZONE    4

/**
 * trb_qr_texture_new:
 * @text: what the code holds
 *
 * Returns: (transfer full) (nullable): the code, or %NULL if @text is too long for one
 */
GdkTexture *
trb_qr_texture_new (const char *text)
{
  g_autoptr(TrbQrCode) code = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint modules, pixels, stride;
  guint8 *data;

  g_return_val_if_fail (text != NULL, NULL);

  code = trb_qr_code_encode_text (text, NULL);
  if (code == NULL)
    return NULL;

  modules = trb_qr_code_get_size (code) + 2 * QR_QUIET_ZONE;
  pixels = modules * QR_MODULE_PIXELS;
  stride = pixels * 3;
  data = g_malloc (stride * pixels);
  memset (data, 0xff, stride * pixels);
  for (guint y = 0; y < pixels; y++)
    for (guint x = 0; x < pixels; x++)
      {
        int mx = (int)(x / QR_MODULE_PIXELS) - QR_QUIET_ZONE;
        int my = (int)(y / QR_MODULE_PIXELS) - QR_QUIET_ZONE;

        if (mx >= 0 && my >= 0 && trb_qr_code_get_module (code, mx, my))
          memset (data + y * stride + x * 3, 0x00, 3);
      }
  bytes = g_bytes_new_take (data, stride * pixels);
  return gdk_memory_texture_new (pixels, pixels, GDK_MEMORY_R8G8B8, bytes, stride);
}

/* trb-qr-texture.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GdkTexture *trb_qr_texture_new (const char *text);

G_END_DECLS

/* trb-i18n.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void  trb_i18n_init         (void);
char *trb_format_count      (gint64 count);
char *trb_format_decimal    (double value,
                             int    decimals);

G_END_DECLS

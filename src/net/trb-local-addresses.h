/* trb-local-addresses.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char **trb_local_addresses_list (void);
char  *trb_local_addresses_url  (const char *address,
                                 guint       port);

G_END_DECLS

/* trb-invite.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Invite links: `tributary://join?url=<the network's address, escaped>`, which the app is
 * registered to open.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TRB_INVITE_MAX_LENGTH 2048

char *trb_invite_make  (const char  *url);
char *trb_invite_parse (const char  *text,
                        GError     **error);

G_END_DECLS

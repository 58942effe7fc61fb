/* trb-error-text.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Errors told in plain words: what happened and what to do, with the library's own message kept
 * apart as details.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *trb_error_describe (const GError  *error,
                          char         **details);

G_END_DECLS

/* trb-test-locale.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A German locale for tests that check what people see or what crosses a boundary under a
 * decimal-comma LC_NUMERIC.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void trb_test_locale_use_german (void);
void trb_test_locale_cleanup    (void);

G_END_DECLS

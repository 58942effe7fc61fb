/* vulkan-drivers.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void keep_vulkan_drivers (void);

G_END_DECLS

/* vulkan-drivers.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "compute/trb-vulkan-context.h"

G_BEGIN_DECLS

void keep_vulkan_drivers  (void);
int  choose_test_device   (GPtrArray        *devices);
void check_subgroup_size  (TrbVulkanContext *context);

G_END_DECLS

/* trb-compute-devices.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "compute/trb-vulkan-context.h"

G_BEGIN_DECLS

/**
 * TrbComputeDevice:
 * @id: what the `compute-device` setting and trb_executor_new_for_task() call it: "cpu" or
 *   "vulkan:N"
 * @name: the device's own name, such as "llvmpipe (LLVM 15.0.6, 256 bits)"; for the processor
 *   its model name, or %NULL when unknown
 * @is_processor: whether this is the CPU executor
 * @vulkan_type: for a Vulkan device, its kind
 * @memory_bytes: for a Vulkan device, its largest device-local heap
 * @n_cores: for the processor, the cores training can use
 * @usable: whether training can run on it
 * @preferred: whether the automatic choice takes it when there is a graphics card with a real
 *   driver (only such a card is ever preferred without measuring)
 *
 * One device training can run on, as Preferences and `tributary-cli devices` list them.
 */
typedef struct
{
  char                *id;
  char                *name;
  gboolean             is_processor;
  TrbVulkanDeviceType  vulkan_type;
  guint64              memory_bytes;
  guint                n_cores;
  gboolean             usable;
  gboolean             preferred;
} TrbComputeDevice;

void       trb_compute_device_free      (TrbComputeDevice  *device);
GPtrArray *trb_compute_devices_list     (GError           **vulkan_error);
char      *trb_compute_devices_dup_processor_name (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbComputeDevice, trb_compute_device_free)

G_END_DECLS

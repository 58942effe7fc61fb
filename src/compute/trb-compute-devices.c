/* trb-compute-devices.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The devices training can run on: the processor (the CPU executor) and each Vulkan device.
 * Preferences and `tributary-cli devices` list them from here, so that both say the same.
 */

#define G_LOG_DOMAIN "trb-compute-devices"

#include "config.h"

#include "trb-compute-devices.h"

#include <string.h>

/* /proc/cpuinfo is a few kilobytes a core; the model name is in the first core's lines. */
#define MAX_CPUINFO_BYTES (64 * 1024)
#define MAX_PROCESSOR_NAME 200

/**
 * trb_compute_device_free:
 * @device: (transfer full): a device
 */
void
trb_compute_device_free (TrbComputeDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->id);
  g_free (device->name);
  g_free (device);
}

/**
 * trb_compute_devices_dup_processor_name:
 *
 * Returns: (transfer full) (nullable): the processor's model name as the kernel reports it,
 *   such as "AMD Ryzen 7 5800X 8-Core Processor", or %NULL when it does not say
 */
char *
trb_compute_devices_dup_processor_name (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/proc/cpuinfo");
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gsize n_read = 0;

  if (in == NULL)
    return NULL;
  text = g_malloc0 (MAX_CPUINFO_BYTES + 1);
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), text, MAX_CPUINFO_BYTES, &n_read, NULL,
                                NULL))
    return NULL;
  text[n_read] = '\0';
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;

      if (colon == NULL)
        continue;
      key = g_strstrip (g_strndup (lines[i], colon - lines[i]));
      if (g_strcmp0 (key, "model name") != 0)
        continue;
      value = g_strstrip (g_strdup (colon + 1));
      if (*value == '\0' || !g_utf8_validate (value, -1, NULL))
        return NULL;
      if (strlen (value) > MAX_PROCESSOR_NAME)
        value[MAX_PROCESSOR_NAME] = '\0';
      return g_utf8_make_valid (value, -1);
    }
  return NULL;
}

/**
 * trb_compute_devices_list:
 * @vulkan_error: (nullable): where to say why no Vulkan device could be listed
 *
 * Lists the devices training can run on: the processor first, which is always there, then
 * each Vulkan device in the driver's order. It creates a Vulkan instance: call it from a worker
 * thread in the app.
 *
 * Returns: (transfer container) (element-type TrbComputeDevice): the devices
 */
GPtrArray *
trb_compute_devices_list (GError **vulkan_error)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_compute_device_free);
  g_autoptr(GPtrArray) vulkan = NULL;
  TrbComputeDevice *cpu = g_new0 (TrbComputeDevice, 1);
  int preferred;

  cpu->id = g_strdup ("cpu");
  cpu->name = trb_compute_devices_dup_processor_name ();
  cpu->is_processor = TRUE;
  cpu->vulkan_type = TRB_VULKAN_DEVICE_CPU;
  cpu->n_cores = g_get_num_processors ();
  cpu->usable = TRUE;
  g_ptr_array_add (list, cpu);

  vulkan = trb_vulkan_enumerate_devices (vulkan_error);
  if (vulkan == NULL)
    return list;
  preferred = trb_vulkan_choose_device (vulkan, FALSE);
  for (guint i = 0; i < vulkan->len; i++)
    {
      TrbVulkanDeviceInfo *info = g_ptr_array_index (vulkan, i);
      TrbComputeDevice *d = g_new0 (TrbComputeDevice, 1);

      d->id = g_strdup_printf ("vulkan:%d", info->index);
      d->name = g_strdup (info->name);
      d->vulkan_type = info->type;
      d->memory_bytes = info->memory_bytes;
      d->usable = info->usable;
      d->preferred = info->index == preferred;
      g_ptr_array_add (list, d);
    }
  return list;
}

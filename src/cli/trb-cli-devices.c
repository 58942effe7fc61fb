/* trb-cli-devices.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tributary-cli devices`: the compute devices training can use, and which one the automatic
 * choice prefers.
 */

#define G_LOG_DOMAIN "trb-cli"

#include "config.h"

#include "trb-cli-devices.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "cli/trb-cli.h"
#include "compute/trb-vulkan-context.h"

int
trb_cli_devices (int    argc,
                 char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  int preferred;

  g_option_context_set_summary (context, _("List the devices that can train models."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 2;
    }

  /* Translators: the processor is always available for training. */
  printf ("cpu          %s\n", _("Processor"));
  devices = trb_vulkan_enumerate_devices (&error);
  if (devices == NULL)
    {
      printf ("%s\n", error->message);
      return 0;
    }
  preferred = trb_vulkan_choose_device (devices, FALSE);
  for (guint i = 0; i < devices->len; i++)
    {
      TrbVulkanDeviceInfo *d = g_ptr_array_index (devices, i);
      g_autofree char *id = g_strdup_printf ("vulkan:%d", d->index);
      g_autofree char *memory = g_format_size (d->memory_bytes);

      printf ("%-12s %s — %s, %s%s%s\n", id, d->name, trb_vulkan_device_type_to_string (d->type),
              memory, d->usable ? "" : _(", cannot be used"),
              d->index == preferred ? _(", preferred") : "");
    }
  return 0;
}

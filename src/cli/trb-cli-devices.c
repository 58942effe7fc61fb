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
#include "compute/trb-compute-devices.h"

int
trb_cli_devices (int    argc,
                 char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, _("List the devices that can train models."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 2;
    }

  devices = trb_compute_devices_list (&error);
  for (guint i = 0; i < devices->len; i++)
    {
      TrbComputeDevice *d = g_ptr_array_index (devices, i);
      g_autofree char *memory = NULL;

      if (d->is_processor)
        {
          /* Translators: the processor is always available for training. */
          printf ("%-12s %s%s%s\n", d->id, _("Processor"), d->name != NULL ? " — " : "",
                  d->name != NULL ? d->name : "");
          continue;
        }
      memory = g_format_size (d->memory_bytes);
      printf ("%-12s %s — %s, %s%s%s%s%s\n", d->id, d->name,
              trb_vulkan_device_type_to_string (d->vulkan_type), memory,
              /* Translators: said of a compute device. */
              d->usable ? "" : ", ", d->usable ? "" : _("cannot be used"),
              d->preferred ? ", " : "", d->preferred ? _("preferred") : "");
    }
  if (error != NULL)
    printf ("%s\n", error->message);
  return 0;
}

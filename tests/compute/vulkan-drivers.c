/* vulkan-drivers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "vulkan-drivers.h"

#include <stdlib.h>

/* Isolated test directories replace XDG_DATA_DIRS, where the Vulkan loader looks for drivers:
 * name the installed drivers' manifests explicitly, all of them, before that happens. */
void
keep_vulkan_drivers (void)
{
  const char *dirs = g_getenv ("XDG_DATA_DIRS");
  g_auto(GStrv) parts = g_strsplit (dirs && *dirs ? dirs : "/usr/local/share:/usr/share", ":", -1);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (g_getenv ("VK_ICD_FILENAMES") || g_getenv ("VK_DRIVER_FILES"))
    return;
  for (guint i = 0; parts[i]; i++)
    {
      g_autofree char *icd = g_build_filename (parts[i], "vulkan", "icd.d", NULL);
      g_autoptr(GDir) dir = g_dir_open (icd, 0, NULL);
      const char *name;

      while (dir && (name = g_dir_read_name (dir)))
        if (g_str_has_suffix (name, ".json"))
          g_ptr_array_add (files, g_build_filename (icd, name, NULL));
    }
  g_ptr_array_add (files, NULL);
  if (files->len > 1)
    {
      g_autofree char *list = g_strjoinv (":", (char **) files->pdata);
      g_setenv ("VK_ICD_FILENAMES", list, TRUE);
    }
}

/* The device the tests run on: a GPU when there is one, else lavapipe. With
 * TRB_TEST_SUBGROUP_SIZE set (the second run of the Vulkan tests asks lavapipe for 128-bit
 * vectors, subgroups of 4) always lavapipe, since only it can be asked; on a computer without
 * lavapipe that run is skipped (exit status 77). */
int
choose_test_device (GPtrArray *devices)
{
  if (g_getenv ("TRB_TEST_SUBGROUP_SIZE") == NULL)
    return trb_vulkan_choose_device (devices, TRUE);
  for (guint i = 0; i < devices->len; i++)
    {
      TrbVulkanDeviceInfo *d = g_ptr_array_index (devices, i);

      if (d->usable && d->type == TRB_VULKAN_DEVICE_CPU && g_str_has_prefix (d->name, "llvmpipe"))
        return d->index;
    }
  g_printerr ("No lavapipe device: this run of the tests needs one.\n");
  exit (77);
}

/* Says which subgroup size the kernels run with; with TRB_TEST_SUBGROUP_SIZE set the device
 * must have that one, or the run would prove nothing. */
void
check_subgroup_size (TrbVulkanContext *context)
{
  const char *want = g_getenv ("TRB_TEST_SUBGROUP_SIZE");
  guint32 size = trb_vulkan_context_get_subgroup_size (context);

  g_test_message ("device: %s, subgroups of %u", trb_vulkan_context_get_info (context)->name,
                  size);
  if (want != NULL)
    g_assert_cmpuint (size, ==, g_ascii_strtoull (want, NULL, 10));
}

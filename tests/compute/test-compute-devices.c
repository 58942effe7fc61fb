/* test-compute-devices.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The devices Preferences and `tributary-cli devices` list, and the automatic choice's reason.
 * Lavapipe is a real Vulkan device: these run on it where there is no GPU.
 */

#include "config.h"

#include "compute/trb-compute-devices.h"
#include "compute/trb-executor-choice.h"
#include "compute/trb-model-spec.h"

#include "vulkan-drivers.h"

static gboolean
has_real_gpu (GPtrArray *vulkan)
{
  return vulkan != NULL && trb_vulkan_choose_device (vulkan, FALSE) >= 0;
}

static void
test_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = trb_compute_devices_list (&error);
  g_autoptr(GPtrArray) vulkan = trb_vulkan_enumerate_devices (NULL);
  const TrbComputeDevice *cpu;

  g_assert_no_error (error);
  g_assert_nonnull (vulkan);
  g_assert_cmpuint (devices->len, ==, vulkan->len + 1);

  /* The processor first, always usable, with its cores. */
  cpu = g_ptr_array_index (devices, 0);
  g_assert_cmpstr (cpu->id, ==, "cpu");
  g_assert_true (cpu->is_processor);
  g_assert_true (cpu->usable);
  g_assert_cmpuint (cpu->n_cores, ==, g_get_num_processors ());
  g_test_message ("processor: %s, %u cores", cpu->name ? cpu->name : "(no name)", cpu->n_cores);

  /* Then each Vulkan device, as the setting names it, with its type and memory. */
  for (guint i = 1; i < devices->len; i++)
    {
      const TrbComputeDevice *d = g_ptr_array_index (devices, i);
      const TrbVulkanDeviceInfo *info = g_ptr_array_index (vulkan, i - 1);
      g_autofree char *id = g_strdup_printf ("vulkan:%d", info->index);

      g_test_message ("%s: %s, %s", d->id, d->name,
                      trb_vulkan_device_type_to_string (d->vulkan_type));
      g_assert_false (d->is_processor);
      g_assert_cmpstr (d->id, ==, id);
      g_assert_cmpstr (d->name, ==, info->name);
      g_assert_cmpint (d->vulkan_type, ==, info->type);
      g_assert_cmpuint (d->memory_bytes, ==, info->memory_bytes);
      g_assert_cmpint (d->usable, ==, info->usable);
      g_assert_cmpint (d->preferred, ==, info->index == trb_vulkan_choose_device (vulkan, FALSE));
      if (d->usable)
        g_assert_cmpuint (d->memory_bytes, >, 0);
    }
}

static void
test_explain (void)
{
  g_autoptr(GPtrArray) vulkan = trb_vulkan_enumerate_devices (NULL);
  g_autoptr(TrbModelSpec) spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1,
                                                               NULL);
  g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "choices.ini", NULL);
  g_autofree char *without_model = NULL;
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;
  TrbExecutorChoiceReason reason, reason_again;

  g_assert_nonnull (spec);
  without_model = trb_executor_choice_explain (NULL, 32, cache, &reason);
  if (has_real_gpu (vulkan))
    {
      g_assert_cmpint (reason, ==, TRB_EXECUTOR_CHOICE_GRAPHICS_CARD);
      g_assert_true (g_str_has_prefix (without_model, "vulkan:"));
      return;
    }
  /* Only lavapipe: which of it and the processor is faster depends on the model. */
  g_assert_cmpint (reason, ==, TRB_EXECUTOR_CHOICE_NOT_MEASURED);
  g_assert_null (without_model);

  first = trb_executor_choice_explain (spec, 32, cache, &reason);
  g_test_message ("automatic choice for the 2NN: %s", first);
  if (reason == TRB_EXECUTOR_CHOICE_PROCESSOR_FASTER)
    g_assert_cmpstr (first, ==, "cpu");
  else
    {
      g_assert_cmpint (reason, ==, TRB_EXECUTOR_CHOICE_SOFTWARE_FASTER);
      g_assert_true (g_str_has_prefix (first, "vulkan:"));
    }
  /* Measured once and remembered: asking again gives the same answer. */
  g_assert_true (g_file_test (cache, G_FILE_TEST_EXISTS));
  again = trb_executor_choice_explain (spec, 32, cache, &reason_again);
  g_assert_cmpstr (again, ==, first);
  g_assert_cmpint (reason_again, ==, reason);
}

int
main (int    argc,
      char **argv)
{
  keep_vulkan_drivers ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/devices/list", test_list);
  g_test_add_func ("/devices/explain", test_explain);
  return g_test_run ();
}

/* trb-executor-choice.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-executor-choice"

#include "config.h"

#include "trb-executor-choice.h"

#include <glib/gi18n.h>
#include <string.h>

#include "compute/trb-cpu-executor.h"
#include "compute/trb-vulkan-context.h"
#include "compute/trb-vulkan-executor.h"

static TrbExecutor *
new_vulkan (int      index,
            GError **error)
{
  g_autoptr(TrbVulkanContext) ctx = trb_vulkan_context_new (index, error);

  return ctx ? trb_vulkan_executor_new (ctx) : NULL;
}

/* Seconds per step, from a few steps on synthetic data after one warm-up step. */
static double
time_steps (TrbExecutor  *executor,
            TrbModelSpec *spec,
            int           batch)
{
  g_autoptr(TrbWeights) w = trb_model_spec_init_weights (spec, 1);
  gsize fs = trb_model_spec_get_input_size (spec);
  g_autofree float *x = g_new (float, (gsize) batch * fs);
  g_autofree gint32 *labels = g_new0 (gint32, batch);
  TrbBatch b = { batch, x, labels };
  TrbStepParams sp;
  TrbStepResult r;
  gint64 start;

  for (gsize i = 0; i < (gsize) batch * fs; i++)
    x[i] = (float) ((i * 37) % 101) / 101.0f;
  trb_step_params_init_sgd (&sp, 1e-4, 0.9);
  if (!trb_executor_set_weights (executor, w, NULL, NULL) ||
      !trb_executor_train_step (executor, &b, &sp, &r, NULL))
    return G_MAXDOUBLE;
  start = g_get_monotonic_time ();
  for (int i = 0; i < 3; i++)
    if (!trb_executor_train_step (executor, &b, &sp, &r, NULL))
      return G_MAXDOUBLE;
  return (g_get_monotonic_time () - start) / 3e6;
}

/* The executor @device names ("cpu" or "vulkan:N"), prepared. */
static TrbExecutor *
new_for_device (TrbModelSpec  *spec,
                int            batch_size,
                const char    *device,
                GError       **error)
{
  g_autoptr(TrbExecutor) executor = NULL;
  guint64 n;

  if (g_strcmp0 (device, "cpu") == 0)
    executor = trb_cpu_executor_new ();
  else if (g_str_has_prefix (device, "vulkan:") &&
           g_ascii_string_to_unsigned (device + 7, 10, 0, 255, &n, NULL))
    {
      if ((executor = new_vulkan ((int) n, error)) == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_NO_DEVICE,
                   _("“%s” does not name a compute device."), device);
      return NULL;
    }
  return trb_executor_prepare (executor, spec, batch_size, error) ?
         g_steal_pointer (&executor) : NULL;
}

/* Between the prepared CPU executor @cpu and the software Vulkan device @index of @devices:
 * the one that trains this model and batch faster, measured once and remembered in the key
 * file at @cache_path. */
static TrbExecutor *
choose_measured (TrbModelSpec  *spec,
                 int            batch_size,
                 TrbExecutor   *cpu_executor,
                 GPtrArray     *devices,
                 int            index,
                 const char    *cache_path)
{
  g_autoptr(TrbExecutor) cpu = cpu_executor;
  g_autoptr(TrbExecutor) vk = NULL;
  g_autoptr(GKeyFile) cache = g_key_file_new ();
  g_autofree char *key = NULL;
  g_autofree char *remembered = NULL;

  key = g_strdup_printf ("%s-%d-%s", trb_model_spec_get_digest (spec), batch_size,
                         ((TrbVulkanDeviceInfo *) g_ptr_array_index (devices, index))->name);
  if (cache_path != NULL && g_key_file_load_from_file (cache, cache_path, 0, NULL))
    remembered = g_key_file_get_string (cache, "choices", key, NULL);
  if (g_strcmp0 (remembered, "cpu") == 0)
    return g_steal_pointer (&cpu);
  vk = new_vulkan (index, NULL);
  if (vk == NULL || !trb_executor_prepare (vk, spec, batch_size, NULL))
    return g_steal_pointer (&cpu);
  if (g_strcmp0 (remembered, "vulkan") != 0)
    {
      double t_cpu = time_steps (cpu, spec, batch_size);
      double t_vk = time_steps (vk, spec, batch_size);

      g_debug ("CPU %.3f ms, software Vulkan %.3f ms a step", t_cpu * 1e3, t_vk * 1e3);
      remembered = g_strdup (t_vk < t_cpu ? "vulkan" : "cpu");
      if (cache_path != NULL)
        {
          g_autofree char *dir = g_path_get_dirname (cache_path);
          g_autoptr(GError) local_error = NULL;

          g_key_file_set_string (cache, "choices", key, remembered);
          g_mkdir_with_parents (dir, 0700);
          if (!g_key_file_save_to_file (cache, cache_path, &local_error))
            g_debug ("Could not remember the executor choice: %s", local_error->message);
        }
      /* Measuring changed the weights and optimizer state: the caller sets its own. */
    }
  return g_strcmp0 (remembered, "vulkan") == 0 ? g_steal_pointer (&vk) : g_steal_pointer (&cpu);
}

TrbExecutor *
trb_executor_new_for_task (TrbModelSpec  *spec,
                           int            batch_size,
                           const char    *device,
                           const char    *cache_path,
                           GError       **error)
{
  g_autoptr(TrbExecutor) cpu = NULL;
  g_autoptr(TrbExecutor) vk = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  int index;

  g_return_val_if_fail (TRB_IS_MODEL_SPEC (spec), NULL);

  if (device != NULL && g_strcmp0 (device, "auto") != 0)
    return new_for_device (spec, batch_size, device, error);

  cpu = trb_cpu_executor_new ();
  if (!trb_executor_prepare (cpu, spec, batch_size, error))
    return NULL;
  devices = trb_vulkan_enumerate_devices (NULL);
  if (devices == NULL)
    return g_steal_pointer (&cpu);

  /* A GPU with a real driver, if the model runs there. */
  index = trb_vulkan_choose_device (devices, FALSE);
  if (index >= 0)
    {
      vk = new_vulkan (index, NULL);
      if (vk && trb_executor_prepare (vk, spec, batch_size, NULL))
        return g_steal_pointer (&vk);
      g_clear_object (&vk);
    }

  /* Only a software device: measure it against the CPU executor once per model and batch. */
  index = trb_vulkan_choose_device (devices, TRUE);
  if (index < 0)
    return g_steal_pointer (&cpu);
  return choose_measured (spec, batch_size, g_steal_pointer (&cpu), devices, index, cache_path);
}

/**
 * trb_executor_choice_dup_cache_path:
 *
 * Where the app and `tributary-cli` remember which executor was faster for a model and batch
 * size, so that the measurement is made once rather than for every round.
 *
 * Returns: (transfer full): a path in the user's cache folder
 */
char *
trb_executor_choice_dup_cache_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "tributary", "executor-choice.ini", NULL);
}

/**
 * trb_executor_choice_explain:
 * @spec: (nullable): the model to choose for, such as a joined network's; %NULL when none
 * @batch_size: its batch size
 * @cache_path: (nullable): the key file of remembered measurements
 * @reason: (out): why the automatic choice takes the device it takes
 *
 * Says which device the automatic choice takes for @spec, and why, by the same rules as
 * trb_executor_new_for_task() with "auto": it may measure the processor against a software
 * Vulkan device once (and remember it), so call it from a worker thread.
 *
 * Returns: (transfer full) (nullable): the device's id ("cpu", "vulkan:N"), or %NULL with
 *   %TRB_EXECUTOR_CHOICE_NOT_MEASURED
 */
char *
trb_executor_choice_explain (TrbModelSpec            *spec,
                             int                      batch_size,
                             const char              *cache_path,
                             TrbExecutorChoiceReason *reason)
{
  g_autoptr(GPtrArray) devices = trb_vulkan_enumerate_devices (NULL);
  g_autoptr(TrbExecutor) chosen = NULL;
  int index;

  g_return_val_if_fail (spec == NULL || TRB_IS_MODEL_SPEC (spec), NULL);
  g_return_val_if_fail (reason != NULL, NULL);

  index = devices != NULL ? trb_vulkan_choose_device (devices, FALSE) : -1;
  if (index >= 0)
    {
      *reason = TRB_EXECUTOR_CHOICE_GRAPHICS_CARD;
      return g_strdup_printf ("vulkan:%d", index);
    }
  index = devices != NULL ? trb_vulkan_choose_device (devices, TRUE) : -1;
  if (index < 0)
    {
      *reason = TRB_EXECUTOR_CHOICE_ONLY_PROCESSOR;
      return g_strdup ("cpu");
    }
  if (spec == NULL)
    {
      *reason = TRB_EXECUTOR_CHOICE_NOT_MEASURED;
      return NULL;
    }
  chosen = trb_executor_new_for_task (spec, batch_size, "auto", cache_path, NULL);
  if (chosen != NULL && g_strcmp0 (trb_executor_get_name (chosen), "vulkan") == 0)
    {
      *reason = TRB_EXECUTOR_CHOICE_SOFTWARE_FASTER;
      return g_strdup_printf ("vulkan:%d", index);
    }
  *reason = TRB_EXECUTOR_CHOICE_PROCESSOR_FASTER;
  return g_strdup ("cpu");
}

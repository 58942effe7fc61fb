/* trb-vulkan-executor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Training on a Vulkan device. Every tensor lives in a buffer sub-allocated from a few large
 * memory blocks; all parameters share one buffer (and so do their gradients and optimizer
 * state) so that the optimizer is one dispatch. A whole training step — forward, loss,
 * backward, optimizer — is recorded once into a command buffer and replayed for every batch;
 * what changes between steps (the batch, the learning rate and Adam's bias corrections) is
 * written into mapped buffers before the replay. Dense and convolution layers fuse their bias
 * and a following ReLU into the GEMM epilogue, the backward GEMM of a dense layer applies the
 * preceding ReLU's mask, and (on CPU devices) its weight-gradient GEMM applies the optimizer to
 * the layer's weights and bias, so a 2NN step is 9 dispatches.
 *
 * This file is the executor object: its GObject, the TrbExecutor interface, the public API,
 * preparing a model, and submitting recordings with the throttle that shares the device. The
 * buffers are made in trb-vulkan-memory.c, the steps recorded in trb-vulkan-record.c.
 */

#define G_LOG_DOMAIN "trb-vulkan-executor"

#include "config.h"

#include "trb-vulkan-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

static void executor_iface_init (TrbExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbVulkanExecutor, trb_vulkan_executor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_EXECUTOR, executor_iface_init))

void
trb_vk_release (TrbVulkanExecutor *self)
{
  VkDevice d;

  if (self->ctx == NULL)
    return;
  d = dev (self);
  if (!trb_vulkan_context_is_lost (self->ctx))
    vkDeviceWaitIdle (d);
  for (guint i = 0; i < N_RECORDINGS; i++)
    {
      trb_vk_print_profile (&self->rec[i]);
      g_clear_pointer (&self->rec[i].labels, g_ptr_array_unref);
      g_clear_pointer (&self->rec[i].profile_us, g_array_unref);
      if (self->rec[i].pool != VK_NULL_HANDLE)
        vkDestroyDescriptorPool (d, self->rec[i].pool, NULL);
      memset (&self->rec[i], 0, sizeof self->rec[i]);
    }
  if (self->queries != VK_NULL_HANDLE)
    vkDestroyQueryPool (d, self->queries, NULL);
  self->queries = VK_NULL_HANDLE;
  if (self->profile != VK_NULL_HANDLE)
    vkDestroyQueryPool (d, self->profile, NULL);
  self->profile = VK_NULL_HANDLE;
  if (self->cmd_pool != VK_NULL_HANDLE)
    vkDestroyCommandPool (d, self->cmd_pool, NULL);
  self->cmd_pool = VK_NULL_HANDLE;
  if (self->fence != VK_NULL_HANDLE)
    vkDestroyFence (d, self->fence, NULL);
  self->fence = VK_NULL_HANDLE;
  for (guint i = 0; self->bufs && i < self->bufs->len; i++)
    {
      Buf *b = g_ptr_array_index (self->bufs, i);
      for (guint v = 0; v < N_VIEW_KINDS; v++)
        if (b->views[v] != VK_NULL_HANDLE)
          vkDestroyBufferView (d, b->views[v], NULL);
      vkDestroyBuffer (d, b->buffer, NULL);
    }
  g_clear_pointer (&self->bufs, g_ptr_array_unref);
  for (guint i = 0; self->blocks && i < self->blocks->len; i++)
    {
      Block *blk = &g_array_index (self->blocks, Block, i);
      vkUnmapMemory (d, blk->memory);
      vkFreeMemory (d, blk->memory, NULL);
    }
  g_clear_pointer (&self->blocks, g_array_unref);
  g_clear_pointer (&self->acts, g_free);
  g_clear_pointer (&self->cols, g_free);
  g_clear_pointer (&self->argmax, g_free);
  g_clear_pointer (&self->relu_fused, g_free);
  g_clear_pointer (&self->param_off, g_free);
  g_clear_object (&self->layout);
  g_clear_object (&self->spec);
  self->params = self->grads = self->m = self->v = self->anchor = self->step = NULL;
  self->x = self->labels = self->stats = self->d_a = self->d_b = self->tmp = NULL;
  self->data = self->data_labels = self->indices = self->staging = NULL;
  self->transfer_cb = VK_NULL_HANDLE;
  self->data_n = 0;
  self->have_anchor = FALSE;
}


static void
trb_vulkan_executor_finalize (GObject *object)
{
  TrbVulkanExecutor *self = (TrbVulkanExecutor *)object;

  trb_vk_release (self);
  g_clear_object (&self->ctx);
  G_OBJECT_CLASS (trb_vulkan_executor_parent_class)->finalize (object);
}

static void
trb_vulkan_executor_class_init (TrbVulkanExecutorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_vulkan_executor_finalize;
}

static void
trb_vulkan_executor_init (TrbVulkanExecutor *self)
{
  self->steps_per_submit = 1;
  self->share_permille = 1000;
  self->profiling = g_strcmp0 (g_getenv ("TRB_VULKAN_PROFILE"), "1") == 0;
  self->force_staging = g_strcmp0 (g_getenv ("TRB_VULKAN_FORCE_STAGING"), "1") == 0;
  if (g_strcmp0 (g_getenv ("TRB_VULKAN_GEMM"), "tiled") == 0)
    self->gemm_profile = TRB_VULKAN_GEMM_TILED;
  else if (g_strcmp0 (g_getenv ("TRB_VULKAN_GEMM"), "texel") == 0)
    self->gemm_profile = TRB_VULKAN_GEMM_TEXEL;
}

TrbExecutor *
trb_vulkan_executor_new (TrbVulkanContext *context)
{
  TrbVulkanExecutor *self;

  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (context), NULL);
  self = g_object_new (TRB_TYPE_VULKAN_EXECUTOR, NULL);
  self->ctx = g_object_ref (context);
  self->device_index = trb_vulkan_context_get_info (context)->index;
  self->submit_target_us = trb_vulkan_context_get_info (context)->type == TRB_VULKAN_DEVICE_CPU ?
                           TARGET_SUBMIT_US_CPU : TARGET_SUBMIT_US_GPU;
  return TRB_EXECUTOR (self);
}

TrbVulkanContext *
trb_vulkan_executor_get_context (TrbVulkanExecutor *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_EXECUTOR (self), NULL);
  return self->ctx;
}

/* The number of kernel dispatches of one recorded training step (for the full batch). */
guint
trb_vulkan_executor_get_dispatches_per_step (TrbVulkanExecutor *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_EXECUTOR (self), 0);
  return self->dispatches_per_step;
}

/**
 * trb_vulkan_executor_set_steps_per_submit:
 * @steps: steps recorded into one submission, 1 to %TRB_EXECUTOR_MAX_STEPS, or 0 to choose
 *   them from the measured time of each submission (the default)
 *
 * Fixes how many training steps trb_executor_train_steps_indexed() runs per submission.
 */
void
trb_vulkan_executor_set_steps_per_submit (TrbVulkanExecutor *self,
                                          int                steps)
{
  g_return_if_fail (TRB_IS_VULKAN_EXECUTOR (self));
  g_return_if_fail (steps >= 0 && steps <= TRB_EXECUTOR_MAX_STEPS);
  self->forced_steps = steps;
  self->steps_per_submit = steps > 0 ? steps : 1;
}

/**
 * trb_vulkan_executor_get_last_submit_us:
 * @from_timestamps: (out) (optional): whether the time was measured by the device's timestamps
 *   (else it is the host's wall time from submission to completion)
 *
 * Returns: the time the last training or evaluation submission took on the device, in µs
 *   (0 before the first one)
 */
double
trb_vulkan_executor_get_last_submit_us (TrbVulkanExecutor *self,
                                        gboolean          *from_timestamps)
{
  g_return_val_if_fail (TRB_IS_VULKAN_EXECUTOR (self), 0);
  if (from_timestamps)
    *from_timestamps = self->last_from_timestamps;
  return self->last_submit_us;
}

/**
 * trb_vulkan_executor_set_force_staging:
 *
 * Keeps the big buffers in memory the host does not map, even where the device offers
 * mappable device memory, so that every transfer goes through staging copies as on GPUs
 * without such memory. Takes effect at the next prepare. The environment variable
 * `TRB_VULKAN_FORCE_STAGING=1` sets it for every new executor.
 */
void
trb_vulkan_executor_set_force_staging (TrbVulkanExecutor *self,
                                       gboolean           force)
{
  g_return_if_fail (TRB_IS_VULKAN_EXECUTOR (self));
  self->force_staging = !!force;
}

/**
 * trb_vulkan_executor_set_gemm_profile:
 *
 * Chooses the GEMM kernels: %TRB_VULKAN_GEMM_AUTO (the default) takes the shared-memory block
 * tiles on GPUs and the texel-buffer register tiles on software devices. The environment
 * variable `TRB_VULKAN_GEMM=tiled` or `texel` sets it for every new executor. Takes effect at
 * the next recording, so call it before prepare.
 */
void
trb_vulkan_executor_set_gemm_profile (TrbVulkanExecutor    *self,
                                      TrbVulkanGemmProfile  profile)
{
  g_return_if_fail (TRB_IS_VULKAN_EXECUTOR (self));
  self->gemm_profile = profile;
}

gboolean
trb_vk_use_tiled_gemm (TrbVulkanExecutor *self)
{
  TrbVulkanDeviceType type;

  if (self->gemm_profile != TRB_VULKAN_GEMM_AUTO)
    return self->gemm_profile == TRB_VULKAN_GEMM_TILED;
  type = trb_vulkan_context_get_info (self->ctx)->type;
  return type == TRB_VULKAN_DEVICE_DISCRETE || type == TRB_VULKAN_DEVICE_INTEGRATED;
}

/* Whether some buffer of the prepared model is reached only through staging copies. */
gboolean
trb_vulkan_executor_uses_staging (TrbVulkanExecutor *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_EXECUTOR (self), FALSE);
  for (guint i = 0; self->bufs && i < self->bufs->len; i++)
    if (((Buf *) g_ptr_array_index (self->bufs, i))->map == NULL)
      return TRUE;
  return FALSE;
}

/* Makes the next submission fail as if the device had been lost (for tests). */
void
trb_vulkan_executor_simulate_device_lost (TrbVulkanExecutor *self)
{
  g_return_if_fail (TRB_IS_VULKAN_EXECUTOR (self));
  self->simulate_lost = TRUE;
}

static const char *
vulkan_get_name (TrbExecutor *executor)
{
  return "vulkan";
}

/* With a share s < 1 of the device, after a submission that kept it busy for t the device is
 * left idle for t·(1 − s)/s (at most a second), so training takes about s of its time. */
static void
throttle (TrbVulkanExecutor *self,
          double             busy_us)
{
  int permille = g_atomic_int_get (&self->share_permille);

  double idle;

  self->busy_us += busy_us;
  if (permille >= 1000 || permille <= 0)
    return;
  idle = MIN (busy_us * (1000 - permille) / permille, 1e6);
  self->idle_us += idle;
  g_usleep ((gulong) idle);
}

/**
 * trb_vulkan_executor_get_throttle_us:
 * @busy: (out): the wall time of every submission so far
 * @idle: (out): the time the device was then left idle, for the share set with
 *   trb_executor_set_resource_share()
 */
void
trb_vulkan_executor_get_throttle_us (TrbVulkanExecutor *self,
                                     double            *busy,
                                     double            *idle)
{
  g_return_if_fail (TRB_IS_VULKAN_EXECUTOR (self));

  *busy = self->busy_us;
  *idle = self->idle_us;
}

static void
vulkan_set_resource_share (TrbExecutor *executor,
                           guint        cpu_threads,
                           double       device_share)
{
  g_atomic_int_set (&TRB_VULKAN_EXECUTOR (executor)->share_permille,
                    (int) CLAMP (device_share * 1000 + 0.5, 10, 1000));
}

/* Submits a recording, waits for it, and notes how long it took on the device. */
static gboolean
submit_recording (TrbVulkanExecutor  *self,
                  Recording          *rec,
                  GError            **error)
{
  gint64 start = g_get_monotonic_time ();
  guint64 stamps[2];

  if (!trb_vk_submit_and_wait (self, rec->cb, error))
    return FALSE;
  self->last_submit_us = (double) (g_get_monotonic_time () - start);
  throttle (self, self->last_submit_us);
  self->last_from_timestamps = FALSE;
  if (self->queries != VK_NULL_HANDLE &&
      vkGetQueryPoolResults (dev (self), self->queries, 0, 2, sizeof stamps, stamps,
                             sizeof stamps[0], VK_QUERY_RESULT_64_BIT) == VK_SUCCESS)
    {
      guint64 ticks = ((stamps[1] & self->timestamp_mask) - (stamps[0] & self->timestamp_mask)) &
                      self->timestamp_mask;

      self->last_submit_us = ticks * (double) trb_vulkan_context_get_properties (
        self->ctx)->limits.timestampPeriod / 1000.0;
      self->last_from_timestamps = TRUE;
    }
  if (rec->labels != NULL && rec->labels->len > 0)
    {
      g_autofree guint64 *t = g_new (guint64, rec->labels->len + 1);
      double period = trb_vulkan_context_get_properties (self->ctx)->limits.timestampPeriod;

      if (vkGetQueryPoolResults (dev (self), self->profile, 0, rec->labels->len + 1,
                                 (rec->labels->len + 1) * sizeof *t, t, sizeof *t,
                                 VK_QUERY_RESULT_64_BIT) == VK_SUCCESS)
        {
          for (guint i = 0; i < rec->labels->len; i++)
            {
              double us = (((t[i + 1] & self->timestamp_mask) - (t[i] & self->timestamp_mask)) &
                           self->timestamp_mask) * period / 1000.0;

              g_array_append_val (rec->profile_us, us);
            }
        }
    }
  return TRUE;
}

gboolean
trb_vk_submit_and_wait (TrbVulkanExecutor  *self,
                        VkCommandBuffer     cb,
                        GError            **error)
{
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &cb,
  };

  if (self->simulate_lost)
    {
      self->simulate_lost = FALSE;
      return trb_vulkan_check (VK_ERROR_DEVICE_LOST, self->ctx, "vkQueueSubmit", error);
    }
  if (!trb_vulkan_check (vkResetFences (dev (self), 1, &self->fence), self->ctx,
                         "vkResetFences", error) ||
      !trb_vulkan_check (vkQueueSubmit (trb_vulkan_context_get_queue (self->ctx), 1, &submit,
                                        self->fence), self->ctx, "vkQueueSubmit", error))
    return FALSE;
  return trb_vulkan_check (vkWaitForFences (dev (self), 1, &self->fence, VK_TRUE,
                                            G_GUINT64_CONSTANT (60000000000)),
                           self->ctx, "vkWaitForFences", error);
}

/* ---- executor interface ---- */

gboolean
trb_vk_ensure_device (TrbVulkanExecutor  *self,
                      GError            **error)
{
  if (!trb_vulkan_context_is_lost (self->ctx))
    return TRUE;
  /* The device was lost: everything made from it is gone. Start over on a new one. */
  {
    TrbVulkanContext *fresh = trb_vulkan_context_new (self->device_index, error);

    if (fresh == NULL)
      return FALSE;
    trb_vk_release (self);
    g_object_unref (self->ctx);
    self->ctx = fresh;
  }
  return TRUE;
}

/* The command pool and the fence; buffers the host does not map are cleared with commands, so
 * these come before any buffer. */
static gboolean
create_command_objects (TrbVulkanExecutor  *self,
                        GError            **error)
{
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = trb_vulkan_context_get_queue_family (self->ctx),
  };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

  return trb_vulkan_check (vkCreateCommandPool (dev (self), &pool_info, NULL, &self->cmd_pool),
                           self->ctx, "vkCreateCommandPool", error) &&
         trb_vulkan_check (vkCreateFence (dev (self), &fence_info, NULL, &self->fence),
                           self->ctx, "vkCreateFence", error);
}

/* The offset of each parameter tensor in the shared buffers, each aligned to TENSOR_ALIGN. */
static void
lay_out_parameters (TrbVulkanExecutor *self)
{
  guint n_params = trb_weights_get_n_tensors (self->layout);

  self->param_off = g_new0 (gsize, n_params);
  self->param_total = 0;
  for (guint i = 0; i < n_params; i++)
    {
      self->param_off[i] = self->param_total;
      self->param_total += (trb_weights_get_n_elements (self->layout, i) + TENSOR_ALIGN - 1) /
                           TENSOR_ALIGN * TENSOR_ALIGN;
    }
}

/* Makes *@var a buffer of @bytes (see trb_vk_buf_new()). */
static gboolean
new_buf_into (TrbVulkanExecutor  *self,
              Buf               **var,
              gsize               bytes,
              gboolean            host,
              GError            **error)
{
  *var = trb_vk_buf_new (self, bytes, host, error);
  return *var != NULL;
}

/* The parameters, their gradients and optimizer state, and what every step reads or writes. */
static gboolean
create_model_buffers (TrbVulkanExecutor  *self,
                      GError            **error)
{
  gsize params = self->param_total * 4, batch = (gsize) self->max_batch;
  gsize max_act = trb_model_spec_get_max_activations (self->spec);

  return new_buf_into (self, &self->params, params, FALSE, error) &&
         new_buf_into (self, &self->grads, params, FALSE, error) &&
         new_buf_into (self, &self->m, params, FALSE, error) &&
         new_buf_into (self, &self->v, params, FALSE, error) &&
         new_buf_into (self, &self->anchor, params, FALSE, error) &&
         /* What the host writes or reads at every step stays mappable. */
         new_buf_into (self, &self->step, (gsize) STEP_STRIDE * TRB_EXECUTOR_MAX_STEPS, TRUE,
                       error) &&
         new_buf_into (self, &self->labels, batch * 4, TRUE, error) &&
         new_buf_into (self, &self->stats, batch * 8 * TRB_EXECUTOR_MAX_STEPS, TRUE, error) &&
         new_buf_into (self, &self->d_a, batch * max_act * 4, FALSE, error) &&
         new_buf_into (self, &self->d_b, batch * max_act * 4, FALSE, error);
}

/* Each layer's output (shared with its input where the layer works in place), a convolution's
 * columns, a pooling's argmax, and the scratch of the convolutions' backward pass. */
static gboolean
create_layer_buffers (TrbVulkanExecutor  *self,
                      GError            **error)
{
  gsize batch = (gsize) self->max_batch, tmp = 16;

  self->acts = g_new0 (Buf *, self->n_layers + 1);
  self->cols = g_new0 (Buf *, self->n_layers);
  self->argmax = g_new0 (Buf *, self->n_layers);
  self->relu_fused = g_new0 (gboolean, self->n_layers);
  if (!new_buf_into (self, &self->acts[0],
                     batch * trb_model_spec_get_input_size (self->spec) * 4, TRUE, error))
    return FALSE;
  self->x = self->acts[0];
  for (guint i = 0; i < self->n_layers; i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);
      const TrbLayer *prev = i > 0 ? trb_model_spec_get_layer (self->spec, i - 1) : NULL;
      gsize P = (gsize) l->out_h * l->out_w;

      if (l->kind == TRB_LAYER_RELU && prev &&
          (prev->kind == TRB_LAYER_DENSE || prev->kind == TRB_LAYER_CONV2D))
        self->relu_fused[i] = TRUE;
      /* Dropout writes a buffer of its own: the layer below may still need its output. */
      if (l->kind == TRB_LAYER_FLATTEN || (l->kind == TRB_LAYER_DROPOUT && l->rate == 0) ||
          self->relu_fused[i])
        self->acts[i + 1] = self->acts[i];
      else if (!new_buf_into (self, &self->acts[i + 1], batch * out_size (l) * 4, FALSE, error))
        return FALSE;
      if (l->kind == TRB_LAYER_CONV2D)
        {
          if (!new_buf_into (self, &self->cols[i],
                             (gsize) l->in_c * l->kernel_h * l->kernel_w * batch * P * 4, FALSE,
                             error))
            return FALSE;
          tmp = MAX (tmp, (gsize) l->out_c * batch * P);
        }
      if (l->kind == TRB_LAYER_MAXPOOL2D &&
          !new_buf_into (self, &self->argmax[i], batch * out_size (l) * 4, FALSE, error))
        return FALSE;
    }
  return new_buf_into (self, &self->tmp, tmp * 4, FALSE, error);
}

/* Timestamps, when the queue has them, measure how long each submission keeps the device;
 * the per-dispatch profile is for measuring the kernels and stays off otherwise. */
static void
create_query_pools (TrbVulkanExecutor *self)
{
  guint32 bits = trb_vulkan_context_get_timestamp_bits (self->ctx);
  VkQueryPoolCreateInfo qinfo = {
    .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
    .queryType = VK_QUERY_TYPE_TIMESTAMP,
    .queryCount = 2,
  };

  if (bits > 0 && trb_vulkan_context_get_properties (self->ctx)->limits.timestampPeriod > 0 &&
      vkCreateQueryPool (dev (self), &qinfo, NULL, &self->queries) == VK_SUCCESS)
    self->timestamp_mask = bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << bits) - 1;
  else
    self->queries = VK_NULL_HANDLE;
  qinfo.queryCount = PROFILE_QUERIES;
  if (self->profiling && self->queries != VK_NULL_HANDLE &&
      vkCreateQueryPool (dev (self), &qinfo, NULL, &self->profile) != VK_SUCCESS)
    self->profile = VK_NULL_HANDLE;
}

static gboolean
vulkan_prepare (TrbExecutor   *executor,
                TrbModelSpec  *spec,
                int            max_batch,
                GError       **error)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);

  if (!trb_vk_ensure_device (self, error))
    return FALSE;
  trb_vk_release (self);

  self->spec = g_object_ref (spec);
  self->layout = trb_model_spec_init_weights (spec, 0);
  self->max_batch = max_batch;
  self->n_layers = trb_model_spec_get_n_layers (spec);
  self->blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  self->bufs = g_ptr_array_new_with_free_func (g_free);
  if (!create_command_objects (self, error))
    {
      trb_vk_release (self);
      return FALSE;
    }
  lay_out_parameters (self);
  if (!create_model_buffers (self, error) || !create_layer_buffers (self, error))
    {
      trb_vk_release (self);
      return FALSE;
    }
  create_query_pools (self);
  if (self->forced_steps == 0)
    self->steps_per_submit = 1;
  self->last_submit_us = 0;
  return TRUE;
}

static gboolean
check_prepared (TrbVulkanExecutor  *self,
                GError            **error)
{
  if (!trb_executor_check_prepared (self->spec, error))
    return FALSE;
  if (trb_vulkan_context_is_lost (self->ctx))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DEVICE_LOST,
                   _("The graphics device stopped responding (its driver may have been reset)."));
      return FALSE;
    }
  return TRUE;
}

/* Writes tensors first, first + stride, … of @src into @dst at the parameters' offsets. */
static gboolean
copy_in (TrbVulkanExecutor  *self,
         Buf                *dst,
         TrbWeights         *src,
         guint               stride,
         guint               first,
         GError            **error)
{
  g_autofree float *staged = dst->map ? NULL : g_new0 (float, self->param_total);
  float *d = dst->map ? (float *) dst->map : staged;

  for (guint i = 0; i < trb_weights_get_n_tensors (self->layout); i++)
    memcpy (d + self->param_off[i], trb_weights_get_data (src, stride * i + first),
            trb_weights_get_n_elements (self->layout, i) * 4);
  return staged == NULL || trb_vk_upload (self, dst, 0, staged, self->param_total * 4, error);
}

static gboolean
copy_out (TrbVulkanExecutor *self,
          Buf               *src,
          TrbWeights        *dst,
          guint              stride,
          guint              first)
{
  g_autofree float *staged = src->map ? NULL : g_new (float, self->param_total);
  const float *s = src->map ? (const float *) src->map : staged;
  g_autoptr(GError) error = NULL;

  if (staged != NULL && !trb_vk_download (self, src, 0, staged, self->param_total * 4, &error))
    {
      g_warning ("Could not read the weights from the graphics device: %s", error->message);
      return FALSE;
    }
  for (guint i = 0; i < trb_weights_get_n_tensors (self->layout); i++)
    memcpy (trb_weights_get_data (dst, stride * i + first), s + self->param_off[i],
            trb_weights_get_n_elements (self->layout, i) * 4);
  return TRUE;
}

static gboolean
vulkan_set_weights (TrbExecutor  *executor,
                    TrbWeights   *params,
                    TrbWeights   *state,
                    GError      **error)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);

  if (!check_prepared (self, error) ||
      !trb_executor_check_weights (self->layout, params, state, error))
    return FALSE;
  if (!copy_in (self, self->params, params, 1, 0, error))
    return FALSE;
  if (state != NULL)
    return copy_in (self, self->m, state, 2, 0, error) &&
           copy_in (self, self->v, state, 2, 1, error);
  return trb_vk_fill_zero (self, self->m, error) && trb_vk_fill_zero (self, self->v, error);
}

static TrbWeights *
vulkan_get_weights (TrbExecutor *executor)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);
  TrbWeights *out;

  g_return_val_if_fail (self->layout != NULL, NULL);
  out = trb_weights_copy (self->layout);
  if (!copy_out (self, self->params, out, 1, 0))
    g_clear_object (&out);
  return out;
}

static TrbWeights *
vulkan_get_optimizer_state (TrbExecutor *executor)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);
  TrbWeights *out;

  g_return_val_if_fail (self->layout != NULL, NULL);
  out = trb_optimizer_state_new (self->layout);
  if (!copy_out (self, self->m, out, 2, 0) || !copy_out (self, self->v, out, 2, 1))
    g_clear_object (&out);
  return out;
}

static gboolean
vulkan_set_prox_anchor (TrbExecutor  *executor,
                        TrbWeights   *global,
                        GError      **error)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);

  if (!check_prepared (self, error))
    return FALSE;
  self->have_anchor = FALSE;
  if (global == NULL)
    return TRUE;
  if (!trb_weights_same_layout (self->layout, global, error))
    return FALSE;
  if (!copy_in (self, self->anchor, global, 1, 0, error))
    return FALSE;
  self->have_anchor = TRUE;
  return TRUE;
}

static gboolean
load_batch (TrbVulkanExecutor  *self,
            const TrbBatch     *batch,
            GError            **error)
{
  if (!trb_executor_check_batch (self->spec, self->max_batch, batch, error))
    return FALSE;
  memcpy (self->x->map, batch->x,
          (gsize) batch->n * trb_model_spec_get_input_size (self->spec) * 4);
  memcpy (self->labels->map, batch->labels, (gsize) batch->n * 4);
  return TRUE;
}

static void
read_stats (TrbVulkanExecutor *self,
            int                j,
            int                n,
            TrbStepResult     *result)
{
  const float *stats = (const float *) self->stats->map + 2 * (gsize) j * n;

  result->loss_sum = 0;
  result->correct = 0;
  for (int s = 0; s < n; s++)
    {
      result->loss_sum += stats[2 * s];
      result->correct += stats[2 * s + 1] > 0.5f;
    }
  result->n = n;
}

static gboolean run_steps (TrbVulkanExecutor    *self,
                           Recording            *rec,
                           const TrbStepParams  *sp,
                           TrbStepResult        *results,
                           GError              **error);

/* The update that suits all of @k steps: a fixed one where they share it and FedProx is off,
 * else the kernels that choose at run time. */
static UpdateKind
update_kind (TrbVulkanExecutor   *self,
             const TrbStepParams *sp,
             int                  k)
{
  UpdateKind kind = UPDATE_ANY;

  for (int j = 0; j < k; j++)
    {
      UpdateKind one;

      if (self->have_anchor && sp[j].prox_mu > 0)
        return UPDATE_ANY;
      if (sp[j].optimizer == TRB_OPTIMIZER_ADAM)
        one = UPDATE_ADAM;
      else if ((float) sp[j].momentum != 0.0f)
        one = UPDATE_MOMENTUM;
      else
        one = UPDATE_SGD;
      if (j > 0 && one != kind)
        return UPDATE_ANY;
      kind = one;
    }
  return kind;
}

static gboolean
vulkan_train_step (TrbExecutor          *executor,
                   const TrbBatch       *batch,
                   const TrbStepParams  *sp,
                   TrbStepResult        *result,
                   GError              **error)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);
  Recording *rec;

  if (!check_prepared (self, error) || !load_batch (self, batch, error))
    return FALSE;
  rec = trb_vk_get_recording (self, batch->n, TRUE, FALSE, 1, update_kind (self, sp, 1), error);
  if (rec == NULL)
    return FALSE;
  return run_steps (self, rec, sp, result, error);
}

static void
write_step_values (TrbVulkanExecutor   *self,
                   int                  j,
                   const TrbStepParams *sp)
{
  StepUniform *u = (StepUniform *) (self->step->map + (gsize) j * STEP_STRIDE);

  u->lr = (float) sp->learning_rate;
  u->momentum = (float) sp->momentum;
  u->weight_decay = (float) sp->weight_decay;
  u->prox_mu = (float) sp->prox_mu;
  u->beta1 = (float) sp->beta1;
  u->beta2 = (float) sp->beta2;
  u->eps = (float) sp->eps;
  u->bc1 = (float) (1.0 - pow (sp->beta1, (double) sp->step));
  u->bc2 = (float) (1.0 - pow (sp->beta2, (double) sp->step));
  u->adam = sp->optimizer == TRB_OPTIMIZER_ADAM;
  u->use_anchor = self->have_anchor && sp->prox_mu > 0;
  u->seed_lo = (guint32) sp->dropout_seed;
  u->seed_hi = (guint32) (sp->dropout_seed >> 32);
  u->step_lo = (guint32) sp->step;
  u->step_hi = (guint32) (sp->step >> 32);
}

/* Runs the rec->k recorded steps with the values @sp (one per step). */
static gboolean
run_steps (TrbVulkanExecutor    *self,
           Recording            *rec,
           const TrbStepParams  *sp,
           TrbStepResult        *results,
           GError              **error)
{
  for (int j = 0; j < rec->k; j++)
    write_step_values (self, j, &sp[j]);
  if (!submit_recording (self, rec, error))
    return FALSE;
  for (int j = 0; j < rec->k; j++)
    {
      read_stats (self, j, rec->n, &results[j]);
      if (!isfinite (results[j].loss_sum))
        {
          g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DIVERGED,
                       _("Training became unstable (the loss is no longer a number). Try a "
                         "smaller learning rate."));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
vulkan_evaluate (TrbExecutor     *executor,
                 const TrbBatch  *batch,
                 TrbStepResult   *result,
                 GError         **error)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);
  Recording *rec;

  if (!check_prepared (self, error) || !load_batch (self, batch, error))
    return FALSE;
  rec = trb_vk_get_recording (self, batch->n, FALSE, FALSE, 1, UPDATE_ANY, error);
  if (rec == NULL || !submit_recording (self, rec, error))
    return FALSE;
  read_stats (self, 0, batch->n, result);
  return TRUE;
}

static gboolean
vulkan_upload_dataset (TrbExecutor          *executor,
                       const TrbDataSource  *data,
                       GError              **error)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);
  const VkPhysicalDeviceProperties *props;
  int classes;
  gsize bytes;

  if (!check_prepared (self, error))
    return FALSE;
  props = trb_vulkan_context_get_properties (self->ctx);
  classes = trb_model_spec_get_n_classes (self->spec);
  if (data->feature_type != TRB_FEATURE_U8 ||
      data->feature_size != trb_model_spec_get_input_size (self->spec) ||
      !g_size_checked_mul (&bytes, data->n_samples, data->feature_size) ||
      bytes > props->limits.maxStorageBufferRange - 4 || data->n_samples > G_MAXINT32 / 2)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The data set does not fit on the graphics device."));
      return FALSE;
    }
  for (gsize i = 0; i < data->n_samples; i++)
    if (data->labels[i] < 0 || data->labels[i] >= classes)
      {
        g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                     g_dngettext (GETTEXT_PACKAGE,
                                  /* Translators: the sample's label, then the number of classes
                                   * the model knows, which chooses the plural form. */
                                  "A sample has the label %d, but the model knows only %d class.",
                                  "A sample has the label %d, but the model knows only %d "
                                  "classes.", classes),
                     data->labels[i], classes);
        return FALSE;
      }
  if ((self->data = trb_vk_buf_new (self, (bytes + 3) / 4 * 4, FALSE, error)) == NULL ||
      (self->data_labels = trb_vk_buf_new (self, data->n_samples * 4, FALSE, error)) == NULL ||
      (self->indices = trb_vk_buf_new (self, (gsize) self->max_batch * TRB_EXECUTOR_MAX_STEPS * 4,
                                       TRUE, error)) == NULL ||
      !trb_vk_upload (self, self->data, 0, data->features, bytes, error) ||
      !trb_vk_upload (self, self->data_labels, 0, data->labels, data->n_samples * 4, error))
    {
      self->data = NULL;
      return FALSE;
    }
  self->data_n = data->n_samples;
  self->data_scale = (float) data->u8_scale;
  self->data_texels = trb_vulkan_context_supports_texel_format (self->ctx,
                                                                VK_FORMAT_R8G8B8A8_UINT) &&
                      bytes / 4 <= trb_vulkan_context_get_properties (self->ctx)->
                                   limits.maxTexelBufferElements;
  return TRUE;
}

static gboolean
vulkan_train_steps_indexed (TrbExecutor          *executor,
                            const gint32         *indices,
                            int                   n,
                            int                   k,
                            const TrbStepParams  *sp,
                            TrbStepResult        *results,
                            GError              **error)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);
  Recording *rec;

  if (!check_prepared (self, error))
    return FALSE;
  if (self->data == NULL || n > self->max_batch || k < 1 || k > TRB_EXECUTOR_MAX_STEPS)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                   _("A batch does not match the data set on the device."));
      return FALSE;
    }
  for (gsize s = 0; s < (gsize) n * k; s++)
    if (indices[s] < 0 || (gsize) indices[s] >= self->data_n)
      {
        g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_DATA,
                     _("A batch does not match the data set on the device."));
        return FALSE;
      }
  memcpy (self->indices->map, indices, (gsize) n * k * 4);
  rec = trb_vk_get_recording (self, n, TRUE, TRUE, k, update_kind (self, sp, k), error);
  if (rec == NULL || !run_steps (self, rec, sp, results, error))
    return FALSE;

  /* Grow while a submission would stay short even at twice the steps; halve when it is too
   * long. Only full-size submissions at the current choice say anything about it. */
  if (self->forced_steps == 0 && k == self->steps_per_submit)
    {
      if (self->last_submit_us * 2 <= self->submit_target_us && k < TRB_EXECUTOR_MAX_STEPS)
        self->steps_per_submit = MIN (k * 2, TRB_EXECUTOR_MAX_STEPS);
      else if (self->last_submit_us > self->submit_target_us && k > 1)
        self->steps_per_submit = k / 2;
    }
  return TRUE;
}

static gboolean
vulkan_train_step_indexed (TrbExecutor          *executor,
                           const gint32         *indices,
                           int                   n,
                           const TrbStepParams  *sp,
                           TrbStepResult        *result,
                           GError              **error)
{
  return vulkan_train_steps_indexed (executor, indices, n, 1, sp, result, error);
}

static int
vulkan_get_steps_per_submit (TrbExecutor *executor)
{
  return TRB_VULKAN_EXECUTOR (executor)->steps_per_submit;
}

static void
executor_iface_init (TrbExecutorInterface *iface)
{
  iface->get_name = vulkan_get_name;
  iface->prepare = vulkan_prepare;
  iface->set_weights = vulkan_set_weights;
  iface->get_weights = vulkan_get_weights;
  iface->get_optimizer_state = vulkan_get_optimizer_state;
  iface->set_prox_anchor = vulkan_set_prox_anchor;
  iface->train_step = vulkan_train_step;
  iface->evaluate = vulkan_evaluate;
  iface->upload_dataset = vulkan_upload_dataset;
  iface->train_step_indexed = vulkan_train_step_indexed;
  iface->train_steps_indexed = vulkan_train_steps_indexed;
  iface->get_steps_per_submit = vulkan_get_steps_per_submit;
  iface->set_resource_share = vulkan_set_resource_share;
}

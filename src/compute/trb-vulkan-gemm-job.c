/* trb-vulkan-gemm-job.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stand-alone GEMMs on the Vulkan executor's device, for the tests and the benchmark: one
 * product checked against the CPU, the SGEMM rate and the device's multiply-add peak. A job
 * takes the executor's resources while it runs and drops any prepared model.
 */

#define G_LOG_DOMAIN "trb-vulkan-executor"

#include "config.h"

#include "trb-vulkan-private.h"

#include <string.h>

typedef struct
{
  Buf *a, *b, *c;
  Recording rec;
} GemmJob;

/* Takes the executor's resources for a stand-alone job with buffers of @sizes bytes (no more
 * than three): a command pool, a fence, a descriptor pool and a command buffer, begun. */
static gboolean
job_begin (TrbVulkanExecutor  *self,
           const gsize        *sizes,
           guint               n_bufs,
           GemmJob            *job,
           GError            **error)
{
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = trb_vulkan_context_get_queue_family (self->ctx),
  };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  VkDescriptorPoolSize sizes_info[] = {
    { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, TRB_VK_STORAGE_BINDINGS },
    { VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, TRB_VK_TEXEL_BINDINGS },
  };
  VkDescriptorPoolCreateInfo pinfo = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = 1,
    .poolSizeCount = G_N_ELEMENTS (sizes_info),
    .pPoolSizes = sizes_info,
  };
  VkCommandBufferAllocateInfo cinfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkCommandBufferBeginInfo begin = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
  Buf **bufs[3] = { &job->a, &job->b, &job->c };

  g_assert (n_bufs <= G_N_ELEMENTS (bufs));
  if (!trb_vk_ensure_device (self, error))
    return FALSE;
  /* The stand-alone job owns the executor's resources while it runs. */
  trb_vk_release (self);
  self->blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  self->bufs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_bufs; i++)
    if ((*bufs[i] = trb_vk_buf_new (self, sizes[i], TRUE, error)) == NULL)
      return FALSE;
  if (!trb_vulkan_check (vkCreateCommandPool (dev (self), &pool_info, NULL, &self->cmd_pool),
                         self->ctx, "vkCreateCommandPool", error) ||
      !trb_vulkan_check (vkCreateFence (dev (self), &fence_info, NULL, &self->fence), self->ctx,
                         "vkCreateFence", error) ||
      !trb_vulkan_check (vkCreateDescriptorPool (dev (self), &pinfo, NULL, &job->rec.pool),
                         self->ctx, "vkCreateDescriptorPool", error))
    return FALSE;
  cinfo.commandPool = self->cmd_pool;
  if (!trb_vulkan_check (vkAllocateCommandBuffers (dev (self), &cinfo, &job->rec.cb), self->ctx,
                         "vkAllocateCommandBuffers", error))
    return FALSE;
  self->rec[0] = job->rec;   /* so that trb_vk_release() frees the pool */
  vkBeginCommandBuffer (job->rec.cb, &begin);
  return TRUE;
}

static gboolean
gemm_job_setup (TrbVulkanExecutor  *self,
                gboolean            ta,
                gboolean            tb,
                int                 m,
                int                 n,
                int                 k,
                GemmJob            *job,
                GError            **error)
{
  const gsize sizes[3] = { (gsize) m * k * 4, (gsize) k * n * 4, (gsize) m * n * 4 };
  GemmPush p = {
    .m = m, .n = n, .k = k,
    .a_si = ta ? 1 : k, .a_sp = ta ? m : 1,
    .b_sp = tb ? 1 : n, .b_sj = tb ? k : 1,
    .ldc = n, .alpha = 1,
  };
  Rec r = { .self = self, .rec = &job->rec, .error = error };

  if (!job_begin (self, sizes, 3, job, error))
    return FALSE;
  trb_vk_gemm (&r, &p, whole (job->c), job->a, job->b, (Range) { 0 }, (Range) { 0 }, 1);
  if (r.failed)
    return FALSE;
  return trb_vulkan_check (vkEndCommandBuffer (job->rec.cb), self->ctx, "vkEndCommandBuffer",
                           error);
}

/**
 * trb_vulkan_executor_gemm:
 *
 * C[m×n] = op(A)·op(B) on the device, row-major. Drops any prepared model.
 */
gboolean
trb_vulkan_executor_gemm (TrbVulkanExecutor  *self,
                          gboolean            trans_a,
                          gboolean            trans_b,
                          int                 m,
                          int                 n,
                          int                 k,
                          const float        *a,
                          const float        *b,
                          float              *c,
                          GError            **error)
{
  GemmJob job = { 0 };
  gboolean ok;

  g_return_val_if_fail (TRB_IS_VULKAN_EXECUTOR (self), FALSE);
  g_return_val_if_fail (m > 0 && n > 0 && k > 0, FALSE);

  ok = gemm_job_setup (self, trans_a, trans_b, m, n, k, &job, error);
  if (ok)
    {
      memcpy (job.a->map, a, (gsize) m * k * 4);
      memcpy (job.b->map, b, (gsize) k * n * 4);
      ok = trb_vk_submit_and_wait (self, job.rec.cb, error);
      if (ok)
        memcpy (c, job.c->map, (gsize) m * n * 4);
    }
  trb_vk_release (self);
  return ok;
}

/* GFLOPS of a recorded job of @flops floating-point operations, submit and wait included: one
 * run to warm up, then as many as fit in about @seconds (at least two). */
static double
job_gflops (TrbVulkanExecutor  *self,
            GemmJob            *job,
            double              flops,
            double              seconds,
            GError            **error)
{
  gint64 start;
  int reps = 0;

  if (!trb_vk_submit_and_wait (self, job->rec.cb, error))
    return -1;
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < seconds * G_USEC_PER_SEC || reps < 2)
    {
      if (!trb_vk_submit_and_wait (self, job->rec.cb, error))
        return -1;
      reps++;
    }
  return flops * reps / ((g_get_monotonic_time () - start) / 1e6) / 1e9;
}

/**
 * trb_vulkan_executor_fma_gflops:
 * @seconds: about how long to measure
 *
 * The device's fp32 arithmetic peak as measured: GFLOPS of a kernel that does nothing but
 * independent multiply-adds in registers (`fma-peak.comp`), submit and wait included. The
 * benchmark gives SGEMM as a share of it. Drops any prepared model.
 *
 * Returns: the GFLOPS, or -1 with @error set
 */
double
trb_vulkan_executor_fma_gflops (TrbVulkanExecutor  *self,
                                double              seconds,
                                GError            **error)
{
  gboolean cpu = trb_vulkan_context_get_info (self->ctx)->type == TRB_VULKAN_DEVICE_CPU;
  /* Enough invocations to fill a GPU many times over; a CPU device runs them in SIMD vectors
   * on its few threads. */
  guint groups = cpu ? 64 : 16384;
  struct { gint32 iterations; float m, a; } push = { cpu ? 2048 : 4096, 0.999f, 1e-4f };
  gsize invocations = (gsize) groups * 64;
  GemmJob job = { 0 };
  Rec r = { .self = self, .rec = &job.rec, .error = error };
  double gflops = -1;

  g_return_val_if_fail (TRB_IS_VULKAN_EXECUTOR (self), -1);

  if (job_begin (self, (gsize[]) { invocations * 4 }, 1, &job, error))
    {
      trb_vk_dispatch (&r, &(Dispatch) {
        .kernel = "fma-peak",
        .storage = { whole (job.a) },
        .push = &push,
        .push_size = sizeof push,
        .groups = { groups, 1, 1 },
      });
      if (!r.failed &&
          trb_vulkan_check (vkEndCommandBuffer (job.rec.cb), self->ctx, "vkEndCommandBuffer",
                            error))
        gflops = job_gflops (self, &job, 64.0 * push.iterations * (double) invocations, seconds,
                             error);
    }
  trb_vk_release (self);
  return gflops;
}

/* GFLOPS of an n×n×n SGEMM, submit and wait included, over about @seconds. */
double
trb_vulkan_executor_gemm_gflops (TrbVulkanExecutor  *self,
                                 int                 n,
                                 double              seconds,
                                 GError            **error)
{
  GemmJob job = { 0 };
  double gflops = -1;

  g_return_val_if_fail (TRB_IS_VULKAN_EXECUTOR (self), -1);

  if (gemm_job_setup (self, FALSE, FALSE, n, n, n, &job, error))
    {
      for (gsize i = 0; i < (gsize) n * n; i++)
        {
          ((float *) job.a->map)[i] = (float) ((i * 7) % 13) / 13.0f;
          ((float *) job.b->map)[i] = (float) ((i * 5) % 11) / 11.0f;
        }
      gflops = job_gflops (self, &job, 2.0 * n * n * (double) n, seconds, error);
    }
  trb_vk_release (self);
  return gflops;
}


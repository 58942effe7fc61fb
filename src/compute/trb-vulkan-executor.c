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
 */

#define G_LOG_DOMAIN "trb-vulkan-executor"

#include "config.h"

#include "trb-vulkan-executor.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#define BLOCK_SIZE ((VkDeviceSize) 64 * 1024 * 1024)
#define TENSOR_ALIGN 64          /* floats: 256 bytes, enough for any offset alignment */
#define SETS_PER_STEP 512
#define N_RECORDINGS 6
/* Each step of a submission reads its own values at this offset in the step buffer: more than
 * any device's minUniformBufferOffsetAlignment (at most 256 by the specification). */
#define STEP_STRIDE 256
/* A submission of training steps should keep a GPU busy for no longer than this (µs), so that
 * the desktop's own drawing is never held up for long. A CPU device (lavapipe) holds up no
 * drawing — the system shares its threads out like any others — so there a submission may run
 * longer, which spares the host's work per submission; it only bounds how soon a pause or a
 * cancellation takes effect. */
#define TARGET_SUBMIT_US_GPU 5000.0
#define TARGET_SUBMIT_US_CPU 20000.0
/* Host-visible memory through which buffers the host cannot map are filled and read. */
#define STAGING_BYTES ((gsize) 8 * 1024 * 1024)
/* Timestamps of the per-dispatch profile (TRB_VULKAN_PROFILE=1): one before the first dispatch
 * of a recording and one after each, for recordings of up to this many dispatches. */
#define PROFILE_QUERIES 1024

/* Which update the fused weight-gradient kernels apply (the suffix of their name). */
typedef enum
{
  UPDATE_ANY,        /* chosen at run time from the step's values */
  UPDATE_SGD,
  UPDATE_MOMENTUM,
  UPDATE_ADAM,
} UpdateKind;

static const char *const update_suffix[] = { "", "-sgd", "-momentum", "-adam" };

enum
{
  GEMM_BIAS_COL = 1,
  GEMM_BIAS_ROW = 2,
  GEMM_RELU = 4,
  GEMM_MASK = 16,
  GEMM_A_ALONG_M = 32,   /* gemm-tiled-v4: A is read along M, not K */
  GEMM_B_ALONG_K = 64,   /* gemm-tiled-v4: B is read along K, not N */
};

typedef struct
{
  VkDeviceMemory memory;
  guint8        *map;      /* NULL for memory the host cannot map */
  guint32        type;
  VkDeviceSize   size;
  VkDeviceSize   used;
} Block;

/* The texel views of a buffer, each created on first use. */
typedef enum
{
  VIEW_F32,       /* R32_SFLOAT: a GEMM's input, one float a texel */
  VIEW_F32X4,     /* R32G32B32A32_SFLOAT: the vec4 kernels' inputs and the optimizer state */
  VIEW_U8X4,      /* R8G8B8A8_UINT: a data set of bytes, four features a texel */
  N_VIEW_KINDS
} ViewKind;

typedef struct
{
  VkBuffer      buffer;
  VkBufferView  views[N_VIEW_KINDS];
  VkDeviceSize  bytes;
  guint8       *map;       /* NULL when the host reaches it only through staging copies */
} Buf;

/* A storage binding: a range of a buffer, in floats (or ints). */
typedef struct
{
  Buf   *buf;
  gsize  offset;
  gsize  count;
} Range;

typedef struct
{
  VkCommandBuffer  cb;
  VkDescriptorPool pool;
  guint            sets;       /* the pool's capacity */
  int              n;
  int              k;          /* steps recorded one after the other */
  gboolean         train;
  gboolean         indexed;
  UpdateKind       update;
  guint64          last_used;
  guint            dispatches;
  GPtrArray       *labels;     /* the profile's name of each dispatch, when profiling */
  GArray          *profile_us; /* the device time of each dispatch (double), run after run */
} Recording;

typedef struct
{
  float lr, momentum, weight_decay, prox_mu;
  float beta1, beta2, eps, bc1;
  float bc2;
  gint32 adam, use_anchor, pad0;
  guint32 seed_lo, seed_hi, step_lo, step_hi;   /* dropout's Philox key and step */
} StepUniform;

struct _TrbVulkanExecutor
{
  GObject           parent_instance;

  TrbVulkanContext *ctx;
  int               device_index;
  gboolean          simulate_lost;

  TrbModelSpec     *spec;
  TrbWeights       *layout;
  int               max_batch;
  guint             n_layers;
  gsize            *param_off;     /* float offset of each parameter tensor */
  gsize             param_total;

  GArray           *blocks;        /* Block */
  GPtrArray        *bufs;          /* Buf */
  Buf              *params, *grads, *m, *v, *anchor, *step;
  Buf              *x, *labels, *stats, *d_a, *d_b, *tmp;
  Buf             **acts;          /* n_layers + 1; aliases share a Buf */
  Buf             **cols;
  Buf             **argmax;
  gboolean         *relu_fused;    /* layer i is a ReLU done by layer i − 1's epilogue */
  gboolean          have_anchor;
  Buf              *data;          /* the data set, as bytes, when resident */
  Buf              *data_labels;
  Buf              *indices;
  gsize             data_n;
  float             data_scale;
  gboolean          data_texels;   /* the data set has a texel view of four bytes a texel */

  VkCommandPool     cmd_pool;
  VkFence           fence;
  Recording         rec[N_RECORDINGS];
  guint64           use_counter;
  guint             dispatches_per_step;

  VkQueryPool       queries;       /* two timestamps around every recorded submission */
  VkQueryPool       profile;       /* per-dispatch timestamps, only with TRB_VULKAN_PROFILE=1 */
  gboolean          profiling;
  guint64           timestamp_mask;
  int               steps_per_submit;
  int               forced_steps;  /* 0: adapt steps_per_submit to submit_target_us */
  double            submit_target_us;
  double            last_submit_us;
  int               share_permille; /* atomic: of the device's time training may take */
  double            busy_us;        /* submissions' wall time and the idle time left after */
  double            idle_us;
  gboolean          last_from_timestamps;

  TrbVulkanGemmProfile gemm_profile;
  gboolean          force_staging; /* big buffers in memory the host does not map */
  Buf              *staging;
  VkCommandBuffer   transfer_cb;
};

static void executor_iface_init (TrbExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbVulkanExecutor, trb_vulkan_executor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_EXECUTOR, executor_iface_init))

static VkDevice
dev (TrbVulkanExecutor *self)
{
  return trb_vulkan_context_get_device (self->ctx);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Prints the median and the least device time of each dispatch of a profiled recording to
 * stderr (not the mean: on a shared machine some runs are slow). */
static void
print_profile (Recording *rec)
{
  guint n, runs;
  g_autofree double *median = NULL;
  g_autofree double *least = NULL;
  g_autofree double *one = NULL;
  double total = 0, total_least = 0;

  if (rec->labels == NULL || rec->profile_us == NULL || rec->labels->len == 0)
    return;
  n = rec->labels->len;
  runs = rec->profile_us->len / n;
  if (runs == 0)
    return;
  median = g_new (double, n);
  least = g_new (double, n);
  one = g_new (double, runs);
  for (guint i = 0; i < n; i++)
    {
      for (guint j = 0; j < runs; j++)
        one[j] = g_array_index (rec->profile_us, double, (gsize) j * n + i);
      qsort (one, runs, sizeof *one, compare_doubles);
      median[i] = one[runs / 2];
      least[i] = one[0];
      total += median[i];
      total_least += least[i];
    }
  g_printerr ("Vulkan profile: %s, batch %d, %d step%s a submission, %u runs\n"
              "  %3s  %-40s %9s %9s %6s\n", rec->train ? "training" : "evaluation", rec->n,
              rec->k, rec->k > 1 ? "s" : "", runs, "#", "dispatch", "median", "least", "share");
  for (guint i = 0; i < n; i++)
    g_printerr ("  %3u  %-40s %6.1f us %6.1f us %5.1f%%\n", i,
                (const char *) rec->labels->pdata[i], median[i], least[i],
                total > 0 ? 100 * median[i] / total : 0);
  g_printerr ("  %3s  %-40s %6.1f us %6.1f us\n", "", "total", total, total_least);
}

static void
release (TrbVulkanExecutor *self)
{
  VkDevice d;

  if (self->ctx == NULL)
    return;
  d = dev (self);
  if (!trb_vulkan_context_is_lost (self->ctx))
    vkDeviceWaitIdle (d);
  for (guint i = 0; i < N_RECORDINGS; i++)
    {
      print_profile (&self->rec[i]);
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

  release (self);
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

static gboolean
use_tiled_gemm (TrbVulkanExecutor *self)
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

/* ---- memory ---- */

static gboolean fill_zero (TrbVulkanExecutor  *self,
                           Buf                *b,
                           GError            **error);

/* A buffer the kernels use. @host: the host writes or reads it often (a step's inputs and
 * statistics), so it must be mappable; otherwise it goes in device-local memory, mapped when
 * the device allows and staging copies are not forced. */
static Buf *
new_buf (TrbVulkanExecutor  *self,
         gsize               bytes,
         gboolean            host,
         GError            **error)
{
  const VkPhysicalDeviceProperties *props = trb_vulkan_context_get_properties (self->ctx);
  VkBufferCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = MAX (bytes, 16),
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
             VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
             VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryRequirements req;
  Buf *b;
  Block *blk = NULL;
  VkDeviceSize offset = 0;
  gboolean mappable = TRUE;
  int type;

  if (bytes > props->limits.maxStorageBufferRange)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The model with this batch size needs larger buffers than the graphics "
                     "device allows. Try a smaller batch size."));
      return NULL;
    }
  b = g_new0 (Buf, 1);
  if (!trb_vulkan_check (vkCreateBuffer (dev (self), &info, NULL, &b->buffer), self->ctx,
                         "vkCreateBuffer", error))
    {
      g_free (b);
      return NULL;
    }
  g_ptr_array_add (self->bufs, b);
  b->bytes = info.size;
  vkGetBufferMemoryRequirements (dev (self), b->buffer, &req);

  if (host)
    type = trb_vulkan_context_find_memory_type (self->ctx, req.memoryTypeBits, NULL);
  else
    {
      type = trb_vulkan_context_find_device_memory_type (self->ctx, req.memoryTypeBits,
                                                         &mappable);
      mappable = mappable && !self->force_staging;
    }
  if (type < 0)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The graphics device has no memory the processor can share."));
      return NULL;
    }

  for (guint i = 0; i < self->blocks->len; i++)
    {
      Block *cand = &g_array_index (self->blocks, Block, i);
      VkDeviceSize off = (cand->used + req.alignment - 1) / req.alignment * req.alignment;

      if (cand->type == (guint32) type && (cand->map != NULL) == mappable &&
          off + req.size <= cand->size)
        {
          blk = cand;
          offset = off;
          break;
        }
    }
  if (blk == NULL)
    {
      VkMemoryAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = MAX (BLOCK_SIZE, req.size),
      };
      Block nb = { 0 };
      void *map = NULL;

      alloc.memoryTypeIndex = (guint32) type;
      if (!trb_vulkan_check (vkAllocateMemory (dev (self), &alloc, NULL, &nb.memory), self->ctx,
                             "vkAllocateMemory", error))
        return NULL;
      if (mappable &&
          !trb_vulkan_check (vkMapMemory (dev (self), nb.memory, 0, VK_WHOLE_SIZE, 0, &map),
                             self->ctx, "vkMapMemory", error))
        {
          vkFreeMemory (dev (self), nb.memory, NULL);
          return NULL;
        }
      nb.map = map;
      nb.type = (guint32) type;
      nb.size = alloc.allocationSize;
      g_array_append_val (self->blocks, nb);
      blk = &g_array_index (self->blocks, Block, self->blocks->len - 1);
      offset = 0;
    }
  if (!trb_vulkan_check (vkBindBufferMemory (dev (self), b->buffer, blk->memory, offset),
                         self->ctx, "vkBindBufferMemory", error))
    return NULL;
  blk->used = offset + req.size;
  if (blk->map != NULL)
    {
      b->map = blk->map + offset;
      memset (b->map, 0, b->bytes);
    }
  else if (!fill_zero (self, b, error))
    return NULL;
  return b;
}

/* ---- staging ---- */

static gboolean submit_and_wait (TrbVulkanExecutor  *self,
                                 VkCommandBuffer     cb,
                                 GError            **error);

/* Begins the one-off transfer command buffer. */
static VkCommandBuffer
begin_transfer (TrbVulkanExecutor  *self,
                GError            **error)
{
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };

  if (self->transfer_cb == VK_NULL_HANDLE)
    {
      VkCommandBufferAllocateInfo cinfo = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = self->cmd_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
      };

      if (!trb_vulkan_check (vkAllocateCommandBuffers (dev (self), &cinfo, &self->transfer_cb),
                             self->ctx, "vkAllocateCommandBuffers", error))
        return VK_NULL_HANDLE;
    }
  else
    vkResetCommandBuffer (self->transfer_cb, 0);
  if (!trb_vulkan_check (vkBeginCommandBuffer (self->transfer_cb, &begin), self->ctx,
                         "vkBeginCommandBuffer", error))
    return VK_NULL_HANDLE;
  return self->transfer_cb;
}

/* Ends the transfer command buffer with a barrier that makes what it wrote visible to the
 * kernels and the host, then runs it. */
static gboolean
end_transfer (TrbVulkanExecutor  *self,
              GError            **error)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                     VK_ACCESS_TRANSFER_WRITE_BIT,
  };

  vkCmdPipelineBarrier (self->transfer_cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT |
                        VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
  if (!trb_vulkan_check (vkEndCommandBuffer (self->transfer_cb), self->ctx,
                         "vkEndCommandBuffer", error))
    return FALSE;
  return submit_and_wait (self, self->transfer_cb, error);
}

static gboolean
fill_zero (TrbVulkanExecutor  *self,
           Buf                *b,
           GError            **error)
{
  VkCommandBuffer cb;

  if (b->map != NULL)
    {
      memset (b->map, 0, b->bytes);
      return TRUE;
    }
  if ((cb = begin_transfer (self, error)) == VK_NULL_HANDLE)
    return FALSE;
  vkCmdFillBuffer (cb, b->buffer, 0, VK_WHOLE_SIZE, 0);
  return end_transfer (self, error);
}

static gboolean
ensure_staging (TrbVulkanExecutor  *self,
                GError            **error)
{
  if (self->staging == NULL)
    self->staging = new_buf (self, STAGING_BYTES, TRUE, error);
  return self->staging != NULL;
}

/* Copies @bytes from the host into @dst at byte @offset, through staging when unmapped. */
static gboolean
upload (TrbVulkanExecutor  *self,
        Buf                *dst,
        gsize               offset,
        const void         *src,
        gsize               bytes,
        GError            **error)
{
  g_assert (offset + bytes <= dst->bytes);
  if (dst->map != NULL)
    {
      memcpy (dst->map + offset, src, bytes);
      return TRUE;
    }
  if (!ensure_staging (self, error))
    return FALSE;
  for (gsize done = 0; done < bytes; done += STAGING_BYTES)
    {
      gsize chunk = MIN (STAGING_BYTES, bytes - done);
      VkBufferCopy region = { 0, offset + done, chunk };
      VkCommandBuffer cb;

      memcpy (self->staging->map, (const guint8 *) src + done, chunk);
      if ((cb = begin_transfer (self, error)) == VK_NULL_HANDLE)
        return FALSE;
      vkCmdCopyBuffer (cb, self->staging->buffer, dst->buffer, 1, &region);
      if (!end_transfer (self, error))
        return FALSE;
    }
  return TRUE;
}

/* Copies @bytes at byte @offset of @src to the host, through staging when unmapped. */
static gboolean
download (TrbVulkanExecutor  *self,
          Buf                *src,
          gsize               offset,
          void               *dst,
          gsize               bytes,
          GError            **error)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
  };

  g_assert (offset + bytes <= src->bytes);
  if (src->map != NULL)
    {
      memcpy (dst, src->map + offset, bytes);
      return TRUE;
    }
  if (!ensure_staging (self, error))
    return FALSE;
  for (gsize done = 0; done < bytes; done += STAGING_BYTES)
    {
      gsize chunk = MIN (STAGING_BYTES, bytes - done);
      VkBufferCopy region = { offset + done, 0, chunk };
      VkCommandBuffer cb;

      if ((cb = begin_transfer (self, error)) == VK_NULL_HANDLE)
        return FALSE;
      vkCmdPipelineBarrier (cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                            &barrier, 0, NULL, 0, NULL);
      vkCmdCopyBuffer (cb, src->buffer, self->staging->buffer, 1, &region);
      if (!end_transfer (self, error))
        return FALSE;
      memcpy ((guint8 *) dst + done, self->staging->map, chunk);
    }
  return TRUE;
}

static const struct
{
  VkFormat format;
  guint    bytes;
} view_formats[N_VIEW_KINDS] = {
  [VIEW_F32] = { VK_FORMAT_R32_SFLOAT, 4 },
  [VIEW_F32X4] = { VK_FORMAT_R32G32B32A32_SFLOAT, 16 },
  [VIEW_U8X4] = { VK_FORMAT_R8G8B8A8_UINT, 4 },
};

static gboolean
ensure_view (TrbVulkanExecutor  *self,
             Buf                *b,
             ViewKind            kind,
             GError            **error)
{
  const VkPhysicalDeviceProperties *props = trb_vulkan_context_get_properties (self->ctx);
  guint texel = view_formats[kind].bytes;
  VkBufferViewCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
    .buffer = b->buffer,
    .format = view_formats[kind].format,
    .offset = 0,
    .range = b->bytes / texel * texel,
  };
  VkBufferView *view = &b->views[kind];

  if (*view != VK_NULL_HANDLE)
    return TRUE;
  if (b->bytes / texel > props->limits.maxTexelBufferElements)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The model with this batch size needs larger buffers than the graphics "
                     "device allows. Try a smaller batch size."));
      return FALSE;
    }
  return trb_vulkan_check (vkCreateBufferView (dev (self), &info, NULL, view), self->ctx,
                           "vkCreateBufferView", error);
}

/* ---- recording ---- */

typedef struct
{
  TrbVulkanExecutor *self;
  Recording         *rec;
  GError           **error;
  gboolean           failed;
  gboolean           train;
  int                j;          /* the step being recorded, of rec->k */
  UpdateKind         update;
  char               label[64];  /* the next dispatch's name in the profile, if not its kernel */
} Rec;

static Range
whole (Buf *b)
{
  return (Range) { b, 0, b->bytes / 4 };
}

static Range
part (Buf   *b,
      gsize  offset,
      gsize  count)
{
  return (Range) { b, offset, count };
}

static VkWriteDescriptorSet
texel_write (VkDescriptorSet     set,
             guint               binding,
             const VkBufferView *view)
{
  return (VkWriteDescriptorSet) {
    .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
    .dstSet = set,
    .dstBinding = binding,
    .descriptorCount = 1,
    .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
    .pTexelBufferView = view,
  };
}

/* Which view of its inputs each kernel reads through texel bindings A and B. Names are matched
 * by prefix, first match wins; kernels not listed read one float a texel. */
static const struct
{
  const char *prefix;
  const char *suffix;
  ViewKind    a, b;
} texel_inputs[] = {
  /* a data set of bytes, four at a time */
  { "gather4", "", VIEW_U8X4, VIEW_U8X4 },
  /* A and B four floats at a time */
  { "gemm-vec4", "", VIEW_F32X4, VIEW_F32X4 },
  { "gemm-tiled", "-v4", VIEW_F32X4, VIEW_F32X4 },
  { "dense-softmax-xent", "", VIEW_F32X4, VIEW_F32X4 },
  /* only B four floats at a time */
  { "gemm-bv4", "", VIEW_F32, VIEW_F32X4 },
};

static void
texel_kinds (const char *kernel,
             ViewKind   *a,
             ViewKind   *b)
{
  *a = *b = VIEW_F32;
  for (guint i = 0; i < G_N_ELEMENTS (texel_inputs); i++)
    if (g_str_has_prefix (kernel, texel_inputs[i].prefix) &&
        g_str_has_suffix (kernel, texel_inputs[i].suffix))
      {
        *a = texel_inputs[i].a;
        *b = texel_inputs[i].b;
        return;
      }
}

static void
dispatch (Rec         *r,
          const char  *kernel,
          const Range *storage,
          guint        n_storage,
          Buf         *tex_a,
          Buf         *tex_b,
          gboolean     uniform,
          const void  *push,
          gsize        push_size,
          guint        gx,
          guint        gy,
          guint        gz)
{
  TrbVulkanExecutor *self = r->self;
  VkDescriptorSetLayout layout = trb_vulkan_context_get_set_layout (self->ctx);
  VkDescriptorSetAllocateInfo ainfo = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorPool = r->rec->pool,
    .descriptorSetCount = 1,
    .pSetLayouts = &layout,
  };
  VkDescriptorBufferInfo binfo[TRB_VK_STORAGE_BINDINGS + 1];
  VkWriteDescriptorSet writes[TRB_VK_BINDINGS];
  VkBufferView views[2 + TRB_VK_TEXEL_BINDINGS_STATE];
  guint n_writes = 0;
  VkDescriptorSet set;
  VkPipeline pipeline;
  ViewKind kind_a, kind_b;
  /* The fused updates of the texel profile read the optimizer's state as texels (a storage
   * buffer read is a scalar loop on CPU drivers) and write it through storage bindings. */
  gboolean state_texels = strstr (kernel, "-update") != NULL &&
                          (g_str_has_prefix (kernel, "gemm-vec4-tn") ||
                           g_str_has_prefix (kernel, "gemm-bv4"));
  Buf *state[TRB_VK_TEXEL_BINDINGS_STATE] = { self->params, self->m, self->v };
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };

  if (r->failed)
    return;
  texel_kinds (kernel, &kind_a, &kind_b);
  pipeline = trb_vulkan_context_get_pipeline (self->ctx, kernel, r->error);
  if (pipeline == VK_NULL_HANDLE ||
      !trb_vulkan_check (vkAllocateDescriptorSets (dev (self), &ainfo, &set), self->ctx,
                         "vkAllocateDescriptorSets", r->error) ||
      (tex_a && !ensure_view (self, tex_a, kind_a, r->error)) ||
      (tex_b && !ensure_view (self, tex_b, kind_b, r->error)))
    {
      r->failed = TRUE;
      return;
    }

  g_assert (n_storage <= TRB_VK_STORAGE_BINDINGS);
  for (guint i = 0; i < n_storage; i++)
    {
      if (storage[i].buf == NULL)
        continue;
      binfo[i] = (VkDescriptorBufferInfo) {
        storage[i].buf->buffer, storage[i].offset * 4, MAX (storage[i].count, 1) * 4
      };
      writes[n_writes++] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &binfo[i],
      };
    }
  if (tex_a || tex_b)
    {
      Buf *ta = tex_a ? tex_a : tex_b, *tb = tex_b ? tex_b : tex_a;

      /* A kernel that reads one texel binding finds the same view in the other. */
      if (tex_a == NULL)
        kind_a = kind_b;
      if (tex_b == NULL)
        kind_b = kind_a;
      if ((tex_a == NULL && !ensure_view (self, ta, kind_a, r->error)) ||
          (tex_b == NULL && !ensure_view (self, tb, kind_b, r->error)))
        {
          r->failed = TRUE;
          return;
        }
      views[0] = ta->views[kind_a];
      views[1] = tb->views[kind_b];
      for (guint t = 0; t < 2; t++)
        writes[n_writes++] = texel_write (set, TRB_VK_TEXEL_BINDING_A + t, &views[t]);
    }
  for (guint t = 0; state_texels && t < TRB_VK_TEXEL_BINDINGS_STATE; t++)
    {
      if (!ensure_view (self, state[t], VIEW_F32X4, r->error))
        {
          r->failed = TRUE;
          return;
        }
      views[2 + t] = state[t]->views[VIEW_F32X4];
      writes[n_writes++] = texel_write (set, TRB_VK_TEXEL_BINDING_W + t, &views[2 + t]);
    }
  if (uniform)
    {
      binfo[TRB_VK_STORAGE_BINDINGS] = (VkDescriptorBufferInfo) {
        self->step->buffer, (VkDeviceSize) r->j * STEP_STRIDE, sizeof (StepUniform)
      };
      writes[n_writes++] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = TRB_VK_UNIFORM_BINDING,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
        .pBufferInfo = &binfo[TRB_VK_STORAGE_BINDINGS],
      };
    }
  vkUpdateDescriptorSets (dev (self), n_writes, writes, 0, NULL);

  vkCmdBindPipeline (r->rec->cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
  vkCmdBindDescriptorSets (r->rec->cb, VK_PIPELINE_BIND_POINT_COMPUTE,
                           trb_vulkan_context_get_pipeline_layout (self->ctx), 0, 1, &set, 0,
                           NULL);
  vkCmdPushConstants (r->rec->cb, trb_vulkan_context_get_pipeline_layout (self->ctx),
                      VK_SHADER_STAGE_COMPUTE_BIT, 0, (guint32) push_size, push);
  vkCmdDispatch (r->rec->cb, gx, gy, gz);
  vkCmdPipelineBarrier (r->rec->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                        VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                        &barrier, 0, NULL, 0, NULL);
  if (r->rec->labels != NULL && r->rec->dispatches + 1 < PROFILE_QUERIES)
    {
      vkCmdWriteTimestamp (r->rec->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, self->profile,
                           r->rec->dispatches + 1);
      g_ptr_array_add (r->rec->labels, g_strdup (r->label[0] ? r->label : kernel));
    }
  r->label[0] = '\0';
  r->rec->dispatches++;
}

/* One invocation per element, 64 per workgroup, spilling into y past 65,535 groups. */
static void
dispatch_elements (Rec         *r,
                   const char  *kernel,
                   const Range *storage,
                   guint        n_storage,
                   gboolean     uniform,
                   const void  *push,
                   gsize        push_size,
                   gsize        total)
{
  gsize groups = (total + 63) / 64;
  guint gx = (guint) MIN (groups, 65535), gy = (guint) ((groups + 65534) / 65535);

  dispatch (r, kernel, storage, n_storage, NULL, NULL, uniform, push, push_size, gx, MAX (gy, 1),
            1);
}

typedef struct
{
  gint32 m, n, k;
  gint32 a_off, a_si, a_sp;
  gint32 b_off, b_sp, b_sj;
  gint32 a_bs, b_bs, c_bs;
  gint32 ldc, flags;
  float  alpha;
  gint32 w_off, bias_off;   /* the fused update's parameters, in floats */
} GemmPush;

/* Which vec4 kernel, if any, can read both operands four floats at a time: every size, stride
 * and offset along the direction read must be a multiple of four. */
static const char *
gemm_vec4_kernel (const GemmPush *p)
{
  gboolean offsets = p->a_off % 4 == 0 && p->b_off % 4 == 0 && p->a_bs % 4 == 0 &&
                     p->b_bs % 4 == 0;

  if (!offsets || p->m < 8 || p->n < 8)
    return NULL;
  /* A along K, B along N */
  if (p->a_sp == 1 && p->b_sj == 1 && p->k % 4 == 0 && p->n % 4 == 0 && p->a_si % 4 == 0 &&
      p->b_sp % 4 == 0)
    return "gemm-vec4";
  /* A along K, B along K */
  if (p->a_sp == 1 && p->b_sp == 1 && p->k % 4 == 0 && p->a_si % 4 == 0 && p->b_sj % 4 == 0)
    return "gemm-vec4-nt";
  /* A along M, B along N */
  if (p->a_si == 1 && p->b_sj == 1 && p->m % 4 == 0 && p->n % 4 == 0 && p->a_sp % 4 == 0 &&
      p->b_sp % 4 == 0)
    return "gemm-vec4-tn";
  return NULL;
}

/* Whether a GPU's block tiles can fetch A and B four floats at a time along the direction
 * each lies in memory, and write C (and read the bias and the mask) so: if they can, the
 * flags that tell the kernel those directions. */
static gboolean
gemm_tiled_vec4_fits (const GemmPush *p,
                      Range           c,
                      Range           bias,
                      Range           mask,
                      int            *flags)
{
  gboolean a_k = p->a_sp == 1 && p->k % 4 == 0 && p->a_si % 4 == 0;
  gboolean a_m = p->a_si == 1 && p->m % 4 == 0 && p->a_sp % 4 == 0;
  gboolean b_n = p->b_sj == 1 && p->n % 4 == 0 && p->b_sp % 4 == 0;
  gboolean b_k = p->b_sp == 1 && p->k % 4 == 0 && p->b_sj % 4 == 0;

  if (!(a_k || a_m) || !(b_n || b_k) || p->a_off % 4 != 0 || p->b_off % 4 != 0 ||
      p->a_bs % 4 != 0 || p->b_bs % 4 != 0 || p->n % 4 != 0 || p->ldc % 4 != 0 ||
      p->c_bs % 4 != 0 || c.offset % 4 != 0 || bias.offset % 4 != 0 || mask.offset % 4 != 0)
    return FALSE;
  *flags = (a_k ? 0 : GEMM_A_ALONG_M) | (b_n ? 0 : GEMM_B_ALONG_K);
  return TRUE;
}

/* Whether the bv4 kernels can read B four floats at a time (along N) and write C so. */
static gboolean
gemm_bv4_fits (const GemmPush *p)
{
  return p->b_sj == 1 && p->n % 4 == 0 && p->b_sp % 4 == 0 && p->b_off % 4 == 0 &&
         p->b_bs % 4 == 0 && p->ldc % 4 == 0 && p->c_bs % 4 == 0;
}

/* Workgroups of 8 invocations for the tiles of @tm rows × 8 columns of an m × n C, numbered
 * row by row. */
static guint
linear_groups (int m,
               int n,
               int tm)
{
  return (guint) ((((gsize) m + tm - 1) / tm * (((gsize) n + 7) / 8) + 7) / 8);
}

/* Whether the tiles fit in one row of workgroups (at least 65,535 of them on every device). */
static gboolean
linear_tiles (int m,
              int n,
              int tm)
{
  return linear_groups (m, n, tm) <= 65535;
}

/* Tiles of 5 rows where they cover M with much less waste than tiles of 8 (a batch of 10). */
static gboolean
prefer_5_rows (int m)
{
  return (m + 4) / 5 * 5 * 5 < (m + 7) / 8 * 8 * 4;
}

/* C (a range) = op(A)·op(B) with A and B addressed by strides inside whole buffers. */
static void
gemm (Rec      *r,
      GemmPush *p,
      Range     c,
      Buf      *a,
      Buf      *b,
      Range     bias,
      Range     mask,
      int       batch)
{
  const char *kernel;
  char variant[32];
  gboolean linear = FALSE;
  int tm, tn;
  Range storage[3] = { c, bias, mask };
  int directions;

  /* A GPU's block tiles (64×64 per workgroup of 16×16, or 128×128 where C has room for them)
   * are dispatched like a register tile of 8×8 (16×16) per invocation of an 8×8 workgroup. */
  if (use_tiled_gemm (r->self))
    {
      gboolean big = p->m >= 128 && p->n >= 128;
      gboolean vec4 = gemm_tiled_vec4_fits (p, c, bias, mask, &directions);

      kernel = big ? (vec4 ? "gemm-tiled-128-v4" : "gemm-tiled-128") :
                     (vec4 ? "gemm-tiled-v4" : "gemm-tiled");
      tm = tn = big ? 16 : 8;
      if (vec4)
        p->flags |= directions;
    }
  /* The vec4 and bv4 kernels deal their tiles out one by one along x, in workgroups of 8
   * invocations: one SIMD vector on lavapipe, all busy but at the very end of C. */
  else if (gemm_vec4_kernel (p) != NULL && linear_tiles (p->m, p->n, 8))
    {
      kernel = gemm_vec4_kernel (p), tm = 8, tn = 8, linear = TRUE;
      /* Where tiles of 5 rows cover M with much less waste (a batch of 10: 16 rows of
       * tiles of 8), A·B and A·Bᵀ take them; Aᵀ·B reads A four rows at a time. */
      if (strcmp (kernel, "gemm-vec4-tn") != 0 && prefer_5_rows (p->m))
        {
          g_snprintf (variant, sizeof variant, "%s-5", kernel);
          kernel = variant;
          tm = 5;
        }
    }
  /* Only B along N in fours: A one float at a time, C written in fours. */
  else if (gemm_bv4_fits (p) && c.offset % 4 == 0 && mask.offset % 4 == 0 &&
           bias.offset % 4 == 0 && linear_tiles (p->m, p->n, prefer_5_rows (p->m) ? 5 : 8))
    {
      gboolean five = prefer_5_rows (p->m);

      kernel = five ? "gemm-bv4-5" : "gemm-bv4", tm = five ? 5 : 8, tn = 8, linear = TRUE;
    }
  else if ((gsize) p->m * p->n >= 64 * 256)
    kernel = "gemm-8x8", tm = 8, tn = 8;
  else if (p->m < 8)
    kernel = "gemm-2x8", tm = 2, tn = 8;
  else
    kernel = "gemm-4x4", tm = 4, tn = 4;
  /* The scalar kernels, and the vec4 ones but Aᵀ·B, write four floats at a time where C's
   * (and the bias's and the mask's) rows allow. */
  if ((g_ascii_isdigit (kernel[5]) ||
       (g_str_has_prefix (kernel, "gemm-vec4") && strcmp (kernel, "gemm-vec4-tn") != 0)) &&
      p->n % 4 == 0 && p->ldc % 4 == 0 && p->c_bs % 4 == 0 && c.offset % 4 == 0 &&
      mask.offset % 4 == 0 && bias.offset % 4 == 0)
    {
      g_autofree char *out4 = g_strconcat (kernel, "-v4", NULL);

      g_strlcpy (variant, out4, sizeof variant);
      kernel = variant;
    }
  if (bias.buf == NULL)
    storage[1] = c;
  if (mask.buf == NULL)
    storage[2] = c;
  p->alpha = p->alpha == 0 ? 1.0f : p->alpha;
  if (r->rec->labels != NULL)
    g_snprintf (r->label, sizeof r->label, "%s %dx%dx%d%s", kernel, p->m, p->n, p->k,
                batch > 1 ? " (batched)" : "");
  if (linear)
    dispatch (r, kernel, storage, 3, a, b, FALSE, p, sizeof *p,
              linear_groups (p->m, p->n, tm), 1, (guint) MAX (batch, 1));
  else
    dispatch (r, kernel, storage, 3, a, b, FALSE, p, sizeof *p,
              (guint) ((p->n + tn * 8 - 1) / (tn * 8)), (guint) ((p->m + tm * 8 - 1) / (tm * 8)),
              (guint) MAX (batch, 1));
}

/* A dense layer's weight gradient Wg[out×in] = dYᵀ·X fused with the optimizer: the gradient,
 * and the bias gradient Σ dY summed along the way, go straight into the update of the layer's
 * weights and bias (at p->w_off and p->bias_off) and of their optimizer state, so that neither
 * is written out and read back, the bias needs no reduction and the layer no optimizer pass. */
static void
gemm_update (Rec      *r,
             GemmPush *p,
             Buf      *a,
             Buf      *b)
{
  TrbVulkanExecutor *self = r->self;
  const char *vec4 = gemm_vec4_kernel (p);
  gboolean tn = vec4 != NULL && strcmp (vec4, "gemm-vec4-tn") == 0 && p->w_off % 4 == 0 &&
                p->bias_off % 4 == 0 && p->ldc % 4 == 0 && linear_tiles (p->m, p->n, 8);
  gboolean bv4 = !tn && gemm_bv4_fits (p) && p->w_off % 4 == 0 &&
                 linear_tiles (p->m, p->n, prefer_5_rows (p->m) ? 5 : 8);
  gboolean five = bv4 && prefer_5_rows (p->m);
  g_autofree char *kernel = g_strconcat (tn ? "gemm-vec4-tn-update" :
                                         five ? "gemm-bv4-5-update" :
                                         bv4 ? "gemm-bv4-update" : "gemm-update",
                                         update_suffix[r->update], NULL);
  int tile = tn || bv4 ? 8 : 4;
  Range storage[4] = { whole (self->params), whole (self->m), whole (self->v),
                       whole (self->anchor) };

  p->alpha = p->alpha == 0 ? 1.0f : p->alpha;
  if (r->rec->labels != NULL)
    g_snprintf (r->label, sizeof r->label, "%s %dx%dx%d", kernel, p->m, p->n, p->k);
  if (tn || bv4)
    dispatch (r, kernel, storage, 4, a, b, TRUE, p, sizeof *p,
              linear_groups (p->m, p->n, five ? 5 : 8), 1, 1);
  else
    dispatch (r, kernel, storage, 4, a, b, TRUE, p, sizeof *p,
              (guint) ((p->n + tile * 8 - 1) / (tile * 8)), (guint) ((p->m + tile - 1) / tile),
              1);
}

/* Whether dense layers update their parameters in their weight-gradient GEMM (the texel
 * profile; the GPU profile keeps the separate gradient, reduction and optimizer passes). */
static gboolean
fuses_dense_update (TrbVulkanExecutor *self)
{
  return !use_tiled_gemm (self);
}

/* The most classes dense-softmax-xent.comp handles. */
#define FUSED_LOSS_MAX_CLASSES 16

/* Whether the last layer, a dense one, is computed with the loss in one kernel (the texel
 * profile, inputs in fours): its logits are never written out. */
static gboolean
fuses_dense_loss (TrbVulkanExecutor *self)
{
  const TrbLayer *l = trb_model_spec_get_layer (self->spec, self->n_layers - 1);

  return !use_tiled_gemm (self) && l->kind == TRB_LAYER_DENSE && l->in_c % 4 == 0 &&
         l->out_c <= FUSED_LOSS_MAX_CLASSES;
}

static gsize
out_size (const TrbLayer *l)
{
  return (gsize) l->out_c * l->out_h * l->out_w;
}

static gsize
in_size (const TrbLayer *l)
{
  return (gsize) l->in_c * l->in_h * l->in_w;
}

typedef struct
{
  gint32 n, c, h, w, oh, ow, kh, kw, stride, pad_h, pad_w, total;
} ConvPush;

static ConvPush
conv_push (const TrbLayer *l,
           int             n,
           gsize           total)
{
  return (ConvPush) { n, l->in_c, l->in_h, l->in_w, l->out_h, l->out_w, l->kernel_h,
                      l->kernel_w, l->stride, l->pad_h, l->pad_w, (gint32) total };
}

typedef struct
{
  gint32 h, w, oh, ow, kh, kw, stride, total;
} PoolPush;

typedef struct
{
  gint32  total;
  guint32 layer, threshold_hi, threshold_lo;
  float   scale;
} DropoutPush;

/* y = dropout (x) of layer @index, or a plain copy when @drop is false. The same kernel serves
 * the backward pass, since the mask and scale are the same. */
static void
record_dropout (Rec            *r,
                const TrbLayer *l,
                guint           index,
                int             n,
                Buf            *x,
                Buf            *y,
                gboolean        drop)
{
  gsize total = (gsize) n * in_size (l);
  /* Element i is kept when its 53-bit uniform u satisfies u / 2⁵³ ≥ rate, that is when
   * u ≥ ⌈rate · 2⁵³⌉ (exact: scaling by a power of two loses nothing). */
  guint64 threshold = drop ? (guint64) ceil (l->rate * 9007199254740992.0) : 0;
  DropoutPush push = { (gint32) total, index, (guint32) (threshold >> 32), (guint32) threshold,
                       drop ? (float) (1.0 / (1.0 - l->rate)) : 1.0f };
  Range st[2] = { part (x, 0, total), part (y, 0, total) };

  dispatch_elements (r, "dropout", st, 2, TRUE, &push, sizeof push, total);
}

static void
record_forward (Rec *r,
                int  n)
{
  TrbVulkanExecutor *self = r->self;

  for (guint i = 0; i < self->n_layers; i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);
      gboolean fuse = i + 1 < self->n_layers && self->relu_fused[i + 1];
      Buf *x = self->acts[i], *y = self->acts[i + 1];

      switch (l->kind)
        {
        case TRB_LAYER_DENSE:
          if (i + 1 == self->n_layers && fuses_dense_loss (self))
            break;   /* in record_loss() */
          {
            GemmPush p = { n, l->out_c, l->in_c, 0, l->in_c, 1,
                           (gint32) self->param_off[l->weight_index], 1, l->in_c,
                           0, 0, 0, l->out_c, GEMM_BIAS_COL | (fuse ? GEMM_RELU : 0), 1 };
            gemm (r, &p, part (y, 0, (gsize) n * l->out_c), x, self->params,
                  part (self->params, self->param_off[l->bias_index], l->out_c),
                  (Range) { 0 }, 1);
          }
          break;
        case TRB_LAYER_CONV2D:
          {
            int K = l->in_c * l->kernel_h * l->kernel_w, P = l->out_h * l->out_w;
            gsize total = (gsize) K * n * P;
            ConvPush cp = conv_push (l, n, total);
            Range st[2] = { part (x, 0, (gsize) n * in_size (l)), part (self->cols[i], 0, total) };
            GemmPush p = { l->out_c, P, K, (gint32) self->param_off[l->weight_index], K, 1,
                           0, n * P, 1, 0, P, l->out_c * P, P,
                           GEMM_BIAS_ROW | (fuse ? GEMM_RELU : 0), 1 };

            dispatch_elements (r, "im2col", st, 2, FALSE, &cp, sizeof cp, total);
            gemm (r, &p, part (y, 0, (gsize) n * out_size (l)), self->params, self->cols[i],
                  part (self->params, self->param_off[l->bias_index], l->out_c),
                  (Range) { 0 }, n);
          }
          break;
        case TRB_LAYER_MAXPOOL2D:
          {
            gsize total = (gsize) n * out_size (l);
            PoolPush pp = { l->in_h, l->in_w, l->out_h, l->out_w, l->kernel_h, l->kernel_w,
                            l->stride, (gint32) total };
            Range st[3] = { part (x, 0, (gsize) n * in_size (l)), part (y, 0, total),
                            part (self->argmax[i], 0, total) };

            dispatch_elements (r, "maxpool", st, 3, FALSE, &pp, sizeof pp, total);
          }
          break;
        case TRB_LAYER_RELU:
          if (!self->relu_fused[i])
            {
              gsize total = (gsize) n * out_size (l);
              gint32 push = (gint32) total;
              Range st[3] = { part (x, 0, total), part (y, 0, total), part (x, 0, total) };

              /* max(x, 0) is the backward kernel with dy = y = x. */
              dispatch_elements (r, "relu-backward", st, 3, FALSE, &push, sizeof push, total);
            }
          break;
        case TRB_LAYER_DROPOUT:
          /* Evaluation copies: dropout only acts while training. */
          if (l->rate > 0)
            record_dropout (r, l, i, n, x, y, r->train);
          break;
        case TRB_LAYER_FLATTEN:
        default:
          break;
        }
    }
}

typedef struct
{
  gint32 n, features, total;
  float  scale;
} GatherPush;

static void
record_gather (Rec *r,
               int  n)
{
  TrbVulkanExecutor *self = r->self;
  gsize fs = trb_model_spec_get_input_size (self->spec);
  GatherPush push = { n, (gint32) fs, (gint32) ((gsize) n * fs), self->data_scale };
  Range st[5] = { whole (self->data), part (self->x, 0, (gsize) n * fs),
                  part (self->indices, (gsize) r->j * n, n), whole (self->data_labels),
                  part (self->labels, 0, n) };

  /* Four bytes a texel where the samples' features come in fours and the device allows it. */
  if (self->data_texels && fs % 4 == 0)
    {
      gsize groups = ((gsize) n * fs / 4 + 63) / 64;

      push.total = (gint32) ((gsize) n * fs / 4);
      st[0] = (Range) { 0 };
      dispatch (r, "gather4", st, 5, self->data, NULL, FALSE, &push, sizeof push,
                (guint) MIN (groups, 65535), (guint) MAX ((groups + 65534) / 65535, 1), 1);
    }
  else
    dispatch_elements (r, "gather", st, 5, FALSE, &push, sizeof push, (gsize) n * fs);
}

static void
record_loss (Rec      *r,
             int       n,
             gboolean  want_grad)
{
  TrbVulkanExecutor *self = r->self;
  int classes = trb_model_spec_get_n_classes (self->spec);
  Range st[4] = { part (self->acts[self->n_layers], 0, (gsize) n * classes),
                  part (self->d_a, 0, (gsize) n * classes), part (self->labels, 0, n),
                  part (self->stats, 2 * (gsize) r->j * n, 2 * (gsize) n) };

  if (fuses_dense_loss (self))
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, self->n_layers - 1);
      gint32 push[6] = { n, classes, want_grad, l->in_c,
                         (gint32) self->param_off[l->weight_index],
                         (gint32) self->param_off[l->bias_index] };

      st[0] = (Range) { 0 };
      dispatch (r, classes == 10 ? "dense-softmax-xent-10" : "dense-softmax-xent", st, 4,
                self->acts[self->n_layers - 1], self->params, FALSE, push, sizeof push,
                (guint) (n + 7) / 8, 1, 1);
    }
  else
    {
      gint32 push[3] = { n, classes, want_grad };

      dispatch_elements (r, "softmax-xent", st, 4, FALSE, push, sizeof push, n);
    }
}

static void
record_backward (Rec *r,
                 int  n)
{
  TrbVulkanExecutor *self = r->self;
  Buf *dcur = self->d_a, *dnext = self->d_b;
  gboolean masked = FALSE;
  gboolean fused = fuses_dense_update (self);
  guint n_tensors = trb_weights_get_n_tensors (self->layout);
  g_autofree gboolean *updated = g_new0 (gboolean, n_tensors);

  for (int i = (int) self->n_layers - 1; i >= 0; i--)
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);
      gboolean need_dx = i > 0;
      gboolean swap = FALSE;
      /* Whether the layer below is a ReLU fused into the one below it: its mask can be
       * applied by this layer's data-gradient GEMM. */
      gboolean mask_next = i > 0 && self->relu_fused[i - 1];

      switch (l->kind)
        {
        case TRB_LAYER_DENSE:
          {
            int in = l->in_c, out = l->out_c;
            GemmPush pw = { out, in, n, 0, 1, out, 0, in, 1, 0, 0, 0, in, 0, 1 };
            gint32 rp[4] = { n, 1, out, out };
            Range st[2] = { part (dcur, 0, (gsize) n * out),
                            part (self->grads, self->param_off[l->bias_index], out) };

            if (!fused)
              {
                gemm (r, &pw, part (self->grads, self->param_off[l->weight_index],
                                    (gsize) out * in),
                      dcur, self->acts[i], (Range) { 0 }, (Range) { 0 }, 1);
                dispatch (r, "reduce", st, 2, NULL, NULL, FALSE, rp, sizeof rp, (guint) out,
                          1, 1);
              }
            /* The data gradient reads the weights before the fused update changes them. */
            if (need_dx)
              {
                GemmPush pd = { n, in, out, 0, out, 1, (gint32) self->param_off[l->weight_index],
                                in, 1, 0, 0, 0, in, mask_next ? GEMM_MASK : 0, 1 };

                gemm (r, &pd, part (dnext, 0, (gsize) n * in), dcur, self->params,
                      (Range) { 0 }, mask_next ? part (self->acts[i], 0, (gsize) n * in) :
                      (Range) { 0 }, 1);
                masked = mask_next;
                swap = TRUE;
              }
            if (fused)
              {
                pw.w_off = (gint32) self->param_off[l->weight_index];
                pw.bias_off = (gint32) self->param_off[l->bias_index];
                gemm_update (r, &pw, dcur, self->acts[i]);
              }
          }
          break;
        case TRB_LAYER_CONV2D:
          {
            int K = l->in_c * l->kernel_h * l->kernel_w, P = l->out_h * l->out_w, nP = n * P;
            gint32 perm[4] = { n, l->out_c, P, n * l->out_c * P };
            Range pst[2] = { part (dcur, 0, (gsize) n * out_size (l)),
                             part (self->tmp, 0, (gsize) l->out_c * nP) };
            GemmPush pw = { l->out_c, K, nP, 0, nP, 1, 0, 1, nP, 0, 0, 0, K, 0, 1 };
            gint32 rp[4] = { nP, nP, 1, l->out_c };
            Range rst[2] = { part (self->tmp, 0, (gsize) l->out_c * nP),
                             part (self->grads, self->param_off[l->bias_index], l->out_c) };

            dispatch_elements (r, "permute", pst, 2, FALSE, perm, sizeof perm,
                               (gsize) n * out_size (l));
            gemm (r, &pw,
                  part (self->grads, self->param_off[l->weight_index], (gsize) l->out_c * K),
                  self->tmp, self->cols[i], (Range) { 0 }, (Range) { 0 }, 1);
            dispatch (r, "reduce", rst, 2, NULL, NULL, FALSE, rp, sizeof rp, (guint) l->out_c, 1,
                      1);
            if (need_dx)
              {
                GemmPush pd = { K, nP, l->out_c, (gint32) self->param_off[l->weight_index], 1, K,
                                0, nP, 1, 0, 0, 0, nP, 0, 1 };
                gsize total = (gsize) n * in_size (l);
                ConvPush cp = conv_push (l, n, total);
                Range cst[2] = { part (self->cols[i], 0, (gsize) K * nP), part (dnext, 0, total) };

                gemm (r, &pd, part (self->cols[i], 0, (gsize) K * nP), self->params, self->tmp,
                      (Range) { 0 }, (Range) { 0 }, 1);
                dispatch_elements (r, "col2im", cst, 2, FALSE, &cp, sizeof cp, total);
                masked = FALSE;
                swap = TRUE;
              }
          }
          break;
        case TRB_LAYER_MAXPOOL2D:
          if (need_dx)
            {
              gsize total = (gsize) n * in_size (l);
              PoolPush pp = { l->in_h, l->in_w, l->out_h, l->out_w, l->kernel_h, l->kernel_w,
                              l->stride, (gint32) total };
              Range st[3] = { part (dcur, 0, (gsize) n * out_size (l)), part (dnext, 0, total),
                              part (self->argmax[i], 0, (gsize) n * out_size (l)) };

              dispatch_elements (r, "maxpool-backward", st, 3, FALSE, &pp, sizeof pp, total);
              masked = FALSE;
              swap = TRUE;
            }
          break;
        case TRB_LAYER_RELU:
          if (need_dx && !masked)
            {
              gsize total = (gsize) n * in_size (l);
              gint32 push = (gint32) total;
              Range st[3] = { part (dcur, 0, total), part (dnext, 0, total),
                              part (self->acts[i + 1], 0, total) };

              dispatch_elements (r, "relu-backward", st, 3, FALSE, &push, sizeof push, total);
              swap = TRUE;
            }
          masked = FALSE;
          break;
        case TRB_LAYER_DROPOUT:
          if (need_dx && l->rate > 0)
            {
              record_dropout (r, l, (guint) i, n, dcur, dnext, TRUE);
              swap = TRUE;
            }
          masked = FALSE;
          break;
        case TRB_LAYER_FLATTEN:
        default:
          break;
        }
      if (swap)
        {
          Buf *t = dcur;
          dcur = dnext;
          dnext = t;
        }
    }

  /* The optimizer takes the parameters the GEMMs did not update, one dispatch for each run of
   * neighbouring tensors (all of them on the GPU profile, none for a model of dense layers). */
  for (guint i = 0; i < self->n_layers && fused; i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);

      if (l->kind == TRB_LAYER_DENSE)
        updated[l->weight_index] = updated[l->bias_index] = TRUE;
    }
  for (guint t = 0; t < n_tensors; )
    {
      guint end = t;
      gsize first = self->param_off[t], last;
      gint32 push[2];
      Range st[5] = { whole (self->params), whole (self->grads), whole (self->m),
                      whole (self->v), whole (self->anchor) };

      if (updated[t])
        {
          t++;
          continue;
        }
      while (end + 1 < n_tensors && !updated[end + 1])
        end++;
      last = end + 1 < n_tensors ? self->param_off[end + 1] : self->param_total;
      /* Offsets and sizes are multiples of TENSOR_ALIGN, so of four. */
      push[0] = (gint32) ((last - first) / 4);
      push[1] = (gint32) (first / 4);
      dispatch_elements (r, "optimizer", st, 5, TRUE, push, sizeof push, (last - first) / 4);
      t = end + 1;
    }
}

/* The recording of @k steps (k ≥ 1) of @n samples, from the cache or recorded now. Step j
 * reads its values from slot j of the step buffer, its indices and writes its statistics at
 * j·n in theirs; everything else is shared, since the steps run one after the other. */
static Recording *
get_recording (TrbVulkanExecutor  *self,
               int                 n,
               gboolean            train,
               gboolean            indexed,
               int                 k,
               UpdateKind          update,
               GError            **error)
{
  Recording *slot = NULL;
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
  };
  Rec r = { self, NULL, error, FALSE, train, 0, update };
  guint sets = SETS_PER_STEP * (guint) k;

  for (guint i = 0; i < N_RECORDINGS; i++)
    if (self->rec[i].cb != VK_NULL_HANDLE && self->rec[i].n == n && self->rec[i].k == k &&
        self->rec[i].train == train && self->rec[i].indexed == indexed &&
        self->rec[i].update == update)
      {
        self->rec[i].last_used = ++self->use_counter;
        return &self->rec[i];
      }
  /* Replace the least recently used recording. */
  for (guint i = 0; i < N_RECORDINGS; i++)
    if (slot == NULL || self->rec[i].last_used < slot->last_used)
      slot = &self->rec[i];

  if (slot->pool != VK_NULL_HANDLE && slot->sets < sets)
    {
      vkDestroyDescriptorPool (dev (self), slot->pool, NULL);
      slot->pool = VK_NULL_HANDLE;
    }
  if (slot->pool == VK_NULL_HANDLE)
    {
      VkDescriptorPoolSize sizes[] = {
        { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, sets * TRB_VK_STORAGE_BINDINGS },
        { VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, sets * TRB_VK_TEXEL_BINDINGS },
        { VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, sets },
      };
      VkDescriptorPoolCreateInfo pinfo = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = sets,
        .poolSizeCount = G_N_ELEMENTS (sizes),
        .pPoolSizes = sizes,
      };

      if (!trb_vulkan_check (vkCreateDescriptorPool (dev (self), &pinfo, NULL, &slot->pool),
                             self->ctx, "vkCreateDescriptorPool", error))
        return NULL;
      slot->sets = sets;
    }
  else
    vkResetDescriptorPool (dev (self), slot->pool, 0);
  if (slot->cb == VK_NULL_HANDLE)
    {
      VkCommandBufferAllocateInfo cinfo = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = self->cmd_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
      };

      if (!trb_vulkan_check (vkAllocateCommandBuffers (dev (self), &cinfo, &slot->cb),
                             self->ctx, "vkAllocateCommandBuffers", error))
        return NULL;
    }
  else
    vkResetCommandBuffer (slot->cb, 0);
  slot->n = -1;
  slot->dispatches = 0;
  print_profile (slot);
  g_clear_pointer (&slot->labels, g_ptr_array_unref);
  g_clear_pointer (&slot->profile_us, g_array_unref);
  if (self->profile != VK_NULL_HANDLE)
    slot->labels = g_ptr_array_new_with_free_func (g_free);
  r.rec = slot;
  if (!trb_vulkan_check (vkBeginCommandBuffer (slot->cb, &begin), self->ctx,
                         "vkBeginCommandBuffer", error))
    return NULL;
  if (slot->labels != NULL)
    {
      vkCmdResetQueryPool (slot->cb, self->profile, 0, PROFILE_QUERIES);
      vkCmdWriteTimestamp (slot->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, self->profile, 0);
    }
  if (self->queries != VK_NULL_HANDLE)
    {
      vkCmdResetQueryPool (slot->cb, self->queries, 0, 2);
      vkCmdWriteTimestamp (slot->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, self->queries, 0);
    }
  for (r.j = 0; r.j < k; r.j++)
    {
      if (indexed)
        record_gather (&r, n);
      record_forward (&r, n);
      record_loss (&r, n, train);
      if (train)
        record_backward (&r, n);
    }
  if (self->queries != VK_NULL_HANDLE)
    vkCmdWriteTimestamp (slot->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, self->queries, 1);
  if (r.failed)
    {
      vkEndCommandBuffer (slot->cb);
      return NULL;
    }
  if (!trb_vulkan_check (vkEndCommandBuffer (slot->cb), self->ctx, "vkEndCommandBuffer", error))
    return NULL;
  slot->n = n;
  slot->k = k;
  slot->train = train;
  slot->indexed = indexed;
  slot->update = update;
  slot->last_used = ++self->use_counter;
  if (train && n == self->max_batch && k == 1)
    self->dispatches_per_step = slot->dispatches;
  if (slot->labels != NULL)
    slot->profile_us = g_array_new (FALSE, FALSE, sizeof (double));
  return slot;
}

static gboolean submit_and_wait (TrbVulkanExecutor  *self,
                                 VkCommandBuffer     cb,
                                 GError            **error);

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

  if (!submit_and_wait (self, rec->cb, error))
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

static gboolean
submit_and_wait (TrbVulkanExecutor  *self,
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

static gboolean
ensure_device (TrbVulkanExecutor  *self,
               GError            **error)
{
  if (!trb_vulkan_context_is_lost (self->ctx))
    return TRUE;
  /* The device was lost: everything made from it is gone. Start over on a new one. */
  {
    TrbVulkanContext *fresh = trb_vulkan_context_new (self->device_index, error);

    if (fresh == NULL)
      return FALSE;
    release (self);
    g_object_unref (self->ctx);
    self->ctx = fresh;
  }
  return TRUE;
}

static gboolean
vulkan_prepare (TrbExecutor   *executor,
                TrbModelSpec  *spec,
                int            max_batch,
                GError       **error)
{
  TrbVulkanExecutor *self = TRB_VULKAN_EXECUTOR (executor);
  guint n_params;
  gsize max_act, tmp = 16;
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
  };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

  if (!ensure_device (self, error))
    return FALSE;
  release (self);

  self->spec = g_object_ref (spec);
  self->layout = trb_model_spec_init_weights (spec, 0);
  self->max_batch = max_batch;
  self->n_layers = trb_model_spec_get_n_layers (spec);
  self->blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  self->bufs = g_ptr_array_new_with_free_func (g_free);

  /* Buffers the host does not map are cleared with commands: the pool comes first. */
  pool_info.queueFamilyIndex = trb_vulkan_context_get_queue_family (self->ctx);
  if (!trb_vulkan_check (vkCreateCommandPool (dev (self), &pool_info, NULL, &self->cmd_pool),
                         self->ctx, "vkCreateCommandPool", error) ||
      !trb_vulkan_check (vkCreateFence (dev (self), &fence_info, NULL, &self->fence), self->ctx,
                         "vkCreateFence", error))
    {
      release (self);
      return FALSE;
    }

  n_params = trb_weights_get_n_tensors (self->layout);
  self->param_off = g_new0 (gsize, n_params);
  self->param_total = 0;
  for (guint i = 0; i < n_params; i++)
    {
      self->param_off[i] = self->param_total;
      self->param_total += (trb_weights_get_n_elements (self->layout, i) + TENSOR_ALIGN - 1) /
                           TENSOR_ALIGN * TENSOR_ALIGN;
    }

#define NEW_IN(var, bytes, host) G_STMT_START { \
    if (((var) = new_buf (self, (bytes), (host), error)) == NULL) \
      { release (self); return FALSE; } \
  } G_STMT_END
#define NEW(var, bytes) NEW_IN (var, bytes, FALSE)

  NEW (self->params, self->param_total * 4);
  NEW (self->grads, self->param_total * 4);
  NEW (self->m, self->param_total * 4);
  NEW (self->v, self->param_total * 4);
  NEW (self->anchor, self->param_total * 4);
  /* What the host writes or reads at every step stays mappable. */
  NEW_IN (self->step, (gsize) STEP_STRIDE * TRB_EXECUTOR_MAX_STEPS, TRUE);
  NEW_IN (self->labels, (gsize) max_batch * 4, TRUE);
  NEW_IN (self->stats, (gsize) max_batch * 8 * TRB_EXECUTOR_MAX_STEPS, TRUE);
  max_act = trb_model_spec_get_max_activations (spec);
  NEW (self->d_a, (gsize) max_batch * max_act * 4);
  NEW (self->d_b, (gsize) max_batch * max_act * 4);

  self->acts = g_new0 (Buf *, self->n_layers + 1);
  self->cols = g_new0 (Buf *, self->n_layers);
  self->argmax = g_new0 (Buf *, self->n_layers);
  self->relu_fused = g_new0 (gboolean, self->n_layers);
  NEW_IN (self->acts[0], (gsize) max_batch * trb_model_spec_get_input_size (spec) * 4, TRUE);
  self->x = self->acts[0];
  for (guint i = 0; i < self->n_layers; i++)
    {
      const TrbLayer *l = trb_model_spec_get_layer (spec, i);
      const TrbLayer *prev = i > 0 ? trb_model_spec_get_layer (spec, i - 1) : NULL;

      if (l->kind == TRB_LAYER_RELU && prev &&
          (prev->kind == TRB_LAYER_DENSE || prev->kind == TRB_LAYER_CONV2D))
        self->relu_fused[i] = TRUE;
      /* Dropout writes a buffer of its own: the layer below may still need its output. */
      if (l->kind == TRB_LAYER_FLATTEN || (l->kind == TRB_LAYER_DROPOUT && l->rate == 0) ||
          self->relu_fused[i])
        self->acts[i + 1] = self->acts[i];
      else
        NEW (self->acts[i + 1], (gsize) max_batch * out_size (l) * 4);
      if (l->kind == TRB_LAYER_CONV2D)
        {
          gsize P = (gsize) l->out_h * l->out_w;
          NEW (self->cols[i], (gsize) l->in_c * l->kernel_h * l->kernel_w * max_batch * P * 4);
          tmp = MAX (tmp, (gsize) l->out_c * max_batch * P);
        }
      if (l->kind == TRB_LAYER_MAXPOOL2D)
        NEW (self->argmax[i], (gsize) max_batch * out_size (l) * 4);
    }
  NEW (self->tmp, tmp * 4);
#undef NEW
#undef NEW_IN

  /* Timestamps, when the queue has them, measure how long each submission keeps the device. */
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
    /* The per-dispatch profile is for measuring the kernels; it stays off otherwise. */
    qinfo.queryCount = PROFILE_QUERIES;
    if (self->profiling && self->queries != VK_NULL_HANDLE &&
        vkCreateQueryPool (dev (self), &qinfo, NULL, &self->profile) != VK_SUCCESS)
      self->profile = VK_NULL_HANDLE;
  }
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
  return staged == NULL || upload (self, dst, 0, staged, self->param_total * 4, error);
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

  if (staged != NULL && !download (self, src, 0, staged, self->param_total * 4, &error))
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
  return fill_zero (self, self->m, error) && fill_zero (self, self->v, error);
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
  rec = get_recording (self, batch->n, TRUE, FALSE, 1, update_kind (self, sp, 1), error);
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
  rec = get_recording (self, batch->n, FALSE, FALSE, 1, UPDATE_ANY, error);
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
  if ((self->data = new_buf (self, (bytes + 3) / 4 * 4, FALSE, error)) == NULL ||
      (self->data_labels = new_buf (self, data->n_samples * 4, FALSE, error)) == NULL ||
      (self->indices = new_buf (self, (gsize) self->max_batch * TRB_EXECUTOR_MAX_STEPS * 4,
                                TRUE, error)) == NULL ||
      !upload (self, self->data, 0, data->features, bytes, error) ||
      !upload (self, self->data_labels, 0, data->labels, data->n_samples * 4, error))
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
  rec = get_recording (self, n, TRUE, TRUE, k, update_kind (self, sp, k), error);
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

/* ---- stand-alone GEMM, for tests and the benchmark ---- */

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
  if (!ensure_device (self, error))
    return FALSE;
  /* The stand-alone job owns the executor's resources while it runs. */
  release (self);
  self->blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  self->bufs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_bufs; i++)
    if ((*bufs[i] = new_buf (self, sizes[i], TRUE, error)) == NULL)
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
  self->rec[0] = job->rec;   /* so that release() frees the pool */
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
  GemmPush p = { m, n, k, 0, ta ? 1 : k, ta ? m : 1, 0, tb ? 1 : n, tb ? k : 1,
                 0, 0, 0, n, 0, 1 };
  Rec r = { self, &job->rec, error, FALSE, FALSE };

  if (!job_begin (self, sizes, 3, job, error))
    return FALSE;
  gemm (&r, &p, whole (job->c), job->a, job->b, (Range) { 0 }, (Range) { 0 }, 1);
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
      ok = submit_and_wait (self, job.rec.cb, error);
      if (ok)
        memcpy (c, job.c->map, (gsize) m * n * 4);
    }
  release (self);
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

  if (!submit_and_wait (self, job->rec.cb, error))
    return -1;
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < seconds * G_USEC_PER_SEC || reps < 2)
    {
      if (!submit_and_wait (self, job->rec.cb, error))
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
  Rec r = { self, &job.rec, error, FALSE, FALSE };
  double gflops = -1;

  g_return_val_if_fail (TRB_IS_VULKAN_EXECUTOR (self), -1);

  if (job_begin (self, (gsize[]) { invocations * 4 }, 1, &job, error))
    {
      Range out = whole (job.a);

      dispatch (&r, "fma-peak", &out, 1, NULL, NULL, FALSE, &push, sizeof push, groups, 1, 1);
      if (!r.failed &&
          trb_vulkan_check (vkEndCommandBuffer (job.rec.cb), self->ctx, "vkEndCommandBuffer",
                            error))
        gflops = job_gflops (self, &job, 64.0 * push.iterations * (double) invocations, seconds,
                             error);
    }
  release (self);
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
  release (self);
  return gflops;
}

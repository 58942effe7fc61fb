/* trb-vulkan-update.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The update path on a Vulkan device: update = trained − global, its sums and squared norm, a
 * check for NaN and infinities, norm clipping, Gaussian noise from the host's Philox counters,
 * and the F16 and INT8 encodings of trb-quantize.c with their decoders.
 *
 * The update lives in one flat buffer in which every tensor starts on a block of 64 elements
 * (the gaps are zero), so that kernels that need to know the tensor of an element — the noise,
 * which is keyed per tensor, and the INT8 codes, which have a scale per tensor — run as one
 * dispatch with one workgroup per block and a small table from block to tensor. Every kernel
 * shares one descriptor set over six buffers. Each call records its few dispatches, submits
 * them and waits: the calls block, so run them where the trainer runs, off the main thread (or
 * use trb_vulkan_update_make_async()), and not at the same time as another user of the
 * context's queue.
 */

#define G_LOG_DOMAIN "trb-vulkan-update"

#include "config.h"

#include "trb-vulkan-update.h"

#include <float.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "compute/trb-quantize.h"

#define BLOCK 64          /* elements; every tensor starts on a block */
#define CHUNK 4096        /* elements per workgroup in the first stage of the reduction */
#define RESULT_SLOTS 8    /* the reduction's result, before the per-tensor values */
#define MAX_GROUPS_X 65535
/* The host's noise streams: tensor i draws from stream NOISE_STREAM + i (trb-weights.c). */
#define NOISE_STREAM G_GUINT64_CONSTANT (0x4e4f495345)

enum
{
  BUF_UPDATE,        /* the update, as floats */
  BUF_PACKED,        /* the global parameters while subtracting, or the encoded update */
  BUF_PARTIALS,      /* the reduction's per-chunk partials, or the per-block maxima */
  BUF_BLOCK_TENSOR,  /* the tensor of each block */
  BUF_TENSORS,       /* per tensor: offset, count, noise stream (low, high) */
  BUF_RESULT,        /* the reduction's result, then a value per tensor (maximum or scale) */
  N_BUFS
};

typedef struct
{
  VkBuffer        buffer;
  VkDeviceMemory  memory;
  VkDeviceSize    bytes;
  guint8         *map;
} Buf;

struct _TrbVulkanUpdate
{
  GObject           parent_instance;

  TrbVulkanContext *ctx;
  TrbWeights       *layout;     /* names, shapes and metadata of the resident update */
  gsize            *offsets;    /* element offset of each tensor */
  guint             n_tensors;
  gsize             total;      /* elements that belong to tensors */
  guint32           padded;     /* elements in the buffer, a multiple of BLOCK */
  guint32           n_blocks;
  guint32           n_chunks;
  gboolean          resident;   /* the buffer holds an update */

  Buf               bufs[N_BUFS];
  VkDescriptorPool  pool;
  VkDescriptorSet   set;
  VkCommandPool     cmd_pool;
  VkCommandBuffer   cb;
  VkFence           fence;
};

G_DEFINE_FINAL_TYPE (TrbVulkanUpdate, trb_vulkan_update, G_TYPE_OBJECT)

static VkDevice
dev (TrbVulkanUpdate *self)
{
  return trb_vulkan_context_get_device (self->ctx);
}

static void
release_buffers (TrbVulkanUpdate *self)
{
  for (guint i = 0; i < N_BUFS; i++)
    {
      Buf *b = &self->bufs[i];

      if (b->buffer != VK_NULL_HANDLE)
        vkDestroyBuffer (dev (self), b->buffer, NULL);
      if (b->memory != VK_NULL_HANDLE)
        vkFreeMemory (dev (self), b->memory, NULL);
      *b = (Buf) { 0 };
    }
  self->resident = FALSE;
  self->padded = 0;
  g_clear_pointer (&self->offsets, g_free);
  g_clear_object (&self->layout);
}

static void
trb_vulkan_update_finalize (GObject *object)
{
  TrbVulkanUpdate *self = (TrbVulkanUpdate *)object;

  if (self->ctx != NULL)
    {
      if (!trb_vulkan_context_is_lost (self->ctx))
        vkDeviceWaitIdle (dev (self));
      release_buffers (self);
      if (self->pool != VK_NULL_HANDLE)
        vkDestroyDescriptorPool (dev (self), self->pool, NULL);
      if (self->cmd_pool != VK_NULL_HANDLE)
        vkDestroyCommandPool (dev (self), self->cmd_pool, NULL);
      if (self->fence != VK_NULL_HANDLE)
        vkDestroyFence (dev (self), self->fence, NULL);
    }
  g_clear_object (&self->ctx);

  G_OBJECT_CLASS (trb_vulkan_update_parent_class)->finalize (object);
}

static void
trb_vulkan_update_class_init (TrbVulkanUpdateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_vulkan_update_finalize;
}

static void
trb_vulkan_update_init (TrbVulkanUpdate *self)
{
}

/**
 * trb_vulkan_update_new:
 * @context: the device to work on
 *
 * Creates the update kernels' state on @context. Nothing is allocated on the device until the
 * first update arrives.
 *
 * Returns: (transfer full): a new #TrbVulkanUpdate
 */
TrbVulkanUpdate *
trb_vulkan_update_new (TrbVulkanContext *context)
{
  TrbVulkanUpdate *self;

  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (context), NULL);

  self = g_object_new (TRB_TYPE_VULKAN_UPDATE, NULL);
  self->ctx = g_object_ref (context);
  return self;
}

/* ---- device state ---- */

static gboolean
ensure_commands (TrbVulkanUpdate  *self,
                 GError          **error)
{
  VkDescriptorPoolSize sizes[] = {
    { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, TRB_VK_STORAGE_BINDINGS },
    { VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, TRB_VK_TEXEL_BINDINGS },
    { VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1 },
  };
  VkDescriptorPoolCreateInfo pinfo = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = 1,
    .poolSizeCount = G_N_ELEMENTS (sizes),
    .pPoolSizes = sizes,
  };
  VkCommandPoolCreateInfo cpinfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = trb_vulkan_context_get_queue_family (self->ctx),
  };
  VkFenceCreateInfo finfo = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  VkDescriptorSetLayout layout = trb_vulkan_context_get_set_layout (self->ctx);
  VkDescriptorSetAllocateInfo ainfo = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorSetCount = 1,
    .pSetLayouts = &layout,
  };
  VkCommandBufferAllocateInfo cinfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };

  if (trb_vulkan_context_is_lost (self->ctx))
    return trb_vulkan_check (VK_ERROR_DEVICE_LOST, self->ctx, "device", error);
  if (self->cb != VK_NULL_HANDLE)
    return TRUE;
  if (!trb_vulkan_check (vkCreateDescriptorPool (dev (self), &pinfo, NULL, &self->pool),
                         self->ctx, "vkCreateDescriptorPool", error))
    return FALSE;
  ainfo.descriptorPool = self->pool;
  if (!trb_vulkan_check (vkAllocateDescriptorSets (dev (self), &ainfo, &self->set), self->ctx,
                         "vkAllocateDescriptorSets", error) ||
      !trb_vulkan_check (vkCreateCommandPool (dev (self), &cpinfo, NULL, &self->cmd_pool),
                         self->ctx, "vkCreateCommandPool", error) ||
      !trb_vulkan_check (vkCreateFence (dev (self), &finfo, NULL, &self->fence), self->ctx,
                         "vkCreateFence", error))
    return FALSE;
  cinfo.commandPool = self->cmd_pool;
  return trb_vulkan_check (vkAllocateCommandBuffers (dev (self), &cinfo, &self->cb), self->ctx,
                           "vkAllocateCommandBuffers", error);
}

static gboolean
create_buffer (TrbVulkanUpdate  *self,
               Buf              *b,
               VkDeviceSize      bytes,
               GError          **error)
{
  VkBufferCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = MAX (bytes, 64),
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryAllocateInfo alloc = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
  VkMemoryRequirements req;
  void *map = NULL;
  int type;

  if (!trb_vulkan_check (vkCreateBuffer (dev (self), &info, NULL, &b->buffer), self->ctx,
                         "vkCreateBuffer", error))
    return FALSE;
  b->bytes = info.size;
  vkGetBufferMemoryRequirements (dev (self), b->buffer, &req);
  type = trb_vulkan_context_find_memory_type (self->ctx, req.memoryTypeBits, NULL);
  if (type < 0)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The graphics device has no memory the processor can share."));
      return FALSE;
    }
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = (guint32) type;
  if (!trb_vulkan_check (vkAllocateMemory (dev (self), &alloc, NULL, &b->memory), self->ctx,
                         "vkAllocateMemory", error) ||
      !trb_vulkan_check (vkBindBufferMemory (dev (self), b->buffer, b->memory, 0), self->ctx,
                         "vkBindBufferMemory", error) ||
      !trb_vulkan_check (vkMapMemory (dev (self), b->memory, 0, VK_WHOLE_SIZE, 0, &map),
                         self->ctx, "vkMapMemory", error))
    return FALSE;
  b->map = map;
  memset (b->map, 0, b->bytes);
  return TRUE;
}

static gboolean
same_shapes (TrbWeights *a,
             TrbWeights *b)
{
  return a != NULL && b != NULL && trb_weights_same_layout (a, b, NULL);
}

/* Makes the buffers fit @weights' layout and fills the tables; the update itself is left for
 * the caller to write. */
static gboolean
ensure_layout (TrbVulkanUpdate  *self,
               TrbWeights       *weights,
               GError          **error)
{
  const VkPhysicalDeviceProperties *props = trb_vulkan_context_get_properties (self->ctx);
  guint n_tensors = trb_weights_get_n_tensors (weights);
  g_autofree gsize *offsets = NULL;
  guint64 padded = 0;
  guint32 *block_tensor;
  guint32 *tensors;

  if (!ensure_commands (self, error))
    return FALSE;
  if (same_shapes (self->layout, weights))
    {
      /* Same shapes: keep the buffers, take the new names' metadata. */
      g_clear_object (&self->layout);
      self->layout = trb_weights_copy (weights);
      return TRUE;
    }

  if (n_tensors == 0)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("The model update holds no values."));
      return FALSE;
    }
  /* The per-tensor reductions give each tensor one workgroup along x. */
  if (n_tensors > TRB_WEIGHTS_MAX_TENSORS)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("The model update has too many parts."));
      return FALSE;
    }
  offsets = g_new (gsize, n_tensors);
  for (guint i = 0; i < n_tensors; i++)
    {
      offsets[i] = padded;
      padded += ((guint64) trb_weights_get_n_elements (weights, i) + BLOCK - 1) / BLOCK * BLOCK;
      if (trb_weights_get_n_elements (weights, i) == 0)
        padded += BLOCK;   /* every tensor owns at least one block, so the tables stay simple */
      /* Every buffer is addressed with 32-bit indices and must fit the device's range. */
      if (padded * sizeof (float) > props->limits.maxStorageBufferRange ||
          padded > G_MAXUINT32 / 2)
        {
          g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                       _("The model is too large for the graphics device’s buffers."));
          return FALSE;
        }
    }

  vkDeviceWaitIdle (dev (self));
  release_buffers (self);
  self->padded = (guint32) padded;
  self->n_blocks = self->padded / BLOCK;
  self->n_chunks = (self->padded + CHUNK - 1) / CHUNK;
  self->n_tensors = n_tensors;
  if (!create_buffer (self, &self->bufs[BUF_UPDATE], padded * 4, error) ||
      !create_buffer (self, &self->bufs[BUF_PACKED], padded * 4, error) ||
      !create_buffer (self, &self->bufs[BUF_PARTIALS],
                      MAX ((VkDeviceSize) self->n_chunks * 32, (VkDeviceSize) self->n_blocks * 4),
                      error) ||
      !create_buffer (self, &self->bufs[BUF_BLOCK_TENSOR], (VkDeviceSize) self->n_blocks * 4,
                      error) ||
      !create_buffer (self, &self->bufs[BUF_TENSORS], (VkDeviceSize) n_tensors * 16, error) ||
      !create_buffer (self, &self->bufs[BUF_RESULT], (RESULT_SLOTS + (VkDeviceSize) n_tensors) * 4,
                      error))
    {
      release_buffers (self);
      return FALSE;
    }

  block_tensor = (guint32 *) self->bufs[BUF_BLOCK_TENSOR].map;
  tensors = (guint32 *) self->bufs[BUF_TENSORS].map;
  self->total = 0;
  for (guint i = 0; i < n_tensors; i++)
    {
      gsize n = trb_weights_get_n_elements (weights, i);
      gsize end = i + 1 < n_tensors ? offsets[i + 1] : self->padded;
      guint64 stream = NOISE_STREAM + i;

      for (gsize b = offsets[i] / BLOCK; b < end / BLOCK; b++)
        block_tensor[b] = i;
      tensors[4 * i] = (guint32) offsets[i];
      tensors[4 * i + 1] = (guint32) n;
      tensors[4 * i + 2] = (guint32) stream;
      tensors[4 * i + 3] = (guint32) (stream >> 32);
      self->total += n;
    }
  self->offsets = g_steal_pointer (&offsets);
  self->layout = trb_weights_copy (weights);

  {
    VkDescriptorBufferInfo binfo[N_BUFS];
    VkWriteDescriptorSet writes[N_BUFS];

    for (guint i = 0; i < N_BUFS; i++)
      {
        binfo[i] = (VkDescriptorBufferInfo) { self->bufs[i].buffer, 0, VK_WHOLE_SIZE };
        writes[i] = (VkWriteDescriptorSet) {
          .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
          .dstSet = self->set,
          .dstBinding = i,
          .descriptorCount = 1,
          .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
          .pBufferInfo = &binfo[i],
        };
      }
    vkUpdateDescriptorSets (dev (self), N_BUFS, writes, 0, NULL);
  }
  return TRUE;
}

static float *
update_data (TrbVulkanUpdate *self,
             guint            tensor)
{
  return (float *) self->bufs[BUF_UPDATE].map + self->offsets[tensor];
}

static float *
result_slots (TrbVulkanUpdate *self)
{
  return (float *) self->bufs[BUF_RESULT].map;
}

static gboolean
check_resident (TrbVulkanUpdate  *self,
                GError          **error)
{
  if (self->resident)
    return TRUE;
  g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_FAILED,
               _("There is no model update to work on yet."));
  return FALSE;
}

/* ---- recording and submitting ---- */

static gboolean
begin (TrbVulkanUpdate  *self,
       GError          **error)
{
  VkCommandBufferBeginInfo info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };

  if (trb_vulkan_context_is_lost (self->ctx))
    return trb_vulkan_check (VK_ERROR_DEVICE_LOST, self->ctx, "device", error);
  return trb_vulkan_check (vkResetCommandBuffer (self->cb, 0), self->ctx,
                           "vkResetCommandBuffer", error) &&
         trb_vulkan_check (vkBeginCommandBuffer (self->cb, &info), self->ctx,
                           "vkBeginCommandBuffer", error);
}

/* Records @kernel over @groups workgroups (spilling into y past 65,535) and a barrier after
 * it, so that the next kernel sees what this one wrote. */
static gboolean
record (TrbVulkanUpdate  *self,
        const char       *kernel,
        const void       *push,
        gsize             push_size,
        guint32           groups,
        GError          **error)
{
  VkPipelineLayout layout = trb_vulkan_context_get_pipeline_layout (self->ctx);
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };
  VkPipeline pipeline = trb_vulkan_context_get_pipeline (self->ctx, kernel, error);
  guint32 gx = MIN (MAX (groups, 1), MAX_GROUPS_X);
  guint32 gy = (MAX (groups, 1) + MAX_GROUPS_X - 1) / MAX_GROUPS_X;

  g_assert (push_size <= TRB_VK_PUSH_CONSTANT_BYTES);
  if (pipeline == VK_NULL_HANDLE)
    return FALSE;
  vkCmdBindPipeline (self->cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
  vkCmdBindDescriptorSets (self->cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &self->set,
                           0, NULL);
  vkCmdPushConstants (self->cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, (guint32) push_size,
                      push);
  vkCmdDispatch (self->cb, gx, gy, 1);
  vkCmdPipelineBarrier (self->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
  return TRUE;
}

/* Ends the command buffer (making every write visible to the host), submits it and waits.
 * Always ends the buffer, so that a failed recording leaves nothing half-open. */
static gboolean
submit (TrbVulkanUpdate  *self,
        gboolean          recorded,
        GError          **error)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
  };
  VkSubmitInfo info = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &self->cb,
  };
  VkResult res;

  vkCmdPipelineBarrier (self->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                        VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
  res = vkEndCommandBuffer (self->cb);
  if (!recorded)
    return FALSE;
  return trb_vulkan_check (res, self->ctx, "vkEndCommandBuffer", error) &&
         trb_vulkan_check (vkResetFences (dev (self), 1, &self->fence), self->ctx,
                           "vkResetFences", error) &&
         trb_vulkan_check (vkQueueSubmit (trb_vulkan_context_get_queue (self->ctx), 1, &info,
                                          self->fence), self->ctx, "vkQueueSubmit", error) &&
         trb_vulkan_check (vkWaitForFences (dev (self), 1, &self->fence, VK_TRUE,
                                            G_GUINT64_CONSTANT (60000000000)),
                           self->ctx, "vkWaitForFences", error);
}

/* ---- the update ---- */

static void
write_update (TrbVulkanUpdate *self,
              TrbWeights      *weights,
              Buf             *dst)
{
  memset (dst->map, 0, (gsize) self->padded * 4);
  for (guint i = 0; i < self->n_tensors; i++)
    memcpy ((float *) dst->map + self->offsets[i], trb_weights_get_data (weights, i),
            trb_weights_get_n_elements (weights, i) * sizeof (float));
}

/**
 * trb_vulkan_update_set:
 * @update: the update to work on
 *
 * Puts @update on the device, replacing whatever was there.
 */
gboolean
trb_vulkan_update_set (TrbVulkanUpdate  *self,
                       TrbWeights       *update,
                       GError          **error)
{
  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), FALSE);
  g_return_val_if_fail (TRB_IS_WEIGHTS (update), FALSE);

  self->resident = FALSE;
  if (!ensure_layout (self, update, error))
    return FALSE;
  write_update (self, update, &self->bufs[BUF_UPDATE]);
  self->resident = TRUE;
  return TRUE;
}

/**
 * trb_vulkan_update_subtract:
 * @trained: the locally trained parameters
 * @global: the parameters the round started from, with the same layout
 *
 * Computes update = @trained − @global on the device (each element rounded once, as the host's
 * trb_weights_subtract() does) and keeps it there for the other calls. The update takes
 * @trained's names, shapes and metadata.
 */
gboolean
trb_vulkan_update_subtract (TrbVulkanUpdate  *self,
                            TrbWeights       *trained,
                            TrbWeights       *global,
                            GError          **error)
{
  guint32 push[1];

  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), FALSE);
  g_return_val_if_fail (TRB_IS_WEIGHTS (trained), FALSE);
  g_return_val_if_fail (TRB_IS_WEIGHTS (global), FALSE);

  if (!trb_weights_same_layout (global, trained, error) ||
      !trb_vulkan_update_set (self, trained, error))
    return FALSE;
  self->resident = FALSE;
  write_update (self, global, &self->bufs[BUF_PACKED]);
  push[0] = self->padded;
  if (!begin (self, error) ||
      !submit (self, record (self, "update-subtract", push, sizeof push,
                             (self->padded + 63) / 64, error), error))
    return FALSE;
  self->resident = TRUE;
  return TRUE;
}

/**
 * trb_vulkan_update_get:
 *
 * Reads the update back from the device.
 *
 * Returns: (transfer full): the update, with the names, shapes and metadata it came with, or
 *   %NULL when there is none
 */
TrbWeights *
trb_vulkan_update_get (TrbVulkanUpdate  *self,
                       GError          **error)
{
  TrbWeights *out;

  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), NULL);

  if (!check_resident (self, error))
    return NULL;
  out = trb_weights_copy (self->layout);
  for (guint i = 0; i < self->n_tensors; i++)
    memcpy (trb_weights_get_data (out, i), update_data (self, i),
            trb_weights_get_n_elements (out, i) * sizeof (float));
  return out;
}

static gboolean
record_reduction (TrbVulkanUpdate  *self,
                  GError          **error)
{
  guint32 push[2] = { self->padded, self->n_chunks };

  return record (self, "update-reduce", push, sizeof push, self->n_chunks, error) &&
         record (self, "update-reduce-final", push, sizeof push, 1, error);
}

static void
read_stats (TrbVulkanUpdate *self,
            TrbUpdateStats  *stats)
{
  const float *r = result_slots (self);
  guint32 count;

  memcpy (&count, &r[4], 4);
  stats->sum = (double) r[0] + (double) r[1];
  stats->squared_norm = (double) r[2] + (double) r[3];
  stats->n_nonfinite = count;
}

/**
 * trb_vulkan_update_reduce:
 * @stats: (out caller-allocates): the sums and the count of values that are not finite
 *
 * Sums the update on the device in two stages, with the partial sums carried as pairs of
 * floats, so that the result is within about 1e-7 of a double-precision sum relative to the
 * sum of magnitudes, whatever the device's subgroup size and the update's length.
 */
gboolean
trb_vulkan_update_reduce (TrbVulkanUpdate  *self,
                          TrbUpdateStats   *stats,
                          GError          **error)
{
  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), FALSE);
  g_return_val_if_fail (stats != NULL, FALSE);

  if (!check_resident (self, error) ||
      !begin (self, error) ||
      !submit (self, record_reduction (self, error), error))
    return FALSE;
  read_stats (self, stats);
  return TRUE;
}

/**
 * trb_vulkan_update_clip_norm:
 * @max_norm: the largest L2 norm allowed, positive
 * @norm_before: (out) (optional): the norm before clipping
 *
 * Scales the update by min(1, @max_norm / ‖u‖), in one submission with the reduction. An
 * update holding NaN or infinities is left as it is and reported as
 * %TRB_COMPUTE_ERROR_DIVERGED.
 */
gboolean
trb_vulkan_update_clip_norm (TrbVulkanUpdate  *self,
                             double            max_norm,
                             double           *norm_before,
                             GError          **error)
{
  TrbUpdateStats stats;
  struct { guint32 total; float max_norm; } push;

  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), FALSE);

  if (!(max_norm > 0) || !isfinite ((float) max_norm))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_SPEC,
                   _("The task’s limit on the size of an update is not a positive number."));
      return FALSE;
    }
  push.total = self->padded;
  push.max_norm = (float) max_norm;
  if (!check_resident (self, error) ||
      !begin (self, error) ||
      !submit (self, record_reduction (self, error) &&
                     record (self, "update-clip", &push, sizeof push, (self->padded + 63) / 64,
                             error), error))
    return FALSE;
  read_stats (self, &stats);
  if (stats.n_nonfinite > 0)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DIVERGED,
                   _("Training went wrong: the model update holds values that are not numbers, "
                     "so it cannot be sent."));
      return FALSE;
    }
  if (norm_before)
    *norm_before = sqrt (stats.squared_norm);
  return TRUE;
}

/**
 * trb_vulkan_update_add_gaussian_noise:
 * @stddev: σ, zero or more
 * @seed: the Philox key
 *
 * Adds N(0, σ²) noise to every element with the very random bits of the host's
 * trb_weights_add_gaussian_noise() for the same seed; the normal variates are computed in
 * single precision and agree with the host's to about 2e-7·(1 + |z|) (see DESIGN.md).
 */
gboolean
trb_vulkan_update_add_gaussian_noise (TrbVulkanUpdate  *self,
                                      double            stddev,
                                      guint64           seed,
                                      GError          **error)
{
  struct { guint32 n_blocks, seed_lo, seed_hi; float stddev; } push;

  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), FALSE);

  if (!(stddev >= 0) || !isfinite ((float) stddev))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_SPEC,
                   _("The task’s privacy noise level is not a valid number."));
      return FALSE;
    }
  push.n_blocks = self->n_blocks;
  push.seed_lo = (guint32) seed;
  push.seed_hi = (guint32) (seed >> 32);
  push.stddev = (float) stddev;
  return check_resident (self, error) &&
         begin (self, error) &&
         submit (self, record (self, "update-noise", &push, sizeof push, self->n_blocks, error),
                 error);
}

/**
 * trb_vulkan_update_quantize_f16:
 *
 * Encodes the update as IEEE half precision on the device, exactly as trb_quantize_f16() does.
 *
 * Returns: (transfer full): the halves of every tensor in order, in host byte order (what
 *   trb_dequantize_f16() reads), or %NULL
 */
GBytes *
trb_vulkan_update_quantize_f16 (TrbVulkanUpdate  *self,
                                GError          **error)
{
  guint32 push[1];
  guint16 *out, *dst;
  const guint16 *src;

  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), NULL);

  push[0] = self->padded / 2;
  if (!check_resident (self, error) ||
      !begin (self, error) ||
      !submit (self, record (self, "update-f16-encode", push, sizeof push,
                             (push[0] + 63) / 64, error), error))
    return NULL;

  out = dst = g_new (guint16, MAX (self->total, 1));
  src = (const guint16 *) self->bufs[BUF_PACKED].map;
  for (guint i = 0; i < self->n_tensors; i++)
    {
      gsize n = trb_weights_get_n_elements (self->layout, i);

      /* The device writes little-endian words, the first element in the low half. */
      for (gsize k = 0; k < n; k++)
        dst[k] = GUINT16_FROM_LE (src[self->offsets[i] + k]);
      dst += n;
    }
  return g_bytes_new_take (out, self->total * 2);
}

/* A scale the device cannot be trusted with: some devices flush subnormal floats to zero. */
static gboolean
scale_is_subnormal (float scale)
{
  return scale != 0 && fabsf (scale) < FLT_MIN;
}

/**
 * trb_vulkan_update_quantize_int8:
 * @scales: (out) (transfer full) (array): one scale per tensor
 *
 * Encodes the update as symmetric 8-bit codes, one scale per tensor, as trb_quantize_int8()
 * does. The maxima are exact and the scales are computed from them on the host, so they are
 * the host's bit for bit; a code may differ from the host's by one where u / scale lies within
 * a few units in the last place of a half-integer, since a device's division need not be
 * correctly rounded.
 *
 * Returns: (transfer full): the codes of every tensor in order, or %NULL
 */
GBytes *
trb_vulkan_update_quantize_int8 (TrbVulkanUpdate  *self,
                                 float           **scales,
                                 GError          **error)
{
  guint32 push[2];
  g_autofree float *out_scales = NULL;
  gint8 *out, *dst;
  float *slots;

  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), NULL);
  g_return_val_if_fail (scales != NULL, NULL);

  push[0] = self->n_blocks;
  push[1] = self->n_tensors;
  if (!check_resident (self, error) ||
      !begin (self, error) ||
      !submit (self, record (self, "update-absmax", push, sizeof push, self->n_blocks, error) &&
                     record (self, "update-absmax-final", push, sizeof push, self->n_tensors,
                             error), error))
    return NULL;

  slots = result_slots (self) + RESULT_SLOTS;
  out_scales = g_new (float, self->n_tensors);
  for (guint i = 0; i < self->n_tensors; i++)
    {
      /* The same expression as trb_quantize_int8(), on the exact maximum. */
      out_scales[i] = slots[i] / 127.0f;
      slots[i] = out_scales[i];
    }

  if (!begin (self, error) ||
      !submit (self, record (self, "update-int8-encode", push, sizeof (guint32), self->n_blocks,
                             error), error))
    return NULL;

  out = dst = g_new (gint8, MAX (self->total, 1));
  for (guint i = 0; i < self->n_tensors; i++)
    {
      gsize n = trb_weights_get_n_elements (self->layout, i);

      if (scale_is_subnormal (out_scales[i]))
        trb_quantize_int8 (update_data (self, i), dst, n);
      else
        memcpy (dst, self->bufs[BUF_PACKED].map + self->offsets[i], n);
      dst += n;
    }
  *scales = g_steal_pointer (&out_scales);
  return g_bytes_new_take (out, self->total);
}

static gboolean
check_encoded_size (TrbVulkanUpdate  *self,
                    TrbWeights       *layout,
                    GBytes           *bytes,
                    gsize             bytes_per_value,
                    GError          **error)
{
  gsize total = trb_weights_get_total_elements (layout);

  if (g_bytes_get_size (bytes) == total * bytes_per_value)
    return TRUE;
  g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
               _("The encoded model update does not have the size its model needs."));
  return FALSE;
}

/**
 * trb_vulkan_update_dequantize_f16:
 * @layout: names and shapes of the tensors encoded
 * @halves: what trb_vulkan_update_quantize_f16() or trb_quantize_f16() gave
 *
 * Decodes half precision values on the device (exactly) into the resident update.
 */
gboolean
trb_vulkan_update_dequantize_f16 (TrbVulkanUpdate  *self,
                                  TrbWeights       *layout,
                                  GBytes           *halves,
                                  GError          **error)
{
  const guint16 *src;
  guint16 *dst;
  guint32 push[1];

  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), FALSE);
  g_return_val_if_fail (TRB_IS_WEIGHTS (layout), FALSE);
  g_return_val_if_fail (halves != NULL, FALSE);

  self->resident = FALSE;
  if (!check_encoded_size (self, layout, halves, 2, error) || !ensure_layout (self, layout, error))
    return FALSE;
  src = g_bytes_get_data (halves, NULL);
  dst = (guint16 *) self->bufs[BUF_PACKED].map;
  memset (dst, 0, (gsize) self->padded * 2);
  for (guint i = 0; i < self->n_tensors; i++)
    {
      gsize n = trb_weights_get_n_elements (layout, i);

      for (gsize k = 0; k < n; k++)
        dst[self->offsets[i] + k] = GUINT16_TO_LE (src[k]);
      src += n;
    }
  push[0] = self->padded / 2;
  if (!begin (self, error) ||
      !submit (self, record (self, "update-f16-decode", push, sizeof push, (push[0] + 63) / 64,
                             error), error))
    return FALSE;
  self->resident = TRUE;
  return TRUE;
}

/**
 * trb_vulkan_update_dequantize_int8:
 * @layout: names and shapes of the tensors encoded
 * @codes: what trb_vulkan_update_quantize_int8() or trb_quantize_int8() gave, tensor by tensor
 * @scales: (array length=n_scales): one scale per tensor
 *
 * Decodes 8-bit codes on the device into the resident update: code · scale, rounded once, as
 * trb_dequantize_int8() does.
 */
gboolean
trb_vulkan_update_dequantize_int8 (TrbVulkanUpdate  *self,
                                   TrbWeights       *layout,
                                   GBytes           *codes,
                                   const float      *scales,
                                   guint             n_scales,
                                   GError          **error)
{
  const gint8 *src;
  float *slots;
  guint32 push[1];

  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), FALSE);
  g_return_val_if_fail (TRB_IS_WEIGHTS (layout), FALSE);
  g_return_val_if_fail (codes != NULL, FALSE);
  g_return_val_if_fail (scales != NULL || n_scales == 0, FALSE);

  self->resident = FALSE;
  if (!check_encoded_size (self, layout, codes, 1, error))
    return FALSE;
  if (n_scales != trb_weights_get_n_tensors (layout))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("The encoded model update does not have the size its model needs."));
      return FALSE;
    }
  for (guint i = 0; i < n_scales; i++)
    if (!(scales[i] >= 0) || !isfinite (scales[i]))
      {
        g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                     _("The encoded model update has an invalid scale."));
        return FALSE;
      }
  if (!ensure_layout (self, layout, error))
    return FALSE;

  src = g_bytes_get_data (codes, NULL);
  memset (self->bufs[BUF_PACKED].map, 0, self->padded);
  slots = result_slots (self) + RESULT_SLOTS;
  for (guint i = 0; i < self->n_tensors; i++)
    {
      gsize n = trb_weights_get_n_elements (layout, i);

      memcpy (self->bufs[BUF_PACKED].map + self->offsets[i], src, n);
      slots[i] = scales[i];
      src += n;
    }
  push[0] = self->n_blocks;
  if (!begin (self, error) ||
      !submit (self, record (self, "update-int8-decode", push, sizeof push, self->n_blocks,
                             error), error))
    return FALSE;

  /* Subnormal scales are decoded here, where they are not flushed to zero. */
  src = g_bytes_get_data (codes, NULL);
  for (guint i = 0; i < self->n_tensors; i++)
    {
      gsize n = trb_weights_get_n_elements (layout, i);

      if (scale_is_subnormal (scales[i]))
        trb_dequantize_int8 (src, scales[i], update_data (self, i), n);
      src += n;
    }
  self->resident = TRUE;
  return TRUE;
}

/* ---- the whole update, off the calling thread ---- */

typedef struct
{
  TrbWeights *trained;
  TrbWeights *global;
  double      max_norm;
  double      stddev;
  guint64     seed;
} MakeData;

static void
make_data_free (MakeData *data)
{
  g_clear_object (&data->trained);
  g_clear_object (&data->global);
  g_free (data);
}

static void
make_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TrbVulkanUpdate *self = source_object;
  MakeData *data = task_data;
  GError *error = NULL;
  TrbWeights *update = NULL;

  if (!trb_vulkan_update_subtract (self, data->trained, data->global, &error) ||
      (data->max_norm > 0 && !trb_vulkan_update_clip_norm (self, data->max_norm, NULL, &error)) ||
      g_task_return_error_if_cancelled (task) ||
      (data->stddev > 0 &&
       !trb_vulkan_update_add_gaussian_noise (self, data->stddev, data->seed, &error)) ||
      (update = trb_vulkan_update_get (self, &error)) == NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, update, g_object_unref);
}

/**
 * trb_vulkan_update_make_async:
 * @trained: the locally trained parameters
 * @global: the parameters the round started from
 * @max_norm: the norm to clip to, or 0 for none
 * @stddev: the noise's standard deviation, or 0 for none
 * @seed: the noise's Philox key
 *
 * The whole update on a worker thread: update = @trained − @global, clipped to @max_norm, with
 * N(0, @stddev²) noise, as trb_weights_subtract(), trb_weights_clip_norm() and
 * trb_weights_add_gaussian_noise() do on the host. Do not use @self until it has finished.
 */
void
trb_vulkan_update_make_async (TrbVulkanUpdate     *self,
                              TrbWeights          *trained,
                              TrbWeights          *global,
                              double               max_norm,
                              double               stddev,
                              guint64              seed,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MakeData *data;

  g_return_if_fail (TRB_IS_VULKAN_UPDATE (self));
  g_return_if_fail (TRB_IS_WEIGHTS (trained));
  g_return_if_fail (TRB_IS_WEIGHTS (global));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_vulkan_update_make_async);
  data = g_new0 (MakeData, 1);
  data->trained = g_object_ref (trained);
  data->global = g_object_ref (global);
  data->max_norm = max_norm;
  data->stddev = stddev;
  data->seed = seed;
  g_task_set_task_data (task, data, (GDestroyNotify) make_data_free);
  g_task_run_in_thread (task, make_thread);
}

/**
 * trb_vulkan_update_make_finish:
 *
 * Returns: (transfer full): the update, with @trained's names, shapes and metadata, or %NULL
 */
TrbWeights *
trb_vulkan_update_make_finish (TrbVulkanUpdate  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (TRB_IS_VULKAN_UPDATE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* trb-vulkan-memory.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan executor's memory: buffers sub-allocated from blocks of 64 MiB, in device-local
 * memory mapped where the device allows, else filled and read through an 8 MiB host-visible
 * staging buffer with copy commands; and the texel views the kernels read buffers through.
 */

#define G_LOG_DOMAIN "trb-vulkan-executor"

#include "config.h"

#include "trb-vulkan-private.h"

#include <glib/gi18n.h>
#include <string.h>

/* The memory type for a buffer with @req; *@mappable says whether the host will map it. */
static int
choose_memory_type (TrbVulkanExecutor          *self,
                    const VkMemoryRequirements *req,
                    gboolean                    host,
                    gboolean                   *mappable)
{
  int type;

  *mappable = TRUE;
  if (host)
    return trb_vulkan_context_find_memory_type (self->ctx, req->memoryTypeBits, NULL);
  type = trb_vulkan_context_find_device_memory_type (self->ctx, req->memoryTypeBits, mappable);
  *mappable = *mappable && !self->force_staging;
  return type;
}

/* A block of memory of @type with room for @req, and the offset of that room in it: one
 * already allocated, else a new one of BLOCK_SIZE (or more, for a larger buffer). */
static Block *
find_block (TrbVulkanExecutor          *self,
            const VkMemoryRequirements *req,
            guint32                     type,
            gboolean                    mappable,
            VkDeviceSize               *offset,
            GError                    **error)
{
  VkMemoryAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
    .allocationSize = MAX (BLOCK_SIZE, req->size),
    .memoryTypeIndex = type,
  };
  Block nb = { 0 };
  void *map = NULL;

  for (guint i = 0; i < self->blocks->len; i++)
    {
      Block *cand = &g_array_index (self->blocks, Block, i);
      VkDeviceSize off = (cand->used + req->alignment - 1) / req->alignment * req->alignment;

      if (cand->type == type && (cand->map != NULL) == mappable && off + req->size <= cand->size)
        {
          *offset = off;
          return cand;
        }
    }
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
  nb.type = type;
  nb.size = alloc.allocationSize;
  g_array_append_val (self->blocks, nb);
  *offset = 0;
  return &g_array_index (self->blocks, Block, self->blocks->len - 1);
}

/* A buffer the kernels use. @host: the host writes or reads it often (a step's inputs and
 * statistics), so it must be mappable; otherwise it goes in device-local memory, mapped when
 * the device allows and staging copies are not forced. */
Buf *
trb_vk_buf_new (TrbVulkanExecutor  *self,
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
  Block *blk;
  VkDeviceSize offset = 0;
  gboolean mappable;
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
  if ((type = choose_memory_type (self, &req, host, &mappable)) < 0)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The graphics device has no memory the processor can share."));
      return NULL;
    }
  if ((blk = find_block (self, &req, (guint32) type, mappable, &offset, error)) == NULL ||
      !trb_vulkan_check (vkBindBufferMemory (dev (self), b->buffer, blk->memory, offset),
                         self->ctx, "vkBindBufferMemory", error))
    return NULL;
  blk->used = offset + req.size;
  if (blk->map != NULL)
    {
      b->map = blk->map + offset;
      memset (b->map, 0, b->bytes);
    }
  else if (!trb_vk_fill_zero (self, b, error))
    return NULL;
  return b;
}

/* ---- staging ---- */

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
  return trb_vk_submit_and_wait (self, self->transfer_cb, error);
}

gboolean
trb_vk_fill_zero (TrbVulkanExecutor  *self,
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
    self->staging = trb_vk_buf_new (self, STAGING_BYTES, TRUE, error);
  return self->staging != NULL;
}

/* Copies @bytes from the host into @dst at byte @offset, through staging when unmapped. */
gboolean
trb_vk_upload (TrbVulkanExecutor  *self,
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
gboolean
trb_vk_download (TrbVulkanExecutor  *self,
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

gboolean
trb_vk_ensure_view (TrbVulkanExecutor  *self,
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

/* trb-vulkan-context.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One Vulkan device: instance, logical device with one compute queue at the lowest priority
 * (training must yield to the desktop), the single descriptor set layout and pipeline layout
 * that every kernel shares, and the kernels' pipelines, built on first use from the SPIR-V
 * embedded at build time.
 */

#define G_LOG_DOMAIN "trb-vulkan-context"

#include "config.h"

#include "trb-vulkan-context.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-compute-resources.h"

struct _TrbVulkanContext
{
  GObject                     parent_instance;

  TrbVulkanDeviceInfo         info;
  VkInstance                  instance;
  VkPhysicalDevice            physical;
  VkPhysicalDeviceProperties  props;
  VkPhysicalDeviceMemoryProperties mem_props;
  VkDevice                    device;
  VkQueue                     queue;
  guint32                     queue_family;
  guint32                     timestamp_bits;
  guint32                     subgroup_size;
  VkDescriptorSetLayout       set_layout;
  VkPipelineLayout            pipeline_layout;
  VkPipelineCache             cache;
  GHashTable                 *pipelines;   /* kernel name → VkPipeline */
  GMutex                      mutex;
  gboolean                    lost;
};

G_DEFINE_FINAL_TYPE (TrbVulkanContext, trb_vulkan_context, G_TYPE_OBJECT)

gboolean
trb_vulkan_check (VkResult          result,
                  TrbVulkanContext *self,
                  const char       *what,
                  GError          **error)
{
  if (result == VK_SUCCESS)
    return TRUE;
  if (result == VK_ERROR_DEVICE_LOST)
    {
      if (self != NULL)
        trb_vulkan_context_mark_lost (self);
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DEVICE_LOST,
                   _("The graphics device stopped responding (its driver may have been reset)."));
      return FALSE;
    }
  if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The graphics device does not have enough memory for this model. Try a "
                     "smaller batch size or train on the processor."));
      return FALSE;
    }
  g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_FAILED,
               /* Translators: %s names a step, %d is a Vulkan error code. */
               _("The graphics device reported an error (%s: %d)."), what, (int) result);
  return FALSE;
}

void
trb_vulkan_device_info_free (TrbVulkanDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info);
}

const char *
trb_vulkan_device_type_to_string (TrbVulkanDeviceType type)
{
  switch (type)
    {
    case TRB_VULKAN_DEVICE_DISCRETE:
      return _("Dedicated graphics card");
    case TRB_VULKAN_DEVICE_INTEGRATED:
      return _("Built-in graphics");
    case TRB_VULKAN_DEVICE_VIRTUAL:
      return _("Virtual graphics");
    case TRB_VULKAN_DEVICE_CPU:
      return _("Software (runs on the processor)");
    case TRB_VULKAN_DEVICE_OTHER:
    default:
      return _("Other device");
    }
}

static VkResult
create_instance (VkInstance *instance)
{
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "Tributary",
    .applicationVersion = 1,
    .pEngineName = "tributary-compute",
    .apiVersion = VK_API_VERSION_1_1,
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };

  return vkCreateInstance (&info, NULL, instance);
}

static gboolean
find_compute_family (VkPhysicalDevice  physical,
                     guint32          *family)
{
  guint32 n = 0;
  g_autofree VkQueueFamilyProperties *families = NULL;
  int fallback = -1;

  vkGetPhysicalDeviceQueueFamilyProperties (physical, &n, NULL);
  families = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (physical, &n, families);
  for (guint32 i = 0; i < n; i++)
    {
      if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT))
        continue;
      /* Prefer a compute-only family: work there competes least with the desktop's drawing. */
      if (!(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT))
        {
          *family = i;
          return TRUE;
        }
      if (fallback < 0)
        fallback = (int) i;
    }
  if (fallback < 0)
    return FALSE;
  *family = (guint32) fallback;
  return TRUE;
}

static void
fill_info (VkPhysicalDevice     physical,
           int                  index,
           TrbVulkanDeviceInfo *info)
{
  VkPhysicalDeviceProperties props;
  VkPhysicalDeviceMemoryProperties mem;
  guint32 family;

  vkGetPhysicalDeviceProperties (physical, &props);
  vkGetPhysicalDeviceMemoryProperties (physical, &mem);
  info->index = index;
  info->name = g_strndup (props.deviceName, VK_MAX_PHYSICAL_DEVICE_NAME_SIZE);
  switch (props.deviceType)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      info->type = TRB_VULKAN_DEVICE_DISCRETE;
      break;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      info->type = TRB_VULKAN_DEVICE_INTEGRATED;
      break;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      info->type = TRB_VULKAN_DEVICE_VIRTUAL;
      break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      info->type = TRB_VULKAN_DEVICE_CPU;
      break;
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:
    default:
      info->type = TRB_VULKAN_DEVICE_OTHER;
      break;
    }
  info->memory_bytes = 0;
  for (guint32 h = 0; h < mem.memoryHeapCount; h++)
    if (mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info->memory_bytes = MAX (info->memory_bytes, mem.memoryHeaps[h].size);
  info->api_version = props.apiVersion;
  info->vendor_id = props.vendorID;
  info->device_id = props.deviceID;
  info->usable = props.apiVersion >= VK_API_VERSION_1_1 && find_compute_family (physical, &family);
}

/**
 * trb_vulkan_enumerate_devices:
 *
 * Returns: (transfer full) (element-type TrbVulkanDeviceInfo): every Vulkan device, or %NULL
 *   with %TRB_COMPUTE_ERROR_NO_DEVICE when Vulkan is missing or has no device
 */
GPtrArray *
trb_vulkan_enumerate_devices (GError **error)
{
  VkInstance instance = VK_NULL_HANDLE;
  g_autofree VkPhysicalDevice *physical = NULL;
  GPtrArray *out;
  guint32 n = 0;

  if (create_instance (&instance) != VK_SUCCESS)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_NO_DEVICE,
                   _("Vulkan is not available on this computer, so training runs on the "
                     "processor."));
      return NULL;
    }
  vkEnumeratePhysicalDevices (instance, &n, NULL);
  if (n == 0)
    {
      vkDestroyInstance (instance, NULL);
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_NO_DEVICE,
                   _("No graphics device with Vulkan was found, so training runs on the "
                     "processor."));
      return NULL;
    }
  physical = g_new0 (VkPhysicalDevice, n);
  vkEnumeratePhysicalDevices (instance, &n, physical);
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_vulkan_device_info_free);
  for (guint32 i = 0; i < n; i++)
    {
      TrbVulkanDeviceInfo *info = g_new0 (TrbVulkanDeviceInfo, 1);
      fill_info (physical[i], (int) i, info);
      g_ptr_array_add (out, info);
    }
  vkDestroyInstance (instance, NULL);
  return out;
}

/**
 * trb_vulkan_choose_device:
 *
 * The automatic choice: a discrete GPU, else an integrated one, else a virtual one, and a
 * software device only when @allow_cpu (the caller has measured it to be faster than the CPU
 * executor). Ties go to the device with more memory. Returns an index or -1.
 */
int
trb_vulkan_choose_device (GPtrArray *devices,
                          gboolean   allow_cpu)
{
  static const int rank[] = {
    [TRB_VULKAN_DEVICE_DISCRETE] = 4,
    [TRB_VULKAN_DEVICE_INTEGRATED] = 3,
    [TRB_VULKAN_DEVICE_VIRTUAL] = 2,
    [TRB_VULKAN_DEVICE_OTHER] = 1,
    [TRB_VULKAN_DEVICE_CPU] = 0,
  };
  TrbVulkanDeviceInfo *best = NULL;

  g_return_val_if_fail (devices != NULL, -1);
  for (guint i = 0; i < devices->len; i++)
    {
      TrbVulkanDeviceInfo *d = g_ptr_array_index (devices, i);

      if (!d->usable || (d->type == TRB_VULKAN_DEVICE_CPU && !allow_cpu))
        continue;
      if (best == NULL || rank[d->type] > rank[best->type] ||
          (rank[d->type] == rank[best->type] && d->memory_bytes > best->memory_bytes))
        best = d;
    }
  return best ? best->index : -1;
}

static void
trb_vulkan_context_finalize (GObject *object)
{
  TrbVulkanContext *self = (TrbVulkanContext *)object;

  if (self->device != VK_NULL_HANDLE)
    {
      GHashTableIter iter;
      gpointer value;

      vkDeviceWaitIdle (self->device);
      g_hash_table_iter_init (&iter, self->pipelines);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        vkDestroyPipeline (self->device, (VkPipeline) value, NULL);
      vkDestroyPipelineCache (self->device, self->cache, NULL);
      vkDestroyPipelineLayout (self->device, self->pipeline_layout, NULL);
      vkDestroyDescriptorSetLayout (self->device, self->set_layout, NULL);
      vkDestroyDevice (self->device, NULL);
    }
  if (self->instance != VK_NULL_HANDLE)
    vkDestroyInstance (self->instance, NULL);
  g_clear_pointer (&self->pipelines, g_hash_table_unref);
  g_free (self->info.name);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (trb_vulkan_context_parent_class)->finalize (object);
}

static void
trb_vulkan_context_class_init (TrbVulkanContextClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_vulkan_context_finalize;
}

static void
trb_vulkan_context_init (TrbVulkanContext *self)
{
  self->pipelines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->mutex);
}

/* Device @index of the instance, if it is there and can train. */
static gboolean
choose_physical_device (TrbVulkanContext  *self,
                        int                index,
                        GError           **error)
{
  g_autofree VkPhysicalDevice *physical = NULL;
  guint32 n = 0;

  vkEnumeratePhysicalDevices (self->instance, &n, NULL);
  if (index < 0 || (guint32) index >= n)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_NO_DEVICE,
                   _("The chosen graphics device is no longer present."));
      return FALSE;
    }
  physical = g_new0 (VkPhysicalDevice, n);
  vkEnumeratePhysicalDevices (self->instance, &n, physical);
  self->physical = physical[index];
  fill_info (self->physical, index, &self->info);
  if (!self->info.usable || !find_compute_family (self->physical, &self->queue_family))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_UNSUPPORTED,
                   _("The graphics device “%s” cannot run Tributary’s training (it needs Vulkan "
                     "1.1 compute)."), self->info.name);
      return FALSE;
    }
  return TRUE;
}

/* The device's properties, memory, subgroup size and the compute queue's timestamp bits. */
static void
read_properties (TrbVulkanContext *self)
{
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
  };
  VkPhysicalDeviceProperties2 props2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    .pNext = &subgroup,
  };
  guint32 nf = 0;
  g_autofree VkQueueFamilyProperties *families = NULL;

  vkGetPhysicalDeviceProperties (self->physical, &self->props);
  vkGetPhysicalDeviceMemoryProperties (self->physical, &self->mem_props);
  vkGetPhysicalDeviceProperties2 (self->physical, &props2);
  self->subgroup_size = subgroup.subgroupSize;
  vkGetPhysicalDeviceQueueFamilyProperties (self->physical, &nf, NULL);
  families = g_new0 (VkQueueFamilyProperties, MAX (nf, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (self->physical, &nf, families);
  if (self->queue_family < nf)
    self->timestamp_bits = families[self->queue_family].timestampValidBits;
}

/* The logical device with one compute queue of the lowest priority. */
static gboolean
create_device (TrbVulkanContext  *self,
               GError           **error)
{
  float priority = 0.0f;
  VkDeviceQueueCreateInfo queue = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = self->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  VkDeviceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue,
  };

  if (!trb_vulkan_check (vkCreateDevice (self->physical, &info, NULL, &self->device), NULL,
                         "vkCreateDevice", error))
    return FALSE;
  vkGetDeviceQueue (self->device, self->queue_family, 0, &self->queue);
  return TRUE;
}

/* The descriptor set and pipeline layouts every kernel shares, and the pipeline cache. */
static gboolean
create_layouts (TrbVulkanContext  *self,
                GError           **error)
{
  VkDescriptorSetLayoutBinding bindings[TRB_VK_BINDINGS];
  VkDescriptorSetLayoutCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
    .bindingCount = G_N_ELEMENTS (bindings),
    .pBindings = bindings,
  };
  VkPushConstantRange range = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    .size = TRB_VK_PUSH_CONSTANT_BYTES,
  };
  VkPipelineLayoutCreateInfo layout = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
    .setLayoutCount = 1,
    .pSetLayouts = &self->set_layout,
    .pushConstantRangeCount = 1,
    .pPushConstantRanges = &range,
  };
  VkPipelineCacheCreateInfo cache = { .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO };

  for (guint i = 0; i < TRB_VK_BINDINGS; i++)
    {
      bindings[i] = (VkDescriptorSetLayoutBinding) {
        .binding = i,
        .descriptorType = i < TRB_VK_STORAGE_BINDINGS ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER :
                          i == TRB_VK_UNIFORM_BINDING ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER :
                          VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
        .descriptorCount = 1,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
      };
    }
  return trb_vulkan_check (vkCreateDescriptorSetLayout (self->device, &info, NULL,
                                                        &self->set_layout),
                           self, "vkCreateDescriptorSetLayout", error) &&
         trb_vulkan_check (vkCreatePipelineLayout (self->device, &layout, NULL,
                                                   &self->pipeline_layout),
                           self, "vkCreatePipelineLayout", error) &&
         trb_vulkan_check (vkCreatePipelineCache (self->device, &cache, NULL, &self->cache),
                           self, "vkCreatePipelineCache", error);
}

TrbVulkanContext *
trb_vulkan_context_new (int      index,
                        GError **error)
{
  g_autoptr(TrbVulkanContext) self = g_object_new (TRB_TYPE_VULKAN_CONTEXT, NULL);

  if (create_instance (&self->instance) != VK_SUCCESS)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_NO_DEVICE,
                   _("Vulkan is not available on this computer."));
      return NULL;
    }
  if (!choose_physical_device (self, index, error))
    return NULL;
  read_properties (self);
  if (!create_device (self, error) || !create_layouts (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const TrbVulkanDeviceInfo *
trb_vulkan_context_get_info (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), NULL);
  return &self->info;
}

VkDevice
trb_vulkan_context_get_device (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), VK_NULL_HANDLE);
  return self->device;
}

VkQueue
trb_vulkan_context_get_queue (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), VK_NULL_HANDLE);
  return self->queue;
}

guint32
trb_vulkan_context_get_queue_family (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), 0);
  return self->queue_family;
}

const VkPhysicalDeviceProperties *
trb_vulkan_context_get_properties (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), NULL);
  return &self->props;
}

/**
 * trb_vulkan_context_get_timestamp_bits:
 *
 * Returns: the valid bits of timestamps written on the compute queue, 0 when it has none
 */
guint32
trb_vulkan_context_get_timestamp_bits (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), 0);
  return self->timestamp_bits;
}

/**
 * trb_vulkan_context_get_subgroup_size:
 *
 * No kernel depends on it; the tests run with more than one.
 *
 * Returns: the number of invocations the device runs together in a subgroup
 */
guint32
trb_vulkan_context_get_subgroup_size (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), 0);
  return self->subgroup_size;
}

/**
 * trb_vulkan_context_supports_texel_format:
 *
 * Returns: whether shaders may read buffers through uniform texel views of @format
 */
gboolean
trb_vulkan_context_supports_texel_format (TrbVulkanContext *self,
                                          VkFormat          format)
{
  VkFormatProperties props;

  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), FALSE);
  vkGetPhysicalDeviceFormatProperties (self->physical, format, &props);
  return (props.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT) != 0;
}

VkDescriptorSetLayout
trb_vulkan_context_get_set_layout (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), VK_NULL_HANDLE);
  return self->set_layout;
}

VkPipelineLayout
trb_vulkan_context_get_pipeline_layout (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), VK_NULL_HANDLE);
  return self->pipeline_layout;
}

VkPipeline
trb_vulkan_context_get_pipeline (TrbVulkanContext  *self,
                                 const char        *kernel,
                                 GError           **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GBytes) code = NULL;
  VkShaderModule module = VK_NULL_HANDLE;
  VkPipeline pipeline;
  VkResult res;

  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), VK_NULL_HANDLE);

  g_mutex_lock (&self->mutex);
  pipeline = g_hash_table_lookup (self->pipelines, kernel);
  g_mutex_unlock (&self->mutex);
  if (pipeline != VK_NULL_HANDLE)
    return pipeline;

  path = g_strdup_printf ("/io/github/tributary/Tributary/shaders/%s.spv", kernel);
  code = g_resource_lookup_data (trb_compute_get_resource (), path,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (code == NULL)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_FAILED,
                   "Missing compute kernel %s", kernel);
      return VK_NULL_HANDLE;
    }

  {
    VkShaderModuleCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
      .codeSize = g_bytes_get_size (code),
      .pCode = g_bytes_get_data (code, NULL),
    };
    VkComputePipelineCreateInfo pinfo = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_COMPUTE_BIT,
        .pName = "main",
      },
      .layout = self->pipeline_layout,
    };

    if (!trb_vulkan_check (vkCreateShaderModule (self->device, &info, NULL, &module), self,
                           "vkCreateShaderModule", error))
      return VK_NULL_HANDLE;
    pinfo.stage.module = module;
    res = vkCreateComputePipelines (self->device, self->cache, 1, &pinfo, NULL, &pipeline);
    vkDestroyShaderModule (self->device, module, NULL);
    if (!trb_vulkan_check (res, self, "vkCreateComputePipelines", error))
      return VK_NULL_HANDLE;
  }

  g_mutex_lock (&self->mutex);
  g_hash_table_insert (self->pipelines, g_strdup (kernel), pipeline);
  g_mutex_unlock (&self->mutex);
  return pipeline;
}

/**
 * trb_vulkan_context_find_memory_type:
 *
 * Picks host-visible, coherent memory for @type_bits, preferring memory that is also
 * device-local (integrated GPUs, resizable BAR, software devices). Returns -1 when none fits.
 */
int
trb_vulkan_context_find_memory_type (TrbVulkanContext *self,
                                     guint32           type_bits,
                                     gboolean         *device_local)
{
  const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  int fallback = -1;

  for (guint32 i = 0; i < self->mem_props.memoryTypeCount; i++)
    {
      VkMemoryPropertyFlags f = self->mem_props.memoryTypes[i].propertyFlags;

      if (!(type_bits & (1u << i)) || (f & want) != want)
        continue;
      if (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
        {
          if (device_local)
            *device_local = TRUE;
          return (int) i;
        }
      if (fallback < 0)
        fallback = (int) i;
    }
  if (device_local)
    *device_local = FALSE;
  return fallback;
}

/**
 * trb_vulkan_context_find_device_memory_type:
 * @host_visible: (out): whether the type found can also be mapped (host-visible and coherent)
 *
 * Picks memory for big buffers the device works on: device-local, mappable if possible;
 * otherwise any type (software devices may have no device-local heap). Returns -1 when none
 * fits.
 */
int
trb_vulkan_context_find_device_memory_type (TrbVulkanContext *self,
                                            guint32           type_bits,
                                            gboolean         *host_visible)
{
  const VkMemoryPropertyFlags mappable = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                         VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  int best = -1, best_rank = -1;

  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), -1);
  for (guint32 i = 0; i < self->mem_props.memoryTypeCount; i++)
    {
      VkMemoryPropertyFlags f = self->mem_props.memoryTypes[i].propertyFlags;
      int rank = ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) ? 2 : 0) +
                 ((f & mappable) == mappable ? 1 : 0);

      if ((type_bits & (1u << i)) && rank > best_rank)
        {
          best = (int) i;
          best_rank = rank;
        }
    }
  *host_visible = best >= 0 && (best_rank & 1);
  return best;
}

gboolean
trb_vulkan_context_is_lost (TrbVulkanContext *self)
{
  g_return_val_if_fail (TRB_IS_VULKAN_CONTEXT (self), TRUE);
  return self->lost;
}

void
trb_vulkan_context_mark_lost (TrbVulkanContext *self)
{
  g_return_if_fail (TRB_IS_VULKAN_CONTEXT (self));
  self->lost = TRUE;
}

/* trb-vulkan-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the parts of the Vulkan executor share, and nothing outside src/compute may include:
 * the executor's instance structure, the buffers and recordings it holds, and the functions one
 * part calls in another. trb-vulkan-executor.c is the object (GObject, the executor interface,
 * the public API, submissions); trb-vulkan-memory.c makes buffers in a few large memory blocks
 * and moves data in and out of them; trb-vulkan-record.c records the training and evaluation
 * steps into command buffers, one recorder per layer kind and pass, and trb-vulkan-gemm.c their
 * GEMMs; trb-vulkan-gemm-job.c runs stand-alone GEMMs for the tests and the benchmark.
 */

#pragma once

#include "compute/trb-vulkan-executor.h"

G_BEGIN_DECLS

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

static inline VkDevice
dev (TrbVulkanExecutor *self)
{
  return trb_vulkan_context_get_device (self->ctx);
}

/* A whole buffer as a storage binding. */
static inline Range
whole (Buf *b)
{
  return (Range) { b, 0, b->bytes / 4 };
}

/* @count floats of @b from float @offset, as a storage binding. */
static inline Range
part (Buf   *b,
      gsize  offset,
      gsize  count)
{
  return (Range) { b, offset, count };
}

/* The number of floats a layer writes, and reads, per sample. */
static inline gsize
out_size (const TrbLayer *l)
{
  return (gsize) l->out_c * l->out_h * l->out_w;
}

static inline gsize
in_size (const TrbLayer *l)
{
  return (gsize) l->in_c * l->in_h * l->in_w;
}

/* The state of one recording under way. */
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

/* One kernel dispatch, filled with designated initialisers: what is left out is unbound,
 * zero or (for the workgroups along y and z) one. */
typedef struct
{
  const char *kernel;
  Range       storage[TRB_VK_STORAGE_BINDINGS];  /* a range with no buffer is left unbound */
  Buf        *tex_a;       /* texel bindings A and B; either alone is bound to both */
  Buf        *tex_b;
  gboolean    uniform;     /* binds the values of the step being recorded */
  const void *push;        /* the push constants */
  gsize       push_size;
  guint       groups[3];   /* workgroups along x, y and z */
  gsize       elements;    /* instead of groups: one invocation per element, 64 a workgroup */
} Dispatch;

/* The push constants of every GEMM kernel. */
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

/* trb-vulkan-executor.c */
void        trb_vk_release          (TrbVulkanExecutor  *self);
gboolean    trb_vk_ensure_device    (TrbVulkanExecutor  *self,
                                     GError            **error);
gboolean    trb_vk_use_tiled_gemm   (TrbVulkanExecutor  *self);
gboolean    trb_vk_submit_and_wait  (TrbVulkanExecutor  *self,
                                     VkCommandBuffer     cb,
                                     GError            **error);

/* trb-vulkan-memory.c */
Buf        *trb_vk_buf_new          (TrbVulkanExecutor  *self,
                                     gsize               bytes,
                                     gboolean            host,
                                     GError            **error);
gboolean    trb_vk_fill_zero        (TrbVulkanExecutor  *self,
                                     Buf                *b,
                                     GError            **error);
gboolean    trb_vk_upload           (TrbVulkanExecutor  *self,
                                     Buf                *dst,
                                     gsize               offset,
                                     const void         *src,
                                     gsize               bytes,
                                     GError            **error);
gboolean    trb_vk_download         (TrbVulkanExecutor  *self,
                                     Buf                *src,
                                     gsize               offset,
                                     void               *dst,
                                     gsize               bytes,
                                     GError            **error);
gboolean    trb_vk_ensure_view      (TrbVulkanExecutor  *self,
                                     Buf                *b,
                                     ViewKind            kind,
                                     GError            **error);

/* trb-vulkan-gemm.c */
void        trb_vk_gemm             (Rec                *r,
                                     GemmPush           *p,
                                     Range               c,
                                     Buf                *a,
                                     Buf                *b,
                                     Range               bias,
                                     Range               mask,
                                     int                 batch);
void        trb_vk_gemm_update      (Rec                *r,
                                     GemmPush           *p,
                                     Buf                *a,
                                     Buf                *b);

/* trb-vulkan-record.c */
Recording  *trb_vk_get_recording    (TrbVulkanExecutor  *self,
                                     int                 n,
                                     gboolean            train,
                                     gboolean            indexed,
                                     int                 k,
                                     UpdateKind          update,
                                     GError            **error);
void        trb_vk_print_profile    (Recording          *rec);
void        trb_vk_dispatch         (Rec                *r,
                                     const Dispatch     *d);

G_END_DECLS

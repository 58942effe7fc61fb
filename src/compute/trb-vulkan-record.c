/* trb-vulkan-record.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Recording the Vulkan executor's steps: a whole training step — gather, forward, loss,
 * backward, optimizer — is recorded once into a command buffer and replayed for every batch;
 * what changes between steps is written into mapped buffers before the replay. Here are the
 * dispatch of one kernel, the choice of GEMM kernel for a product's shapes, the recorders of
 * each layer's passes, the cache of recordings and the per-dispatch profile.
 */

#define G_LOG_DOMAIN "trb-vulkan-executor"

#include "config.h"

#include "trb-vulkan-private.h"

#include <math.h>
#include <string.h>

static const char *const update_suffix[] = { "", "-sgd", "-momentum", "-adam" };

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Prints the median and the least device time of each dispatch of a profiled recording to
 * stderr (not the mean: on a shared machine some runs are slow). */
void
trb_vk_print_profile (Recording *rec)
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

void
trb_vk_dispatch (Rec         *r,
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
      (tex_a && !trb_vk_ensure_view (self, tex_a, kind_a, r->error)) ||
      (tex_b && !trb_vk_ensure_view (self, tex_b, kind_b, r->error)))
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
      if ((tex_a == NULL && !trb_vk_ensure_view (self, ta, kind_a, r->error)) ||
          (tex_b == NULL && !trb_vk_ensure_view (self, tb, kind_b, r->error)))
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
      if (!trb_vk_ensure_view (self, state[t], VIEW_F32X4, r->error))
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

  trb_vk_dispatch (r, kernel, storage, n_storage, NULL, NULL, uniform, push, push_size, gx, MAX (gy, 1),
                   1);
}

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
void
trb_vk_gemm (Rec      *r,
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
  if (trb_vk_use_tiled_gemm (r->self))
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
    trb_vk_dispatch (r, kernel, storage, 3, a, b, FALSE, p, sizeof *p,
                     linear_groups (p->m, p->n, tm), 1, (guint) MAX (batch, 1));
  else
    trb_vk_dispatch (r, kernel, storage, 3, a, b, FALSE, p, sizeof *p,
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
    trb_vk_dispatch (r, kernel, storage, 4, a, b, TRUE, p, sizeof *p,
                     linear_groups (p->m, p->n, five ? 5 : 8), 1, 1);
  else
    trb_vk_dispatch (r, kernel, storage, 4, a, b, TRUE, p, sizeof *p,
                     (guint) ((p->n + tile * 8 - 1) / (tile * 8)), (guint) ((p->m + tile - 1) / tile),
                     1);
}

/* Whether dense layers update their parameters in their weight-gradient GEMM (the texel
 * profile; the GPU profile keeps the separate gradient, reduction and optimizer passes). */
static gboolean
fuses_dense_update (TrbVulkanExecutor *self)
{
  return !trb_vk_use_tiled_gemm (self);
}

/* The most classes dense-softmax-xent.comp handles. */
#define FUSED_LOSS_MAX_CLASSES 16

/* Whether the last layer, a dense one, is computed with the loss in one kernel (the texel
 * profile, inputs in fours): its logits are never written out. */
static gboolean
fuses_dense_loss (TrbVulkanExecutor *self)
{
  const TrbLayer *l = trb_model_spec_get_layer (self->spec, self->n_layers - 1);

  return !trb_vk_use_tiled_gemm (self) && l->kind == TRB_LAYER_DENSE && l->in_c % 4 == 0 &&
         l->out_c <= FUSED_LOSS_MAX_CLASSES;
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
            trb_vk_gemm (r, &p, part (y, 0, (gsize) n * l->out_c), x, self->params,
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
            trb_vk_gemm (r, &p, part (y, 0, (gsize) n * out_size (l)), self->params, self->cols[i],
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
      trb_vk_dispatch (r, "gather4", st, 5, self->data, NULL, FALSE, &push, sizeof push,
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
      trb_vk_dispatch (r, classes == 10 ? "dense-softmax-xent-10" : "dense-softmax-xent", st, 4,
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
                trb_vk_gemm (r, &pw, part (self->grads, self->param_off[l->weight_index],
                                           (gsize) out * in),
                             dcur, self->acts[i], (Range) { 0 }, (Range) { 0 }, 1);
                trb_vk_dispatch (r, "reduce", st, 2, NULL, NULL, FALSE, rp, sizeof rp, (guint) out,
                                 1, 1);
              }
            /* The data gradient reads the weights before the fused update changes them. */
            if (need_dx)
              {
                GemmPush pd = { n, in, out, 0, out, 1, (gint32) self->param_off[l->weight_index],
                                in, 1, 0, 0, 0, in, mask_next ? GEMM_MASK : 0, 1 };

                trb_vk_gemm (r, &pd, part (dnext, 0, (gsize) n * in), dcur, self->params,
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
            trb_vk_gemm (r, &pw,
                         part (self->grads, self->param_off[l->weight_index], (gsize) l->out_c * K),
                         self->tmp, self->cols[i], (Range) { 0 }, (Range) { 0 }, 1);
            trb_vk_dispatch (r, "reduce", rst, 2, NULL, NULL, FALSE, rp, sizeof rp, (guint) l->out_c, 1,
                             1);
            if (need_dx)
              {
                GemmPush pd = { K, nP, l->out_c, (gint32) self->param_off[l->weight_index], 1, K,
                                0, nP, 1, 0, 0, 0, nP, 0, 1 };
                gsize total = (gsize) n * in_size (l);
                ConvPush cp = conv_push (l, n, total);
                Range cst[2] = { part (self->cols[i], 0, (gsize) K * nP), part (dnext, 0, total) };

                trb_vk_gemm (r, &pd, part (self->cols[i], 0, (gsize) K * nP), self->params, self->tmp,
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
Recording *
trb_vk_get_recording (TrbVulkanExecutor  *self,
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
  trb_vk_print_profile (slot);
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

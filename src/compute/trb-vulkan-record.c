/* trb-vulkan-record.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Recording the Vulkan executor's steps: a whole training step — gather, forward, loss,
 * backward, optimizer — is recorded once into a command buffer and replayed for every batch;
 * what changes between steps is written into mapped buffers before the replay. Here are the
 * dispatch of one kernel, the recorders of each layer's passes, the cache of recordings and the
 * per-dispatch profile; the GEMMs are recorded by trb-vulkan-gemm.c.
 */

#define G_LOG_DOMAIN "trb-vulkan-executor"

#include "config.h"

#include "trb-vulkan-private.h"

#include <math.h>
#include <string.h>

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

/* The descriptor writes of a dispatch: they point into its arrays, so they live together. */
typedef struct
{
  VkDescriptorSet        set;
  VkDescriptorBufferInfo binfo[TRB_VK_STORAGE_BINDINGS + 1];
  VkBufferView           views[2 + TRB_VK_TEXEL_BINDINGS_STATE];
  VkWriteDescriptorSet   writes[TRB_VK_BINDINGS];
  guint                  n_writes;
} Bindings;

static void
bind_storage (Bindings       *bd,
              const Dispatch *d)
{
  for (guint i = 0; i < TRB_VK_STORAGE_BINDINGS; i++)
    {
      const Range *s = &d->storage[i];

      if (s->buf == NULL)
        continue;
      bd->binfo[i] = (VkDescriptorBufferInfo) {
        s->buf->buffer, s->offset * 4, MAX (s->count, 1) * 4
      };
      bd->writes[bd->n_writes++] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = bd->set,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &bd->binfo[i],
      };
    }
}

/* Texel bindings A and B; a kernel that reads one of them finds the same view in the other. */
static gboolean
bind_texels (Rec            *r,
             Bindings       *bd,
             const Dispatch *d,
             ViewKind        kind_a,
             ViewKind        kind_b)
{
  Buf *ta = d->tex_a ? d->tex_a : d->tex_b, *tb = d->tex_b ? d->tex_b : d->tex_a;

  if (ta == NULL)
    return TRUE;
  if (d->tex_a == NULL)
    kind_a = kind_b;
  if (d->tex_b == NULL)
    kind_b = kind_a;
  if ((d->tex_a == NULL && !trb_vk_ensure_view (r->self, ta, kind_a, r->error)) ||
      (d->tex_b == NULL && !trb_vk_ensure_view (r->self, tb, kind_b, r->error)))
    return FALSE;
  bd->views[0] = ta->views[kind_a];
  bd->views[1] = tb->views[kind_b];
  for (guint t = 0; t < 2; t++)
    bd->writes[bd->n_writes++] = texel_write (bd->set, TRB_VK_TEXEL_BINDING_A + t,
                                              &bd->views[t]);
  return TRUE;
}

/* The fused updates of the texel profile read the optimizer's state as texels (a storage
 * buffer read is a scalar loop on CPU drivers) and write it through storage bindings. */
static gboolean
bind_state_texels (Rec      *r,
                   Bindings *bd)
{
  TrbVulkanExecutor *self = r->self;
  Buf *state[TRB_VK_TEXEL_BINDINGS_STATE] = { self->params, self->m, self->v };

  for (guint t = 0; t < TRB_VK_TEXEL_BINDINGS_STATE; t++)
    {
      if (!trb_vk_ensure_view (self, state[t], VIEW_F32X4, r->error))
        return FALSE;
      bd->views[2 + t] = state[t]->views[VIEW_F32X4];
      bd->writes[bd->n_writes++] = texel_write (bd->set, TRB_VK_TEXEL_BINDING_W + t,
                                                &bd->views[2 + t]);
    }
  return TRUE;
}

/* The step's values, at the slot of the step being recorded. */
static void
bind_uniform (Rec      *r,
              Bindings *bd)
{
  bd->binfo[TRB_VK_STORAGE_BINDINGS] = (VkDescriptorBufferInfo) {
    r->self->step->buffer, (VkDeviceSize) r->j * STEP_STRIDE, sizeof (StepUniform)
  };
  bd->writes[bd->n_writes++] = (VkWriteDescriptorSet) {
    .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
    .dstSet = bd->set,
    .dstBinding = TRB_VK_UNIFORM_BINDING,
    .descriptorCount = 1,
    .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
    .pBufferInfo = &bd->binfo[TRB_VK_STORAGE_BINDINGS],
  };
}

/* Records the dispatch itself, the barrier after it and, when profiling, its timestamp. */
static void
record_dispatch (Rec             *r,
                 const Dispatch  *d,
                 VkPipeline       pipeline,
                 VkDescriptorSet  set)
{
  TrbVulkanExecutor *self = r->self;
  VkPipelineLayout layout = trb_vulkan_context_get_pipeline_layout (self->ctx);
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };
  guint gx = d->groups[0], gy = MAX (d->groups[1], 1), gz = MAX (d->groups[2], 1);

  if (d->elements > 0)
    {
      /* One invocation per element, 64 per workgroup, spilling into y past 65,535 groups. */
      gsize groups = (d->elements + 63) / 64;

      gx = (guint) MIN (groups, 65535);
      gy = (guint) MAX ((groups + 65534) / 65535, 1);
      gz = 1;
    }
  vkCmdBindPipeline (r->rec->cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
  vkCmdBindDescriptorSets (r->rec->cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0,
                           NULL);
  vkCmdPushConstants (r->rec->cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                      (guint32) d->push_size, d->push);
  vkCmdDispatch (r->rec->cb, gx, gy, gz);
  vkCmdPipelineBarrier (r->rec->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                        VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                        &barrier, 0, NULL, 0, NULL);
  if (r->rec->labels != NULL && r->rec->dispatches + 1 < PROFILE_QUERIES)
    {
      vkCmdWriteTimestamp (r->rec->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, self->profile,
                           r->rec->dispatches + 1);
      g_ptr_array_add (r->rec->labels, g_strdup (r->label[0] ? r->label : d->kernel));
    }
}

/* Records one kernel dispatch as @d describes it; a failure is kept in @r, and once one has
 * happened nothing more is recorded. */
void
trb_vk_dispatch (Rec            *r,
                 const Dispatch *d)
{
  TrbVulkanExecutor *self = r->self;
  VkDescriptorSetLayout layout = trb_vulkan_context_get_set_layout (self->ctx);
  VkDescriptorSetAllocateInfo ainfo = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorPool = r->rec->pool,
    .descriptorSetCount = 1,
    .pSetLayouts = &layout,
  };
  Bindings bd = { 0 };
  VkPipeline pipeline;
  ViewKind kind_a, kind_b;
  gboolean state_texels = strstr (d->kernel, "-update") != NULL &&
                          (g_str_has_prefix (d->kernel, "gemm-vec4-tn") ||
                           g_str_has_prefix (d->kernel, "gemm-bv4"));

  if (r->failed)
    return;
  texel_kinds (d->kernel, &kind_a, &kind_b);
  pipeline = trb_vulkan_context_get_pipeline (self->ctx, d->kernel, r->error);
  if (pipeline == VK_NULL_HANDLE ||
      !trb_vulkan_check (vkAllocateDescriptorSets (dev (self), &ainfo, &bd.set), self->ctx,
                         "vkAllocateDescriptorSets", r->error) ||
      (d->tex_a && !trb_vk_ensure_view (self, d->tex_a, kind_a, r->error)) ||
      (d->tex_b && !trb_vk_ensure_view (self, d->tex_b, kind_b, r->error)))
    {
      r->failed = TRUE;
      return;
    }
  bind_storage (&bd, d);
  if (!bind_texels (r, &bd, d, kind_a, kind_b) || (state_texels && !bind_state_texels (r, &bd)))
    {
      r->failed = TRUE;
      return;
    }
  if (d->uniform)
    bind_uniform (r, &bd);
  vkUpdateDescriptorSets (dev (self), bd.n_writes, bd.writes, 0, NULL);
  record_dispatch (r, d, pipeline, bd.set);
  r->label[0] = '\0';
  r->rec->dispatches++;
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
  return (ConvPush) {
    .n = n, .c = l->in_c, .h = l->in_h, .w = l->in_w, .oh = l->out_h, .ow = l->out_w,
    .kh = l->kernel_h, .kw = l->kernel_w, .stride = l->stride, .pad_h = l->pad_h,
    .pad_w = l->pad_w, .total = (gint32) total,
  };
}

typedef struct
{
  gint32 h, w, oh, ow, kh, kw, stride, total;
} PoolPush;

static PoolPush
pool_push (const TrbLayer *l,
           gsize           total)
{
  return (PoolPush) {
    .h = l->in_h, .w = l->in_w, .oh = l->out_h, .ow = l->out_w, .kh = l->kernel_h,
    .kw = l->kernel_w, .stride = l->stride, .total = (gint32) total,
  };
}

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
  DropoutPush push = {
    .total = (gint32) total,
    .layer = index,
    .threshold_hi = (guint32) (threshold >> 32),
    .threshold_lo = (guint32) threshold,
    .scale = drop ? (float) (1.0 / (1.0 - l->rate)) : 1.0f,
  };

  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = "dropout",
    .storage = { part (x, 0, total), part (y, 0, total) },
    .uniform = TRUE,
    .push = &push,
    .push_size = sizeof push,
    .elements = total,
  });
}

/* ---- forward pass, one recorder per layer kind: layer @i reads acts[i], writes acts[i + 1] */

/* Y = X·Wᵀ + b, with the following ReLU when @fuse. */
static void
forward_dense (Rec            *r,
               const TrbLayer *l,
               guint           i,
               int             n,
               gboolean        fuse)
{
  TrbVulkanExecutor *self = r->self;
  GemmPush p = {
    .m = n, .n = l->out_c, .k = l->in_c,
    .a_si = l->in_c, .a_sp = 1,
    .b_off = (gint32) self->param_off[l->weight_index], .b_sp = 1, .b_sj = l->in_c,
    .ldc = l->out_c, .flags = GEMM_BIAS_COL | (fuse ? GEMM_RELU : 0), .alpha = 1,
  };

  trb_vk_gemm (r, &p, part (self->acts[i + 1], 0, (gsize) n * l->out_c), self->acts[i],
               self->params, part (self->params, self->param_off[l->bias_index], l->out_c),
               (Range) { 0 }, 1);
}

/* im2col, then one GEMM per sample: Y = W·cols + b, with the following ReLU when @fuse. */
static void
forward_conv (Rec            *r,
              const TrbLayer *l,
              guint           i,
              int             n,
              gboolean        fuse)
{
  TrbVulkanExecutor *self = r->self;
  int K = l->in_c * l->kernel_h * l->kernel_w, P = l->out_h * l->out_w;
  gsize total = (gsize) K * n * P;
  ConvPush cp = conv_push (l, n, total);
  GemmPush p = {
    .m = l->out_c, .n = P, .k = K,
    .a_off = (gint32) self->param_off[l->weight_index], .a_si = K, .a_sp = 1,
    .b_sp = n * P, .b_sj = 1,
    .b_bs = P, .c_bs = l->out_c * P,
    .ldc = P, .flags = GEMM_BIAS_ROW | (fuse ? GEMM_RELU : 0), .alpha = 1,
  };

  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = "im2col",
    .storage = { part (self->acts[i], 0, (gsize) n * in_size (l)),
                 part (self->cols[i], 0, total) },
    .push = &cp,
    .push_size = sizeof cp,
    .elements = total,
  });
  trb_vk_gemm (r, &p, part (self->acts[i + 1], 0, (gsize) n * out_size (l)), self->params,
               self->cols[i], part (self->params, self->param_off[l->bias_index], l->out_c),
               (Range) { 0 }, n);
}

static void
forward_maxpool (Rec            *r,
                 const TrbLayer *l,
                 guint           i,
                 int             n)
{
  TrbVulkanExecutor *self = r->self;
  gsize total = (gsize) n * out_size (l);
  PoolPush pp = pool_push (l, total);

  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = "maxpool",
    .storage = { part (self->acts[i], 0, (gsize) n * in_size (l)),
                 part (self->acts[i + 1], 0, total), part (self->argmax[i], 0, total) },
    .push = &pp,
    .push_size = sizeof pp,
    .elements = total,
  });
}

/* A ReLU that no GEMM epilogue took: max(x, 0) is the backward kernel with dy = y = x. */
static void
forward_relu (Rec            *r,
              const TrbLayer *l,
              guint           i,
              int             n)
{
  TrbVulkanExecutor *self = r->self;
  gsize total = (gsize) n * out_size (l);
  gint32 push = (gint32) total;

  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = "relu-backward",
    .storage = { part (self->acts[i], 0, total), part (self->acts[i + 1], 0, total),
                 part (self->acts[i], 0, total) },
    .push = &push,
    .push_size = sizeof push,
    .elements = total,
  });
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

      switch (l->kind)
        {
        case TRB_LAYER_DENSE:
          /* The last layer may be computed with the loss, in record_loss(). */
          if (!(i + 1 == self->n_layers && fuses_dense_loss (self)))
            forward_dense (r, l, i, n, fuse);
          break;
        case TRB_LAYER_CONV2D:
          forward_conv (r, l, i, n, fuse);
          break;
        case TRB_LAYER_MAXPOOL2D:
          forward_maxpool (r, l, i, n);
          break;
        case TRB_LAYER_RELU:
          if (!self->relu_fused[i])
            forward_relu (r, l, i, n);
          break;
        case TRB_LAYER_DROPOUT:
          /* Evaluation copies: dropout only acts while training. */
          if (l->rate > 0)
            record_dropout (r, l, i, n, self->acts[i], self->acts[i + 1], r->train);
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
  GatherPush push = {
    .n = n, .features = (gint32) fs, .total = (gint32) ((gsize) n * fs),
    .scale = self->data_scale,
  };
  Dispatch d = {
    .kernel = "gather",
    .storage = { whole (self->data), part (self->x, 0, (gsize) n * fs),
                 part (self->indices, (gsize) r->j * n, n), whole (self->data_labels),
                 part (self->labels, 0, n) },
    .push = &push,
    .push_size = sizeof push,
    .elements = (gsize) n * fs,
  };

  /* Four bytes a texel where the samples' features come in fours and the device allows it. */
  if (self->data_texels && fs % 4 == 0)
    {
      push.total = (gint32) ((gsize) n * fs / 4);
      d.kernel = "gather4";
      d.storage[0] = (Range) { 0 };
      d.tex_a = self->data;
      d.elements = (gsize) n * fs / 4;
    }
  trb_vk_dispatch (r, &d);
}

static void
record_loss (Rec      *r,
             int       n,
             gboolean  want_grad)
{
  TrbVulkanExecutor *self = r->self;
  int classes = trb_model_spec_get_n_classes (self->spec);
  Dispatch d = {
    .kernel = "softmax-xent",
    .storage = { part (self->acts[self->n_layers], 0, (gsize) n * classes),
                 part (self->d_a, 0, (gsize) n * classes), part (self->labels, 0, n),
                 part (self->stats, 2 * (gsize) r->j * n, 2 * (gsize) n) },
  };

  if (fuses_dense_loss (self))
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, self->n_layers - 1);
      gint32 push[6] = { n, classes, want_grad, l->in_c,
                         (gint32) self->param_off[l->weight_index],
                         (gint32) self->param_off[l->bias_index] };

      d.kernel = classes == 10 ? "dense-softmax-xent-10" : "dense-softmax-xent";
      d.storage[0] = (Range) { 0 };
      d.tex_a = self->acts[self->n_layers - 1];
      d.tex_b = self->params;
      d.push = push;
      d.push_size = sizeof push;
      d.groups[0] = (guint) (n + 7) / 8;
      trb_vk_dispatch (r, &d);
    }
  else
    {
      gint32 push[3] = { n, classes, want_grad };

      d.push = push;
      d.push_size = sizeof push;
      d.elements = n;
      trb_vk_dispatch (r, &d);
    }
}

/* ---- backward pass, one recorder per layer kind ---- */

/* Where the backward pass stands: the gradient of the layer's output is in dcur, and a layer
 * that computes the gradient of its input writes it to dnext, after which the two swap. */
typedef struct
{
  Buf      *dcur;
  Buf      *dnext;
  gboolean  masked;     /* dcur has already had the ReLU mask of the layer below applied */
  gboolean  fused;      /* dense layers update their parameters in their gradient GEMM */
} Backward;

/* The bias gradient of @out_c channels: the sum over @rows of @src's rows (see reduce.comp). */
static void
reduce_bias (Rec            *r,
             const TrbLayer *l,
             Range           src,
             gint32          rows,
             gint32          row_stride,
             gint32          col_stride)
{
  TrbVulkanExecutor *self = r->self;
  gint32 push[4] = { rows, row_stride, col_stride, l->out_c };

  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = "reduce",
    .storage = { src, part (self->grads, self->param_off[l->bias_index], l->out_c) },
    .push = push,
    .push_size = sizeof push,
    .groups = { (guint) l->out_c, 1, 1 },
  });
}

/* Weight and bias gradients (or, fused, their update) and the data gradient dX = dY·W, which
 * applies the mask of a ReLU below that a GEMM epilogue did forward. Returns whether it wrote
 * dnext. */
static gboolean
backward_dense (Rec            *r,
                const TrbLayer *l,
                guint           i,
                int             n,
                Backward       *bw)
{
  TrbVulkanExecutor *self = r->self;
  int in = l->in_c, out = l->out_c;
  gboolean mask_next = i > 0 && self->relu_fused[i - 1];
  GemmPush pw = {
    .m = out, .n = in, .k = n,
    .a_si = 1, .a_sp = out,
    .b_sp = in, .b_sj = 1,
    .ldc = in, .alpha = 1,
  };

  if (!bw->fused)
    {
      trb_vk_gemm (r, &pw, part (self->grads, self->param_off[l->weight_index], (gsize) out * in),
                   bw->dcur, self->acts[i], (Range) { 0 }, (Range) { 0 }, 1);
      reduce_bias (r, l, part (bw->dcur, 0, (gsize) n * out), n, 1, out);
    }
  /* The data gradient reads the weights before the fused update changes them. */
  if (i > 0)
    {
      GemmPush pd = {
        .m = n, .n = in, .k = out,
        .a_si = out, .a_sp = 1,
        .b_off = (gint32) self->param_off[l->weight_index], .b_sp = in, .b_sj = 1,
        .ldc = in, .flags = mask_next ? GEMM_MASK : 0, .alpha = 1,
      };

      trb_vk_gemm (r, &pd, part (bw->dnext, 0, (gsize) n * in), bw->dcur, self->params,
                   (Range) { 0 },
                   mask_next ? part (self->acts[i], 0, (gsize) n * in) : (Range) { 0 }, 1);
      bw->masked = mask_next;
    }
  if (bw->fused)
    {
      pw.w_off = (gint32) self->param_off[l->weight_index];
      pw.bias_off = (gint32) self->param_off[l->bias_index];
      trb_vk_gemm_update (r, &pw, bw->dcur, self->acts[i]);
    }
  return i > 0;
}

/* dY permuted to channels × (sample, position), then dW = dY·colsᵀ, the bias gradient, and
 * the data gradient: cols = Wᵀ·dY, summed back into the input's planes by col2im. */
static gboolean
backward_conv (Rec            *r,
               const TrbLayer *l,
               guint           i,
               int             n,
               Backward       *bw)
{
  TrbVulkanExecutor *self = r->self;
  int K = l->in_c * l->kernel_h * l->kernel_w, P = l->out_h * l->out_w, nP = n * P;
  gint32 perm[4] = { n, l->out_c, P, n * l->out_c * P };
  GemmPush pw = {
    .m = l->out_c, .n = K, .k = nP,
    .a_si = nP, .a_sp = 1,
    .b_sp = 1, .b_sj = nP,
    .ldc = K, .alpha = 1,
  };

  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = "permute",
    .storage = { part (bw->dcur, 0, (gsize) n * out_size (l)),
                 part (self->tmp, 0, (gsize) l->out_c * nP) },
    .push = perm,
    .push_size = sizeof perm,
    .elements = (gsize) n * out_size (l),
  });
  trb_vk_gemm (r, &pw, part (self->grads, self->param_off[l->weight_index], (gsize) l->out_c * K),
               self->tmp, self->cols[i], (Range) { 0 }, (Range) { 0 }, 1);
  reduce_bias (r, l, part (self->tmp, 0, (gsize) l->out_c * nP), nP, nP, 1);
  if (i > 0)
    {
      GemmPush pd = {
        .m = K, .n = nP, .k = l->out_c,
        .a_off = (gint32) self->param_off[l->weight_index], .a_si = 1, .a_sp = K,
        .b_sp = nP, .b_sj = 1,
        .ldc = nP, .alpha = 1,
      };
      gsize total = (gsize) n * in_size (l);
      ConvPush cp = conv_push (l, n, total);

      trb_vk_gemm (r, &pd, part (self->cols[i], 0, (gsize) K * nP), self->params, self->tmp,
                   (Range) { 0 }, (Range) { 0 }, 1);
      trb_vk_dispatch (r, &(Dispatch) {
        .kernel = "col2im",
        .storage = { part (self->cols[i], 0, (gsize) K * nP), part (bw->dnext, 0, total) },
        .push = &cp,
        .push_size = sizeof cp,
        .elements = total,
      });
      bw->masked = FALSE;
    }
  return i > 0;
}

static gboolean
backward_maxpool (Rec            *r,
                  const TrbLayer *l,
                  guint           i,
                  int             n,
                  Backward       *bw)
{
  TrbVulkanExecutor *self = r->self;
  gsize total = (gsize) n * in_size (l);
  PoolPush pp = pool_push (l, total);

  if (i == 0)
    return FALSE;
  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = "maxpool-backward",
    .storage = { part (bw->dcur, 0, (gsize) n * out_size (l)), part (bw->dnext, 0, total),
                 part (self->argmax[i], 0, (gsize) n * out_size (l)) },
    .push = &pp,
    .push_size = sizeof pp,
    .elements = total,
  });
  bw->masked = FALSE;
  return TRUE;
}

/* The ReLU's mask, unless the GEMM above applied it already. */
static gboolean
backward_relu (Rec            *r,
               const TrbLayer *l,
               guint           i,
               int             n,
               Backward       *bw)
{
  TrbVulkanExecutor *self = r->self;
  gsize total = (gsize) n * in_size (l);
  gint32 push = (gint32) total;
  gboolean masked = bw->masked;

  bw->masked = FALSE;
  if (i == 0 || masked)
    return FALSE;
  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = "relu-backward",
    .storage = { part (bw->dcur, 0, total), part (bw->dnext, 0, total),
                 part (self->acts[i + 1], 0, total) },
    .push = &push,
    .push_size = sizeof push,
    .elements = total,
  });
  return TRUE;
}

static gboolean
backward_dropout (Rec            *r,
                  const TrbLayer *l,
                  guint           i,
                  int             n,
                  Backward       *bw)
{
  bw->masked = FALSE;
  if (i == 0 || !(l->rate > 0))
    return FALSE;
  record_dropout (r, l, i, n, bw->dcur, bw->dnext, TRUE);
  return TRUE;
}

/* The optimizer takes the parameters the GEMMs did not update, one dispatch for each run of
 * neighbouring tensors (all of them on the GPU profile, none for a model of dense layers). */
static void
record_optimizer (Rec      *r,
                  gboolean  fused)
{
  TrbVulkanExecutor *self = r->self;
  guint n_tensors = trb_weights_get_n_tensors (self->layout);
  g_autofree gboolean *updated = g_new0 (gboolean, n_tensors);

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
      trb_vk_dispatch (r, &(Dispatch) {
        .kernel = "optimizer",
        .storage = { whole (self->params), whole (self->grads), whole (self->m),
                     whole (self->v), whole (self->anchor) },
        .uniform = TRUE,
        .push = push,
        .push_size = sizeof push,
        .elements = (last - first) / 4,
      });
      t = end + 1;
    }
}

static void
record_backward (Rec *r,
                 int  n)
{
  TrbVulkanExecutor *self = r->self;
  Backward bw = { self->d_a, self->d_b, FALSE, fuses_dense_update (self) };

  for (guint i = self->n_layers; i-- > 0; )
    {
      const TrbLayer *l = trb_model_spec_get_layer (self->spec, i);
      gboolean swap = FALSE;

      switch (l->kind)
        {
        case TRB_LAYER_DENSE:
          swap = backward_dense (r, l, i, n, &bw);
          break;
        case TRB_LAYER_CONV2D:
          swap = backward_conv (r, l, i, n, &bw);
          break;
        case TRB_LAYER_MAXPOOL2D:
          swap = backward_maxpool (r, l, i, n, &bw);
          break;
        case TRB_LAYER_RELU:
          swap = backward_relu (r, l, i, n, &bw);
          break;
        case TRB_LAYER_DROPOUT:
          swap = backward_dropout (r, l, i, n, &bw);
          break;
        case TRB_LAYER_FLATTEN:
        default:
          break;
        }
      if (swap)
        {
          Buf *t = bw.dcur;

          bw.dcur = bw.dnext;
          bw.dnext = t;
        }
    }
  record_optimizer (r, bw.fused);
}

/* The cached recording with these parameters, or NULL. */
static Recording *
find_recording (TrbVulkanExecutor *self,
                int                n,
                gboolean           train,
                gboolean           indexed,
                int                k,
                UpdateKind         update)
{
  for (guint i = 0; i < N_RECORDINGS; i++)
    if (self->rec[i].cb != VK_NULL_HANDLE && self->rec[i].n == n && self->rec[i].k == k &&
        self->rec[i].train == train && self->rec[i].indexed == indexed &&
        self->rec[i].update == update)
      return &self->rec[i];
  return NULL;
}

/* Gives @slot a descriptor pool of at least @sets sets, empty. */
static gboolean
reset_descriptor_pool (TrbVulkanExecutor  *self,
                       Recording          *slot,
                       guint               sets,
                       GError            **error)
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

  if (slot->pool != VK_NULL_HANDLE && slot->sets < sets)
    {
      vkDestroyDescriptorPool (dev (self), slot->pool, NULL);
      slot->pool = VK_NULL_HANDLE;
    }
  if (slot->pool != VK_NULL_HANDLE)
    {
      vkResetDescriptorPool (dev (self), slot->pool, 0);
      return TRUE;
    }
  if (!trb_vulkan_check (vkCreateDescriptorPool (dev (self), &pinfo, NULL, &slot->pool),
                         self->ctx, "vkCreateDescriptorPool", error))
    return FALSE;
  slot->sets = sets;
  return TRUE;
}

/* Empties the least recently used recording, and begins its command buffer afresh. */
static Recording *
begin_slot (TrbVulkanExecutor  *self,
            guint               sets,
            GError            **error)
{
  Recording *slot = NULL;
  VkCommandBufferAllocateInfo cinfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = self->cmd_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
  };

  for (guint i = 0; i < N_RECORDINGS; i++)
    if (slot == NULL || self->rec[i].last_used < slot->last_used)
      slot = &self->rec[i];
  if (!reset_descriptor_pool (self, slot, sets, error))
    return NULL;
  if (slot->cb == VK_NULL_HANDLE)
    {
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
  if (!trb_vulkan_check (vkBeginCommandBuffer (slot->cb, &begin), self->ctx,
                         "vkBeginCommandBuffer", error))
    return NULL;
  return slot;
}

/* Records the @k steps into @r's recording, between the timestamps that measure them. */
static void
record_steps (Rec      *r,
              int       n,
              gboolean  indexed,
              int       k)
{
  TrbVulkanExecutor *self = r->self;
  VkCommandBuffer cb = r->rec->cb;

  if (r->rec->labels != NULL)
    {
      vkCmdResetQueryPool (cb, self->profile, 0, PROFILE_QUERIES);
      vkCmdWriteTimestamp (cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, self->profile, 0);
    }
  if (self->queries != VK_NULL_HANDLE)
    {
      vkCmdResetQueryPool (cb, self->queries, 0, 2);
      vkCmdWriteTimestamp (cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, self->queries, 0);
    }
  for (r->j = 0; r->j < k; r->j++)
    {
      if (indexed)
        record_gather (r, n);
      record_forward (r, n);
      record_loss (r, n, r->train);
      if (r->train)
        record_backward (r, n);
    }
  if (self->queries != VK_NULL_HANDLE)
    vkCmdWriteTimestamp (cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, self->queries, 1);
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
  Recording *slot = find_recording (self, n, train, indexed, k, update);
  Rec r = { .self = self, .error = error, .train = train, .update = update };

  if (slot != NULL)
    {
      slot->last_used = ++self->use_counter;
      return slot;
    }
  if ((slot = begin_slot (self, SETS_PER_STEP * (guint) k, error)) == NULL)
    return NULL;
  r.rec = slot;
  record_steps (&r, n, indexed, k);
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

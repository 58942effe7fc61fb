/* trb-vulkan-gemm.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Recording the Vulkan executor's GEMMs: which kernel computes a product of given shapes and
 * strides (the GPU's shared-memory block tiles, or on software devices register tiles read
 * through texel buffers, four floats at a time where the sizes allow), how its tiles are dealt
 * out to workgroups, and a dense layer's weight gradient fused with the optimizer.
 */

#define G_LOG_DOMAIN "trb-vulkan-executor"

#include "config.h"

#include "trb-vulkan-private.h"

#include <string.h>

static const char *const update_suffix[] = { "", "-sgd", "-momentum", "-adam" };

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

/* The kernel that computes a GEMM, and how its tiles are dealt out. */
typedef struct
{
  const char *kernel;
  char        variant[32];   /* where kernel points when its name is made up */
  int         tm, tn;        /* the rows and columns of C one invocation computes */
  gboolean    linear;        /* tiles numbered along x, in workgroups of 8 invocations */
} GemmKernel;

/* Picks the GEMM kernel for @p's shapes and strides, and sets the flags it needs in @p. */
static void
choose_gemm_kernel (TrbVulkanExecutor *self,
                    GemmPush          *p,
                    Range              c,
                    Range              bias,
                    Range              mask,
                    GemmKernel        *g)
{
  int directions;

  g->linear = FALSE;
  /* A GPU's block tiles (64×64 per workgroup of 16×16, or 128×128 where C has room for them)
   * are dispatched like a register tile of 8×8 (16×16) per invocation of an 8×8 workgroup. */
  if (trb_vk_use_tiled_gemm (self))
    {
      gboolean big = p->m >= 128 && p->n >= 128;
      gboolean vec4 = gemm_tiled_vec4_fits (p, c, bias, mask, &directions);

      g->kernel = big ? (vec4 ? "gemm-tiled-128-v4" : "gemm-tiled-128") :
                        (vec4 ? "gemm-tiled-v4" : "gemm-tiled");
      g->tm = g->tn = big ? 16 : 8;
      if (vec4)
        p->flags |= directions;
    }
  /* The vec4 and bv4 kernels deal their tiles out one by one along x, in workgroups of 8
   * invocations: one SIMD vector on lavapipe, all busy but at the very end of C. */
  else if (gemm_vec4_kernel (p) != NULL && linear_tiles (p->m, p->n, 8))
    {
      g->kernel = gemm_vec4_kernel (p), g->tm = 8, g->tn = 8, g->linear = TRUE;
      /* Where tiles of 5 rows cover M with much less waste (a batch of 10: 16 rows of
       * tiles of 8), A·B and A·Bᵀ take them; Aᵀ·B reads A four rows at a time. */
      if (strcmp (g->kernel, "gemm-vec4-tn") != 0 && prefer_5_rows (p->m))
        {
          g_snprintf (g->variant, sizeof g->variant, "%s-5", g->kernel);
          g->kernel = g->variant;
          g->tm = 5;
        }
    }
  /* Only B along N in fours: A one float at a time, C written in fours. */
  else if (gemm_bv4_fits (p) && c.offset % 4 == 0 && mask.offset % 4 == 0 &&
           bias.offset % 4 == 0 && linear_tiles (p->m, p->n, prefer_5_rows (p->m) ? 5 : 8))
    {
      gboolean five = prefer_5_rows (p->m);

      g->kernel = five ? "gemm-bv4-5" : "gemm-bv4", g->tm = five ? 5 : 8, g->tn = 8;
      g->linear = TRUE;
    }
  else if ((gsize) p->m * p->n >= 64 * 256)
    g->kernel = "gemm-8x8", g->tm = 8, g->tn = 8;
  else if (p->m < 8)
    g->kernel = "gemm-2x8", g->tm = 2, g->tn = 8;
  else
    g->kernel = "gemm-4x4", g->tm = 4, g->tn = 4;
  /* The scalar kernels, and the vec4 ones but Aᵀ·B, write four floats at a time where C's
   * (and the bias's and the mask's) rows allow. */
  if ((g_ascii_isdigit (g->kernel[5]) ||
       (g_str_has_prefix (g->kernel, "gemm-vec4") && strcmp (g->kernel, "gemm-vec4-tn") != 0)) &&
      p->n % 4 == 0 && p->ldc % 4 == 0 && p->c_bs % 4 == 0 && c.offset % 4 == 0 &&
      mask.offset % 4 == 0 && bias.offset % 4 == 0)
    {
      g_autofree char *out4 = g_strconcat (g->kernel, "-v4", NULL);

      g_strlcpy (g->variant, out4, sizeof g->variant);
      g->kernel = g->variant;
    }
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
  GemmKernel g;
  guint groups_z = (guint) MAX (batch, 1);

  choose_gemm_kernel (r->self, p, c, bias, mask, &g);
  p->alpha = p->alpha == 0 ? 1.0f : p->alpha;
  if (r->rec->labels != NULL)
    g_snprintf (r->label, sizeof r->label, "%s %dx%dx%d%s", g.kernel, p->m, p->n, p->k,
                batch > 1 ? " (batched)" : "");
  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = g.kernel,
    /* Kernels bind the bias and the mask even where they have none. */
    .storage = { c, bias.buf ? bias : c, mask.buf ? mask : c },
    .tex_a = a,
    .tex_b = b,
    .push = p,
    .push_size = sizeof *p,
    .groups = {
      g.linear ? linear_groups (p->m, p->n, g.tm) : (guint) ((p->n + g.tn * 8 - 1) / (g.tn * 8)),
      g.linear ? 1 : (guint) ((p->m + g.tm * 8 - 1) / (g.tm * 8)),
      groups_z,
    },
  });
}

/* A dense layer's weight gradient Wg[out×in] = dYᵀ·X fused with the optimizer: the gradient,
 * and the bias gradient Σ dY summed along the way, go straight into the update of the layer's
 * weights and bias (at p->w_off and p->bias_off) and of their optimizer state, so that neither
 * is written out and read back, the bias needs no reduction and the layer no optimizer pass. */
void
trb_vk_gemm_update (Rec      *r,
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

  p->alpha = p->alpha == 0 ? 1.0f : p->alpha;
  if (r->rec->labels != NULL)
    g_snprintf (r->label, sizeof r->label, "%s %dx%dx%d", kernel, p->m, p->n, p->k);
  trb_vk_dispatch (r, &(Dispatch) {
    .kernel = kernel,
    .storage = { whole (self->params), whole (self->m), whole (self->v), whole (self->anchor) },
    .tex_a = a,
    .tex_b = b,
    .uniform = TRUE,
    .push = p,
    .push_size = sizeof *p,
    .groups = {
      tn || bv4 ? linear_groups (p->m, p->n, five ? 5 : 8) :
                  (guint) ((p->n + tile * 8 - 1) / (tile * 8)),
      tn || bv4 ? 1 : (guint) ((p->m + tile - 1) / tile),
      1,
    },
  });
}

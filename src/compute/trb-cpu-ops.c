/* trb-cpu-ops.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-cpu-ops"

#include "config.h"

#include "trb-cpu-ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "compute/trb-philox.h"

void
trb_cpu_gemm (gboolean     trans_a,
              gboolean     trans_b,
              int          m,
              int          n,
              int          k,
              float        alpha,
              const float *a,
              const float *b,
              float        beta,
              float       *c)
{
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, trans_a ? m : k,
               b, trans_b ? k : n, beta, c, n);
}

void
trb_cpu_dense_forward (const TrbLayer *l,
                       int             n,
                       const float    *x,
                       const float    *w,
                       const float    *b,
                       float          *y)
{
  int in = l->in_c, out = l->out_c;

  for (int s = 0; s < n; s++)
    memcpy (y + (gsize) s * out, b, out * sizeof (float));
  trb_cpu_gemm (FALSE, TRUE, n, out, in, 1.0f, x, w, 1.0f, y);
}

void
trb_cpu_dense_backward (const TrbLayer *l,
                        int             n,
                        const float    *x,
                        const float    *w,
                        const float    *dy,
                        float          *dx,
                        float          *dw,
                        float          *db)
{
  int in = l->in_c, out = l->out_c;

  trb_cpu_gemm (TRUE, FALSE, out, in, n, 1.0f, dy, x, 0.0f, dw);
  for (int o = 0; o < out; o++)
    db[o] = 0;
  for (int s = 0; s < n; s++)
    for (int o = 0; o < out; o++)
      db[o] += dy[(gsize) s * out + o];
  if (dx != NULL)
    trb_cpu_gemm (FALSE, FALSE, n, in, out, 1.0f, dy, w, 0.0f, dx);
}

/* When the columns of the whole batch are small (up to 16 MiB) they are built once in the
 * forward pass and kept for the backward pass. Larger ones are built in chunks of samples
 * small enough (about 1 MiB) to stay in cache between im2col, the GEMMs and col2im, and built
 * again in the backward pass. */
static int
conv_chunk (const TrbLayer *l,
            int             n)
{
  gsize per_sample = (gsize) l->in_c * l->kernel_h * l->kernel_w * l->out_h * l->out_w;

  if (per_sample * MAX (n, 1) <= (gsize) 4 * 1024 * 1024)
    return MAX (n, 1);
  return (int) CLAMP ((gsize) 262144 / MAX (per_sample, 1), 1, (gsize) MAX (n, 1));
}

gsize
trb_cpu_conv2d_cols_size (const TrbLayer *l,
                          int             n)
{
  return (gsize) l->in_c * l->kernel_h * l->kernel_w * conv_chunk (l, n) * l->out_h * l->out_w;
}

gsize
trb_cpu_conv2d_tmp_size (const TrbLayer *l,
                         int             n)
{
  return (gsize) l->out_c * conv_chunk (l, n) * l->out_h * l->out_w;
}

/* cols[(ic·kh + ky)·kw + kx][s·P + p] = x[s][ic][oy·stride − pad + ky][ox·stride − pad + kx] */
static void
im2col (const TrbLayer *l,
        int             n,
        const float    *x,
        float          *cols)
{
  gsize P = (gsize) l->out_h * l->out_w, nP = n * P;

  for (int ic = 0; ic < l->in_c; ic++)
    for (int ky = 0; ky < l->kernel_h; ky++)
      for (int kx = 0; kx < l->kernel_w; kx++)
        {
          float *row = cols + (((gsize) ic * l->kernel_h + ky) * l->kernel_w + kx) * nP;

          for (int s = 0; s < n; s++)
            {
              const float *plane = x + ((gsize) s * l->in_c + ic) * l->in_h * l->in_w;
              float *dst = row + s * P;

              for (int oy = 0; oy < l->out_h; oy++)
                {
                  int iy = oy * l->stride - l->pad_h + ky;
                  float *d = dst + (gsize) oy * l->out_w;

                  if (iy < 0 || iy >= l->in_h)
                    {
                      memset (d, 0, l->out_w * sizeof (float));
                      continue;
                    }
                  if (l->stride == 1)
                    {
                      /* ix = ox − pad + kx: one contiguous run, zeros on either side. */
                      int lo = CLAMP (l->pad_w - kx, 0, l->out_w);
                      int hi = CLAMP (l->in_w + l->pad_w - kx, lo, l->out_w);

                      memset (d, 0, lo * sizeof (float));
                      memcpy (d + lo, plane + (gsize) iy * l->in_w + lo - l->pad_w + kx,
                              (hi - lo) * sizeof (float));
                      memset (d + hi, 0, (l->out_w - hi) * sizeof (float));
                      continue;
                    }
                  for (int ox = 0; ox < l->out_w; ox++)
                    {
                      int ix = ox * l->stride - l->pad_w + kx;
                      d[ox] = (ix >= 0 && ix < l->in_w) ? plane[(gsize) iy * l->in_w + ix] : 0.0f;
                    }
                }
            }
        }
}

static void
col2im (const TrbLayer *l,
        int             n,
        const float    *cols,
        float          *dx)
{
  gsize P = (gsize) l->out_h * l->out_w, nP = n * P;

  memset (dx, 0, (gsize) n * l->in_c * l->in_h * l->in_w * sizeof (float));
  for (int ic = 0; ic < l->in_c; ic++)
    for (int ky = 0; ky < l->kernel_h; ky++)
      for (int kx = 0; kx < l->kernel_w; kx++)
        {
          const float *row = cols + (((gsize) ic * l->kernel_h + ky) * l->kernel_w + kx) * nP;

          for (int s = 0; s < n; s++)
            {
              float *plane = dx + ((gsize) s * l->in_c + ic) * l->in_h * l->in_w;
              const float *src = row + s * P;

              for (int oy = 0; oy < l->out_h; oy++)
                {
                  int iy = oy * l->stride - l->pad_h + ky;
                  const float *sr = src + (gsize) oy * l->out_w;

                  if (iy < 0 || iy >= l->in_h)
                    continue;
                  if (l->stride == 1)
                    {
                      int lo = CLAMP (l->pad_w - kx, 0, l->out_w);
                      int hi = CLAMP (l->in_w + l->pad_w - kx, lo, l->out_w);
                      float *dst = plane + (gsize) iy * l->in_w - l->pad_w + kx;

                      for (int ox = lo; ox < hi; ox++)
                        dst[ox] += sr[ox];
                      continue;
                    }
                  for (int ox = 0; ox < l->out_w; ox++)
                    {
                      int ix = ox * l->stride - l->pad_w + kx;
                      if (ix >= 0 && ix < l->in_w)
                        plane[(gsize) iy * l->in_w + ix] += sr[ox];
                    }
                }
            }
        }
}

void
trb_cpu_conv2d_forward (const TrbLayer *l,
                        int             n,
                        const float    *x,
                        const float    *w,
                        const float    *b,
                        float          *y,
                        gboolean        relu,
                        float          *cols,
                        float          *tmp)
{
  int K = l->in_c * l->kernel_h * l->kernel_w, chunk = conv_chunk (l, n);
  gsize P = (gsize) l->out_h * l->out_w, in_size = (gsize) l->in_c * l->in_h * l->in_w;

  for (int s0 = 0; s0 < n; s0 += chunk)
    {
      int c = MIN (chunk, n - s0);
      int cP = (int) (c * P);

      im2col (l, c, x + s0 * in_size, cols);
      trb_cpu_gemm (FALSE, FALSE, l->out_c, cP, K, 1.0f, w, cols, 0.0f, tmp);
      for (int s = 0; s < c; s++)
        for (int oc = 0; oc < l->out_c; oc++)
          {
            const float *src = tmp + (gsize) oc * cP + s * P;
            float *dst = y + ((gsize) (s0 + s) * l->out_c + oc) * P;
            float bias = b[oc];

            if (relu)
              for (gsize p = 0; p < P; p++)
                dst[p] = MAX (src[p] + bias, 0.0f);
            else
              for (gsize p = 0; p < P; p++)
                dst[p] = src[p] + bias;
          }
    }
}

void
trb_cpu_conv2d_backward (const TrbLayer *l,
                         int             n,
                         const float    *x,
                         const float    *dy,
                         const float    *mask,
                         const float    *w,
                         float          *dx,
                         float          *dw,
                         float          *db,
                         float          *cols,
                         gboolean        cols_valid,
                         float          *tmp)
{
  int K = l->in_c * l->kernel_h * l->kernel_w, chunk = conv_chunk (l, n);
  gsize P = (gsize) l->out_h * l->out_w, in_size = (gsize) l->in_c * l->in_h * l->in_w;
  g_autofree double *bias_acc = g_new0 (double, l->out_c);

  for (int s0 = 0; s0 < n; s0 += chunk)
    {
      int c = MIN (chunk, n - s0);
      int cP = (int) (c * P);

      /* dy is [n][oc][P]; the GEMMs want [oc][c·P], masked by a fused ReLU's output. */
      for (int oc = 0; oc < l->out_c; oc++)
        {
          double acc = 0;

          for (int s = 0; s < c; s++)
            {
              gsize at = ((gsize) (s0 + s) * l->out_c + oc) * P;
              const float *src = dy + at;
              const float *msk = mask ? mask + at : NULL;
              float *dst = tmp + (gsize) oc * cP + s * P;

              if (msk != NULL)
                for (gsize p = 0; p < P; p++)
                  {
                    float g = msk[p] > 0 ? src[p] : 0.0f;
                    dst[p] = g;
                    acc += g;
                  }
              else
                for (gsize p = 0; p < P; p++)
                  {
                    dst[p] = src[p];
                    acc += src[p];
                  }
            }
          bias_acc[oc] += acc;
        }
      if (!(cols_valid && chunk >= n))
        im2col (l, c, x + s0 * in_size, cols);
      trb_cpu_gemm (FALSE, TRUE, l->out_c, K, cP, 1.0f, tmp, cols, s0 == 0 ? 0.0f : 1.0f, dw);
      if (dx != NULL)
        {
          trb_cpu_gemm (TRUE, FALSE, K, cP, l->out_c, 1.0f, w, tmp, 0.0f, cols);
          col2im (l, c, cols, dx + s0 * in_size);
        }
    }
  for (int oc = 0; oc < l->out_c; oc++)
    db[oc] = (float) bias_acc[oc];
}

void
trb_cpu_maxpool_forward (const TrbLayer *l,
                         int             n,
                         const float    *x,
                         float          *y,
                         gint32         *argmax)
{
  gsize in_plane = (gsize) l->in_h * l->in_w;

  for (int s = 0; s < n; s++)
    for (int c = 0; c < l->out_c; c++)
      {
        const float *plane = x + ((gsize) s * l->in_c + c) * in_plane;
        gsize base = ((gsize) s * l->out_c + c) * l->out_h * l->out_w;

        for (int oy = 0; oy < l->out_h; oy++)
          for (int ox = 0; ox < l->out_w; ox++)
            {
              int best = (oy * l->stride) * l->in_w + ox * l->stride;
              float best_v = plane[best];

              for (int ky = 0; ky < l->kernel_h; ky++)
                for (int kx = 0; kx < l->kernel_w; kx++)
                  {
                    int i = (oy * l->stride + ky) * l->in_w + ox * l->stride + kx;
                    if (plane[i] > best_v)
                      {
                        best_v = plane[i];
                        best = i;
                      }
                  }
              y[base + (gsize) oy * l->out_w + ox] = best_v;
              argmax[base + (gsize) oy * l->out_w + ox] = best;
            }
      }
}

void
trb_cpu_maxpool_backward (const TrbLayer *l,
                          int             n,
                          const gint32   *argmax,
                          const float    *dy,
                          float          *dx)
{
  gsize in_plane = (gsize) l->in_h * l->in_w, out_plane = (gsize) l->out_h * l->out_w;

  memset (dx, 0, (gsize) n * l->in_c * in_plane * sizeof (float));
  for (gsize sc = 0; sc < (gsize) n * l->out_c; sc++)
    for (gsize p = 0; p < out_plane; p++)
      dx[sc * in_plane + argmax[sc * out_plane + p]] += dy[sc * out_plane + p];
}

void
trb_cpu_relu_forward (gsize        count,
                      const float *x,
                      float       *y)
{
  for (gsize i = 0; i < count; i++)
    y[i] = x[i] > 0 ? x[i] : 0.0f;
}

void
trb_cpu_relu_backward (gsize        count,
                       const float *y,
                       const float *dy,
                       float       *dx)
{
  for (gsize i = 0; i < count; i++)
    dx[i] = y[i] > 0 ? dy[i] : 0.0f;
}

void
trb_cpu_dropout (const TrbLayer *l,
                 guint           layer_index,
                 int             n,
                 guint64         seed,
                 guint64         step,
                 const float    *x,
                 float          *y)
{
  gsize count = (gsize) n * l->in_c * l->in_h * l->in_w;
  float scale = (float) (1.0 / (1.0 - l->rate));

  for (gsize i = 0; i < count; i++)
    y[i] = trb_dropout_keeps (seed, step, layer_index, i, l->rate) ? x[i] * scale : 0.0f;
}

void
trb_cpu_softmax_xent (int           n,
                      int           classes,
                      const float  *logits,
                      const gint32 *labels,
                      float        *dlogits,
                      double       *loss_sum,
                      int          *correct)
{
  *loss_sum = 0;
  *correct = 0;
  for (int s = 0; s < n; s++)
    {
      const float *z = logits + (gsize) s * classes;
      float max = z[0], sum = 0;
      int arg = 0;

      for (int c = 1; c < classes; c++)
        if (z[c] > max)
          {
            max = z[c];
            arg = c;
          }
      for (int c = 0; c < classes; c++)
        sum += expf (z[c] - max);
      *loss_sum += logf (sum) + max - z[labels[s]];
      *correct += arg == labels[s];
      if (dlogits != NULL)
        for (int c = 0; c < classes; c++)
          dlogits[(gsize) s * classes + c] =
            (expf (z[c] - max) / sum - (c == labels[s] ? 1.0f : 0.0f)) / n;
    }
}

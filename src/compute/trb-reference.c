/* trb-reference.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Written for clarity, not speed: each op is its textbook definition in double precision.
 */

#define G_LOG_DOMAIN "trb-reference"

#include "config.h"

#include "trb-reference.h"

#include <math.h>
#include <string.h>

#include "compute/trb-philox.h"

void
trb_ref_gemm (gboolean      trans_a,
              gboolean      trans_b,
              int           m,
              int           n,
              int           k,
              double        alpha,
              const double *a,
              const double *b,
              double        beta,
              double       *c)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        double acc = 0;

        for (int p = 0; p < k; p++)
          {
            double av = trans_a ? a[(gsize) p * m + i] : a[(gsize) i * k + p];
            double bv = trans_b ? b[(gsize) j * k + p] : b[(gsize) p * n + j];
            acc += av * bv;
          }
        c[(gsize) i * n + j] = alpha * acc + (beta == 0 ? 0 : beta * c[(gsize) i * n + j]);
      }
}

void
trb_ref_dense_forward (const TrbLayer *layer,
                       int             n,
                       const double   *x,
                       const double   *w,
                       const double   *b,
                       double         *y)
{
  int in = layer->in_c, out = layer->out_c;

  for (int s = 0; s < n; s++)
    for (int o = 0; o < out; o++)
      {
        double acc = b[o];
        for (int i = 0; i < in; i++)
          acc += w[(gsize) o * in + i] * x[(gsize) s * in + i];
        y[(gsize) s * out + o] = acc;
      }
}

void
trb_ref_dense_backward (const TrbLayer *layer,
                        int             n,
                        const double   *x,
                        const double   *w,
                        const double   *dy,
                        double         *dx,
                        double         *dw,
                        double         *db)
{
  int in = layer->in_c, out = layer->out_c;

  for (int o = 0; o < out; o++)
    {
      db[o] = 0;
      for (int s = 0; s < n; s++)
        db[o] += dy[(gsize) s * out + o];
      for (int i = 0; i < in; i++)
        {
          double acc = 0;
          for (int s = 0; s < n; s++)
            acc += dy[(gsize) s * out + o] * x[(gsize) s * in + i];
          dw[(gsize) o * in + i] = acc;
        }
    }
  if (dx != NULL)
    for (int s = 0; s < n; s++)
      for (int i = 0; i < in; i++)
        {
          double acc = 0;
          for (int o = 0; o < out; o++)
            acc += dy[(gsize) s * out + o] * w[(gsize) o * in + i];
          dx[(gsize) s * in + i] = acc;
        }
}

void
trb_ref_conv2d_forward (const TrbLayer *l,
                        int             n,
                        const double   *x,
                        const double   *w,
                        const double   *b,
                        double         *y)
{
  for (int s = 0; s < n; s++)
    for (int oc = 0; oc < l->out_c; oc++)
      for (int oy = 0; oy < l->out_h; oy++)
        for (int ox = 0; ox < l->out_w; ox++)
          {
            double acc = b[oc];

            for (int ic = 0; ic < l->in_c; ic++)
              for (int ky = 0; ky < l->kernel_h; ky++)
                for (int kx = 0; kx < l->kernel_w; kx++)
                  {
                    int iy = oy * l->stride - l->pad_h + ky;
                    int ix = ox * l->stride - l->pad_w + kx;

                    if (iy < 0 || iy >= l->in_h || ix < 0 || ix >= l->in_w)
                      continue;
                    acc += w[(((gsize) oc * l->in_c + ic) * l->kernel_h + ky) * l->kernel_w + kx] *
                           x[(((gsize) s * l->in_c + ic) * l->in_h + iy) * l->in_w + ix];
                  }
            y[(((gsize) s * l->out_c + oc) * l->out_h + oy) * l->out_w + ox] = acc;
          }
}

void
trb_ref_conv2d_backward (const TrbLayer *l,
                         int             n,
                         const double   *x,
                         const double   *w,
                         const double   *dy,
                         double         *dx,
                         double         *dw,
                         double         *db)
{
  gsize wsize = (gsize) l->out_c * l->in_c * l->kernel_h * l->kernel_w;

  memset (dw, 0, wsize * sizeof (double));
  memset (db, 0, (gsize) l->out_c * sizeof (double));
  if (dx != NULL)
    memset (dx, 0, (gsize) n * l->in_c * l->in_h * l->in_w * sizeof (double));

  for (int s = 0; s < n; s++)
    for (int oc = 0; oc < l->out_c; oc++)
      for (int oy = 0; oy < l->out_h; oy++)
        for (int ox = 0; ox < l->out_w; ox++)
          {
            double g = dy[(((gsize) s * l->out_c + oc) * l->out_h + oy) * l->out_w + ox];

            db[oc] += g;
            for (int ic = 0; ic < l->in_c; ic++)
              for (int ky = 0; ky < l->kernel_h; ky++)
                for (int kx = 0; kx < l->kernel_w; kx++)
                  {
                    int iy = oy * l->stride - l->pad_h + ky;
                    int ix = ox * l->stride - l->pad_w + kx;
                    gsize wi = (((gsize) oc * l->in_c + ic) * l->kernel_h + ky) * l->kernel_w + kx;
                    gsize xi;

                    if (iy < 0 || iy >= l->in_h || ix < 0 || ix >= l->in_w)
                      continue;
                    xi = (((gsize) s * l->in_c + ic) * l->in_h + iy) * l->in_w + ix;
                    dw[wi] += g * x[xi];
                    if (dx != NULL)
                      dx[xi] += g * w[wi];
                  }
          }
}

/* Index (within the sample's input) of the first maximum of a pooling window. */
static gsize
pool_argmax (const TrbLayer *l,
             const double   *xs,
             int             c,
             int             oy,
             int             ox)
{
  gsize best = 0;
  double best_v = -INFINITY;

  for (int ky = 0; ky < l->kernel_h; ky++)
    for (int kx = 0; kx < l->kernel_w; kx++)
      {
        gsize i = ((gsize) c * l->in_h + oy * l->stride + ky) * l->in_w + ox * l->stride + kx;
        if (xs[i] > best_v || (ky == 0 && kx == 0))
          {
            best_v = xs[i];
            best = i;
          }
      }
  return best;
}

void
trb_ref_maxpool_forward (const TrbLayer *l,
                         int             n,
                         const double   *x,
                         double         *y)
{
  gsize in_size = (gsize) l->in_c * l->in_h * l->in_w;

  for (int s = 0; s < n; s++)
    for (int c = 0; c < l->out_c; c++)
      for (int oy = 0; oy < l->out_h; oy++)
        for (int ox = 0; ox < l->out_w; ox++)
          {
            const double *xs = x + s * in_size;
            y[(((gsize) s * l->out_c + c) * l->out_h + oy) * l->out_w + ox] =
              xs[pool_argmax (l, xs, c, oy, ox)];
          }
}

void
trb_ref_maxpool_backward (const TrbLayer *l,
                          int             n,
                          const double   *x,
                          const double   *dy,
                          double         *dx)
{
  gsize in_size = (gsize) l->in_c * l->in_h * l->in_w;

  memset (dx, 0, n * in_size * sizeof (double));
  for (int s = 0; s < n; s++)
    for (int c = 0; c < l->out_c; c++)
      for (int oy = 0; oy < l->out_h; oy++)
        for (int ox = 0; ox < l->out_w; ox++)
          dx[s * in_size + pool_argmax (l, x + s * in_size, c, oy, ox)] +=
            dy[(((gsize) s * l->out_c + c) * l->out_h + oy) * l->out_w + ox];
}

void
trb_ref_relu_forward (gsize         count,
                      const double *x,
                      double       *y)
{
  for (gsize i = 0; i < count; i++)
    y[i] = x[i] > 0 ? x[i] : 0;
}

void
trb_ref_relu_backward (gsize         count,
                       const double *x,
                       const double *dy,
                       double       *dx)
{
  for (gsize i = 0; i < count; i++)
    dx[i] = x[i] > 0 ? dy[i] : 0;
}

void
trb_ref_dropout_forward (const TrbLayer *l,
                         guint           layer_index,
                         int             n,
                         guint64         seed,
                         guint64         step,
                         const double   *x,
                         double         *y)
{
  gsize count = (gsize) n * l->in_c * l->in_h * l->in_w;

  for (gsize i = 0; i < count; i++)
    y[i] = trb_dropout_keeps (seed, step, layer_index, i, l->rate) ? x[i] / (1.0 - l->rate) : 0;
}

void
trb_ref_dropout_backward (const TrbLayer *l,
                          guint           layer_index,
                          int             n,
                          guint64         seed,
                          guint64         step,
                          const double   *dy,
                          double         *dx)
{
  trb_ref_dropout_forward (l, layer_index, n, seed, step, dy, dx);
}

void
trb_ref_softmax_xent (int           n,
                      int           classes,
                      const double *logits,
                      const gint32 *labels,
                      double       *dlogits,
                      double       *loss_sum,
                      int          *correct)
{
  *loss_sum = 0;
  *correct = 0;
  for (int s = 0; s < n; s++)
    {
      const double *z = logits + (gsize) s * classes;
      double max = z[0], sum = 0;
      int arg = 0;

      for (int c = 1; c < classes; c++)
        if (z[c] > max)
          {
            max = z[c];
            arg = c;
          }
      for (int c = 0; c < classes; c++)
        sum += exp (z[c] - max);
      *loss_sum += log (sum) + max - z[labels[s]];
      *correct += arg == labels[s];
      if (dlogits != NULL)
        for (int c = 0; c < classes; c++)
          dlogits[(gsize) s * classes + c] =
            (exp (z[c] - max) / sum - (c == labels[s] ? 1.0 : 0.0)) / n;
    }
}

/* test-ops.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every fp32 CPU op, forward and backward, against the fp64 reference on random shapes with odd
 * and prime sizes (normalised mean squared error ≤ 1e-7; GEMM elementwise within
 * 2·K·2⁻²⁴·(|A||B|)), and finite-difference checks of the reference's own gradients.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "compute/trb-cpu-ops.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-reference.h"

#define NMSE_MAX 1e-7

static GRand *rng;
/* More threads than this machine may have, so that the work is really shared out. */
static TrbCpuPool *pool;

static double *
random_doubles (gsize  n,
                double lo,
                double hi)
{
  double *d = g_new (double, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    d[i] = g_rand_double_range (rng, lo, hi);
  return d;
}

static float *
to_floats (const double *d,
           gsize         n)
{
  float *f = g_new (float, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    f[i] = (float) d[i];
  return f;
}

/* The reference runs on the fp32-rounded inputs so that only the op's own error is measured. */
static double *
rounded (const double *d,
         gsize         n)
{
  double *r = g_new (double, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    r[i] = (float) d[i];
  return r;
}

static double
nmse (const float  *got,
      const double *want,
      gsize         n)
{
  double num = 0, den = 0;

  for (gsize i = 0; i < n; i++)
    {
      num += (got[i] - want[i]) * (got[i] - want[i]);
      den += want[i] * want[i];
    }
  return den > 0 ? num / den : num;
}

#define ASSERT_NMSE(got, want, n, what) G_STMT_START {                        \
    double e_ = nmse ((got), (want), (n));                                  \
    if (!(e_ <= NMSE_MAX))                                                  \
      g_error ("%s: NMSE %.3g > %.1g", (what), e_, NMSE_MAX);               \
  } G_STMT_END

static TrbModelSpec *
spec_for (const char *input,
          const char *layer)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = g_strdup_printf (
    "{\"format\":\"tributary-model\",\"version\":1,\"input\":{\"shape\":%s},"
    "\"layers\":[%s,{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":2}],"
    "\"loss\":\"softmax_cross_entropy\"}", input, layer);
  TrbModelSpec *spec = trb_model_spec_new_from_json (json, -1, &error);

  g_assert_no_error (error);
  return spec;
}

static const int primes[] = { 1, 2, 3, 5, 7, 11, 13, 17, 31, 61, 97, 127, 211 };

static int
pick (int max_index)
{
  return primes[g_rand_int_range (rng, 0, max_index)];
}

static void
test_gemm (void)
{
  for (int iter = 0; iter < 24; iter++)
    {
      int m = pick (13), n = pick (13), k = pick (13);
      gboolean ta = iter & 1, tb = (iter >> 1) & 1;
      g_autofree double *a = random_doubles ((gsize) m * k, -1, 1);
      g_autofree double *b = random_doubles ((gsize) k * n, -1, 1);
      g_autofree double *ar = rounded (a, (gsize) m * k);
      g_autofree double *br = rounded (b, (gsize) k * n);
      g_autofree float *af = to_floats (a, (gsize) m * k);
      g_autofree float *bf = to_floats (b, (gsize) k * n);
      g_autofree double *c = g_new0 (double, (gsize) m * n);
      g_autofree double *abs_c = g_new0 (double, (gsize) m * n);
      g_autofree double *abs_a = g_new (double, (gsize) m * k);
      g_autofree double *abs_b = g_new (double, (gsize) k * n);
      g_autofree float *cf = g_new0 (float, (gsize) m * n);

      for (gsize i = 0; i < (gsize) m * k; i++)
        abs_a[i] = fabs (ar[i]);
      for (gsize i = 0; i < (gsize) k * n; i++)
        abs_b[i] = fabs (br[i]);
      trb_ref_gemm (ta, tb, m, n, k, 1.0, ar, br, 0.0, c);
      trb_ref_gemm (ta, tb, m, n, k, 1.0, abs_a, abs_b, 0.0, abs_c);
      trb_cpu_gemm (ta, tb, m, n, k, 1.0f, af, bf, 0.0f, cf);
      for (gsize i = 0; i < (gsize) m * n; i++)
        {
          double bound = 2.0 * k * ldexp (1.0, -24) * abs_c[i];
          if (!(fabs (cf[i] - c[i]) <= bound))
            g_error ("GEMM %s%s %d×%d×%d: |%g − %g| > %g", ta ? "T" : "N", tb ? "T" : "N",
                     m, n, k, cf[i], c[i], bound);
        }
    }
}

static double
nmse_floats (const float *got,
             const float *want,
             gsize        n)
{
  g_autofree double *w = g_new (double, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    w[i] = want[i];
  return nmse (got, w, n);
}

static float *
copy_floats (const float *f,
             gsize        n)
{
  return g_memdup2 (f, MAX (n, 1) * sizeof (float));
}

/* The backward pass with the optimizer step fused in gives what the gradient followed by the
 * optimizer step gives, for each optimizer, with and without weight decay and FedProx. */
static void
check_dense_update (const TrbLayer *l,
                    int             n,
                    const float    *x,
                    const float    *dy,
                    const float    *mask,
                    int             variant)
{
  int in = l->in_c, out = l->out_c;
  gsize nx = (gsize) n * in, nw = (gsize) out * in;
  TrbCpuOptimizer o = { variant % 3 == 1, 0.05f, variant % 2 ? 0.01f : 0.0f,
                        variant % 4 == 3 ? 0.1f : 0.0f, variant % 3 == 0 ? 0.9f : 0.0f,
                        0.9f, 0.999f, 1e-8f, 0.19f, 0.002f };
  g_autofree double *init = random_doubles (4 * (nw + out), -1, 1);
  g_autofree float *f = to_floats (init, 4 * (nw + out));
  float *w = f, *m = w + nw, *v = m + nw, *anchor = v + nw;
  float *b = anchor + nw, *mb = b + out, *vb = mb + out, *ab = vb + out;
  g_autofree float *dw = g_new (float, nw), *db = g_new (float, out);
  g_autofree float *dx = g_new (float, nx), *dx2 = g_new (float, nx);
  g_autofree float *w2 = copy_floats (w, nw), *m2 = copy_floats (m, nw), *v2 = copy_floats (v, nw);
  g_autofree float *b2 = copy_floats (b, out), *mb2 = copy_floats (mb, out);
  g_autofree float *vb2 = copy_floats (vb, out);
  gboolean prox = o.mu != 0;
  TrbCpuParam pw = { w2, m2, v2, prox ? anchor : NULL }, pb = { b2, mb2, vb2, prox ? ab : NULL };

  for (gsize i = 0; i < nw; i++)
    v[i] = v2[i] = fabsf (v[i]);
  for (int i = 0; i < out; i++)
    vb[i] = vb2[i] = fabsf (vb[i]);
  trb_cpu_dense_backward (pool, l, n, x, w, dy, mask, dx, dw, db);
  trb_cpu_optimizer_update (&o, nw, w, dw, m, v, prox ? anchor : NULL);
  trb_cpu_optimizer_update (&o, out, b, db, mb, vb, prox ? ab : NULL);
  trb_cpu_dense_backward_update (pool, l, n, x, dy, mask, dx2, &o, &pw, &pb);

  g_assert_cmpmem (dx, nx * sizeof (float), dx2, nx * sizeof (float));
  if (!(nmse_floats (w2, w, nw) <= NMSE_MAX && nmse_floats (m2, m, nw) <= NMSE_MAX &&
        nmse_floats (b2, b, out) <= NMSE_MAX && nmse_floats (mb2, mb, out) <= NMSE_MAX &&
        nmse_floats (v2, v, nw) <= NMSE_MAX))
    g_error ("dense backward with the optimizer step (variant %d) differs: weights %.3g, "
             "moments %.3g", variant, nmse_floats (w2, w, nw), nmse_floats (m2, m, nw));
}

static void
test_dense (void)
{
  for (int iter = 0; iter < 13; iter++)
    {
      int n = pick (9), in = pick (13), out = pick (12) + 1;
      gboolean relu = iter % 2 == 1, masked = iter % 3 != 0;

      if (iter == 12)
        {
          /* Large enough that the work is split into blocks of columns. */
          n = 37, in = 301, out = 157;
        }
      g_autofree char *input = g_strdup_printf ("[%d]", in);
      g_autofree char *layer = g_strdup_printf ("{\"type\":\"dense\",\"units\":%d}", out);
      g_autoptr(TrbModelSpec) spec = spec_for (input, layer);
      const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
      gsize nx = (gsize) n * in, nw = (gsize) out * in, ny = (gsize) n * out;
      g_autofree double *x = random_doubles (nx, -1, 1), *w = random_doubles (nw, -1, 1);
      g_autofree double *b = random_doubles (out, -1, 1), *dy = random_doubles (ny, -1, 1);
      g_autofree double *mask = random_doubles (nx, -1, 1);
      g_autofree double *xr = rounded (x, nx), *wr = rounded (w, nw), *br = rounded (b, out);
      g_autofree double *dyr = rounded (dy, ny);
      g_autofree double *y = g_new (double, ny), *dx = g_new (double, nx);
      g_autofree double *dw = g_new (double, nw), *db = g_new (double, out);
      g_autofree float *xf = to_floats (x, nx), *wf = to_floats (w, nw), *bf = to_floats (b, out);
      g_autofree float *dyf = to_floats (dy, ny), *maskf = to_floats (mask, nx);
      g_autofree float *yf = g_new (float, ny), *dxf = g_new (float, nx);
      g_autofree float *dwf = g_new (float, nw), *dbf = g_new (float, out);

      trb_ref_dense_forward (l, n, xr, wr, br, y);
      if (relu)
        trb_ref_relu_forward (ny, y, y);
      trb_cpu_dense_forward (pool, l, n, xf, wf, bf, relu, yf);
      ASSERT_NMSE (yf, y, ny, "dense forward");
      trb_ref_dense_backward (l, n, xr, wr, dyr, dx, dw, db);
      if (masked)
        for (gsize i = 0; i < nx; i++)
          dx[i] = mask[i] > 0 ? dx[i] : 0;
      trb_cpu_dense_backward (pool, l, n, xf, wf, dyf, masked ? maskf : NULL, dxf, dwf, dbf);
      ASSERT_NMSE (dxf, dx, nx, "dense backward data");
      ASSERT_NMSE (dwf, dw, nw, "dense backward weights");
      ASSERT_NMSE (dbf, db, out, "dense backward bias");
      check_dense_update (l, n, xf, dyf, masked ? maskf : NULL, iter);
    }
}

static void
test_conv2d (void)
{
  for (int iter = 0; iter < 18; iter++)
    {
      int n = pick (5), c = pick (4), h = 5 + pick (6), w = 5 + pick (6);
      int k = 1 + 2 * g_rand_int_range (rng, 0, 3), stride = g_rand_int_range (rng, 1, 4);
      int pad = g_rand_int_range (rng, 0, k), filters = pick (6);

      if (iter == 15)
        {
          /* Output rows of two: too narrow for im2col's four-float row copies. */
          n = 3, c = 2, h = 9, w = 6, k = 5, stride = 1, pad = 0, filters = 3;
        }
      if (iter == 16)
        {
          /* Groups of two samples, each one chunk, the columns kept for the backward pass. */
          n = 13, c = 3, h = 41, w = 39, k = 5, stride = 1, pad = 2, filters = 8;
        }
      if (iter == 17)
        {
          /* Too large to keep the batch's columns: built chunk by chunk in scratch. */
          n = 19, c = 8, h = 41, w = 39, k = 5, stride = 1, pad = 2, filters = 5;
        }
      g_autofree char *input = g_strdup_printf ("[%d,%d,%d]", c, h, w);
      g_autofree char *layer = g_strdup_printf (
        "{\"type\":\"conv2d\",\"filters\":%d,\"kernel\":%d,\"stride\":%d,\"padding\":%d}",
        filters, k, stride, pad);
      g_autoptr(TrbModelSpec) spec = spec_for (input, layer);
      const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
      gsize nx = (gsize) n * c * h * w, nw = (gsize) filters * c * k * k;
      gsize ny = (gsize) n * l->out_c * l->out_h * l->out_w;
      g_autofree double *x = random_doubles (nx, -1, 1), *wt = random_doubles (nw, -1, 1);
      g_autofree double *b = random_doubles (filters, -1, 1), *dy = random_doubles (ny, -1, 1);
      g_autofree double *xr = rounded (x, nx), *wr = rounded (wt, nw);
      g_autofree double *br = rounded (b, filters), *dyr = rounded (dy, ny);
      g_autofree double *y = g_new (double, ny), *dx = g_new (double, nx);
      g_autofree double *dw = g_new (double, nw), *db = g_new (double, filters);
      g_autofree float *xf = to_floats (x, nx), *wf = to_floats (wt, nw);
      g_autofree float *bf = to_floats (b, filters), *dyf = to_floats (dy, ny);
      g_autofree float *yf = g_new (float, ny), *dxf = g_new (float, nx);
      g_autofree float *dwf = g_new (float, nw), *dbf = g_new (float, filters);
      g_autofree float *cols = g_new (float, trb_cpu_conv2d_cols_size (l, n));

      trb_ref_conv2d_forward (l, n, xr, wr, br, y);
      trb_cpu_conv2d_forward (pool, l, n, xf, wf, bf, yf, FALSE, cols);
      ASSERT_NMSE (yf, y, ny, "conv2d forward");
      trb_ref_conv2d_backward (l, n, xr, wr, dyr, dx, dw, db);
      trb_cpu_conv2d_backward (pool, l, n, xf, dyf, NULL, wf, dxf, dwf, dbf, cols, iter % 2);
      ASSERT_NMSE (dxf, dx, nx, "conv2d backward data");
      ASSERT_NMSE (dwf, dw, nw, "conv2d backward weights");
      ASSERT_NMSE (dbf, db, filters, "conv2d backward bias");
    }
}

static void
test_maxpool (void)
{
  for (int iter = 0; iter < 12; iter++)
    {
      int n = pick (5), c = pick (5), h = 3 + pick (7), w = 3 + pick (7);
      int k = g_rand_int_range (rng, 2, 4), stride = g_rand_int_range (rng, 1, 4);

      /* The CPU executor's own path for the common 2×2 window with stride 2. */
      if (iter < 3)
        k = 2, stride = 2;
      g_autofree char *input = g_strdup_printf ("[%d,%d,%d]", c, h, w);
      g_autofree char *layer = g_strdup_printf (
        "{\"type\":\"maxpool2d\",\"kernel\":%d,\"stride\":%d}", k, stride);
      g_autoptr(TrbModelSpec) spec = spec_for (input, layer);
      const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
      gsize nx = (gsize) n * c * h * w, ny = (gsize) n * c * l->out_h * l->out_w;
      g_autofree double *x = random_doubles (nx, -1, 1), *dy = random_doubles (ny, -1, 1);
      g_autofree double *xr = NULL, *dyr = rounded (dy, ny);
      g_autofree double *y = g_new (double, ny), *dx = g_new (double, nx);
      g_autofree float *xf = NULL, *dyf = to_floats (dy, ny);
      g_autofree float *yf = g_new (float, ny), *dxf = g_new (float, nx);
      g_autofree gint32 *arg = g_new (gint32, ny);

      /* Every other run on five levels, so that windows hold ties: the gradient goes to the
       * first maximum, row by row, on every path. */
      if (iter % 2 == 1)
        for (gsize i = 0; i < nx; i++)
          x[i] = round (x[i] * 2) / 2;
      xr = rounded (x, nx);
      xf = to_floats (x, nx);

      trb_ref_maxpool_forward (l, n, xr, y);
      trb_cpu_maxpool_forward (pool, l, n, xf, yf, arg);
      ASSERT_NMSE (yf, y, ny, "maxpool forward");
      trb_ref_maxpool_backward (l, n, xr, dyr, dx);
      trb_cpu_maxpool_backward (pool, l, n, arg, dyf, dxf);
      ASSERT_NMSE (dxf, dx, nx, "maxpool backward");
    }
}

/* The same bits whatever the number of threads the work is shared among. */
static void
test_thread_count (void)
{
  const char *layers[] = {
    "{\"type\":\"conv2d\",\"filters\":7,\"kernel\":5,\"stride\":1,\"padding\":2}",
    "{\"type\":\"conv2d\",\"filters\":7,\"kernel\":3,\"stride\":2,\"padding\":1}",
    "{\"type\":\"dense\",\"units\":131}",
  };
  const char *inputs[] = { "[9,41,43]", "[3,23,29]", "[1013]" };
  g_autoptr(TrbCpuPool) one = trb_cpu_pool_new (1);

  for (guint t = 0; t < G_N_ELEMENTS (layers); t++)
    {
      g_autoptr(TrbModelSpec) spec = spec_for (inputs[t], layers[t]);
      const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
      gboolean conv = l->kind == TRB_LAYER_CONV2D;
      int n = 23;
      gsize nx = (gsize) n * l->in_c * (conv ? (gsize) l->in_h * l->in_w : 1);
      gsize nw = (gsize) l->out_c * l->in_c * (conv ? l->kernel_h * l->kernel_w : 1);
      gsize ny = (gsize) n * l->out_c * (conv ? (gsize) l->out_h * l->out_w : 1);
      g_autofree double *xd = random_doubles (nx, -1, 1), *wd = random_doubles (nw, -1, 1);
      g_autofree double *bd = random_doubles (l->out_c, -1, 1), *dyd = random_doubles (ny, -1, 1);
      g_autofree float *x = to_floats (xd, nx), *w = to_floats (wd, nw);
      g_autofree float *b = to_floats (bd, l->out_c), *dy = to_floats (dyd, ny);
      float *out[2][4];

      for (int p = 0; p < 2; p++)
        {
          TrbCpuPool *use = p == 0 ? one : pool;
          gsize nc = conv ? trb_cpu_conv2d_cols_size (l, n) : 0;
          g_autofree float *cols = nc > 0 ? g_new (float, nc) : NULL;

          out[p][0] = g_new (float, ny);
          out[p][1] = g_new (float, nx);
          out[p][2] = g_new (float, nw);
          out[p][3] = g_new (float, l->out_c);
          if (conv)
            {
              trb_cpu_conv2d_forward (use, l, n, x, w, b, out[p][0], TRUE, cols);
              trb_cpu_conv2d_backward (use, l, n, x, dy, out[p][0], w, out[p][1], out[p][2],
                                       out[p][3], cols, TRUE);
            }
          else
            {
              trb_cpu_dense_forward (use, l, n, x, w, b, TRUE, out[p][0]);
              trb_cpu_dense_backward (use, l, n, x, w, dy, x, out[p][1], out[p][2], out[p][3]);
            }
        }
      g_assert_cmpmem (out[0][0], ny * sizeof (float), out[1][0], ny * sizeof (float));
      g_assert_cmpmem (out[0][1], nx * sizeof (float), out[1][1], nx * sizeof (float));
      g_assert_cmpmem (out[0][2], nw * sizeof (float), out[1][2], nw * sizeof (float));
      g_assert_cmpmem (out[0][3], l->out_c * sizeof (float), out[1][3],
                       l->out_c * sizeof (float));
      for (int p = 0; p < 2; p++)
        for (int i = 0; i < 4; i++)
          g_free (out[p][i]);
    }
}

static void
test_relu_dropout_softmax (void)
{
  gsize count = 9973;
  g_autofree double *x = random_doubles (count, -1, 1), *dy = random_doubles (count, -1, 1);
  g_autofree double *xr = rounded (x, count), *dyr = rounded (dy, count);
  g_autofree double *y = g_new (double, count), *dx = g_new (double, count);
  g_autofree float *xf = to_floats (x, count), *dyf = to_floats (dy, count);
  g_autofree float *yf = g_new (float, count), *dxf = g_new (float, count);
  g_autoptr(TrbModelSpec) spec = spec_for ("[9973]", "{\"type\":\"dropout\",\"rate\":0.3}");
  const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
  gsize kept = 0;

  trb_ref_relu_forward (count, xr, y);
  trb_cpu_relu_forward (count, xf, yf);
  ASSERT_NMSE (yf, y, count, "relu forward");
  trb_ref_relu_backward (count, xr, dyr, dx);
  trb_cpu_relu_backward (count, yf, dyf, dxf);
  ASSERT_NMSE (dxf, dx, count, "relu backward");

  trb_ref_dropout_forward (l, 0, 1, 77, 5, xr, y);
  trb_cpu_dropout (l, 0, 1, 77, 5, xf, yf);
  ASSERT_NMSE (yf, y, count, "dropout forward");
  for (gsize i = 0; i < count; i++)
    kept += y[i] != 0;
  /* 30% dropped: the kept share is 0.7 ± 3 standard errors (0.0046). */
  g_assert_cmpfloat (fabs ((double) kept / count - 0.7), <, 0.014);
  trb_ref_dropout_backward (l, 0, 1, 77, 5, dyr, dx);
  trb_cpu_dropout (l, 0, 1, 77, 5, dyf, dxf);
  ASSERT_NMSE (dxf, dx, count, "dropout backward");

  for (int iter = 0; iter < 8; iter++)
    {
      int n = pick (11), classes = 2 + pick (8);
      gsize nz = (gsize) n * classes;
      g_autofree double *z = random_doubles (nz, -8, 8), *zr = rounded (z, nz);
      g_autofree float *zf = to_floats (z, nz);
      g_autofree double *dz = g_new (double, nz);
      g_autofree float *dzf = g_new (float, nz);
      g_autofree gint32 *labels = g_new (gint32, n);
      double loss, lossf;
      int correct, correctf;
      float lossf_arr[1];
      double loss_arr[1];

      for (int s = 0; s < n; s++)
        labels[s] = g_rand_int_range (rng, 0, classes);
      trb_ref_softmax_xent (n, classes, zr, labels, dz, &loss, &correct);
      trb_cpu_softmax_xent (n, classes, zf, labels, dzf, &lossf, &correctf);
      lossf_arr[0] = (float) lossf;
      loss_arr[0] = loss;
      ASSERT_NMSE (lossf_arr, loss_arr, 1, "softmax cross-entropy loss");
      ASSERT_NMSE (dzf, dz, nz, "softmax cross-entropy gradient");
      g_assert_cmpint (correct, ==, correctf);
    }
}

/* ---- finite differences of the reference ---- */

typedef void (*ForwardFunc) (gpointer      ctx,
                             const double *x,
                             const double *w,
                             double       *y);

/* Checks d⟨r, f(x, w)⟩/dx and /dw against central differences at a sample of coordinates. */
static void
check_fd (const char   *what,
          ForwardFunc   f,
          gpointer      ctx,
          double       *x,
          gsize         nx,
          double       *w,
          gsize         nw,
          gsize         ny,
          const double *r,
          const double *gx,
          const double *gw)
{
  const double h = 1e-6;
  g_autofree double *y = g_new (double, ny);

  for (int which = 0; which < 2; which++)
    {
      double *v = which ? w : x;
      const double *g = which ? gw : gx;
      gsize nv = which ? nw : nx;

      if (v == NULL || g == NULL)
        continue;
      for (int t = 0; t < 40; t++)
        {
          gsize i = g_rand_int_range (rng, 0, (gint32) nv);
          double keep = v[i], lp = 0, lm = 0, fd;

          v[i] = keep + h;
          f (ctx, x, w, y);
          for (gsize k = 0; k < ny; k++)
            lp += r[k] * y[k];
          v[i] = keep - h;
          f (ctx, x, w, y);
          for (gsize k = 0; k < ny; k++)
            lm += r[k] * y[k];
          v[i] = keep;
          fd = (lp - lm) / (2 * h);
          if (!(fabs (fd - g[i]) <= 1e-6 * MAX (1.0, fabs (g[i]))))
            g_error ("%s: d/d%s[%" G_GSIZE_FORMAT "] analytic %.10g, numeric %.10g", what,
                     which ? "w" : "x", i, g[i], fd);
        }
    }
}

typedef struct { const TrbLayer *l; int n; const double *b; } LayerCtx;

static void
dense_f (gpointer ctx, const double *x, const double *w, double *y)
{
  LayerCtx *c = ctx;
  trb_ref_dense_forward (c->l, c->n, x, w, c->b, y);
}

static void
conv_f (gpointer ctx, const double *x, const double *w, double *y)
{
  LayerCtx *c = ctx;
  trb_ref_conv2d_forward (c->l, c->n, x, w, c->b, y);
}

static void
pool_f (gpointer ctx, const double *x, const double *w, double *y)
{
  LayerCtx *c = ctx;
  trb_ref_maxpool_forward (c->l, c->n, x, y);
}

static void
relu_f (gpointer ctx, const double *x, const double *w, double *y)
{
  LayerCtx *c = ctx;
  trb_ref_relu_forward ((gsize) c->n, x, y);
}

static void
dropout_f (gpointer ctx, const double *x, const double *w, double *y)
{
  LayerCtx *c = ctx;
  trb_ref_dropout_forward (c->l, 0, c->n, 3, 4, x, y);
}

typedef struct { int n, classes; const gint32 *labels; } XentCtx;

static void
xent_f (gpointer ctx, const double *x, const double *w, double *y)
{
  XentCtx *c = ctx;
  int correct;
  trb_ref_softmax_xent (c->n, c->classes, x, c->labels, NULL, y, &correct);
}

static void
test_finite_differences (void)
{
  /* dense */
  {
    g_autoptr(TrbModelSpec) spec = spec_for ("[13]", "{\"type\":\"dense\",\"units\":7}");
    const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
    int n = 5;
    g_autofree double *x = random_doubles (n * 13, -1, 1), *w = random_doubles (7 * 13, -1, 1);
    g_autofree double *b = random_doubles (7, -1, 1), *r = random_doubles (n * 7, -1, 1);
    g_autofree double *gx = g_new (double, n * 13), *gw = g_new (double, 7 * 13);
    g_autofree double *gb = g_new (double, 7), *rb = random_doubles (7, 0, 0);
    LayerCtx ctx = { l, n, b };

    trb_ref_dense_backward (l, n, x, w, r, gx, gw, gb);
    check_fd ("dense", dense_f, &ctx, x, n * 13, w, 7 * 13, n * 7, r, gx, gw);
    /* The bias gradient is the column sum of r. */
    for (int o = 0; o < 7; o++)
      {
        double s = 0;
        for (int k = 0; k < n; k++)
          s += r[k * 7 + o];
        g_assert_cmpfloat (fabs (s - gb[o]), <, 1e-12);
      }
  }
  /* conv2d with stride and padding, and its bias */
  {
    g_autoptr(TrbModelSpec) spec =
      spec_for ("[3,9,7]", "{\"type\":\"conv2d\",\"filters\":4,\"kernel\":3,\"stride\":2,"
                "\"padding\":1}");
    const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
    int n = 2;
    gsize nx = n * 3 * 9 * 7, nw = 4 * 3 * 9, ny = (gsize) n * 4 * l->out_h * l->out_w;
    g_autofree double *x = random_doubles (nx, -1, 1), *w = random_doubles (nw, -1, 1);
    g_autofree double *b = random_doubles (4, -1, 1), *r = random_doubles (ny, -1, 1);
    g_autofree double *gx = g_new (double, nx), *gw = g_new (double, nw);
    g_autofree double *gb = g_new (double, 4);
    LayerCtx ctx = { l, n, b };

    trb_ref_conv2d_backward (l, n, x, w, r, gx, gw, gb);
    check_fd ("conv2d", conv_f, &ctx, x, nx, w, nw, ny, r, gx, gw);
    check_fd ("conv2d bias", conv_f, &ctx, x, nx, NULL, 0, ny, r, NULL, NULL);
    {
      /* d/db by differences on b itself */
      double lp = 0, lm = 0;
      g_autofree double *y = g_new (double, ny);
      b[2] += 1e-6;
      trb_ref_conv2d_forward (l, n, x, w, b, y);
      for (gsize k = 0; k < ny; k++)
        lp += r[k] * y[k];
      b[2] -= 2e-6;
      trb_ref_conv2d_forward (l, n, x, w, b, y);
      for (gsize k = 0; k < ny; k++)
        lm += r[k] * y[k];
      g_assert_cmpfloat (fabs ((lp - lm) / 2e-6 - gb[2]), <, 1e-6 * MAX (1, fabs (gb[2])));
    }
  }
  /* maxpool (distinct values, so small steps never change the winner) */
  {
    g_autoptr(TrbModelSpec) spec =
      spec_for ("[2,7,7]", "{\"type\":\"maxpool2d\",\"kernel\":3,\"stride\":2}");
    const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
    gsize nx = 2 * 2 * 49, ny = 2 * 2 * 9;
    g_autofree double *x = g_new (double, nx), *r = random_doubles (ny, -1, 1);
    g_autofree double *gx = g_new (double, nx);
    LayerCtx ctx = { l, 2, NULL };

    for (gsize i = 0; i < nx; i++)
      x[i] = (double) ((i * 7919) % nx) / nx;
    trb_ref_maxpool_backward (l, 2, x, r, gx);
    check_fd ("maxpool", pool_f, &ctx, x, nx, NULL, 0, ny, r, gx, NULL);
  }
  /* relu, away from its kink */
  {
    gsize n = 301;
    g_autofree double *x = random_doubles (n, 0.01, 1), *r = random_doubles (n, -1, 1);
    g_autofree double *gx = g_new (double, n);
    LayerCtx ctx = { NULL, (int) n, NULL };

    for (gsize i = 0; i < n; i += 2)
      x[i] = -x[i];
    trb_ref_relu_backward (n, x, r, gx);
    check_fd ("relu", relu_f, &ctx, x, n, NULL, 0, n, r, gx, NULL);
  }
  /* dropout */
  {
    g_autoptr(TrbModelSpec) spec = spec_for ("[97]", "{\"type\":\"dropout\",\"rate\":0.4}");
    const TrbLayer *l = trb_model_spec_get_layer (spec, 0);
    g_autofree double *x = random_doubles (3 * 97, -1, 1), *r = random_doubles (3 * 97, -1, 1);
    g_autofree double *gx = g_new (double, 3 * 97);
    LayerCtx ctx = { l, 3, NULL };

    trb_ref_dropout_backward (l, 0, 3, 3, 4, r, gx);
    check_fd ("dropout", dropout_f, &ctx, x, 3 * 97, NULL, 0, 3 * 97, r, gx, NULL);
  }
  /* softmax cross-entropy: the loss is the sum, so r = 1/n on the mean-loss gradient */
  {
    int n = 4, classes = 7;
    g_autofree double *z = random_doubles (n * classes, -3, 3);
    g_autofree double *dz = g_new (double, n * classes);
    gint32 labels[4] = { 0, 6, 3, 3 };
    double loss, one = 1.0 / n;
    int correct;
    XentCtx ctx = { n, classes, labels };

    trb_ref_softmax_xent (n, classes, z, labels, dz, &loss, &correct);
    check_fd ("softmax cross-entropy", xent_f, &ctx, z, n * classes, NULL, 0, 1, &one, dz, NULL);
  }
}

/* The pool runs every task of a run exactly once, on any number of threads, whether its
 * workers are still spinning from the last run or asleep. */
typedef struct
{
  int *ran;
  int *thread_of;
} PoolCount;

static void
count_task (int      task,
            int      thread,
            gpointer data)
{
  PoolCount *c = data;

  g_atomic_int_inc (&c->ran[task]);
  c->thread_of[task] = thread;
}

static void
test_pool (void)
{
  GRand *rand = g_rand_new_with_seed (7);

  for (int threads = 1; threads <= 4; threads++)
    {
      g_autoptr (TrbCpuPool) p = trb_cpu_pool_new (threads);

      g_assert_cmpint (trb_cpu_pool_get_n_threads (p), ==, threads);
      for (int run = 0; run < 400; run++)
        {
          int n_tasks = g_rand_int_range (rand, 0, 70);
          g_autofree int *ran = g_new0 (int, MAX (n_tasks, 1));
          g_autofree int *thread_of = g_new0 (int, MAX (n_tasks, 1));
          PoolCount c = { ran, thread_of };

          /* Now and then, leave the workers long enough to fall asleep. */
          if (run % 50 == 49)
            g_usleep (2000);
          trb_cpu_pool_run (p, n_tasks, count_task, &c);
          for (int t = 0; t < n_tasks; t++)
            {
              g_assert_cmpint (ran[t], ==, 1);
              g_assert_cmpint (thread_of[t], >=, 0);
              g_assert_cmpint (thread_of[t], <, threads);
            }
        }
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  rng = g_rand_new_with_seed (20261122);
  pool = trb_cpu_pool_new (3);

  g_test_add_func ("/compute/ops/gemm", test_gemm);
  g_test_add_func ("/compute/ops/dense", test_dense);
  g_test_add_func ("/compute/ops/conv2d", test_conv2d);
  g_test_add_func ("/compute/ops/maxpool", test_maxpool);
  g_test_add_func ("/compute/ops/thread-count", test_thread_count);
  g_test_add_func ("/compute/ops/pool", test_pool);
  g_test_add_func ("/compute/ops/relu-dropout-softmax", test_relu_dropout_softmax);
  g_test_add_func ("/compute/ops/finite-differences", test_finite_differences);

  ret = g_test_run ();
  trb_cpu_pool_free (pool);
  return ret;
}

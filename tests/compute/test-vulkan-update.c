/* test-vulkan-update.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The update kernels on whatever Vulkan device there is (Mesa's lavapipe where there is no
 * GPU), against the host's implementations in trb-weights.c and trb-quantize.c: the
 * subtraction, the two-stage sums on lengths of 1, primes and more than one workgroup, the check
 * for NaN and infinities, clipping, Philox noise, and the F16 and INT8 encodings.
 *
 * Tolerances:
 * - update = trained − global: within one unit in the last place of the host's value (each is
 *   rounded once; the host goes through double precision).
 * - Σu: within 1e-6·Σ|u| of the fp64 sum; Σu²: within 1e-6 relative (both measured ≈ 1e-8).
 * - clipping: the norm before within 1e-6 relative; each clipped value within 1e-6 relative of
 *   the host's; an update inside the bound is left bit for bit.
 * - noise: the device's normal variate z within 1e-6·(1 + |z|) of the host's, so an element
 *   within 2⁻²²·|host| + 1e-6·σ·(1 + |z|); mean and standard deviation within five standard
 *   errors of 0 and σ.
 * - F16: the host's bytes exactly, for every input, and every one of the 65,536 halves decoded
 *   to the host's bits.
 * - INT8: the host's scales bit for bit; codes equal, or one apart only where u / scale lies
 *   within 1e-5 relative of a half-integer; decoding equal to the host's bit for bit.
 */

#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "compute/trb-quantize.h"
#include "compute/trb-vulkan-context.h"
#include "compute/trb-vulkan-update.h"
#include "vulkan-drivers.h"

static TrbVulkanContext *context;
static GRand *rng;

/* Layouts as lists of tensor sizes, 0-terminated: one element, primes, exactly and just past a
 * block (64) and a reduction chunk (4,096), several tensors, the 2NN, and one of ≈ 300,000. */
static const gsize layouts[][7] = {
  { 1 }, { 2 }, { 3 }, { 7 }, { 64 }, { 65 }, { 4096 }, { 4097 }, { 10007 },
  { 13, 1, 97, 211, 0 }, { 1, 1, 1 }, { 156800, 200, 40000, 200, 2000, 10 }, { 300007 },
};

static double
gaussian (void)
{
  double u1 = g_rand_double (rng), u2 = g_rand_double (rng);
  return sqrt (-2.0 * log (1.0 - u1)) * cos (2.0 * G_PI * u2);
}

/* Random weights in @layout; with @wide, magnitudes spread over twelve decades. */
static TrbWeights *
random_weights (const gsize *layout,
                gboolean     wide)
{
  TrbWeights *w = trb_weights_new ();

  for (guint i = 0; layout[i] != 0; i++)
    {
      g_autofree char *name = g_strdup_printf ("layer%u.weight", i);
      float *d = trb_weights_add (w, name, 1, &layout[i]);

      for (gsize k = 0; k < layout[i]; k++)
        d[k] = (float) (gaussian () * (wide ? exp (g_rand_double_range (rng, -14, 14)) : 1.0));
    }
  return w;
}

static TrbWeights *
same_layout_random (TrbWeights *like)
{
  TrbWeights *w = trb_weights_copy (like);

  for (guint i = 0; i < trb_weights_get_n_tensors (w); i++)
    {
      float *d = trb_weights_get_data (w, i);
      for (gsize k = 0; k < trb_weights_get_n_elements (w, i); k++)
        d[k] = (float) gaussian ();
    }
  return w;
}

/* The distance between two floats in units in the last place. */
static guint32
ulps (float a,
      float b)
{
  gint32 ia, ib;

  memcpy (&ia, &a, 4);
  memcpy (&ib, &b, 4);
  if (ia < 0)
    ia = G_MININT32 - ia;
  if (ib < 0)
    ib = G_MININT32 - ib;
  return (guint32) ABS ((gint64) ia - ib);
}

static void
host_sums (TrbWeights *w,
           double     *sum,
           double     *abs_sum,
           double     *squares,
           guint64    *nonfinite)
{
  *sum = *abs_sum = *squares = 0;
  *nonfinite = 0;
  for (guint i = 0; i < trb_weights_get_n_tensors (w); i++)
    {
      const float *d = trb_weights_get_data (w, i);

      for (gsize k = 0; k < trb_weights_get_n_elements (w, i); k++)
        {
          if (!isfinite (d[k]))
            {
              (*nonfinite)++;
              continue;
            }
          *sum += d[k];
          *abs_sum += fabs (d[k]);
          *squares += (double) d[k] * d[k];
        }
    }
}

static void
test_subtract_reduce (void)
{
  g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
  double worst_sum = 0, worst_sq = 0;

  for (guint l = 0; l < G_N_ELEMENTS (layouts); l++)
    for (int wide = 0; wide < 2; wide++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(TrbWeights) trained = random_weights (layouts[l], wide);
        g_autoptr(TrbWeights) global = same_layout_random (trained);
        g_autoptr(TrbWeights) host = trb_weights_subtract (trained, global, &error);
        g_autoptr(TrbWeights) device = NULL;
        TrbUpdateStats stats;
        double sum, abs_sum, squares;
        guint64 nonfinite;

        g_assert_no_error (error);
        g_assert_true (trb_vulkan_update_subtract (vu, trained, global, &error));
        g_assert_no_error (error);
        device = trb_vulkan_update_get (vu, &error);
        g_assert_no_error (error);
        g_assert_true (trb_weights_same_layout (host, device, NULL));
        for (guint i = 0; i < trb_weights_get_n_tensors (host); i++)
          {
            const float *h = trb_weights_get_data (host, i), *d = trb_weights_get_data (device, i);
            for (gsize k = 0; k < trb_weights_get_n_elements (host, i); k++)
              g_assert_cmpuint (ulps (h[k], d[k]), <=, 1);
          }

        g_assert_true (trb_vulkan_update_reduce (vu, &stats, &error));
        g_assert_no_error (error);
        host_sums (host, &sum, &abs_sum, &squares, &nonfinite);
        g_assert_cmpuint (stats.n_nonfinite, ==, 0);
        g_assert_cmpfloat (fabs (stats.sum - sum), <=, 1e-6 * abs_sum);
        g_assert_cmpfloat (fabs (stats.squared_norm - squares), <=, 1e-6 * squares);
        worst_sum = MAX (worst_sum, fabs (stats.sum - sum) / abs_sum);
        worst_sq = MAX (worst_sq, fabs (stats.squared_norm - squares) / squares);
      }
  g_test_message ("largest error of Σu / Σ|u|: %.3g, of Σu² relative: %.3g", worst_sum, worst_sq);
}

static void
test_nonfinite (void)
{
  const float bad[] = { NAN, INFINITY, -INFINITY, -NAN };

  for (guint l = 0; l < G_N_ELEMENTS (layouts); l += 3)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
      g_autoptr(TrbWeights) update = random_weights (layouts[l], FALSE);
      g_autoptr(TrbWeights) after = NULL;
      guint n_tensors = trb_weights_get_n_tensors (update);
      TrbUpdateStats stats;
      double sum, abs_sum, squares, norm = -1;
      guint64 nonfinite;
      guint last = n_tensors - 1;
      gsize last_n = trb_weights_get_n_elements (update, last);

      /* The very first and last elements, and a few anywhere. */
      trb_weights_get_data (update, 0)[0] = bad[l % 4];
      trb_weights_get_data (update, last)[last_n - 1] = bad[(l + 1) % 4];
      for (guint j = 0; j < 5; j++)
        {
          guint i = (guint) g_rand_int_range (rng, 0, (int) n_tensors);
          gsize k = (gsize) g_rand_int_range (rng, 0, (int) trb_weights_get_n_elements (update, i));
          trb_weights_get_data (update, i)[k] = bad[j % 4];
        }
      host_sums (update, &sum, &abs_sum, &squares, &nonfinite);
      g_assert_cmpuint (nonfinite, >=, 1);
      g_assert_false (trb_weights_all_finite (update));

      g_assert_true (trb_vulkan_update_set (vu, update, &error));
      g_assert_true (trb_vulkan_update_reduce (vu, &stats, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (stats.n_nonfinite, ==, nonfinite);
      g_assert_cmpfloat (fabs (stats.sum - sum), <=, 1e-6 * abs_sum + 1e-30);
      g_assert_cmpfloat (fabs (stats.squared_norm - squares), <=, 1e-6 * squares + 1e-30);

      /* Clipping refuses such an update and leaves it alone. */
      g_assert_false (trb_vulkan_update_clip_norm (vu, 1e-3, &norm, &error));
      g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_DIVERGED);
      g_assert_cmpfloat (norm, ==, -1);
      after = trb_vulkan_update_get (vu, NULL);
      g_assert_nonnull (after);
      for (guint i = 0; i < n_tensors; i++)
        g_assert_cmpmem (trb_weights_get_data (after, i),
                         trb_weights_get_n_elements (after, i) * 4,
                         trb_weights_get_data (update, i),
                         trb_weights_get_n_elements (update, i) * 4);
    }
}

static void
test_clip (void)
{
  g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
  g_autoptr(GError) error = NULL;
  double worst = 0;

  for (guint l = 0; l < G_N_ELEMENTS (layouts); l++)
    for (int active = 0; active < 2; active++)
      {
        g_autoptr(TrbWeights) update = random_weights (layouts[l], l % 2);
        g_autoptr(TrbWeights) host = trb_weights_copy (update);
        g_autoptr(TrbWeights) device = NULL;
        double norm = trb_weights_l2_norm (update);
        double bound = active ? 0.37 * norm : 1.5 * norm;
        double host_before, device_before = 0;
        TrbUpdateStats stats;

        host_before = trb_weights_clip_norm (host, bound);
        g_assert_true (trb_vulkan_update_set (vu, update, &error));
        g_assert_true (trb_vulkan_update_clip_norm (vu, bound, &device_before, &error));
        g_assert_no_error (error);
        g_assert_cmpfloat (fabs (device_before - host_before), <=, 1e-6 * host_before);
        device = trb_vulkan_update_get (vu, &error);
        g_assert_no_error (error);
        for (guint i = 0; i < trb_weights_get_n_tensors (host); i++)
          {
            const float *h = trb_weights_get_data (host, i), *d = trb_weights_get_data (device, i);
            gsize n = trb_weights_get_n_elements (host, i);

            if (!active)
              g_assert_cmpmem (d, n * 4, trb_weights_get_data (update, i), n * 4);
            for (gsize k = 0; k < n; k++)
              {
                g_assert_cmpfloat (fabs ((double) d[k] - h[k]), <=, 1e-6 * fabs (h[k]));
                if (h[k] != 0)
                  worst = MAX (worst, fabs ((double) d[k] - h[k]) / fabs (h[k]));
              }
          }
        /* The clipped update is inside the bound, up to rounding. */
        g_assert_true (trb_vulkan_update_reduce (vu, &stats, &error));
        g_assert_cmpfloat (sqrt (stats.squared_norm), <=, MIN (bound, norm) * (1 + 1e-6));
        if (active)
          g_assert_cmpfloat (sqrt (stats.squared_norm), >=, bound * (1 - 1e-6));
      }
  g_test_message ("largest relative error of a clipped value: %.3g", worst);

  /* Bounds that are not positive numbers are refused. */
  {
    const double bad[] = { 0, -1, NAN, INFINITY };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_false (trb_vulkan_update_clip_norm (vu, bad[i], NULL, &error));
        g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_SPEC);
        g_clear_error (&error);
      }
  }
}

static void
test_noise (void)
{
  g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
  g_autoptr(GError) error = NULL;
  const gsize layout[] = { 1, 65, 4099, 100003, 300007, 0 };
  const guint64 seeds[] = { 0, 42, G_GUINT64_CONSTANT (0xDEADBEEF12345678) };
  const double sigma = 0.05;

  for (guint s = 0; s < G_N_ELEMENTS (seeds); s++)
    {
      g_autoptr(TrbWeights) zero = random_weights (layout, FALSE);
      g_autoptr(TrbWeights) host_z = NULL, device_z = NULL;
      g_autoptr(TrbWeights) update = NULL, host = NULL, device = NULL;
      double worst = 0, sum = 0, sum2 = 0, n = 0, max_z = 0;

      /* Standard normals alone: σ = 1 on zeros. */
      for (guint i = 0; i < trb_weights_get_n_tensors (zero); i++)
        memset (trb_weights_get_data (zero, i), 0, trb_weights_get_n_elements (zero, i) * 4);
      host_z = trb_weights_copy (zero);
      trb_weights_add_gaussian_noise (host_z, 1.0, seeds[s]);
      g_assert_true (trb_vulkan_update_set (vu, zero, &error));
      g_assert_true (trb_vulkan_update_add_gaussian_noise (vu, 1.0, seeds[s], &error));
      g_assert_no_error (error);
      device_z = trb_vulkan_update_get (vu, &error);
      for (guint i = 0; i < trb_weights_get_n_tensors (zero); i++)
        {
          const float *h = trb_weights_get_data (host_z, i);
          const float *d = trb_weights_get_data (device_z, i);

          for (gsize k = 0; k < trb_weights_get_n_elements (zero, i); k++)
            {
              double e = fabs ((double) d[k] - h[k]);

              g_assert_cmpfloat (e, <=, 1e-6 * (1 + fabs (h[k])));
              worst = MAX (worst, e / (1 + fabs (h[k])));
              max_z = MAX (max_z, fabs (d[k]));
              sum += d[k];
              sum2 += (double) d[k] * d[k];
              n++;
            }
        }
      /* A standard normal: mean 0 and variance 1 within five standard errors. */
      g_assert_cmpfloat (fabs (sum / n), <=, 5 / sqrt (n));
      g_assert_cmpfloat (fabs (sqrt (sum2 / n) - 1), <=, 5 / sqrt (2 * n));
      g_assert_cmpfloat (max_z, >, 3.5);
      g_test_message ("seed %" G_GUINT64_FORMAT ": |z_device − z_host| / (1 + |z|) ≤ %.3g, "
                      "mean %.4f, std %.4f over %.0f", seeds[s], worst, sum / n,
                      sqrt (sum2 / n), n);

      /* σ·z on a real update, against the host, and statistics of what was added. */
      update = random_weights (layout, FALSE);
      host = trb_weights_copy (update);
      trb_weights_add_gaussian_noise (host, sigma, seeds[s]);
      g_assert_true (trb_vulkan_update_set (vu, update, &error));
      g_assert_true (trb_vulkan_update_add_gaussian_noise (vu, sigma, seeds[s], &error));
      device = trb_vulkan_update_get (vu, &error);
      g_assert_no_error (error);
      sum = sum2 = 0;
      for (guint i = 0; i < trb_weights_get_n_tensors (update); i++)
        {
          const float *h = trb_weights_get_data (host, i), *d = trb_weights_get_data (device, i);
          const float *x = trb_weights_get_data (update, i), *z = trb_weights_get_data (host_z, i);

          for (gsize k = 0; k < trb_weights_get_n_elements (update, i); k++)
            {
              g_assert_cmpfloat (fabs ((double) d[k] - h[k]), <=,
                                 ldexp (fabs (h[k]), -22) + 1e-6 * sigma * (1 + fabs (z[k])));
              sum += (double) d[k] - x[k];
              sum2 += ((double) d[k] - x[k]) * ((double) d[k] - x[k]);
            }
        }
      g_assert_cmpfloat (fabs (sum / n), <=, 5 * sigma / sqrt (n));
      g_assert_cmpfloat (fabs (sqrt (sum2 / n) - sigma), <=, 5 * sigma / sqrt (2 * n));
    }

  /* Another seed gives other noise; σ = 0 changes nothing; a bad σ is refused. */
  {
    g_autoptr(TrbWeights) update = random_weights (layout, FALSE);
    g_autoptr(TrbWeights) a = NULL, b = NULL, same = NULL;
    guint differ = 0;

    g_assert_true (trb_vulkan_update_set (vu, update, &error));
    g_assert_true (trb_vulkan_update_add_gaussian_noise (vu, 0.0, 1, &error));
    same = trb_vulkan_update_get (vu, &error);
    g_assert_cmpfloat (trb_weights_max_abs_difference (same, update), ==, 0);
    g_assert_true (trb_vulkan_update_add_gaussian_noise (vu, 1.0, 1, &error));
    a = trb_vulkan_update_get (vu, &error);
    g_assert_true (trb_vulkan_update_set (vu, update, &error));
    g_assert_true (trb_vulkan_update_add_gaussian_noise (vu, 1.0, 2, &error));
    b = trb_vulkan_update_get (vu, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < trb_weights_get_n_tensors (a); i++)
      for (gsize k = 0; k < trb_weights_get_n_elements (a, i); k++)
        differ += trb_weights_get_data (a, i)[k] != trb_weights_get_data (b, i)[k];
    g_assert_cmpuint (differ, >, 0.99 * trb_weights_get_total_elements (a));

    g_assert_false (trb_vulkan_update_add_gaussian_noise (vu, -1, 1, &error));
    g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_SPEC);
    g_clear_error (&error);
    g_assert_false (trb_vulkan_update_add_gaussian_noise (vu, NAN, 1, &error));
    g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_SPEC);
  }
}

/* Values that exercise every branch of the half conversion. */
static TrbWeights *
f16_weights (void)
{
  const gsize layout[] = { 1, 4099, 65, 20011, 0 };
  TrbWeights *w = random_weights (layout, TRUE);
  const float special[] = {
    0.0f, -0.0f, NAN, -NAN, INFINITY, -INFINITY, 65504.0f, 65519.99f, 65520.0f, -65520.0f,
    1e10f, 6.1035156e-05f, 6.0975552e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f,
    8.940697e-08f, 1e-8f, FLT_MIN, FLT_TRUE_MIN, -FLT_TRUE_MIN, 1.0f + 1.0f / 2048,
    1.0f + 3.0f / 2048, 2049.0f, 2051.0f, -2049.0f,
  };
  float *d = trb_weights_get_data (w, 1);

  memcpy (d, special, sizeof special);
  /* Exact ties between two halves, at every exponent. */
  for (int e = -24; e < 16; e++)
    for (int j = 0; j < 4; j++)
      d[100 + 4 * (e + 24) + j] = ldexpf (1.0f + (2 * j + 1) / 2048.0f, e) * (j % 2 ? -1 : 1);
  trb_weights_get_data (w, 0)[0] = -NAN;
  return w;
}

static void
test_f16 (void)
{
  g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) update = f16_weights ();
  g_autoptr(TrbWeights) decoded = NULL;
  g_autoptr(GBytes) halves = NULL;
  g_autoptr(GBytes) wrong = NULL;
  gsize total = trb_weights_get_total_elements (update);
  g_autofree guint16 *expected = g_new (guint16, total);
  g_autofree guint16 *all = g_new (guint16, 65536);
  g_autofree float *all_host = g_new (float, 65536);
  gsize at = 0;

  /* Encoding gives the host's bytes, NaN and infinities included. */
  for (guint i = 0; i < trb_weights_get_n_tensors (update); i++)
    {
      trb_quantize_f16 (trb_weights_get_data (update, i), expected + at,
                        trb_weights_get_n_elements (update, i));
      at += trb_weights_get_n_elements (update, i);
    }
  g_assert_true (trb_vulkan_update_set (vu, update, &error));
  halves = trb_vulkan_update_quantize_f16 (vu, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (halves, NULL), g_bytes_get_size (halves), expected,
                   total * 2);

  /* Decoding on the device gives the host decoder's bits for what was encoded... */
  g_assert_true (trb_vulkan_update_dequantize_f16 (vu, update, halves, &error));
  g_assert_no_error (error);
  decoded = trb_vulkan_update_get (vu, &error);
  at = 0;
  for (guint i = 0; i < trb_weights_get_n_tensors (update); i++)
    {
      gsize n = trb_weights_get_n_elements (update, i);
      g_autofree float *host = g_new (float, n);

      trb_dequantize_f16 (expected + at, host, n);
      g_assert_cmpmem (trb_weights_get_data (decoded, i), n * 4, host, n * 4);
      at += n;
      /* The round trip loses at most half a unit in the last place of a normal half. */
      for (gsize k = 0; k < n; k++)
        {
          float x = trb_weights_get_data (update, i)[k];
          if (fabsf (x) >= 6.1035156e-05f && fabsf (x) <= 65504.0f)
            g_assert_cmpfloat (fabs ((double) host[k] - x), <=, ldexp (fabs (x), -11));
        }
    }

  /* ... and for every one of the 65,536 halves. */
  {
    const gsize n = 65536;
    g_autoptr(TrbWeights) layout = trb_weights_new ();
    g_autoptr(TrbWeights) back = NULL;
    g_autoptr(GBytes) every = NULL;
    g_autoptr(GBytes) again = NULL;

    trb_weights_add (layout, "every", 1, &n);
    for (guint h = 0; h < n; h++)
      all[h] = (guint16) h;
    trb_dequantize_f16 (all, all_host, n);
    every = g_bytes_new (all, n * 2);
    g_assert_true (trb_vulkan_update_dequantize_f16 (vu, layout, every, &error));
    g_assert_no_error (error);
    back = trb_vulkan_update_get (vu, &error);
    g_assert_cmpmem (trb_weights_get_data (back, 0), n * 4, all_host, n * 4);
    /* Encoding them again gives the same halves, NaN payloads aside (they become quiet). */
    again = trb_vulkan_update_quantize_f16 (vu, &error);
    g_assert_no_error (error);
    for (guint h = 0; h < n; h++)
      {
        guint16 got = ((const guint16 *) g_bytes_get_data (again, NULL))[h];
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0)
          g_assert_cmpuint (got, ==, (h & 0x8000) | 0x7e00);
        else
          g_assert_cmpuint (got, ==, h);
      }
  }

  /* Bytes of the wrong size are refused. */
  wrong = g_bytes_new (expected, total * 2 - 2);
  g_assert_false (trb_vulkan_update_dequantize_f16 (vu, update, wrong, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
}

static void
test_int8 (void)
{
  g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
  g_autoptr(GError) error = NULL;
  const gsize layout[] = { 1, 3, 257, 4099, 100003, 300, 300, 300, 0 };
  g_autoptr(TrbWeights) update = random_weights (layout, TRUE);
  g_autoptr(TrbWeights) decoded = NULL;
  g_autoptr(GBytes) codes = NULL;
  g_autofree float *scales = NULL;
  guint n_tensors = trb_weights_get_n_tensors (update);
  const gint8 *got;
  guint off_by_one = 0;
  float *d;

  /* Tensor 5: exact ties with scale 1 (max 127), which must round to even as on the host. */
  d = trb_weights_get_data (update, 5);
  d[0] = 127.0f;
  for (guint k = 1; k < 300; k++)
    d[k] = (float) ((int) (k % 253) - 126) + 0.5f;
  /* Tensor 6: NaN, infinities and zeros only (scale 0, every code 0). */
  d = trb_weights_get_data (update, 6);
  memset (d, 0, 300 * 4);
  d[0] = NAN;
  d[7] = INFINITY;
  d[299] = -INFINITY;
  /* Tensor 7: so small that the scale is subnormal. */
  d = trb_weights_get_data (update, 7);
  for (guint k = 0; k < 300; k++)
    d[k] = (float) (1e-37 * gaussian ());
  /* NaN and infinities in a real tensor: code 0, and no effect on the scale. */
  d = trb_weights_get_data (update, 3);
  d[5] = NAN;
  d[4000] = -INFINITY;

  g_assert_true (trb_vulkan_update_set (vu, update, &error));
  codes = trb_vulkan_update_quantize_int8 (vu, &scales, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (codes), ==, trb_weights_get_total_elements (update));
  got = g_bytes_get_data (codes, NULL);
  for (guint i = 0; i < n_tensors; i++)
    {
      gsize n = trb_weights_get_n_elements (update, i);
      g_autofree gint8 *host = g_new (gint8, n);
      const float *x = trb_weights_get_data (update, i);
      float scale = trb_quantize_int8 (x, host, n);

      g_assert_cmpmem (&scales[i], 4, &scale, 4);
      for (gsize k = 0; k < n; k++)
        {
          if (got[k] == host[k])
            continue;
          /* One apart, only on a near-tie of u / scale, never on an exact one. */
          g_assert_cmpint (ABS (got[k] - host[k]), ==, 1);
          g_assert_cmpfloat (fabs (fabs ((double) x[k] / scale) -
                                   (MIN (ABS (got[k]), ABS (host[k])) + 0.5)), <=,
                             1e-5 * fabs ((double) x[k] / scale));
          g_assert_cmpuint (i, !=, 5);
          off_by_one++;
        }
      got += n;
    }
  g_test_message ("INT8 codes one apart from the host's: %u of %" G_GSIZE_FORMAT, off_by_one,
                  trb_weights_get_total_elements (update));
  g_assert_cmpfloat (scales[6], ==, 0);
  g_assert_true (scales[7] > 0 && scales[7] < FLT_MIN);

  /* Decoding on the device gives the host decoder's bits. */
  g_assert_true (trb_vulkan_update_dequantize_int8 (vu, update, codes, scales, n_tensors,
                                                    &error));
  g_assert_no_error (error);
  decoded = trb_vulkan_update_get (vu, &error);
  got = g_bytes_get_data (codes, NULL);
  for (guint i = 0; i < n_tensors; i++)
    {
      gsize n = trb_weights_get_n_elements (update, i);
      g_autofree float *host = g_new (float, n);

      trb_dequantize_int8 (got, scales[i], host, n);
      g_assert_cmpmem (trb_weights_get_data (decoded, i), n * 4, host, n * 4);
      got += n;
      /* The round trip is within half a step (a code one apart is one on a near-tie, so it
       * is too). */
      for (gsize k = 0; k < n; k++)
        {
          float x = trb_weights_get_data (update, i)[k];
          if (isfinite (x))
            g_assert_cmpfloat (fabs ((double) host[k] - x), <=,
                               0.5 * scales[i] * (1 + 1e-4) + FLT_TRUE_MIN);
        }
    }

  /* Bad input is refused with a clear error. */
  {
    g_autoptr(GBytes) short_codes = g_bytes_new (g_bytes_get_data (codes, NULL),
                                                 g_bytes_get_size (codes) - 1);
    float bad = scales[0];

    g_assert_false (trb_vulkan_update_dequantize_int8 (vu, update, short_codes, scales,
                                                       n_tensors, &error));
    g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
    g_clear_error (&error);
    g_assert_false (trb_vulkan_update_dequantize_int8 (vu, update, codes, scales, n_tensors - 1,
                                                       &error));
    g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
    g_clear_error (&error);
    scales[0] = NAN;
    g_assert_false (trb_vulkan_update_dequantize_int8 (vu, update, codes, scales, n_tensors,
                                                       &error));
    g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
    scales[0] = bad;
  }
}

/* More than 65,535 workgroups, so that every kernel spills into a second dimension of the
 * grid; also times each call on a model the size of the FedAvg CNN. */
static void
test_large (void)
{
  g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
  g_autoptr(GError) error = NULL;
  const gsize layout[] = { 1600000, 63370, 4200007, 0 };
  g_autoptr(TrbWeights) trained = random_weights (layout, FALSE);
  g_autoptr(TrbWeights) global = same_layout_random (trained);
  g_autoptr(TrbWeights) host = trb_weights_subtract (trained, global, &error);
  g_autoptr(TrbWeights) device = NULL;
  g_autoptr(GBytes) codes = NULL;
  g_autofree float *scales = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  double t_sub, t_clip, t_noise, t_int8, norm = 0;
  const gint8 *got;

  g_timer_start (timer);
  g_assert_true (trb_vulkan_update_subtract (vu, trained, global, &error));
  t_sub = g_timer_elapsed (timer, NULL);
  g_assert_true (trb_vulkan_update_clip_norm (vu, 1e9, &norm, &error));
  t_clip = g_timer_elapsed (timer, NULL) - t_sub;
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (norm - trb_weights_l2_norm (host)), <=, 1e-6 * norm);
  trb_weights_add_gaussian_noise (host, 0.1, 7);
  g_timer_start (timer);
  g_assert_true (trb_vulkan_update_add_gaussian_noise (vu, 0.1, 7, &error));
  t_noise = g_timer_elapsed (timer, NULL);
  device = trb_vulkan_update_get (vu, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (trb_weights_max_abs_difference (device, host), <=, 1e-5);
  g_timer_start (timer);
  codes = trb_vulkan_update_quantize_int8 (vu, &scales, &error);
  t_int8 = g_timer_elapsed (timer, NULL);
  g_assert_no_error (error);
  got = g_bytes_get_data (codes, NULL);
  for (guint i = 0; i < trb_weights_get_n_tensors (device); i++)
    {
      gsize n = trb_weights_get_n_elements (device, i);
      g_autofree gint8 *expected = g_new (gint8, n);
      float scale = trb_quantize_int8 (trb_weights_get_data (device, i), expected, n);

      g_assert_cmpmem (&scales[i], 4, &scale, 4);
      for (gsize k = 0; k < n; k++)
        g_assert_cmpint (ABS (got[k] - expected[k]), <=, 1);
      got += n;
    }
  g_test_message ("%" G_GSIZE_FORMAT " values: subtract %.1f ms, reduce + clip %.1f ms, "
                  "noise %.1f ms, INT8 %.1f ms", trb_weights_get_total_elements (device),
                  t_sub * 1e3, t_clip * 1e3, t_noise * 1e3, t_int8 * 1e3);
}

static void
made_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  TrbWeights **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = trb_vulkan_update_make_finish (TRB_VULKAN_UPDATE (source), result, &error);
  if (*out == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      *out = trb_weights_new ();
    }
}

/* The whole update off the main thread, as the participant makes it on the host. */
static void
test_make_async (void)
{
  g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
  g_autoptr(GError) error = NULL;
  const gsize layout[] = { 784, 200, 0 };
  g_autoptr(TrbWeights) trained = random_weights (layout, FALSE);
  g_autoptr(TrbWeights) global = same_layout_random (trained);
  g_autoptr(TrbWeights) host = trb_weights_subtract (trained, global, &error);
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  TrbWeights *made = NULL;
  double bound = 0.5 * trb_weights_l2_norm (host), sigma = 0.01;

  trb_weights_clip_norm (host, bound);
  trb_weights_add_gaussian_noise (host, sigma, 9);
  trb_weights_set_metadata (trained, "samples", "12");
  trb_vulkan_update_make_async (vu, trained, global, bound, sigma, 9, NULL, made_cb, &made);
  while (made == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (trb_weights_same_layout (made, host, NULL));
  g_assert_cmpstr (trb_weights_get_metadata (made, "samples"), ==, "12");
  for (guint i = 0; i < trb_weights_get_n_tensors (host); i++)
    for (gsize k = 0; k < trb_weights_get_n_elements (host, i); k++)
      {
        double h = trb_weights_get_data (host, i)[k], d = trb_weights_get_data (made, i)[k];
        g_assert_cmpfloat (fabs (d - h), <=, 1e-5 * (fabs (h) + sigma));
      }
  g_clear_object (&made);

  /* Cancelled before it starts: a cancellation error, nothing else. */
  g_cancellable_cancel (cancelled);
  trb_vulkan_update_make_async (vu, trained, global, bound, sigma, 9, cancelled, made_cb, &made);
  while (made == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (trb_weights_get_n_tensors (made), ==, 0);
  g_clear_object (&made);
}

static void
test_errors (void)
{
  g_autoptr(TrbVulkanUpdate) vu = trb_vulkan_update_new (context);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbWeights) empty = trb_weights_new ();
  const gsize a[] = { 10, 0 }, b[] = { 11, 0 };
  g_autoptr(TrbWeights) wa = random_weights (a, FALSE);
  g_autoptr(TrbWeights) wb = random_weights (b, FALSE);
  g_autofree float *scales = NULL;
  TrbUpdateStats stats;

  /* Nothing to work on yet. */
  g_assert_false (trb_vulkan_update_reduce (vu, &stats, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (trb_vulkan_update_quantize_int8 (vu, &scales, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (trb_vulkan_update_get (vu, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_FAILED);
  g_clear_error (&error);

  /* Weights of two different models, or none at all. */
  g_assert_false (trb_vulkan_update_subtract (vu, wa, wb, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
  g_clear_error (&error);
  g_assert_false (trb_vulkan_update_set (vu, empty, &error));
  g_assert_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS);
  g_clear_error (&error);

  /* A refused call leaves the update that was there. */
  g_assert_true (trb_vulkan_update_set (vu, wa, &error));
  g_assert_false (trb_vulkan_update_subtract (vu, wa, wb, &error));
  g_clear_error (&error);
  g_assert_true (trb_vulkan_update_reduce (vu, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (sqrt (stats.squared_norm) - trb_weights_l2_norm (wa)), <=,
                     1e-6 * trb_weights_l2_norm (wa));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  int index, ret;

  keep_vulkan_drivers ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  rng = g_rand_new_with_seed (11);
  devices = trb_vulkan_enumerate_devices (&error);
  g_assert_no_error (error);
  index = choose_test_device (devices);
  g_assert_cmpint (index, >=, 0);
  context = trb_vulkan_context_new (index, &error);
  g_assert_no_error (error);
  check_subgroup_size (context);

  g_test_add_func ("/compute/vulkan-update/subtract-reduce", test_subtract_reduce);
  g_test_add_func ("/compute/vulkan-update/nonfinite", test_nonfinite);
  g_test_add_func ("/compute/vulkan-update/clip", test_clip);
  g_test_add_func ("/compute/vulkan-update/noise", test_noise);
  g_test_add_func ("/compute/vulkan-update/f16", test_f16);
  g_test_add_func ("/compute/vulkan-update/int8", test_int8);
  g_test_add_func ("/compute/vulkan-update/large", test_large);
  g_test_add_func ("/compute/vulkan-update/make-async", test_make_async);
  g_test_add_func ("/compute/vulkan-update/errors", test_errors);

  ret = g_test_run ();
  g_object_unref (context);
  g_rand_free (rng);
  return ret;
}

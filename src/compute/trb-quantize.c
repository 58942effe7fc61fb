/* trb-quantize.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-quantize"

#include "config.h"

#include "trb-quantize.h"

#include <math.h>
#include <string.h>

/* Round to nearest even, with subnormals, infinities and NaN handled as IEEE 754 says. */
static guint16
float_to_half (float f)
{
  guint32 x;
  guint32 sign, mant;
  int exp;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000u;
  exp = (int) ((x >> 23) & 0xff) - 127 + 15;
  mant = x & 0x7fffffu;

  if (((x >> 23) & 0xff) == 0xff)
    return (guint16) (sign | 0x7c00u | (mant ? 0x200u : 0));
  if (exp >= 31)
    return (guint16) (sign | 0x7c00u);
  if (exp <= 0)
    {
      guint32 shift, half_bits, rem, halfway;

      if (exp < -10)
        return (guint16) sign;
      mant |= 0x800000u;
      shift = (guint32) (14 - exp);
      half_bits = mant >> shift;
      rem = mant & ((1u << shift) - 1);
      halfway = 1u << (shift - 1);
      if (rem > halfway || (rem == halfway && (half_bits & 1)))
        half_bits++;
      return (guint16) (sign | half_bits);
    }
  {
    guint32 h = sign | ((guint32) exp << 10) | (mant >> 13);
    guint32 rem = mant & 0x1fffu;

    /* A carry out of the mantissa correctly bumps the exponent (up to infinity). */
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
      h++;
    return (guint16) h;
  }
}

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, x;
  float f;

  if (exp == 0)
    {
      f = ldexpf ((float) mant, -24);
      return sign ? -f : f;
    }
  if (exp == 31)
    x = sign | 0x7f800000u | (mant << 13);
  else
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  memcpy (&f, &x, 4);
  return f;
}

void
trb_quantize_f16 (const float *src,
                  guint16     *dst,
                  gsize        n)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = float_to_half (src[i]);
}

void
trb_dequantize_f16 (const guint16 *src,
                    float         *dst,
                    gsize          n)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = half_to_float (src[i]);
}

/**
 * trb_quantize_int8:
 *
 * Symmetric quantisation: q = round(x / scale) with scale = max|x| / 127.
 *
 * Returns: the scale (0 when every value is 0 or none is finite)
 */
float
trb_quantize_int8 (const float *src,
                   gint8       *dst,
                   gsize        n)
{
  float max = 0, scale;

  for (gsize i = 0; i < n; i++)
    if (isfinite (src[i]))
      max = MAX (max, fabsf (src[i]));
  scale = max / 127.0f;
  for (gsize i = 0; i < n; i++)
    {
      float q = scale > 0 && isfinite (src[i]) ? rintf (src[i] / scale) : 0.0f;
      dst[i] = (gint8) CLAMP (q, -127.0f, 127.0f);
    }
  return scale;
}

void
trb_dequantize_int8 (const gint8 *src,
                     float        scale,
                     float       *dst,
                     gsize        n)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = src[i] * scale;
}

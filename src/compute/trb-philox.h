/* trb-philox.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Philox4x32-10, the counter-based generator of Salmon et al. (SC'11). Being a pure function of
 * (key, counter) it gives the same numbers on every executor, in any order and on any number of
 * threads, which is what seeded initialisation, dropout and noise need.
 */

#pragma once

#include <glib.h>
#include <math.h>

G_BEGIN_DECLS

static inline void
trb_philox4x32 (guint64 key,
                guint64 counter_hi,
                guint64 counter_lo,
                guint32 out[4])
{
  guint32 c0 = (guint32) counter_lo, c1 = (guint32) (counter_lo >> 32);
  guint32 c2 = (guint32) counter_hi, c3 = (guint32) (counter_hi >> 32);
  guint32 k0 = (guint32) key, k1 = (guint32) (key >> 32);

  for (int round = 0; round < 10; round++)
    {
      guint64 p0 = (guint64) 0xD2511F53u * c0;
      guint64 p1 = (guint64) 0xCD9E8D57u * c2;
      guint32 n0 = (guint32) (p1 >> 32) ^ c1 ^ k0;
      guint32 n1 = (guint32) p1;
      guint32 n2 = (guint32) (p0 >> 32) ^ c3 ^ k1;
      guint32 n3 = (guint32) p0;

      c0 = n0; c1 = n1; c2 = n2; c3 = n3;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* A double in [0, 1) from 53 random bits; element @index of stream @stream under @key. */
static inline double
trb_philox_uniform (guint64 key,
                    guint64 stream,
                    guint64 index)
{
  guint32 r[4];

  trb_philox4x32 (key, stream, index, r);
  return (double) (((guint64) r[0] << 21) ^ (r[1] >> 11)) * (1.0 / 9007199254740992.0);
}

/* A standard normal variate (Box–Muller on the four words of one block). */
static inline double
trb_philox_normal (guint64 key,
                   guint64 stream,
                   guint64 index)
{
  guint32 r[4];
  double u1, u2;

  trb_philox4x32 (key, stream, index, r);
  u1 = ((double) (((guint64) r[0] << 21) ^ (r[1] >> 11)) + 1.0) * (1.0 / 9007199254740993.0);
  u2 = (double) (((guint64) r[2] << 21) ^ (r[3] >> 11)) * (1.0 / 9007199254740992.0);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

G_END_DECLS

G_BEGIN_DECLS

/* Whether dropout keeps element @index of layer @layer at step @step. Shared by every executor
 * so that a step drops exactly the same units wherever it runs. */
static inline gboolean
trb_dropout_keeps (guint64 seed,
                   guint64 step,
                   guint   layer,
                   guint64 index,
                   double  rate)
{
  return trb_philox_uniform (seed, (step << 8) | layer, index) >= rate;
}

G_END_DECLS

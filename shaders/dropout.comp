// SPDX-License-Identifier: GPL-3.0-or-later
//
// Inverted dropout, forward and backward alike: y = keep ? x · scale : 0. Whether element i is
// kept is the CPU executor's rule, Philox4x32-10 keyed by the seed with the counter
// (stream = step << 8 | layer, index = i), a 53-bit uniform compared with the rate. The rate is
// given as the integer threshold ⌈rate · 2⁵³⌉ so the comparison is exact without doubles.
// A threshold of 0 and a scale of 1 copy x unchanged (evaluation).
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer X { float x[]; };
layout (set = 0, binding = 1) writeonly buffer Y { float y[]; };
layout (set = 0, binding = 8) uniform Step
{
  float lr, momentum, weight_decay, prox_mu;
  float beta1, beta2, eps, bc1;
  float bc2;
  int adam, use_anchor, pad0;
  uint seed_lo, seed_hi, step_lo, step_hi;
} st;

layout (push_constant) uniform Params
{
  int total;
  uint layer;
  uint threshold_hi, threshold_lo;
  float scale;
} p;

void
main ()
{
  int idx = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (idx >= p.total)
    return;

  uint c0 = uint (idx), c1 = 0u;
  uint c2 = (st.step_lo << 8) | p.layer, c3 = (st.step_hi << 8) | (st.step_lo >> 24);
  uint k0 = st.seed_lo, k1 = st.seed_hi;

  for (int round = 0; round < 10; round++)
    {
      uint hi0, lo0, hi1, lo1;

      umulExtended (0xD2511F53u, c0, hi0, lo0);
      umulExtended (0xCD9E8D57u, c2, hi1, lo1);
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }

  // The 53-bit value (c0 << 21) ^ (c1 >> 11), split into its high and low 32 bits.
  uint u_hi = c0 >> 11, u_lo = (c0 << 21) | (c1 >> 11);
  bool keep = u_hi > p.threshold_hi || (u_hi == p.threshold_hi && u_lo >= p.threshold_lo);

  y[idx] = keep ? x[idx] * p.scale : 0.0;
}

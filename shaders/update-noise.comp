// SPDX-License-Identifier: GPL-3.0-or-later
//
// Adds σ·z to every element, z a standard normal from Philox4x32-10 with exactly the host's
// counters (trb-philox.h): key = seed, counter = (index within the tensor, the tensor's stream).
// The 128 random bits are the host's, bit for bit; only the Box–Muller transform runs in fp32.
// The shader library's log and cos may be far less accurate than that needs, so both are
// computed here from the integer bits: the logarithm of u₁ close to 1 from 1 − u₁ taken exactly
// from the integers, the cosine after an exact reduction to a quadrant.
//
// Each workgroup is one block of 64 elements inside one tensor (tensors start on a block).
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) buffer Update { float u[]; };
layout (set = 0, binding = 3) readonly buffer BlockTensor { uint block_tensor[]; };
/* Per tensor: offset, count, and the noise stream's low and high words. */
layout (set = 0, binding = 4) readonly buffer Tensors { uvec4 tensors[]; };

layout (push_constant) uniform Params
{
  uint n_blocks;
  uint seed_lo, seed_hi;
  float stddev;
} p;

uvec4
philox (uvec4 c,
        uvec2 k)
{
  for (int round = 0; round < 10; round++)
    {
      uint hi0, lo0, hi1, lo1;

      umulExtended (0xD2511F53u, c.x, hi0, lo0);
      umulExtended (0xCD9E8D57u, c.z, hi1, lo1);
      c = uvec4 (hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
      k += uvec2 (0x9E3779B9u, 0xBB67AE85u);
    }
  return c;
}

/* 2·atanh(s) = ln((1 + s) / (1 − s)), for |s| ≤ 0.18. */
float
log_series (float s)
{
  float s2 = s * s;
  float t = 1.0 / 13.0;

  t = t * s2 + 1.0 / 11.0;
  t = t * s2 + 1.0 / 9.0;
  t = t * s2 + 1.0 / 7.0;
  t = t * s2 + 1.0 / 5.0;
  t = t * s2 + 1.0 / 3.0;
  t = t * s2 + 1.0;
  return 2.0 * s * t;
}

/* ln(u₁) for u₁ = (n + 1) / (2⁵³ + 1), n = r0·2²¹ + l with l < 2²¹. */
float
log_u1 (uint r0,
        uint l)
{
  if (r0 >= 0xB5050000u)
    {
      /* u₁ ≥ 0.7071: 1 − u₁ = (2⁵³ − n) / (2⁵³ + 1), computed without cancellation. */
      float w = (float (0u - r0) * 2097152.0 - float (l)) * 1.1102230246251565e-16;
      return log_series (-w / (2.0 - w));
    }
  else
    {
      float x = float (r0) * 2.3283064365386963e-10 + float (l + 1u) * 1.1102230246251565e-16;
      int e;
      float m = frexp (x, e);

      if (m < 0.70710678)
        {
          m *= 2.0;
          e -= 1;
        }
      /* ln 2 split in two so that e·ln 2 keeps its precision. */
      return float (e) * 0.693145751953125 + float (e) * 1.4286068203094172e-06 +
             log_series ((m - 1.0) / (m + 1.0));
    }
}

/* cos(2π·u₂) for u₂ = n / 2⁵³, n = r2·2²¹ + l with l < 2²¹. */
float
cos_u2 (uint r2,
        uint l)
{
  /* The nearest quarter turn q and the exact remainder f = u₂ − q/4 ∈ [−1/8, 1/8]. */
  uint q = ((r2 + 0x20000000u) >> 30) & 3u;
  int d = int (r2 - (q << 30));
  float x = float (d) * 1.4629180792671596e-09 + float (l) * 6.975736996017264e-16;
  float x2 = x * x;
  float c, s;

  c = 1.0 / 479001600.0;
  c = c * x2 - 1.0 / 3628800.0;
  c = c * x2 + 1.0 / 40320.0;
  c = c * x2 - 1.0 / 720.0;
  c = c * x2 + 1.0 / 24.0;
  c = c * x2 - 0.5;
  c = c * x2 + 1.0;
  s = -1.0 / 39916800.0;
  s = s * x2 + 1.0 / 362880.0;
  s = s * x2 - 1.0 / 5040.0;
  s = s * x2 + 1.0 / 120.0;
  s = s * x2 - 1.0 / 6.0;
  s = s * x2 * x + x;
  return q == 0u ? c : q == 1u ? -s : q == 2u ? -c : s;
}

void
main ()
{
  uint block = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;

  if (block >= p.n_blocks)
    return;
  uvec4 t = tensors[block_tensor[block]];
  uint k = block * 64u + gl_LocalInvocationID.x - t.x;
  if (k >= t.y)
    return;

  uvec4 r = philox (uvec4 (k, 0u, t.z, t.w), uvec2 (p.seed_lo, p.seed_hi));
  float radius = sqrt (-2.0 * log_u1 (r.x, r.y >> 11));
  float z = radius * cos_u2 (r.z, r.w >> 11);
  u[t.x + k] += p.stddev * z;
}

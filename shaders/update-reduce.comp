// SPDX-License-Identifier: GPL-3.0-or-later
//
// Σ u, Σ u² and the number of elements that are NaN or infinite, in two stages. The first
// stage gives each workgroup a chunk of CHUNK elements; the second (FINAL) is one workgroup
// over the chunks' partials. Sums are kept as unevaluated pairs of floats (hi + lo, Knuth's
// TwoSum) and combined through a tree in shared memory, so nothing depends on the subgroup size
// and the result is close to a double-precision sum. The "precise" qualifiers stop the
// compiler from simplifying the error terms away. Non-finite values are recognised from their
// bits, which no floating-point optimisation can change, and left out of the sums.
#version 450

#define WG 256u
#define CHUNK 4096u

layout (local_size_x = 256) in;

layout (set = 0, binding = 0) readonly buffer Update { uint bits[]; };
layout (set = 0, binding = 2) buffer Partials { vec4 part[]; };   /* two per chunk */
layout (set = 0, binding = 5) buffer Result { uint result[]; };

layout (push_constant) uniform Params
{
  uint total;
  uint n_chunks;
} p;

shared vec4 s_sums[WG];
shared uint s_count[WG];

/* s + e == a + b exactly. */
vec2
two_sum (float a,
         float b)
{
  precise float s = a + b;
  precise float bb = s - a;
  precise float e = (a - (s - bb)) + (b - bb);
  return vec2 (s, e);
}

/* The sum of two (hi, lo) pairs, renormalised. */
vec2
add_pairs (vec2 x,
           vec2 y)
{
  vec2 s = two_sum (x.x, y.x);
  precise float lo = s.y + (x.y + y.y);
  return two_sum (s.x, lo);
}

void
main ()
{
  uint lid = gl_LocalInvocationID.x;
  vec2 sum = vec2 (0.0), sq = vec2 (0.0);
  uint count = 0u;

#ifdef FINAL
  for (uint c = lid; c < p.n_chunks; c += WG)
    {
      vec4 v = part[2u * c];
      sum = add_pairs (sum, v.xy);
      sq = add_pairs (sq, v.zw);
      count += floatBitsToUint (part[2u * c + 1u].x);
    }
#else
  uint chunk = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  if (chunk >= p.n_chunks)
    return;
  uint end = min (p.total, (chunk + 1u) * CHUNK);
  for (uint i = chunk * CHUNK + lid; i < end; i += WG)
    {
      uint b = bits[i];
      if ((b & 0x7f800000u) == 0x7f800000u)
        {
          count++;
          continue;
        }
      float x = uintBitsToFloat (b);
      precise float x2 = x * x;
      sum = add_pairs (sum, vec2 (x, 0.0));
      sq = add_pairs (sq, vec2 (x2, 0.0));
    }
#endif

  s_sums[lid] = vec4 (sum, sq);
  s_count[lid] = count;
  barrier ();
  for (uint half_ = WG / 2u; half_ > 0u; half_ >>= 1)
    {
      if (lid < half_)
        {
          vec4 a = s_sums[lid], b = s_sums[lid + half_];
          s_sums[lid] = vec4 (add_pairs (a.xy, b.xy), add_pairs (a.zw, b.zw));
          s_count[lid] += s_count[lid + half_];
        }
      barrier ();
    }
  if (lid == 0u)
    {
#ifdef FINAL
      vec4 v = s_sums[0];
      result[0] = floatBitsToUint (v.x);
      result[1] = floatBitsToUint (v.y);
      result[2] = floatBitsToUint (v.z);
      result[3] = floatBitsToUint (v.w);
      result[4] = s_count[0];
#else
      part[2u * chunk] = s_sums[0];
      part[2u * chunk + 1u] = vec4 (uintBitsToFloat (s_count[0]), 0.0, 0.0, 0.0);
#endif
    }
}

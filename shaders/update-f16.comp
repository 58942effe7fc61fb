// SPDX-License-Identifier: GPL-3.0-or-later
//
// IEEE half precision, with the same integer algorithm as trb-quantize.c (round to nearest
// even, subnormals, infinities and NaN), so the halves are the host's bit for bit. Each
// invocation handles the two halves of one 32-bit word: encoding reads u and writes the packed
// halves (the first element in the low half, as little-endian bytes lay them out); DECODE does
// the reverse. Nothing goes through floating-point arithmetic, so denormal flushing cannot
// change a value.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) buffer Update { uint bits[]; };
layout (set = 0, binding = 1) buffer Packed { uint packed[]; };

layout (push_constant) uniform Params
{
  uint n_words;
} p;

uint
float_to_half (uint x)
{
  uint sign = (x >> 16) & 0x8000u;
  int e = int ((x >> 23) & 0xffu) - 127 + 15;
  uint mant = x & 0x7fffffu;

  if (((x >> 23) & 0xffu) == 0xffu)
    return sign | 0x7c00u | (mant != 0u ? 0x200u : 0u);
  if (e >= 31)
    return sign | 0x7c00u;
  if (e <= 0)
    {
      if (e < -10)
        return sign;
      mant |= 0x800000u;
      uint shift = uint (14 - e);
      uint h = mant >> shift;
      uint rem = mant & ((1u << shift) - 1u);
      uint halfway = 1u << (shift - 1u);
      if (rem > halfway || (rem == halfway && (h & 1u) != 0u))
        h++;
      return sign | h;
    }
  uint h = sign | (uint (e) << 10) | (mant >> 13);
  uint rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u))
    h++;
  return h;
}

uint
half_to_float (uint h)
{
  uint sign = (h & 0x8000u) << 16;
  uint e = (h >> 10) & 0x1fu, mant = h & 0x3ffu;

  if (e == 0u)
    {
      if (mant == 0u)
        return sign;
      /* mant · 2⁻²⁴ is a normal float: its exponent comes from the leading bit. */
      int lead = findMSB (mant);
      return sign | (uint (lead + 103) << 23) | ((mant << uint (23 - lead)) & 0x7fffffu);
    }
  if (e == 31u)
    return sign | 0x7f800000u | (mant << 13);
  return sign | ((e - 15u + 127u) << 23) | (mant << 13);
}

void
main ()
{
  uint w = (gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * 64u +
           gl_LocalInvocationID.x;

  if (w >= p.n_words)
    return;
#ifdef DECODE
  uint v = packed[w];
  bits[2u * w] = half_to_float (v & 0xffffu);
  bits[2u * w + 1u] = half_to_float (v >> 16);
#else
  packed[w] = float_to_half (bits[2u * w]) | (float_to_half (bits[2u * w + 1u]) << 16);
#endif
}

// SPDX-License-Identifier: GPL-3.0-or-later
//
// Symmetric 8-bit codes with one scale per tensor, as trb-quantize.c: q = round(u / scale) to
// the nearest even, clamped to ±127, 0 for values that are not finite. The scales come from the
// host (computed there from the exact maxima, so that they are the host's bit for bit). Each
// workgroup is one block of 64 elements inside one tensor, each invocation one 32-bit word of
// four codes, the first in the lowest byte. DECODE turns codes back into code · scale.
#version 450

layout (local_size_x = 16) in;

layout (set = 0, binding = 0) buffer Update { float u[]; };
layout (set = 0, binding = 1) buffer Packed { uint packed[]; };
layout (set = 0, binding = 3) readonly buffer BlockTensor { uint block_tensor[]; };
layout (set = 0, binding = 5) readonly buffer Result { float result[]; };  /* 8 + one per tensor */

layout (push_constant) uniform Params
{
  uint n_blocks;
} p;

void
main ()
{
  uint block = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;

  if (block >= p.n_blocks)
    return;
  float scale = result[8u + block_tensor[block]];
  uint w = block * 16u + gl_LocalInvocationID.x;

#ifdef DECODE
  int v = int (packed[w]);
  for (int j = 0; j < 4; j++)
    u[4u * w + uint (j)] = float (bitfieldExtract (v, 8 * j, 8)) * scale;
#else
  uint word = 0u;
  for (int j = 0; j < 4; j++)
    {
      float x = u[4u * w + uint (j)];
      uint b = floatBitsToUint (x);
      float q = 0.0;

      if (scale > 0.0 && (b & 0x7f800000u) != 0x7f800000u)
        q = clamp (roundEven (x / scale), -127.0, 127.0);
      word |= (uint (int (q)) & 0xffu) << (8 * j);
    }
  packed[w] = word;
#endif
}

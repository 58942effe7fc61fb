// SPDX-License-Identifier: GPL-3.0-or-later
//
// The largest finite |u| of each tensor, for the INT8 scale. The first stage reduces each block
// of 64 elements (one workgroup, inside one tensor); the second (FINAL) gives each tensor one
// workgroup over its blocks. Everything is done on the bits: for non-negative floats the order
// of the bits is the order of the values, so the maximum is exact and no floating-point mode
// (flushing denormals, say) can change it.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer Update { uint bits[]; };
layout (set = 0, binding = 2) buffer BlockMax { uint block_max[]; };
/* Per tensor: offset, count, noise stream. */
layout (set = 0, binding = 4) readonly buffer Tensors { uvec4 tensors[]; };
/* The reduction's 8 values, then the maximum of each tensor. */
layout (set = 0, binding = 5) buffer Result { uint result[]; };

layout (push_constant) uniform Params
{
  uint n_blocks;
  uint n_tensors;
} p;

shared uint s_max[64];

void
main ()
{
  uint lid = gl_LocalInvocationID.x;
  uint m = 0u;

#ifdef FINAL
  uint tensor = gl_WorkGroupID.x;
  if (tensor >= p.n_tensors)
    return;
  uvec4 t = tensors[tensor];
  uint first = t.x / 64u, end = (t.x + t.y + 63u) / 64u;
  for (uint b = first + lid; b < end; b += 64u)
    m = max (m, block_max[b]);
#else
  uint block = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  if (block >= p.n_blocks)
    return;
  uint a = bits[block * 64u + lid] & 0x7fffffffu;
  if (a < 0x7f800000u)
    m = a;
#endif

  s_max[lid] = m;
  barrier ();
  for (uint half_ = 32u; half_ > 0u; half_ >>= 1)
    {
      if (lid < half_)
        s_max[lid] = max (s_max[lid], s_max[lid + half_]);
      barrier ();
    }
  if (lid == 0u)
    {
#ifdef FINAL
      result[8u + tensor] = s_max[0];
#else
      block_max[block] = s_max[0];
#endif
    }
}

// SPDX-License-Identifier: GPL-3.0-or-later
//
// out[j] = Σ_t in[j·sj + t·st]: bias gradients. One workgroup per output, a strided loop and a
// tree in shared memory, so the result does not depend on the subgroup size.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer In { float src[]; };
layout (set = 0, binding = 1) writeonly buffer Out { float dst[]; };

layout (push_constant) uniform Params
{
  int count, sj, st, outputs;
} p;

shared float partial[64];

void
main ()
{
  int j = int (gl_WorkGroupID.x);
  int lid = int (gl_LocalInvocationID.x);
  float acc = 0.0;

  if (j < p.outputs)
    for (int t = lid; t < p.count; t += 64)
      acc += src[j * p.sj + t * p.st];
  partial[lid] = acc;
  barrier ();
  for (int half_ = 32; half_ > 0; half_ >>= 1)
    {
      if (lid < half_)
        partial[lid] += partial[lid + half_];
      barrier ();
    }
  if (lid == 0 && j < p.outputs)
    dst[j] = partial[0];
}

// SPDX-License-Identifier: GPL-3.0-or-later
//
// Fused log-softmax, cross-entropy, its gradient (of the batch mean) and the correct count: one
// invocation per sample writes its loss and whether its arg-max was right.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer Z { float z[]; };
layout (set = 0, binding = 1) writeonly buffer DZ { float dz[]; };
layout (set = 0, binding = 2) readonly buffer Labels { int labels[]; };
layout (set = 0, binding = 3) writeonly buffer Out { float stats[]; };

layout (push_constant) uniform Params
{
  int n, classes, want_grad;
} p;

void
main ()
{
  int s = int (gl_GlobalInvocationID.x);
  if (s >= p.n)
    return;
  int base = s * p.classes;
  int label = labels[s];
  float mx = z[base];
  int arg = 0;
  for (int c = 1; c < p.classes; c++)
    if (z[base + c] > mx)
      {
        mx = z[base + c];
        arg = c;
      }
  float sum = 0.0;
  for (int c = 0; c < p.classes; c++)
    sum += exp (z[base + c] - mx);
  stats[2 * s] = log (sum) + mx - z[base + label];
  stats[2 * s + 1] = arg == label ? 1.0 : 0.0;
  if (p.want_grad != 0)
    for (int c = 0; c < p.classes; c++)
      dz[base + c] = (exp (z[base + c] - mx) / sum - (c == label ? 1.0 : 0.0)) / float (p.n);
}

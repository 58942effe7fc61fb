// SPDX-License-Identifier: GPL-3.0-or-later
//
// Builds a batch from the data set resident on the device as bytes: x[s][f] =
// data[index[s]][f] · scale, labels[s] = all_labels[index[s]].
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 0) readonly buffer Data { uint data[]; };
layout (set = 0, binding = 1) writeonly buffer X { float x[]; };
layout (set = 0, binding = 2) readonly buffer Index { int index[]; };
layout (set = 0, binding = 3) readonly buffer AllLabels { int all_labels[]; };
layout (set = 0, binding = 4) writeonly buffer Labels { int labels[]; };

layout (push_constant) uniform Params
{
  int n, features, total;
  float scale;
} p;

void
main ()
{
  int idx = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (idx >= p.total)
    return;
  int s = idx / p.features;
  int f = idx % p.features;
  int src = index[s] * p.features + f;
  uint word = data[src >> 2];
  x[idx] = float ((word >> (8 * (src & 3))) & 0xffu) * p.scale;
  if (f == 0)
    labels[s] = all_labels[index[s]];
}

// SPDX-License-Identifier: GPL-3.0-or-later
//
// gather.comp four features at a time, where a sample's features come in fours: each invocation
// fetches four bytes of the data set as one texel (R8G8B8A8_UINT) and writes four floats,
// x[s][f…f+3] = data[index[s]][f…f+3] · scale, with the same arithmetic as gather.comp.
#version 450

layout (local_size_x = 64) in;

layout (set = 0, binding = 1) writeonly buffer X { vec4 x[]; };
layout (set = 0, binding = 2) readonly buffer Index { int index[]; };
layout (set = 0, binding = 3) readonly buffer AllLabels { int all_labels[]; };
layout (set = 0, binding = 4) writeonly buffer Labels { int labels[]; };
layout (set = 0, binding = 6) uniform usamplerBuffer Data;

layout (push_constant) uniform Params
{
  int n, features, total;   /* total: n · features / 4 */
  float scale;
} p;

void
main ()
{
  int idx = int (gl_GlobalInvocationID.x) + int (gl_GlobalInvocationID.y) * 65535 * 64;
  if (idx >= p.total)
    return;
  int f4 = p.features >> 2;
  int s = idx / f4;
  int q = idx - s * f4;
  int src = index[s];
  x[idx] = vec4 (texelFetch (Data, src * f4 + q)) * p.scale;
  if (q == 0)
    labels[s] = all_labels[src];
}

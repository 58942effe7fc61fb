// SPDX-License-Identifier: GPL-3.0-or-later
//
// The last dense layer fused with softmax-xent.comp, for the texel profile: one invocation per
// sample computes its logits from the layer's input and the parameters (both read four floats at
// a time as texels), then its loss, whether its arg-max was right and, when training, the
// gradient of the batch mean with respect to its logits. The logits themselves are never written.
// Up to MAX_CLASSES classes, or exactly CLASSES where that is defined (CPU drivers run both
// sides of a branch, so the loops over the classes are best fixed at compile time); the layer's
// input size and the parameter offsets are multiples of four.
#version 450

#ifdef CLASSES
#define MAX_CLASSES CLASSES
#else
#define MAX_CLASSES 16
#endif

layout (local_size_x = 8) in;

layout (set = 0, binding = 1) writeonly buffer DZ { float dz[]; };
layout (set = 0, binding = 2) readonly buffer Labels { int labels[]; };
layout (set = 0, binding = 3) writeonly buffer Out { float stats[]; };
layout (set = 0, binding = 6) uniform samplerBuffer X;
layout (set = 0, binding = 7) uniform samplerBuffer P;

layout (push_constant) uniform Params
{
  int n, classes, want_grad;
  int k, w_off, bias_off;
} p;

void
main ()
{
  int s = int (gl_GlobalInvocationID.x);
  if (s >= p.n)
    return;

#ifdef CLASSES
  const int classes = CLASSES;
#else
  int classes = p.classes;
#endif
  int k4 = p.k >> 2;
  int xb = s * k4;
  int wb = p.w_off >> 2;
  vec4 acc[MAX_CLASSES];
  float z[MAX_CLASSES];

  for (int c = 0; c < MAX_CLASSES; c++)
    acc[c] = vec4 (0.0);
  for (int q = 0; q < k4; q++)
    {
      vec4 x = texelFetch (X, xb + q);
      for (int c = 0; c < MAX_CLASSES; c++)
        if (c < classes)
          acc[c] = fma (x, texelFetch (P, wb + c * k4 + q), acc[c]);
    }

  int label = labels[s];
  float mx = 0.0;
  int arg = 0;
  for (int c = 0; c < MAX_CLASSES; c++)
    if (c < classes)
      {
        vec4 a = acc[c];
        z[c] = ((a.x + a.y) + (a.z + a.w)) + texelFetch (P, (p.bias_off + c) >> 2)[c & 3];
        if (c == 0 || z[c] > mx)
          {
            mx = z[c];
            arg = c;
          }
      }
  float sum = 0.0;
  float zl = 0.0;
  for (int c = 0; c < MAX_CLASSES; c++)
    if (c < classes)
      {
        sum += exp (z[c] - mx);
        if (c == label)
          zl = z[c];
      }
  stats[2 * s] = log (sum) + mx - zl;
  stats[2 * s + 1] = arg == label ? 1.0 : 0.0;
  if (p.want_grad != 0)
    for (int c = 0; c < MAX_CLASSES; c++)
      if (c < classes)
        dz[s * classes + c] = (exp (z[c] - mx) / sum - (c == label ? 1.0 : 0.0)) / float (p.n);
}

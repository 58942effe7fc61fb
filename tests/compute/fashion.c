/* fashion.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fashion.h"

#include <zlib.h>

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

static guint32
read_be32 (gzFile f)
{
  guint8 b[4];

  g_assert_cmpint (gzread (f, b, 4), ==, 4);
  return ((guint32) b[0] << 24) | ((guint32) b[1] << 16) | ((guint32) b[2] << 8) | b[3];
}

static gzFile
open_idx (const char *split,
          const char *kind,
          guint32     magic)
{
  g_autofree char *path = g_strdup_printf (FASHION_DIR "/%s-%s-idx%d-ubyte.gz", split, kind,
                                           magic == 0x803 ? 3 : 1);
  gzFile f = gzopen (path, "rb");

  if (f == NULL)
    g_error ("Cannot open %s (install dataset-fashion-mnist)", path);
  g_assert_cmphex (read_be32 (f), ==, magic);
  return f;
}

FashionSet *
fashion_load (const char *split,
              gsize       n)
{
  FashionSet *set = g_new0 (FashionSet, 1);
  gzFile fi = open_idx (split, "images", 0x803);
  gzFile fl = open_idx (split, "labels", 0x801);
  guint32 count = read_be32 (fi), rows = read_be32 (fi), cols = read_be32 (fi);
  g_autofree guint8 *raw_labels = g_new (guint8, n);

  g_assert_cmpuint (rows, ==, 28);
  g_assert_cmpuint (cols, ==, 28);
  g_assert_cmpuint (n, <=, count);
  g_assert_cmpuint (read_be32 (fl), ==, count);

  set->images = g_new (guint8, n * 784);
  set->labels = g_new (gint32, n);
  g_assert_cmpint (gzread (fi, set->images, (unsigned) (n * 784)), ==, (int) (n * 784));
  g_assert_cmpint (gzread (fl, raw_labels, (unsigned) n), ==, (int) n);
  for (gsize i = 0; i < n; i++)
    set->labels[i] = raw_labels[i];
  gzclose (fi);
  gzclose (fl);

  set->source.n_samples = n;
  set->source.feature_size = 784;
  set->source.feature_type = TRB_FEATURE_U8;
  set->source.features = set->images;
  set->source.u8_scale = 1.0 / 255.0;
  set->source.labels = set->labels;
  return set;
}

void
fashion_free (FashionSet *set)
{
  g_free (set->images);
  g_free (set->labels);
  g_free (set);
}

/* trb-idx.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-idx"

#include "config.h"

#include "trb-idx.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>
#include <zlib.h>

static gboolean
read_exact (gzFile   file,
            void    *buf,
            gsize    len)
{
  return gzread (file, buf, len) == (int) len;
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static gboolean
fail (GError     **error,
      const char  *path,
      const char  *why)
{
  g_autofree char *name = g_path_get_basename (path);

  /* Translators: the first %s is a file name, the second a reason. */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("“%s” cannot be used: %s"), name,
               why);
  return FALSE;
}

/* Finds the labels file beside an images file: “…images-idx3-ubyte…” → “…labels-idx1-ubyte…”. If
 * @images_path is a folder, the first *images-idx3-ubyte* in it whose name starts with “train”
 * (or any) is used and its path returned in @images_out. */
char *
trb_idx_find_labels (const char *images_path)
{
  g_autoptr(GString) s = g_string_new (images_path);

  if (g_string_replace (s, "images-idx3", "labels-idx1", 1) != 1)
    return NULL;
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
find_images_in_folder (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  char *found = NULL;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (strstr (name, "images-idx3-ubyte") == NULL)
        continue;
      if (found == NULL || g_str_has_prefix (name, "train"))
        {
          g_free (found);
          found = g_build_filename (folder, name, NULL);
        }
    }
  return found;
}

/**
 * trb_idx_set_load:
 * @path: an IDX images file (`*-images-idx3-ubyte[.gz]`) or a folder holding one
 * @part: which share to keep, from 0
 * @n_parts: into how many disjoint shares the samples are dealt (sample i goes to i % n_parts)
 * @max_samples: keep at most this many (0: no limit beyond %TRB_IDX_MAX_SAMPLES)
 * @error: return location for an error
 *
 * Returns: (transfer full): the pixels and labels
 */
TrbIdxSet *
trb_idx_set_load (const char  *path,
                  guint        part,
                  guint        n_parts,
                  gsize        max_samples,
                  GError     **error)
{
  g_autofree char *images_path = NULL;
  g_autofree char *labels_path = NULL;
  g_autoptr(TrbIdxSet) set = g_new0 (TrbIdxSet, 1);
  g_autofree guint8 *row = NULL;
  gzFile images = NULL, labels = NULL;
  guint8 head[16];
  guint32 n, n_labels, rows, cols;
  gsize kept = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (n_parts > 0 && part < n_parts, NULL);

  if (max_samples == 0 || max_samples > TRB_IDX_MAX_SAMPLES)
    max_samples = TRB_IDX_MAX_SAMPLES;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    images_path = find_images_in_folder (path);
  else
    images_path = g_strdup (path);
  if (images_path == NULL)
    {
      fail (error, path, _("no IDX image file was found in this folder."));
      return NULL;
    }
  labels_path = trb_idx_find_labels (images_path);
  if (labels_path == NULL || !g_file_test (labels_path, G_FILE_TEST_IS_REGULAR))
    {
      fail (error, images_path, _("the labels file beside it is missing."));
      return NULL;
    }

  images = gzopen (images_path, "rb");
  labels = gzopen (labels_path, "rb");
  if (images == NULL || labels == NULL)
    {
      fail (error, images == NULL ? images_path : labels_path, _("it could not be opened."));
      goto out;
    }
  if (!read_exact (images, head, 16) || be32 (head) != 0x00000803)
    {
      fail (error, images_path, _("it is not an IDX image file."));
      goto out;
    }
  n = be32 (head + 4);
  rows = be32 (head + 8);
  cols = be32 (head + 12);
  if (!read_exact (labels, head, 8) || be32 (head) != 0x00000801)
    {
      fail (error, labels_path, _("it is not an IDX label file."));
      goto out;
    }
  n_labels = be32 (head + 4);
  if (n != n_labels || n == 0 || n > TRB_IDX_MAX_SAMPLES || rows == 0 || cols == 0 ||
      (guint64) rows * cols > TRB_IDX_MAX_FEATURES)
    {
      fail (error, images_path, _("its sizes are not those of a labelled image set."));
      goto out;
    }

  set->n_features = rows * cols;
  row = g_malloc (set->n_features);
  {
    gsize capacity = MIN (max_samples, (n + n_parts - 1) / n_parts);

    set->pixels = g_new (guint8, capacity * set->n_features);
    set->labels = g_new (gint32, capacity);
    for (guint32 i = 0; i < n && kept < capacity; i++)
      {
        guint8 label;

        if (!read_exact (images, row, set->n_features) || !read_exact (labels, &label, 1))
          {
            fail (error, images_path, _("it is truncated."));
            goto out;
          }
        if (i % n_parts != part)
          continue;
        if (label > 254)
          {
            fail (error, labels_path, _("it holds an impossible label."));
            goto out;
          }
        memcpy (set->pixels + kept * set->n_features, row, set->n_features);
        set->labels[kept] = label;
        kept++;
      }
  }
  set->n_samples = kept;

out:
  if (images != NULL)
    gzclose (images);
  if (labels != NULL)
    gzclose (labels);
  if (error != NULL && *error != NULL)
    return NULL;
  return g_steal_pointer (&set);
}

void
trb_idx_set_free (TrbIdxSet *self)
{
  if (self == NULL)
    return;
  g_free (self->pixels);
  g_free (self->labels);
  g_free (self);
}

/**
 * trb_idx_set_get_source:
 * @self: a set
 * @source: (out caller-allocates): the compute engine's view of it, valid while @self lives
 */
void
trb_idx_set_get_source (TrbIdxSet     *self,
                        TrbDataSource *source)
{
  source->n_samples = self->n_samples;
  source->feature_size = self->n_features;
  source->feature_type = TRB_FEATURE_U8;
  source->features = self->pixels;
  source->u8_scale = 1.0 / 255.0;
  source->labels = self->labels;
}

/* dataset-fixtures.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Generators for small dataset files used by the datasets tests.
 */

#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

static inline guint8
fixture_pixel (guint i,
               guint k)
{
  return (guint8)((i * 31 + k * 7) % 251);
}

static inline void
put_be32 (GByteArray *bytes,
          guint32     v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (bytes, b, 4);
}

static inline GBytes *
gzip_bytes (GBytes *raw)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP,
                                                                 6);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (memory,
                                                                G_CONVERTER (compressor));
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all (out, g_bytes_get_data (raw, NULL),
                                            g_bytes_get_size (raw), NULL, NULL, &error));
  g_assert_true (g_output_stream_close (out, NULL, &error));
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static inline void
write_file (const char *path,
            GBytes     *bytes,
            gboolean    gz)
{
  g_autoptr(GBytes) data = gz ? gzip_bytes (bytes) : g_bytes_ref (bytes);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (data, NULL), g_bytes_get_size (data), &error);
  g_assert_no_error (error);
}

/* An images file: header declares @declared images of h×w, body holds @actual of them. */
static inline GBytes *
make_idx_images (guint declared,
                 guint actual,
                 guint h,
                 guint w)
{
  GByteArray *bytes = g_byte_array_new ();

  g_byte_array_append (bytes, (const guint8 *)"\0\0\x08\x03", 4);
  put_be32 (bytes, declared);
  put_be32 (bytes, h);
  put_be32 (bytes, w);
  for (guint i = 0; i < actual; i++)
    for (guint k = 0; k < h * w; k++)
      {
        guint8 v = fixture_pixel (i, k);
        g_byte_array_append (bytes, &v, 1);
      }

  return g_byte_array_free_to_bytes (bytes);
}

static inline GBytes *
make_idx_labels (guint declared,
                 guint actual,
                 guint classes)
{
  GByteArray *bytes = g_byte_array_new ();

  g_byte_array_append (bytes, (const guint8 *)"\0\0\x08\x01", 4);
  put_be32 (bytes, declared);
  for (guint i = 0; i < actual; i++)
    {
      guint8 v = i % classes;
      g_byte_array_append (bytes, &v, 1);
    }

  return g_byte_array_free_to_bytes (bytes);
}

/* Writes "<dir>/<prefix>-images-idx3-ubyte[.gz]" and its labels file; returns the images path. */
static inline char *
write_idx_pair (const char *dir,
                const char *prefix,
                gboolean    gz,
                guint       n,
                guint       h,
                guint       w,
                guint       classes)
{
  g_autofree char *images_name = g_strdup_printf ("%s-images-idx3-ubyte%s", prefix,
                                                  gz ? ".gz" : "");
  g_autofree char *labels_name = g_strdup_printf ("%s-labels-idx1-ubyte%s", prefix,
                                                  gz ? ".gz" : "");
  char *images = g_build_filename (dir, images_name, NULL);
  g_autofree char *labels = g_build_filename (dir, labels_name, NULL);
  g_autoptr(GBytes) image_bytes = make_idx_images (n, n, h, w);
  g_autoptr(GBytes) label_bytes = make_idx_labels (n, n, classes);

  g_mkdir_with_parents (dir, 0700);
  write_file (images, image_bytes, gz);
  write_file (labels, label_bytes, gz);
  return images;
}

static inline char *
test_dir (const char *name)
{
  char *dir = g_build_filename (g_get_user_cache_dir (), name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return dir;
}

static inline GBytes *
test_salt (guint8 seed)
{
  guint8 salt[32];

  for (guint i = 0; i < sizeof salt; i++)
    salt[i] = seed + i;
  return g_bytes_new (salt, sizeof salt);
}

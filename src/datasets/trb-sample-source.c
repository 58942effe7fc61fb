/* trb-sample-source.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The interface every dataset reader implements, the format sniffing that picks a reader for a
 * path, and the helpers the readers share (opening files safely, noticing changed files).
 */

#define G_LOG_DOMAIN "trb-datasets"

#include "config.h"

#include "trb-sample-source.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trb-csv-reader.h"
#include "trb-datasets-private.h"
#include "trb-idx-reader.h"
#include "trb-image-folder-reader.h"

G_DEFINE_QUARK (trb-dataset-error-quark, trb_dataset_error)

G_DEFINE_INTERFACE (TrbSampleSource, trb_sample_source, G_TYPE_OBJECT)

static void
trb_sample_source_default_init (TrbSampleSourceInterface *iface)
{
}

const TrbSampleShape *
trb_sample_source_get_shape (TrbSampleSource *self)
{
  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (self), NULL);

  return TRB_SAMPLE_SOURCE_GET_IFACE (self)->get_shape (self);
}

/**
 * trb_sample_source_get_n_samples:
 *
 * Returns: the number of samples when the format declares it (IDX, image folders), or -1 when
 *   only reading to the end can tell (CSV)
 */
gint64
trb_sample_source_get_n_samples (TrbSampleSource *self)
{
  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (self), -1);

  return TRB_SAMPLE_SOURCE_GET_IFACE (self)->get_n_samples (self);
}

/**
 * trb_sample_source_read:
 * @batch: a batch made for this source's shape
 *
 * Fills @batch with up to @batch->capacity samples. At the end of the data it succeeds with
 * @batch->n set to 0. On error @batch->n is 0 and @error says in plain words what is wrong.
 *
 * Returns: %FALSE on error
 */
gboolean
trb_sample_source_read (TrbSampleSource  *self,
                        TrbSampleBatch   *batch,
                        GCancellable     *cancellable,
                        GError          **error)
{
  const TrbSampleShape *shape;

  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (self), FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  shape = trb_sample_source_get_shape (self);
  g_return_val_if_fail (batch->type == shape->type, FALSE);
  g_return_val_if_fail (batch->sample_len == trb_sample_shape_get_len (shape), FALSE);

  batch->n = 0;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if (!TRB_SAMPLE_SOURCE_GET_IFACE (self)->read (self, batch, cancellable, error))
    {
      batch->n = 0;
      return FALSE;
    }

  return TRUE;
}

gboolean
trb_sample_source_rewind (TrbSampleSource  *self,
                          GError          **error)
{
  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (self), FALSE);

  return TRB_SAMPLE_SOURCE_GET_IFACE (self)->rewind (self, error);
}

guint64
trb_sample_source_get_skipped (TrbSampleSource *self)
{
  TrbSampleSourceInterface *iface;

  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (self), 0);

  iface = TRB_SAMPLE_SOURCE_GET_IFACE (self);
  return iface->get_skipped ? iface->get_skipped (self) : 0;
}

/**
 * trb_sample_source_get_problems:
 *
 * Returns: (transfer none) (element-type utf8) (nullable): notes on the samples left out so
 *   far, in plain words, at most %TRB_DATASET_MAX_PROBLEMS
 */
GPtrArray *
trb_sample_source_get_problems (TrbSampleSource *self)
{
  TrbSampleSourceInterface *iface;

  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (self), NULL);

  iface = TRB_SAMPLE_SOURCE_GET_IFACE (self);
  return iface->get_problems ? iface->get_problems (self) : NULL;
}

const char * const *
trb_sample_source_get_class_names (TrbSampleSource *self)
{
  TrbSampleSourceInterface *iface;

  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (self), NULL);

  iface = TRB_SAMPLE_SOURCE_GET_IFACE (self);
  return iface->get_class_names ? iface->get_class_names (self) : NULL;
}

gsize
trb_sample_shape_get_len (const TrbSampleShape *shape)
{
  g_return_val_if_fail (shape != NULL, 0);

  return (gsize)shape->channels * shape->height * shape->width;
}

TrbSampleBatch *
trb_sample_batch_new_for_shape (const TrbSampleShape *shape,
                                guint                 capacity)
{
  TrbSampleBatch *batch;
  gsize len;

  g_return_val_if_fail (shape != NULL, NULL);
  g_return_val_if_fail (capacity > 0, NULL);

  len = trb_sample_shape_get_len (shape);
  g_return_val_if_fail (len > 0 && len <= TRB_DATASET_MAX_SAMPLE_VALUES, NULL);

  batch = g_new0 (TrbSampleBatch, 1);
  batch->type = shape->type;
  batch->sample_len = len;
  batch->capacity = capacity;
  if (shape->type == TRB_SAMPLE_TYPE_U8)
    batch->u8 = g_malloc_n ((gsize)capacity, len);
  else
    batch->f32 = g_malloc_n ((gsize)capacity * len, sizeof (float));
  batch->labels = g_new0 (int, capacity);

  return batch;
}

/**
 * trb_sample_batch_new:
 * @capacity: samples per batch
 *
 * Returns: (transfer full): an empty batch for the samples of @source
 */
TrbSampleBatch *
trb_sample_batch_new (TrbSampleSource *source,
                      guint            capacity)
{
  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (source), NULL);

  return trb_sample_batch_new_for_shape (trb_sample_source_get_shape (source), capacity);
}

void
trb_sample_batch_free (TrbSampleBatch *batch)
{
  if (batch == NULL)
    return;

  g_free (batch->u8);
  g_free (batch->f32);
  g_free (batch->labels);
  g_free (batch);
}

const char *
trb_dataset_format_to_string (TrbDatasetFormat format)
{
  switch (format)
    {
    case TRB_DATASET_FORMAT_IDX:
      return "idx";
    case TRB_DATASET_FORMAT_CSV:
      return "csv";
    case TRB_DATASET_FORMAT_IMAGE_FOLDER:
      return "image-folder";
    case TRB_DATASET_FORMAT_UNKNOWN:
    default:
      return "unknown";
    }
}

TrbDatasetFormat
trb_dataset_format_from_string (const char *str)
{
  if (g_strcmp0 (str, "idx") == 0)
    return TRB_DATASET_FORMAT_IDX;
  if (g_strcmp0 (str, "csv") == 0)
    return TRB_DATASET_FORMAT_CSV;
  if (g_strcmp0 (str, "image-folder") == 0)
    return TRB_DATASET_FORMAT_IMAGE_FOLDER;
  return TRB_DATASET_FORMAT_UNKNOWN;
}

/* Private helpers. */

char *
trb_dataset_display_name (const char *path)
{
  return g_filename_display_basename (path);
}

void
trb_dataset_add_problem (GPtrArray  *problems,
                         const char *format,
                         ...)
{
  va_list args;

  if (problems == NULL || problems->len >= TRB_DATASET_MAX_PROBLEMS)
    return;

  va_start (args, format);
  g_ptr_array_add (problems, g_strdup_vprintf (format, args));
  va_end (args);
}

void
trb_dataset_set_open_error (GError     **error,
                            const char  *path,
                            int          errsv)
{
  g_autofree char *name = trb_dataset_display_name (path);

  switch (errsv)
    {
    case ENOENT:
    case ENOTDIR:
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND,
                   _("“%s” does not exist. It may have been moved or deleted."), name);
      break;
    case EACCES:
    case EPERM:
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE,
                   _("“%s” cannot be read: you do not have permission to open it."), name);
      break;
    case ELOOP:
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE,
                   _("“%s” cannot be read: it is a link that leads back to itself."), name);
      break;
    default:
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE,
                   /* Translators: the file's name, then the reason. */
                   _("“%s” cannot be read: %s."), name, g_strerror (errsv));
      break;
    }
}

static void
fill_stamp (const struct stat *st,
            TrbFileStamp      *stamp)
{
  stamp->dev = st->st_dev;
  stamp->ino = st->st_ino;
  stamp->size = st->st_size;
  stamp->mtime_ns = (gint64)st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) +
                    st->st_mtim.tv_nsec;
}

gboolean
trb_file_stamp_take (const char    *path,
                     TrbFileStamp  *stamp,
                     GError       **error)
{
  struct stat st;

  if (stat (path, &st) != 0)
    {
      trb_dataset_set_open_error (error, path, errno);
      return FALSE;
    }

  fill_stamp (&st, stamp);
  return TRUE;
}

gboolean
trb_file_stamp_equal (const TrbFileStamp *a,
                      const TrbFileStamp *b)
{
  return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
         a->mtime_ns == b->mtime_ns;
}

/* Fails with TRB_DATASET_ERROR_CHANGED when @path is no longer the file @stamp describes. */
gboolean
trb_file_stamp_verify (const char          *path,
                       const TrbFileStamp  *stamp,
                       GError             **error)
{
  TrbFileStamp now;
  g_autofree char *name = NULL;

  if (path == NULL)
    return TRUE;

  if (trb_file_stamp_take (path, &now, NULL) && trb_file_stamp_equal (&now, stamp))
    return TRUE;

  name = trb_dataset_display_name (path);
  g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_CHANGED,
               _("“%s” changed while it was being read. If a program is still writing it, "
                 "wait until it has finished, then check the dataset again."), name);
  return FALSE;
}

/*
 * Opens a regular file for reading, records its stamp and transparently decompresses gzip.
 * FIFOs and devices are refused up front: reading them could block forever.
 */
GInputStream *
trb_dataset_open_file (const char    *path,
                       TrbFileStamp  *stamp,
                       gboolean      *is_gzip,
                       GError       **error)
{
  g_autoptr(GInputStream) base = NULL;
  g_autofree char *name = NULL;
  struct stat st;
  guint8 magic[2] = { 0, 0 };
  int fd;
  int flags;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0)
    {
      trb_dataset_set_open_error (error, path, errno);
      return NULL;
    }

  if (fstat (fd, &st) != 0)
    {
      int errsv = errno;
      close (fd);
      trb_dataset_set_open_error (error, path, errsv);
      return NULL;
    }

  name = trb_dataset_display_name (path);
  if (S_ISDIR (st.st_mode))
    {
      close (fd);
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” is a folder, not a file."), name);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” is not an ordinary file and cannot be used as a dataset."), name);
      return NULL;
    }

  /* Regular files never block; clear O_NONBLOCK so reads behave normally. */
  flags = fcntl (fd, F_GETFL);
  if (flags >= 0)
    fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);

  if (stamp != NULL)
    fill_stamp (&st, stamp);

  if (pread (fd, magic, 2, 0) < 0)
    {
      int errsv = errno;
      close (fd);
      trb_dataset_set_open_error (error, path, errsv);
      return NULL;
    }

  base = g_unix_input_stream_new (fd, TRUE);

  if (magic[0] == 0x1f && magic[1] == 0x8b)
    {
      g_autoptr(GZlibDecompressor) decompressor =
        g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);

      if (is_gzip != NULL)
        *is_gzip = TRUE;
      return g_converter_input_stream_new (base, G_CONVERTER (decompressor));
    }

  if (is_gzip != NULL)
    *is_gzip = FALSE;
  return g_steal_pointer (&base);
}

/*
 * Reads exactly @count bytes unless the data ends first (then *bytes_read < @count and the
 * call still succeeds). Errors from the stream, corrupt gzip data above all, are reworded.
 */
gboolean
trb_dataset_read_fully (GInputStream  *stream,
                        void          *buffer,
                        gsize          count,
                        gsize         *bytes_read,
                        const char    *name,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all (stream, buffer, count, &got, cancellable, &local_error))
    {
      *bytes_read = got;
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* zlib's words ("Need more input") mean nothing to a person: say what they mean. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
        g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                     _("“%s” is damaged: its compressed data is corrupt. Download it again, "
                       "then add it."), name);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
        g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TRUNCATED,
                     _("“%s” ends early — it may not have finished downloading. Download it "
                       "again, then add it."), name);
      else
        {
          g_debug ("Reading “%s” failed: %s", name, local_error->message);
          g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE,
                       _("“%s” could not be read. Check that the disk it is on is still "
                         "connected, then try again."), name);
        }
      return FALSE;
    }

  *bytes_read = got;
  return TRUE;
}

/* Format detection. */

static gboolean
has_suffix_ci (const char *name,
               const char *suffix)
{
  gsize n = strlen (name);
  gsize s = strlen (suffix);

  return n >= s && g_ascii_strcasecmp (name + n - s, suffix) == 0;
}

/**
 * trb_sample_source_detect_format:
 *
 * Looks at @path (a folder, or the first bytes of a file, gzip or not) to tell its format.
 *
 * Returns: the format, or %TRB_DATASET_FORMAT_UNKNOWN with @error set
 */
TrbDatasetFormat
trb_sample_source_detect_format (const char  *path,
                                 GError     **error)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autofree char *name = NULL;
  guint8 head[4];
  gsize got = 0;
  struct stat st;

  g_return_val_if_fail (path != NULL, TRB_DATASET_FORMAT_UNKNOWN);

  if (stat (path, &st) != 0)
    {
      trb_dataset_set_open_error (error, path, errno);
      return TRB_DATASET_FORMAT_UNKNOWN;
    }
  if (S_ISDIR (st.st_mode))
    return TRB_DATASET_FORMAT_IMAGE_FOLDER;

  name = trb_dataset_display_name (path);
  stream = trb_dataset_open_file (path, NULL, NULL, error);
  if (stream == NULL)
    return TRB_DATASET_FORMAT_UNKNOWN;
  if (!trb_dataset_read_fully (stream, head, sizeof head, &got, name, NULL, error))
    return TRB_DATASET_FORMAT_UNKNOWN;
  if (got == 0)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY,
                   _("“%s” is empty: there is nothing in it to learn from. Pick another file."),
                   name);
      return TRB_DATASET_FORMAT_UNKNOWN;
    }

  /* IDX: two zero bytes, a type code, then 1 to 4 dimensions. */
  if (got == 4 && head[0] == 0 && head[1] == 0 && head[2] >= 0x08 && head[2] <= 0x0e &&
      head[3] >= 1 && head[3] <= 4)
    return TRB_DATASET_FORMAT_IDX;

  if (has_suffix_ci (path, ".csv") || has_suffix_ci (path, ".tsv") ||
      has_suffix_ci (path, ".txt") || has_suffix_ci (path, ".csv.gz") ||
      has_suffix_ci (path, ".tsv.gz"))
    return TRB_DATASET_FORMAT_CSV;

  g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
               _("“%s” is not a dataset Tributary can read. Use an IDX file (like MNIST), a CSV "
                 "table, or a folder with one sub-folder of pictures per class."), name);
  return TRB_DATASET_FORMAT_UNKNOWN;
}

/**
 * trb_sample_source_open:
 * @path: an IDX images (or labels) file, a CSV file, or a folder of class folders
 * @options: (nullable): how to read it
 *
 * Returns: (transfer full): a reader positioned at the first sample, or %NULL with @error set
 */
TrbSampleSource *
trb_sample_source_open (const char               *path,
                        const TrbDatasetOptions  *options,
                        GError                  **error)
{
  static const TrbDatasetOptions defaults = { 0 };

  g_return_val_if_fail (path != NULL, NULL);

  if (options == NULL)
    options = &defaults;

  switch (trb_sample_source_detect_format (path, error))
    {
    case TRB_DATASET_FORMAT_IDX:
      return TRB_SAMPLE_SOURCE (trb_idx_reader_new (path, error));
    case TRB_DATASET_FORMAT_CSV:
      return TRB_SAMPLE_SOURCE (trb_csv_reader_new (path, options, error));
    case TRB_DATASET_FORMAT_IMAGE_FOLDER:
      return TRB_SAMPLE_SOURCE (trb_image_folder_reader_new (path, options, error));
    case TRB_DATASET_FORMAT_UNKNOWN:
    default:
      return NULL;
    }
}

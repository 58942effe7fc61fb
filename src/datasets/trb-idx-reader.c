/* trb-idx-reader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads IDX files, the format of MNIST and its relatives: an images file and a labels file,
 * each with a big-endian header (two zero bytes, a type code, the number of dimensions, then
 * each dimension) followed by the values. Either file may be gzip-compressed. Samples are
 * streamed batch by batch; nothing proportional to the dataset's size is ever allocated, and
 * every declared size is checked against limits before it is trusted.
 */

#define G_LOG_DOMAIN "trb-idx-reader"

#include "config.h"

#include "trb-idx-reader.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-datasets-private.h"

#define IDX_TYPE_U8 0x08

struct _TrbIdxReader
{
  GObject         parent_instance;

  char           *images_path;
  char           *labels_path;
  char           *images_name;
  char           *labels_name;
  GInputStream   *images;
  GInputStream   *labels;
  TrbFileStamp    images_stamp;
  TrbFileStamp    labels_stamp;

  TrbSampleShape  shape;
  guint64         n_samples;
  guint64         position;
  gboolean        finished;
};

static void sample_source_iface_init (TrbSampleSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbIdxReader, trb_idx_reader, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_SAMPLE_SOURCE,
                                                      sample_source_iface_init))

typedef struct
{
  guint   ndims;
  guint32 dims[4];
  gsize   header_len;
} IdxHeader;

static void
trb_idx_reader_finalize (GObject *object)
{
  TrbIdxReader *self = (TrbIdxReader *)object;

  g_clear_object (&self->images);
  g_clear_object (&self->labels);
  g_clear_pointer (&self->images_path, g_free);
  g_clear_pointer (&self->labels_path, g_free);
  g_clear_pointer (&self->images_name, g_free);
  g_clear_pointer (&self->labels_name, g_free);

  G_OBJECT_CLASS (trb_idx_reader_parent_class)->finalize (object);
}

static void
trb_idx_reader_class_init (TrbIdxReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_idx_reader_finalize;
}

static void
trb_idx_reader_init (TrbIdxReader *self)
{
}

static gboolean
read_header (GInputStream  *stream,
             const char    *name,
             IdxHeader     *header,
             GError       **error)
{
  guint8 magic[4];
  guint8 dims[16];
  gsize got = 0;

  if (!trb_dataset_read_fully (stream, magic, 4, &got, name, NULL, error))
    return FALSE;
  if (got < 4)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TRUNCATED,
                   _("“%s” is too short to be an IDX file."), name);
      return FALSE;
    }
  if (magic[0] != 0 || magic[1] != 0 || magic[3] < 1 || magic[3] > 4)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” is not an IDX file: its first bytes are not what IDX files start "
                     "with."), name);
      return FALSE;
    }
  if (magic[2] != IDX_TYPE_U8)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” stores its values as a kind of number Tributary cannot use yet: "
                     "only files of bytes (values 0 to 255) are supported."), name);
      return FALSE;
    }

  header->ndims = magic[3];
  if (!trb_dataset_read_fully (stream, dims, 4 * header->ndims, &got, name, NULL, error))
    return FALSE;
  if (got < 4 * header->ndims)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TRUNCATED,
                   _("“%s” ends in the middle of its header."), name);
      return FALSE;
    }

  for (guint i = 0; i < header->ndims; i++)
    header->dims[i] = ((guint32)dims[4 * i] << 24) | ((guint32)dims[4 * i + 1] << 16) |
                      ((guint32)dims[4 * i + 2] << 8) | (guint32)dims[4 * i + 3];
  header->header_len = 4 + 4 * header->ndims;

  if (header->dims[0] > TRB_DATASET_MAX_SAMPLES)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the file's name, the samples it declares, which
                                 * choose the plural form, then the limit. */
                                "“%s” declares %u sample; Tributary accepts at most %u in one "
                                "dataset.",
                                "“%s” declares %u samples; Tributary accepts at most %u in one "
                                "dataset.", header->dims[0]),
                   name, header->dims[0], TRB_DATASET_MAX_SAMPLES);
      return FALSE;
    }

  return TRUE;
}

static gboolean
shape_from_header (const IdxHeader  *header,
                   const char       *name,
                   TrbSampleShape   *shape,
                   GError          **error)
{
  guint64 len = 1;

  shape->type = TRB_SAMPLE_TYPE_U8;
  shape->channels = 1;
  shape->height = 1;
  shape->width = 1;

  switch (header->ndims)
    {
    case 2:
      shape->width = header->dims[1];
      break;
    case 3:
      shape->height = header->dims[1];
      shape->width = header->dims[2];
      break;
    case 4:
      shape->height = header->dims[1];
      shape->width = header->dims[2];
      shape->channels = header->dims[3];
      break;
    default:
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” holds labels, not images."), name);
      return FALSE;
    }

  for (guint i = 1; i < header->ndims; i++)
    {
      if (header->dims[i] == 0)
        {
          g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                       _("“%s” declares images with no pixels."), name);
          return FALSE;
        }
      len *= header->dims[i];
    }

  if (shape->channels > 4)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   /* Translators: the file's name, then the number of colour channels it declares.
                    * */
                   _("“%s” declares %u colour channels per pixel; images have at most 4."),
                   name, shape->channels);
      return FALSE;
    }
  if ((header->ndims >= 3 &&
       (shape->height > TRB_DATASET_MAX_SIDE || shape->width > TRB_DATASET_MAX_SIDE)) ||
      len > TRB_DATASET_MAX_SAMPLE_VALUES)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the file's name, the values per sample it declares,
                                 * which choose the plural form, then the limit. */
                                "“%s” declares samples far larger than Tributary accepts (%llu "
                                "value each; the limit is %u).",
                                "“%s” declares samples far larger than Tributary accepts (%llu "
                                "values each; the limit is %u).", (gulong) MIN (len, G_MAXULONG)),
                   name, (unsigned long long) len, TRB_DATASET_MAX_SAMPLE_VALUES);
      return FALSE;
    }

  return TRUE;
}

/* For uncompressed files the header's promise can be checked against the size on disk. */
static gboolean
check_raw_size (const char          *name,
                const TrbFileStamp  *stamp,
                const IdxHeader     *header,
                guint64              sample_len,
                GError             **error)
{
  guint64 expected = header->header_len + (guint64)header->dims[0] * sample_len;

  if (stamp->size < expected)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TRUNCATED,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the file's name, the samples it promises, those
                                 * it holds. */
                                "“%s” is incomplete: its header promises %u sample, but the "
                                "file holds only %llu.",
                                "“%s” is incomplete: its header promises %u samples, but the "
                                "file holds only %llu.", header->dims[0]),
                   name, header->dims[0],
                   (unsigned long long) ((stamp->size - header->header_len) / sample_len));
      return FALSE;
    }
  if (stamp->size > expected)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” holds more data than its header describes; it may be damaged."),
                   name);
      return FALSE;
    }

  return TRUE;
}

static gboolean
setup (TrbIdxReader  *self,
       gboolean       images_gzip,
       gboolean       labels_gzip,
       GError       **error)
{
  IdxHeader images_header = { 0 };
  IdxHeader labels_header = { 0 };

  if (!read_header (self->images, self->images_name, &images_header, error) ||
      !read_header (self->labels, self->labels_name, &labels_header, error))
    return FALSE;

  if (!shape_from_header (&images_header, self->images_name, &self->shape, error))
    return FALSE;

  if (labels_header.ndims != 1)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” should hold one label per image, but it holds tables of values."),
                   self->labels_name);
      return FALSE;
    }

  if (images_header.dims[0] != labels_header.dims[0])
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_MISMATCH,
                   /* Translators: the pictures file's name and how many pictures it holds,
                    * then the labels file's name and how many labels it holds. The counts
                    * stand in brackets, away from the nouns, so no plural form is needed. */
                   _("The number of pictures in “%s” (%u) is not the number of labels in "
                     "“%s” (%u). The two files must belong together."),
                   self->images_name, images_header.dims[0],
                   self->labels_name, labels_header.dims[0]);
      return FALSE;
    }

  if (images_header.dims[0] == 0)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY,
                   _("“%s” holds no images."), self->images_name);
      return FALSE;
    }

  if (self->images_path != NULL && !images_gzip &&
      !check_raw_size (self->images_name, &self->images_stamp, &images_header,
                       trb_sample_shape_get_len (&self->shape), error))
    return FALSE;
  if (self->labels_path != NULL && !labels_gzip &&
      !check_raw_size (self->labels_name, &self->labels_stamp, &labels_header, 1, error))
    return FALSE;

  self->n_samples = images_header.dims[0];
  self->position = 0;
  self->finished = FALSE;
  return TRUE;
}

static gboolean
open_files (TrbIdxReader  *self,
            GError       **error)
{
  gboolean images_gzip = FALSE;
  gboolean labels_gzip = FALSE;

  g_clear_object (&self->images);
  g_clear_object (&self->labels);

  self->images = trb_dataset_open_file (self->images_path, &self->images_stamp, &images_gzip,
                                        error);
  if (self->images == NULL)
    return FALSE;
  self->labels = trb_dataset_open_file (self->labels_path, &self->labels_stamp, &labels_gzip,
                                        error);
  if (self->labels == NULL)
    return FALSE;

  return setup (self, images_gzip, labels_gzip, error);
}

/* Swaps "images" for "labels" (in the case it was written) and "idx2/3/4" for "idx1". */
static char *
swap_basename (const char *base,
               gboolean    to_labels)
{
  static const char * const image_words[] = { "images", "Images", "IMAGES" };
  static const char * const label_words[] = { "labels", "Labels", "LABELS" };
  g_autoptr(GString) out = g_string_new (base);
  gboolean swapped = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (image_words) && !swapped; i++)
    {
      const char *from = to_labels ? image_words[i] : label_words[i];
      const char *to = to_labels ? label_words[i] : image_words[i];
      const char *found = g_strrstr (out->str, from);

      if (found != NULL)
        {
          gsize pos = found - out->str;
          g_string_erase (out, pos, strlen (from));
          g_string_insert (out, pos, to);
          swapped = TRUE;
        }
    }

  if (!swapped)
    return NULL;

  if (to_labels)
    {
      g_string_replace (out, "idx2", "idx1", 1);
      g_string_replace (out, "idx3", "idx1", 1);
      g_string_replace (out, "idx4", "idx1", 1);
    }
  else
    {
      /* The images file may be idx3 (grey) or idx4 (colour); prefer idx3. */
      g_string_replace (out, "idx1", "idx3", 1);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
find_partner (const char *path,
              gboolean    to_labels,
              char      **looked_for)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *partner = swap_basename (base, to_labels);
  g_autofree char *candidate = NULL;

  if (partner == NULL)
    return NULL;

  candidate = g_build_filename (dir, partner, NULL);
  if (looked_for != NULL)
    *looked_for = g_strdup (partner);
  if (g_file_test (candidate, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&candidate);

  if (!to_labels)
    {
      /* Colour images live in idx4 files. */
      g_autoptr(GString) idx4 = g_string_new (partner);
      g_autofree char *candidate4 = NULL;

      g_string_replace (idx4, "idx3", "idx4", 1);
      candidate4 = g_build_filename (dir, idx4->str, NULL);
      if (g_file_test (candidate4, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&candidate4);
    }

  return NULL;
}

/**
 * trb_idx_find_pair:
 * @path: either file of an IDX pair
 * @images_path: (out): the images file
 * @labels_path: (out): the labels file beside it
 *
 * Finds the other file of a pair by the usual naming: `train-images-idx3-ubyte.gz` goes with
 * `train-labels-idx1-ubyte.gz` in the same folder.
 *
 * Returns: %TRUE when both files were found
 */
gboolean
trb_idx_find_pair (const char  *path,
                   char       **images_path,
                   char       **labels_path,
                   GError     **error)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autofree char *name = NULL;
  g_autofree char *partner = NULL;
  g_autofree char *looked_for = NULL;
  IdxHeader header = { 0 };
  gboolean is_labels;

  g_return_val_if_fail (path != NULL, FALSE);

  name = trb_dataset_display_name (path);
  stream = trb_dataset_open_file (path, NULL, NULL, error);
  if (stream == NULL || !read_header (stream, name, &header, error))
    return FALSE;

  is_labels = header.ndims == 1;
  partner = find_partner (path, !is_labels, &looked_for);
  if (partner == NULL)
    {
      if (is_labels && looked_for != NULL)
        g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND,
                     /* Translators: the labels file's name, then the name of the pictures file it
                      * expects. */
                     _("“%s” holds only labels, and its pictures (“%s”) are not beside it."),
                     name, looked_for);
      else if (is_labels)
        g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND,
                     _("“%s” holds only labels. Choose the file with the pictures instead."),
                     name);
      else if (looked_for != NULL)
        g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND,
                     /* Translators: the pictures file's name, then the name of the labels file it
                      * expects. */
                     _("The labels of “%s” are missing: put “%s” in the same folder."),
                     name, looked_for);
      else
        g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND,
                     _("The labels of “%s” cannot be found: the labels file should be in the "
                       "same folder, named like it with “labels” in place of “images”."),
                     name);
      return FALSE;
    }

  *images_path = is_labels ? g_steal_pointer (&partner) : g_strdup (path);
  *labels_path = is_labels ? g_strdup (path) : g_steal_pointer (&partner);
  return TRUE;
}

/**
 * trb_idx_reader_new:
 * @path: the images file or the labels file of an IDX pair, gzip-compressed or not
 *
 * Returns: (transfer full): the reader, or %NULL with @error set
 */
TrbIdxReader *
trb_idx_reader_new (const char  *path,
                    GError     **error)
{
  g_autoptr(TrbIdxReader) self = NULL;
  char *images_path = NULL;
  char *labels_path = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!trb_idx_find_pair (path, &images_path, &labels_path, error))
    return NULL;

  self = g_object_new (TRB_TYPE_IDX_READER, NULL);
  self->images_path = images_path;
  self->labels_path = labels_path;
  self->images_name = trb_dataset_display_name (images_path);
  self->labels_name = trb_dataset_display_name (labels_path);

  if (!open_files (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * trb_idx_reader_new_for_streams:
 *
 * Reads an IDX pair from two uncompressed streams (for tests and fuzzing). Such a reader
 * cannot rewind.
 *
 * Returns: (transfer full): the reader, or %NULL with @error set
 */
TrbIdxReader *
trb_idx_reader_new_for_streams (GInputStream  *images,
                                GInputStream  *labels,
                                GError       **error)
{
  g_autoptr(TrbIdxReader) self = NULL;

  g_return_val_if_fail (G_IS_INPUT_STREAM (images), NULL);
  g_return_val_if_fail (G_IS_INPUT_STREAM (labels), NULL);

  self = g_object_new (TRB_TYPE_IDX_READER, NULL);
  self->images = g_object_ref (images);
  self->labels = g_object_ref (labels);
  self->images_name = g_strdup (_("images"));
  self->labels_name = g_strdup (_("labels"));

  if (!setup (self, TRUE, TRUE, error))
    return NULL;

  return g_steal_pointer (&self);
}

static const TrbSampleShape *
trb_idx_reader_get_shape (TrbSampleSource *source)
{
  return &TRB_IDX_READER (source)->shape;
}

static gint64
trb_idx_reader_get_n_samples (TrbSampleSource *source)
{
  return TRB_IDX_READER (source)->n_samples;
}

static gboolean
verify_unchanged (TrbIdxReader  *self,
                  GError       **error)
{
  return trb_file_stamp_verify (self->images_path, &self->images_stamp, error) &&
         trb_file_stamp_verify (self->labels_path, &self->labels_stamp, error);
}

/* A short read is either a file that changed under us or one that is truncated. */
static gboolean
fail_short (TrbIdxReader  *self,
            const char    *name,
            guint64        sample,
            GError       **error)
{
  if (!verify_unchanged (self, error))
    return FALSE;

  g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TRUNCATED,
               /* Translators: the file's name, the missing sample's position, the total. */
               _("“%s” ends early: sample %llu of %llu is missing. The file may be "
                 "incomplete."),
               name, (unsigned long long) sample + 1, (unsigned long long) self->n_samples);
  return FALSE;
}

static gboolean
check_trailing (TrbIdxReader  *self,
                GInputStream  *stream,
                const char    *name,
                GCancellable  *cancellable,
                GError       **error)
{
  guint8 extra;
  gsize got = 0;

  if (!trb_dataset_read_fully (stream, &extra, 1, &got, name, cancellable, error))
    return FALSE;
  if (got > 0)
    {
      if (!verify_unchanged (self, error))
        return FALSE;
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” holds more data than its header describes; it may be damaged."),
                   name);
      return FALSE;
    }

  return TRUE;
}

static gboolean
trb_idx_reader_read (TrbSampleSource  *source,
                     TrbSampleBatch   *batch,
                     GCancellable     *cancellable,
                     GError          **error)
{
  TrbIdxReader *self = TRB_IDX_READER (source);
  g_autofree guint8 *labels = NULL;
  gsize len = batch->sample_len;
  guint64 count;
  gsize got = 0;

  if (self->position >= self->n_samples)
    {
      if (!self->finished)
        {
          /* At the end, make sure nothing follows and nothing changed meanwhile. */
          if (!check_trailing (self, self->images, self->images_name, cancellable, error) ||
              !check_trailing (self, self->labels, self->labels_name, cancellable, error) ||
              !verify_unchanged (self, error))
            return FALSE;
          self->finished = TRUE;
        }
      batch->n = 0;
      return TRUE;
    }

  count = MIN ((guint64)batch->capacity, self->n_samples - self->position);

  if (!trb_dataset_read_fully (self->images, batch->u8, count * len, &got, self->images_name,
                               cancellable, error))
    return FALSE;
  if (got < count * len)
    return fail_short (self, self->images_name, self->position + got / len, error);

  labels = g_malloc (count);
  if (!trb_dataset_read_fully (self->labels, labels, count, &got, self->labels_name,
                               cancellable, error))
    return FALSE;
  if (got < count)
    return fail_short (self, self->labels_name, self->position + got, error);

  for (guint64 i = 0; i < count; i++)
    batch->labels[i] = labels[i];

  self->position += count;
  batch->n = count;
  return TRUE;
}

static gboolean
trb_idx_reader_rewind (TrbSampleSource  *source,
                       GError          **error)
{
  TrbIdxReader *self = TRB_IDX_READER (source);
  TrbSampleShape old = self->shape;
  guint64 old_n = self->n_samples;

  if (self->images_path == NULL)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE,
                   _("This data can only be read once."));
      return FALSE;
    }

  if (!open_files (self, error))
    return FALSE;

  if (old_n != self->n_samples || memcmp (&old, &self->shape, sizeof old) != 0)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_CHANGED,
                   _("“%s” changed since it was opened. Check the dataset again."),
                   self->images_name);
      return FALSE;
    }

  return TRUE;
}

static void
sample_source_iface_init (TrbSampleSourceInterface *iface)
{
  iface->get_shape = trb_idx_reader_get_shape;
  iface->get_n_samples = trb_idx_reader_get_n_samples;
  iface->read = trb_idx_reader_read;
  iface->rewind = trb_idx_reader_rewind;
}

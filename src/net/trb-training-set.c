/* trb-training-set.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The bridge between the datasets domain and the compute engine: it reads a share of any
 * dataset the datasets readers understand (IDX, CSV, image folders) through a TrbSampleSource
 * and keeps it in memory in the TrbDataSource form the trainer and the evaluator take.
 */

#define G_LOG_DOMAIN "trb-training-set"

#include "config.h"

#include "trb-training-set.h"

#include <glib/gi18n.h>
#include <string.h>

/* Samples read from the source at a time. */
#define BATCH_SIZE 256

struct _TrbTrainingSet
{
  GObject         parent_instance;

  TrbFeatureType  type;
  gsize           n_samples;
  gsize           n_features;
  GByteArray     *features;
  GArray         *labels;
};

G_DEFINE_FINAL_TYPE (TrbTrainingSet, trb_training_set, G_TYPE_OBJECT)

static void
trb_training_set_finalize (GObject *object)
{
  TrbTrainingSet *self = (TrbTrainingSet *)object;

  g_clear_pointer (&self->features, g_byte_array_unref);
  g_clear_pointer (&self->labels, g_array_unref);

  G_OBJECT_CLASS (trb_training_set_parent_class)->finalize (object);
}

static void
trb_training_set_class_init (TrbTrainingSetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_training_set_finalize;
}

static void
trb_training_set_init (TrbTrainingSet *self)
{
  self->features = g_byte_array_new ();
  self->labels = g_array_new (FALSE, FALSE, sizeof (gint32));
}

/* A folder that holds an IDX pair (as Debian's dataset packages install them) stands for its
 * images file, the training one if there are several. Any other folder is an image folder. */
static char *
find_idx_images_in_folder (const char *folder)
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

static gboolean
fail_too_large (GError **error)
{
  g_set_error_literal (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE,
                       _("This dataset is too large to train on at once. Use fewer samples."));
  return FALSE;
}

/**
 * trb_training_set_new_from_source:
 * @source: a dataset reader, positioned at its first sample
 * @part: which share to keep, from 0
 * @n_parts: into how many disjoint shares the samples are dealt (sample i goes to i % n_parts)
 * @max_samples: keep at most this many (0: no limit beyond %TRB_TRAINING_SET_MAX_SAMPLES)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Reads the samples of one share of @source into memory. Reading stops as soon as the share
 * is full, so a small share of a large dataset reads only the start of it.
 *
 * Returns: (transfer full): the samples, or %NULL with @error set
 */
TrbTrainingSet *
trb_training_set_new_from_source (TrbSampleSource  *source,
                                  guint             part,
                                  guint             n_parts,
                                  gsize             max_samples,
                                  GCancellable     *cancellable,
                                  GError          **error)
{
  g_autoptr(TrbTrainingSet) self = NULL;
  g_autoptr(TrbSampleBatch) batch = NULL;
  const TrbSampleShape *shape;
  gsize value_size;
  gsize sample_bytes;
  guint64 index = 0;

  g_return_val_if_fail (TRB_IS_SAMPLE_SOURCE (source), NULL);
  g_return_val_if_fail (n_parts > 0 && part < n_parts, NULL);

  if (max_samples == 0 || max_samples > TRB_TRAINING_SET_MAX_SAMPLES)
    max_samples = TRB_TRAINING_SET_MAX_SAMPLES;

  self = g_object_new (TRB_TYPE_TRAINING_SET, NULL);
  shape = trb_sample_source_get_shape (source);
  self->type = shape->type == TRB_SAMPLE_TYPE_U8 ? TRB_FEATURE_U8 : TRB_FEATURE_F32;
  self->n_features = trb_sample_shape_get_len (shape);
  value_size = self->type == TRB_FEATURE_U8 ? 1 : sizeof (float);
  sample_bytes = self->n_features * value_size;
  if (self->n_features == 0 || sample_bytes > TRB_TRAINING_SET_MAX_BYTES)
    {
      fail_too_large (error);
      return NULL;
    }

  batch = trb_sample_batch_new (source, BATCH_SIZE);
  while (self->n_samples < max_samples)
    {
      if (!trb_sample_source_read (source, batch, cancellable, error))
        return NULL;
      if (batch->n == 0)
        break;
      for (guint i = 0; i < batch->n && self->n_samples < max_samples; i++, index++)
        {
          const guint8 *values;
          gint32 label;

          if (index % n_parts != part)
            continue;
          if ((guint64) (self->n_samples + 1) * sample_bytes > TRB_TRAINING_SET_MAX_BYTES)
            {
              fail_too_large (error);
              return NULL;
            }
          values = self->type == TRB_FEATURE_U8
                     ? batch->u8 + (gsize) i * self->n_features
                     : (const guint8 *) (batch->f32 + (gsize) i * self->n_features);
          label = batch->labels[i];
          g_byte_array_append (self->features, values, sample_bytes);
          g_array_append_val (self->labels, label);
          self->n_samples++;
        }
    }

  if (self->n_samples == 0)
    {
      g_set_error_literal (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY,
                           _("This dataset has no samples to train on."));
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * trb_training_set_load:
 * @path: a dataset: an IDX file or a folder holding an IDX pair, a CSV file, or a folder with
 *   one sub-folder of pictures per class
 * @part: which share to keep, from 0
 * @n_parts: into how many disjoint shares the samples are dealt
 * @max_samples: keep at most this many (0: no limit beyond %TRB_TRAINING_SET_MAX_SAMPLES)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Opens @path with the datasets readers and reads one share of it, as
 * trb_training_set_new_from_source() does. This reads files: call it from a worker thread.
 *
 * Returns: (transfer full): the samples, or %NULL with @error set
 */
TrbTrainingSet *
trb_training_set_load (const char    *path,
                       guint          part,
                       guint          n_parts,
                       gsize          max_samples,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(TrbSampleSource) source = NULL;
  g_autofree char *idx_images = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (n_parts > 0 && part < n_parts, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    idx_images = find_idx_images_in_folder (path);
  source = trb_sample_source_open (idx_images != NULL ? idx_images : path, NULL, error);
  if (source == NULL)
    return NULL;
  return trb_training_set_new_from_source (source, part, n_parts, max_samples, cancellable,
                                           error);
}

/**
 * trb_training_set_get_n_samples:
 * @self: a training set
 *
 * Returns: how many samples it holds
 */
gsize
trb_training_set_get_n_samples (TrbTrainingSet *self)
{
  g_return_val_if_fail (TRB_IS_TRAINING_SET (self), 0);

  return self->n_samples;
}

/**
 * trb_training_set_get_source:
 * @self: a training set
 * @source: (out caller-allocates): the compute engine's view of it, valid while @self lives
 */
void
trb_training_set_get_source (TrbTrainingSet *self,
                             TrbDataSource  *source)
{
  g_return_if_fail (TRB_IS_TRAINING_SET (self));
  g_return_if_fail (source != NULL);

  source->n_samples = self->n_samples;
  source->feature_size = self->n_features;
  source->feature_type = self->type;
  source->features = self->features->data;
  source->u8_scale = 1.0 / 255.0;
  source->labels = (const gint32 *) (gpointer) self->labels->data;
}

/**
 * trb_training_set_compute_digest:
 * @self: a training set
 *
 * A SHA-256 over the labels, then the features, exactly as held in memory. Equal data gives
 * an equal digest; it is what a contribution's salted commitment is made from.
 *
 * Returns: (transfer full): the digest in lower-case hex
 */
char *
trb_training_set_compute_digest (TrbTrainingSet *self)
{
  g_autoptr(GChecksum) checksum = NULL;

  g_return_val_if_fail (TRB_IS_TRAINING_SET (self), NULL);

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guint8 *) self->labels->data,
                     self->n_samples * sizeof (gint32));
  g_checksum_update (checksum, self->features->data, self->features->len);
  return g_strdup (g_checksum_get_string (checksum));
}

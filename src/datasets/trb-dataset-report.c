/* trb-dataset-report.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One pass over a dataset gives everything the app shows about it and everything a network
 * may learn of it: sample count, class histogram, sizes and colours of pictures, value range,
 * a few thumbnails or the first rows of a table, and the salted fingerprint commitment.
 */

#define G_LOG_DOMAIN "trb-dataset-report"

#include "config.h"

#include "trb-dataset-report.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "trb-csv-reader.h"
#include "trb-datasets-private.h"
#include "trb-idx-reader.h"
#include "trb-image-folder-reader.h"
#include "trb-json.h"

#define THUMB_MAX_SIDE   96
#define BATCH_MAX_BYTES  (8u * 1024u * 1024u)

struct _TrbDatasetReport
{
  GObject           parent_instance;

  char             *path;
  TrbDatasetFormat  format;
  TrbSampleShape    shape;
  guint64           n_samples;
  guint64           n_skipped;
  GPtrArray        *problems;
  GArray           *histogram;
  char            **class_names;
  GHashTable       *size_counts;
  guint64           n_colour;
  guint64           n_grey;
  double            value_min;
  double            value_max;
  GPtrArray        *thumbnails;
  GArray           *thumbnail_labels;
  char            **csv_header;
  GPtrArray        *csv_rows;
  char             *fingerprint;
  char             *stamp;
};

G_DEFINE_FINAL_TYPE (TrbDatasetReport, trb_dataset_report, G_TYPE_OBJECT)

static void
trb_dataset_report_finalize (GObject *object)
{
  TrbDatasetReport *self = (TrbDatasetReport *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->histogram, g_array_unref);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->size_counts, g_hash_table_unref);
  g_clear_pointer (&self->thumbnails, g_ptr_array_unref);
  g_clear_pointer (&self->thumbnail_labels, g_array_unref);
  g_clear_pointer (&self->csv_header, g_strfreev);
  g_clear_pointer (&self->csv_rows, g_ptr_array_unref);
  g_clear_pointer (&self->fingerprint, g_free);
  g_clear_pointer (&self->stamp, g_free);

  G_OBJECT_CLASS (trb_dataset_report_parent_class)->finalize (object);
}

static void
trb_dataset_report_class_init (TrbDatasetReportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_dataset_report_finalize;
}

static void
trb_dataset_report_init (TrbDatasetReport *self)
{
  self->problems = g_ptr_array_new_with_free_func (g_free);
  self->histogram = g_array_new (FALSE, TRUE, sizeof (guint64));
  self->size_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->thumbnails = g_ptr_array_new_with_free_func (g_object_unref);
  self->thumbnail_labels = g_array_new (FALSE, FALSE, sizeof (int));
  self->csv_rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
}

/* Stamps: what the files of a dataset look like on disk, to notice later changes cheaply. */

static void
add_stamp_line (GChecksum  *checksum,
                const char *path)
{
  GStatBuf st;
  g_autofree char *line = NULL;

  if (g_stat (path, &st) != 0)
    line = g_strdup_printf ("%s missing\n", path);
  else
    line = g_strdup_printf ("%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT
                            " %" G_GINT64_FORMAT " %ld\n",
                            path, (guint64)st.st_dev, (guint64)st.st_ino, (gint64)st.st_size,
                            (gint64)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
  g_checksum_update (checksum, (const guchar *)line, -1);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

static void
add_folder_stamp (GChecksum  *checksum,
                  const char *dir,
                  guint       depth,
                  guint      *n_files)
{
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  add_stamp_line (checksum, dir);
  if (gdir == NULL)
    return;

  while ((name = g_dir_read_name (gdir)) != NULL && *n_files < TRB_DATASET_MAX_FILES)
    {
      if (name[0] != '.')
        {
          g_ptr_array_add (names, g_strdup (name));
          (*n_files)++;
        }
    }
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (dir, g_ptr_array_index (names, i), NULL);

      if (depth == 0 && g_file_test (child, G_FILE_TEST_IS_DIR))
        add_folder_stamp (checksum, child, depth + 1, n_files);
      else
        add_stamp_line (checksum, child);
    }
}

/**
 * trb_dataset_compute_stamp:
 * @path: what the user picked
 *
 * Summarises the size, modification time and identity of every file of the dataset (both
 * files of an IDX pair; every picture of an image folder) in one string. When it differs from
 * a stored one, the dataset changed and its fingerprint must be computed again.
 *
 * Returns: (transfer full): the stamp, or %NULL with @error set
 */
char *
trb_dataset_compute_stamp (const char  *path,
                           GError     **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  TrbDatasetFormat format;

  g_return_val_if_fail (path != NULL, NULL);

  format = trb_sample_source_detect_format (path, error);
  switch (format)
    {
    case TRB_DATASET_FORMAT_IDX:
      {
        g_autofree char *images = NULL;
        g_autofree char *labels = NULL;

        if (!trb_idx_find_pair (path, &images, &labels, error))
          return NULL;
        add_stamp_line (checksum, images);
        add_stamp_line (checksum, labels);
      }
      break;
    case TRB_DATASET_FORMAT_CSV:
      add_stamp_line (checksum, path);
      break;
    case TRB_DATASET_FORMAT_IMAGE_FOLDER:
      {
        guint n_files = 0;
        add_folder_stamp (checksum, path, 0, &n_files);
      }
      break;
    case TRB_DATASET_FORMAT_UNKNOWN:
    default:
      return NULL;
    }

  return g_strdup (g_checksum_get_string (checksum));
}

/* The scan itself. */

static GdkPixbuf *
make_thumbnail (const TrbSampleShape *shape,
                const guint8         *sample)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  guint8 *pixels;
  int stride;

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, shape->width, shape->height);
  if (pixbuf == NULL)
    return NULL;

  pixels = gdk_pixbuf_get_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  for (guint y = 0; y < shape->height; y++)
    for (guint x = 0; x < shape->width; x++)
      {
        const guint8 *s = sample + ((gsize)y * shape->width + x) * shape->channels;
        guint8 *d = pixels + (gsize)y * stride + (gsize)x * 3;

        if (shape->channels >= 3)
          memcpy (d, s, 3);
        else
          d[0] = d[1] = d[2] = s[0];
      }

  if (shape->width > THUMB_MAX_SIDE || shape->height > THUMB_MAX_SIDE)
    {
      double scale = (double)THUMB_MAX_SIDE / MAX (shape->width, shape->height);
      return gdk_pixbuf_scale_simple (pixbuf, MAX (1, shape->width * scale),
                                      MAX (1, shape->height * scale), GDK_INTERP_BILINEAR);
    }

  return g_steal_pointer (&pixbuf);
}

static void
count_label (TrbDatasetReport *self,
             int               label)
{
  if ((guint)label >= self->histogram->len)
    g_array_set_size (self->histogram, label + 1);
  g_array_index (self->histogram, guint64, label)++;
}

static gboolean
wants_thumbnail (TrbDatasetReport *self,
                 int               label)
{
  guint same = 0;

  if (self->thumbnails->len >= TRB_REPORT_MAX_THUMBS)
    return FALSE;
  for (guint i = 0; i < self->thumbnail_labels->len; i++)
    if (g_array_index (self->thumbnail_labels, int, i) == label)
      same++;
  return same < TRB_REPORT_THUMBS_PER_CLASS;
}

static void
take_batch (TrbDatasetReport     *self,
            const TrbSampleShape *shape,
            TrbSampleBatch       *batch,
            TrbFingerprint       *fingerprint)
{
  gsize len = batch->sample_len;
  gsize bytes = batch->type == TRB_SAMPLE_TYPE_U8 ? len : len * sizeof (float);

  for (guint i = 0; i < batch->n; i++)
    {
      int label = batch->labels[i];

      count_label (self, label);

      if (batch->type == TRB_SAMPLE_TYPE_U8)
        {
          const guint8 *s = batch->u8 + (gsize)i * len;
          guint8 lo = 255;
          guint8 hi = 0;

          trb_fingerprint_add (fingerprint, s, bytes, label);
          for (gsize k = 0; k < len; k++)
            {
              lo = MIN (lo, s[k]);
              hi = MAX (hi, s[k]);
            }
          self->value_min = MIN (self->value_min, lo);
          self->value_max = MAX (self->value_max, hi);

          if (shape->height > 1 && wants_thumbnail (self, label))
            {
              GdkPixbuf *thumb = make_thumbnail (shape, s);
              if (thumb != NULL)
                {
                  g_ptr_array_add (self->thumbnails, thumb);
                  g_array_append_val (self->thumbnail_labels, label);
                }
            }
        }
      else
        {
          const float *s = batch->f32 + (gsize)i * len;

          /* The fingerprint covers the floats as little-endian bytes on every machine. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
          trb_fingerprint_add (fingerprint, s, bytes, label);
#else
          {
            g_autofree guint32 *le = g_new (guint32, len);
            for (gsize k = 0; k < len; k++)
              {
                guint32 bits;
                memcpy (&bits, &s[k], 4);
                le[k] = GUINT32_TO_LE (bits);
              }
            trb_fingerprint_add (fingerprint, le, bytes, label);
          }
#endif
          for (gsize k = 0; k < len; k++)
            {
              self->value_min = MIN (self->value_min, s[k]);
              self->value_max = MAX (self->value_max, s[k]);
            }
        }
    }
}

/* Reads every batch of @source into @self and @fingerprint, calling @progress at most once
 * per percent so that the main context is not flooded. */
static gboolean
read_all_batches (TrbDatasetReport     *self,
                  TrbSampleSource      *source,
                  TrbFingerprint       *fingerprint,
                  TrbScanProgressFunc   progress,
                  gpointer              user_data,
                  GCancellable         *cancellable,
                  GError              **error)
{
  g_autoptr(TrbSampleBatch) batch = NULL;
  const TrbSampleShape *shape = trb_sample_source_get_shape (source);
  gint64 total = trb_sample_source_get_n_samples (source);
  gsize sample_bytes;
  guint capacity;
  double last_fraction = -1;

  sample_bytes = trb_sample_shape_get_len (shape) *
                 (shape->type == TRB_SAMPLE_TYPE_U8 ? 1 : sizeof (float));
  capacity = CLAMP (BATCH_MAX_BYTES / MAX (sample_bytes, 1), 1, 1024);
  batch = trb_sample_batch_new (source, capacity);

  for (;;)
    {
      guint64 done;

      if (!trb_sample_source_read (source, batch, cancellable, error))
        return FALSE;
      if (batch->n == 0)
        break;

      take_batch (self, shape, batch, fingerprint);

      done = trb_fingerprint_get_count (fingerprint);
      if (progress != NULL)
        {
          double fraction = total > 0 ? (double)done / total : -1;
          if (fraction < 0 || fraction - last_fraction >= 0.01 || fraction >= 1)
            {
              progress (fraction, done, user_data);
              last_fraction = fraction;
            }
        }
    }

  return TRUE;
}

/* A dataset with no usable sample is an error; the first problem the reader met says why. */
static gboolean
check_not_empty (TrbDatasetReport  *self,
                 const char        *name,
                 GError           **error)
{
  if (self->n_samples > 0)
    return TRUE;

  if (self->problems->len > 0)
    g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY,
                 /* Translators: the dataset's name, then the first problem found. */
                 _("None of the samples in “%s” can be used. The first problem: %s"),
                 name, (const char *)g_ptr_array_index (self->problems, 0));
  else
    g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY,
                 _("“%s” holds no samples."), name);
  return FALSE;
}

/* The fingerprint only means something if the files did not change while they were read. */
static gboolean
check_unchanged (TrbDatasetReport  *self,
                 const char        *name,
                 GError           **error)
{
  g_autofree char *stamp_after = NULL;

  stamp_after = trb_dataset_compute_stamp (self->path, error);
  if (stamp_after == NULL)
    return FALSE;
  if (!g_str_equal (stamp_after, self->stamp))
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_CHANGED,
                   _("“%s” changed while it was being checked. If a program is still writing "
                     "it, wait until it has finished, then check it again."), name);
      return FALSE;
    }
  return TRUE;
}

/* Copies what only one kind of reader knows: picture sizes and colours, or the CSV preview. */
static void
take_format_details (TrbDatasetReport *self,
                     TrbSampleSource  *source)
{
  const TrbSampleShape *shape = trb_sample_source_get_shape (source);

  if (TRB_IS_IMAGE_FOLDER_READER (source))
    {
      TrbImageFolderReader *reader = TRB_IMAGE_FOLDER_READER (source);
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, trb_image_folder_reader_get_size_counts (reader));
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (self->size_counts, g_strdup (key), value);
      self->n_colour = trb_image_folder_reader_get_n_colour (reader);
      self->n_grey = trb_image_folder_reader_get_n_grey (reader);
    }
  else if (TRB_IS_IDX_READER (source))
    {
      g_hash_table_insert (self->size_counts,
                           g_strdup_printf ("%ux%u", shape->width, shape->height),
                           GUINT_TO_POINTER ((guint)self->n_samples));
      if (shape->channels == 1)
        self->n_grey = self->n_samples;
      else
        self->n_colour = self->n_samples;
    }
  else if (TRB_IS_CSV_READER (source))
    {
      TrbCsvReader *reader = TRB_CSV_READER (source);
      GPtrArray *rows = trb_csv_reader_get_preview (reader);

      self->csv_header = g_strdupv ((char **)trb_csv_reader_get_header (reader));
      for (guint i = 0; i < rows->len; i++)
        g_ptr_array_add (self->csv_rows, g_strdupv (g_ptr_array_index (rows, i)));
    }
}

/**
 * trb_dataset_scan:
 * @path: the dataset, as the user picked it
 * @options: (nullable): how to read it (a task's schema fills in sizes and classes)
 * @salt: the dataset's fingerprint salt (see trb-fingerprint.h)
 * @progress: (nullable) (scope call): called after each batch, in the calling thread
 *
 * Reads the whole dataset once. Blocks: use trb_dataset_scan_async() from the main thread.
 *
 * Returns: (transfer full): the report, or %NULL with @error set
 */
TrbDatasetReport *
trb_dataset_scan (const char               *path,
                  const TrbDatasetOptions  *options,
                  GBytes                   *salt,
                  TrbScanProgressFunc       progress,
                  gpointer                  user_data,
                  GCancellable             *cancellable,
                  GError                  **error)
{
  g_autoptr(TrbDatasetReport) self = NULL;
  g_autoptr(TrbSampleSource) source = NULL;
  g_autoptr(TrbFingerprint) fingerprint = NULL;
  g_autofree char *name = NULL;
  const char * const *names;
  GPtrArray *problems;
  guint8 root[TRB_FINGERPRINT_SIZE];

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (salt != NULL, NULL);

  self = g_object_new (TRB_TYPE_DATASET_REPORT, NULL);
  self->path = g_strdup (path);
  self->value_min = G_MAXDOUBLE;
  self->value_max = -G_MAXDOUBLE;
  name = trb_dataset_display_name (path);

  self->format = trb_sample_source_detect_format (path, error);
  if (self->format == TRB_DATASET_FORMAT_UNKNOWN)
    return NULL;

  self->stamp = trb_dataset_compute_stamp (path, error);
  if (self->stamp == NULL)
    return NULL;

  source = trb_sample_source_open (path, options, error);
  if (source == NULL)
    return NULL;

  self->shape = *trb_sample_source_get_shape (source);
  fingerprint = trb_fingerprint_new (g_bytes_get_data (salt, NULL), g_bytes_get_size (salt));

  if (!read_all_batches (self, source, fingerprint, progress, user_data, cancellable, error))
    return NULL;

  self->n_samples = trb_fingerprint_get_count (fingerprint);
  self->n_skipped = trb_sample_source_get_skipped (source);
  problems = trb_sample_source_get_problems (source);
  for (guint i = 0; problems != NULL && i < problems->len; i++)
    g_ptr_array_add (self->problems, g_strdup (g_ptr_array_index (problems, i)));

  if (!check_not_empty (self, name, error) || !check_unchanged (self, name, error))
    return NULL;

  trb_fingerprint_finish (fingerprint, root);
  self->fingerprint = trb_fingerprint_to_hex (root);

  names = trb_sample_source_get_class_names (source);
  if (names != NULL)
    self->class_names = g_strdupv ((char **)names);

  take_format_details (self, source);

  return g_steal_pointer (&self);
}

/* Asynchronous scanning, with progress reported in the caller's main context. */

typedef struct
{
  char                *path;
  TrbDatasetOptions    options;
  char                *label_column;
  char               **class_names;
  GBytes              *salt;
  TrbScanProgressFunc  progress;
  gpointer             progress_data;
  GDestroyNotify       progress_notify;
  GMainContext        *context;
} ScanData;

typedef struct
{
  ScanData *data;
  double    fraction;
  guint64   samples;
} ProgressReport;

static void
scan_data_clear (gpointer mem)
{
  ScanData *data = mem;

  g_free (data->path);
  g_free (data->label_column);
  g_strfreev (data->class_names);
  g_bytes_unref (data->salt);
  if (data->progress_notify != NULL)
    data->progress_notify (data->progress_data);
  g_main_context_unref (data->context);
}

static void
scan_data_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, scan_data_clear);
}

static gboolean
deliver_progress (gpointer user_data)
{
  ProgressReport *report = user_data;

  report->data->progress (report->fraction, report->samples, report->data->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_report_free (gpointer user_data)
{
  ProgressReport *report = user_data;

  scan_data_unref (report->data);
  g_free (report);
}

static void
forward_progress (double   fraction,
                  guint64  samples,
                  gpointer user_data)
{
  ScanData *data = user_data;
  ProgressReport *report = g_new0 (ProgressReport, 1);

  report->data = g_atomic_rc_box_acquire (data);
  report->fraction = fraction;
  report->samples = samples;
  g_main_context_invoke_full (data->context, G_PRIORITY_DEFAULT, deliver_progress, report,
                              progress_report_free);
}

static void
scan_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ScanData *data = task_data;
  TrbDatasetReport *report;
  GError *error = NULL;

  report = trb_dataset_scan (data->path, &data->options, data->salt,
                             data->progress ? forward_progress : NULL, data,
                             cancellable, &error);
  if (report == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, report, g_object_unref);
}

/**
 * trb_dataset_scan_async:
 * @progress: (nullable): called in the thread-default main context of the caller
 *
 * Runs trb_dataset_scan() in a worker thread.
 */
void
trb_dataset_scan_async (const char               *path,
                        const TrbDatasetOptions  *options,
                        GBytes                   *salt,
                        TrbScanProgressFunc       progress,
                        gpointer                  progress_data,
                        GDestroyNotify            progress_notify,
                        GCancellable             *cancellable,
                        GAsyncReadyCallback       callback,
                        gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  ScanData *data;

  g_return_if_fail (path != NULL);
  g_return_if_fail (salt != NULL);

  data = g_atomic_rc_box_new0 (ScanData);
  data->path = g_strdup (path);
  if (options != NULL)
    {
      data->options = *options;
      data->label_column = g_strdup (options->label_column);
      data->class_names = g_strdupv ((char **)options->class_names);
    }
  data->options.label_column = data->label_column;
  data->options.class_names = (const char * const *)data->class_names;
  data->salt = g_bytes_ref (salt);
  data->progress = progress;
  data->progress_data = progress_data;
  data->progress_notify = progress_notify;
  data->context = g_main_context_ref_thread_default ();

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, trb_dataset_scan_async);
  g_task_set_task_data (task, data, scan_data_unref);
  g_task_run_in_thread (task, scan_thread);
}

TrbDatasetReport *
trb_dataset_scan_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Serialisation, for the store: everything but thumbnails. */

static JsonNode *
strv_to_json (char **strv)
{
  g_autoptr(JsonArray) array = json_array_new ();

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_array_add_string_element (array, strv[i]);
  return json_node_init_array (json_node_alloc (), array);
}

JsonNode *
trb_dataset_report_to_json (TrbDatasetReport *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, self->path);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, trb_dataset_format_to_string (self->format));
  json_builder_set_member_name (builder, "shape");
  json_builder_begin_array (builder);
  json_builder_add_int_value (builder, self->shape.channels);
  json_builder_add_int_value (builder, self->shape.height);
  json_builder_add_int_value (builder, self->shape.width);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, self->shape.type == TRB_SAMPLE_TYPE_U8 ? "u8" : "f32");
  json_builder_set_member_name (builder, "samples");
  json_builder_add_int_value (builder, self->n_samples);
  json_builder_set_member_name (builder, "skipped");
  json_builder_add_int_value (builder, self->n_skipped);
  json_builder_set_member_name (builder, "histogram");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->histogram->len; i++)
    json_builder_add_int_value (builder, g_array_index (self->histogram, guint64, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "class_names");
  json_builder_add_value (builder, strv_to_json (self->class_names));
  json_builder_set_member_name (builder, "problems");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->problems->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (self->problems, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "sizes");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, self->size_counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_int_value (builder, GPOINTER_TO_UINT (value));
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "colour");
  json_builder_add_int_value (builder, self->n_colour);
  json_builder_set_member_name (builder, "grey");
  json_builder_add_int_value (builder, self->n_grey);
  json_builder_set_member_name (builder, "value_range");
  json_builder_begin_array (builder);
  json_builder_add_double_value (builder, self->value_min);
  json_builder_add_double_value (builder, self->value_max);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "csv_header");
  json_builder_add_value (builder, strv_to_json (self->csv_header));
  json_builder_set_member_name (builder, "csv_rows");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->csv_rows->len; i++)
    json_builder_add_value (builder, strv_to_json (g_ptr_array_index (self->csv_rows, i)));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "fingerprint");
  json_builder_add_string_value (builder, self->fingerprint);
  json_builder_set_member_name (builder, "stamp");
  json_builder_add_string_value (builder, self->stamp);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static char **
strv_from_json (JsonObject *object,
                const char *member,
                guint       limit)
{
  JsonNode *node = json_object_get_member (object, member);
  JsonArray *array;
  GStrvBuilder *builder;
  char **result;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  if (json_array_get_length (array) == 0)
    return NULL;

  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array) && i < limit; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_strv_builder_add (builder, JSON_NODE_HOLDS_VALUE (element) &&
                          json_node_get_value_type (element) == G_TYPE_STRING
                          ? json_node_get_string (element) : "");
    }
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/* Each reader below takes one optional member of a saved report, bounded by the same limits
 * a scan has: the file may have been edited by hand. */
static void
read_histogram_json (TrbDatasetReport *self,
                     JsonObject       *object)
{
  JsonNode *member = json_object_get_member (object, "histogram");
  JsonArray *array;

  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return;

  array = json_node_get_array (member);
  for (guint i = 0; i < json_array_get_length (array) && i < TRB_DATASET_MAX_CLASSES; i++)
    {
      guint64 count = MAX (0, json_array_get_int_element (array, i));
      g_array_append_val (self->histogram, count);
    }
}

static void
read_size_counts_json (TrbDatasetReport *self,
                       JsonObject       *object)
{
  JsonNode *member = json_object_get_member (object, "sizes");
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
    return;

  json_object_iter_init (&iter, json_node_get_object (member));
  while (json_object_iter_next (&iter, &key, &value))
    if (JSON_NODE_HOLDS_VALUE (value))
      g_hash_table_insert (self->size_counts, g_strdup (key),
                           GUINT_TO_POINTER ((guint)json_node_get_int (value)));
}

static void
read_value_range_json (TrbDatasetReport *self,
                       JsonObject       *object)
{
  JsonNode *member = json_object_get_member (object, "value_range");
  JsonArray *array;

  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member) ||
      json_array_get_length (json_node_get_array (member)) != 2)
    return;

  array = json_node_get_array (member);
  self->value_min = json_array_get_double_element (array, 0);
  self->value_max = json_array_get_double_element (array, 1);
}

static void
read_csv_rows_json (TrbDatasetReport *self,
                    JsonObject       *object)
{
  JsonNode *member = json_object_get_member (object, "csv_rows");
  JsonArray *array;

  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return;

  array = json_node_get_array (member);
  for (guint i = 0; i < json_array_get_length (array) && i < TRB_CSV_PREVIEW_ROWS; i++)
    {
      g_autoptr(JsonObject) wrapper = json_object_new ();
      char **row;

      json_object_set_member (wrapper, "row",
                              json_node_copy (json_array_get_element (array, i)));
      row = strv_from_json (wrapper, "row", TRB_DATASET_MAX_CSV_COLUMNS);
      g_ptr_array_add (self->csv_rows, row ? row : g_new0 (char *, 1));
    }
}

/**
 * trb_dataset_report_new_from_json:
 *
 * Restores a report saved with trb_dataset_report_to_json() (without thumbnails).
 *
 * Returns: (transfer full): the report, or %NULL with @error set
 */
TrbDatasetReport *
trb_dataset_report_new_from_json (JsonNode  *node,
                                  GError   **error)
{
  g_autoptr(TrbDatasetReport) self = NULL;
  g_auto(GStrv) problems = NULL;
  JsonObject *object;
  JsonArray *array;
  JsonNode *member;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    goto bad;

  object = json_node_get_object (node);
  self = g_object_new (TRB_TYPE_DATASET_REPORT, NULL);
  self->path = g_strdup (trb_json_get_string (object, "path", ""));
  self->format = trb_dataset_format_from_string (
    trb_json_get_string (object, "format", ""));
  self->shape.type = g_strcmp0 (trb_json_get_string (object, "type", ""),
                                "f32") == 0 ? TRB_SAMPLE_TYPE_F32 : TRB_SAMPLE_TYPE_U8;
  member = json_object_get_member (object, "shape");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member) ||
      json_array_get_length (json_node_get_array (member)) != 3)
    goto bad;
  array = json_node_get_array (member);
  self->shape.channels = CLAMP (json_array_get_int_element (array, 0), 0, 4);
  self->shape.height = CLAMP (json_array_get_int_element (array, 1), 0, TRB_DATASET_MAX_SIDE);
  self->shape.width = CLAMP (json_array_get_int_element (array, 2), 0,
                             TRB_DATASET_MAX_SAMPLE_VALUES);
  self->n_samples = MAX (0, json_object_get_int_member_with_default (object, "samples", 0));
  self->n_skipped = MAX (0, json_object_get_int_member_with_default (object, "skipped", 0));

  read_histogram_json (self, object);

  self->class_names = strv_from_json (object, "class_names", TRB_DATASET_MAX_CLASSES);
  problems = strv_from_json (object, "problems", TRB_DATASET_MAX_PROBLEMS);
  for (guint i = 0; problems != NULL && problems[i] != NULL; i++)
    g_ptr_array_add (self->problems, g_strdup (problems[i]));

  read_size_counts_json (self, object);
  self->n_colour = MAX (0, json_object_get_int_member_with_default (object, "colour", 0));
  self->n_grey = MAX (0, json_object_get_int_member_with_default (object, "grey", 0));
  read_value_range_json (self, object);

  self->csv_header = strv_from_json (object, "csv_header", TRB_DATASET_MAX_CSV_COLUMNS);
  read_csv_rows_json (self, object);

  self->fingerprint = g_strdup (trb_json_get_string (object, "fingerprint", ""));
  self->stamp = g_strdup (trb_json_get_string (object, "stamp", ""));

  return g_steal_pointer (&self);

bad:
  g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
               _("The saved summary of this dataset is damaged. Check the dataset again."));
  return NULL;
}

/* Getters. */

const char *
trb_dataset_report_get_path (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return self->path;
}

TrbDatasetFormat
trb_dataset_report_get_format (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), TRB_DATASET_FORMAT_UNKNOWN);
  return self->format;
}

const TrbSampleShape *
trb_dataset_report_get_shape (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return &self->shape;
}

guint64
trb_dataset_report_get_n_samples (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), 0);
  return self->n_samples;
}

guint64
trb_dataset_report_get_n_skipped (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), 0);
  return self->n_skipped;
}

/**
 * trb_dataset_report_get_problems:
 *
 * Returns: (transfer none) (element-type utf8): notes on the samples left out
 */
GPtrArray *
trb_dataset_report_get_problems (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return self->problems;
}

/**
 * trb_dataset_report_get_n_classes:
 *
 * Returns: the number of classes: the highest label seen plus one, or the number of named
 *   classes if larger
 */
guint
trb_dataset_report_get_n_classes (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), 0);
  return MAX (self->histogram->len,
              self->class_names ? g_strv_length (self->class_names) : 0);
}

/**
 * trb_dataset_report_get_histogram:
 *
 * Returns: (array) (transfer none): samples per class; at least
 *   trb_dataset_report_get_n_classes() entries are valid only up to the highest label seen,
 *   use trb_dataset_report_get_n_classes() and treat the rest as 0
 */
const guint64 *
trb_dataset_report_get_histogram (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);

  if (self->histogram->len < trb_dataset_report_get_n_classes (self))
    g_array_set_size (self->histogram, trb_dataset_report_get_n_classes (self));
  return (const guint64 *)(gpointer)self->histogram->data;
}

const char * const *
trb_dataset_report_get_class_names (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return (const char * const *)self->class_names;
}

/**
 * trb_dataset_report_dup_class_name:
 *
 * Returns: (transfer full): the class's name, or "Class N" when the format names none
 */
char *
trb_dataset_report_dup_class_name (TrbDatasetReport *self,
                                   guint             index)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);

  if (self->class_names != NULL && index < g_strv_length (self->class_names))
    return g_strdup (self->class_names[index]);
  /* Translators: a class of samples that has no name, only a number */
  return g_strdup_printf (_("Class %u"), index);
}

/**
 * trb_dataset_report_get_size_counts:
 *
 * Returns: (transfer none) (element-type utf8 uint): pictures per original size "WxH"
 */
GHashTable *
trb_dataset_report_get_size_counts (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return self->size_counts;
}

guint64
trb_dataset_report_get_n_colour (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), 0);
  return self->n_colour;
}

void
trb_dataset_report_get_value_range (TrbDatasetReport *self,
                                    double           *min,
                                    double           *max)
{
  g_return_if_fail (TRB_IS_DATASET_REPORT (self));

  if (min != NULL)
    *min = self->value_min;
  if (max != NULL)
    *max = self->value_max;
}

/**
 * trb_dataset_report_get_thumbnails:
 *
 * Returns: (transfer none) (element-type GdkPixbuf): up to %TRB_REPORT_THUMBS_PER_CLASS
 *   pictures per class, %TRB_REPORT_MAX_THUMBS in all; empty for tables and reports restored
 *   from the store
 */
GPtrArray *
trb_dataset_report_get_thumbnails (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return self->thumbnails;
}

/**
 * trb_dataset_report_get_thumbnail_labels:
 *
 * Returns: (transfer none) (element-type int): the class of each thumbnail
 */
GArray *
trb_dataset_report_get_thumbnail_labels (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return self->thumbnail_labels;
}

const char * const *
trb_dataset_report_get_csv_header (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return (const char * const *)self->csv_header;
}

/**
 * trb_dataset_report_get_csv_rows:
 *
 * Returns: (transfer none) (element-type GStrv): the first rows of a table, as text
 */
GPtrArray *
trb_dataset_report_get_csv_rows (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return self->csv_rows;
}

/**
 * trb_dataset_report_get_fingerprint:
 *
 * Returns: the salted Merkle root, 64 hex digits
 */
const char *
trb_dataset_report_get_fingerprint (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return self->fingerprint;
}

const char *
trb_dataset_report_get_stamp (TrbDatasetReport *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (self), NULL);
  return self->stamp;
}

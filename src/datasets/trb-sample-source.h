/* trb-sample-source.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * SECTION:trb-sample-source
 * @title: TrbSampleSource
 *
 * The one interface through which the trainer (and the dataset scanner) pulls samples,
 * whatever the format on disk. Every reader streams: memory stays bounded by the batch the
 * caller asks for, never by the size of the dataset.
 *
 * Usage:
 * |[<!-- language="C" -->
 * g_autoptr(TrbSampleSource) source = trb_sample_source_open (path, NULL, &error);
 * g_autoptr(TrbSampleBatch) batch = trb_sample_batch_new (source, 64);
 *
 * while (trb_sample_source_read (source, batch, cancellable, &error) && batch->n > 0)
 *   train_on (batch->u8 or batch->f32, batch->labels, batch->n);
 * if (error != NULL)
 *   show (error->message);          // plain words, ready for the user
 * trb_sample_source_rewind (source, &error);   // next epoch
 * ]|
 *
 * A sample is `channels × height × width` values stored channel-last (HWC), row by row. Tabular
 * data (CSV) has shape 1 × 1 × n_features. Features are #TRB_SAMPLE_TYPE_U8 (0–255, images and
 * IDX) or #TRB_SAMPLE_TYPE_F32 (CSV); labels are class indices ≥ 0.
 */

#define TRB_DATASET_ERROR (trb_dataset_error_quark ())

/**
 * TrbDatasetError:
 * @TRB_DATASET_ERROR_NOT_FOUND: the file or folder does not exist
 * @TRB_DATASET_ERROR_UNREADABLE: it exists but cannot be read (permissions, I/O, loops)
 * @TRB_DATASET_ERROR_FORMAT: not a format Tributary can read, or garbage inside
 * @TRB_DATASET_ERROR_TRUNCATED: the file ends before what its header promises
 * @TRB_DATASET_ERROR_MISMATCH: two parts of the dataset disagree (images vs. labels)
 * @TRB_DATASET_ERROR_TOO_LARGE: a declared size is beyond Tributary's limits
 * @TRB_DATASET_ERROR_CHANGED: the files changed while being read
 * @TRB_DATASET_ERROR_BAD_ROW: a CSV row is unusable and the policy is to fail
 * @TRB_DATASET_ERROR_EMPTY: there are no usable samples
 * @TRB_DATASET_ERROR_SCHEMA: a data schema is malformed
 */
typedef enum
{
  TRB_DATASET_ERROR_NOT_FOUND,
  TRB_DATASET_ERROR_UNREADABLE,
  TRB_DATASET_ERROR_FORMAT,
  TRB_DATASET_ERROR_TRUNCATED,
  TRB_DATASET_ERROR_MISMATCH,
  TRB_DATASET_ERROR_TOO_LARGE,
  TRB_DATASET_ERROR_CHANGED,
  TRB_DATASET_ERROR_BAD_ROW,
  TRB_DATASET_ERROR_EMPTY,
  TRB_DATASET_ERROR_SCHEMA,
} TrbDatasetError;

typedef enum
{
  TRB_SAMPLE_TYPE_U8,
  TRB_SAMPLE_TYPE_F32,
} TrbSampleType;

typedef enum
{
  TRB_DATASET_FORMAT_UNKNOWN,
  TRB_DATASET_FORMAT_IDX,
  TRB_DATASET_FORMAT_CSV,
  TRB_DATASET_FORMAT_IMAGE_FOLDER,
} TrbDatasetFormat;

/**
 * TrbCsvPolicy:
 * @TRB_CSV_POLICY_SKIP_ROW: unusable rows are counted, reported and left out
 * @TRB_CSV_POLICY_FAIL: the first unusable row stops reading with an error
 */
typedef enum
{
  TRB_CSV_POLICY_SKIP_ROW,
  TRB_CSV_POLICY_FAIL,
} TrbCsvPolicy;

/* Limits on everything read from outside. */
#define TRB_DATASET_MAX_SAMPLE_VALUES (4u * 1024u * 1024u)  /* values in one sample */
#define TRB_DATASET_MAX_SIDE          16384u                /* pixels per image side */
#define TRB_DATASET_MAX_SAMPLES       100000000u            /* samples in one dataset */
#define TRB_DATASET_MAX_CSV_LINE      (1024u * 1024u)       /* bytes in one CSV line */
#define TRB_DATASET_MAX_CSV_COLUMNS   65536u
#define TRB_DATASET_MAX_IMAGE_FILE    (64u * 1024u * 1024u) /* bytes in one image file */
#define TRB_DATASET_MAX_FILES         1000000u              /* files in an image folder */
#define TRB_DATASET_MAX_CLASSES       10000u

/**
 * TrbSampleShape:
 * @type: how features are stored
 * @channels: 1 (grey), 3 (RGB) or 4; 1 for CSV
 * @height: rows of pixels; 1 for CSV
 * @width: columns of pixels; the number of features for CSV
 */
typedef struct
{
  TrbSampleType type;
  guint         channels;
  guint         height;
  guint         width;
} TrbSampleShape;

/**
 * TrbDatasetOptions:
 * @label_column: (nullable): CSV: the header name of the label column; %NULL means a column
 *   named "label" or "class" if present, else the last one
 * @csv_policy: what to do with unusable CSV rows
 * @channels: image folders: channels to convert to (0: 3)
 * @height: image folders: height to resize to (0: the first image's)
 * @width: image folders: width to resize to (0: the first image's)
 * @class_names: (nullable) (array zero-terminated=1): the classes a network knows; image
 *   sub-folders and CSV label names map to their index here, and others are left out
 *
 * How to read a dataset. Zero-initialised options are sensible defaults.
 */
typedef struct
{
  const char   *label_column;
  TrbCsvPolicy  csv_policy;
  guint         channels;
  guint         height;
  guint         width;
  const char * const *class_names;
} TrbDatasetOptions;

/**
 * TrbSampleBatch:
 * @type: the type of @u8 / @f32
 * @sample_len: values per sample
 * @capacity: how many samples fit
 * @n: how many samples the last read filled in; 0 at the end of the data
 * @u8: (nullable): @capacity × @sample_len bytes when @type is U8
 * @f32: (nullable): @capacity × @sample_len floats when @type is F32
 * @labels: @capacity class indices
 *
 * A caller-owned buffer a source fills. Free with trb_sample_batch_free().
 */
typedef struct
{
  TrbSampleType  type;
  gsize          sample_len;
  guint          capacity;
  guint          n;
  guint8        *u8;
  float         *f32;
  int           *labels;
} TrbSampleBatch;

#define TRB_TYPE_SAMPLE_SOURCE (trb_sample_source_get_type ())

G_DECLARE_INTERFACE (TrbSampleSource, trb_sample_source, TRB, SAMPLE_SOURCE, GObject)

/**
 * TrbSampleSourceInterface:
 * @get_shape: the shape of every sample
 * @get_n_samples: the number of samples if known before reading, else -1
 * @read: fills @batch->n samples (0 at the end); %FALSE with an error
 * @rewind: starts again at the first sample
 * @get_skipped: how many samples were left out so far (unreadable images, bad rows)
 * @get_problems: (transfer none): plain-language notes on skipped samples, at most 100
 * @get_class_names: (transfer none) (nullable): class names by index, %NULL-terminated, when
 *   the format names its classes (image folders, CSV with named labels)
 */
struct _TrbSampleSourceInterface
{
  GTypeInterface parent_iface;

  const TrbSampleShape *(*get_shape)     (TrbSampleSource  *self);
  gint64                (*get_n_samples) (TrbSampleSource  *self);
  gboolean              (*read)          (TrbSampleSource  *self,
                                          TrbSampleBatch   *batch,
                                          GCancellable     *cancellable,
                                          GError          **error);
  gboolean              (*rewind)        (TrbSampleSource  *self,
                                          GError          **error);
  guint64               (*get_skipped)   (TrbSampleSource  *self);
  GPtrArray            *(*get_problems)  (TrbSampleSource  *self);
  const char * const   *(*get_class_names) (TrbSampleSource *self);
};

GQuark                trb_dataset_error_quark         (void);

TrbSampleSource      *trb_sample_source_open          (const char               *path,
                                                       const TrbDatasetOptions  *options,
                                                       GError                  **error);
TrbDatasetFormat      trb_sample_source_detect_format (const char               *path,
                                                       GError                  **error);
const TrbSampleShape *trb_sample_source_get_shape     (TrbSampleSource          *self);
gint64                trb_sample_source_get_n_samples (TrbSampleSource          *self);
gboolean              trb_sample_source_read          (TrbSampleSource          *self,
                                                       TrbSampleBatch           *batch,
                                                       GCancellable             *cancellable,
                                                       GError                  **error);
gboolean              trb_sample_source_rewind        (TrbSampleSource          *self,
                                                       GError                  **error);
guint64               trb_sample_source_get_skipped   (TrbSampleSource          *self);
GPtrArray            *trb_sample_source_get_problems  (TrbSampleSource          *self);
const char * const   *trb_sample_source_get_class_names (TrbSampleSource        *self);

const char           *trb_dataset_format_to_string    (TrbDatasetFormat          format);
TrbDatasetFormat      trb_dataset_format_from_string  (const char               *str);

gsize                 trb_sample_shape_get_len        (const TrbSampleShape     *shape);

TrbSampleBatch       *trb_sample_batch_new            (TrbSampleSource          *source,
                                                       guint                     capacity);
TrbSampleBatch       *trb_sample_batch_new_for_shape  (const TrbSampleShape     *shape,
                                                       guint                     capacity);
void                  trb_sample_batch_free           (TrbSampleBatch           *batch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbSampleBatch, trb_sample_batch_free)

G_END_DECLS

/* trb-csv-reader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads a CSV table: a header row, one label column, every other column a numeric feature.
 * Lines are read through a fixed buffer with a length limit, so a file without line breaks
 * cannot make memory grow. Unusable rows (wrong number of cells, missing or non-numeric
 * values, bad labels) are either skipped and reported with their line number, or stop the
 * reading, as the caller's policy says.
 */

#define G_LOG_DOMAIN "trb-csv-reader"

#include "config.h"

#include "trb-csv-reader.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "trb-datasets-private.h"

#define CHUNK_SIZE 65536

struct _TrbCsvReader
{
  GObject         parent_instance;

  char           *path;
  char           *name;
  GInputStream   *stream;
  TrbFileStamp    stamp;

  char           *label_column;
  char          **wanted_classes;
  TrbCsvPolicy    policy;

  char           *chunk;
  gsize           chunk_len;
  gsize           chunk_pos;
  gboolean        eof;
  gboolean        finished;
  GString        *line;
  guint64         line_no;

  char            delimiter;
  char          **header;
  guint           n_columns;
  guint           label_index;
  TrbSampleShape  shape;

  GPtrArray      *class_names;
  GHashTable     *class_index;
  GPtrArray      *fields;
  guint64         skipped;
  GPtrArray      *problems;
  GPtrArray      *preview;
};

static void sample_source_iface_init (TrbSampleSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbCsvReader, trb_csv_reader, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_SAMPLE_SOURCE,
                                                      sample_source_iface_init))

static void
trb_csv_reader_finalize (GObject *object)
{
  TrbCsvReader *self = (TrbCsvReader *)object;

  g_clear_object (&self->stream);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->label_column, g_free);
  g_clear_pointer (&self->wanted_classes, g_strfreev);
  g_clear_pointer (&self->chunk, g_free);
  g_string_free (self->line, TRUE);
  g_clear_pointer (&self->header, g_strfreev);
  g_clear_pointer (&self->class_names, g_ptr_array_unref);
  g_clear_pointer (&self->class_index, g_hash_table_unref);
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->preview, g_ptr_array_unref);

  G_OBJECT_CLASS (trb_csv_reader_parent_class)->finalize (object);
}

static void
trb_csv_reader_class_init (TrbCsvReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_csv_reader_finalize;
}

static void
trb_csv_reader_init (TrbCsvReader *self)
{
  self->chunk = g_malloc (CHUNK_SIZE);
  self->line = g_string_sized_new (256);
  self->class_names = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->class_names, NULL);
  self->class_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->fields = g_ptr_array_new_with_free_func (g_free);
  self->problems = g_ptr_array_new_with_free_func (g_free);
  self->preview = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
}

/* Reads the next chunk of the file; @more is FALSE when the file has no more bytes. */
static gboolean
refill_chunk (TrbCsvReader  *self,
              gboolean      *more,
              GCancellable  *cancellable,
              GError       **error)
{
  gsize got = 0;

  *more = FALSE;
  if (self->eof)
    return TRUE;
  if (!trb_dataset_read_fully (self->stream, self->chunk, CHUNK_SIZE, &got, self->name,
                               cancellable, error))
    return FALSE;
  self->chunk_len = got;
  self->chunk_pos = 0;
  if (got < CHUNK_SIZE)
    self->eof = TRUE;
  *more = got > 0;
  return TRUE;
}

/* A line past the limit is an error; when the file changed meanwhile, that is said instead. */
static gboolean
set_line_too_long (TrbCsvReader  *self,
                   GError       **error)
{
  if (!trb_file_stamp_verify (self->path, &self->stamp, error))
    return FALSE;
  g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE,
               g_dngettext (GETTEXT_PACKAGE,
                            /* Translators: the line's number, the file's name, the limit,
                             * which chooses the plural form. */
                            "Line %llu of “%s” is longer than %u byte; "
                            "this does not look like a table Tributary can read.",
                            "Line %llu of “%s” is longer than %u bytes; "
                            "this does not look like a table Tributary can read.",
                            TRB_DATASET_MAX_CSV_LINE),
               (unsigned long long) self->line_no + 1, self->name,
               TRB_DATASET_MAX_CSV_LINE);
  return FALSE;
}

/*
 * Reads the next line into self->line, without its line break. *has_line is FALSE at the end.
 * Lines longer than TRB_DATASET_MAX_CSV_LINE are an error rather than a reason to grow.
 */
static gboolean
read_line (TrbCsvReader  *self,
           gboolean      *has_line,
           GCancellable  *cancellable,
           GError       **error)
{
  g_string_truncate (self->line, 0);
  *has_line = FALSE;

  for (;;)
    {
      const char *start;
      const char *nl;
      gsize avail;

      if (self->chunk_pos >= self->chunk_len)
        {
          gboolean more;

          if (!refill_chunk (self, &more, cancellable, error))
            return FALSE;
          if (!more)
            break;
        }

      start = self->chunk + self->chunk_pos;
      avail = self->chunk_len - self->chunk_pos;
      nl = memchr (start, '\n', avail);

      if (nl != NULL)
        {
          g_string_append_len (self->line, start, nl - start);
          self->chunk_pos += (nl - start) + 1;
          *has_line = TRUE;
        }
      else
        {
          g_string_append_len (self->line, start, avail);
          self->chunk_pos = self->chunk_len;
        }

      if (self->line->len > TRB_DATASET_MAX_CSV_LINE)
        return set_line_too_long (self, error);

      if (*has_line)
        break;
    }

  if (!*has_line && self->line->len > 0)
    *has_line = TRUE;

  if (*has_line)
    {
      self->line_no++;
      if (self->line->len > 0 && self->line->str[self->line->len - 1] == '\r')
        g_string_truncate (self->line, self->line->len - 1);
      if (memchr (self->line->str, '\0', self->line->len) != NULL)
        {
          g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                       /* Translators: the file's name and a line's number. */
                       _("“%s” does not look like a text table: line %llu contains binary "
                         "data."),
                       self->name, (unsigned long long) self->line_no);
          return FALSE;
        }
    }

  return TRUE;
}

/* Splits self->line at the delimiter, honouring "quoted, fields" with "" as an escaped quote. */
static gboolean
split_fields (TrbCsvReader *self)
{
  const char *p = self->line->str;
  const char *end = p + self->line->len;
  g_autoptr(GString) field = g_string_new (NULL);

  g_ptr_array_set_size (self->fields, 0);

  for (;;)
    {
      g_string_truncate (field, 0);

      while (p < end && (*p == ' ' || *p == '\t') && *p != self->delimiter)
        p++;

      if (p < end && *p == '"')
        {
          gboolean closed = FALSE;

          p++;
          while (p < end)
            {
              if (*p == '"')
                {
                  if (p + 1 < end && p[1] == '"')
                    {
                      g_string_append_c (field, '"');
                      p += 2;
                      continue;
                    }
                  p++;
                  closed = TRUE;
                  break;
                }
              g_string_append_c (field, *p++);
            }
          if (!closed)
            return FALSE;
          while (p < end && *p != self->delimiter)
            p++;
        }
      else
        {
          const char *start = p;

          while (p < end && *p != self->delimiter)
            p++;
          g_string_append_len (field, start, p - start);
          while (field->len > 0 && g_ascii_isspace (field->str[field->len - 1]))
            g_string_truncate (field, field->len - 1);
        }

      if (self->fields->len >= TRB_DATASET_MAX_CSV_COLUMNS)
        return FALSE;
      g_ptr_array_add (self->fields, g_strndup (field->str, field->len));

      if (p >= end)
        break;
      p++; /* the delimiter */
    }

  return TRUE;
}

static char
guess_delimiter (const char *line)
{
  static const char candidates[] = { ',', ';', '\t' };
  guint best_count = 0;
  char best = ',';

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      guint count = 0;

      for (const char *p = line; *p; p++)
        if (*p == candidates[i])
          count++;
      if (count > best_count)
        {
          best_count = count;
          best = candidates[i];
        }
    }

  return best;
}

/* Cell text fit for a message: valid UTF-8, and short. */
static char *
quote_cell (const char *cell)
{
  g_autofree char *valid = g_utf8_make_valid (cell, -1);

  if (g_utf8_strlen (valid, -1) > 32)
    {
      g_autofree char *cut = g_utf8_substring (valid, 0, 32);
      return g_strconcat (cut, "…", NULL);
    }

  return g_steal_pointer (&valid);
}

/* Skips blank lines before the header; @has_line is FALSE when the file holds none. */
static gboolean
read_first_line (TrbCsvReader  *self,
                 gboolean      *has_line,
                 GError       **error)
{
  for (;;)
    {
      const char *p;

      if (!read_line (self, has_line, NULL, error))
        return FALSE;
      if (!*has_line)
        return TRUE;
      for (p = self->line->str; g_ascii_isspace (*p); p++)
        ;
      if (*p != '\0')
        return TRUE;
    }
}

/* The label column is the one the task names; without a name, a column with a usual label
 * name, and failing that the last column. */
static gboolean
find_label_column (TrbCsvReader             *self,
                   const TrbDatasetOptions  *options,
                   GError                  **error)
{
  self->label_index = self->n_columns - 1;
  if (options->label_column != NULL)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < self->n_columns && !found; i++)
        if (g_str_equal (self->header[i], options->label_column))
          {
            self->label_index = i;
            found = TRUE;
          }
      if (!found)
        {
          g_autofree char *wanted = quote_cell (options->label_column);
          g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                       /* Translators: the file's name, then the column's name. */
                       _("“%s” has no column named “%s”."), self->name, wanted);
          return FALSE;
        }
    }
  else
    {
      static const char * const usual[] = { "label", "class", "target", "y" };
      gboolean found = FALSE;

      for (guint u = 0; u < G_N_ELEMENTS (usual) && !found; u++)
        for (guint i = 0; i < self->n_columns && !found; i++)
          if (g_ascii_strcasecmp (self->header[i], usual[u]) == 0)
            {
              self->label_index = i;
              found = TRUE;
            }
    }

  return TRUE;
}

static gboolean
read_header_row (TrbCsvReader             *self,
                 const TrbDatasetOptions  *options,
                 GError                  **error)
{
  gboolean has_line = FALSE;

  if (!read_first_line (self, &has_line, error))
    return FALSE;
  if (!has_line)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY,
                   _("“%s” is empty."), self->name);
      return FALSE;
    }

  if (!g_utf8_validate (self->line->str, self->line->len, NULL))
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” does not look like a text table: its first line is not text."),
                   self->name);
      return FALSE;
    }

  self->delimiter = self->path && (g_str_has_suffix (self->path, ".tsv") ||
                                   g_str_has_suffix (self->path, ".tsv.gz"))
                    ? '\t' : guess_delimiter (self->line->str);

  if (!split_fields (self))
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("The first line of “%s” cannot be read as column names."), self->name);
      return FALSE;
    }

  self->n_columns = self->fields->len;
  if (self->n_columns < 2)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT,
                   _("“%s” needs at least two columns: the labels and one or more numbers. Its "
                     "first line has only one."), self->name);
      return FALSE;
    }

  self->header = g_new0 (char *, self->n_columns + 1);
  for (guint i = 0; i < self->n_columns; i++)
    self->header[i] = g_strdup (g_ptr_array_index (self->fields, i));

  if (!find_label_column (self, options, error))
    return FALSE;

  self->shape.type = TRB_SAMPLE_TYPE_F32;
  self->shape.channels = 1;
  self->shape.height = 1;
  self->shape.width = self->n_columns - 1;

  return TRUE;
}

static TrbCsvReader *
finish_new (TrbCsvReader             *self,
            const TrbDatasetOptions  *options,
            GError                  **error)
{
  static const TrbDatasetOptions defaults = { 0 };

  if (options == NULL)
    options = &defaults;

  self->label_column = g_strdup (options->label_column);
  self->policy = options->csv_policy;
  if (options->class_names != NULL)
    self->wanted_classes = g_strdupv ((char **)options->class_names);

  if (!read_header_row (self, options, error))
    {
      g_object_unref (self);
      return NULL;
    }

  return self;
}

/**
 * trb_csv_reader_new:
 * @path: a CSV (or TSV) file, gzip-compressed or not
 *
 * Returns: (transfer full): the reader, positioned after the header row
 */
TrbCsvReader *
trb_csv_reader_new (const char               *path,
                    const TrbDatasetOptions  *options,
                    GError                  **error)
{
  TrbCsvReader *self;
  GInputStream *stream;
  TrbFileStamp stamp;

  g_return_val_if_fail (path != NULL, NULL);

  stream = trb_dataset_open_file (path, &stamp, NULL, error);
  if (stream == NULL)
    return NULL;

  self = g_object_new (TRB_TYPE_CSV_READER, NULL);
  self->path = g_strdup (path);
  self->name = trb_dataset_display_name (path);
  self->stream = stream;
  self->stamp = stamp;

  return finish_new (self, options, error);
}

/**
 * trb_csv_reader_new_for_stream:
 *
 * Reads CSV from an uncompressed stream (for tests and fuzzing). Such a reader cannot rewind.
 *
 * Returns: (transfer full): the reader, positioned after the header row
 */
TrbCsvReader *
trb_csv_reader_new_for_stream (GInputStream             *stream,
                               const TrbDatasetOptions  *options,
                               GError                  **error)
{
  TrbCsvReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  self = g_object_new (TRB_TYPE_CSV_READER, NULL);
  self->name = g_strdup (_("the table"));
  self->stream = g_object_ref (stream);

  return finish_new (self, options, error);
}

/**
 * trb_csv_reader_get_header:
 *
 * Returns: (transfer none): the column names
 */
const char * const *
trb_csv_reader_get_header (TrbCsvReader *self)
{
  g_return_val_if_fail (TRB_IS_CSV_READER (self), NULL);

  return (const char * const *)self->header;
}

/**
 * trb_csv_reader_get_preview:
 *
 * Returns: (transfer none) (element-type GStrv): the first data rows read so far, as text,
 *   at most %TRB_CSV_PREVIEW_ROWS
 */
GPtrArray *
trb_csv_reader_get_preview (TrbCsvReader *self)
{
  g_return_val_if_fail (TRB_IS_CSV_READER (self), NULL);

  return self->preview;
}

static gboolean
parse_number (const char *cell,
              float      *value)
{
  char *end = NULL;
  double d;

  if (cell[0] == '\0')
    return FALSE;

  d = g_ascii_strtod (cell, &end);
  while (end != NULL && g_ascii_isspace (*end))
    end++;
  if (end == cell || *end != '\0' || !isfinite (d) || fabs (d) > G_MAXFLOAT)
    return FALSE;

  *value = (float)d;
  return TRUE;
}

/* Returns the class index of a label cell, or -1 with *problem set. */
static int
parse_label (TrbCsvReader  *self,
             const char    *cell,
             char         **problem)
{
  const char *column = self->header[self->label_index];
  guint64 number;
  gpointer found;

  if (cell[0] == '\0')
    {
      *problem = g_strdup_printf (_("line %llu: the label is missing"),
                                  (unsigned long long) self->line_no);
      return -1;
    }

  if (g_ascii_string_to_unsigned (cell, 10, 0, G_MAXUINT64, &number, NULL))
    {
      if (number >= TRB_DATASET_MAX_CLASSES)
        {
          /* Translators: the line's number, the label, and the column's name. */
          *problem = g_strdup_printf (_("line %llu: the label %s in column “%s” "
                                        "is larger than Tributary accepts"),
                                      (unsigned long long) self->line_no, cell, column);
          return -1;
        }
      return (int)number;
    }

  if (self->wanted_classes != NULL)
    {
      for (guint i = 0; self->wanted_classes[i] != NULL; i++)
        if (g_str_equal (self->wanted_classes[i], cell))
          return i;
      {
        g_autofree char *shown = quote_cell (cell);
        /* Translators: the line's number, then the label found there. */
        *problem = g_strdup_printf (_("line %llu: “%s” is not one of the network’s classes"),
                                    (unsigned long long) self->line_no, shown);
      }
      return -1;
    }

  if (g_hash_table_lookup_extended (self->class_index, cell, NULL, &found))
    return GPOINTER_TO_INT (found);

  if (self->class_names->len - 1 >= TRB_DATASET_MAX_CLASSES)
    {
      *problem = g_strdup_printf (_("line %llu: too many different labels"),
                                  (unsigned long long) self->line_no);
      return -1;
    }

  {
    guint index = self->class_names->len - 1;
    char *name = g_utf8_make_valid (cell, -1);

    g_ptr_array_insert (self->class_names, index, name);
    g_hash_table_insert (self->class_index, name, GINT_TO_POINTER (index));
    return index;
  }
}

/* Parses self->fields into one sample; on a bad row returns FALSE with *problem set. */
static gboolean
parse_row (TrbCsvReader  *self,
           float         *values,
           int           *label,
           char         **problem)
{
  guint v = 0;

  if (self->fields->len != self->n_columns)
    {
      *problem = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               /* Translators: the line's number, its number of
                                                * values, the header's columns. */
                                               "line %llu: %u value, but the header has %u "
                                               "columns",
                                               "line %llu: %u values, but the header has %u "
                                               "columns", self->fields->len),
                                  (unsigned long long) self->line_no, self->fields->len,
                                  self->n_columns);
      return FALSE;
    }

  for (guint i = 0; i < self->n_columns; i++)
    {
      const char *cell = g_ptr_array_index (self->fields, i);

      if (i == self->label_index)
        continue;

      if (cell[0] == '\0')
        {
          g_autofree char *column = quote_cell (self->header[i]);
          /* Translators: the line's number and the column's name. */
          *problem = g_strdup_printf (_("line %llu: the value in column “%s” is missing"),
                                      (unsigned long long) self->line_no, column);
          return FALSE;
        }
      if (!parse_number (cell, &values[v]))
        {
          g_autofree char *shown = quote_cell (cell);
          g_autofree char *column = quote_cell (self->header[i]);
          /* Translators: the line's number, the value found, and the column's name. */
          *problem = g_strdup_printf (_("line %llu: “%s” in column “%s” is not a number"),
                                      (unsigned long long) self->line_no, shown, column);
          return FALSE;
        }
      v++;
    }

  *label = parse_label (self, g_ptr_array_index (self->fields, self->label_index), problem);
  return *label >= 0;
}

static void
remember_preview (TrbCsvReader *self)
{
  char **row;

  if (self->preview->len >= TRB_CSV_PREVIEW_ROWS)
    return;

  row = g_new0 (char *, self->fields->len + 1);
  for (guint i = 0; i < self->fields->len; i++)
    row[i] = quote_cell (g_ptr_array_index (self->fields, i));
  g_ptr_array_add (self->preview, row);
}

static gboolean
trb_csv_reader_read (TrbSampleSource  *source,
                     TrbSampleBatch   *batch,
                     GCancellable     *cancellable,
                     GError          **error)
{
  TrbCsvReader *self = TRB_CSV_READER (source);
  guint n = 0;

  while (n < batch->capacity)
    {
      g_autofree char *problem = NULL;
      gboolean has_line = FALSE;
      const char *p;

      if (!read_line (self, &has_line, cancellable, error))
        return FALSE;
      if (!has_line)
        {
          if (!self->finished && !trb_file_stamp_verify (self->path, &self->stamp, error))
            return FALSE;
          self->finished = TRUE;
          break;
        }

      for (p = self->line->str; *p == ' ' || *p == '\t'; p++)
        ;
      if (*p == '\0')
        continue;

      if (!split_fields (self))
        problem = self->fields->len >= TRB_DATASET_MAX_CSV_COLUMNS
                  ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                  /* Translators: the line's number and the most
                                                   * values a line may hold. */
                                                  "line %llu: more than %u value",
                                                  "line %llu: more than %u values",
                                                  TRB_DATASET_MAX_CSV_COLUMNS),
                                     (unsigned long long) self->line_no,
                                     TRB_DATASET_MAX_CSV_COLUMNS)
                  : g_strdup_printf (_("line %llu: a quoted value is not closed"),
                                     (unsigned long long) self->line_no);
      else
        {
          remember_preview (self);
          if (parse_row (self, batch->f32 + (gsize)n * batch->sample_len, &batch->labels[n],
                         &problem))
            {
              n++;
              continue;
            }
        }

      if (self->policy == TRB_CSV_POLICY_FAIL)
        {
          g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_BAD_ROW,
                       /* Translators: the file's name, then the problem found. */
                       _("“%s” cannot be used as it is: %s."), self->name, problem);
          return FALSE;
        }

      self->skipped++;
      trb_dataset_add_problem (self->problems, "%s", problem);
    }

  batch->n = n;
  return TRUE;
}

static const TrbSampleShape *
trb_csv_reader_get_shape (TrbSampleSource *source)
{
  return &TRB_CSV_READER (source)->shape;
}

static gint64
trb_csv_reader_get_n_samples (TrbSampleSource *source)
{
  return -1;
}

static gboolean
trb_csv_reader_rewind (TrbSampleSource  *source,
                       GError          **error)
{
  TrbCsvReader *self = TRB_CSV_READER (source);
  g_auto(GStrv) old_header = NULL;
  TrbDatasetOptions options = { 0 };

  if (self->path == NULL)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_UNREADABLE,
                   _("This data can only be read once."));
      return FALSE;
    }

  g_clear_object (&self->stream);
  self->stream = trb_dataset_open_file (self->path, &self->stamp, NULL, error);
  if (self->stream == NULL)
    return FALSE;

  self->chunk_len = self->chunk_pos = 0;
  self->eof = self->finished = FALSE;
  self->line_no = 0;
  self->skipped = 0;
  g_ptr_array_set_size (self->problems, 0);
  g_ptr_array_set_size (self->preview, 0);

  old_header = g_steal_pointer (&self->header);
  options.label_column = self->label_column;
  if (!read_header_row (self, &options, error))
    return FALSE;

  if (!g_strv_equal ((const char * const *)old_header, (const char * const *)self->header))
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_CHANGED,
                   _("The columns of “%s” changed since it was opened. Check the dataset "
                     "again."), self->name);
      return FALSE;
    }

  return TRUE;
}

static guint64
trb_csv_reader_get_skipped (TrbSampleSource *source)
{
  return TRB_CSV_READER (source)->skipped;
}

static GPtrArray *
trb_csv_reader_get_problems (TrbSampleSource *source)
{
  return TRB_CSV_READER (source)->problems;
}

static const char * const *
trb_csv_reader_get_class_names (TrbSampleSource *source)
{
  TrbCsvReader *self = TRB_CSV_READER (source);

  if (self->wanted_classes != NULL)
    return (const char * const *)self->wanted_classes;
  if (self->class_names->len <= 1)
    return NULL;
  return (const char * const *)self->class_names->pdata;
}

static void
sample_source_iface_init (TrbSampleSourceInterface *iface)
{
  iface->get_shape = trb_csv_reader_get_shape;
  iface->get_n_samples = trb_csv_reader_get_n_samples;
  iface->read = trb_csv_reader_read;
  iface->rewind = trb_csv_reader_rewind;
  iface->get_skipped = trb_csv_reader_get_skipped;
  iface->get_problems = trb_csv_reader_get_problems;
  iface->get_class_names = trb_csv_reader_get_class_names;
}

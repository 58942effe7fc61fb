/* trb-data-schema.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The data schema of a task, and the check of a dataset against it. Problems are phrased for
 * someone who has never heard of tensors: what is different, what the network needs, and what
 * Tributary will do about it.
 */

#define G_LOG_DOMAIN "trb-data-schema"

#include "config.h"

#include "trb-data-schema.h"
#include "trb-json.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct _TrbDataSchema
{
  GObject         parent_instance;

  TrbDataKind     kind;
  TrbSampleShape  shape;
  guint           n_classes;
  char          **class_names;
  gboolean        has_range;
  double          range_min;
  double          range_max;
};

G_DEFINE_FINAL_TYPE (TrbDataSchema, trb_data_schema, G_TYPE_OBJECT)

static void
trb_data_schema_finalize (GObject *object)
{
  TrbDataSchema *self = (TrbDataSchema *)object;

  g_clear_pointer (&self->class_names, g_strfreev);

  G_OBJECT_CLASS (trb_data_schema_parent_class)->finalize (object);
}

static void
trb_data_schema_class_init (TrbDataSchemaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_data_schema_finalize;
}

static void
trb_data_schema_init (TrbDataSchema *self)
{
}

static gboolean
fail (GError     **error,
      const char  *detail)
{
  g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_SCHEMA,
               _("This network describes the data it needs in a way Tributary does not "
                 "understand (%s)."), detail);
  return FALSE;
}

static gboolean
get_uint (JsonNode *node,
          guint64   max,
          guint64  *out)
{
  double d;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (node);
      if (v < 1 || (guint64)v > max)
        return FALSE;
      *out = v;
      return TRUE;
    }
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      d = json_node_get_double (node);
      if (!(d >= 1 && d <= (double)max) || floor (d) != d)
        return FALSE;
      *out = (guint64)d;
      return TRUE;
    }
  return FALSE;
}

static gboolean
get_number (JsonNode *node,
            double   *out)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return FALSE;
  *out = json_node_get_double (node);
  return isfinite (*out);
}

/* The sample shape: channels, height and width for pictures, the number of columns for
 * tables, each bounded so that a hostile task cannot ask for huge samples. */
static gboolean
parse_input_shape (TrbDataSchema  *self,
                   JsonObject     *object,
                   GError        **error)
{
  JsonNode *node;
  JsonArray *shape;
  guint64 dims[3] = { 1, 1, 1 };

  node = json_object_get_member (object, "input_shape");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, _("its “input_shape” is missing"));
  shape = json_node_get_array (node);

  self->shape.type = self->kind == TRB_DATA_KIND_IMAGE ? TRB_SAMPLE_TYPE_U8 : TRB_SAMPLE_TYPE_F32;
  if (self->kind == TRB_DATA_KIND_IMAGE)
    {
      if (json_array_get_length (shape) != 3)
        return fail (error, _("pictures need an “input_shape” of channels, height and width"));
      for (guint i = 0; i < 3; i++)
        if (!get_uint (json_array_get_element (shape, i),
                       i == 0 ? 4 : TRB_DATASET_MAX_SIDE, &dims[i]))
          return fail (error, _("its “input_shape” holds an impossible size"));
      if (dims[0] == 2)
        return fail (error, _("pictures have 1, 3 or 4 channels"));
      self->shape.channels = dims[0];
      self->shape.height = dims[1];
      self->shape.width = dims[2];
    }
  else
    {
      if (json_array_get_length (shape) != 1 ||
          !get_uint (json_array_get_element (shape, 0), TRB_DATASET_MAX_CSV_COLUMNS - 1, &dims[0]))
        return fail (error, _("tables need an “input_shape” with the number of columns"));
      self->shape.channels = 1;
      self->shape.height = 1;
      self->shape.width = dims[0];
    }

  if (trb_sample_shape_get_len (&self->shape) > TRB_DATASET_MAX_SAMPLE_VALUES)
    return fail (error, _("its samples are too large"));
  return TRUE;
}

/* The optional class names: one short, non-empty text per class. */
static gboolean
parse_class_names (TrbDataSchema  *self,
                   JsonNode       *node,
                   GError        **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *names;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, _("its “class_names” is not a list"));
  names = json_node_get_array (node);
  if (json_array_get_length (names) != self->n_classes)
    return fail (error, _("it has not one name per class"));

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->n_classes; i++)
    {
      JsonNode *element = json_array_get_element (names, i);
      const char *name;

      if (!JSON_NODE_HOLDS_VALUE (element) ||
          json_node_get_value_type (element) != G_TYPE_STRING ||
          (name = json_node_get_string (element))[0] == '\0' ||
          strlen (name) > TRB_DATA_SCHEMA_MAX_NAME)
        return fail (error, _("a class name is empty, too long or not text"));
      g_strv_builder_add (builder, name);
    }
  self->class_names = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
parse_object (TrbDataSchema  *self,
              JsonObject     *object,
              GError        **error)
{
  const char *type;
  JsonNode *node;
  guint64 value;

  node = json_object_get_member (object, "type");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, _("its “type” is missing"));
  type = json_node_get_string (node);
  if (g_str_equal (type, "image"))
    self->kind = TRB_DATA_KIND_IMAGE;
  else if (g_str_equal (type, "tabular"))
    self->kind = TRB_DATA_KIND_TABULAR;
  else
    return fail (error, _("its “type” is neither “image” nor “tabular”"));

  if (!parse_input_shape (self, object, error))
    return FALSE;

  if (!get_uint (json_object_get_member (object, "classes"), TRB_DATASET_MAX_CLASSES, &value))
    return fail (error, _("its number of “classes” is missing or impossible"));
  self->n_classes = value;

  if (!parse_class_names (self, json_object_get_member (object, "class_names"), error))
    return FALSE;

  node = json_object_get_member (object, "value_range");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonArray *range;

      if (!JSON_NODE_HOLDS_ARRAY (node) ||
          json_array_get_length (range = json_node_get_array (node)) != 2 ||
          !get_number (json_array_get_element (range, 0), &self->range_min) ||
          !get_number (json_array_get_element (range, 1), &self->range_max) ||
          self->range_min > self->range_max)
        return fail (error, _("its “value_range” is not two numbers, lowest first"));
      self->has_range = TRUE;
    }

  return TRUE;
}

/**
 * trb_data_schema_new_from_node:
 * @node: the schema object, for example a member of a task definition
 *
 * Returns: (transfer full): the schema, or %NULL with @error set
 */
TrbDataSchema *
trb_data_schema_new_from_node (JsonNode  *node,
                               GError   **error)
{
  g_autoptr(TrbDataSchema) self = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (error, _("it is not a JSON object"));
      return NULL;
    }

  self = g_object_new (TRB_TYPE_DATA_SCHEMA, NULL);
  if (!parse_object (self, json_node_get_object (node), error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * trb_data_schema_new_from_json:
 * @json: the schema's JSON text, at most %TRB_DATA_SCHEMA_MAX_JSON bytes
 * @length: its length, or -1 if nul-terminated
 *
 * Returns: (transfer full): the schema, or %NULL with @error set
 */
TrbDataSchema *
trb_data_schema_new_from_json (const char  *json,
                               gssize       length,
                               GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;

  g_return_val_if_fail (json != NULL, NULL);

  if (length < 0)
    length = strnlen (json, TRB_DATA_SCHEMA_MAX_JSON + 1);
  if (length > TRB_DATA_SCHEMA_MAX_JSON)
    {
      fail (error, _("its description is too long"));
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!trb_json_parser_load_bounded (parser, json, length, NULL))
    {
      fail (error, _("its description is not valid JSON"));
      return NULL;
    }

  return trb_data_schema_new_from_node (json_parser_get_root (parser), error);
}

TrbDataKind
trb_data_schema_get_kind (TrbDataSchema *self)
{
  g_return_val_if_fail (TRB_IS_DATA_SCHEMA (self), TRB_DATA_KIND_IMAGE);
  return self->kind;
}

const TrbSampleShape *
trb_data_schema_get_shape (TrbDataSchema *self)
{
  g_return_val_if_fail (TRB_IS_DATA_SCHEMA (self), NULL);
  return &self->shape;
}

guint
trb_data_schema_get_n_classes (TrbDataSchema *self)
{
  g_return_val_if_fail (TRB_IS_DATA_SCHEMA (self), 0);
  return self->n_classes;
}

const char * const *
trb_data_schema_get_class_names (TrbDataSchema *self)
{
  g_return_val_if_fail (TRB_IS_DATA_SCHEMA (self), NULL);
  return (const char * const *)self->class_names;
}

gboolean
trb_data_schema_get_value_range (TrbDataSchema *self,
                                 double        *min,
                                 double        *max)
{
  g_return_val_if_fail (TRB_IS_DATA_SCHEMA (self), FALSE);

  if (min != NULL)
    *min = self->range_min;
  if (max != NULL)
    *max = self->range_max;
  return self->has_range;
}

/**
 * trb_data_schema_fill_options:
 * @format: the dataset's format
 * @options: (inout): reading options to complete; strings stay owned by @self
 *
 * Sets the conversions the readers can do for this schema: picture size and channels for
 * image folders, class names for named classes.
 */
void
trb_data_schema_fill_options (TrbDataSchema     *self,
                              TrbDatasetFormat   format,
                              TrbDatasetOptions *options)
{
  g_return_if_fail (TRB_IS_DATA_SCHEMA (self));
  g_return_if_fail (options != NULL);

  if (self->kind == TRB_DATA_KIND_IMAGE && format == TRB_DATASET_FORMAT_IMAGE_FOLDER)
    {
      options->channels = self->shape.channels;
      options->height = self->shape.height;
      options->width = self->shape.width;
    }
  if (format != TRB_DATASET_FORMAT_IDX)
    options->class_names = (const char * const *)self->class_names;
}

const char *
trb_schema_verdict_to_string (TrbSchemaVerdict verdict)
{
  switch (verdict)
    {
    case TRB_SCHEMA_VERDICT_USABLE:
      return _("Usable");
    case TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES:
      return _("Usable with changes");
    case TRB_SCHEMA_VERDICT_UNUSABLE:
    default:
      return _("Not usable");
    }
}

static void
worsen (TrbSchemaVerdict *verdict,
        TrbSchemaVerdict  to)
{
  if (to > *verdict)
    *verdict = to;
}

static void
add (GPtrArray  *problems,
     char       *text)
{
  g_ptr_array_add (problems, text);
}

/* Each picture size other than the network's: resized when the reader @converts pictures,
 * else a reason the dataset cannot be used. */
static void
check_image_sizes (TrbDataSchema    *self,
                   TrbDatasetReport *report,
                   gboolean          converts,
                   GPtrArray        *problems,
                   TrbSchemaVerdict *verdict)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, trb_dataset_report_get_size_counts (report));
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint count = GPOINTER_TO_UINT (value);
      guint w = 0;
      guint h = 0;

      if (sscanf (key, "%ux%u", &w, &h) != 2 ||
          (w == self->shape.width && h == self->shape.height))
        continue;

      if (converts)
        {
          add (problems, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                       /* Translators: the number of pictures, their
                                                        * width and height, then the width and
                                                        * height the network needs. */
                                                       "%u picture is %u×%u; this network "
                                                       "needs %u×%u: it will be resized.",
                                                       "%u pictures are %u×%u; this network "
                                                       "needs %u×%u: they will be resized.",
                                                       count),
                                          count, w, h, self->shape.width, self->shape.height));
          worsen (verdict, TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES);
        }
      else
        {
          /* Translators: the pictures' width and height, then the width and height the network
           * needs. */
          add (problems, g_strdup_printf (_("These pictures are %u×%u; this network needs "
                                            "%u×%u."),
                                          w, h, self->shape.width, self->shape.height));
          worsen (verdict, TRB_SCHEMA_VERDICT_UNUSABLE);
        }
    }
}

static void
check_images (TrbDataSchema    *self,
              TrbDatasetReport *report,
              GPtrArray        *problems,
              TrbSchemaVerdict *verdict)
{
  TrbDatasetFormat format = trb_dataset_report_get_format (report);
  const TrbSampleShape *shape = trb_dataset_report_get_shape (report);
  gboolean converts = format == TRB_DATASET_FORMAT_IMAGE_FOLDER;

  if (format == TRB_DATASET_FORMAT_CSV)
    {
      add (problems, g_strdup (_("This network learns from pictures, but this dataset is a "
                                 "table of numbers.")));
      worsen (verdict, TRB_SCHEMA_VERDICT_UNUSABLE);
      return;
    }

  check_image_sizes (self, report, converts, problems, verdict);

  if (self->shape.channels == 1 && trb_dataset_report_get_n_colour (report) > 0)
    {
      guint64 n = trb_dataset_report_get_n_colour (report);

      if (converts)
        {
          add (problems, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                       "%llu picture is in "
                                                       "colour; this network uses black and "
                                                       "white: it will be converted.",
                                                       "%llu pictures are in "
                                                       "colour; this network uses black and "
                                                       "white: they will be converted.", n),
                                          (unsigned long long) n));
          worsen (verdict, TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES);
        }
      else
        {
          add (problems, g_strdup (_("These pictures are in colour; this network uses black "
                                     "and white.")));
          worsen (verdict, TRB_SCHEMA_VERDICT_UNUSABLE);
        }
    }
  else if (!converts && shape->channels != self->shape.channels)
    {
      add (problems, g_strdup (_("These pictures are black and white; this network needs "
                                 "colour pictures.")));
      worsen (verdict, TRB_SCHEMA_VERDICT_UNUSABLE);
    }
}

static void
check_table (TrbDataSchema    *self,
             TrbDatasetReport *report,
             GPtrArray        *problems,
             TrbSchemaVerdict *verdict)
{
  const TrbSampleShape *shape = trb_dataset_report_get_shape (report);
  double lo, hi;

  if (trb_dataset_report_get_format (report) != TRB_DATASET_FORMAT_CSV)
    {
      add (problems, g_strdup (_("This network learns from tables of numbers, but this "
                                 "dataset holds pictures.")));
      worsen (verdict, TRB_SCHEMA_VERDICT_UNUSABLE);
      return;
    }

  if (shape->width != self->shape.width)
    {
      add (problems, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                   /* Translators: the table's columns of
                                                    * numbers, then the number the network
                                                    * needs. */
                                                   "The table has %u column of numbers besides "
                                                   "the labels; this network needs %u.",
                                                   "The table has %u columns of numbers besides "
                                                   "the labels; this network needs %u.",
                                                   shape->width),
                                      shape->width, self->shape.width));
      worsen (verdict, TRB_SCHEMA_VERDICT_UNUSABLE);
    }

  trb_dataset_report_get_value_range (report, &lo, &hi);
  if (self->has_range && (lo < self->range_min || hi > self->range_max))
    {
      /* Translators: the lowest and highest values found, then those the network expects. */
      add (problems, g_strdup_printf (_("Values range from %g to %g, but this network expects "
                                        "%g to %g: they will be limited to that range."),
                                      lo, hi, self->range_min, self->range_max));
      worsen (verdict, TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES);
    }
}

/**
 * trb_data_schema_check:
 * @report: what a scan of the dataset found (read with trb_data_schema_fill_options())
 * @problems: (out) (transfer full) (element-type utf8): what does not fit, in plain words
 *
 * Returns: whether the network can learn from the dataset
 */
TrbSchemaVerdict
trb_data_schema_check (TrbDataSchema     *self,
                       TrbDatasetReport  *report,
                       GPtrArray        **problems)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  TrbSchemaVerdict verdict = TRB_SCHEMA_VERDICT_USABLE;
  guint64 n_samples;
  guint64 skipped;
  guint64 unknown = 0;
  guint64 n_missing = 0;
  const guint64 *histogram;
  guint n_classes;

  g_return_val_if_fail (TRB_IS_DATA_SCHEMA (self), TRB_SCHEMA_VERDICT_UNUSABLE);
  g_return_val_if_fail (TRB_IS_DATASET_REPORT (report), TRB_SCHEMA_VERDICT_UNUSABLE);

  if (self->kind == TRB_DATA_KIND_IMAGE)
    check_images (self, report, list, &verdict);
  else
    check_table (self, report, list, &verdict);

  n_samples = trb_dataset_report_get_n_samples (report);
  n_classes = trb_dataset_report_get_n_classes (report);
  histogram = trb_dataset_report_get_histogram (report);

  for (guint i = self->n_classes; i < n_classes; i++)
    unknown += histogram[i];
  if (unknown > 0)
    {
      add (list, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               /* Translators: the number of samples, then the
                                                * number of classes the network knows. */
                                               "%llu sample has a label this "
                                               "network does not know (it knows %u classes): "
                                               "it will be left out.",
                                               "%llu samples have labels this "
                                               "network does not know (it knows %u classes): "
                                               "they will be left out.", unknown),
                                  (unsigned long long) unknown, self->n_classes));
      worsen (&verdict, unknown >= n_samples ? TRB_SCHEMA_VERDICT_UNUSABLE
                                             : TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES);
    }

  for (guint i = 0; i < self->n_classes; i++)
    if (i >= n_classes || histogram[i] == 0)
      n_missing++;
  if (n_missing > 0 && n_missing < self->n_classes)
    add (list, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             /* Translators: how many classes have no sample, and
                                              * how many the network knows, which chooses the plural
                                              * form. */
                                             "There are no samples of %llu of the %u class; "
                                             "the network will learn little about it.",
                                             "There are no samples of %llu of the %u "
                                             "classes; the network will learn little about "
                                             "those.", self->n_classes),
                                (unsigned long long) n_missing, self->n_classes));

  skipped = trb_dataset_report_get_n_skipped (report);
  if (skipped > 0)
    {
      add (list, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "%llu sample cannot be read and "
                                               "will be left out.",
                                               "%llu samples cannot be read "
                                               "and will be left out.", skipped),
                                  (unsigned long long) skipped));
      worsen (&verdict, TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES);
    }

  if (n_samples == 0 || unknown >= n_samples)
    {
      add (list, g_strdup (_("No sample can be used for this network.")));
      worsen (&verdict, TRB_SCHEMA_VERDICT_UNUSABLE);
    }

  if (problems != NULL)
    *problems = g_steal_pointer (&list);
  return verdict;
}

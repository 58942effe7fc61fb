/* trb-model-spec.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Parses the JSON model spec into a layer graph, infers every shape, and names the parameters.
 * Everything here comes from the network, so each value is range-checked and each mistake is
 * explained in words a person who wrote the spec by hand can act on.
 */

#define G_LOG_DOMAIN "trb-model-spec"

#include "config.h"

#include "trb-model-spec.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "compute/trb-philox.h"
#include "trb-json.h"

struct _TrbModelSpec
{
  GObject         parent_instance;

  char           *json;
  char           *digest;
  TrbFeatureType  input_type;
  double          input_scale;
  gboolean        input_type_named;
  int             in_c, in_h, in_w;
  gboolean        in_flat;
  GArray         *layers;   /* TrbLayer */
  GPtrArray      *param_names;
  GArray         *param_shapes;   /* 4 × gsize per parameter, plus n_dims in a side array */
  GArray         *param_n_dims;   /* guint */
  GArray         *param_fan_in;   /* gsize */
  gsize           n_parameters;
  gsize           max_activations;
};

G_DEFINE_FINAL_TYPE (TrbModelSpec, trb_model_spec, G_TYPE_OBJECT)

static void
clear_layer (gpointer data)
{
  TrbLayer *layer = data;
  g_free (layer->name);
}

static void
trb_model_spec_finalize (GObject *object)
{
  TrbModelSpec *self = (TrbModelSpec *)object;

  g_free (self->json);
  g_free (self->digest);
  g_clear_pointer (&self->layers, g_array_unref);
  g_clear_pointer (&self->param_names, g_ptr_array_unref);
  g_clear_pointer (&self->param_shapes, g_array_unref);
  g_clear_pointer (&self->param_n_dims, g_array_unref);
  g_clear_pointer (&self->param_fan_in, g_array_unref);

  G_OBJECT_CLASS (trb_model_spec_parent_class)->finalize (object);
}

static void
trb_model_spec_class_init (TrbModelSpecClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_model_spec_finalize;
}

static void
trb_model_spec_init (TrbModelSpec *self)
{
  self->layers = g_array_new (FALSE, TRUE, sizeof (TrbLayer));
  g_array_set_clear_func (self->layers, clear_layer);
  self->param_names = g_ptr_array_new_with_free_func (g_free);
  self->param_shapes = g_array_new (FALSE, TRUE, sizeof (gsize));
  self->param_n_dims = g_array_new (FALSE, TRUE, sizeof (guint));
  self->param_fan_in = g_array_new (FALSE, TRUE, sizeof (gsize));
}

static gboolean G_GNUC_PRINTF (2, 3)
spec_error (GError     **error,
            const char  *format,
            ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_SPEC,
               /* Translators: %s explains what is wrong with the model description. */
               _("The model description is not usable: %s"), detail);
  return FALSE;
}

/* Reads an optional whole number member within [min, max]; FALSE with an error otherwise. */
static gboolean
get_int (JsonObject  *obj,
         const char  *member,
         int          fallback,
         int          min,
         int          max,
         int         *out,
         guint        layer,
         GError     **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  gint64 v;

  if (node == NULL)
    {
      if (fallback < min)
        /* Translators: the layer's position in the model, then the name of a setting. */
        return spec_error (error, _("layer %u needs a “%s” value."), layer + 1, member);
      *out = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    /* Translators: the name of a setting, then the layer's position in the model. */
    return spec_error (error, _("“%s” of layer %u must be a whole number."), member, layer + 1);
  v = json_node_get_int (node);
  if (v < min || v > max)
    /* Translators: the name of a setting, the layer's position, then the lowest and highest values
     * allowed. */
    return spec_error (error, _("“%s” of layer %u must be between %d and %d."),
                       member, layer + 1, min, max);
  *out = (int) v;
  return TRUE;
}

/* "kernel": n or [h, w] */
static gboolean
get_pair (JsonObject  *obj,
          const char  *member,
          int          fallback,
          int          min,
          int         *h,
          int         *w,
          guint        layer,
          GError     **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      JsonNode *nh, *nw;

      if (json_array_get_length (a) != 2)
        /* Translators: the name of a setting, then the layer's position in the model. */
        return spec_error (error, _("“%s” of layer %u must be a number or two numbers."),
                           member, layer + 1);
      nh = json_array_get_element (a, 0);
      nw = json_array_get_element (a, 1);
      if (json_node_get_value_type (nh) != G_TYPE_INT64 ||
          json_node_get_value_type (nw) != G_TYPE_INT64 ||
          json_node_get_int (nh) < min || json_node_get_int (nh) > 1024 ||
          json_node_get_int (nw) < min || json_node_get_int (nw) > 1024)
        /* Translators: the name of a setting, the layer's position, then the lowest value allowed.
         * */
        return spec_error (error, _("“%s” of layer %u must hold whole numbers from %d to 1024."),
                           member, layer + 1, min);
      *h = (int) json_node_get_int (nh);
      *w = (int) json_node_get_int (nw);
      return TRUE;
    }
  if (!get_int (obj, member, fallback, min, 1024, h, layer, error))
    return FALSE;
  *w = *h;
  return TRUE;
}

static void
add_param (TrbModelSpec *self,
           const char   *layer_name,
           const char   *suffix,
           guint         n_dims,
           const gsize  *shape,
           gsize         fan_in)
{
  gsize n = 1;

  g_ptr_array_add (self->param_names, g_strdup_printf ("%s.%s", layer_name, suffix));
  for (guint d = 0; d < 4; d++)
    {
      gsize v = d < n_dims ? shape[d] : 1;
      g_array_append_val (self->param_shapes, v);
      n *= v;
    }
  g_array_append_val (self->param_n_dims, n_dims);
  g_array_append_val (self->param_fan_in, fan_in);
  self->n_parameters += n;
}

static gboolean
name_is_valid (const char *name)
{
  if (name[0] == '\0' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

/* ---- one parser per layer kind: each reads @obj into @layer, whose input shape is set and
 * whose output shape starts as its input's; on failure it sets @error and returns FALSE ---- */

static gboolean
parse_dense (TrbModelSpec  *self,
             JsonObject    *obj,
             guint          index,
             TrbLayer      *layer,
             GError       **error)
{
  int units;
  gsize in = (gsize) layer->in_c * layer->in_h * layer->in_w;

  if (!layer->in_flat)
    return spec_error (error, _("dense layer %u needs flat input: add a “flatten” layer before "
                                "it."), index + 1);
  if (!get_int (obj, "units", -1, 1, TRB_MODEL_SPEC_MAX_DIM, &units, index, error))
    return FALSE;
  layer->out_c = units; layer->out_h = layer->out_w = 1; layer->out_flat = TRUE;
  layer->weight_index = self->param_names->len;
  add_param (self, layer->name, "weight", 2, (gsize[]) { units, in }, in);
  layer->bias_index = self->param_names->len;
  add_param (self, layer->name, "bias", 1, (gsize[]) { units }, in);
  return TRUE;
}

/* A convolution's "padding": a number, a pair, "same" or "valid". */
static gboolean
parse_padding (JsonObject    *obj,
               guint          index,
               TrbLayer      *layer,
               GError       **error)
{
  const char *p;

  if (!json_object_has_member (obj, "padding") ||
      json_node_get_value_type (json_object_get_member (obj, "padding")) != G_TYPE_STRING)
    return get_pair (obj, "padding", 0, 0, &layer->pad_h, &layer->pad_w, index, error);
  p = json_object_get_string_member (obj, "padding");
  if (strcmp (p, "same") == 0)
    {
      if (layer->stride != 1 || layer->kernel_h % 2 == 0 || layer->kernel_w % 2 == 0)
        return spec_error (error, _("“same” padding of layer %u needs stride 1 and an odd "
                                    "kernel size."), index + 1);
      layer->pad_h = layer->kernel_h / 2;
      layer->pad_w = layer->kernel_w / 2;
      return TRUE;
    }
  if (strcmp (p, "valid") == 0)
    {
      layer->pad_h = layer->pad_w = 0;
      return TRUE;
    }
  return spec_error (error, _("padding of layer %u must be a number, “same” or “valid”."),
                     index + 1);
}

static gboolean
parse_conv2d (TrbModelSpec  *self,
              JsonObject    *obj,
              guint          index,
              TrbLayer      *layer,
              GError       **error)
{
  int filters, oh, ow, c = layer->in_c, h = layer->in_h, w = layer->in_w;
  gsize fan_in;

  if (layer->in_flat)
    return spec_error (error, _("conv2d layer %u needs image-shaped input (channels, height, "
                                "width), but its input is flat."), index + 1);
  if (!get_int (obj, "filters", -1, 1, 4096, &filters, index, error) ||
      !get_pair (obj, "kernel", -1, 1, &layer->kernel_h, &layer->kernel_w, index, error) ||
      !get_int (obj, "stride", 1, 1, 64, &layer->stride, index, error) ||
      !parse_padding (obj, index, layer, error))
    return FALSE;
  if (layer->pad_h >= layer->kernel_h || layer->pad_w >= layer->kernel_w)
    return spec_error (error, _("padding of layer %u must be smaller than its kernel."),
                       index + 1);
  oh = (h + 2 * layer->pad_h - layer->kernel_h);
  ow = (w + 2 * layer->pad_w - layer->kernel_w);
  if (oh < 0 || ow < 0)
    /* Translators: the layer's position, the kernel's width and height, then the input's
     * width and height. */
    return spec_error (error, _("the kernel of layer %u (%d×%d) is larger than its input "
                                "(%d×%d)."), index + 1, layer->kernel_h, layer->kernel_w, h, w);
  layer->out_c = filters;
  layer->out_h = oh / layer->stride + 1;
  layer->out_w = ow / layer->stride + 1;
  fan_in = (gsize) c * layer->kernel_h * layer->kernel_w;
  layer->weight_index = self->param_names->len;
  add_param (self, layer->name, "weight", 4,
             (gsize[]) { filters, c, layer->kernel_h, layer->kernel_w }, fan_in);
  layer->bias_index = self->param_names->len;
  add_param (self, layer->name, "bias", 1, (gsize[]) { filters }, fan_in);
  return TRUE;
}

static gboolean
parse_maxpool2d (TrbModelSpec  *self,
                 JsonObject    *obj,
                 guint          index,
                 TrbLayer      *layer,
                 GError       **error)
{
  int sh, sw;

  if (layer->in_flat)
    return spec_error (error, _("maxpool2d layer %u needs image-shaped input, but its input is "
                                "flat."), index + 1);
  if (!get_pair (obj, "kernel", -1, 1, &layer->kernel_h, &layer->kernel_w, index, error) ||
      !get_pair (obj, "stride", layer->kernel_h, 1, &sh, &sw, index, error))
    return FALSE;
  if (sh != sw)
    return spec_error (error, _("maxpool2d layer %u must use the same stride both ways."),
                       index + 1);
  if (json_object_has_member (obj, "stride") == FALSE && layer->kernel_h != layer->kernel_w)
    sh = layer->kernel_h;
  layer->stride = sh;
  if (layer->kernel_h > layer->in_h || layer->kernel_w > layer->in_w)
    return spec_error (error, _("the pooling window of layer %u is larger than its input."),
                       index + 1);
  layer->out_h = (layer->in_h - layer->kernel_h) / layer->stride + 1;
  layer->out_w = (layer->in_w - layer->kernel_w) / layer->stride + 1;
  return TRUE;
}

static gboolean
parse_flatten (TrbModelSpec  *self,
               JsonObject    *obj,
               guint          index,
               TrbLayer      *layer,
               GError       **error)
{
  layer->out_c = layer->in_c * layer->in_h * layer->in_w;
  layer->out_h = layer->out_w = 1;
  layer->out_flat = TRUE;
  return TRUE;
}

static gboolean
parse_dropout (TrbModelSpec  *self,
               JsonObject    *obj,
               guint          index,
               TrbLayer      *layer,
               GError       **error)
{
  JsonNode *r = json_object_get_member (obj, "rate");

  if (r == NULL || !JSON_NODE_HOLDS_VALUE (r) ||
      (json_node_get_value_type (r) != G_TYPE_DOUBLE &&
       json_node_get_value_type (r) != G_TYPE_INT64) ||
      !(json_node_get_double (r) >= 0 && json_node_get_double (r) < 1))
    return spec_error (error, _("dropout layer %u needs a “rate” from 0 up to (not including) "
                                "1."), index + 1);
  layer->rate = json_node_get_double (r);
  return TRUE;
}

static const struct
{
  const char   *type;
  TrbLayerKind  kind;
  gboolean    (*parse) (TrbModelSpec  *self,
                        JsonObject    *obj,
                        guint          index,
                        TrbLayer      *layer,
                        GError       **error);
} layer_parsers[] = {
  { "dense", TRB_LAYER_DENSE, parse_dense },
  { "conv2d", TRB_LAYER_CONV2D, parse_conv2d },
  { "maxpool2d", TRB_LAYER_MAXPOOL2D, parse_maxpool2d },
  { "relu", TRB_LAYER_RELU, NULL },   /* nothing to read */
  { "flatten", TRB_LAYER_FLATTEN, parse_flatten },
  { "dropout", TRB_LAYER_DROPOUT, parse_dropout },
};

/* The layer's "name", or layers.<index>; NULL with @error set if it is not valid or taken. */
static char *
parse_layer_name (TrbModelSpec  *self,
                  JsonObject    *obj,
                  guint          index,
                  GError       **error)
{
  g_autofree char *name = NULL;

  if (json_object_has_member (obj, "name"))
    {
      JsonNode *n = json_object_get_member (obj, "name");

      if (json_node_get_value_type (n) != G_TYPE_STRING ||
          !name_is_valid (json_node_get_string (n)))
        {
          spec_error (error, _("the name of layer %u must be 1 to 64 letters, digits, "
                               "dots, dashes or underscores."), index + 1);
          return NULL;
        }
      name = g_strdup (json_node_get_string (n));
    }
  else
    name = g_strdup_printf ("layers.%u", index);
  for (guint i = 0; i < self->layers->len; i++)
    if (strcmp (g_array_index (self->layers, TrbLayer, i).name, name) == 0)
      {
        spec_error (error, _("two layers are called “%s”."), name);
        return NULL;
      }
  return g_steal_pointer (&name);
}

/* Reads layer @index, whose input has the shape (*@c, *@h, *@w) or is flat, and sets that
 * shape to the layer's output. */
static gboolean
parse_layer (TrbModelSpec  *self,
             JsonNode      *node,
             guint          index,
             int           *c,
             int           *h,
             int           *w,
             gboolean      *flat,
             GError       **error)
{
  JsonObject *obj;
  const char *type;
  TrbLayer layer = { 0 };
  gsize out_size;
  guint p;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return spec_error (error, _("layer %u is not an object."), index + 1);
  obj = json_node_get_object (node);
  if (json_object_get_member (obj, "type") == NULL ||
      json_node_get_value_type (json_object_get_member (obj, "type")) != G_TYPE_STRING)
    return spec_error (error, _("layer %u has no “type”."), index + 1);
  type = json_object_get_string_member (obj, "type");
  if ((layer.name = parse_layer_name (self, obj, index, error)) == NULL)
    return FALSE;

  layer.in_c = *c; layer.in_h = *h; layer.in_w = *w; layer.in_flat = *flat;
  layer.out_c = *c; layer.out_h = *h; layer.out_w = *w; layer.out_flat = *flat;
  layer.weight_index = layer.bias_index = -1;
  layer.stride = 1;
  for (p = 0; p < G_N_ELEMENTS (layer_parsers); p++)
    if (strcmp (type, layer_parsers[p].type) == 0)
      break;
  if (p == G_N_ELEMENTS (layer_parsers))
    {
      /* Translators: the layer's position, then the type found; the known types are names, keep
       * them as they are. */
      spec_error (error, _("layer %u has the unknown type “%s” (known: dense, conv2d, maxpool2d, "
                           "relu, flatten, dropout)."), index + 1, type);
      g_free (layer.name);
      return FALSE;
    }
  layer.kind = layer_parsers[p].kind;
  if (layer_parsers[p].parse != NULL &&
      !layer_parsers[p].parse (self, obj, index, &layer, error))
    {
      g_free (layer.name);
      return FALSE;
    }

  out_size = (gsize) layer.out_c * layer.out_h * layer.out_w;
  if (out_size > TRB_MODEL_SPEC_MAX_ACTIVATIONS)
    {
      g_free (layer.name);
      return spec_error (error, _("layer %u produces too many values."), index + 1);
    }
  self->max_activations = MAX (self->max_activations, out_size);
  *c = layer.out_c; *h = layer.out_h; *w = layer.out_w; *flat = layer.out_flat;
  g_array_append_val (self->layers, layer);
  return TRUE;
}

/* The "format" and "version" members. */
static gboolean
check_format (JsonObject  *root,
              GError     **error)
{
  if (g_strcmp0 (trb_json_get_string (root, "format", ""),
                 "tributary-model") != 0)
    return spec_error (error, _("“format” must be “tributary-model”."));
  if (json_object_get_member (root, "version") == NULL ||
      json_node_get_value_type (json_object_get_member (root, "version")) != G_TYPE_INT64)
    return spec_error (error, _("it has no “version”."));
  if (json_object_get_int_member (root, "version") != 1)
    {
      g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                  json_object_get_int_member (root, "version"));

      /* Translators: %s is a version number */
      return spec_error (error, _("it uses version %s, but this version of Tributary "
                                  "understands only version 1. Look for an update."),
                         version);
    }
  return TRUE;
}

/* The input's "shape": [features] or [channels, height, width]. */
static gboolean
parse_input_shape (TrbModelSpec  *self,
                   JsonObject    *input,
                   GError       **error)
{
  JsonNode *node = json_object_get_member (input, "shape");
  JsonArray *shape;
  int c, h = 1, w = 1;
  gboolean flat;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return spec_error (error, _("the input has no “shape”."));
  shape = json_node_get_array (node);
  if (json_array_get_length (shape) != 1 && json_array_get_length (shape) != 3)
    return spec_error (error, _("the input shape must be [features] or [channels, height, "
                                "width]."));
  for (guint i = 0; i < json_array_get_length (shape); i++)
    {
      JsonNode *d = json_array_get_element (shape, i);
      if (json_node_get_value_type (d) != G_TYPE_INT64 || json_node_get_int (d) < 1 ||
          json_node_get_int (d) > TRB_MODEL_SPEC_MAX_DIM)
        return spec_error (error, _("the input shape must hold whole numbers from 1 to %d."),
                           TRB_MODEL_SPEC_MAX_DIM);
    }
  flat = json_array_get_length (shape) == 1;
  c = (int) json_array_get_int_element (shape, 0);
  if (!flat)
    {
      h = (int) json_array_get_int_element (shape, 1);
      w = (int) json_array_get_int_element (shape, 2);
    }
  if ((gsize) c * h * w > TRB_MODEL_SPEC_MAX_ACTIVATIONS)
    return spec_error (error, _("the input is too large."));
  self->in_c = c; self->in_h = h; self->in_w = w; self->in_flat = flat;
  self->max_activations = (gsize) c * h * w;
  return TRUE;
}

/* The input's "dtype" and "scale". */
static gboolean
parse_input_type (TrbModelSpec  *self,
                  JsonObject    *input,
                  GError       **error)
{
  /* Missing means f32; anything but one of the two strings is refused. */
  const char *dtype = json_object_get_member (input, "dtype") == NULL ? "f32" :
                      trb_json_get_string (input, "dtype", NULL);
  JsonNode *node;

  self->input_type_named = json_object_get_member (input, "dtype") != NULL;
  if (g_strcmp0 (dtype, "u8") == 0)
    self->input_type = TRB_FEATURE_U8;
  else if (g_strcmp0 (dtype, "f32") == 0)
    self->input_type = TRB_FEATURE_F32;
  else
    return spec_error (error, _("the input type must be “u8” or “f32”."));
  node = json_object_get_member (input, "scale");
  self->input_scale = 1.0 / 255.0;
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) ||
          (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
           json_node_get_value_type (node) != G_TYPE_INT64) ||
          !isfinite (json_node_get_double (node)) || json_node_get_double (node) <= 0)
        return spec_error (error, _("the input “scale” must be a positive number."));
      self->input_scale = json_node_get_double (node);
    }
  return TRUE;
}

static gboolean
parse_input (TrbModelSpec  *self,
             JsonObject    *root,
             GError       **error)
{
  JsonNode *node = json_object_get_member (root, "input");

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return spec_error (error, _("it has no “input” description."));
  return parse_input_shape (self, json_node_get_object (node), error) &&
         parse_input_type (self, json_node_get_object (node), error);
}

/* The "layers", each taking the shape the one before gives, then what the last one gives. */
static gboolean
parse_layers (TrbModelSpec  *self,
              JsonObject    *root,
              GError       **error)
{
  JsonNode *node = json_object_get_member (root, "layers");
  JsonArray *layers;
  int c = self->in_c, h = self->in_h, w = self->in_w;
  gboolean flat = self->in_flat;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (json_node_get_array (node)) == 0)
    return spec_error (error, _("it has no “layers”."));
  layers = json_node_get_array (node);
  if (json_array_get_length (layers) > TRB_MODEL_SPEC_MAX_LAYERS)
    return spec_error (error, g_dngettext (GETTEXT_PACKAGE, "it has more than %d layer.",
                                           "it has more than %d layers.",
                                           TRB_MODEL_SPEC_MAX_LAYERS),
                       TRB_MODEL_SPEC_MAX_LAYERS);
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      if (!parse_layer (self, json_array_get_element (layers, i), i, &c, &h, &w, &flat, error))
        return FALSE;
      if (self->n_parameters > TRB_MODEL_SPEC_MAX_PARAMS)
        return spec_error (error, g_dngettext (GETTEXT_PACKAGE,
                                               "the model has more than %d parameter.",
                                               "the model has more than %d parameters.",
                                               TRB_MODEL_SPEC_MAX_PARAMS),
                           TRB_MODEL_SPEC_MAX_PARAMS);
    }
  if (!flat)
    return spec_error (error, _("the last layer must give one score per class: end with a "
                                "flatten or dense layer."));
  if (c < 2)
    return spec_error (error, _("the model must tell apart at least two classes."));
  return TRUE;
}

TrbModelSpec *
trb_model_spec_new_from_json (const char  *json,
                              gssize       length,
                              GError     **error)
{
  g_autoptr(TrbModelSpec) self = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;
  JsonNode *node;

  g_return_val_if_fail (json != NULL, NULL);

  if (length < 0)
    length = strlen (json);
  if (length > TRB_MODEL_SPEC_MAX_JSON)
    return spec_error (error, _("it is too long.")), NULL;

  parser = json_parser_new_immutable ();
  if (!trb_json_parser_load_bounded (parser, json, length, &local_error))
    return spec_error (error, _("it is not valid JSON (%s)."), local_error->message), NULL;
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return spec_error (error, _("it is not a JSON object.")), NULL;
  root = json_node_get_object (node);
  if (!check_format (root, error))
    return NULL;

  self = g_object_new (TRB_TYPE_MODEL_SPEC, NULL);
  self->json = g_strndup (json, length);
  self->digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->json, -1);
  if (!parse_input (self, root, error) || !parse_layers (self, root, error))
    return NULL;
  if (g_strcmp0 (trb_json_get_string (root, "loss", ""),
                 "softmax_cross_entropy") != 0)
    return spec_error (error, _("“loss” must be “softmax_cross_entropy”.")), NULL;
  if (self->param_names->len == 0)
    return spec_error (error, _("the model has nothing to learn: add a dense or conv2d "
                                "layer.")), NULL;

  return g_steal_pointer (&self);
}

/* SHA-256 of the JSON text, as given. */
const char *
trb_model_spec_get_digest (TrbModelSpec *self)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), NULL);
  return self->digest;
}

guint
trb_model_spec_get_n_layers (TrbModelSpec *self)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), 0);
  return self->layers->len;
}

const TrbLayer *
trb_model_spec_get_layer (TrbModelSpec *self,
                          guint         index)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), NULL);
  g_return_val_if_fail (index < self->layers->len, NULL);
  return &g_array_index (self->layers, TrbLayer, index);
}

TrbFeatureType
trb_model_spec_get_input_type (TrbModelSpec *self)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), TRB_FEATURE_F32);
  return self->input_type;
}

/**
 * trb_model_spec_names_input_type:
 * @self: a model spec
 *
 * Returns: whether the spec names its `input.dtype`; data of the other type is then refused
 *   (trb_data_source_check()), where a spec that names none takes either
 */
gboolean
trb_model_spec_names_input_type (TrbModelSpec *self)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), FALSE);
  return self->input_type_named;
}

/**
 * trb_model_spec_get_input_scale:
 * @self: a model spec
 *
 * Returns: the factor byte features are multiplied by before the first layer: `input.scale`,
 *   1/255 when the spec names none
 */
double
trb_model_spec_get_input_scale (TrbModelSpec *self)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), 1.0 / 255.0);
  return self->input_scale;
}

gsize
trb_model_spec_get_input_size (TrbModelSpec *self)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), 0);
  return (gsize) self->in_c * self->in_h * self->in_w;
}

int
trb_model_spec_get_n_classes (TrbModelSpec *self)
{
  const TrbLayer *last;

  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), 0);
  last = &g_array_index (self->layers, TrbLayer, self->layers->len - 1);
  return last->out_c * last->out_h * last->out_w;
}

gsize
trb_model_spec_get_n_parameters (TrbModelSpec *self)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), 0);
  return self->n_parameters;
}

/* The largest activation of one sample, input included. */
gsize
trb_model_spec_get_max_activations (TrbModelSpec *self)
{
  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), 0);
  return self->max_activations;
}

/**
 * trb_model_spec_init_weights:
 *
 * Every parameter is drawn from U(−1/√fan_in, 1/√fan_in), PyTorch's default for linear and
 * convolution layers, with Philox keyed by @seed: element k of parameter i is a pure function
 * of (seed, i, k), so every executor and every machine starts from the same bits.
 */
TrbWeights *
trb_model_spec_init_weights (TrbModelSpec *self,
                             guint64       seed)
{
  TrbWeights *weights;

  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), NULL);

  weights = trb_weights_new ();
  for (guint i = 0; i < self->param_names->len; i++)
    {
      guint n_dims = g_array_index (self->param_n_dims, guint, i);
      const gsize *shape = &g_array_index (self->param_shapes, gsize, 4 * i);
      double bound = 1.0 / sqrt ((double) g_array_index (self->param_fan_in, gsize, i));
      float *data = trb_weights_add (weights, g_ptr_array_index (self->param_names, i),
                                     n_dims, shape);
      gsize n = trb_weights_get_n_elements (weights, i);

      for (gsize k = 0; k < n; k++)
        data[k] = (float) (bound * (2.0 * trb_philox_uniform (seed, i, k) - 1.0));
    }
  trb_weights_set_metadata (weights, "format", "pt");
  return weights;
}

/**
 * trb_model_spec_conform_weights:
 *
 * Checks that @weights hold exactly the parameters of this model with the right shapes, in any
 * order, and returns a copy in the model's order. Non-finite values are rejected too.
 */
TrbWeights *
trb_model_spec_conform_weights (TrbModelSpec  *self,
                                TrbWeights    *weights,
                                GError       **error)
{
  g_autoptr(TrbWeights) out = NULL;

  g_return_val_if_fail (TRB_IS_MODEL_SPEC (self), NULL);
  g_return_val_if_fail (TRB_IS_WEIGHTS (weights), NULL);

  if (trb_weights_get_n_tensors (weights) != self->param_names->len)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the number of tensors in the weights file, which
                                 * chooses the plural form, then the number the model needs. */
                                "The model weights hold %u tensor, but the model needs %u.",
                                "The model weights hold %u tensors, but the model needs %u.",
                                trb_weights_get_n_tensors (weights)),
                   trb_weights_get_n_tensors (weights), self->param_names->len);
      return NULL;
    }
  out = trb_weights_new ();
  for (guint i = 0; i < self->param_names->len; i++)
    {
      const char *name = g_ptr_array_index (self->param_names, i);
      guint n_dims = g_array_index (self->param_n_dims, guint, i);
      const gsize *shape = &g_array_index (self->param_shapes, gsize, 4 * i);
      int j = trb_weights_lookup (weights, name);
      gboolean same;
      float *dst;

      if (j < 0)
        {
          g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                       _("The model weights lack “%s”."), name);
          return NULL;
        }
      same = trb_weights_get_n_dims (weights, j) == n_dims;
      for (guint d = 0; same && d < n_dims; d++)
        same = trb_weights_get_shape (weights, j)[d] == shape[d];
      if (!same)
        {
          g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                       _("The model weights “%s” have the wrong shape for this model."), name);
          return NULL;
        }
      dst = trb_weights_add (out, name, n_dims, shape);
      memcpy (dst, trb_weights_get_data (weights, j),
              trb_weights_get_n_elements (weights, j) * sizeof (float));
    }
  if (!trb_weights_all_finite (out))
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("The model weights contain invalid numbers (infinity or NaN)."));
      return NULL;
    }
  return g_steal_pointer (&out);
}

const char *
trb_model_spec_json_2nn (void)
{
  return "{\"format\":\"tributary-model\",\"version\":1,"
         "\"input\":{\"shape\":[784],\"dtype\":\"u8\"},"
         "\"layers\":[{\"type\":\"dense\",\"name\":\"fc1\",\"units\":200},{\"type\":\"relu\"},"
         "{\"type\":\"dense\",\"name\":\"fc2\",\"units\":200},{\"type\":\"relu\"},"
         "{\"type\":\"dense\",\"name\":\"fc3\",\"units\":10}],"
         "\"loss\":\"softmax_cross_entropy\"}";
}

const char *
trb_model_spec_json_fedavg_cnn (void)
{
  return "{\"format\":\"tributary-model\",\"version\":1,"
         "\"input\":{\"shape\":[1,28,28],\"dtype\":\"u8\"},"
         "\"layers\":["
         "{\"type\":\"conv2d\",\"name\":\"conv1\",\"filters\":32,\"kernel\":5,"
         "\"padding\":\"same\"},{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"kernel\":2},"
         "{\"type\":\"conv2d\",\"name\":\"conv2\",\"filters\":64,\"kernel\":5,"
         "\"padding\":\"same\"},{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"kernel\":2},"
         "{\"type\":\"flatten\"},"
         "{\"type\":\"dense\",\"name\":\"fc1\",\"units\":512},{\"type\":\"relu\"},"
         "{\"type\":\"dense\",\"name\":\"fc2\",\"units\":10}],"
         "\"loss\":\"softmax_cross_entropy\"}";
}

const char *
trb_model_spec_json_niid_cnn (void)
{
  return "{\"format\":\"tributary-model\",\"version\":1,"
         "\"input\":{\"shape\":[1,28,28],\"dtype\":\"u8\"},"
         "\"layers\":["
         "{\"type\":\"conv2d\",\"name\":\"conv1\",\"filters\":6,\"kernel\":5},{\"type\":\"relu\"},"
         "{\"type\":\"maxpool2d\",\"kernel\":2},"
         "{\"type\":\"conv2d\",\"name\":\"conv2\",\"filters\":16,\"kernel\":5},"
         "{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"kernel\":2},"
         "{\"type\":\"flatten\"},"
         "{\"type\":\"dense\",\"name\":\"fc1\",\"units\":120},{\"type\":\"relu\"},"
         "{\"type\":\"dense\",\"name\":\"fc2\",\"units\":84},{\"type\":\"relu\"},"
         "{\"type\":\"dense\",\"name\":\"fc3\",\"units\":10}],"
         "\"loss\":\"softmax_cross_entropy\"}";
}

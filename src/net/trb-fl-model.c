/* trb-fl-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-fl-model"

#include "config.h"

#include "trb-fl-model.h"

#include <glib/gi18n.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

G_DEFINE_QUARK (trb-fl-model-error-quark, trb_fl_model_error)

/**
 * trb_fl_model_new_from_spec:
 * @spec: the `model` object of a task (docs/protocol.md, section 7)
 * @error: return location for a #TrbFlModelError
 *
 * Returns: (transfer full): the model layout, or %NULL if @spec is not a supported model
 */
TrbFlModel *
trb_fl_model_new_from_spec (JsonObject  *spec,
                            GError     **error)
{
  g_autoptr(TrbFlModel) self = g_new0 (TrbFlModel, 1);
  JsonArray *layers;
  gint64 input;

  g_return_val_if_fail (spec != NULL, NULL);

  if (!json_object_has_member (spec, "input") || !json_object_has_member (spec, "layers") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (spec, "layers")))
    goto invalid;
  input = json_object_get_int_member_with_default (spec, "input", 0);
  layers = json_object_get_array_member (spec, "layers");
  if (input < 1 || input > TRB_FL_MODEL_MAX_UNITS)
    goto invalid;
  if (json_array_get_length (layers) < 1 || json_array_get_length (layers) > TRB_FL_MODEL_MAX_LAYERS)
    goto invalid;
  if (g_strcmp0 (json_object_get_string_member_with_default (spec, "loss",
                                                             "softmax-cross-entropy"),
                 "softmax-cross-entropy") != 0)
    goto invalid;

  self->n_layers = json_array_get_length (layers);
  self->sizes[0] = input;
  for (guint i = 0; i < self->n_layers; i++)
    {
      JsonNode *node = json_array_get_element (layers, i);
      JsonObject *layer;
      const char *activation;
      gint64 units;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        goto invalid;
      layer = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member_with_default (layer, "type", ""), "dense") != 0)
        goto invalid;
      units = json_object_get_int_member_with_default (layer, "units", 0);
      if (units < 1 || units > TRB_FL_MODEL_MAX_UNITS)
        goto invalid;
      activation = json_object_get_string_member_with_default (layer, "activation", "none");
      if (g_str_equal (activation, "relu"))
        self->relu[i] = TRUE;
      else if (!g_str_equal (activation, "none"))
        goto invalid;
      self->sizes[i + 1] = units;
      self->offsets[i] = self->n_params;
      self->n_params += (gsize) self->sizes[i] * units + units;
    }
  if (self->sizes[self->n_layers] < 2 || self->relu[self->n_layers - 1] ||
      self->n_params > TRB_FL_MODEL_MAX_PARAMS)
    goto invalid;

  return g_steal_pointer (&self);

invalid:
  g_set_error_literal (error, TRB_FL_MODEL_ERROR, TRB_FL_MODEL_ERROR_INVALID_SPEC,
                       _("The task describes a model this version cannot run."));
  return NULL;
}

void
trb_fl_model_free (TrbFlModel *self)
{
  g_free (self);
}

static guint64
next_random (guint64 *state)
{
  /* splitmix64: small, seedable and good enough for initial weights and shuffling. */
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static double
next_uniform (guint64 *state)
{
  return (next_random (state) >> 11) * (1.0 / 9007199254740992.0);
}

/**
 * trb_fl_model_init_params:
 * @self: a model
 * @seed: the seed
 *
 * Returns: (transfer full): Glorot-uniform weights and zero biases, drawn from @seed
 */
float *
trb_fl_model_init_params (TrbFlModel *self,
                          guint64     seed)
{
  float *params = g_new0 (float, self->n_params);
  guint64 state = seed;

  for (guint l = 0; l < self->n_layers; l++)
    {
      guint in = self->sizes[l];
      guint out = self->sizes[l + 1];
      double limit = sqrt (6.0 / (in + out));
      float *w = params + self->offsets[l];

      for (gsize i = 0; i < (gsize) in * out; i++)
        w[i] = (float) ((next_uniform (&state) * 2.0 - 1.0) * limit);
    }
  return params;
}

char *
trb_sha256_hex (const guint8 *data,
                gsize         len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data != NULL ? data : (const guint8 *)"",
                                      len);
}

static char *
tensor_name (guint  layer,
             gboolean bias)
{
  return g_strdup_printf ("layer%u.%s", layer, bias ? "bias" : "weight");
}

/**
 * trb_fl_model_to_safetensors:
 * @self: a model
 * @params: its parameters
 * @metadata: (nullable): string pairs for `__metadata__`
 *
 * Returns: (transfer full): the safetensors encoding of @params
 */
GBytes *
trb_fl_model_to_safetensors (TrbFlModel  *self,
                             const float *params,
                             GHashTable  *metadata)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *header = NULL;
  GByteArray *out;
  gsize header_len;
  gsize offset = 0;
  guint64 le_len;

  json_builder_begin_object (builder);
  if (metadata != NULL && g_hash_table_size (metadata) > 0)
    {
      g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (metadata),
                                           (GCompareFunc) strcmp);

      json_builder_set_member_name (builder, "__metadata__");
      json_builder_begin_object (builder);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          json_builder_set_member_name (builder, l->data);
          json_builder_add_string_value (builder, g_hash_table_lookup (metadata, l->data));
        }
      json_builder_end_object (builder);
    }
  for (guint l = 0; l < self->n_layers; l++)
    for (int b = 0; b < 2; b++)
      {
        g_autofree char *name = tensor_name (l, b);
        gsize n = b ? self->sizes[l + 1] : (gsize) self->sizes[l + 1] * self->sizes[l];

        json_builder_set_member_name (builder, name);
        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "dtype");
        json_builder_add_string_value (builder, "F32");
        json_builder_set_member_name (builder, "shape");
        json_builder_begin_array (builder);
        json_builder_add_int_value (builder, self->sizes[l + 1]);
        if (!b)
          json_builder_add_int_value (builder, self->sizes[l]);
        json_builder_end_array (builder);
        json_builder_set_member_name (builder, "data_offsets");
        json_builder_begin_array (builder);
        json_builder_add_int_value (builder, offset);
        json_builder_add_int_value (builder, offset + n * 4);
        json_builder_end_array (builder);
        json_builder_end_object (builder);
        offset += n * 4;
      }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  header = json_generator_to_data (generator, &header_len);

  out = g_byte_array_sized_new (8 + header_len + 8 + self->n_params * 4);
  /* The header is padded with spaces to a multiple of 8 so that the data is aligned. */
  le_len = GUINT64_TO_LE ((guint64) ((header_len + 7) & ~(gsize) 7));
  g_byte_array_append (out, (const guint8 *)&le_len, 8);
  g_byte_array_append (out, (const guint8 *)header, header_len);
  while ((out->len - 8) % 8 != 0)
    g_byte_array_append (out, (const guint8 *)" ", 1);
  for (gsize i = 0; i < self->n_params; i++)
    {
      guint32 bits;

      memcpy (&bits, &params[i], 4);
      bits = GUINT32_TO_LE (bits);
      g_byte_array_append (out, (const guint8 *)&bits, 4);
    }
  return g_byte_array_free_to_bytes (out);
}

static float *
set_file_error (GError     **error,
                int          code,
                const char  *message)
{
  g_set_error_literal (error, TRB_FL_MODEL_ERROR, code, message);
  return NULL;
}

/**
 * trb_fl_model_from_safetensors:
 * @self: a model
 * @bytes: a safetensors file
 * @metadata: (out) (optional): its `__metadata__` strings
 * @error: return location for a #TrbFlModelError
 *
 * Reads parameters for @self, checking tensor names, dtypes, shapes, offsets and finiteness.
 *
 * Returns: (transfer full): the parameters, or %NULL
 */
float *
trb_fl_model_from_safetensors (TrbFlModel  *self,
                               GBytes      *bytes,
                               GHashTable **metadata,
                               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree float *params = NULL;
  JsonObject *header;
  const guint8 *data;
  gsize len;
  guint64 header_len;
  gsize data_len;
  guint n_tensors = 0;
  JsonNode *root;

  data = g_bytes_get_data (bytes, &len);
  if (len < 8)
    return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE, _("The weights file is truncated."));
  memcpy (&header_len, data, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len < 2 || header_len > len - 8)
    return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE, _("The weights file is truncated."));
  if (header_len > TRB_SAFETENSORS_MAX_HEADER)
    return set_file_error (error, TRB_FL_MODEL_ERROR_TOO_LARGE,
                           _("The weights file has an oversized header."));
  if (!json_parser_load_from_data (parser, (const char *)data + 8, header_len, NULL))
    return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE,
                           _("The weights file has an unreadable header."));
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE,
                           _("The weights file has an unreadable header."));
  header = json_node_get_object (root);
  data += 8 + header_len;
  data_len = len - 8 - header_len;

  if (json_object_has_member (header, "__metadata__"))
    {
      JsonNode *m = json_object_get_member (header, "__metadata__");
      JsonObjectIter iter;
      const char *key;
      JsonNode *value;

      if (!JSON_NODE_HOLDS_OBJECT (m) || json_object_get_size (json_node_get_object (m)) > 64)
        return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE,
                               _("The weights file has unreadable metadata."));
      json_object_iter_init (&iter, json_node_get_object (m));
      while (json_object_iter_next (&iter, &key, &value))
        {
          if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
            return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE,
                                   _("The weights file has unreadable metadata."));
          g_hash_table_insert (meta, g_strdup (key), g_strdup (json_node_get_string (value)));
        }
    }

  if (json_object_get_size (header) - (json_object_has_member (header, "__metadata__") ? 1 : 0)
      != self->n_layers * 2)
    return set_file_error (error, TRB_FL_MODEL_ERROR_WRONG_SHAPE,
                           _("The weights do not have the model’s layers."));

  params = g_new (float, self->n_params);
  for (guint l = 0; l < self->n_layers; l++)
    for (int b = 0; b < 2; b++)
      {
        g_autofree char *name = tensor_name (l, b);
        gsize n = b ? self->sizes[l + 1] : (gsize) self->sizes[l + 1] * self->sizes[l];
        float *dest = params + self->offsets[l] + (b ? (gsize) self->sizes[l + 1] * self->sizes[l] : 0);
        JsonNode *node = json_object_get_member (header, name);
        JsonObject *t;
        JsonArray *shape, *offsets;
        gint64 start, end;

        if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
          return set_file_error (error, TRB_FL_MODEL_ERROR_WRONG_SHAPE,
                                 _("The weights do not have the model’s layers."));
        t = json_node_get_object (node);
        if (g_strcmp0 (json_object_get_string_member_with_default (t, "dtype", ""), "F32") != 0)
          return set_file_error (error, TRB_FL_MODEL_ERROR_WRONG_SHAPE,
                                 _("The weights are not 32-bit floating point numbers."));
        if (!JSON_NODE_HOLDS_ARRAY (json_object_get_member (t, "shape")) ||
            !JSON_NODE_HOLDS_ARRAY (json_object_get_member (t, "data_offsets")))
          return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE,
                                 _("The weights file has an unreadable header."));
        shape = json_object_get_array_member (t, "shape");
        offsets = json_object_get_array_member (t, "data_offsets");
        if (json_array_get_length (shape) != (b ? 1u : 2u) ||
            json_array_get_int_element (shape, 0) != self->sizes[l + 1] ||
            (!b && json_array_get_int_element (shape, 1) != self->sizes[l]))
          return set_file_error (error, TRB_FL_MODEL_ERROR_WRONG_SHAPE,
                                 _("The weights have a different shape from the model’s."));
        if (json_array_get_length (offsets) != 2)
          return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE,
                                 _("The weights file has an unreadable header."));
        start = json_array_get_int_element (offsets, 0);
        end = json_array_get_int_element (offsets, 1);
        if (start < 0 || end < start || (guint64) end > data_len || (gsize) (end - start) != n * 4)
          return set_file_error (error, TRB_FL_MODEL_ERROR_BAD_FILE,
                                 _("The weights file is truncated or inconsistent."));
        for (gsize i = 0; i < n; i++)
          {
            guint32 bits;

            memcpy (&bits, data + start + i * 4, 4);
            bits = GUINT32_FROM_LE (bits);
            memcpy (&dest[i], &bits, 4);
            if (!isfinite (dest[i]))
              return set_file_error (error, TRB_FL_MODEL_ERROR_NON_FINITE,
                                     _("The weights contain values that are not numbers."));
          }
        n_tensors++;
      }

  if (metadata != NULL)
    *metadata = g_steal_pointer (&meta);
  return g_steal_pointer (&params);
}

/* Forward pass of one sample; acts[l] holds the input of layer l (acts[0] = x) and
 * acts[n_layers] the logits. Returns the cross-entropy loss and the softmax in @probs. */
static double
forward (TrbFlModel   *self,
         const float  *params,
         float       **acts,
         float        *probs,
         guint8        label)
{
  guint n_classes = self->sizes[self->n_layers];
  double max, sum = 0;

  for (guint l = 0; l < self->n_layers; l++)
    {
      guint in = self->sizes[l], out = self->sizes[l + 1];
      const float *w = params + self->offsets[l];
      const float *b = w + (gsize) in * out;

      for (guint o = 0; o < out; o++)
        {
          const float *row = w + (gsize) o * in;
          float z = b[o];

          for (guint i = 0; i < in; i++)
            z += row[i] * acts[l][i];
          acts[l + 1][o] = (self->relu[l] && z < 0) ? 0 : z;
        }
    }

  max = acts[self->n_layers][0];
  for (guint c = 1; c < n_classes; c++)
    max = MAX (max, acts[self->n_layers][c]);
  for (guint c = 0; c < n_classes; c++)
    {
      probs[c] = exp (acts[self->n_layers][c] - max);
      sum += probs[c];
    }
  for (guint c = 0; c < n_classes; c++)
    probs[c] /= sum;
  return -log (MAX (probs[label], 1e-12));
}

static float **
alloc_acts (TrbFlModel *self)
{
  float **acts = g_new0 (float *, self->n_layers + 1);

  for (guint l = 0; l <= self->n_layers; l++)
    acts[l] = g_new0 (float, self->sizes[l]);
  return acts;
}

static void
free_acts (TrbFlModel  *self,
           float      **acts)
{
  for (guint l = 0; l <= self->n_layers; l++)
    g_free (acts[l]);
  g_free (acts);
}

/**
 * trb_fl_model_train:
 * @self: a model
 * @params: (inout): its parameters
 * @inputs: @n_samples rows of `sizes[0]` features
 * @labels: @n_samples class labels
 * @n_samples: how many samples
 * @epochs: local epochs
 * @batch_size: mini-batch size
 * @learning_rate: the SGD step
 * @seed: seed of the shuffling
 *
 * Mini-batch SGD on the softmax cross-entropy.
 *
 * Returns: the mean training loss of the last epoch
 */
double
trb_fl_model_train (TrbFlModel   *self,
                    float        *params,
                    const float  *inputs,
                    const guint8 *labels,
                    gsize         n_samples,
                    guint         epochs,
                    guint         batch_size,
                    double        learning_rate,
                    guint64       seed)
{
  g_autofree float *grads = g_new0 (float, self->n_params);
  g_autofree gsize *order = g_new (gsize, n_samples);
  g_autofree float *probs = g_new0 (float, self->sizes[self->n_layers]);
  g_autofree float *delta = g_new0 (float, TRB_FL_MODEL_MAX_UNITS);
  g_autofree float *delta_prev = g_new0 (float, TRB_FL_MODEL_MAX_UNITS);
  float **acts = alloc_acts (self);
  guint64 state = seed;
  double epoch_loss = 0;

  g_return_val_if_fail (batch_size > 0, 0);

  for (gsize i = 0; i < n_samples; i++)
    order[i] = i;

  for (guint e = 0; e < epochs; e++)
    {
      epoch_loss = 0;
      for (gsize i = n_samples; i > 1; i--)
        {
          gsize j = next_random (&state) % i;
          gsize tmp = order[i - 1];

          order[i - 1] = order[j];
          order[j] = tmp;
        }

      for (gsize start = 0; start < n_samples; start += batch_size)
        {
          gsize end = MIN (start + batch_size, n_samples);
          float scale = (float) (learning_rate / (end - start));

          memset (grads, 0, self->n_params * sizeof (float));
          for (gsize k = start; k < end; k++)
            {
              gsize s = order[k];
              guint n_classes = self->sizes[self->n_layers];

              memcpy (acts[0], inputs + s * self->sizes[0], self->sizes[0] * sizeof (float));
              epoch_loss += forward (self, params, acts, probs, labels[s]);

              for (guint c = 0; c < n_classes; c++)
                delta[c] = probs[c] - (c == labels[s] ? 1.0f : 0.0f);

              for (int l = self->n_layers - 1; l >= 0; l--)
                {
                  guint in = self->sizes[l], out = self->sizes[l + 1];
                  const float *w = params + self->offsets[l];
                  float *gw = grads + self->offsets[l];
                  float *gb = gw + (gsize) in * out;

                  for (guint o = 0; o < out; o++)
                    {
                      float d = delta[o];
                      float *grow = gw + (gsize) o * in;

                      if (d == 0)
                        continue;
                      gb[o] += d;
                      for (guint i = 0; i < in; i++)
                        grow[i] += d * acts[l][i];
                    }
                  if (l > 0)
                    {
                      memset (delta_prev, 0, in * sizeof (float));
                      for (guint o = 0; o < out; o++)
                        {
                          const float *row = w + (gsize) o * in;
                          float d = delta[o];

                          if (d == 0)
                            continue;
                          for (guint i = 0; i < in; i++)
                            delta_prev[i] += d * row[i];
                        }
                      /* ReLU of the previous layer: its output is acts[l]. */
                      for (guint i = 0; i < in; i++)
                        delta[i] = (self->relu[l - 1] && acts[l][i] <= 0) ? 0 : delta_prev[i];
                    }
                }
            }
          for (gsize p = 0; p < self->n_params; p++)
            params[p] -= scale * grads[p];
        }
      epoch_loss /= MAX (n_samples, 1);
    }

  free_acts (self, acts);
  return epoch_loss;
}

/**
 * trb_fl_model_evaluate:
 * @self: a model
 * @params: its parameters
 * @inputs: the samples
 * @labels: their labels
 * @n_samples: how many
 * @loss: (out): mean cross-entropy
 * @accuracy: (out): fraction classified right
 */
void
trb_fl_model_evaluate (TrbFlModel   *self,
                       const float  *params,
                       const float  *inputs,
                       const guint8 *labels,
                       gsize         n_samples,
                       double       *loss,
                       double       *accuracy)
{
  g_autofree float *probs = g_new0 (float, self->sizes[self->n_layers]);
  float **acts = alloc_acts (self);
  double total = 0;
  gsize right = 0;

  for (gsize s = 0; s < n_samples; s++)
    {
      guint best = 0;

      memcpy (acts[0], inputs + s * self->sizes[0], self->sizes[0] * sizeof (float));
      total += forward (self, params, acts, probs, labels[s]);
      for (guint c = 1; c < self->sizes[self->n_layers]; c++)
        if (probs[c] > probs[best])
          best = c;
      if (best == labels[s])
        right++;
    }
  free_acts (self, acts);
  *loss = n_samples > 0 ? total / n_samples : 0;
  *accuracy = n_samples > 0 ? (double) right / n_samples : 0;
}

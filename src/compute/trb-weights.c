/* trb-weights.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Named fp32 tensors, the safetensors format, and the arithmetic a federated round needs.
 * The reader trusts nothing in the file: every size is capped, every offset checked against the
 * data that is really there, and every product of dimensions checked for overflow before use.
 */

#define G_LOG_DOMAIN "trb-weights"

#include "config.h"

#include "trb-weights.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "compute/trb-philox.h"
#include "trb-json.h"

G_DEFINE_QUARK (trb-compute-error-quark, trb_compute_error)

typedef struct
{
  char  *name;
  guint  n_dims;
  gsize  shape[TRB_WEIGHTS_MAX_DIMS];
  gsize  n_elements;
  float *data;
} Tensor;

struct _TrbWeights
{
  GObject     parent_instance;

  GPtrArray  *tensors;   /* Tensor */
  GHashTable *by_name;   /* name → index + 1 */
  GHashTable *metadata;  /* string → string */
};

G_DEFINE_FINAL_TYPE (TrbWeights, trb_weights, G_TYPE_OBJECT)

static void
tensor_free (gpointer data)
{
  Tensor *t = data;

  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

static void
trb_weights_finalize (GObject *object)
{
  TrbWeights *self = (TrbWeights *)object;

  g_clear_pointer (&self->tensors, g_ptr_array_unref);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->metadata, g_hash_table_unref);

  G_OBJECT_CLASS (trb_weights_parent_class)->finalize (object);
}

static void
trb_weights_class_init (TrbWeightsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_weights_finalize;
}

static void
trb_weights_init (TrbWeights *self)
{
  self->tensors = g_ptr_array_new_with_free_func (tensor_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

TrbWeights *
trb_weights_new (void)
{
  return g_object_new (TRB_TYPE_WEIGHTS, NULL);
}

static gboolean
checked_product (guint        n_dims,
                 const gsize *shape,
                 gsize       *out)
{
  gsize n = 1;

  for (guint i = 0; i < n_dims; i++)
    if (!g_size_checked_mul (&n, n, shape[i]))
      return FALSE;
  *out = n;
  return TRUE;
}

static gboolean
name_is_valid (const char *name)
{
  if (name == NULL || name[0] == '\0' || strlen (name) > 256)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-' && *p != '/')
      return FALSE;
  return strcmp (name, "__metadata__") != 0;
}

/**
 * trb_weights_add:
 * @name: letters, digits and `._-/` only
 *
 * Appends a zero-filled tensor and returns its data. Returns %NULL when the name is taken or
 * invalid, or the size overflows.
 */
float *
trb_weights_add (TrbWeights  *self,
                 const char  *name,
                 guint        n_dims,
                 const gsize *shape)
{
  Tensor *t;
  gsize n, bytes;

  g_return_val_if_fail (TRB_IS_WEIGHTS (self), NULL);
  g_return_val_if_fail (n_dims <= TRB_WEIGHTS_MAX_DIMS, NULL);
  g_return_val_if_fail (name_is_valid (name), NULL);

  if (g_hash_table_contains (self->by_name, name))
    return NULL;
  if (!checked_product (n_dims, shape, &n) || !g_size_checked_mul (&bytes, n, sizeof (float)))
    return NULL;

  t = g_new0 (Tensor, 1);
  t->name = g_strdup (name);
  t->n_dims = n_dims;
  for (guint i = 0; i < n_dims; i++)
    t->shape[i] = shape[i];
  t->n_elements = n;
  t->data = g_malloc0 (MAX (bytes, 1));
  g_ptr_array_add (self->tensors, t);
  g_hash_table_insert (self->by_name, t->name, GUINT_TO_POINTER (self->tensors->len));
  return t->data;
}

TrbWeights *
trb_weights_copy (TrbWeights *self)
{
  TrbWeights *copy;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (TRB_IS_WEIGHTS (self), NULL);

  copy = trb_weights_new ();
  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *t = g_ptr_array_index (self->tensors, i);
      float *d = trb_weights_add (copy, t->name, t->n_dims, t->shape);

      memcpy (d, t->data, t->n_elements * sizeof (float));
    }
  g_hash_table_iter_init (&iter, self->metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy->metadata, g_strdup (key), g_strdup (value));
  return copy;
}

static Tensor *
get_tensor (TrbWeights *self,
            guint       index)
{
  g_return_val_if_fail (TRB_IS_WEIGHTS (self), NULL);
  g_return_val_if_fail (index < self->tensors->len, NULL);
  return g_ptr_array_index (self->tensors, index);
}

guint
trb_weights_get_n_tensors (TrbWeights *self)
{
  g_return_val_if_fail (TRB_IS_WEIGHTS (self), 0);
  return self->tensors->len;
}

const char *
trb_weights_get_name (TrbWeights *self,
                      guint       index)
{
  Tensor *t = get_tensor (self, index);
  return t ? t->name : NULL;
}

guint
trb_weights_get_n_dims (TrbWeights *self,
                        guint       index)
{
  Tensor *t = get_tensor (self, index);
  return t ? t->n_dims : 0;
}

const gsize *
trb_weights_get_shape (TrbWeights *self,
                       guint       index)
{
  Tensor *t = get_tensor (self, index);
  return t ? t->shape : NULL;
}

gsize
trb_weights_get_n_elements (TrbWeights *self,
                            guint       index)
{
  Tensor *t = get_tensor (self, index);
  return t ? t->n_elements : 0;
}

float *
trb_weights_get_data (TrbWeights *self,
                      guint       index)
{
  Tensor *t = get_tensor (self, index);
  return t ? t->data : NULL;
}

/* Returns the index of @name, or -1. */
int
trb_weights_lookup (TrbWeights *self,
                    const char *name)
{
  g_return_val_if_fail (TRB_IS_WEIGHTS (self), -1);
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->by_name, name)) - 1;
}

gsize
trb_weights_get_total_elements (TrbWeights *self)
{
  gsize n = 0;

  g_return_val_if_fail (TRB_IS_WEIGHTS (self), 0);
  for (guint i = 0; i < self->tensors->len; i++)
    n += ((Tensor *) g_ptr_array_index (self->tensors, i))->n_elements;
  return n;
}

void
trb_weights_set_metadata (TrbWeights *self,
                          const char *key,
                          const char *value)
{
  g_return_if_fail (TRB_IS_WEIGHTS (self));
  g_return_if_fail (key != NULL);

  if (value == NULL)
    g_hash_table_remove (self->metadata, key);
  else
    g_hash_table_insert (self->metadata, g_strdup (key), g_strdup (value));
}

const char *
trb_weights_get_metadata (TrbWeights *self,
                          const char *key)
{
  g_return_val_if_fail (TRB_IS_WEIGHTS (self), NULL);
  return g_hash_table_lookup (self->metadata, key);
}

/* ---- safetensors writing ---- */

static void
append_json_string (GString    *out,
                    const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
}

GBytes *
trb_weights_to_safetensors (TrbWeights *self)
{
  g_autoptr(GString) header = g_string_new ("{");
  g_autoptr(GList) keys = NULL;
  gsize offset = 0, header_len, total;
  guint8 *buf;
  guint64 le_len;

  g_return_val_if_fail (TRB_IS_WEIGHTS (self), NULL);

  keys = g_list_sort (g_hash_table_get_keys (self->metadata), (GCompareFunc) strcmp);
  if (keys != NULL)
    {
      g_string_append (header, "\"__metadata__\":{");
      for (GList *l = keys; l; l = l->next)
        {
          if (l != keys)
            g_string_append_c (header, ',');
          append_json_string (header, l->data);
          g_string_append_c (header, ':');
          append_json_string (header, g_hash_table_lookup (self->metadata, l->data));
        }
      g_string_append_c (header, '}');
    }

  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *t = g_ptr_array_index (self->tensors, i);

      if (i > 0 || keys != NULL)
        g_string_append_c (header, ',');
      append_json_string (header, t->name);
      g_string_append (header, ":{\"dtype\":\"F32\",\"shape\":[");
      for (guint d = 0; d < t->n_dims; d++)
        g_string_append_printf (header, "%s%" G_GSIZE_FORMAT, d ? "," : "", t->shape[d]);
      g_string_append_printf (header, "],\"data_offsets\":[%" G_GSIZE_FORMAT ",%" G_GSIZE_FORMAT
                              "]}", offset, offset + t->n_elements * sizeof (float));
      offset += t->n_elements * sizeof (float);
    }
  g_string_append_c (header, '}');
  /* Pad with spaces so that the data starts 8-byte aligned, as the format recommends. */
  while ((8 + header->len) % 8 != 0)
    g_string_append_c (header, ' ');

  header_len = header->len;
  total = 8 + header_len + offset;
  buf = g_malloc (total);
  le_len = GUINT64_TO_LE ((guint64) header_len);
  memcpy (buf, &le_len, 8);
  memcpy (buf + 8, header->str, header_len);
  offset = 8 + header_len;
  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *t = g_ptr_array_index (self->tensors, i);

#if G_BYTE_ORDER == G_BIG_ENDIAN
      for (gsize k = 0; k < t->n_elements; k++)
        {
          guint32 v;
          memcpy (&v, &t->data[k], 4);
          v = GUINT32_TO_LE (v);
          memcpy (buf + offset + 4 * k, &v, 4);
        }
#else
      memcpy (buf + offset, t->data, t->n_elements * sizeof (float));
#endif
      offset += t->n_elements * sizeof (float);
    }
  return g_bytes_new_take (buf, total);
}

/* ---- safetensors reading ---- */

typedef struct
{
  const char *name;
  guint       n_dims;
  gsize       shape[TRB_WEIGHTS_MAX_DIMS];
  gsize       begin;
  gsize       end;
} Entry;

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *ea = a, *eb = b;

  if (ea->begin != eb->begin)
    return ea->begin < eb->begin ? -1 : 1;
  if (ea->end != eb->end)
    return ea->end < eb->end ? -1 : 1;
  return 0;
}

static gboolean
damaged (GError    **error,
         const char *detail)
{
  g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
               /* Translators: %s explains what is wrong with the file. */
               _("The model weights are damaged or not in the expected format: %s"), detail);
  return FALSE;
}

static gboolean
read_size (JsonNode *node,
           gsize    *out)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0 || (guint64) v > G_MAXSIZE)
    return FALSE;
  *out = (gsize) v;
  return TRUE;
}

static gboolean
parse_entry (const char  *name,
             JsonNode    *node,
             Entry       *entry,
             GError     **error)
{
  JsonObject *obj;
  JsonArray *shape, *offsets;
  JsonNode *dtype;
  gsize n, bytes;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return damaged (error, _("a tensor description is not an object."));
  obj = json_node_get_object (node);
  dtype = json_object_get_member (obj, "dtype");
  if (dtype == NULL || json_node_get_value_type (dtype) != G_TYPE_STRING)
    return damaged (error, _("a tensor has no number type."));
  if (strcmp (json_node_get_string (dtype), "F32") != 0)
    {
      g_autofree char *detail =
        /* Translators: the tensor's name, then the type of its numbers (such as F16). */
        g_strdup_printf (_("tensor “%s” holds numbers of type %s, but only 32-bit floats (F32) "
                           "are accepted."), name, json_node_get_string (dtype));
      return damaged (error, detail);
    }
  if (!json_object_has_member (obj, "shape") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (obj, "shape")) ||
      !json_object_has_member (obj, "data_offsets") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (obj, "data_offsets")))
    return damaged (error, _("a tensor has no shape or no position."));
  shape = json_object_get_array_member (obj, "shape");
  offsets = json_object_get_array_member (obj, "data_offsets");
  if (json_array_get_length (shape) > TRB_WEIGHTS_MAX_DIMS)
    return damaged (error, _("a tensor has too many dimensions."));
  if (json_array_get_length (offsets) != 2)
    return damaged (error, _("a tensor position is malformed."));

  entry->name = name;
  entry->n_dims = json_array_get_length (shape);
  for (guint i = 0; i < entry->n_dims; i++)
    if (!read_size (json_array_get_element (shape, i), &entry->shape[i]))
      return damaged (error, _("a tensor dimension is not a whole number."));
  if (!read_size (json_array_get_element (offsets, 0), &entry->begin) ||
      !read_size (json_array_get_element (offsets, 1), &entry->end) ||
      entry->end < entry->begin)
    return damaged (error, _("a tensor position is malformed."));
  if (!checked_product (entry->n_dims, entry->shape, &n) ||
      !g_size_checked_mul (&bytes, n, sizeof (float)) ||
      bytes != entry->end - entry->begin)
    {
      g_autofree char *detail =
        g_strdup_printf (_("the size of tensor “%s” does not match its shape."), name);
      return damaged (error, detail);
    }
  return TRUE;
}

/* The members of the outermost object of a JSON text: its colons outside strings and nested
 * values. Escaped names ("\u0077" is "w") count like any other, which comparing names would
 * have to decode first. */
static guint
count_top_level_members (const char *text,
                         gsize       length)
{
  guint depth = 0, colons = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      if (in_string)
        {
          if (text[i] == '\\')
            i++;
          else if (text[i] == '"')
            in_string = FALSE;
          continue;
        }
      if (text[i] == '"')
        in_string = TRUE;
      else if (text[i] == '{' || text[i] == '[')
        depth++;
      else if ((text[i] == '}' || text[i] == ']') && depth > 0)
        depth--;
      else if (text[i] == ':' && depth == 1)
        colons++;
    }
  return colons;
}

/* The header's "__metadata__": string values only, bounded in all. */
static gboolean
read_metadata (TrbWeights  *self,
               JsonNode    *node,
               GError     **error)
{
  JsonObject *meta;
  g_autoptr(GList) keys = NULL;
  gsize metadata_bytes = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return damaged (error, _("its metadata is malformed."));
  meta = json_node_get_object (node);
  keys = json_object_get_members (meta);
  for (GList *k = keys; k; k = k->next)
    {
      JsonNode *v = json_object_get_member (meta, k->data);

      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        return damaged (error, _("its metadata is malformed."));
      metadata_bytes += strlen (k->data) + strlen (json_node_get_string (v));
      if (metadata_bytes > TRB_PROTOCOL_MAX_METADATA)
        return damaged (error, _("its metadata is unreasonably large."));
      trb_weights_set_metadata (self, k->data, json_node_get_string (v));
    }
  return TRUE;
}

/* The header's JSON object, read from @header_len bytes after the length. */
static JsonObject *
read_header (JsonParser    *parser,
             const guint8  *data,
             guint64        header_len,
             GError       **error)
{
  JsonNode *root;
  JsonObject *obj;

  if (!trb_json_parser_load_bounded (parser, (const char *) data + 8, (gssize) header_len, NULL))
    return damaged (error, _("its header is not valid JSON.")), NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return damaged (error, _("its header is not a JSON object.")), NULL;
  obj = json_node_get_object (root);
  if (json_object_get_size (obj) > TRB_WEIGHTS_MAX_TENSORS + 1)
    return damaged (error, _("it holds too many tensors.")), NULL;
  /* json-glib keeps the last of two members of the same name, so a second "w" could replace
   * the first one's byte range: the header must name as many members as the object has. */
  if (count_top_level_members ((const char *) data + 8, (gsize) header_len) !=
      json_object_get_size (obj))
    return damaged (error, _("a name appears twice in its header.")), NULL;
  return obj;
}

/* Checks that the byte ranges of @entries tile the data section exactly: no gap, no overlap,
 * nothing past it. Sorts @entries by their start. */
static gboolean
check_tiling (GArray  *entries,
              gsize    data_size,
              GError **error)
{
  gsize expected = 0;

  g_array_sort (entries, compare_entries);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = &g_array_index (entries, Entry, i);

      if (e->begin < expected)
        return damaged (error, _("two tensors overlap."));
      if (e->begin > expected)
        return damaged (error, _("there is a gap between tensors."));
      if (e->end > data_size)
        return damaged (error, _("a tensor lies past the end of the file (is it cut short?)."));
      expected = e->end;
    }
  if (expected != data_size)
    return damaged (error, _("there are stray bytes after the last tensor."));
  return TRUE;
}

/* Copies the tensors of @entries out of the data section @tensors into @self, in the order of
 * the header (@members), which is the order the file was written in. */
static gboolean
copy_tensors (TrbWeights    *self,
              GList         *members,
              GArray        *entries,
              const guint8  *tensors,
              GError       **error)
{
  for (GList *l = members; l; l = l->next)
    for (guint i = 0; i < entries->len; i++)
      {
        Entry *e = &g_array_index (entries, Entry, i);
        float *dst;

        if (e->name != l->data)
          continue;
        dst = trb_weights_add (self, e->name, e->n_dims, e->shape);
        if (dst == NULL)
          return damaged (error, _("a tensor name appears twice."));
        memcpy (dst, tensors + e->begin, e->end - e->begin);
#if G_BYTE_ORDER == G_BIG_ENDIAN
        for (gsize k = 0; k < (e->end - e->begin) / 4; k++)
          {
            guint32 v;
            memcpy (&v, &dst[k], 4);
            v = GUINT32_FROM_LE (v);
            memcpy (&dst[k], &v, 4);
          }
#endif
      }
  return TRUE;
}

TrbWeights *
trb_weights_new_from_safetensors (GBytes  *bytes,
                                  GError **error)
{
  g_autoptr(TrbWeights) self = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GList) members = NULL;
  const guint8 *data;
  gsize size, data_size;
  guint64 header_len;
  JsonObject *obj;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &size);
  if (size < 8)
    return damaged (error, _("the file is too short.")), NULL;
  memcpy (&header_len, data, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > TRB_PROTOCOL_MAX_SAFETENSORS_HEADER)
    return damaged (error, _("its header is unreasonably large.")), NULL;
  if (header_len < 2 || header_len > size - 8)
    return damaged (error, _("the file is cut short.")), NULL;
  data_size = size - 8 - (gsize) header_len;

  parser = json_parser_new_immutable ();
  if ((obj = read_header (parser, data, header_len, error)) == NULL)
    return NULL;
  self = trb_weights_new ();
  entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (obj, name);
      Entry entry = { 0 };

      if (strcmp (name, "__metadata__") == 0)
        {
          if (!read_metadata (self, node, error))
            return NULL;
          continue;
        }
      if (!name_is_valid (name))
        return damaged (error, _("a tensor has an invalid name.")), NULL;
      if (!parse_entry (name, node, &entry, error))
        return NULL;
      g_array_append_val (entries, entry);
    }
  if (!check_tiling (entries, data_size, error) ||
      !copy_tensors (self, members, entries, data + 8 + header_len, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
trb_weights_save (TrbWeights  *self,
                  const char  *path,
                  GError     **error)
{
  g_autoptr(GBytes) bytes = trb_weights_to_safetensors (self);

  /* g_file_set_contents writes a temporary file and renames it, so a crash never leaves a
   * half-written checkpoint behind. */
  return g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

TrbWeights *
trb_weights_load (const char  *path,
                  gsize        max_size,
                  GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GStatBuf st;
  gsize len;

  if (g_stat (path, &st) == 0 && (guint64) st.st_size > max_size)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("The model weights file is larger than allowed."));
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
  return trb_weights_new_from_safetensors (bytes, error);
}

char *
trb_safetensors_content_address (GBytes *bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

char *
trb_weights_content_address (TrbWeights *self)
{
  g_autoptr(GBytes) bytes = trb_weights_to_safetensors (self);
  return trb_safetensors_content_address (bytes);
}

/* ---- checks and arithmetic ---- */

gboolean
trb_weights_same_layout (TrbWeights  *self,
                         TrbWeights  *other,
                         GError     **error)
{
  g_return_val_if_fail (TRB_IS_WEIGHTS (self), FALSE);
  g_return_val_if_fail (TRB_IS_WEIGHTS (other), FALSE);

  if (self->tensors->len != other->tensors->len)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("The two sets of weights do not belong to the same model."));
      return FALSE;
    }
  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *a = g_ptr_array_index (self->tensors, i);
      Tensor *b = g_ptr_array_index (other->tensors, i);
      gboolean same = strcmp (a->name, b->name) == 0 && a->n_dims == b->n_dims;

      for (guint d = 0; same && d < a->n_dims; d++)
        same = a->shape[d] == b->shape[d];
      if (!same)
        {
          g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                       _("The weights “%s” do not match the model’s layout."), b->name);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
trb_weights_all_finite (TrbWeights *self)
{
  g_return_val_if_fail (TRB_IS_WEIGHTS (self), FALSE);

  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *t = g_ptr_array_index (self->tensors, i);
      for (gsize k = 0; k < t->n_elements; k++)
        if (!isfinite (t->data[k]))
          return FALSE;
    }
  return TRUE;
}

/**
 * trb_weights_max_abs:
 * @self: weights
 *
 * Returns: the largest magnitude of any value (NaN compares as nothing: check
 *   trb_weights_all_finite() first)
 */
double
trb_weights_max_abs (TrbWeights *self)
{
  float largest = 0;

  g_return_val_if_fail (TRB_IS_WEIGHTS (self), 0);

  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *t = g_ptr_array_index (self->tensors, i);

      for (gsize k = 0; k < t->n_elements; k++)
        largest = MAX (largest, fabsf (t->data[k]));
    }
  return largest;
}

/**
 * trb_weights_weighted_average:
 * @sets: (array length=n_sets): weight sets with the same layout
 * @weights: (array length=n_sets): non-negative weights, typically sample counts
 *
 * FedAvg: Σ wᵢ·setᵢ / Σ wᵢ, accumulated in double precision.
 */
TrbWeights *
trb_weights_weighted_average (TrbWeights  **sets,
                              const double *weights,
                              guint         n_sets,
                              GError      **error)
{
  g_autoptr(TrbWeights) result = NULL;
  double total = 0;

  g_return_val_if_fail (sets != NULL && weights != NULL, NULL);

  if (n_sets == 0)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("There are no contributions to average."));
      return NULL;
    }
  for (guint s = 0; s < n_sets; s++)
    {
      if (!(weights[s] >= 0) || !isfinite (weights[s]))
        {
          g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                       _("A contribution has an invalid sample count."));
          return NULL;
        }
      if (s > 0 && !trb_weights_same_layout (sets[0], sets[s], error))
        return NULL;
      total += weights[s];
    }
  if (total <= 0)
    {
      g_set_error (error, TRB_COMPUTE_ERROR, TRB_COMPUTE_ERROR_INVALID_WEIGHTS,
                   _("The contributions hold no samples."));
      return NULL;
    }

  result = trb_weights_copy (sets[0]);
  for (guint i = 0; i < result->tensors->len; i++)
    {
      Tensor *t = g_ptr_array_index (result->tensors, i);

      for (gsize k = 0; k < t->n_elements; k++)
        {
          double acc = 0;
          for (guint s = 0; s < n_sets; s++)
            acc += weights[s] * ((Tensor *) g_ptr_array_index (sets[s]->tensors, i))->data[k];
          t->data[k] = (float) (acc / total);
        }
    }
  return g_steal_pointer (&result);
}

/* update = trained − global */
TrbWeights *
trb_weights_subtract (TrbWeights  *trained,
                      TrbWeights  *global,
                      GError     **error)
{
  g_autoptr(TrbWeights) result = NULL;

  if (!trb_weights_same_layout (global, trained, error))
    return NULL;
  result = trb_weights_copy (trained);
  if (!trb_weights_add_scaled (result, global, -1.0, error))
    return NULL;
  return g_steal_pointer (&result);
}

/* self += scale · other */
gboolean
trb_weights_add_scaled (TrbWeights  *self,
                        TrbWeights  *other,
                        double       scale,
                        GError     **error)
{
  if (!trb_weights_same_layout (self, other, error))
    return FALSE;
  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *a = g_ptr_array_index (self->tensors, i);
      Tensor *b = g_ptr_array_index (other->tensors, i);

      for (gsize k = 0; k < a->n_elements; k++)
        a->data[k] = (float) ((double) a->data[k] + scale * (double) b->data[k]);
    }
  return TRUE;
}

double
trb_weights_l2_norm (TrbWeights *self)
{
  double acc = 0;

  g_return_val_if_fail (TRB_IS_WEIGHTS (self), 0);
  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *t = g_ptr_array_index (self->tensors, i);
      for (gsize k = 0; k < t->n_elements; k++)
        acc += (double) t->data[k] * t->data[k];
    }
  return sqrt (acc);
}

/**
 * trb_weights_clip_norm:
 *
 * Scales the whole set so that its L2 norm is at most @max_norm. Returns the norm before.
 */
double
trb_weights_clip_norm (TrbWeights *self,
                       double      max_norm)
{
  double norm = trb_weights_l2_norm (self);

  g_return_val_if_fail (max_norm > 0, norm);
  if (norm > max_norm)
    {
      double scale = max_norm / norm;

      for (guint i = 0; i < self->tensors->len; i++)
        {
          Tensor *t = g_ptr_array_index (self->tensors, i);
          for (gsize k = 0; k < t->n_elements; k++)
            t->data[k] = (float) (t->data[k] * scale);
        }
    }
  return norm;
}

/* Adds N(0, stddev²) noise to every element, from Philox keyed by @seed (for differential
 * privacy); element k of tensor i always gets the same draw for a given seed. */
void
trb_weights_add_gaussian_noise (TrbWeights *self,
                                double      stddev,
                                guint64     seed)
{
  g_return_if_fail (TRB_IS_WEIGHTS (self));
  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *t = g_ptr_array_index (self->tensors, i);
      for (gsize k = 0; k < t->n_elements; k++)
        t->data[k] = (float) (t->data[k] +
                              stddev * trb_philox_normal (seed, 0x4e4f495345ull + i, k));
    }
}

double
trb_weights_max_abs_difference (TrbWeights *self,
                                TrbWeights *other)
{
  double m = 0;

  g_return_val_if_fail (trb_weights_same_layout (self, other, NULL), INFINITY);
  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *a = g_ptr_array_index (self->tensors, i);
      Tensor *b = g_ptr_array_index (other->tensors, i);
      for (gsize k = 0; k < a->n_elements; k++)
        m = MAX (m, fabs ((double) a->data[k] - b->data[k]));
    }
  return m;
}

/* trb-json.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The string member @name of @object, or @default_value when the member is missing, null or
 * anything but a string. (json_object_get_string_member_with_default() gives NULL for a member
 * that holds a number, which a caller would then pass on to strcmp(): JSON from a network or a
 * file may hold anything.) */
static inline const char *
trb_json_get_string (JsonObject *object,
                     const char *name,
                     const char *default_value)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return default_value;
  return json_node_get_string (node);
}

/* The number member @name of @object, or @default_value when the member is missing, null or
 * not a number (json_node_get_double() gives 0 for a string). */
static inline double
trb_json_get_number (JsonObject *object,
                     const char *name,
                     double      default_value)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  GType type = node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                                            : G_TYPE_INVALID;

  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return default_value;
  return json_node_get_double (node);
}

/* How deeply any JSON text read from outside may nest. No document of the protocol, the
 * ledger, a model spec or a safetensors header nests past 10; json-glib parses recursively,
 * and a text nested tens of thousands deep overflows the stack of the thread reading it. */
#define TRB_JSON_MAX_DEPTH 64

gboolean trb_json_check_depth         (const char  *data,
                                       gsize        length,
                                       guint        max_depth,
                                       GError     **error);
gboolean trb_json_parser_load_bounded (JsonParser  *parser,
                                       const char  *data,
                                       gssize       length,
                                       GError     **error);
JsonNode *trb_json_from_string_bounded (const char *data,
                                        GError    **error);

G_END_DECLS

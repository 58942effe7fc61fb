/* trb-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * JSON read from outside is checked before json-glib sees it: json-glib's parser recurses once
 * per level of nesting, so 160 KB of "[[[[…" kills the thread (and the process) that parses it.
 * One scan of the bytes, with no recursion, bounds the depth first; every reader of JSON from a
 * network, a file or the store goes through trb_json_parser_load_bounded().
 */

#define G_LOG_DOMAIN "trb-json"

#include "config.h"

#include "trb-json.h"

#include <glib/gi18n.h>
#include <string.h>

/**
 * trb_json_check_depth:
 * @data: the text
 * @length: its length in bytes
 * @max_depth: how many arrays and objects may be open at once
 * @error: return location for a %JSON_PARSER_ERROR
 *
 * Counts the brackets outside strings. It does not validate the text: json-glib does that next,
 * on a text that can no longer exhaust its stack.
 *
 * Returns: %FALSE with @error set when the text nests deeper than @max_depth
 */
gboolean
trb_json_check_depth (const char  *data,
                      gsize        length,
                      guint        max_depth,
                      GError     **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > max_depth)
            {
              g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "The data is nested more than %u level deep.",
                                        "The data is nested more than %u levels deep.",
                                        max_depth), max_depth);
              return FALSE;
            }
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }
  return TRUE;
}

/**
 * trb_json_parser_load_bounded:
 * @parser: a parser
 * @data: the text
 * @length: its length in bytes, or -1 when it ends with a NUL
 * @error: return location for an error
 *
 * json_parser_load_from_data(), after trb_json_check_depth() with %TRB_JSON_MAX_DEPTH.
 *
 * Returns: %TRUE when the text was parsed
 */
gboolean
trb_json_parser_load_bounded (JsonParser  *parser,
                              const char  *data,
                              gssize       length,
                              GError     **error)
{
  g_return_val_if_fail (JSON_IS_PARSER (parser), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (length < 0)
    length = strlen (data);
  if (!trb_json_check_depth (data, length, TRB_JSON_MAX_DEPTH, error))
    return FALSE;
  return json_parser_load_from_data (parser, data, length, error);
}

/**
 * trb_json_from_string_bounded:
 * @data: a NUL-terminated text
 * @error: return location for an error
 *
 * json_from_string(), after trb_json_check_depth() with %TRB_JSON_MAX_DEPTH.
 *
 * Returns: (transfer full) (nullable): the root, or %NULL with @error set
 */
JsonNode *
trb_json_from_string_bounded (const char  *data,
                              GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;

  g_return_val_if_fail (data != NULL, NULL);

  if (!trb_json_parser_load_bounded (parser, data, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           _("The data is empty."));
      return NULL;
    }
  return json_node_ref (root);
}

/* trb-canonical-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The JSON Canonicalization Scheme (RFC 8785): no whitespace, object members sorted by the
 * UTF-16 code units of their names, strings with the minimal escaping of ECMAScript's
 * JSON.stringify(), and numbers in ECMAScript's Number.prototype.toString() form. Ledger
 * entries are hashed in this form, so that two implementations agree on the bytes.
 */

#define G_LOG_DOMAIN "trb-canonical-json"

#include "config.h"

#include "trb-canonical-json.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trb-ledger-error.h"
#include "trb-json.h"

/* 2^53: integers beyond it are not exactly representable as IEEE doubles, which is what JSON
 * numbers are in RFC 8785. They are refused rather than silently rounded. */
#define MAX_SAFE_INTEGER G_GINT64_CONSTANT (9007199254740992)

static gboolean serialize_node (GString   *out,
                                JsonNode  *node,
                                guint      depth,
                                GError   **error);

/* Finds the shortest decimal digits (at most 17) that read back as exactly @value, like
 * ECMAScript does. Writes the digits to @digits (NUL-terminated, no leading zeros) and the
 * decimal exponent n such that value = 0.d1d2… × 10^n.
 *
 * Written and read back with GLib's ASCII functions, never the C library's own number
 * formatting and parsing: those follow LC_NUMERIC, and in a decimal-comma locale (de_DE, fr_FR, …) "8,125e-01" would neither read
 * back nor be the ledger's bytes. */
static void
shortest_digits (double  value,
                 char    digits[32],
                 int    *exponent)
{
  char buf[40];

  g_assert (value > 0 && isfinite (value));

  for (int precision = 1; precision <= 17; precision++)
    {
      char format[8];
      char *e;
      int k = 0;
      int exp10;

      g_snprintf (format, sizeof format, "%%.%de", precision - 1);
      g_ascii_formatd (buf, sizeof buf, format, value);
      if (precision < 17 && g_ascii_strtod (buf, NULL) != value)
        continue;

      /* buf is "d.ddde±xx" (or "de±xx" for one digit). */
      e = strchr (buf, 'e');
      g_assert (e != NULL);
      exp10 = atoi (e + 1);
      for (const char *p = buf; p < e; p++)
        {
          if (*p != '.')
            digits[k++] = *p;
        }
      while (k > 1 && digits[k - 1] == '0')
        k--;
      digits[k] = '\0';
      *exponent = exp10 + 1;
      return;
    }

  g_assert_not_reached ();
}

/**
 * trb_canonical_json_format_number:
 * @value: a finite double
 * @buffer: where to write the text, NUL-terminated
 * @buffer_size: at least 32 bytes
 *
 * Formats @value as ECMAScript's Number.prototype.toString() does (RFC 8785, section 3.2.2.3).
 *
 * Returns: %FALSE with @error set for NaN and infinities, which JSON cannot carry
 */
gboolean
trb_canonical_json_format_number (double   value,
                                  char    *buffer,
                                  gsize    buffer_size,
                                  GError **error)
{
  g_autoptr(GString) out = NULL;
  char digits[32];
  int n;
  int k;

  g_return_val_if_fail (buffer != NULL, FALSE);
  g_return_val_if_fail (buffer_size >= 32, FALSE);

  if (!isfinite (value))
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The data contains a number that is not finite."));
      return FALSE;
    }

  if (value == 0)
    {
      /* Negative zero too. */
      g_strlcpy (buffer, "0", buffer_size);
      return TRUE;
    }

  out = g_string_sized_new (32);
  if (value < 0)
    {
      g_string_append_c (out, '-');
      value = -value;
    }

  shortest_digits (value, digits, &n);
  k = strlen (digits);

  if (k <= n && n <= 21)
    {
      g_string_append (out, digits);
      for (int i = 0; i < n - k; i++)
        g_string_append_c (out, '0');
    }
  else if (0 < n && n <= 21)
    {
      g_string_append_len (out, digits, n);
      g_string_append_c (out, '.');
      g_string_append (out, digits + n);
    }
  else if (-6 < n && n <= 0)
    {
      g_string_append (out, "0.");
      for (int i = 0; i < -n; i++)
        g_string_append_c (out, '0');
      g_string_append (out, digits);
    }
  else
    {
      g_string_append_c (out, digits[0]);
      if (k > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      g_string_append_printf (out, "e%c%d", n - 1 >= 0 ? '+' : '-', ABS (n - 1));
    }

  g_assert (out->len < buffer_size);
  memcpy (buffer, out->str, out->len + 1);
  return TRUE;
}

static gboolean
serialize_string (GString     *out,
                  const char  *str,
                  GError     **error)
{
  if (!g_utf8_validate (str, -1, NULL))
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The data contains text that is not valid UTF-8."));
      return FALSE;
    }

  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *)str; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, *p);
          break;
        }
    }
  g_string_append_c (out, '"');

  return TRUE;
}

typedef struct
{
  const char *name;
  gunichar2  *utf16;
  glong       utf16_len;
} Member;

static int
compare_members (gconstpointer a,
                 gconstpointer b)
{
  const Member *ma = a;
  const Member *mb = b;
  glong n = MIN (ma->utf16_len, mb->utf16_len);

  /* RFC 8785 sorts by UTF-16 code units, compared as unsigned integers. */
  for (glong i = 0; i < n; i++)
    {
      if (ma->utf16[i] != mb->utf16[i])
        return ma->utf16[i] < mb->utf16[i] ? -1 : 1;
    }
  return (ma->utf16_len > mb->utf16_len) - (ma->utf16_len < mb->utf16_len);
}

static gboolean
serialize_object (GString     *out,
                  JsonObject  *object,
                  guint        depth,
                  GError     **error)
{
  g_autoptr(GList) names = json_object_get_members (object);
  g_autoptr(GArray) members = g_array_new (FALSE, TRUE, sizeof (Member));
  gboolean ok = TRUE;

  for (const GList *l = names; l != NULL; l = l->next)
    {
      Member m = { l->data, NULL, 0 };

      m.utf16 = g_utf8_to_utf16 (m.name, -1, NULL, &m.utf16_len, NULL);
      if (m.utf16 == NULL)
        {
          g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                       _("The data contains a name that is not valid UTF-8."));
          ok = FALSE;
          break;
        }
      g_array_append_val (members, m);
    }

  if (ok)
    {
      g_array_sort (members, compare_members);

      g_string_append_c (out, '{');
      for (guint i = 0; ok && i < members->len; i++)
        {
          const Member *m = &g_array_index (members, Member, i);

          if (i > 0)
            g_string_append_c (out, ',');
          ok = serialize_string (out, m->name, error);
          if (ok)
            {
              g_string_append_c (out, ':');
              ok = serialize_node (out, json_object_get_member (object, m->name), depth + 1,
                                   error);
            }
        }
      g_string_append_c (out, '}');
    }

  for (guint i = 0; i < members->len; i++)
    g_free (g_array_index (members, Member, i).utf16);

  return ok;
}

static gboolean
serialize_value (GString   *out,
                 JsonNode  *node,
                 GError   **error)
{
  char buf[32];

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      {
        gint64 v = json_node_get_int (node);

        if (v > MAX_SAFE_INTEGER || v < -MAX_SAFE_INTEGER)
          {
            g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                         _("The data contains a number too large to be stored exactly."));
            return FALSE;
          }
        g_string_append_printf (out, "%" G_GINT64_FORMAT, v);
        return TRUE;
      }

    case G_TYPE_DOUBLE:
      if (!trb_canonical_json_format_number (json_node_get_double (node), buf, sizeof buf, error))
        return FALSE;
      g_string_append (out, buf);
      return TRUE;

    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      return TRUE;

    case G_TYPE_STRING:
      return serialize_string (out, json_node_get_string (node), error);

    default:
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The data contains a value of an unsupported kind."));
      return FALSE;
    }
}

static gboolean
serialize_node (GString   *out,
                JsonNode  *node,
                guint      depth,
                GError   **error)
{
  if (depth > TRB_CANONICAL_JSON_MAX_DEPTH)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                   _("The data is nested too deeply."));
      return FALSE;
    }
  if (out->len > TRB_CANONICAL_JSON_MAX_SIZE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                   _("The data is too large."));
      return FALSE;
    }

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      return TRUE;

    case JSON_NODE_VALUE:
      return serialize_value (out, node, error);

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            if (!serialize_node (out, json_array_get_element (array, i), depth + 1, error))
              return FALSE;
          }
        g_string_append_c (out, ']');
        return TRUE;
      }

    case JSON_NODE_OBJECT:
      return serialize_object (out, json_node_get_object (node), depth, error);

    default:
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The data contains a value of an unsupported kind."));
      return FALSE;
    }
}

/**
 * trb_canonical_json_serialize:
 * @node: a JSON tree
 * @length: (out) (optional): the length of the result
 *
 * Writes @node in the RFC 8785 canonical form. Integers must lie within ±2^53 and doubles
 * must be finite; the tree may be at most %TRB_CANONICAL_JSON_MAX_DEPTH deep and the result
 * at most %TRB_CANONICAL_JSON_MAX_SIZE long.
 *
 * Returns: (transfer full): the canonical text, or %NULL with @error set
 */
char *
trb_canonical_json_serialize (JsonNode  *node,
                              gsize     *length,
                              GError   **error)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (node != NULL, NULL);

  out = g_string_sized_new (256);
  if (!serialize_node (out, node, 0, error))
    return NULL;
  if (out->len > TRB_CANONICAL_JSON_MAX_SIZE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE, _("The data is too large."));
      return NULL;
    }

  if (length != NULL)
    *length = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* json-glib has no depth limit of its own, so the nesting is measured on the raw text (outside
 * strings) before the parser sees it. json-glib also cuts strings at an escaped U+0000, which
 * would silently change the data, so such strings are refused here. */
static gboolean
check_depth (const char  *json,
             gsize        length,
             GError     **error)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = json[i];

      if (in_string)
        {
          if (c == '\\')
            {
              if (i + 5 < length && strncmp (json + i + 1, "u0000", 5) == 0)
                {
                  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                               _("The data contains a text with a NUL character."));
                  return FALSE;
                }
              i++;
            }
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > TRB_CANONICAL_JSON_MAX_DEPTH)
            {
              g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                           _("The data is nested too deeply."));
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

  return TRUE;
}

/**
 * trb_canonical_json_from_string:
 * @json: JSON text
 * @length: its length, or -1 when NUL-terminated
 * @out_length: (out) (optional): the length of the result
 *
 * Parses @json (bounded by %TRB_CANONICAL_JSON_MAX_SIZE and %TRB_CANONICAL_JSON_MAX_DEPTH) and
 * writes it in canonical form.
 *
 * Returns: (transfer full): the canonical text, or %NULL with @error set
 */
char *
trb_canonical_json_from_string (const char  *json,
                                gssize       length,
                                gsize       *out_length,
                                GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (json != NULL, NULL);

  if (length < 0)
    length = strlen (json);
  if ((gsize)length > TRB_CANONICAL_JSON_MAX_SIZE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE, _("The data is too large."));
      return NULL;
    }
  if (memchr (json, '\0', length) != NULL || !g_utf8_validate (json, length, NULL))
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The data is not valid UTF-8 text."));
      return NULL;
    }
  if (!check_depth (json, length, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!trb_json_parser_load_bounded (parser, json, length, &local_error))
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The data is not valid JSON: %s"), local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID, _("The data is empty."));
      return NULL;
    }

  return trb_canonical_json_serialize (root, out_length, error);
}

/**
 * trb_canonical_json_is_canonical:
 *
 * Returns: %TRUE when @json is valid JSON already in canonical form, byte for byte; %FALSE with
 *   @error set otherwise (including duplicate member names, which the canonical form drops)
 */
gboolean
trb_canonical_json_is_canonical (const char  *json,
                                 gsize        length,
                                 GError     **error)
{
  g_autofree char *canonical = NULL;
  gsize canonical_length = 0;

  g_return_val_if_fail (json != NULL, FALSE);

  canonical = trb_canonical_json_from_string (json, length, &canonical_length, error);
  if (canonical == NULL)
    return FALSE;

  if (canonical_length != length || memcmp (canonical, json, length) != 0)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("The data is not in canonical form."));
      return FALSE;
    }

  return TRUE;
}

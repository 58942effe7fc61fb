/* trb-canonical-json.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Limits on what is read from outside. */
#define TRB_CANONICAL_JSON_MAX_DEPTH 32
#define TRB_CANONICAL_JSON_MAX_SIZE  (4 * 1024 * 1024)

char     *trb_canonical_json_serialize   (JsonNode     *node,
                                          gsize        *length,
                                          GError      **error);
char     *trb_canonical_json_from_string (const char   *json,
                                          gssize        length,
                                          gsize        *out_length,
                                          GError      **error);
gboolean  trb_canonical_json_is_canonical (const char  *json,
                                          gsize         length,
                                          GError      **error);
gboolean  trb_canonical_json_format_number (double      value,
                                           char        *buffer,
                                           gsize        buffer_size,
                                           GError     **error);

G_END_DECLS

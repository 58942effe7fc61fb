/* trb-invite.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-invite"

#include "config.h"

#include "trb-invite.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

/**
 * trb_invite_make:
 * @url: a network's address
 *
 * Returns: (transfer full): its invite link
 */
char *
trb_invite_make (const char *url)
{
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  escaped = g_uri_escape_string (url, NULL, FALSE);
  return g_strconcat ("tributary://join?url=", escaped, NULL);
}

/**
 * trb_invite_parse:
 * @text: an invite link (`tributary://join?url=…`) or a network's address (http or https), as
 *   typed or pasted
 * @error: return location for an error in plain words
 *
 * Returns: (transfer full) (nullable): the network's address, without user information, query
 *   or fragment
 */
char *
trb_invite_parse (const char  *text,
                  GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  if (strlen (text) > TRB_INVITE_MAX_LENGTH)
    goto bad;
  stripped = g_strstrip (g_strdup (text));
  uri = g_uri_parse (stripped, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (uri == NULL)
    goto bad;
  if (g_strcmp0 (g_uri_get_scheme (uri), "tributary") == 0)
    {
      g_autoptr(GHashTable) params = NULL;
      const char *query = g_uri_get_query (uri);
      const char *inner;

      if (g_strcmp0 (g_uri_get_host (uri), "join") != 0 || query == NULL)
        goto bad;
      params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
      inner = params != NULL ? g_hash_table_lookup (params, "url") : NULL;
      if (inner == NULL || g_str_has_prefix (inner, "tributary:"))
        goto bad;
      g_clear_pointer (&uri, g_uri_unref);
      uri = g_uri_parse (inner, G_URI_FLAGS_NONE, NULL);
      if (uri == NULL)
        goto bad;
    }
  if ((g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) || g_uri_get_host (uri) == NULL ||
      *g_uri_get_host (uri) == '\0')
    goto bad;
  return g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO | G_URI_HIDE_QUERY |
                                       G_URI_HIDE_FRAGMENT);

bad:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("This is not a network address or an invite link. An address starts "
                         "with “https://”; an invite link with “tributary://join”."));
  return NULL;
}

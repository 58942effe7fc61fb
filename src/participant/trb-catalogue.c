/* trb-catalogue.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-catalogue"

#include "config.h"

#include "trb-catalogue.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "participant/trb-invite.h"
#include "trb-json.h"

void
trb_catalogue_entry_free (TrbCatalogueEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->name);
  g_free (entry->url);
  g_free (entry->operator_name);
  g_free (entry->description);
  g_free (entry);
}

static char *
text_member (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  const char *text;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  text = json_node_get_string (node);
  if (text == NULL || *text == '\0' || strlen (text) > TRB_CATALOGUE_MAX_TEXT ||
      !g_utf8_validate (text, -1, NULL))
    return NULL;
  return g_strdup (text);
}

static void
set_unreadable (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The network directory could not be read: it is not a list of "
                         "networks."));
}

/**
 * trb_catalogue_parse:
 * @data: the catalogue's JSON
 * @length: its length in bytes
 * @error: return location for an error in plain words
 *
 * Returns: (transfer container) (element-type TrbCatalogueEntry) (nullable): the usable
 *   entries, at most %TRB_CATALOGUE_MAX_ENTRIES, their addresses checked
 */
GPtrArray *
trb_catalogue_parse (const char  *data,
                     gsize        length,
                     GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) entries = NULL;
  JsonNode *root, *list;
  JsonArray *array;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > TRB_CATALOGUE_MAX_BYTES)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                           _("The network directory is too large."));
      return NULL;
    }
  if (!trb_json_parser_load_bounded (parser, data, length, NULL))
    {
      set_unreadable (error);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      set_unreadable (error);
      return NULL;
    }
  list = json_object_get_member (json_node_get_object (root), "networks");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      set_unreadable (error);
      return NULL;
    }

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) trb_catalogue_entry_free);
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array) &&
                    entries->len < TRB_CATALOGUE_MAX_ENTRIES; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autofree char *name = NULL;
      g_autofree char *url_text = NULL;
      g_autofree char *url = NULL;
      TrbCatalogueEntry *entry;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      name = text_member (json_node_get_object (node), "name");
      url_text = text_member (json_node_get_object (node), "url");
      if (name == NULL || url_text == NULL ||
          (url = trb_invite_parse (url_text, NULL)) == NULL)
        continue;
      entry = g_new0 (TrbCatalogueEntry, 1);
      entry->name = g_steal_pointer (&name);
      entry->url = g_steal_pointer (&url);
      entry->operator_name = text_member (json_node_get_object (node), "operator");
      entry->description = text_member (json_node_get_object (node), "description");
      g_ptr_array_add (entries, entry);
    }
  return g_steal_pointer (&entries);
}

typedef struct
{
  SoupSession *session;
  SoupMessage *message;
  GByteArray  *data;
} FetchData;

static void
fetch_data_free (FetchData *fetch)
{
  g_clear_object (&fetch->session);
  g_clear_object (&fetch->message);
  g_clear_pointer (&fetch->data, g_byte_array_unref);
  g_free (fetch);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  FetchData *fetch = g_task_get_task_data (task);
  GPtrArray *entries;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (bytes) > 0)
    {
      g_byte_array_append (fetch->data, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      /* Stop reading as soon as it is too large, whatever the server sends. */
      if (fetch->data->len > TRB_CATALOGUE_MAX_BYTES)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "%s",
                                   _("The network directory is too large."));
          return;
        }
      g_input_stream_read_bytes_async (G_INPUT_STREAM (source), 64 * 1024, G_PRIORITY_DEFAULT,
                                       g_task_get_cancellable (task), read_cb,
                                       g_object_ref (task));
      return;
    }
  entries = trb_catalogue_parse ((const char *) fetch->data->data, fetch->data->len, &error);
  if (entries == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = NULL;
  FetchData *fetch = g_task_get_task_data (task);

  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (stream == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                               _("The network directory could not be reached: %s"),
                               error->message);
      return;
    }
  if (soup_message_get_status (fetch->message) != SOUP_STATUS_OK)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The network directory could not be fetched (the server "
                                 "answered %u)."), soup_message_get_status (fetch->message));
      return;
    }
  g_input_stream_read_bytes_async (stream, 64 * 1024, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_cb, g_object_ref (task));
}

/**
 * trb_catalogue_fetch_async:
 * @url: the directory's address (http or https)
 * @cancellable: (nullable): a cancellable
 * @callback: called with the entries
 * @user_data: data for @callback
 *
 * Fetches and reads a network directory, at most %TRB_CATALOGUE_MAX_BYTES.
 */
void
trb_catalogue_fetch_async (const char          *url,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  FetchData *fetch;
  SoupMessage *message;

  g_task_set_source_tag (task, trb_catalogue_fetch_async);
  if (url == NULL || (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://")) ||
      (message = soup_message_new (SOUP_METHOD_GET, url)) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
                               _("The network directory’s address is not valid."));
      return;
    }
  fetch = g_new0 (FetchData, 1);
  fetch->message = message;
  fetch->session = soup_session_new_with_options ("timeout", 30, NULL);
  fetch->data = g_byte_array_new ();
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_data_free);
  soup_session_send_async (fetch->session, message, G_PRIORITY_DEFAULT, cancellable, sent_cb,
                           g_object_ref (task));
}

GPtrArray *
trb_catalogue_fetch_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

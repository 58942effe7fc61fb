/* trb-catalogue.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A directory of learning networks, fetched from the address in the `catalogue-url` setting:
 *
 *   { "networks": [ { "name": "…", "url": "https://…", "operator": "…",
 *                     "description": "…" }, … ] }
 *
 * Only "name" and "url" are required; entries that are unusable are left out.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TRB_CATALOGUE_MAX_BYTES   (1024 * 1024)
#define TRB_CATALOGUE_MAX_ENTRIES 500
#define TRB_CATALOGUE_MAX_TEXT    2000

typedef struct
{
  char *name;
  char *url;
  char *operator_name;
  char *description;
} TrbCatalogueEntry;

void       trb_catalogue_entry_free  (TrbCatalogueEntry    *entry);
GPtrArray *trb_catalogue_parse       (const char           *data,
                                      gsize                 length,
                                      GError              **error);
void       trb_catalogue_fetch_async (const char           *url,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
GPtrArray *trb_catalogue_fetch_finish (GAsyncResult        *result,
                                       GError             **error);

G_END_DECLS

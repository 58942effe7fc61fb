/* trb-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define TRB_STORE_ERROR (trb_store_error_quark ())

typedef enum
{
  TRB_STORE_ERROR_OPEN,
  TRB_STORE_ERROR_QUERY,
  TRB_STORE_ERROR_TOO_NEW,
} TrbStoreError;

#define TRB_TYPE_STORE (trb_store_get_type ())

G_DECLARE_FINAL_TYPE (TrbStore, trb_store, TRB, STORE, GObject)

GQuark      trb_store_error_quark       (void);
char       *trb_store_default_path      (void);
TrbStore   *trb_store_new_for_path      (const char          *path,
                                         GError             **error);
const char *trb_store_get_path          (TrbStore            *self);
sqlite3    *trb_store_get_db            (TrbStore            *self);
gboolean    trb_store_exec              (TrbStore            *self,
                                         const char          *sql,
                                         GError             **error);
gboolean    trb_store_migrate           (TrbStore            *self,
                                         const char          *component,
                                         const char * const  *steps,
                                         guint                n_steps,
                                         GError             **error);
int         trb_store_get_schema_version (TrbStore           *self,
                                          const char         *component);
gboolean    trb_store_set_error_from_db (TrbStore            *self,
                                         GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS

/* trb-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local store, as the rest of the program sees it: an opaque object that is opened once,
 * shared, and announces its changes. The operations on each area's tables are in the
 * trb-store-<area>.h headers beside this one; the SQL behind them stays inside src/store/.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TRB_STORE_ERROR (trb_store_error_quark ())

/**
 * TrbStoreError:
 * @TRB_STORE_ERROR_OPEN: the database could not be opened or created
 * @TRB_STORE_ERROR_QUERY: a statement could not be prepared or run
 * @TRB_STORE_ERROR_TOO_NEW: the database was written by a newer version
 * @TRB_STORE_ERROR_CLOSED: the store was closed (the program is quitting)
 *
 * Every failure of the store reaches its caller as one of these; none is only logged.
 */
typedef enum
{
  TRB_STORE_ERROR_OPEN,
  TRB_STORE_ERROR_QUERY,
  TRB_STORE_ERROR_TOO_NEW,
  TRB_STORE_ERROR_CLOSED,
} TrbStoreError;

/* The kinds of change announced by TrbStore::changed, used as its detail. */
#define TRB_STORE_CHANGE_PARTICIPATION "participation"
#define TRB_STORE_CHANGE_NETWORKS      "networks"
#define TRB_STORE_CHANGE_EVENTS        "events"
#define TRB_STORE_CHANGE_HISTORY       "history"
#define TRB_STORE_CHANGE_WALLET        "wallet"
#define TRB_STORE_CHANGE_DATASETS      "datasets"
#define TRB_STORE_CHANGE_LEDGER        "ledger"

#define TRB_TYPE_STORE (trb_store_get_type ())

G_DECLARE_FINAL_TYPE (TrbStore, trb_store, TRB, STORE, GObject)

GQuark      trb_store_error_quark        (void);
char       *trb_store_default_path       (void);
TrbStore   *trb_store_new_for_path       (const char          *path,
                                          GError             **error);
const char *trb_store_get_path           (TrbStore            *self);
void        trb_store_close              (TrbStore            *self);
gboolean    trb_store_is_closed          (TrbStore            *self);
gboolean    trb_store_migrate            (TrbStore            *self,
                                          const char          *component,
                                          const char * const  *steps,
                                          guint                n_steps,
                                          GError             **error);
int         trb_store_get_schema_version (TrbStore            *self,
                                          const char          *component);
void        trb_store_emit_changed       (TrbStore            *self,
                                          const char          *kind,
                                          const char          *origin);

G_END_DECLS

/* trb-store-participation.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "store/trb-store.h"

G_BEGIN_DECLS

/**
 * TrbStoreParticipationRow:
 *
 * What a participation loop writes down after each change of state, so that it resumes from
 * there after a crash. The strings belong to the row (trb_store_participation_row_clear()).
 */
typedef struct
{
  char    *state;
  gint64   round;
  char    *model;
  guint64  seed;
  char    *update_hash;
  gint64   last_round;
  char    *problem;
  gint64   retry_at;
  int      failures;
  guint64  ledger_scanned;
  int      refusals;
} TrbStoreParticipationRow;

/**
 * TrbStoreNetwork:
 *
 * A joined network as written down at Join; @wallet is the address of the wallet that takes
 * part (%NULL in rows written before wallets).
 */
typedef struct
{
  char *url, *origin, *name, *ledger_key, *task, *dataset, *wallet;
} TrbStoreNetwork;

/**
 * TrbStoreEvent:
 *
 * One line of the event log.
 */
typedef struct
{
  gint64  time;
  char   *origin;
  char   *kind;
  char   *message;
} TrbStoreEvent;

void       trb_store_network_free                   (TrbStoreNetwork  *network);
void       trb_store_event_free                     (TrbStoreEvent    *event);
GPtrArray *trb_store_participation_list_networks    (TrbStore         *store,
                                                     GError          **error);
gboolean   trb_store_participation_add_network      (TrbStore         *store,
                                                     const TrbStoreNetwork *network,
                                                     GError          **error);
gboolean   trb_store_participation_remove_network   (TrbStore         *store,
                                                     const char       *origin,
                                                     GError          **error);
gboolean   trb_store_participation_set_dataset      (TrbStore         *store,
                                                     const char       *origin,
                                                     const char       *dataset,
                                                     GError          **error);
GPtrArray *trb_store_participation_list_events      (TrbStore         *store,
                                                     const char       *origin,
                                                     guint             limit,
                                                     GError          **error);

void     trb_store_participation_row_clear      (TrbStoreParticipationRow        *row);
gboolean trb_store_participation_migrate        (TrbStore                        *store,
                                                 GError                         **error);
gboolean trb_store_participation_save           (TrbStore                        *store,
                                                 const char                      *origin,
                                                 const TrbStoreParticipationRow  *row,
                                                 GError                         **error);
gboolean trb_store_participation_load           (TrbStore                        *store,
                                                 const char                      *origin,
                                                 TrbStoreParticipationRow        *row,
                                                 gboolean                        *found,
                                                 GError                         **error);
gboolean trb_store_participation_log_event      (TrbStore                        *store,
                                                 const char                      *origin,
                                                 const char                      *kind,
                                                 const char                      *message,
                                                 GError                         **error);
gboolean trb_store_participation_add_receipt    (TrbStore                        *store,
                                                 const char                      *origin,
                                                 gint64                           leaf_index,
                                                 const char                      *task,
                                                 gint64                           round,
                                                 const char                      *participant,
                                                 const char                      *update_hash,
                                                 GError                         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbStoreNetwork, trb_store_network_free)

G_END_DECLS

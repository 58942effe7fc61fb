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

G_END_DECLS

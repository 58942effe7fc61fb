/* trb-ledger-entry.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ledger entries: builders that write canonical JSON (RFC 8785) and a strict parser. The
 * formats are defined in docs/ledger-format.md.
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TRB_LEDGER_ENTRY_MAX_SIZE     (1024 * 1024)
#define TRB_LEDGER_ENTRY_MAX_UPDATES  10000
#define TRB_LEDGER_ENTRY_MAX_METRICS  32

typedef enum
{
  TRB_LEDGER_ENTRY_PARTICIPANT_JOINED,
  TRB_LEDGER_ENTRY_ROUND_OPENED,
  TRB_LEDGER_ENTRY_UPDATE_ACCEPTED,
  TRB_LEDGER_ENTRY_ROUND_CLOSED,
  TRB_LEDGER_ENTRY_REWARD,
} TrbLedgerEntryType;

/**
 * TrbRoundSelection:
 * @joined_after: the first ledger index of the participants this period considers
 * @joined_before: the ledger index past the last one: the participants whose
 *   `participant_joined` is at an index in [@joined_after, @joined_before) are considered
 * @max_asked: the most participants the round asks (the task's `max_updates`)
 * @asked: how many of those considered this period asks
 * @cutoff: the highest rank (trb_client_selection_rank()) this period asks, 64 hexadecimal
 *   digits; 64 zeros when it asks nobody
 *
 * Whom a round asks, as a `round_opened` entry states it (docs/ledger-format.md).
 */
typedef struct
{
  gint64      joined_after;
  gint64      joined_before;
  gint64      max_asked;
  gint64      asked;
  const char *cutoff;
} TrbRoundSelection;

#define TRB_TYPE_LEDGER_ENTRY (trb_ledger_entry_get_type ())

G_DECLARE_FINAL_TYPE (TrbLedgerEntry, trb_ledger_entry, TRB, LEDGER_ENTRY, GObject)

char               *trb_ledger_entry_build_participant_joined (const char         *participant,
                                                               gint64              time,
                                                               gsize              *length,
                                                               GError            **error);
char               *trb_ledger_entry_build_round_opened       (const char         *task,
                                                               gint64              round,
                                                               const char         *model,
                                                               gint64              deadline,
                                                               gint64              time,
                                                               gsize              *length,
                                                               GError            **error);
char               *trb_ledger_entry_build_round_opened_selected (const char              *task,
                                                                 gint64                   round,
                                                                 const char              *model,
                                                                 gint64                   deadline,
                                                                 const TrbRoundSelection *selection,
                                                                 gint64                   time,
                                                                 gsize                   *length,
                                                                 GError                 **error);
char               *trb_ledger_entry_build_update_accepted    (const char         *task,
                                                               gint64              round,
                                                               const char         *participant,
                                                               const char         *update,
                                                               gint64              samples,
                                                               const char         *commitment,
                                                               gint64              time,
                                                               gsize              *length,
                                                               GError            **error);
char               *trb_ledger_entry_build_round_closed       (const char         *task,
                                                               gint64              round,
                                                               const char         *model,
                                                               const char * const *updates,
                                                               const char * const *metric_names,
                                                               const double       *metric_values,
                                                               guint               n_metrics,
                                                               gint64              time,
                                                               gsize              *length,
                                                               GError            **error);
char               *trb_ledger_entry_build_reward             (const char         *task,
                                                               gint64              round,
                                                               const char         *participant,
                                                               gint64              points,
                                                               gint64              time,
                                                               gsize              *length,
                                                               GError            **error);
char               *trb_ledger_entry_build_checked_reward     (const char         *task,
                                                               gint64              round,
                                                               const char         *participant,
                                                               const char         *update,
                                                               gint64              points,
                                                               gint64              samples,
                                                               gint64              epochs,
                                                               gboolean            used,
                                                               double              norm,
                                                               gint64              time,
                                                               gsize              *length,
                                                               GError            **error);

TrbLedgerEntry     *trb_ledger_entry_parse                    (const char         *data,
                                                               gsize               length,
                                                               GError            **error);
TrbLedgerEntryType  trb_ledger_entry_get_entry_type           (TrbLedgerEntry     *self);
const char         *trb_ledger_entry_type_to_string           (TrbLedgerEntryType  type);
gint64              trb_ledger_entry_get_time                 (TrbLedgerEntry     *self);
const char         *trb_ledger_entry_get_participant          (TrbLedgerEntry     *self);
const char         *trb_ledger_entry_get_task                 (TrbLedgerEntry     *self);
gint64              trb_ledger_entry_get_round                (TrbLedgerEntry     *self);
const char         *trb_ledger_entry_get_model                (TrbLedgerEntry     *self);
const TrbRoundSelection *trb_ledger_entry_get_selection   (TrbLedgerEntry     *self);
const char         *trb_ledger_entry_get_update               (TrbLedgerEntry     *self);
gint64              trb_ledger_entry_get_samples              (TrbLedgerEntry     *self);
const char         *trb_ledger_entry_get_commitment           (TrbLedgerEntry     *self);
const char * const *trb_ledger_entry_get_updates              (TrbLedgerEntry     *self);
guint               trb_ledger_entry_get_n_metrics            (TrbLedgerEntry     *self);
const char         *trb_ledger_entry_get_metric               (TrbLedgerEntry     *self,
                                                               guint               i,
                                                               double             *value);
gint64              trb_ledger_entry_get_points               (TrbLedgerEntry     *self);
gint64              trb_ledger_entry_get_reward_rule          (TrbLedgerEntry     *self);
gint64              trb_ledger_entry_get_epochs               (TrbLedgerEntry     *self);
gboolean            trb_ledger_entry_get_used                 (TrbLedgerEntry     *self);
double              trb_ledger_entry_get_norm                 (TrbLedgerEntry     *self);
const char         *trb_ledger_entry_get_canonical            (TrbLedgerEntry     *self,
                                                               gsize              *length);

G_END_DECLS

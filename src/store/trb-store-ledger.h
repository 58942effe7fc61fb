/* trb-store-ledger.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "store/trb-store.h"

G_BEGIN_DECLS

/**
 * TrbStoreLedgerEvidence:
 *
 * One piece of evidence that a ledger was tampered with, as written down. @kind is the name
 * trb_ledger_tamper_to_string() gives (%NULL in rows from before kinds: a fork); @entry,
 * @proof and the keys are %NULL where the kind has none; @entry_index is 0 without an entry.
 */
typedef struct
{
  char   *verified_note;
  char   *conflicting_note;
  gint64  detected_at;
  char   *kind;
  char   *entry;
  gint64  entry_index;
  GBytes *proof;
  char   *verified_key;
  char   *conflicting_key;
} TrbStoreLedgerEvidence;

void       trb_store_ledger_evidence_free        (TrbStoreLedgerEvidence  *evidence);
gboolean   trb_store_ledger_migrate              (TrbStore                *store,
                                                  GError                 **error);
gboolean   trb_store_ledger_get_pinned_key       (TrbStore                *store,
                                                  const char              *origin,
                                                  char                   **vkey,
                                                  GError                 **error);
gboolean   trb_store_ledger_pin_key              (TrbStore                *store,
                                                  const char              *origin,
                                                  const char              *vkey,
                                                  GError                 **error);
gboolean   trb_store_ledger_get_checkpoint_note  (TrbStore                *store,
                                                  const char              *origin,
                                                  gint64                   size,
                                                  char                   **note,
                                                  GError                 **error);
gboolean   trb_store_ledger_add_checkpoint       (TrbStore                *store,
                                                  const char              *origin,
                                                  gint64                   size,
                                                  const guint8            *root,
                                                  gsize                    root_size,
                                                  const char              *note,
                                                  GError                 **error);
gboolean   trb_store_ledger_first_evidence_kind  (TrbStore                *store,
                                                  const char              *origin,
                                                  gboolean                *found,
                                                  char                   **kind,
                                                  GError                 **error);
gboolean   trb_store_ledger_has_key_evidence     (TrbStore                *store,
                                                  const char              *origin,
                                                  const char              *kind,
                                                  const char              *key,
                                                  gboolean                *found,
                                                  GError                 **error);
gboolean   trb_store_ledger_trust_again          (TrbStore                *store,
                                                  const char              *origin,
                                                  GError                 **error);
gboolean   trb_store_ledger_add_fork_evidence    (TrbStore                *store,
                                                  const char              *origin,
                                                  const char              *kind,
                                                  const char              *verified_note,
                                                  const char              *conflicting_note,
                                                  gsize                    conflicting_length,
                                                  const guint8            *proof,
                                                  gsize                    proof_size,
                                                  GError                 **error);
gboolean   trb_store_ledger_add_entry_evidence   (TrbStore                *store,
                                                  const char              *origin,
                                                  const char              *kind,
                                                  const char              *verified_note,
                                                  const guint8            *proof,
                                                  gsize                    proof_size,
                                                  const char              *entry,
                                                  gsize                    entry_length,
                                                  gint64                   entry_index,
                                                  GError                 **error);
gboolean   trb_store_ledger_add_key_evidence     (TrbStore                *store,
                                                  const char              *origin,
                                                  const char              *kind,
                                                  const char              *verified_note,
                                                  const char              *conflicting_note,
                                                  const char              *verified_key,
                                                  const char              *conflicting_key,
                                                  GError                 **error);
GPtrArray *trb_store_ledger_list_evidence        (TrbStore                *store,
                                                  const char              *origin,
                                                  GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbStoreLedgerEvidence, trb_store_ledger_evidence_free)

G_END_DECLS

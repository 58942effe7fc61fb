/* test-ledger.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Entries, and the client's verified history against a node-side log, including tampering.
 */

#include "config.h"

#include <string.h>

#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-error.h"
#include "ledger/trb-ledger-history.h"
#include "ledger/trb-merkle-log.h"
#include "net/trb-protocol.h"

#define ALICE "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"
#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
test_entry_builders (void)
{
  const char *updates[] = { H2, H1, NULL };
  const char *names[] = { "loss", "accuracy" };
  const double values[] = { 0.5, 0.875 };
  g_autoptr(GError) error = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *accepted = NULL;
  g_autofree char *closed = NULL;
  g_autofree char *reward = NULL;
  g_autoptr(TrbLedgerEntry) e = NULL;
  double v;
  gsize len;

  joined = trb_ledger_entry_build_participant_joined (ALICE, 1700000000, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (joined, ==, "{\"participant\":\"" ALICE "\",\"time\":1700000000,"
                               "\"type\":\"participant_joined\"}");

  opened = trb_ledger_entry_build_round_opened ("fashion-mnist", 3, H3, 1700000600, 1700000000,
                                                NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (opened, ==, "{\"deadline\":1700000600,\"model\":\"" H3 "\",\"round\":3,"
                               "\"task\":\"fashion-mnist\",\"time\":1700000000,"
                               "\"type\":\"round_opened\"}");

  accepted = trb_ledger_entry_build_update_accepted ("fashion-mnist", 3, ALICE, H1, 600, H2,
                                                     1700000100, NULL, &error);
  g_assert_no_error (error);
  e = trb_ledger_entry_parse (accepted, strlen (accepted), &error);
  g_assert_no_error (error);
  g_assert_cmpint (trb_ledger_entry_get_entry_type (e), ==, TRB_LEDGER_ENTRY_UPDATE_ACCEPTED);
  g_assert_cmpstr (trb_ledger_entry_get_participant (e), ==, ALICE);
  g_assert_cmpint (trb_ledger_entry_get_samples (e), ==, 600);
  g_assert_cmpstr (trb_ledger_entry_get_commitment (e), ==, H2);
  g_clear_object (&e);

  closed = trb_ledger_entry_build_round_closed ("fashion-mnist", 3, H3, updates, names, values, 2,
                                                1700000700, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (closed, ==, "{\"metrics\":{\"accuracy\":0.875,\"loss\":0.5},\"model\":\"" H3
                               "\",\"round\":3,\"task\":\"fashion-mnist\",\"time\":1700000700,"
                               "\"type\":\"round_closed\",\"updates\":[\"" H1 "\",\"" H2 "\"]}");
  e = trb_ledger_entry_parse (closed, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (trb_ledger_entry_get_updates (e)[0], ==, H1);
  g_assert_cmpuint (trb_ledger_entry_get_n_metrics (e), ==, 2);
  g_assert_cmpstr (trb_ledger_entry_get_metric (e, 0, &v), ==, "accuracy");
  g_assert_cmpfloat (v, ==, 0.875);
  g_clear_object (&e);

  reward = trb_ledger_entry_build_reward ("fashion-mnist", 3, ALICE, 1800, 1700000700, NULL,
                                          &error);
  g_assert_no_error (error);
  e = trb_ledger_entry_parse (reward, strlen (reward), &error);
  g_assert_no_error (error);
  g_assert_cmpint (trb_ledger_entry_get_points (e), ==, 1800);

  g_assert_cmpint (trb_ledger_entry_get_reward_rule (e), ==, TRB_REWARD_RULE_CLAIMED);
  g_clear_object (&e);
  g_free (reward);

  /* Rule 2: the rule's inputs beside the points. */
  reward = trb_ledger_entry_build_checked_reward ("fashion-mnist", 3, ALICE, H1, 1000, 100, 1,
                                                  TRUE, 0.25, 1700000700, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reward, ==, "{\"epochs\":1,\"norm\":0.25,\"participant\":\"" ALICE
                               "\",\"points\":1000,\"round\":3,\"rule\":2,\"samples\":100,"
                               "\"task\":\"fashion-mnist\",\"time\":1700000700,"
                               "\"type\":\"reward\",\"update\":\"" H1 "\",\"used\":true}");
  e = trb_ledger_entry_parse (reward, len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (trb_ledger_entry_get_reward_rule (e), ==, TRB_REWARD_RULE_CHECKED);
  g_assert_cmpint (trb_ledger_entry_get_points (e), ==, 1000);
  g_assert_cmpint (trb_ledger_entry_get_samples (e), ==, 100);
  g_assert_cmpint (trb_ledger_entry_get_epochs (e), ==, 1);
  g_assert_true (trb_ledger_entry_get_used (e));
  g_assert_cmpfloat (trb_ledger_entry_get_norm (e), ==, 0.25);
  g_assert_cmpstr (trb_ledger_entry_get_update (e), ==, H1);
  g_clear_object (&e);
  g_free (reward);
  reward = trb_ledger_entry_build_checked_reward ("fashion-mnist", 3, ALICE, H1, 0, 100, 1,
                                                  FALSE, 0, 1700000700, &len, &error);
  g_assert_no_error (error);
  e = trb_ledger_entry_parse (reward, len, &error);
  g_assert_no_error (error);
  g_assert_false (trb_ledger_entry_get_used (e));
  g_assert_cmpfloat (trb_ledger_entry_get_norm (e), ==, 0);
  g_clear_object (&e);
  /* A rule this client does not know, a member missing or a negative norm: refused. */
  {
    const char *bad[] = {
      "{\"epochs\":1,\"norm\":0.25,\"participant\":\"" ALICE "\",\"points\":1000,"
      "\"round\":3,\"rule\":3,\"samples\":100,\"task\":\"t\",\"time\":1,\"type\":\"reward\","
      "\"update\":\"" H1 "\",\"used\":true}",
      "{\"epochs\":1,\"participant\":\"" ALICE "\",\"points\":1000,"
      "\"round\":3,\"rule\":2,\"samples\":100,\"task\":\"t\",\"time\":1,\"type\":\"reward\","
      "\"update\":\"" H1 "\",\"used\":true}",
      "{\"epochs\":1,\"norm\":-1,\"participant\":\"" ALICE "\",\"points\":1000,"
      "\"round\":3,\"rule\":2,\"samples\":100,\"task\":\"t\",\"time\":1,\"type\":\"reward\","
      "\"update\":\"" H1 "\",\"used\":true}",
      "{\"epochs\":1,\"norm\":1,\"participant\":\"" ALICE "\",\"points\":1000,"
      "\"round\":3,\"rule\":2,\"samples\":100,\"task\":\"t\",\"time\":1,\"type\":\"reward\","
      "\"update\":\"" H1 "\",\"used\":1}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_null (trb_ledger_entry_parse (bad[i], strlen (bad[i]), &error));
        g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
        g_clear_error (&error);
      }
  }

  /* Builders refuse what the parser would refuse. */
  g_assert_null (trb_ledger_entry_build_reward ("fashion mnist", 3, ALICE, 1, 0, NULL, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (trb_ledger_entry_build_round_opened ("t", 0, H3, 0, 0, NULL, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (trb_ledger_entry_build_participant_joined ("0OIl", 0, NULL, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
  g_clear_error (&error);
  {
    const char *dup[] = { H1, H1, NULL };

    g_assert_null (trb_ledger_entry_build_round_closed ("t", 1, H3, dup, NULL, NULL, 0, 0, NULL,
                                                        &error));
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
    g_clear_error (&error);
  }
}

static void
test_entry_strict_parser (void)
{
  const char *bad[] = {
    "",
    "[]",
    "{\"type\":\"reward\"}",
    "{\"type\":\"nonsense\",\"time\":1}",
    /* Not canonical: spaces, member order, number form. */
    "{\"participant\": \"" ALICE "\",\"time\":1,\"type\":\"participant_joined\"}",
    "{\"time\":1,\"participant\":\"" ALICE "\",\"type\":\"participant_joined\"}",
    "{\"participant\":\"" ALICE "\",\"time\":1.0,\"type\":\"participant_joined\"}",
    /* Unknown member, wrong types and values. */
    "{\"extra\":1,\"participant\":\"" ALICE "\",\"time\":1,\"type\":\"participant_joined\"}",
    "{\"participant\":\"" ALICE "\",\"time\":-1,\"type\":\"participant_joined\"}",
    "{\"participant\":\"" ALICE "\",\"time\":\"1\",\"type\":\"participant_joined\"}",
    "{\"participant\":\"" ALICE "\",\"time\":9007199254740992,\"type\":\"participant_joined\"}",
    "{\"participant\":\"" ALICE "\",\"points\":-5,\"round\":1,\"task\":\"t\",\"time\":1,"
    "\"type\":\"reward\"}",
    "{\"metrics\":{\"Loss\":1},\"model\":\"" H3 "\",\"round\":1,\"task\":\"t\",\"time\":1,"
    "\"type\":\"round_closed\",\"updates\":[]}",
    "{\"metrics\":{},\"model\":\"" H3 "\",\"round\":1,\"task\":\"t\",\"time\":1,"
    "\"type\":\"round_closed\",\"updates\":[\"" H2 "\",\"" H1 "\"]}",
    "{\"metrics\":{},\"model\":\"" H3 "\",\"round\":1,\"task\":\"t\",\"time\":1,"
    "\"type\":\"round_closed\",\"updates\":[\"ABC\"]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbLedgerEntry) e = trb_ledger_entry_parse (bad[i], strlen (bad[i]), &error);

      g_assert_null (e);
      g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
    }
}

typedef struct
{
  TrbStore         *node_store;
  TrbMerkleLog     *log;
  TrbNoteSigner    *log_signer;
  TrbStore         *client_store;
  TrbLedgerHistory *history;
} Fixture;

#define ORIGIN "tributary.example/demo"

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *node_path = g_build_filename (g_get_user_data_dir (), "node.db", NULL);
  g_autofree char *client_path = g_build_filename (g_get_user_data_dir (), "client.db", NULL);
  g_autoptr(GError) error = NULL;
  guint8 seed[TRB_NOTE_SEED_SIZE];

  memset (seed, 7, sizeof seed);
  f->node_store = trb_store_new_for_path (node_path, &error);
  g_assert_no_error (error);
  f->log = trb_merkle_log_new_for_store (f->node_store, &error);
  g_assert_no_error (error);
  f->log_signer = trb_note_signer_new (ORIGIN, TRB_NOTE_KEY_ED25519, seed, &error);
  g_assert_no_error (error);
  f->client_store = trb_store_new_for_path (client_path, &error);
  g_assert_no_error (error);
  f->history = trb_ledger_history_new (f->client_store, ORIGIN,
                                       trb_note_signer_get_verifier (f->log_signer), &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->history);
  g_clear_object (&f->client_store);
  g_clear_object (&f->log_signer);
  g_clear_object (&f->log);
  g_clear_object (&f->node_store);
}

static void
append_entries (Fixture *f,
                guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *e = trb_ledger_entry_build_reward ("demo", i + 1, ALICE, i, 1700000000 + i,
                                                          NULL, &error);

      g_assert_no_error (error);
      g_assert_true (trb_merkle_log_append (f->log, (const guint8 *)e, strlen (e), NULL, &error));
      g_assert_no_error (error);
    }
}

static char *
sign_current (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;
  guint8 root[TRB_MERKLE_HASH_SIZE];
  guint64 size;
  char *note;

  g_assert_true (trb_merkle_log_get_size (f->log, &size, &error));
  g_assert_true (trb_merkle_log_get_root (f->log, size, root, &error));
  cp = trb_checkpoint_new (ORIGIN, size, root, NULL, &error);
  g_assert_no_error (error);
  note = trb_checkpoint_sign (cp, f->log_signer, &error);
  g_assert_no_error (error);
  return note;
}

static TrbCheckpoint *
accept (Fixture  *f,
        char     *note,
        guint64   from,
        guint64   to,
        GError  **error)
{
  g_autoptr(GByteArray) proof = NULL;

  proof = trb_merkle_log_get_consistency_proof (f->log, from, to, NULL);
  g_assert_nonnull (proof);
  return trb_ledger_history_accept (f->history, note, strlen (note), proof->data,
                                    proof->len / TRB_MERKLE_HASH_SIZE, error);
}

static void
test_history_accepts_growth (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint64 prev = 0;

  for (guint step = 1; step <= 6; step++)
    {
      g_autofree char *note = NULL;
      g_autoptr(TrbCheckpoint) cp = NULL;
      g_autoptr(TrbCheckpoint) latest = NULL;

      append_entries (f, step * 3);
      note = sign_current (f);
      cp = accept (f, note, prev, prev + step * 3, &error);
      g_assert_no_error (error);
      g_assert_nonnull (cp);
      prev += step * 3;

      latest = trb_ledger_history_get_latest (f->history, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (trb_checkpoint_get_size (latest), ==, prev);
    }

  /* Inclusion of every entry against the newest verified checkpoint. */
  for (guint64 i = 0; i < prev; i++)
    {
      g_autoptr(GBytes) entry = trb_merkle_log_get_entry (f->log, i, &error);
      g_autoptr(GByteArray) proof = trb_merkle_log_get_inclusion_proof (f->log, i, prev, &error);
      gsize len;
      const char *bytes = g_bytes_get_data (entry, &len);

      g_assert_true (trb_ledger_history_verify_inclusion (f->history, bytes, len, i, prev,
                                                          proof->data,
                                                          proof->len / TRB_MERKLE_HASH_SIZE,
                                                          &error));
      g_assert_no_error (error);
    }

  /* A changed entry is detected. */
  {
    g_autoptr(GBytes) entry = trb_merkle_log_get_entry (f->log, 4, &error);
    g_autoptr(GByteArray) proof = trb_merkle_log_get_inclusion_proof (f->log, 4, prev, &error);
    g_autofree char *changed = g_strndup (g_bytes_get_data (entry, NULL), g_bytes_get_size (entry));
    char *points = strstr (changed, "\"points\":");

    g_assert_nonnull (points);
    points[9] = points[9] == '9' ? '8' : '9';
    g_assert_false (trb_ledger_history_verify_inclusion (f->history, changed, strlen (changed), 4,
                                                         prev, proof->data,
                                                         proof->len / TRB_MERKLE_HASH_SIZE,
                                                         &error));
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_PROOF);
    g_clear_error (&error);

    /* A size never verified cannot be used for inclusion. */
    g_assert_false (trb_ledger_history_verify_inclusion (f->history, changed, strlen (changed), 4,
                                                         prev - 1, proof->data,
                                                         proof->len / TRB_MERKLE_HASH_SIZE,
                                                         &error));
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_NOT_FOUND);
  }

  g_assert_false (trb_ledger_history_is_compromised (f->history));
}

/* The node rewrites an entry it had already committed to: the new checkpoint is signed by the
 * right key but cannot be proved consistent with the one the client verified. */
static void
test_history_detects_rewrite (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;
  g_autoptr(GPtrArray) evidence = NULL;
  g_autofree char *forged_path = g_build_filename (g_get_user_data_dir (), "forged.db", NULL);
  g_autoptr(TrbStore) forged_store = trb_store_new_for_path (forged_path, &error);
  g_autoptr(TrbMerkleLog) forged = trb_merkle_log_new_for_store (forged_store,
                                                               &error);
  g_autofree char *second = NULL;

  append_entries (f, 10);
  first = sign_current (f);
  cp = accept (f, first, 0, 10, &error);
  g_assert_no_error (error);
  g_clear_object (&cp);

  /* The forged log: same entries but number 3 rewritten, then grown. */
  for (guint64 i = 0; i < 14; i++)
    {
      g_autofree char *e = trb_ledger_entry_build_reward ("demo", i + 1, ALICE,
                                                          i == 3 ? 1000 : i,
                                                          1700000000 + i, NULL, &error);

      g_assert_true (trb_merkle_log_append (forged, (const guint8 *)e, strlen (e), NULL, &error));
    }
  {
    guint8 root[TRB_MERKLE_HASH_SIZE];
    g_autoptr(TrbCheckpoint) fcp = NULL;
    g_autoptr(GByteArray) proof = NULL;

    g_assert_true (trb_merkle_log_get_root (forged, 14, root, &error));
    fcp = trb_checkpoint_new (ORIGIN, 14, root, NULL, &error);
    second = trb_checkpoint_sign (fcp, f->log_signer, &error);
    proof = trb_merkle_log_get_consistency_proof (forged, 10, 14, &error);
    cp = trb_ledger_history_accept (f->history, second, strlen (second), proof->data,
                                    proof->len / TRB_MERKLE_HASH_SIZE, &error);
  }
  g_assert_null (cp);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT);
  g_clear_error (&error);

  /* Both checkpoints are kept as evidence, and the ledger accepts nothing more. */
  evidence = trb_ledger_history_list_evidence (f->history, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (evidence->len, ==, 1);
  g_assert_cmpstr (((TrbLedgerEvidence *)evidence->pdata[0])->verified_note, ==, first);
  g_assert_cmpstr (((TrbLedgerEvidence *)evidence->pdata[0])->conflicting_note, ==, second);
  g_assert_true (trb_ledger_history_is_compromised (f->history));

  append_entries (f, 4);
  {
    g_autofree char *honest = sign_current (f);

    cp = accept (f, honest, 10, 14, &error);
    g_assert_null (cp);
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT);
  }
}

/* Two checkpoints of the same size with different roots: a fork. */
static void
test_history_detects_fork (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *fork = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;
  g_autoptr(TrbCheckpoint) fcp = NULL;
  guint8 root[TRB_MERKLE_HASH_SIZE];

  append_entries (f, 5);
  first = sign_current (f);
  cp = accept (f, first, 0, 5, &error);
  g_assert_no_error (error);
  g_clear_object (&cp);

  /* The same checkpoint again is fine. */
  cp = accept (f, first, 5, 5, &error);
  g_assert_no_error (error);
  g_clear_object (&cp);

  memset (root, 0x42, sizeof root);
  fcp = trb_checkpoint_new (ORIGIN, 5, root, NULL, &error);
  fork = trb_checkpoint_sign (fcp, f->log_signer, &error);
  cp = trb_ledger_history_accept (f->history, fork, strlen (fork), NULL, 0, &error);
  g_assert_null (cp);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT);
  g_assert_true (trb_ledger_history_is_compromised (f->history));
}

/* The user decides to keep taking part after a fork: the evidence stays, the fork no longer
 * blocks, the next checkpoint becomes the base, and a new inconsistency is caught again. */
static void
test_history_trust_again (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *fork = NULL;
  g_autofree char *later = NULL;
  g_autofree char *fork2 = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;
  g_autoptr(TrbCheckpoint) fcp = NULL;
  g_autoptr(GPtrArray) evidence = NULL;
  guint8 root[TRB_MERKLE_HASH_SIZE];

  append_entries (f, 5);
  first = sign_current (f);
  cp = accept (f, first, 0, 5, &error);
  g_assert_no_error (error);
  g_clear_object (&cp);

  memset (root, 0x42, sizeof root);
  fcp = trb_checkpoint_new (ORIGIN, 5, root, NULL, &error);
  fork = trb_checkpoint_sign (fcp, f->log_signer, &error);
  g_assert_null (trb_ledger_history_accept (f->history, fork, strlen (fork), NULL, 0, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT);
  g_clear_error (&error);
  g_assert_true (trb_ledger_history_is_compromised (f->history));

  g_assert_true (trb_ledger_history_trust_again (f->history, &error));
  g_assert_no_error (error);
  g_assert_false (trb_ledger_history_is_compromised (f->history));
  evidence = trb_ledger_history_list_evidence (f->history, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (evidence->len, ==, 1);

  /* The next checkpoint is the new base, with no proof against the forgotten one. */
  append_entries (f, 3);
  later = sign_current (f);
  cp = trb_ledger_history_accept (f->history, later, strlen (later), NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_checkpoint_get_size (cp), ==, 8);
  g_clear_object (&cp);

  /* Consistency is checked from it again. */
  g_clear_object (&fcp);
  fcp = trb_checkpoint_new (ORIGIN, 8, root, NULL, &error);
  fork2 = trb_checkpoint_sign (fcp, f->log_signer, &error);
  g_assert_null (trb_ledger_history_accept (f->history, fork2, strlen (fork2), NULL, 0, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT);
  g_assert_true (trb_ledger_history_is_compromised (f->history));
}

/* A checkpoint signed by another key, a stale one, another network's. */
static void
test_history_refuses_untrusted (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbNoteSigner) swapped = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;
  g_autoptr(TrbCheckpoint) body = NULL;
  g_autofree char *first = NULL;
  g_autofree char *forged = NULL;
  guint8 seed[TRB_NOTE_SEED_SIZE];
  guint8 root[TRB_MERKLE_HASH_SIZE];

  memset (seed, 9, sizeof seed);
  swapped = trb_note_signer_new (ORIGIN, TRB_NOTE_KEY_ED25519, seed, &error);

  append_entries (f, 3);
  g_assert_true (trb_merkle_log_get_root (f->log, 3, root, &error));
  body = trb_checkpoint_new (ORIGIN, 3, root, NULL, &error);
  forged = trb_checkpoint_sign (body, swapped, &error);
  cp = trb_ledger_history_accept (f->history, forged, strlen (forged), NULL, 0, &error);
  g_assert_null (cp);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY);
  g_clear_error (&error);

  /* Re-opening the history with the swapped key is refused: the first key is pinned. */
  {
    g_autoptr(TrbLedgerHistory) other = NULL;

    other = trb_ledger_history_new (f->client_store, ORIGIN,
                                    trb_note_signer_get_verifier (swapped), &error);
    g_assert_null (other);
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY);
    g_clear_error (&error);
  }

  first = sign_current (f);
  cp = accept (f, first, 0, 3, &error);
  g_assert_no_error (error);
  g_clear_object (&cp);

  /* An older, never verified checkpoint is stale, not evidence. */
  {
    g_autofree char *old = NULL;
    g_autoptr(TrbCheckpoint) oldcp = NULL;

    g_assert_true (trb_merkle_log_get_root (f->log, 2, root, &error));
    oldcp = trb_checkpoint_new (ORIGIN, 2, root, NULL, &error);
    old = trb_checkpoint_sign (oldcp, f->log_signer, &error);
    cp = trb_ledger_history_accept (f->history, old, strlen (old), NULL, 0, &error);
    g_assert_null (cp);
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_STALE);
    g_clear_error (&error);
  }

  /* Malformed notes are errors, not crashes. */
  cp = trb_ledger_history_accept (f->history, "garbage", 7, NULL, 0, &error);
  g_assert_null (cp);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);

  g_assert_false (trb_ledger_history_is_compromised (f->history));
}

static void
accept_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  TrbCheckpoint **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = trb_ledger_history_accept_finish (TRB_LEDGER_HISTORY (object), result, &error);
  g_assert_no_error (error);
}

static void
test_history_async (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *note = NULL;
  g_autoptr(TrbCheckpoint) cp = NULL;

  append_entries (f, 7);
  note = sign_current (f);
  trb_ledger_history_accept_async (f->history, note, strlen (note), NULL, NULL, accept_done_cb,
                                   &cp);
  while (cp == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (trb_checkpoint_get_size (cp), ==, 7);
}

/* A round_opened may say whom the round asks, or not (a node that asked by the fraction alone);
 * its selection has exactly its members, each valid. */
static void
test_entry_selection (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbLedgerEntry) e = NULL;
  g_autofree char *opened = NULL;
  const TrbRoundSelection *sel;
  TrbRoundSelection selection = {
    .joined_after = 0, .joined_before = 23, .max_asked = 5, .asked = 5, .cutoff = H2,
  };
  static const char * const refused[] = {
    /* A member too many, one missing, a cutoff that is not a hash, more asked than allowed,
     * a period that ends before it begins. */
    "{\"deadline\":1,\"model\":\"" H3 "\",\"round\":3,\"selection\":{\"asked\":1,"
    "\"cutoff\":\"" H2 "\",\"extra\":1,\"joined_after\":0,\"joined_before\":2,"
    "\"max_asked\":5},\"task\":\"t\",\"time\":1,\"type\":\"round_opened\"}",
    "{\"deadline\":1,\"model\":\"" H3 "\",\"round\":3,\"selection\":{\"asked\":1,"
    "\"cutoff\":\"" H2 "\",\"joined_after\":0,\"max_asked\":5},\"task\":\"t\",\"time\":1,"
    "\"type\":\"round_opened\"}",
    "{\"deadline\":1,\"model\":\"" H3 "\",\"round\":3,\"selection\":{\"asked\":1,"
    "\"cutoff\":\"ff\",\"joined_after\":0,\"joined_before\":2,\"max_asked\":5},"
    "\"task\":\"t\",\"time\":1,\"type\":\"round_opened\"}",
    "{\"deadline\":1,\"model\":\"" H3 "\",\"round\":3,\"selection\":{\"asked\":6,"
    "\"cutoff\":\"" H2 "\",\"joined_after\":0,\"joined_before\":2,\"max_asked\":5},"
    "\"task\":\"t\",\"time\":1,\"type\":\"round_opened\"}",
    "{\"deadline\":1,\"model\":\"" H3 "\",\"round\":3,\"selection\":{\"asked\":1,"
    "\"cutoff\":\"" H2 "\",\"joined_after\":3,\"joined_before\":2,\"max_asked\":5},"
    "\"task\":\"t\",\"time\":1,\"type\":\"round_opened\"}",
    /* Only round_opened has it. */
    "{\"participant\":\"" ALICE "\",\"selection\":{},\"time\":1,"
    "\"type\":\"participant_joined\"}",
  };

  opened = trb_ledger_entry_build_round_opened_selected ("fashion-mnist", 3, H3, 1700000600,
                                                         &selection, 1700000000, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (opened, ==, "{\"deadline\":1700000600,\"model\":\"" H3 "\",\"round\":3,"
                               "\"selection\":{\"asked\":5,\"cutoff\":\"" H2 "\","
                               "\"joined_after\":0,\"joined_before\":23,\"max_asked\":5},"
                               "\"task\":\"fashion-mnist\",\"time\":1700000000,"
                               "\"type\":\"round_opened\"}");
  e = trb_ledger_entry_parse (opened, strlen (opened), &error);
  g_assert_no_error (error);
  sel = trb_ledger_entry_get_selection (e);
  g_assert_nonnull (sel);
  g_assert_cmpint (sel->joined_before, ==, 23);
  g_assert_cmpint (sel->asked, ==, 5);
  g_assert_cmpstr (sel->cutoff, ==, H2);
  g_clear_object (&e);

  /* The older form still reads, without a selection. */
  g_clear_pointer (&opened, g_free);
  opened = trb_ledger_entry_build_round_opened ("fashion-mnist", 3, H3, 1700000600, 1700000000,
                                                NULL, &error);
  g_assert_no_error (error);
  e = trb_ledger_entry_parse (opened, strlen (opened), &error);
  g_assert_no_error (error);
  g_assert_null (trb_ledger_entry_get_selection (e));

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(TrbLedgerEntry) bad = trb_ledger_entry_parse (refused[i], strlen (refused[i]),
                                                               &error);

      g_assert_null (bad);
      g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
      g_clear_error (&error);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ledger/entry/builders", test_entry_builders);
  g_test_add_func ("/ledger/entry/strict-parser", test_entry_strict_parser);
  g_test_add_func ("/ledger/entry/selection", test_entry_selection);
  g_test_add ("/ledger/history/accepts-growth", Fixture, NULL, fixture_set_up,
              test_history_accepts_growth, fixture_tear_down);
  g_test_add ("/ledger/history/detects-rewrite", Fixture, NULL, fixture_set_up,
              test_history_detects_rewrite, fixture_tear_down);
  g_test_add ("/ledger/history/detects-fork", Fixture, NULL, fixture_set_up,
              test_history_detects_fork, fixture_tear_down);
  g_test_add ("/ledger/history/trust-again", Fixture, NULL, fixture_set_up,
              test_history_trust_again, fixture_tear_down);
  g_test_add ("/ledger/history/refuses-untrusted", Fixture, NULL, fixture_set_up,
              test_history_refuses_untrusted, fixture_tear_down);
  g_test_add ("/ledger/history/async", Fixture, NULL, fixture_set_up,
              test_history_async, fixture_tear_down);

  return g_test_run ();
}

/* ledger-bench.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Append and proof times of the stored Merkle log at 10^4 and 10^6 entries. Not a test.
 * Usage: ledger-bench [DIR]
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-merkle-log.h"
#include "store/trb-store-sql.h"

#define ALICE "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"

static void
bench (const char *dir,
       guint64     n)
{
  g_autofree char *path = g_strdup_printf ("%s/bench-%" G_GUINT64_FORMAT ".db", dir, n);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbMerkleLog) log = NULL;
  GRand *rand = g_rand_new_with_seed (42);
  const guint batch = 1000;
  const guint n_proofs = 2000;
  gint64 t0;
  gint64 t_append;
  gint64 t_single = 0;
  gint64 t_incl = 0;
  gint64 t_cons = 0;
  gint64 t_root = 0;
  guint8 root[TRB_MERKLE_HASH_SIZE];

  g_unlink (path);
  store = trb_store_new_for_path (path, &error);
  g_assert_no_error (error);
  log = trb_merkle_log_new_for_store (store, &error);
  g_assert_no_error (error);

  /* Bulk load in transactions of 1000 appends, as a busy node would group them. */
  t0 = g_get_monotonic_time ();
  for (guint64 i = 0; i < n; i += batch)
    {
      trb_store_exec (store, "BEGIN", &error);
      for (guint64 j = i; j < i + batch && j < n; j++)
        {
          g_autofree char *e = trb_ledger_entry_build_reward ("bench", j / 100 + 1, ALICE,
                                                              (gint64)j, 1700000000, NULL, NULL);

          if (!trb_merkle_log_append (log, (const guint8 *)e, strlen (e), NULL, &error))
            g_error ("%s", error->message);
        }
      trb_store_exec (store, "COMMIT", &error);
      g_assert_no_error (error);
    }
  t_append = g_get_monotonic_time () - t0;

  /* Single appends, each its own durable (synchronous=FULL) transaction. */
  for (guint k = 0; k < 200; k++)
    {
      gint64 s = g_get_monotonic_time ();

      trb_merkle_log_append (log, (const guint8 *)"{\"x\":1}", 7, NULL, &error);
      t_single += g_get_monotonic_time () - s;
    }
  n += 200;

  for (guint k = 0; k < n_proofs; k++)
    {
      guint64 size = n - g_rand_int_range (rand, 0, 1000);
      guint64 index = (guint64)(g_rand_double (rand) * size);
      guint64 size1 = 1 + (guint64)(g_rand_double (rand) * (size - 1));
      g_autoptr(GByteArray) p1 = NULL;
      g_autoptr(GByteArray) p2 = NULL;
      gint64 s;

      s = g_get_monotonic_time ();
      p1 = trb_merkle_log_get_inclusion_proof (log, index, size, &error);
      t_incl += g_get_monotonic_time () - s;
      s = g_get_monotonic_time ();
      p2 = trb_merkle_log_get_consistency_proof (log, size1, size, &error);
      t_cons += g_get_monotonic_time () - s;
      s = g_get_monotonic_time ();
      trb_merkle_log_get_root (log, size, root, &error);
      t_root += g_get_monotonic_time () - s;
      g_assert_no_error (error);
    }

  g_print ("%9" G_GUINT64_FORMAT " entries: bulk append %.1f µs/entry (%.0f/s), "
           "durable single append %.0f µs, inclusion proof %.1f µs, consistency proof %.1f µs, "
           "root %.1f µs\n",
           n - 200, (double)t_append / (n - 200), (n - 200) * 1e6 / t_append,
           (double)t_single / 200, (double)t_incl / n_proofs, (double)t_cons / n_proofs,
           (double)t_root / n_proofs);

  g_rand_free (rand);
  g_clear_object (&log);
  g_clear_object (&store);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = g_dir_make_tmp ("ledger-bench-XXXXXX", NULL);
  const char *where = argc > 1 ? argv[1] : dir;

  bench (where, 10000);
  bench (where, 1000000);
  g_rmdir (dir);
  return 0;
}

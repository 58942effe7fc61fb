/* test-merkle.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ledger/trb-ledger-error.h"
#include "ledger/trb-merkle-log.h"
#include "ledger/trb-merkle.h"

#include "ledger-test-util.h"
#include "store/trb-store-sql.h"

typedef struct
{
  GPtrArray *leaves;        /* GByteArray */
  GPtrArray *roots;         /* GByteArray, by size */
  GPtrArray *inclusion;     /* GStrv: index size hashes… */
  GPtrArray *consistency;   /* GStrv: size1 size2 hashes… */
} Vectors;

static void
vectors_free (Vectors *v)
{
  g_ptr_array_unref (v->leaves);
  g_ptr_array_unref (v->roots);
  g_ptr_array_unref (v->inclusion);
  g_ptr_array_unref (v->consistency);
  g_free (v);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vectors, vectors_free)

static Vectors *
load_vectors (void)
{
  g_autofree char *contents = ledger_test_read_fixture ("merkle-vectors.txt", NULL);
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  Vectors *v = g_new0 (Vectors, 1);

  v->leaves = g_ptr_array_new_with_free_func ((GDestroyNotify)g_byte_array_unref);
  v->roots = g_ptr_array_new_with_free_func ((GDestroyNotify)g_byte_array_unref);
  v->inclusion = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  v->consistency = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = NULL;

      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      f = g_strsplit (lines[i], " ", -1);
      if (g_str_equal (f[0], "leaf"))
        g_ptr_array_add (v->leaves, ledger_test_unhex (f[1]));
      else if (g_str_equal (f[0], "root"))
        {
          g_assert_cmpuint (g_ascii_strtoull (f[1], NULL, 10), ==, v->roots->len);
          g_ptr_array_add (v->roots, ledger_test_unhex (f[2]));
        }
      else if (g_str_equal (f[0], "inclusion"))
        g_ptr_array_add (v->inclusion, g_strdupv (f + 1));
      else if (g_str_equal (f[0], "consistency"))
        g_ptr_array_add (v->consistency, g_strdupv (f + 1));
      else
        g_assert_not_reached ();
    }

  g_assert_cmpuint (v->leaves->len, ==, 8);
  g_assert_cmpuint (v->roots->len, ==, 9);
  return v;
}

static GByteArray *
proof_from_fields (char **fields)
{
  GByteArray *proof = g_byte_array_new ();

  for (guint i = 2; fields[i] != NULL; i++)
    {
      g_autoptr(GByteArray) h = ledger_test_unhex (fields[i]);

      g_assert_cmpuint (h->len, ==, TRB_MERKLE_HASH_SIZE);
      g_byte_array_append (proof, h->data, h->len);
    }
  return proof;
}

static const guint8 *
root_for (Vectors *v,
          guint64  size)
{
  return ((GByteArray *)g_ptr_array_index (v->roots, size))->data;
}

static void
leaf_hash_for (Vectors *v,
               guint    i,
               guint8   out[TRB_MERKLE_HASH_SIZE])
{
  GByteArray *leaf = g_ptr_array_index (v->leaves, i);

  trb_merkle_hash_leaf (leaf->data, leaf->len, out);
}

static void
test_roots (void)
{
  g_autoptr(Vectors) v = load_vectors ();
  guint8 hashes[8 * TRB_MERKLE_HASH_SIZE];

  for (guint i = 0; i < 8; i++)
    leaf_hash_for (v, i, hashes + i * TRB_MERKLE_HASH_SIZE);

  for (guint n = 0; n <= 8; n++)
    {
      guint8 root[TRB_MERKLE_HASH_SIZE];

      trb_merkle_root_from_leaves (hashes, n, root);
      g_assert_cmpmem (root, sizeof root, root_for (v, n), TRB_MERKLE_HASH_SIZE);
    }
}

static void
test_inclusion_vectors (void)
{
  g_autoptr(Vectors) v = load_vectors ();

  for (guint i = 0; i < v->inclusion->len; i++)
    {
      char **f = g_ptr_array_index (v->inclusion, i);
      guint64 index = g_ascii_strtoull (f[0], NULL, 10);
      guint64 size = g_ascii_strtoull (f[1], NULL, 10);
      g_autoptr(GByteArray) proof = proof_from_fields (f);
      guint n = proof->len / TRB_MERKLE_HASH_SIZE;
      guint8 leaf[TRB_MERKLE_HASH_SIZE];
      g_autoptr(GError) error = NULL;

      leaf_hash_for (v, index, leaf);
      g_assert_true (trb_merkle_verify_inclusion (index, size, leaf, proof->data, n,
                                                  root_for (v, size), &error));
      g_assert_no_error (error);

      /* Wrong index, size, leaf, root, truncated, extended, and every flipped bit. */
      g_assert_false (trb_merkle_verify_inclusion (index ^ 1, size, leaf, proof->data, n,
                                                   root_for (v, size), NULL));
      g_assert_false (trb_merkle_verify_inclusion (index, size * 2, leaf, proof->data, n,
                                                   root_for (v, size), NULL));
      g_assert_false (trb_merkle_verify_inclusion (index, size / 2, leaf, proof->data, n,
                                                   root_for (v, size), NULL));
      g_assert_false (trb_merkle_verify_inclusion (index, size, root_for (v, 0), proof->data, n,
                                                   root_for (v, size), NULL));
      g_assert_false (trb_merkle_verify_inclusion (index, size, leaf, proof->data, n,
                                                   root_for (v, 0), NULL));
      g_assert_false (trb_merkle_verify_inclusion (index, size, leaf, proof->data, n - 1,
                                                   root_for (v, size), NULL));
      {
        g_autoptr(GByteArray) longer = g_byte_array_new ();

        g_byte_array_append (longer, proof->data, proof->len);
        g_byte_array_append (longer, root_for (v, size), TRB_MERKLE_HASH_SIZE);
        g_assert_false (trb_merkle_verify_inclusion (index, size, leaf, longer->data, n + 1,
                                                     root_for (v, size), NULL));
      }
      for (guint b = 0; b < proof->len * 8; b += 7)
        {
          proof->data[b / 8] ^= 1 << (b % 8);
          g_assert_false (trb_merkle_verify_inclusion (index, size, leaf, proof->data, n,
                                                       root_for (v, size), &error));
          g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_PROOF);
          g_clear_error (&error);
          proof->data[b / 8] ^= 1 << (b % 8);
        }
    }
}

static void
test_consistency_vectors (void)
{
  g_autoptr(Vectors) v = load_vectors ();

  for (guint i = 0; i < v->consistency->len; i++)
    {
      char **f = g_ptr_array_index (v->consistency, i);
      guint64 size1 = g_ascii_strtoull (f[0], NULL, 10);
      guint64 size2 = g_ascii_strtoull (f[1], NULL, 10);
      g_autoptr(GByteArray) proof = proof_from_fields (f);
      guint n = proof->len / TRB_MERKLE_HASH_SIZE;
      g_autoptr(GError) error = NULL;

      g_assert_true (trb_merkle_verify_consistency (size1, size2, root_for (v, size1),
                                                    root_for (v, size2), proof->data, n, &error));
      g_assert_no_error (error);

      if (n == 0)
        continue;

      g_assert_false (trb_merkle_verify_consistency (size1 + 1, size2, root_for (v, size1),
                                                     root_for (v, size2), proof->data, n, NULL));
      g_assert_false (trb_merkle_verify_consistency (size1, size2, root_for (v, size2),
                                                     root_for (v, size1), proof->data, n, NULL));
      g_assert_false (trb_merkle_verify_consistency (size1, size2, root_for (v, size1),
                                                     root_for (v, size2), proof->data, 0, NULL));
      g_assert_false (trb_merkle_verify_consistency (size1, size2, root_for (v, size1),
                                                     root_for (v, size2), proof->data, n - 1,
                                                     NULL));
      for (guint b = 0; b < proof->len * 8; b += 5)
        {
          proof->data[b / 8] ^= 1 << (b % 8);
          g_assert_false (trb_merkle_verify_consistency (size1, size2, root_for (v, size1),
                                                         root_for (v, size2), proof->data, n,
                                                         &error));
          g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT);
          g_clear_error (&error);
          proof->data[b / 8] ^= 1 << (b % 8);
        }
    }

  /* Trivial cases from RFC 9162: equal sizes need equal roots and no proof; shrinking fails. */
  g_assert_true (trb_merkle_verify_consistency (0, 3, root_for (v, 0), root_for (v, 3), NULL, 0,
                                                NULL));
  g_assert_true (trb_merkle_verify_consistency (4, 4, root_for (v, 4), root_for (v, 4), NULL, 0,
                                                NULL));
  g_assert_false (trb_merkle_verify_consistency (4, 4, root_for (v, 4), root_for (v, 5), NULL, 0,
                                                 NULL));
  g_assert_false (trb_merkle_verify_consistency (5, 4, root_for (v, 5), root_for (v, 4), NULL, 0,
                                                 NULL));
  g_assert_false (trb_merkle_verify_consistency (1, 2, root_for (v, 1), root_for (v, 2), NULL, 0,
                                                 NULL));
}

static TrbMerkleLog *
open_log (TrbStore **out_store)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "log.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = trb_store_new_for_path (path, &error);
  TrbMerkleLog *log;

  g_assert_no_error (error);
  log = trb_merkle_log_new_for_store (store, &error);
  g_assert_no_error (error);
  if (out_store != NULL)
    *out_store = g_steal_pointer (&store);
  return log;
}

/* The stored log gives the published roots and exactly the published proofs. */
static void
test_log_matches_vectors (void)
{
  g_autoptr(Vectors) v = load_vectors ();
  g_autoptr(TrbMerkleLog) log = open_log (NULL);
  g_autoptr(GError) error = NULL;
  guint8 root[TRB_MERKLE_HASH_SIZE];
  guint64 size;

  g_assert_true (trb_merkle_log_get_root (log, 0, root, &error));
  g_assert_cmpmem (root, sizeof root, root_for (v, 0), TRB_MERKLE_HASH_SIZE);

  for (guint i = 0; i < 8; i++)
    {
      GByteArray *leaf = g_ptr_array_index (v->leaves, i);
      guint64 index;

      g_assert_true (trb_merkle_log_append (log, leaf->data, leaf->len, &index, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (index, ==, i);
    }

  g_assert_true (trb_merkle_log_get_size (log, &size, &error));
  g_assert_cmpuint (size, ==, 8);

  for (guint n = 0; n <= 8; n++)
    {
      g_assert_true (trb_merkle_log_get_root (log, n, root, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (root, sizeof root, root_for (v, n), TRB_MERKLE_HASH_SIZE);
    }

  for (guint i = 0; i < v->inclusion->len; i++)
    {
      char **f = g_ptr_array_index (v->inclusion, i);
      g_autoptr(GByteArray) expected = proof_from_fields (f);
      g_autoptr(GByteArray) proof = NULL;

      proof = trb_merkle_log_get_inclusion_proof (log, g_ascii_strtoull (f[0], NULL, 10),
                                                  g_ascii_strtoull (f[1], NULL, 10), &error);
      g_assert_no_error (error);
      g_assert_cmpmem (proof->data, proof->len, expected->data, expected->len);
    }

  for (guint i = 0; i < v->consistency->len; i++)
    {
      char **f = g_ptr_array_index (v->consistency, i);
      g_autoptr(GByteArray) expected = proof_from_fields (f);
      g_autoptr(GByteArray) proof = NULL;

      proof = trb_merkle_log_get_consistency_proof (log, g_ascii_strtoull (f[0], NULL, 10),
                                                    g_ascii_strtoull (f[1], NULL, 10), &error);
      g_assert_no_error (error);
      g_assert_cmpmem (proof->data, proof->len, expected->data, expected->len);
    }

  /* Out of range requests are refused, not answered. */
  g_assert_null (trb_merkle_log_get_inclusion_proof (log, 8, 8, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (trb_merkle_log_get_consistency_proof (log, 2, 9, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (trb_merkle_log_get_consistency_proof (log, 5, 3, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (trb_merkle_log_get_entry (log, 8, &error));
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_NOT_FOUND);
}

/* Every proof of every pair of sizes up to 70 verifies against the in-memory reference roots,
 * and no proof verifies for the wrong leaf. */
static void
test_log_all_sizes (void)
{
  g_autoptr(TrbMerkleLog) log = open_log (NULL);
  g_autoptr(GByteArray) leaf_hashes = g_byte_array_new ();
  const guint max = 70;
  guint8 (*roots)[TRB_MERKLE_HASH_SIZE] = g_malloc ((max + 1) * TRB_MERKLE_HASH_SIZE);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < max; i++)
    {
      g_autofree char *entry = g_strdup_printf ("{\"n\":%u}", i);
      guint8 h[TRB_MERKLE_HASH_SIZE];

      g_assert_true (trb_merkle_log_append (log, (const guint8 *)entry, strlen (entry), NULL,
                                            &error));
      trb_merkle_hash_leaf ((const guint8 *)entry, strlen (entry), h);
      g_byte_array_append (leaf_hashes, h, sizeof h);
    }

  for (guint n = 0; n <= max; n++)
    {
      guint8 root[TRB_MERKLE_HASH_SIZE];

      trb_merkle_root_from_leaves (leaf_hashes->data, n, roots[n]);
      g_assert_true (trb_merkle_log_get_root (log, n, root, &error));
      g_assert_cmpmem (root, sizeof root, roots[n], sizeof root);
    }

  for (guint n = 1; n <= max; n++)
    {
      for (guint m = 0; m < n; m++)
        {
          g_autoptr(GByteArray) proof = trb_merkle_log_get_inclusion_proof (log, m, n, &error);
          const guint8 *leaf = leaf_hashes->data + m * TRB_MERKLE_HASH_SIZE;
          const guint8 *other = leaf_hashes->data + ((m + 1) % n) * TRB_MERKLE_HASH_SIZE;

          g_assert_no_error (error);
          g_assert_true (trb_merkle_verify_inclusion (m, n, leaf, proof->data,
                                                      proof->len / TRB_MERKLE_HASH_SIZE,
                                                      roots[n], &error));
          g_assert_no_error (error);
          if (n > 1)
            g_assert_false (trb_merkle_verify_inclusion (m, n, other, proof->data,
                                                         proof->len / TRB_MERKLE_HASH_SIZE,
                                                         roots[n], NULL));
        }

      for (guint m = 0; m <= n; m++)
        {
          g_autoptr(GByteArray) proof = trb_merkle_log_get_consistency_proof (log, m, n, &error);

          g_assert_no_error (error);
          g_assert_true (trb_merkle_verify_consistency (m, n, roots[m], roots[n], proof->data,
                                                        proof->len / TRB_MERKLE_HASH_SIZE,
                                                        &error));
          g_assert_no_error (error);
          if (m > 0 && m < n)
            g_assert_false (trb_merkle_verify_consistency (m, n, roots[m], roots[n - 1],
                                                           proof->data,
                                                           proof->len / TRB_MERKLE_HASH_SIZE,
                                                           NULL));
        }
    }

  g_free (roots);
}

/* An append inside a transaction the caller rolls back leaves no trace. */
static void
test_log_rollback (void)
{
  g_autoptr(TrbStore) store = NULL;
  g_autoptr(TrbMerkleLog) log = open_log (&store);
  g_autoptr(GError) error = NULL;
  guint64 size;
  guint64 index;

  g_assert_true (trb_merkle_log_append (log, (const guint8 *)"a", 1, NULL, &error));
  g_assert_true (trb_store_exec (store, "BEGIN", &error));
  g_assert_true (trb_merkle_log_append (log, (const guint8 *)"b", 1, &index, &error));
  g_assert_cmpuint (index, ==, 1);
  g_assert_true (trb_store_exec (store, "ROLLBACK", &error));
  g_assert_true (trb_merkle_log_get_size (log, &size, &error));
  g_assert_cmpuint (size, ==, 1);
  g_assert_true (trb_merkle_log_append (log, (const guint8 *)"c", 1, &index, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 1);

  {
    g_autoptr(GBytes) entry = trb_merkle_log_get_entry (log, 1, &error);

    g_assert_no_error (error);
    g_assert_cmpmem (g_bytes_get_data (entry, NULL), g_bytes_get_size (entry), "c", 1);
  }

  /* Oversized entries are refused. */
  {
    g_autofree guint8 *big = g_malloc0 (TRB_MERKLE_LOG_MAX_ENTRY_SIZE + 1);

    g_assert_false (trb_merkle_log_append (log, big, TRB_MERKLE_LOG_MAX_ENTRY_SIZE + 1, NULL,
                                           &error));
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE);
  }
}

/* The frontier, fed one leaf at a time, gives the root of the whole list at every size. */
static void
test_frontier (void)
{
  g_autoptr(GByteArray) leaves = g_byte_array_new ();
  TrbMerkleFrontier frontier = { 0 };
  guint8 expected[TRB_MERKLE_HASH_SIZE];
  guint8 root[TRB_MERKLE_HASH_SIZE];

  trb_merkle_frontier_get_root (&frontier, root);
  trb_merkle_empty_root (expected);
  g_assert_cmpmem (root, sizeof root, expected, sizeof expected);
  for (guint i = 0; i < 1100; i++)
    {
      guint8 leaf[TRB_MERKLE_HASH_SIZE];
      char entry[16];

      g_snprintf (entry, sizeof entry, "entry %u", i);
      trb_merkle_hash_leaf ((const guint8 *) entry, strlen (entry), leaf);
      g_byte_array_append (leaves, leaf, sizeof leaf);
      trb_merkle_frontier_append (&frontier, leaf);
      g_assert_cmpuint (frontier.n_leaves, ==, i + 1);
      /* One subtree per bit set in the size. */
      g_assert_cmpuint (frontier.n, ==, __builtin_popcount (i + 1));
      trb_merkle_root_from_leaves (leaves->data, i + 1, expected);
      trb_merkle_frontier_get_root (&frontier, root);
      g_assert_cmpmem (root, sizeof root, expected, sizeof expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ledger/merkle/roots", test_roots);
  g_test_add_func ("/ledger/merkle/frontier", test_frontier);
  g_test_add_func ("/ledger/merkle/inclusion-vectors", test_inclusion_vectors);
  g_test_add_func ("/ledger/merkle/consistency-vectors", test_consistency_vectors);
  g_test_add_func ("/ledger/merkle/log-matches-vectors", test_log_matches_vectors);
  g_test_add_func ("/ledger/merkle/log-all-sizes", test_log_all_sizes);
  g_test_add_func ("/ledger/merkle/log-rollback", test_log_rollback);

  return g_test_run ();
}

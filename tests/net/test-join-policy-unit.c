/* test-join-policy-unit.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The node's join policy without a server: invitation codes as people type them, forged and
 * reused codes, and proof-of-work challenges that expired, were forged or belong to another
 * address; the puzzle's check and solver.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "net/trb-proof-of-work.h"
#include "node/trb-node-join-policy.h"
#include "wallet/trb-base58.h"
#include "store/trb-store-sql.h"

typedef struct
{
  char          *dir;
  TrbStore      *store;
  TrbJoinPolicy *policy;
  guint8         secret_key[crypto_sign_SECRETKEYBYTES];
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];

  f->dir = g_dir_make_tmp ("trb-join-policy-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "node.db", NULL);
  f->store = trb_store_new_for_path (path, &error);
  g_assert_no_error (error);
  crypto_sign_keypair (public_key, f->secret_key);
  f->policy = trb_join_policy_new (f->store, f->secret_key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (trb_join_policy_get_kind (f->policy), ==, TRB_JOIN_POLICY_OPEN);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->policy, trb_join_policy_free);
  g_clear_object (&f->store);
  g_free (f->dir);
}

static char *
new_address (void)
{
  guint8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

  crypto_sign_keypair (pk, sk);
  return trb_base58_encode (pk, sizeof pk);
}

static const TrbJoinRefusal *
admit (Fixture    *f,
       const char *address,
       const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const TrbJoinRefusal *refusal = NULL;
  gboolean ok;

  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  ok = trb_join_policy_admit (f->policy, address, json_node_get_object (
                                json_parser_get_root (parser)), &refusal, &error);
  g_assert_no_error (error);
  g_assert_true (ok == (refusal == NULL));
  return refusal;
}

static void
test_open (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *a = new_address ();

  g_assert_null (admit (f, a, "{}"));
}

static void
test_invitation (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *a = new_address ();
  g_autofree char *b = new_address ();
  g_autofree char *code = NULL;
  g_auto(GStrv) codes = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GString) typed = NULL;
  g_autoptr(GError) error = NULL;
  const TrbJoinRefusal *refusal;

  g_assert_true (trb_join_policy_set (f->policy, TRB_JOIN_POLICY_INVITATION, 22, &error));
  g_assert_no_error (error);
  codes = trb_join_policy_new_invitations (f->policy, 1, &error);
  g_assert_no_error (error);
  code = g_strdup (codes[0]);
  g_assert_cmpuint (strlen (code), ==, 39);

  refusal = admit (f, a, "{}");
  g_assert_nonnull (refusal);
  g_assert_cmpstr (refusal->type, ==, "invitation-required");
  refusal = admit (f, a, "{\"invitation\": \"not a code\"}");
  g_assert_cmpstr (refusal->type, ==, "invitation-refused");
  /* Each character of the code matters. */
  for (gsize i = 0; code[i] != '\0'; i++)
    {
      g_autofree char *forged = g_strdup (code);
      g_autofree char *forged_json = NULL;

      if (forged[i] == '-')
        continue;
      forged[i] = forged[i] == 'A' ? 'B' : 'A';
      forged_json = g_strdup_printf ("{\"invitation\": \"%s\"}", forged);
      refusal = admit (f, a, forged_json);
      g_assert_nonnull (refusal);
      g_assert_cmpstr (refusal->type, ==, "invitation-refused");
    }

  /* As typed by a person: lower case, spaces for dashes. */
  typed = g_string_new (code);
  g_string_replace (typed, "-", " ", 0);
  for (gsize i = 0; i < typed->len; i++)
    typed->str[i] = g_ascii_tolower (typed->str[i]);
  json = g_strdup_printf ("{\"invitation\": \"%s\"}", typed->str);
  g_assert_null (admit (f, a, json));
  g_assert_null (admit (f, a, json));        /* the same wallet again */
  refusal = admit (f, b, json);              /* another wallet */
  g_assert_nonnull (refusal);
  g_assert_cmpstr (refusal->type, ==, "invitation-used");

  /* The policy is kept in the store. */
  trb_join_policy_free (f->policy);
  f->policy = trb_join_policy_new (f->store, f->secret_key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (trb_join_policy_get_kind (f->policy), ==, TRB_JOIN_POLICY_INVITATION);
  refusal = admit (f, b, json);
  g_assert_cmpstr (refusal->type, ==, "invitation-used");
}

static char *
invitation_json (const char *code)
{
  return g_strdup_printf ("{\"invitation\": \"%s\"}", code);
}

static TrbInvitation *
find_listed (GPtrArray  *list,
             const char *code)
{
  for (guint i = 0; i < list->len; i++)
    {
      TrbInvitation *invitation = g_ptr_array_index (list, i);

      if (g_strcmp0 (invitation->code, code) == 0)
        return invitation;
    }
  return NULL;
}

/* Revoking: an unused code is then refused as revoked (from the store, so a revocation made by
 * another process counts at once); a used one leaves its wallet admitted; revoking twice is
 * harmless; the list shows each code's state, including a code made before codes were recorded
 * once it is used. */
static void
test_revocation (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *a = new_address ();
  g_autofree char *b = new_address ();
  g_autofree char *c = new_address ();
  g_auto(GStrv) codes = NULL;
  g_autofree char *json0 = NULL;
  g_autofree char *json1 = NULL;
  g_autofree char *json2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbInvitation) revoked = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(TrbJoinPolicy) other = NULL;
  TrbInvitation *listed;
  gboolean already = TRUE;

  g_assert_true (trb_join_policy_set (f->policy, TRB_JOIN_POLICY_INVITATION, 22, &error));
  g_assert_no_error (error);
  codes = trb_join_policy_new_invitations (f->policy, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (codes), ==, 3);
  json0 = invitation_json (codes[0]);
  json1 = invitation_json (codes[1]);
  json2 = invitation_json (codes[2]);
  g_assert_null (admit (f, a, json0));

  /* Revoked through another policy object on the same store, as `invite --revoke` does. */
  other = trb_join_policy_new (f->store, f->secret_key, &error);
  g_assert_no_error (error);
  revoked = trb_join_policy_revoke_invitation (other, codes[1], &already, &error);
  g_assert_no_error (error);
  g_assert_false (already);
  g_assert_cmpint (revoked->revoked, >, 0);
  g_assert_null (revoked->used_by);
  g_assert_cmpstr (revoked->code, ==, codes[1]);
  g_clear_pointer (&revoked, trb_invitation_free);
  g_assert_cmpstr (admit (f, b, json1)->type, ==, "invitation-revoked");
  revoked = trb_join_policy_revoke_invitation (other, codes[1], &already, &error);
  g_assert_no_error (error);
  g_assert_true (already);
  g_clear_pointer (&revoked, trb_invitation_free);
  g_assert_cmpstr (admit (f, b, json1)->type, ==, "invitation-revoked");

  /* The used code revoked: its wallet is still admitted with it, nobody else. */
  revoked = trb_join_policy_revoke_invitation (other, codes[0], &already, &error);
  g_assert_no_error (error);
  g_assert_false (already);
  g_assert_cmpstr (revoked->used_by, ==, a);
  g_assert_null (admit (f, a, json0));
  g_assert_cmpstr (admit (f, b, json0)->type, ==, "invitation-revoked");

  /* Not a code of this network. */
  g_assert_null (trb_join_policy_revoke_invitation (other, "ABCD", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A code made before codes were recorded, then used. */
  g_assert_true (trb_store_exec (f->store, "DELETE FROM join_codes WHERE revoked IS NULL",
                                 &error));
  g_assert_no_error (error);
  g_assert_null (admit (f, c, json2));

  list = trb_join_policy_list_invitations (f->policy, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  listed = find_listed (list, codes[0]);
  g_assert_cmpstr (listed->used_by, ==, a);
  g_assert_cmpint (listed->created, >, 0);
  g_assert_cmpint (listed->used, >, 0);
  g_assert_cmpint (listed->revoked, >, 0);
  listed = find_listed (list, codes[1]);
  g_assert_null (listed->used_by);
  g_assert_cmpint (listed->revoked, >, 0);
  listed = find_listed (list, codes[2]);
  g_assert_cmpstr (listed->used_by, ==, c);
  g_assert_cmpint (listed->created, ==, 0);
  g_assert_cmpint (listed->revoked, ==, 0);
}

static char *
work_json (const char *challenge,
           const char *nonce)
{
  return g_strdup_printf ("{\"proof_of_work\": {\"challenge\": \"%s\", \"nonce\": \"%s\"}}",
                          challenge, nonce);
}

static void
test_proof_of_work (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *a = new_address ();
  g_autofree char *b = new_address ();
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *live = NULL;
  g_autofree char *expired = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *json = NULL;
  const TrbJoinRefusal *refusal;

  g_assert_true (trb_join_policy_set (f->policy, TRB_JOIN_POLICY_PROOF_OF_WORK, 10, &error));
  g_assert_no_error (error);
  g_assert_false (trb_join_policy_set (f->policy, TRB_JOIN_POLICY_PROOF_OF_WORK, 33, &error));
  g_clear_error (&error);

  refusal = admit (f, a, "{}");
  g_assert_cmpstr (refusal->type, ==, "proof-of-work-required");

  live = trb_join_policy_make_challenge (f->policy, a, now + 600);
  nonce = trb_proof_of_work_solve (live, a, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (trb_proof_of_work_check (live, a, nonce, 10));
  json = work_json (live, nonce);
  g_assert_null (admit (f, a, json));
  /* Bound to the address. */
  g_clear_pointer (&nonce, g_free);
  g_clear_pointer (&json, g_free);
  nonce = trb_proof_of_work_solve (live, b, 10, NULL, &error);
  json = work_json (live, nonce);
  refusal = admit (f, b, json);
  g_assert_cmpstr (refusal->type, ==, "bad-proof-of-work");

  /* Expired. */
  expired = trb_join_policy_make_challenge (f->policy, a, now - 1);
  g_clear_pointer (&nonce, g_free);
  g_clear_pointer (&json, g_free);
  nonce = trb_proof_of_work_solve (expired, a, 10, NULL, &error);
  json = work_json (expired, nonce);
  refusal = admit (f, a, json);
  g_assert_cmpstr (refusal->type, ==, "bad-proof-of-work");

  /* Not a number, too long, or empty. */
  g_clear_pointer (&json, g_free);
  json = work_json (live, "12a");
  g_assert_cmpstr (admit (f, a, json)->type, ==, "bad-proof-of-work");
  g_clear_pointer (&json, g_free);
  json = work_json (live, "123456789012345678901");
  g_assert_cmpstr (admit (f, a, json)->type, ==, "bad-proof-of-work");
  g_clear_pointer (&json, g_free);
  json = work_json (live, "");
  g_assert_cmpstr (admit (f, a, json)->type, ==, "bad-proof-of-work");
  g_assert_cmpstr (admit (f, a, "{\"proof_of_work\": {\"challenge\": 5, \"nonce\": 3}}")->type,
                   ==, "bad-proof-of-work");
}

static void
test_puzzle (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *nonce = NULL;

  /* 0 bits: any nonce; more than the maximum: refused before any work. */
  g_assert_true (trb_proof_of_work_check ("c", "a", "0", 0));
  g_assert_false (trb_proof_of_work_check ("c", "a", "0", TRB_PROOF_OF_WORK_MAX_BITS + 1));
  g_assert_null (trb_proof_of_work_solve ("c", "a", TRB_PROOF_OF_WORK_MAX_BITS + 1, NULL,
                                          &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  nonce = trb_proof_of_work_solve ("challenge", "address", 16, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (trb_proof_of_work_check ("challenge", "address", nonce, 16));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (sodium_init () < 0)
    return 1;
  g_test_add ("/join-policy/open", Fixture, NULL, fixture_setup, test_open, fixture_teardown);
  g_test_add ("/join-policy/invitation", Fixture, NULL, fixture_setup, test_invitation,
              fixture_teardown);
  g_test_add ("/join-policy/revocation", Fixture, NULL, fixture_setup, test_revocation,
              fixture_teardown);
  g_test_add ("/join-policy/proof-of-work", Fixture, NULL, fixture_setup, test_proof_of_work,
              fixture_teardown);
  g_test_add_func ("/join-policy/puzzle", test_puzzle);
  return g_test_run ();
}

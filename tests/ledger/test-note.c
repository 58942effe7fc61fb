/* test-note.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-error.h"
#include "ledger/trb-note.h"

#include "ledger-test-util.h"

/* The example key and note of the Go reference implementation's documentation. */
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_TEXT "If you think cryptography is the answer to your problem,\n" \
                   "then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY" \
                  "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

static TrbNoteVerifier *
load_c2sp_vkey (void)
{
  g_autofree char *vkey = ledger_test_read_fixture ("c2sp-signed-note.vkey", NULL);
  g_autoptr(GError) error = NULL;
  TrbNoteVerifier *v;

  g_strchomp (vkey);
  v = trb_note_verifier_new_from_string (vkey, &error);
  g_assert_no_error (error);
  return v;
}

static void
test_c2sp_vector (void)
{
  g_autoptr(TrbNoteVerifier) v = load_c2sp_vkey ();
  g_autofree char *note_text = NULL;
  g_autoptr(TrbNote) note = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *round_trip = NULL;
  gsize len;
  gsize text_len;

  g_assert_cmpstr (trb_note_verifier_get_name (v), ==, "example.com/foo");
  g_assert_cmphex (trb_note_verifier_get_key_id (v), ==, 0x530d903a);

  note_text = ledger_test_read_fixture ("c2sp-signed-note.txt", &len);
  note = trb_note_open (note_text, len, &v, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (trb_note_get_text (note, &text_len), ==, "This is an example message.\n");
  g_assert_true (trb_note_find_verified (note, v, NULL));

  round_trip = trb_note_to_string (note, NULL);
  g_assert_cmpstr (round_trip, ==, note_text);

  /* One changed character in the text breaks the signature. */
  note_text[0] = 't';
  g_clear_object (&note);
  note = trb_note_open (note_text, len, &v, 1, &error);
  g_assert_null (note);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_SIGNATURE);
}

static void
test_reference_signer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbNoteSigner) signer = trb_note_signer_new_from_string (PETER_SKEY, &error);
  g_autoptr(TrbNoteVerifier) v = NULL;
  g_autofree char *vkey = NULL;
  g_autofree char *signed_note = NULL;
  g_autoptr(TrbNote) note = NULL;

  g_assert_no_error (error);
  vkey = trb_note_verifier_to_string (trb_note_signer_get_verifier (signer));
  g_assert_cmpstr (vkey, ==, PETER_VKEY);

  /* Ed25519 is deterministic: the same key and text give the published signature. */
  signed_note = trb_note_sign (PETER_TEXT, strlen (PETER_TEXT), &signer, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (signed_note, ==, PETER_TEXT "\n" PETER_SIG);

  v = trb_note_verifier_new_from_string (PETER_VKEY, &error);
  g_assert_no_error (error);
  note = trb_note_open (signed_note, strlen (signed_note), &v, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (note);
}

static void
test_mangled_keys (void)
{
  const char *keys[] = { PETER_VKEY, PETER_SKEY };

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      g_autofree char *key = g_strdup (keys[k]);
      gsize len = strlen (key);

      /* Every proper substring and every single changed byte is refused. */
      for (gsize i = 0; i < len; i++)
        {
          for (gsize j = i + 1; j <= len; j++)
            {
              g_autofree char *sub = NULL;
              g_autoptr(GObject) obj = NULL;

              if (i == 0 && j == len)
                continue;
              sub = g_strndup (key + i, j - i);
              obj = k == 0 ? (GObject *)trb_note_verifier_new_from_string (sub, NULL)
                           : (GObject *)trb_note_signer_new_from_string (sub, NULL);
              g_assert_null (obj);
            }
        }
      for (gsize i = 0; i < len; i++)
        {
          g_autoptr(GObject) obj = NULL;

          key[i]++;
          obj = k == 0 ? (GObject *)trb_note_verifier_new_from_string (key, NULL)
                       : (GObject *)trb_note_signer_new_from_string (key, NULL);
          g_assert_null (obj);
          key[i]--;
        }
    }
}

static void
test_malformed_notes (void)
{
  g_autoptr(TrbNoteVerifier) v = trb_note_verifier_new_from_string (PETER_VKEY, NULL);
  const char *bad[] = {
    "",
    "\n",
    PETER_TEXT,
    PETER_TEXT "\n",
    PETER_TEXT "\n" PETER_SIG "\n",
    PETER_TEXT PETER_SIG,
    PETER_TEXT "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY\n",
    PETER_TEXT "\n\xe2\x80\x94 PeterNeumann\n",
    PETER_TEXT "\n\xe2\x80\x94  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY\n",
    PETER_TEXT "\n\xe2\x80\x94 Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQ\n",
    PETER_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQ!!!!\n",
    PETER_TEXT "\n\xe2\x80\x94 PeterNeumann AAAA\n",
    PETER_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
               "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
    "If you think\tcryptography\n\n" PETER_SIG,
    "If you think \xff\n\n" PETER_SIG,
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbNote) note = trb_note_open (bad[i], strlen (bad[i]), &v, 1, &error);

      g_assert_null (note);
      g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
    }

  /* Too large, and too many signatures. */
  {
    g_autoptr(GString) big = g_string_new (NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(TrbNote) note = NULL;

    while (big->len <= TRB_NOTE_MAX_SIZE)
      g_string_append (big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    g_string_append (big, "\n" PETER_SIG);
    note = trb_note_open (big->str, big->len, &v, 1, &error);
    g_assert_null (note);
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE);
  }
  {
    g_autoptr(GString) many = g_string_new (PETER_TEXT "\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(TrbNote) note = NULL;

    for (guint i = 0; i <= TRB_NOTE_MAX_SIGNATURES; i++)
      g_string_append (many, PETER_SIG);
    note = trb_note_open (many->str, many->len, &v, 1, &error);
    g_assert_null (note);
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE);
  }
}

static void
test_unknown_and_extra_keys (void)
{
  g_autoptr(TrbNoteVerifier) peter = trb_note_verifier_new_from_string (PETER_VKEY, NULL);
  g_autoptr(TrbNoteVerifier) other = load_c2sp_vkey ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbNote) note = NULL;
  g_autofree char *filler = g_strnfill (91, 'A');
  g_autofree char *two = g_strdup_printf ("%s\n%s\xe2\x80\x94 someone.example %s=\n",
                                          PETER_TEXT, PETER_SIG, filler);

  /* Unknown signatures are ignored when a known one verifies… */
  note = trb_note_open (two, strlen (two), &peter, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_note_get_n_signatures (note), ==, 2);
  g_clear_object (&note);

  /* …but a note signed only by unknown keys is refused. */
  note = trb_note_open (two, strlen (two), &other, 1, &error);
  g_assert_null (note);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY);
}

static TrbNoteSigner *
make_signer (const char     *name,
             TrbNoteKeyType  type,
             guint8          fill)
{
  guint8 seed[TRB_NOTE_SEED_SIZE];
  g_autoptr(GError) error = NULL;
  TrbNoteSigner *signer;

  memset (seed, fill, sizeof seed);
  signer = trb_note_signer_new (name, type, seed, &error);
  g_assert_no_error (error);
  return signer;
}

static void
test_checkpoint_round_trip (void)
{
  g_autoptr(TrbNoteSigner) log = make_signer ("example.org/net", TRB_NOTE_KEY_ED25519, 1);
  g_autoptr(TrbNoteSigner) witness = make_signer ("alice.example", TRB_NOTE_KEY_COSIGNATURE, 2);
  g_autoptr(TrbNoteSigner) impostor = make_signer ("example.org/net", TRB_NOTE_KEY_ED25519, 3);
  TrbNoteVerifier *log_key = trb_note_signer_get_verifier (log);
  TrbNoteVerifier *witness_key = trb_note_signer_get_verifier (witness);
  const char *ext[] = { "tributary round 3", NULL };
  g_autoptr(TrbCheckpoint) cp = NULL;
  g_autoptr(TrbCheckpoint) opened = NULL;
  g_autoptr(TrbNote) note = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *signed_note = NULL;
  g_autofree char *cosig = NULL;
  g_autofree char *cosigned = NULL;
  g_autofree char *forged = NULL;
  guint8 root[TRB_MERKLE_HASH_SIZE];
  gint64 ts = 0;

  for (guint i = 0; i < sizeof root; i++)
    root[i] = i;

  cp = trb_checkpoint_new ("example.org/net", 12345, root, ext, &error);
  g_assert_no_error (error);
  text = trb_checkpoint_to_text (cp);
  g_assert_cmpstr (text, ==,
                   "example.org/net\n12345\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
                   "tributary round 3\n");

  signed_note = trb_checkpoint_sign (cp, log, &error);
  g_assert_no_error (error);
  opened = trb_checkpoint_open (signed_note, strlen (signed_note), "example.org/net", log_key,
                                NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_true (trb_checkpoint_equal (cp, opened));
  g_assert_cmpstr (trb_checkpoint_get_extensions (opened)[0], ==, "tributary round 3");
  g_clear_object (&opened);

  /* A cosignature, checked with the cosigner's key and its timestamp recovered. */
  cosig = trb_checkpoint_cosign (signed_note, strlen (signed_note), witness, 1700000000, &error);
  g_assert_no_error (error);
  note = trb_note_parse (signed_note, strlen (signed_note), &error);
  g_assert_true (trb_note_add_signature_line (note, cosig, &error));
  g_assert_no_error (error);
  cosigned = trb_note_to_string (note, NULL);
  opened = trb_checkpoint_open (cosigned, strlen (cosigned), "example.org/net", log_key,
                                &witness_key, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trb_checkpoint_get_n_cosignatures (opened), ==, 1);
  g_assert_true (trb_checkpoint_get_cosigner (opened, 0, &ts) == witness_key);
  g_assert_cmpint (ts, ==, 1700000000);
  g_clear_object (&opened);

  /* A tampered cosignature timestamp is a bad signature. */
  {
    g_autofree char *bad_cosig = trb_checkpoint_cosign (signed_note, strlen (signed_note), witness,
                                                        1700000001, &error);
    g_autoptr(TrbNote) n2 = trb_note_parse (signed_note, strlen (signed_note), NULL);
    g_autofree char *mixed = NULL;
    g_autoptr(GBytes) good = NULL;
    char *space = strrchr (bad_cosig, ' ');

    /* Keep the signature of t+1 but claim it was made at t: rebuild the line by hand. */
    g_assert_nonnull (space);
    good = NULL;
    mixed = g_strdup (cosig);
    memcpy (strrchr (mixed, ' ') + 1 + 8, space + 1 + 8, 8);
    g_assert_true (trb_note_add_signature_line (n2, mixed, NULL));
    g_clear_pointer (&cosigned, g_free);
    cosigned = trb_note_to_string (n2, NULL);
    opened = trb_checkpoint_open (cosigned, strlen (cosigned), NULL, log_key, &witness_key, 1,
                                  &error);
    g_assert_null (opened);
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);
  }

  /* A checkpoint signed by a swapped key with the same name is not trusted. */
  forged = trb_checkpoint_sign (cp, impostor, &error);
  g_assert_no_error (error);
  opened = trb_checkpoint_open (forged, strlen (forged), NULL, log_key, NULL, 0, &error);
  g_assert_null (opened);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY);
  g_clear_error (&error);

  /* Another network's checkpoint. */
  opened = trb_checkpoint_open (signed_note, strlen (signed_note), "example.org/other", log_key,
                                NULL, 0, &error);
  g_assert_null (opened);
  g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_WRONG_ORIGIN);
}

static void
test_checkpoint_malformed (void)
{
  const char *bad[] = {
    "",
    "origin\n12\n",
    "origin\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "origin\n012\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    "origin\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    "origin\n+1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    "origin\n9223372036854775808\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    "origin\n99999999999999999999\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    "origin\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
    "origin\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
    "\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    "origin\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
    "origin\n1 2\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbCheckpoint) cp = trb_checkpoint_parse_text (bad[i], strlen (bad[i]), &error);

      g_assert_null (cp);
      g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
    }

  {
    g_autoptr(GString) many = g_string_new (
      "origin\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(TrbCheckpoint) cp = NULL;

    for (guint i = 0; i <= TRB_CHECKPOINT_MAX_EXTENSIONS; i++)
      g_string_append (many, "ext\n");
    cp = trb_checkpoint_parse_text (many->str, many->len, &error);
    g_assert_null (cp);
    g_assert_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ledger/note/c2sp-vector", test_c2sp_vector);
  g_test_add_func ("/ledger/note/reference-signer", test_reference_signer);
  g_test_add_func ("/ledger/note/mangled-keys", test_mangled_keys);
  g_test_add_func ("/ledger/note/malformed", test_malformed_notes);
  g_test_add_func ("/ledger/note/unknown-keys", test_unknown_and_extra_keys);
  g_test_add_func ("/ledger/checkpoint/round-trip", test_checkpoint_round_trip);
  g_test_add_func ("/ledger/checkpoint/malformed", test_checkpoint_malformed);

  return g_test_run ();
}

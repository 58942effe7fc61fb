/* test-limits-agree.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * docs/protocol.md and docs/ledger-format.md give the limits a node and its clients apply; the
 * code has them as constants. This reads the numbers from the documents and compares them with
 * the constants of net/trb-protocol.h, so that neither changes alone.
 */

#include "config.h"

#include <string.h>

#include "ledger/trb-checkpoint.h"
#include "ledger/trb-note-verifier.h"
#include "net/trb-client.h"
#include "net/trb-http-signature.h"
#include "net/trb-protocol.h"
#include "node/trb-node.h"

static char *docs_dir;

static char *
read_doc (const char *name)
{
  g_autofree char *path = g_build_filename (docs_dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* The value column of the row of protocol.md §2's table that starts with @what. */
static char *
limit_row (const char *protocol,
           const char *what)
{
  g_autofree char *start = g_strconcat ("\n| ", what, " | ", NULL);
  const char *row = strstr (protocol, start);
  const char *end;

  g_assert_nonnull (row);
  row += strlen (start);
  end = strstr (row, " |");
  g_assert_nonnull (end);
  return g_strndup (row, end - row);
}

/* The first number in @text followed by @unit ("KiB", "MiB", "s", "" for a plain count), in
 * bytes or units. */
static guint64
number_before (const char *text,
               const char *unit)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *pattern = g_strdup_printf ("([0-9][0-9 ]*)%s%s", *unit ? " " : "", unit);
  g_autofree char *digits = NULL;
  guint64 value = 0;

  regex = g_regex_new (pattern, 0, 0, NULL);
  g_assert_true (g_regex_match (regex, text, 0, &match));
  digits = g_match_info_fetch (match, 1);
  for (const char *p = digits; *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      value = value * 10 + (*p - '0');
  if (g_str_equal (unit, "KiB"))
    value *= 1024;
  else if (g_str_equal (unit, "MiB"))
    value *= 1024 * 1024;
  return value;
}

static void
test_protocol_limits (void)
{
  g_autofree char *protocol = read_doc ("protocol.md");
  g_autofree char *json_body = limit_row (protocol, "request body, JSON endpoints");
  g_autofree char *update_body = limit_row (protocol, "request body, update upload");
  g_autofree char *header = limit_row (protocol, "safetensors header");
  g_autofree char *entries = limit_row (protocol, "entries per `GET /v1/ledger/entries`");
  g_autofree char *checkpoint = limit_row (protocol, "signed-note checkpoint");
  g_autofree char *skew = limit_row (protocol, "clock skew accepted on `created`");
  g_autofree char *head = limit_row (protocol, "request line and headers");
  g_autofree char *connections = limit_row (protocol, "open connections (reference node)");

  g_assert_cmpuint (number_before (json_body, "KiB"), ==, TRB_PROTOCOL_MAX_JSON_BODY);
  g_assert_cmpuint (number_before (update_body, "MiB"), ==, TRB_PROTOCOL_MAX_UPDATE_BODY);
  g_assert_cmpuint (number_before (header, "MiB"), ==, TRB_PROTOCOL_MAX_SAFETENSORS_HEADER);
  g_assert_cmpuint (number_before (entries, ""), ==, TRB_PROTOCOL_LEDGER_PAGE);
  g_assert_cmpuint (number_before (skew, "s"), ==, TRB_PROTOCOL_SIGNATURE_SKEW);
  g_assert_cmpuint (number_before (head, "KiB"), ==, TRB_PROTOCOL_MAX_REQUEST_HEAD);
  g_assert_cmpuint (number_before (connections, "in all"), ==, TRB_NODE_DEFAULT_MAX_CONNECTIONS);
  g_assert_cmpuint (number_before (connections, "from one address"), ==,
                    TRB_NODE_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);

  /* What the node serves fits what a client reads: 63 cosignatures of the longest line. */
  g_assert_cmpuint (number_before (checkpoint, "KiB"), ==, TRB_PROTOCOL_MAX_CHECKPOINT);
  g_assert_cmpuint (number_before (checkpoint, "cosignatures"), ==,
                    TRB_PROTOCOL_MAX_COSIGNATURES);
  g_assert_cmpuint (number_before (checkpoint, "signatures with"), ==, TRB_NOTE_MAX_SIGNATURES);
  g_assert_cmpuint (number_before (checkpoint, "bytes"), ==, TRB_PROTOCOL_MAX_COSIGNATURE_LINE);
  g_assert_cmpuint (TRB_PROTOCOL_MAX_COSIGNATURES * (TRB_PROTOCOL_MAX_COSIGNATURE_LINE + 1) + 1024,
                    <=,
                    TRB_PROTOCOL_MAX_CHECKPOINT);

  /* The cosignature endpoint says the same numbers as the table. */
  {
    g_autofree char *count = g_strdup_printf ("A checkpoint carries at most %d\ncosignatures",
                                              TRB_PROTOCOL_MAX_COSIGNATURES);
    g_autofree char *line = g_strdup_printf ("A cosignature line is at most %d bytes",
                                             TRB_PROTOCOL_MAX_COSIGNATURE_LINE);

    g_assert_nonnull (strstr (protocol, count));
    g_assert_nonnull (strstr (protocol, line));
  }
}

static void
test_ledger_format_limits (void)
{
  g_autofree char *ledger = read_doc ("ledger-format.md");
  g_autofree char *protocol = read_doc ("protocol.md");
  g_autofree char *signatures = g_strdup_printf ("with at most %d signatures",
                                                 TRB_NOTE_MAX_SIGNATURES);
  g_autofree char *note = g_strdup_printf ("a signed note is at most %d KiB",
                                           TRB_NOTE_MAX_SIZE / 1024);
  g_autofree char *served = g_strdup_printf ("is at most %d KiB: the network's signature and at "
                                             "most %d\ncosignatures, each cosignature line at "
                                             "most %d bytes", TRB_PROTOCOL_MAX_CHECKPOINT / 1024,
                                             TRB_PROTOCOL_MAX_COSIGNATURES,
                                             TRB_PROTOCOL_MAX_COSIGNATURE_LINE);

  g_assert_nonnull (strstr (ledger, signatures));
  g_assert_nonnull (strstr (ledger, note));
  g_assert_nonnull (strstr (ledger, served));

  /* round_closed.updates: sorted, in both documents (the entry builder sorts them). */
  g_assert_nonnull (strstr (ledger, "update hashes, sorted ascending, without duplicates"));
  g_assert_nonnull (strstr (protocol, "the updates averaged, sorted ascending"));
  g_assert_null (strstr (protocol, "in ledger order"));
}

/* Reward rule 2's constants: the default sample cap and the norm below which an update does
 * not change the model, as both documents state them. */
static void
test_reward_rule_constants (void)
{
  g_autofree char *ledger = read_doc ("ledger-format.md");
  g_autofree char *protocol = read_doc ("protocol.md");

  g_assert_cmpint (TRB_REWARD_DEFAULT_MAX_SAMPLES, ==, 100000);
  g_assert_nonnull (strstr (ledger, "when the task sets none, S = 100 000"));
  g_assert_nonnull (strstr (protocol, "(100 000 when the task sets\n  none)"));
  g_assert_cmpfloat (TRB_REWARD_MIN_NORM, ==, 1e-6);
  g_assert_nonnull (strstr (ledger, "`norm` < 10⁻⁶"));
  g_assert_nonnull (strstr (protocol, "L2 norm is below 10⁻⁶"));
  g_assert_cmpint (TRB_REWARD_RULE_CHECKED, ==, 2);
  g_assert_nonnull (strstr (ledger, "| `rule` | the integer 2"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  docs_dir = g_strdup (g_getenv ("TRB_DOCS_DIR"));
  g_assert_nonnull (docs_dir);
  g_test_add_func ("/limits/protocol", test_protocol_limits);
  g_test_add_func ("/limits/ledger-format", test_ledger_format_limits);
  g_test_add_func ("/limits/reward-rule", test_reward_rule_constants);
  return g_test_run ();
}

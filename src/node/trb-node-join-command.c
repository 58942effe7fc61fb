/* trb-node-join-command.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-node"

#include "config.h"

#include "trb-node-join-command.h"

#include <glib/gi18n.h>

#include "net/trb-proof-of-work.h"

/**
 * trb_join_options_group:
 * @options: where the values go
 *
 * Returns: (transfer full): the group of `--join-policy` and `--proof-of-work-bits`
 */
GOptionGroup *
trb_join_options_group (TrbJoinOptions *options)
{
  const GOptionEntry entries[] = {
    { "join-policy", 0, 0, G_OPTION_ARG_STRING, &options->policy,
      N_("Who may join: open, invitation or proof-of-work (kept until changed; new networks "
         "are open)"), N_("POLICY") },
    { "proof-of-work-bits", 0, 0, G_OPTION_ARG_INT, &options->bits,
      N_("Leading zero bits a join’s proof of work needs (default 22, about a second)"),
      N_("N") },
    { NULL }
  };
  GOptionGroup *group = g_option_group_new ("join", _("Join policy"),
                                            _("Show the options of the join policy"), NULL, NULL);

  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  return group;
}

/**
 * trb_join_options_apply:
 * @options: the options given
 * @node: an open node
 * @error: return location for an error
 *
 * Stores the policy the options name; options not given keep what is stored.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_join_options_apply (TrbJoinOptions  *options,
                        TrbNode         *node,
                        GError         **error)
{
  TrbJoinPolicy *policy = trb_node_get_join_policy (node);
  TrbJoinPolicyKind kind = trb_join_policy_get_kind (policy);

  if (options->policy == NULL && options->bits == 0)
    return TRUE;
  if (options->policy != NULL && !trb_join_policy_kind_from_string (options->policy, &kind))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not a join policy: use open, invitation or proof-of-work."),
                   options->policy);
      return FALSE;
    }
  return trb_join_policy_set (policy, kind,
                              options->bits > 0 ? (guint) options->bits
                                                : TRB_PROOF_OF_WORK_DEFAULT_BITS, error);
}

/**
 * trb_join_options_clear:
 * @options: options parsed
 *
 * Frees what the option parser stored.
 */
void
trb_join_options_clear (TrbJoinOptions *options)
{
  g_clear_pointer (&options->policy, g_free);
}

/* A time as the operator reads it: local, to the minute. */
static char *
format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (unix_time);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

static void
print_invitation (const TrbInvitation *invitation)
{
  g_autofree char *created = invitation->created != 0 ? format_time (invitation->created)
                                                      : g_strdup (_("at a time not recorded"));
  g_autofree char *used = format_time (invitation->used);
  g_autofree char *revoked = format_time (invitation->revoked);
  g_autofree char *state = NULL;

  if (invitation->used_by != NULL && invitation->revoked != 0)
    /* Translators: an invitation code's state; the address of a wallet, then two times */
    state = g_strdup_printf (_("used by %s on %s, revoked on %s"), invitation->used_by, used,
                             revoked);
  else if (invitation->used_by != NULL)
    /* Translators: an invitation code's state; the address of a wallet, then a time */
    state = g_strdup_printf (_("used by %s on %s"), invitation->used_by, used);
  else if (invitation->revoked != 0)
    /* Translators: an invitation code's state, with a time */
    state = g_strdup_printf (_("revoked on %s, unused"), revoked);
  else
    state = g_strdup (_("unused"));
  /* Translators: one line of “tributary-node invite --list”: the code, when it was made, and
   * what became of it */
  g_print (_("%s  made %s  %s\n"), invitation->code, created, state);
}

static int
list_invitations (TrbJoinPolicy *policy)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = trb_join_policy_list_invitations (policy, &error);

  if (list == NULL)
    {
      g_printerr ("tributary-node: %s: %s\n", _("the invitations could not be read"),
                  error->message);
      return 1;
    }
  if (list->len == 0)
    g_printerr ("tributary-node: %s\n", _("No invitation code was made for this network yet."));
  for (guint i = 0; i < list->len; i++)
    print_invitation (g_ptr_array_index (list, i));
  return 0;
}

static int
revoke_invitation (TrbJoinPolicy *policy,
                   const char    *code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbInvitation) invitation = NULL;
  g_autofree char *revoked = NULL;
  gboolean already = FALSE;

  invitation = trb_join_policy_revoke_invitation (policy, code, &already, &error);
  if (invitation == NULL)
    {
      g_printerr ("tributary-node: %s\n", error->message);
      return 1;
    }
  revoked = format_time (invitation->revoked);
  if (already)
    /* Translators: the code, then a time */
    g_print (_("The invitation %s was already revoked on %s; nothing changed.\n"),
             invitation->code, revoked);
  else
    g_print (_("The invitation %s is revoked: no one can join with it any more.\n"),
             invitation->code);
  if (invitation->used_by != NULL)
    {
      g_autofree char *used = format_time (invitation->used);

      /* Translators: the address of a wallet, then a time */
      g_print (_("The wallet %s joined with it on %s and stays a member: revoking an invitation "
                 "does not undo a join.\n"), invitation->used_by, used);
    }
  return 0;
}

/**
 * trb_node_run_invite:
 *
 * `tributary-node invite --data DIR [--count N]`: prints new invitation codes, one a line.
 * `--list` shows every code and what became of it; `--revoke CODE` takes one back. All work
 * while the network is being served: the node reads the codes' states at every join.
 *
 * Returns: the exit status
 */
int
trb_node_run_invite (int    argc,
                     char **argv)
{
  g_autofree char *data = NULL;
  g_autofree char *revoke = NULL;
  gboolean list = FALSE;
  int count = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(TrbNode) node = NULL;
  g_auto(GStrv) codes = NULL;
  TrbJoinPolicy *policy;
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data, N_("Folder that holds the network"),
      N_("DIR") },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("How many codes to make (default 1)"),
      N_("N") },
    { "list", 0, 0, G_OPTION_ARG_NONE, &list,
      N_("List the codes made, with who used each and which are revoked"), NULL },
    { "revoke", 0, 0, G_OPTION_ARG_STRING, &revoke,
      N_("Revoke a code, so that no one can join with it (a wallet that joined with it stays)"),
      N_("CODE") },
    { NULL }
  };

  context = g_option_context_new (_("— make, list or revoke invitation codes, each for one "
                                    "wallet"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tributary-node: %s\n", error->message);
      return 2;
    }
  if (data == NULL || count < 0 || count > 10000 || (list && revoke != NULL) ||
      ((list || revoke != NULL) && count != 0))
    {
      g_printerr ("tributary-node: %s\n",
                  _("invite needs --data, and then --count from 1 to 10000, --list or "
                    "--revoke CODE (one of the three)."));
      return 2;
    }
  node = trb_node_open (data, &error);
  if (node == NULL)
    {
      g_printerr ("tributary-node: %s: %s\n", _("the network could not be opened"),
                  error->message);
      return 1;
    }
  policy = trb_node_get_join_policy (node);
  if (list)
    return list_invitations (policy);
  if (revoke != NULL)
    return revoke_invitation (policy, revoke);

  if (trb_join_policy_get_kind (policy) != TRB_JOIN_POLICY_INVITATION)
    g_printerr ("tributary-node: %s\n",
                _("This network does not ask for invitations yet: serve it with "
                  "“--join-policy invitation” for the codes to be needed."));
  codes = trb_join_policy_new_invitations (policy, count > 0 ? count : 1, &error);
  if (codes == NULL)
    {
      g_printerr ("tributary-node: %s: %s\n", _("the codes could not be recorded"),
                  error->message);
      return 1;
    }
  for (guint i = 0; codes[i] != NULL; i++)
    g_print ("%s\n", codes[i]);
  return 0;
}

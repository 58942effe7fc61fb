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

/**
 * trb_node_run_invite:
 *
 * `tributary-node invite --data DIR [--count N]`: prints new invitation codes, one a line.
 * Works while the network is being served.
 *
 * Returns: the exit status
 */
int
trb_node_run_invite (int    argc,
                     char **argv)
{
  g_autofree char *data = NULL;
  int count = 1;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(TrbNode) node = NULL;
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data, N_("Folder that holds the network"),
      N_("DIR") },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("How many codes to make (default 1)"),
      N_("N") },
    { NULL }
  };

  context = g_option_context_new (_("— make invitation codes, each for one wallet"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tributary-node: %s\n", error->message);
      return 2;
    }
  if (data == NULL || count < 1 || count > 10000)
    {
      g_printerr ("tributary-node: %s\n", _("invite needs --data, and --count from 1 to 10000."));
      return 2;
    }
  node = trb_node_open (data, &error);
  if (node == NULL)
    {
      g_printerr ("tributary-node: %s: %s\n", _("the network could not be opened"),
                  error->message);
      return 1;
    }
  if (trb_join_policy_get_kind (trb_node_get_join_policy (node)) != TRB_JOIN_POLICY_INVITATION)
    g_printerr ("tributary-node: %s\n",
                _("This network does not ask for invitations yet: serve it with "
                  "“--join-policy invitation” for the codes to be needed."));
  for (int i = 0; i < count; i++)
    {
      g_autofree char *code = trb_join_policy_new_invitation (trb_node_get_join_policy (node));

      g_print ("%s\n", code);
    }
  return 0;
}

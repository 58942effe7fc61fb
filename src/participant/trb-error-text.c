/* trb-error-text.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One place that turns the errors of the protocol client, the dataset readers and the invite
 * parser into sentences for people. The app's dialogs and pages and `tributary-cli` use it, so a
 * dead address, a web page where a network was expected or a file cut short read the same
 * everywhere. Library messages ("Could not connect: Connection refused", "Need more input") are
 * never the sentence: they are returned as details, which the app shows under Details.
 */

#define G_LOG_DOMAIN "trb-error-text"

#include "config.h"

#include "trb-error-text.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "datasets/trb-sample-source.h"
#include "net/trb-client.h"

/* A connection error, told from its class. */
static const char *
describe_connection (GQuark domain,
                     int    code)
{
  if (domain == G_RESOLVER_ERROR)
    return _("No computer with this name was found. Check the address for typing mistakes, "
             "and that this computer is online, then try again.");
  if (domain == G_TLS_ERROR)
    return _("A secure connection to this address could not be made: its certificate is not "
             "valid for it, or it does not offer secure connections. Check the address with "
             "the network’s operator.");
  if (domain == SOUP_SESSION_ERROR)
    return _("Something answers at this address, but it is not a web server. Check the "
             "address, and the port number after the “:” in particular.");
  if (domain == G_IO_ERROR)
    {
      switch (code)
        {
        case G_IO_ERROR_CONNECTION_REFUSED:
          return _("Nothing answers at this address. Check the address, or ask the network’s "
                   "operator whether the network is running, then try again.");
        case G_IO_ERROR_TIMED_OUT:
          return _("The address did not answer in time. Check that this computer is online and "
                   "that the address is right, then try again.");
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_HOST_NOT_FOUND:
          return _("This address cannot be reached from this computer. Check that this "
                   "computer is online, then try again.");
        case G_IO_ERROR_CONNECTION_CLOSED:
        case G_IO_ERROR_PARTIAL_INPUT:
        case G_IO_ERROR_INVALID_DATA:
          return _("Something answers at this address, but it is not a web server. Check the "
                   "address, and the port number after the “:” in particular.");
        default:
          break;
        }
    }
  return _("The network could not be reached. Check that this computer is online, then try "
           "again.");
}

static char *
describe_client (const GError  *error,
                 char         **details)
{
  GQuark domain = 0;
  int code = 0;

  switch (error->code)
    {
    case TRB_CLIENT_ERROR_NETWORK:
      *details = g_strdup (error->message);
      trb_client_error_get_cause (error, &domain, &code);
      return g_strdup (describe_connection (domain, code));
    case TRB_CLIENT_ERROR_SERVER:
      *details = g_strdup (error->message);
      return g_strdup (_("The network’s server has a problem. Try again later."));
    case TRB_CLIENT_ERROR_NOT_A_NETWORK:
      *details = g_strdup (error->message);
      return g_strdup (_("This address does not host a Tributary network. Check the address, "
                         "or ask for a new invite link."));
    case TRB_CLIENT_ERROR_UNSUPPORTED:
      *details = g_strdup (error->message);
      return g_strdup (_("This network uses a newer version of Tributary. Update Tributary, then "
                         "try again."));
    case TRB_CLIENT_ERROR_TOO_LARGE:
      *details = g_strdup (error->message);
      return g_strdup (_("The network sent more data than Tributary accepts. Ask the network’s "
                         "operator about it."));
    case TRB_CLIENT_ERROR_PROTOCOL:
      *details = g_strdup (error->message);
      return g_strdup (_("The network answered in a way Tributary does not understand. Ask the "
                         "network’s operator about it."));
    case TRB_CLIENT_ERROR_REJECTED:
      /* A node's problem document is worded for people by the node; anything else is not. */
      if (trb_client_error_get_problem (error) != NULL)
        return g_strdup (error->message);
      *details = g_strdup (error->message);
      return g_strdup (_("The network refused the request. Try again later, or ask the "
                         "network’s operator about it."));
    case TRB_CLIENT_ERROR_TAMPERED:
    default:
      return g_strdup (error->message);
    }
}

/**
 * trb_error_describe:
 * @error: an error from the protocol client, the datasets, the invite parser or the store
 * @details: (out) (optional) (transfer full) (nullable): the technical message behind it, or
 *   %NULL when the sentence says it all
 *
 * Tells @error in plain words: what happened and what the person can do. Errors of
 * Tributary's own domains whose messages are written for people keep them; errors from
 * libraries get a sentence from their class, and their message goes to @details.
 *
 * Returns: (transfer full): a sentence to show
 */
char *
trb_error_describe (const GError  *error,
                    char         **details)
{
  g_autofree char *local_details = NULL;
  char *sentence;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == TRB_CLIENT_ERROR)
    sentence = describe_client (error, &local_details);
  else if (error->domain == TRB_DATASET_ERROR)
    /* The readers word their errors for people, with the file's name; see trb-sample-source.c. */
    sentence = g_strdup (error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    /* What trb_invite_parse() says about text that is not an address. */
    sentence = g_strdup (error->message);
  else if (error->domain == G_RESOLVER_ERROR || error->domain == G_TLS_ERROR ||
           error->domain == SOUP_SESSION_ERROR ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    {
      sentence = g_strdup (describe_connection (error->domain, error->code));
      local_details = g_strdup (error->message);
    }
  else
    {
      sentence = g_strdup (_("Something went wrong. Try again; if it happens again, the "
                             "details below help the people who make Tributary."));
      local_details = g_strdup (error->message);
    }

  if (details != NULL)
    *details = g_steal_pointer (&local_details);
  return sentence;
}

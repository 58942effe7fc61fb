/* test-local-addresses.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local network addresses a hosted network puts in its invite link: never loopback, IPv4
 * first, and links that the invite parser takes back.
 */

#include "config.h"

#include <gio/gio.h>

#include "net/trb-local-addresses.h"
#include "participant/trb-invite.h"

static void
test_list (void)
{
  g_auto(GStrv) addresses = trb_local_addresses_list ();
  gboolean seen_v6 = FALSE;

  g_assert_nonnull (addresses);
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (addresses[i]);

      g_test_message ("%s", addresses[i]);
      g_assert_nonnull (address);
      g_assert_false (g_inet_address_get_is_loopback (address));
      g_assert_false (g_inet_address_get_is_any (address));
      if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
        {
          g_assert_false (g_inet_address_get_is_link_local (address));
          seen_v6 = TRUE;
        }
      else
        g_assert_false (seen_v6);
    }
}

static void
test_url (void)
{
  const struct { const char *address; const char *url; } cases[] = {
    { "192.168.1.20", "http://192.168.1.20:41234" },
    { "2001:db8::5", "http://[2001:db8::5]:41234" },
    { "studio.local", "http://studio.local:41234" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = trb_local_addresses_url (cases[i].address, 41234);
      g_autofree char *invite = trb_invite_make (url);
      g_autofree char *parsed = trb_invite_parse (invite, NULL);

      g_assert_cmpstr (url, ==, cases[i].url);
      g_assert_cmpstr (parsed, ==, url);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/local-addresses/list", test_list);
  g_test_add_func ("/local-addresses/url", test_url);
  return g_test_run ();
}

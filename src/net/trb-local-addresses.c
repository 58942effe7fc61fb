/* trb-local-addresses.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The addresses by which other computers on the local network reach this one: what a network
 * hosted here puts in its invite link.
 */

#define G_LOG_DOMAIN "trb-local-addresses"

#include "config.h"

#include "trb-local-addresses.h"

#include <gio/gio.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

/* A computer with more than this many addresses lists the first ones. */
#define MAX_ADDRESSES 16

static gboolean
reachable_from_others (GInetAddress *address)
{
  /* Loopback is this computer only; an IPv6 link-local address needs the interface's name in
   * the link, which another computer's name for that link differs from. */
  return !g_inet_address_get_is_loopback (address) && !g_inet_address_get_is_any (address) &&
         !g_inet_address_get_is_multicast (address) &&
         !(g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
           g_inet_address_get_is_link_local (address));
}

/**
 * trb_local_addresses_list:
 *
 * The IPv4 addresses of the interfaces that are up, then their IPv6 addresses other than
 * link-local ones; never loopback.
 *
 * Returns: (transfer full): the addresses as text, possibly none
 */
char **
trb_local_addresses_list (void)
{
  g_autoptr(GPtrArray) v4 = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) v6 = g_ptr_array_new_with_free_func (g_free);
  GStrvBuilder *builder = g_strv_builder_new ();
  struct ifaddrs *list = NULL;
  char **result;

  if (getifaddrs (&list) == 0)
    {
      for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next)
        {
          g_autoptr(GSocketAddress) socket_address = NULL;
          GInetAddress *address;
          gsize size;

          if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
            continue;
          if (i->ifa_addr->sa_family == AF_INET)
            size = sizeof (struct sockaddr_in);
          else if (i->ifa_addr->sa_family == AF_INET6)
            size = sizeof (struct sockaddr_in6);
          else
            continue;
          socket_address = g_socket_address_new_from_native (i->ifa_addr, size);
          if (!G_IS_INET_SOCKET_ADDRESS (socket_address))
            continue;
          address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address));
          if (!reachable_from_others (address))
            continue;
          g_ptr_array_add (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4 ? v4 : v6,
                           g_inet_address_to_string (address));
        }
      freeifaddrs (list);
    }
  for (guint i = 0; i < v4->len && i < MAX_ADDRESSES; i++)
    g_strv_builder_add (builder, g_ptr_array_index (v4, i));
  for (guint i = 0; i < v6->len && v4->len + i < MAX_ADDRESSES; i++)
    g_strv_builder_add (builder, g_ptr_array_index (v6, i));
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/**
 * trb_local_addresses_url:
 * @address: an IPv4 or IPv6 address, or a host name
 * @port: the port a node listens on
 *
 * Returns: (transfer full): `http://address:port`, with an IPv6 address in brackets
 */
char *
trb_local_addresses_url (const char *address,
                         guint       port)
{
  g_return_val_if_fail (address != NULL, NULL);

  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u", address, port);
  return g_strdup_printf ("http://%s:%u", address, port);
}

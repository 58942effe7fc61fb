/* trb-cli-network.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The participation commands of tributary-cli and what they share: the local store, the
 * wallet key of a network, and the network a user names.
 */

#pragma once

#include "net/trb-client.h"
#include "net/trb-contributor.h"
#include "store/trb-store.h"
#include "wallet/trb-keypair.h"

G_BEGIN_DECLS

typedef struct
{
  char *origin;
  char *name;
  char *url;
  char *ledger_key;
  char *address;
  char *task;
  gboolean compromised;
} TrbCliNetwork;

void             trb_cli_network_free      (TrbCliNetwork  *network);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbCliNetwork, trb_cli_network_free)

TrbStore        *trb_cli_open_store        (void);
GPtrArray       *trb_cli_list_networks     (TrbStore       *store);
TrbCliNetwork   *trb_cli_find_network      (TrbStore       *store,
                                            const char     *id);
TrbKeypair      *trb_cli_load_keypair      (TrbStore       *store,
                                            const char     *origin,
                                            const char     *wallet_name,
                                            GError        **error);
TrbContributor  *trb_cli_connect           (TrbStore       *store,
                                            TrbCliNetwork  *network,
                                            TrbClient     **client_out);
TrbContributor  *trb_cli_connect_status    (TrbStore       *store,
                                            TrbCliNetwork  *network,
                                            TrbClient     **client_out,
                                            int            *status);

int trb_cli_join       (int    argc,
                        char **argv);
int trb_cli_networks   (int    argc,
                        char **argv);
int trb_cli_status     (int    argc,
                        char **argv);
int trb_cli_contribute (int    argc,
                        char **argv);
int trb_cli_ledger     (int    argc,
                        char **argv);
int trb_cli_history    (int    argc,
                        char **argv);

G_END_DECLS

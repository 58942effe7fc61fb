/* trb-networks-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TRB_TYPE_NETWORKS_PAGE (trb_networks_page_get_type ())

G_DECLARE_FINAL_TYPE (TrbNetworksPage, trb_networks_page, TRB, NETWORKS_PAGE, AdwBin)

G_END_DECLS

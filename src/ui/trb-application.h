/* trb-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "participant/trb-demo-node.h"
#include "participant/trb-participation-manager.h"
#include "participant/trb-scheduler.h"

G_BEGIN_DECLS

#define TRB_TYPE_APPLICATION (trb_application_get_type ())

G_DECLARE_FINAL_TYPE (TrbApplication, trb_application, TRB, APPLICATION, AdwApplication)

TrbApplication *trb_application_new           (void);
TrbScheduler   *trb_application_get_scheduler (TrbApplication *self);
TrbParticipationManager *
                trb_application_get_participations (TrbApplication *self);
TrbWalletManager *
                trb_application_get_wallets   (TrbApplication *self);
TrbDemoNode    *trb_application_get_demo_node (TrbApplication *self);
TrbDemoNode    *trb_application_get_hosted_node (TrbApplication *self);
TrbStore       *trb_application_get_store       (TrbApplication *self);
const GError   *trb_application_get_store_error (TrbApplication *self);

G_END_DECLS

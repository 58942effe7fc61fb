/* trb-participation-manager.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "compute/trb-model-spec.h"
#include "participant/trb-participation.h"
#include "participant/trb-scheduler.h"
#include "store/trb-store.h"
#include "wallet/trb-wallet-manager.h"

G_BEGIN_DECLS

/**
 * TrbParticipationEvent:
 * @time: seconds since 1970
 * @origin: the network
 * @kind: "round", "contributed", "round-missed", "problem", "joined" or "left"
 * @message: plain words
 *
 * One line of the event log.
 */
typedef struct
{
  gint64  time;
  char   *origin;
  char   *kind;
  char   *message;
} TrbParticipationEvent;

void trb_participation_event_free (TrbParticipationEvent *event);

#define TRB_TYPE_PARTICIPATION_MANAGER (trb_participation_manager_get_type ())

G_DECLARE_FINAL_TYPE (TrbParticipationManager, trb_participation_manager, TRB,
                      PARTICIPATION_MANAGER, GObject)

TrbParticipationManager *trb_participation_manager_new        (TrbStore                *store,
                                                               TrbWalletManager        *wallets,
                                                               TrbScheduler            *scheduler,
                                                               GError                 **error);
void              trb_participation_manager_load_async        (TrbParticipationManager *self,
                                                               GCancellable            *cancellable,
                                                               GAsyncReadyCallback      callback,
                                                               gpointer                 user_data);
gboolean          trb_participation_manager_load_finish       (TrbParticipationManager *self,
                                                               GAsyncResult            *result,
                                                               GError                 **error);
void              trb_participation_manager_join_async        (TrbParticipationManager *self,
                                                               const char              *url,
                                                               TrbWallet               *wallet,
                                                               const char              *dataset,
                                                               GCancellable            *cancellable,
                                                               GAsyncReadyCallback      callback,
                                                               gpointer                 user_data);
void              trb_participation_manager_join_with_invitation_async (
                                                               TrbParticipationManager *self,
                                                               const char              *url,
                                                               TrbWallet               *wallet,
                                                               const char              *dataset,
                                                               const char              *invitation,
                                                               GCancellable            *cancellable,
                                                               GAsyncReadyCallback      callback,
                                                               gpointer                 user_data);
TrbParticipation *trb_participation_manager_join_finish       (TrbParticipationManager *self,
                                                               GAsyncResult            *result,
                                                               GError                 **error);
gboolean          trb_participation_manager_leave             (TrbParticipationManager *self,
                                                               TrbParticipation        *p,
                                                               GError                 **error);
TrbParticipation *trb_participation_manager_lookup            (TrbParticipationManager *self,
                                                               const char              *origin);
TrbParticipation *trb_participation_manager_lookup_url        (TrbParticipationManager *self,
                                                               const char              *url);
const char       *trb_participation_manager_get_name          (TrbParticipationManager *self,
                                                               TrbParticipation        *p);
TrbStore         *trb_participation_manager_get_store         (TrbParticipationManager *self);
const char       *trb_participation_manager_get_url           (TrbParticipationManager *self,
                                                               TrbParticipation        *p);
TrbParticipation *trb_participation_manager_get_active        (TrbParticipationManager *self);
void              trb_participation_manager_set_cosign        (TrbParticipationManager *self,
                                                               gboolean                 cosign);
void              trb_participation_manager_set_device        (TrbParticipationManager *self,
                                                               const char              *device);
GPtrArray        *trb_participation_manager_list_events       (TrbParticipationManager *self,
                                                               const char              *origin,
                                                               guint                    limit,
                                                               GError                 **error);

/* Changing a joined network's data. */
void     trb_participation_manager_change_dataset_async  (TrbParticipationManager *self,
                                                          TrbParticipation        *p,
                                                          const char              *path,
                                                          TrbModelSpec            *spec,
                                                          GCancellable            *cancellable,
                                                          GAsyncReadyCallback      callback,
                                                          gpointer                 user_data);
gboolean trb_participation_manager_change_dataset_finish (TrbParticipationManager *self,
                                                          GAsyncResult            *result,
                                                          GError                 **error);
gboolean trb_participation_check_dataset                 (const char              *path,
                                                          TrbModelSpec            *spec,
                                                          GCancellable            *cancellable,
                                                          GError                 **error);
void     trb_participation_check_dataset_async           (const char              *path,
                                                          TrbModelSpec            *spec,
                                                          GCancellable            *cancellable,
                                                          GAsyncReadyCallback      callback,
                                                          gpointer                 user_data);
gboolean trb_participation_check_dataset_finish          (GAsyncResult            *result,
                                                          GError                 **error);

G_END_DECLS

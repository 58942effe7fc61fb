/* trb-wallet-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One wallet in the Wallet area's list: its name, its shortened address and whether it is the
 * one in use, bound to the wallet's properties so that a rename or another choice changes this
 * row alone.
 */

#define G_LOG_DOMAIN "trb-wallet-row"

#include "config.h"

#include "trb-wallet-row.h"

#include <string.h>

struct _TrbWalletRow
{
  AdwActionRow  parent_instance;

  TrbWallet    *wallet;
  GtkImage     *check;
};

G_DEFINE_FINAL_TYPE (TrbWalletRow, trb_wallet_row, ADW_TYPE_ACTION_ROW)

static void
trb_wallet_row_dispose (GObject *object)
{
  TrbWalletRow *self = TRB_WALLET_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), TRB_TYPE_WALLET_ROW);
  g_clear_object (&self->wallet);

  G_OBJECT_CLASS (trb_wallet_row_parent_class)->dispose (object);
}

static void
trb_wallet_row_class_init (TrbWalletRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = trb_wallet_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/trb-wallet-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TrbWalletRow, check);
}

static void
trb_wallet_row_init (TrbWalletRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * trb_wallet_row_new:
 * @wallet: a wallet
 *
 * Returns: (transfer floating): a row showing @wallet, which follows its changes
 */
GtkWidget *
trb_wallet_row_new (TrbWallet *wallet)
{
  TrbWalletRow *self;
  const char *address;
  g_autofree char *short_address = NULL;

  g_return_val_if_fail (TRB_IS_WALLET (wallet), NULL);

  self = g_object_new (TRB_TYPE_WALLET_ROW, NULL);
  self->wallet = g_object_ref (wallet);
  address = trb_wallet_get_address (wallet);
  short_address = g_strdup_printf ("%.6s…%s", address, address + MAX (6, strlen (address)) - 6);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), short_address);
  g_object_bind_property (wallet, "label", self, "title", G_BINDING_SYNC_CREATE);
  g_object_bind_property (wallet, "is-default", self->check, "visible", G_BINDING_SYNC_CREATE);
  return GTK_WIDGET (self);
}

/**
 * trb_wallet_row_get_wallet:
 * @self: a row
 *
 * Returns: (transfer none): the wallet @self shows
 */
TrbWallet *
trb_wallet_row_get_wallet (TrbWalletRow *self)
{
  g_return_val_if_fail (TRB_IS_WALLET_ROW (self), NULL);

  return self->wallet;
}

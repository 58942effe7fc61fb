/* trb-wallet.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the app may know of a wallet without opening the keyring: its address, its name, and
 * whether it has been backed up. Never a secret. The TrbWalletManager changes these.
 */

#define G_LOG_DOMAIN "trb-wallet"

#include "config.h"

#include "trb-wallet-private.h"

struct _TrbWallet
{
  GObject   parent_instance;

  char     *address;
  char     *label;
  gint64    created;
  guint     backed_up : 1;
  guint     is_default : 1;
};

G_DEFINE_FINAL_TYPE (TrbWallet, trb_wallet, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_LABEL,
  PROP_BACKED_UP,
  PROP_IS_DEFAULT,
  PROP_CREATED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
trb_wallet_finalize (GObject *object)
{
  TrbWallet *self = (TrbWallet *)object;

  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->label, g_free);

  G_OBJECT_CLASS (trb_wallet_parent_class)->finalize (object);
}

static void
trb_wallet_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  TrbWallet *self = TRB_WALLET (object);

  switch (prop_id)
    {
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    case PROP_BACKED_UP:
      g_value_set_boolean (value, self->backed_up);
      break;
    case PROP_IS_DEFAULT:
      g_value_set_boolean (value, self->is_default);
      break;
    case PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_wallet_class_init (TrbWalletClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_wallet_finalize;
  object_class->get_property = trb_wallet_get_property;

  properties[PROP_ADDRESS] =
    g_param_spec_string ("address", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BACKED_UP] =
    g_param_spec_boolean ("backed-up", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_DEFAULT] =
    g_param_spec_boolean ("is-default", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREATED] =
    g_param_spec_int64 ("created", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
trb_wallet_init (TrbWallet *self)
{
}

TrbWallet *
trb_wallet_new (const char *address,
                const char *label,
                gboolean    backed_up,
                gboolean    is_default,
                gint64      created)
{
  TrbWallet *self = g_object_new (TRB_TYPE_WALLET, NULL);

  self->address = g_strdup (address);
  self->label = g_strdup (label);
  self->backed_up = !!backed_up;
  self->is_default = !!is_default;
  self->created = created;
  return self;
}

const char *
trb_wallet_get_address (TrbWallet *self)
{
  g_return_val_if_fail (TRB_IS_WALLET (self), NULL);

  return self->address;
}

const char *
trb_wallet_get_label (TrbWallet *self)
{
  g_return_val_if_fail (TRB_IS_WALLET (self), NULL);

  return self->label;
}

gboolean
trb_wallet_get_backed_up (TrbWallet *self)
{
  g_return_val_if_fail (TRB_IS_WALLET (self), FALSE);

  return self->backed_up;
}

gboolean
trb_wallet_get_is_default (TrbWallet *self)
{
  g_return_val_if_fail (TRB_IS_WALLET (self), FALSE);

  return self->is_default;
}

gint64
trb_wallet_get_created (TrbWallet *self)
{
  g_return_val_if_fail (TRB_IS_WALLET (self), 0);

  return self->created;
}

void
trb_wallet_set_label (TrbWallet  *self,
                      const char *label)
{
  g_return_if_fail (TRB_IS_WALLET (self));

  if (g_strcmp0 (self->label, label) == 0)
    return;
  g_free (self->label);
  self->label = g_strdup (label);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

void
trb_wallet_set_backed_up (TrbWallet *self,
                          gboolean   backed_up)
{
  g_return_if_fail (TRB_IS_WALLET (self));

  if (self->backed_up != !!backed_up)
    {
      self->backed_up = !!backed_up;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKED_UP]);
    }
}

void
trb_wallet_set_is_default (TrbWallet *self,
                           gboolean   is_default)
{
  g_return_if_fail (TRB_IS_WALLET (self));

  if (self->is_default != !!is_default)
    {
      self->is_default = !!is_default;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_DEFAULT]);
    }
}

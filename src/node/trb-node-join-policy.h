/* trb-node-join-policy.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Who may join a network: anyone (open), holders of an operator's invitation code (one wallet
 * per code), or anyone who solves a small proof of work bound to their address. The policy
 * lives in the node's store; docs/protocol.md ("Join policy") describes the formats.
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "store/trb-store.h"

G_BEGIN_DECLS

typedef enum
{
  TRB_JOIN_POLICY_OPEN,
  TRB_JOIN_POLICY_INVITATION,
  TRB_JOIN_POLICY_PROOF_OF_WORK,
} TrbJoinPolicyKind;

/* How long a proof-of-work challenge may be used. */
#define TRB_JOIN_CHALLENGE_LIFETIME_S 600

typedef struct _TrbJoinPolicy TrbJoinPolicy;

/* An invitation code and what became of it. */
typedef struct
{
  char   *code;     /* as it was handed out: ABCD-EFGH-… */
  gint64  created;  /* Unix time; 0 for a code made before codes were recorded */
  char   *used_by;  /* the address that joined with it, or %NULL */
  gint64  used;     /* when it did, or 0 */
  gint64  revoked;  /* when it was revoked, or 0 */
} TrbInvitation;

/* Why a join was refused, as a problem (docs/protocol.md §6). */
typedef struct
{
  guint       status;
  const char *type;
  const char *title;
  const char *detail;
} TrbJoinRefusal;

TrbJoinPolicy *trb_join_policy_new            (TrbStore              *store,
                                               const guint8          *ledger_secret_key,
                                               GError               **error);
void           trb_join_policy_free           (TrbJoinPolicy         *self);
gboolean       trb_join_policy_kind_from_string (const char          *text,
                                                 TrbJoinPolicyKind   *kind);
gboolean       trb_join_policy_set            (TrbJoinPolicy         *self,
                                               TrbJoinPolicyKind      kind,
                                               guint                  bits,
                                               GError               **error);
TrbJoinPolicyKind trb_join_policy_get_kind    (TrbJoinPolicy         *self);
void           trb_join_policy_describe       (TrbJoinPolicy         *self,
                                               JsonBuilder           *builder);
void           trb_join_policy_handle_challenge (TrbJoinPolicy       *self,
                                                 SoupServerMessage   *msg,
                                                 GHashTable          *query);
gboolean       trb_join_policy_admit          (TrbJoinPolicy         *self,
                                               const char            *address,
                                               JsonObject            *request,
                                               const TrbJoinRefusal **refusal,
                                               GError               **error);
char         **trb_join_policy_new_invitations (TrbJoinPolicy       *self,
                                                guint                count,
                                                GError             **error);
GPtrArray     *trb_join_policy_list_invitations (TrbJoinPolicy      *self,
                                                 GError            **error);
TrbInvitation *trb_join_policy_revoke_invitation (TrbJoinPolicy     *self,
                                                  const char        *code,
                                                  gboolean          *already,
                                                  GError           **error);
void           trb_invitation_free            (TrbInvitation         *self);
char          *trb_join_policy_make_challenge (TrbJoinPolicy         *self,
                                               const char            *address,
                                               gint64                 expires);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbJoinPolicy, trb_join_policy_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrbInvitation, trb_invitation_free)

G_END_DECLS

/* trb-protocol.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The facts of the wire protocol (docs/protocol.md) that the node, the client, the CLI and the
 * app share, written once: the protocol version, the problem types, the limits, the point scale
 * and the reward rule. GLib only, so that every layer may include it.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The protocol version this build speaks (`protocol` in `GET /v1/network`). */
#define TRB_PROTOCOL_VERSION 1

/* ---- limits (docs/protocol.md, section 2; docs/ledger-format.md) ---------------------------- */

/* A request body of a JSON endpoint. */
#define TRB_PROTOCOL_MAX_JSON_BODY          (64 * 1024)
/* A request body of an update upload. */
#define TRB_PROTOCOL_MAX_UPDATE_BODY        (64 * 1024 * 1024)
/* A safetensors header (its JSON part); real headers are a few KiB. */
#define TRB_PROTOCOL_MAX_SAFETENSORS_HEADER (1024 * 1024)
/* Bytes of a safetensors `__metadata__` (its names and values): an update's five members take
 * about 250, a checkpoint's three about 100. */
#define TRB_PROTOCOL_MAX_METADATA           4096
/* Entries per `GET /v1/ledger/entries`: what the node serves at most, and the page a client
 * asks for. */
#define TRB_PROTOCOL_LEDGER_PAGE            1000
/* Cosignatures a checkpoint carries beside the network's own signature (a signed note holds at
 * most 64 signatures in all). */
#define TRB_PROTOCOL_MAX_COSIGNATURES       63
/* One cosignature line without its newline: "— ", an address (at most 44 characters), a space
 * and 104 characters of base64 fit in 154 bytes. 63 of them keep a checkpoint within
 * %TRB_PROTOCOL_MAX_CHECKPOINT. */
#define TRB_PROTOCOL_MAX_COSIGNATURE_LINE   160
/* A signed-note checkpoint as served, cosignatures included. */
#define TRB_PROTOCOL_MAX_CHECKPOINT         (16 * 1024)
/* A request signature's nonce: 16 random bytes in unpadded base64url. */
#define TRB_PROTOCOL_NONCE_LENGTH           22
/* Updates listed by `GET /v1/tasks/{id}/rounds/{n}/updates`: as many as a `round_closed` entry
 * may list (TRB_LEDGER_ENTRY_MAX_UPDATES); at about 180 bytes each, the list stays far within
 * the 4 MiB a client reads of a JSON reply. */
#define TRB_PROTOCOL_MAX_PUBLISHED_UPDATES  10000
/* Seconds a signature's `created` may differ from the verifier's clock. */
#define TRB_PROTOCOL_SIGNATURE_SKEW         300
/* A request's line and headers, as libsoup 3.2 limits them (its HEADER_SIZE_LIMIT). */
#define TRB_PROTOCOL_MAX_REQUEST_HEAD       (64 * 1024)

/* HTTP statuses that libsoup 3.2's SoupStatus does not name. */
#define TRB_HTTP_STATUS_TOO_MANY_REQUESTS 429
#define TRB_HTTP_STATUS_HEADERS_TOO_LARGE 431

/* ---- problem types (RFC 9457; docs/protocol.md, section 4) --------------------------------- */

/* Every problem `type` is this base and a short name; the short names are below. */
#define TRB_PROBLEM_BASE "https://tributary.invalid/problems/"

#define TRB_PROBLEM_BAD_REQUEST      "bad-request"
#define TRB_PROBLEM_BAD_SIGNATURE    "bad-signature"
#define TRB_PROBLEM_BAD_UPDATE       "bad-update"
#define TRB_PROBLEM_BUSY             "busy"
#define TRB_PROBLEM_DUPLICATE        "duplicate"
#define TRB_PROBLEM_EXPIRED          "expired"
#define TRB_PROBLEM_LATE             "late"
#define TRB_PROBLEM_NON_FINITE       "non-finite"
#define TRB_PROBLEM_NORM_TOO_LARGE   "norm-too-large"
#define TRB_PROBLEM_NOT_FOUND        "not-found"
#define TRB_PROBLEM_NOT_JOINED       "not-joined"
#define TRB_PROBLEM_NOT_SELECTED     "not-selected"
#define TRB_PROBLEM_OUT_OF_RANGE     "out-of-range"
#define TRB_PROBLEM_TOO_LARGE        "too-large"
#define TRB_PROBLEM_UNKNOWN_TASK     "unknown-task"
#define TRB_PROBLEM_WRONG_ROUND      "wrong-round"
#define TRB_PROBLEM_WRONG_SHAPE      "wrong-shape"

/**
 * TrbProblemKind:
 * @TRB_PROBLEM_KIND_RETRY: worth trying again later: the node is busy, a limit of rate, a
 *   clock out of the skew window, a type this build does not know
 * @TRB_PROBLEM_KIND_ROUND_MISSED: the round closed or moved on before the update was in
 *   (`late`, `wrong-round`) or did not pick this participant (`not-selected`): the next round
 *   will do
 * @TRB_PROBLEM_KIND_PERMANENT: the same request will be refused again (`wrong-shape`,
 *   `non-finite`, `out-of-range`, `norm-too-large`, `bad-update`, `too-large`, `not-joined`, `unknown-task`,
 *   `bad-signature`, `bad-request`): repeating it does not help
 *
 * What a participant does about a rejection, by its problem type.
 */
typedef enum
{
  TRB_PROBLEM_KIND_RETRY,
  TRB_PROBLEM_KIND_ROUND_MISSED,
  TRB_PROBLEM_KIND_PERMANENT,
} TrbProblemKind;

/* A participant stops after this many permanent refusals in a row (the app's participation loop
 * and `tributary-cli contribute` alike): repeating the same update does not help. */
#define TRB_PROTOCOL_MAX_REFUSALS 3

char           *trb_problem_uri          (const char *name);
const char     *trb_problem_name_from_uri (const char *uri);
TrbProblemKind  trb_problem_kind         (const char *name);

/* ---- points and rewards -------------------------------------------------------------------- */

/* Points are kept as integers: thousandths of a point, in the ledger and everywhere else. */
#define TRB_POINTS_SCALE 1000

double trb_points_to_double (gint64 points);
gint64 trb_points_from_double (double value);

gint64 trb_protocol_reward (gint64 samples,
                            gint64 epochs,
                            double points_per_sample_epoch,
                            double cap_per_round);

/* The versions of the reward rule, as a `reward` entry's `rule` member names them (an entry
 * without the member was written under rule 1). */
#define TRB_REWARD_RULE_CLAIMED 1
#define TRB_REWARD_RULE_CHECKED 2

/* The samples rule 2 pays at most for one update when the task sets no
 * `aggregation.max_samples_per_update`. */
#define TRB_REWARD_DEFAULT_MAX_SAMPLES 100000

/* An update whose L2 norm is below this does not change the model (in float32, a step of
 * 10⁻⁶ spread over the smallest model is below the precision of its weights): rule 2 pays
 * nothing for it. */
#define TRB_REWARD_MIN_NORM 1e-6

gint64   trb_protocol_reward_samples (gint64 claimed,
                                      gint64 max_samples_per_update);
gint64   trb_protocol_reward_epochs  (gint64 claimed,
                                      gint64 local_epochs);
gboolean trb_protocol_reward_used    (gboolean accepted,
                                      double   kept_share,
                                      double   mean_kept_share);
gint64   trb_protocol_reward_checked (gint64   samples,
                                      gint64   epochs,
                                      gboolean used,
                                      double   norm,
                                      double   points_per_sample_epoch,
                                      double   cap_per_round);

G_END_DECLS

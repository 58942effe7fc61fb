/* trb-contributor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "trb-contributor"

#include "config.h"

#include "trb-contributor.h"

#include <glib/gi18n.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "compute/trb-executor-choice.h"
#include "compute/trb-model-spec.h"
#include "compute/trb-trainer.h"
#include "compute/trb-weights.h"
#include "ledger/trb-checkpoint.h"
#include "ledger/trb-ledger-entry.h"
#include "ledger/trb-ledger-error.h"
#include "ledger/trb-ledger-history.h"
#include "ledger/trb-merkle.h"
#include "ledger/trb-note.h"
#include "net/trb-http-signature.h"
#include "net/trb-proof-of-work.h"
#include "net/trb-protocol.h"
#include "net/trb-task-config.h"
#include "trb-json.h"
#include "store/trb-store-net.h"
#include "store/trb-store-participation.h"

struct _TrbContributor
{
  GObject           parent_instance;

  TrbClient        *client;
  TrbStore         *store;
  TrbLedgerHistory *history;
  TrbNoteSigner    *cosigner;
  char             *origin;
  char             *name;
  char             *task;
  char             *ledger_key;
  char             *device;
  guint8            ledger_public_key[32];
  gboolean          compromised;
  /* The network's join policy, as GET /v1/network states it. */
  char             *join_policy;
  guint             join_bits;
  char             *invitation;
  TrbContributorProgress join_progress;
  /* Ends every step of the flow under way, from any thread (trb_contributor_set_cancellable()). */
  GCancellable     *cancellable;
  gpointer          join_progress_data;
  /* The entries hashed so far in this process, as a tree: the first sync hashes every entry,
   * later ones only the new entries (earlier ones are bound by the consistency proofs). */
  TrbMerkleFrontier checked;
};

G_DEFINE_FINAL_TYPE (TrbContributor, trb_contributor, G_TYPE_OBJECT)

static void
trb_contributor_finalize (GObject *object)
{
  TrbContributor *self = TRB_CONTRIBUTOR (object);

  g_clear_object (&self->client);
  g_clear_object (&self->store);
  g_clear_object (&self->history);
  g_clear_object (&self->cosigner);
  g_clear_object (&self->cancellable);
  g_free (self->origin);
  g_free (self->name);
  g_free (self->task);
  g_free (self->ledger_key);
  g_free (self->device);
  g_free (self->join_policy);
  g_free (self->invitation);

  G_OBJECT_CLASS (trb_contributor_parent_class)->finalize (object);
}

static void
trb_contributor_class_init (TrbContributorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = trb_contributor_finalize;
}

static void
trb_contributor_init (TrbContributor *self)
{
  self->device = g_strdup ("cpu");
}

/**
 * trb_contributor_set_device:
 * @self: a contributor
 * @device: (nullable): "cpu" (the default), "auto" or "vulkan:N"
 *
 * Chooses where local training runs.
 */
void
trb_contributor_set_device (TrbContributor *self,
                            const char     *device)
{
  g_return_if_fail (TRB_IS_CONTRIBUTOR (self));
  g_free (self->device);
  self->device = g_strdup (device != NULL ? device : "cpu");
}

/**
 * trb_contributor_migrate:
 * @store: the local store
 * @error: return location for an error
 *
 * Creates the tables of component "net" (joined networks, receipts) and of the ledger history.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_contributor_migrate (TrbStore  *store,
                         GError   **error)
{
  return trb_store_net_migrate (store, error) &&
         trb_ledger_history_migrate (store, error);
}

TrbContributor *
trb_contributor_new (TrbClient *client,
                     TrbStore  *store)
{
  TrbContributor *self;

  g_return_val_if_fail (TRB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (TRB_IS_STORE (store), NULL);

  self = g_object_new (TRB_TYPE_CONTRIBUTOR, NULL);
  self->client = g_object_ref (client);
  self->store = g_object_ref (store);
  return self;
}

/**
 * trb_contributor_set_cancellable:
 * @self: a contributor
 * @cancellable: (nullable): a cancellable
 *
 * Sets what ends the contributor's calls: every network call and wait of connect, join,
 * contribute and sync is given @cancellable, and they fail with %G_IO_ERROR_CANCELLED soon
 * after it is cancelled, from whatever thread.
 */
void
trb_contributor_set_cancellable (TrbContributor *self,
                                 GCancellable   *cancellable)
{
  g_return_if_fail (TRB_IS_CONTRIBUTOR (self));
  g_set_object (&self->cancellable, cancellable);
}

/* ---- network calls --------------------------------------------------------------------------
 *
 * The contributor blocks: its calls are the client's _sync ones, run in the calling thread (a
 * worker thread of the app, or the CLI's main thread), with the contributor's cancellable. */

/* ---- tampering ---------------------------------------------------------------------------- */

/* Marks the network as tampered with (the evidence is kept by the ledger history, which
 * refuses it from then on) and sets @error to @what, in plain words, with what happens now. */
static gboolean
mark_compromised (TrbContributor  *self,
                  GError         **error,
                  const char      *what)
{
  g_autoptr(GError) store_error = NULL;

  self->compromised = TRUE;
  g_clear_error (error);
  /* The tampering is what the caller must hear of; a mark that could not be written down is
   * told with it, since the network would be trusted again after a restart. */
  if (self->origin != NULL &&
      !trb_store_net_mark_compromised (self->store, self->origin, &store_error))
    g_set_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                 /* Translators: the first %s is a sentence saying what was found, the second
                  * why the local database could not be written. */
                 _("%s Tributary stopped contributing to this network, but could not write "
                   "this down: %s"), what, store_error->message);
  else
    g_set_error (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED,
                 _("%s Tributary stopped contributing to this network and kept the evidence."),
                 what);
  return FALSE;
}

/* What was found earlier, in the same words as when it was found. */
static const char *
caught_before (TrbContributor *self)
{
  TrbLedgerTamper kind = self->origin != NULL ? trb_ledger_tamper_lookup (self->store,
                                                                           self->origin)
                                              : TRB_LEDGER_TAMPER_NONE;

  if (kind == TRB_LEDGER_TAMPER_NONE)
    return _("This network’s ledger was caught being tampered with before.");
  return trb_ledger_tamper_describe (kind);
}

static gboolean
is_tampering (const GError *error)
{
  return g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_SIGNATURE) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_PROOF) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_WRONG_ORIGIN) ||
         g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED);
}

/* ---- connect and join --------------------------------------------------------------------- */

/* A network that states no policy is open (nodes made before join policies existed). */
static void
read_join_policy (TrbContributor *self,
                  JsonObject     *network)
{
  JsonNode *join = json_object_get_member (network, "join");
  const char *policy = "open";
  gint64 bits = 0;

  if (join != NULL && JSON_NODE_HOLDS_OBJECT (join))
    {
      policy = trb_json_get_string (json_node_get_object (join), "policy", "open");
      bits = json_object_get_int_member_with_default (json_node_get_object (join), "bits", 0);
      if (strlen (policy) > 32)
        policy = "unknown";
    }
  g_free (self->join_policy);
  self->join_policy = g_strdup (policy);
  self->join_bits = (guint) CLAMP (bits, 0, G_MAXUINT);
}

/**
 * trb_contributor_get_join_policy:
 * @self: a contributor that connected
 * @bits: (out) (optional): the leading zero bits a proof of work needs
 *
 * Returns: (nullable): `open`, `invitation`, `proof-of-work` (or a policy this version does not
 *   know), or %NULL before trb_contributor_connect()
 */
const char *
trb_contributor_get_join_policy (TrbContributor *self,
                                 guint          *bits)
{
  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), NULL);
  if (bits != NULL)
    *bits = self->join_bits;
  return self->join_policy;
}

/**
 * trb_contributor_set_invitation:
 * @self: a contributor
 * @code: (nullable): the invitation code the network's operator gave
 *
 * Sets the code that trb_contributor_join() sends to a network that asks for invitations.
 */
void
trb_contributor_set_invitation (TrbContributor *self,
                                const char     *code)
{
  g_return_if_fail (TRB_IS_CONTRIBUTOR (self));
  g_free (self->invitation);
  self->invitation = code != NULL && *code != '\0' ? g_strstrip (g_strdup (code)) : NULL;
}

/**
 * trb_contributor_set_join_progress:
 * @self: a contributor
 * @progress: (nullable): called with a sentence before a long step of joining
 * @user_data: data for @progress
 *
 * The proof of work a network may ask takes about a second; @progress says so before.
 */
void
trb_contributor_set_join_progress (TrbContributor         *self,
                                   TrbContributorProgress  progress,
                                   gpointer                user_data)
{
  g_return_if_fail (TRB_IS_CONTRIBUTOR (self));
  self->join_progress = progress;
  self->join_progress_data = user_data;
}

/* The node's words for a refused join are English; a person reads these instead. */
static void
explain_join_refusal (GError *error)
{
  const char *problem = trb_client_error_get_problem (error);
  const char *message = NULL;

  if (g_strcmp0 (problem, "invitation-required") == 0)
    message = _("This network accepts new participants by invitation only. Ask the person who "
                "runs it for an invitation code.");
  else if (g_strcmp0 (problem, "invitation-refused") == 0)
    message = _("This invitation code is not valid for this network. Check that it was typed "
                "as it was given.");
  else if (g_strcmp0 (problem, "invitation-used") == 0)
    message = _("This invitation code was already used by someone else. Each code lets one "
                "person join; ask for a new one.");
  else if (g_strcmp0 (problem, "invitation-revoked") == 0)
    message = _("This invitation code was taken back by the person who runs the network. Ask "
                "them for a new one.");
  else if (g_strcmp0 (problem, "proof-of-work-required") == 0 ||
           g_strcmp0 (problem, "bad-proof-of-work") == 0)
    message = _("The network did not accept the joining puzzle. Try joining again.");
  if (message != NULL)
    {
      g_free (error->message);
      error->message = g_strdup (message);
    }
}

static gboolean
already_joined (TrbContributor  *self,
                gboolean        *joined,
                GError         **error)
{
  return trb_store_net_is_joined (self->store, self->origin,
                                  trb_client_get_address (self->client), joined, error);
}

/* Gets a challenge and solves it: about 2^bits hashes. */
static gboolean
solve_join_work (TrbContributor  *self,
                 char           **challenge,
                 char           **nonce,
                 GError         **error)
{
  g_autoptr(JsonObject) answer = NULL;
  const char *text;
  gint64 bits;

  answer = trb_client_get_join_challenge_sync (self->client, self->cancellable, error);
  if (answer == NULL)
    return FALSE;
  text = trb_json_get_string (answer, "challenge", NULL);
  bits = json_object_get_int_member_with_default (answer, "bits", -1);
  if (text == NULL || strlen (text) > TRB_PROOF_OF_WORK_MAX_CHALLENGE || bits < 0 ||
      bits > TRB_PROOF_OF_WORK_MAX_BITS)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network asked for a joining puzzle that cannot be solved."));
      return FALSE;
    }
  if (self->join_progress != NULL)
    self->join_progress (_("Solving the network’s joining puzzle (about a second)…"),
                         self->join_progress_data);
  *nonce = trb_proof_of_work_solve (text, trb_client_get_address (self->client), bits,
                                    self->cancellable,
                                    error);
  if (*nonce == NULL)
    return FALSE;
  *challenge = g_strdup (text);
  return TRUE;
}

/* Opens the ledger history of @origin with the key the network names; a key other than the one
 * pinned, or evidence kept before, marks the network as tampered with. */
static gboolean
open_history (TrbContributor   *self,
              const char       *origin,
              const char       *key,
              TrbNoteVerifier  *verifier,
              GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  g_clear_object (&self->history);
  memset (&self->checked, 0, sizeof self->checked);
  self->history = trb_ledger_history_new (self->store, origin, verifier, &local_error);
  if (self->history == NULL)
    {
      if (g_error_matches (local_error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY))
        {
          g_autofree char *note = NULL;

          /* The evidence: the pinned key with the last checkpoint it signed, and the new key
           * with what the network signs now (when it still answers). */
          note = trb_client_get_checkpoint_sync (self->client, self->cancellable, NULL);
          g_clear_error (&local_error);
          if (!trb_ledger_record_key_change (self->store, origin, key, note, &local_error) &&
              !g_error_matches (local_error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY))
            g_warning ("Could not keep the evidence of a changed ledger key: %s",
                       local_error->message);
          return mark_compromised (self, error,
                                   trb_ledger_tamper_describe (TRB_LEDGER_TAMPER_KEY_CHANGED));
        }
      if (is_tampering (local_error))
        return mark_compromised (self, error, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (trb_ledger_history_is_compromised (self->history) ||
      trb_contributor_is_network_compromised (self->store, origin))
    return mark_compromised (self, error, caught_before (self));
  return TRUE;
}

/**
 * trb_contributor_connect:
 * @self: a contributor
 * @error: return location for an error
 *
 * Reads the network's description and pins its ledger key on first use; a different key later
 * is %TRB_CLIENT_ERROR_TAMPERED.
 *
 * Returns: %TRUE on success
 */
gboolean
trb_contributor_connect (TrbContributor  *self,
                         GError         **error)
{
  g_autoptr(JsonObject) network = NULL;
  g_autoptr(TrbNoteVerifier) verifier = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *origin, *key, *name;
  JsonNode *tasks;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), FALSE);

  network = trb_client_get_network_sync (self->client, self->cancellable, error);
  if (network == NULL)
    return FALSE;

  origin = trb_json_get_string (network, "origin", NULL);
  key = trb_json_get_string (network, "ledger_key", NULL);
  name = trb_json_get_string (network, "name", "");
  tasks = json_object_get_member (network, "tasks");
  if (origin == NULL || key == NULL || strlen (origin) > 255 || strlen (name) > 200)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network did not describe itself properly."));
      return FALSE;
    }
  g_free (self->origin);
  self->origin = g_strdup (origin);
  g_free (self->name);
  self->name = g_strdup (name);
  g_clear_pointer (&self->task, g_free);
  if (tasks != NULL && JSON_NODE_HOLDS_ARRAY (tasks) &&
      json_array_get_length (json_node_get_array (tasks)) > 0)
    self->task = g_strdup (json_array_get_string_element (json_node_get_array (tasks), 0));

  verifier = trb_note_verifier_new_from_string (key, &local_error);
  if (verifier == NULL || trb_note_verifier_get_key_type (verifier) != TRB_NOTE_KEY_ED25519 ||
      !g_str_equal (trb_note_verifier_get_name (verifier), origin))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network’s ledger key could not be read."));
      return FALSE;
    }

  if (!open_history (self, origin, key, verifier, error))
    return FALSE;

  read_join_policy (self, network);

  g_free (self->ledger_key);
  self->ledger_key = g_strdup (key);
  memcpy (self->ledger_public_key, trb_note_verifier_get_public_key (verifier), 32);

  return trb_store_net_save_network (self->store, origin,
                                     trb_client_get_base_url (self->client), name, key,
                                     self->task, error);
}

const char *
trb_contributor_get_origin (TrbContributor *self)
{
  return self->origin;
}

const char *
trb_contributor_get_ledger_key (TrbContributor *self)
{
  return self->ledger_key;
}

const char *
trb_contributor_get_name (TrbContributor *self)
{
  return self->name;
}

const char *
trb_contributor_get_task (TrbContributor *self)
{
  return self->task;
}

gboolean
trb_contributor_is_compromised (TrbContributor *self)
{
  return self->compromised;
}

/**
 * trb_contributor_is_network_compromised:
 * @store: the store contributors keep their networks in
 * @origin: a network's origin
 *
 * Whether a contributor caught this network rewriting or forking its ledger, or signing what it
 * should not. The mark stays, for every later contributor, until the user chooses in History to
 * trust the network again.
 *
 * Returns: %TRUE when marked (%FALSE for a network no contributor has joined)
 */
gboolean
trb_contributor_is_network_compromised (TrbStore   *store,
                                        const char *origin)
{
  gboolean compromised = FALSE;

  g_return_val_if_fail (TRB_IS_STORE (store), TRUE);
  g_return_val_if_fail (origin != NULL, TRUE);

  /* A store that cannot be read (closed as the program quits) marks nothing: the mark is
   * written when the tampering is caught, and read again by the next contributor. */
  if (!trb_store_net_is_compromised (store, origin, &compromised, NULL))
    return FALSE;
  return compromised;
}

gboolean
trb_contributor_join (TrbContributor  *self,
                      GError         **error)
{
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *nonce = NULL;
  gboolean joined = FALSE;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), FALSE);
  g_return_val_if_fail (self->history != NULL, FALSE);

  if (self->compromised)
    return mark_compromised (self, error, caught_before (self));

  /* The node admits a participant it knows without asking again; the puzzle is solved once. */
  if (g_strcmp0 (self->join_policy, "proof-of-work") == 0 &&
      (!already_joined (self, &joined, error) ||
       (!joined && !solve_join_work (self, &challenge, &nonce, error))))
    return FALSE;
  answer = trb_client_join_with_sync (self->client, NULL, self->invitation, challenge, nonce,
                                      self->cancellable, error);
  if (answer == NULL)
    {
      if (error != NULL && *error != NULL)
        explain_join_refusal (*error);
      return FALSE;
    }
  if (g_strcmp0 (trb_json_get_string (answer, "address", NULL),
                 trb_client_get_address (self->client)) != 0)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network registered another address."));
      return FALSE;
    }

  return trb_store_net_set_joined (self->store, self->origin,
                                   trb_client_get_address (self->client), error);
}

/* ---- one round ---------------------------------------------------------------------------- */

/**
 * trb_contributor_read_privacy_policy:
 * @task: the task's description
 * @clip_norm: (out): the L2 norm updates are clipped to, 0 for none
 * @noise_multiplier: (out): the noise's standard deviation as a multiple of @clip_norm
 *
 * The task's privacy policy, within sane bounds.
 */
void
trb_contributor_read_privacy_policy (JsonObject *task,
                                     double     *clip_norm,
                                     double     *noise_multiplier)
{
  *clip_norm = CLAMP (trb_client_task_number (task, "privacy_policy", "clip_norm", 0), 0, 1e6);
  *noise_multiplier = CLAMP (trb_client_task_number (task, "privacy_policy", "noise_multiplier",
                                                     0), 0, 100);
}

/* The update is clipped to an L2 norm of @clip, then Gaussian noise of standard deviation
 * @noise × @clip is added to every value. */
static void
apply_privacy_policy (double      clip,
                      double      noise,
                      TrbWeights *update)
{
  guint64 seed;

  if (clip <= 0)
    return;
  trb_weights_clip_norm (update, clip);
  if (noise > 0)
    {
      randombytes_buf (&seed, sizeof seed);
      trb_weights_add_gaussian_noise (update, noise * clip, seed);
    }
}

static char *
dataset_commitment (TrbTrainingSet *data)
{
  g_autofree char *fp = NULL;
  g_autofree char *salt_hex = NULL;
  g_autofree char *material = NULL;
  guint8 salt[16];

  /* A salted commitment to the data's fingerprint: binds the update to the data without
   * revealing anything about it. */
  fp = trb_training_set_compute_digest (data);
  randombytes_buf (salt, sizeof salt);
  salt_hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, salt, sizeof salt);
  material = g_strconcat (salt_hex, fp, NULL);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, material, -1);
}

/**
 * trb_contributor_build_update:
 * @clip_norm: the privacy policy's clipping norm (see trb_contributor_read_privacy_policy())
 * @noise_multiplier: and its noise multiplier
 * @trained: the weights after local training
 * @base: the round's model they were trained from
 * @base_model: the content address of @base
 * @data: the data trained on
 * @epochs: the local epochs run
 * @train_loss: the last training loss
 * @error: return location for a #GError
 *
 * What a contributor sends: update = trained − base, clipped and noised by the task's privacy
 * policy, with the base model, sample count, epochs, loss and a salted commitment to the data
 * as metadata, as safetensors. The app's participation loop and the headless contributor both
 * build their updates here. It hashes the whole dataset: call it from a worker thread where a
 * main loop must stay responsive.
 *
 * Returns: (transfer full): the update's bytes, or %NULL when @trained does not match @base
 */
GBytes *
trb_contributor_build_update (double           clip_norm,
                              double           noise_multiplier,
                              TrbWeights      *trained,
                              TrbWeights      *base,
                              const char      *base_model,
                              TrbTrainingSet  *data,
                              guint            epochs,
                              double           train_loss,
                              GError         **error)
{
  g_autoptr(TrbWeights) delta = NULL;
  g_autofree char *commitment = NULL;
  g_autofree char *samples = NULL;
  g_autofree char *epochs_text = NULL;
  char loss_text[G_ASCII_DTOSTR_BUF_SIZE];

  delta = trb_weights_subtract (trained, base, error);
  if (delta == NULL)
    return NULL;
  apply_privacy_policy (clip_norm, noise_multiplier, delta);

  commitment = dataset_commitment (data);
  samples = g_strdup_printf ("%" G_GSIZE_FORMAT, trb_training_set_get_n_samples (data));
  epochs_text = g_strdup_printf ("%u", epochs);
  g_ascii_formatd (loss_text, sizeof loss_text, "%.6f", train_loss);
  trb_weights_set_metadata (delta, "base_model", base_model);
  trb_weights_set_metadata (delta, "samples", samples);
  trb_weights_set_metadata (delta, "epochs", epochs_text);
  trb_weights_set_metadata (delta, "train_loss", loss_text);
  trb_weights_set_metadata (delta, "dataset_commitment", commitment);
  return trb_weights_to_safetensors (delta);
}

static gboolean
save_receipt (TrbContributor  *self,
              JsonObject      *receipt,
              GError         **error)
{
  return trb_store_participation_add_receipt (self->store, self->origin,
                                              json_object_get_int_member (receipt, "leaf_index"),
                                              json_object_get_string_member (receipt, "task"),
                                              json_object_get_int_member (receipt, "round"),
                                              json_object_get_string_member (receipt,
                                                                             "participant"),
                                              json_object_get_string_member (receipt, "update"),
                                              error);
}

/* The task's model and training configuration, with @data checked against the model. */
static JsonObject *
read_task (TrbContributor    *self,
           const char        *task,
           TrbTrainingSet    *data,
           TrbModelSpec     **spec_out,
           TrbTrainerConfig  *config,
           GError           **error)
{
  g_autoptr(JsonObject) task_obj = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autofree char *spec_json = NULL;
  TrbDataSource source;
  JsonNode *model_node;

  task_obj = trb_client_get_task_sync (self->client, task, self->cancellable, error);
  if (task_obj == NULL)
    return NULL;
  model_node = json_object_get_member (task_obj, "model");
  if (model_node == NULL || !JSON_NODE_HOLDS_OBJECT (model_node))
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The task does not describe its model."));
      return NULL;
    }
  spec_json = json_to_string (model_node, FALSE);
  spec = trb_model_spec_new_from_json (spec_json, -1, error);
  if (spec == NULL)
    return NULL;
  trb_training_set_get_source (data, &source);
  if (!trb_data_source_check (&source, spec, error) ||
      !trb_task_training_config (task_obj, config, error))
    return NULL;
  *spec_out = g_steal_pointer (&spec);
  return g_steal_pointer (&task_obj);
}

/* Polls the task's round until one later than @after_round accepts updates and asks this
 * participant, for at most @timeout_s. */
static JsonObject *
wait_for_round (TrbContributor  *self,
                const char      *task,
                gint64           after_round,
                guint            timeout_s,
                GError         **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) round = NULL;
      gint64 round_number;
      const char *state;

      round = trb_client_get_round_sync (self->client, task, self->cancellable, error);
      if (round == NULL)
        return NULL;
      round_number = json_object_get_int_member_with_default (round, "round", 0);
      state = trb_json_get_string (round, "state", "");
      if (round_number > after_round &&
          (g_str_equal (state, "open") || g_str_equal (state, "collecting")))
        {
          /* A round that does not ask this participant is skipped. */
          if (trb_client_is_selected (trb_json_get_string (round, "model", ""),
                                      trb_client_get_address (self->client),
                                      json_object_get_double_member_with_default (round,
                                                                                  "fraction",
                                                                                  1.0)))
            return g_steal_pointer (&round);
          after_round = round_number;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_NETWORK,
                               _("No round opened in time."));
          return NULL;
        }
      if (!trb_client_sleep (200, self->cancellable, error))
        return NULL;
    }
}

/* The round's model, downloaded and made to fit @spec. */
static TrbWeights *
download_model (TrbContributor  *self,
                TrbModelSpec    *spec,
                const char      *model_hash,
                GError         **error)
{
  g_autoptr(GBytes) model_blob = NULL;
  g_autoptr(TrbWeights) downloaded = NULL;

  model_blob = trb_client_download_blob_sync (self->client, model_hash,
                                              trb_model_spec_get_n_parameters (spec) * 4 +
                                              2 * 1024 * 1024, self->cancellable, error);
  if (model_blob == NULL)
    return NULL;
  downloaded = trb_weights_new_from_safetensors (model_blob, error);
  if (downloaded == NULL)
    return NULL;
  return trb_model_spec_conform_weights (spec, downloaded, error);
}

/* Trains on @data from @base with the compute engine and makes the update to upload. */
static GBytes *
train_update (TrbContributor   *self,
              JsonObject       *task_obj,
              TrbModelSpec     *spec,
              TrbTrainerConfig *config,
              TrbWeights       *base,
              const char       *model_hash,
              TrbTrainingSet   *data,
              GError          **error)
{
  g_autoptr(TrbExecutor) executor = NULL;
  g_autoptr(TrbTrainer) trainer = NULL;
  g_autoptr(TrbWeights) trained = NULL;
  g_autofree char *cache = trb_executor_choice_dup_cache_path ();
  TrbDataSource source;
  double loss, clip_norm, noise_multiplier;

  executor = trb_executor_new_for_task (spec, config->batch_size, self->device, cache, error);
  if (executor == NULL)
    return NULL;
  config->seed = g_random_int ();
  config->low_priority = TRUE;
  trainer = trb_trainer_new (executor, spec, config);
  trb_training_set_get_source (data, &source);
  trained = trb_trainer_run (trainer, base, &source, self->cancellable, error);
  if (trained == NULL)
    return NULL;
  loss = trb_trainer_get_last_progress (trainer)->loss;
  trb_contributor_read_privacy_policy (task_obj, &clip_norm, &noise_multiplier);
  return trb_contributor_build_update (clip_norm, noise_multiplier, trained, base, model_hash,
                                       data, (guint) config->epochs, loss, error);
}

/* Uploads @update and checks the node's signed receipt for it; on `duplicate`, fetches and
 * checks the receipt of the update the node holds already. */
static gboolean
upload_update (TrbContributor  *self,
               const char      *task,
               gint64           round_number,
               GBytes          *update,
               GError         **error)
{
  g_autofree char *hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, update);
  g_autoptr(JsonObject) receipt = NULL;
  g_autoptr(GError) local_error = NULL;

  receipt = trb_client_upload_update_sync (self->client, task, round_number, update,
                                           self->cancellable, &local_error);
  if (receipt == NULL && trb_client_error_get_duplicate_update (local_error) != NULL)
    {
      /* The node holds an update of ours for this round already: one whose receipt was lost
       * (the process was stopped after the node stored it). Its receipt, fetched again, is
       * checked as any other. */
      g_free (hash);
      hash = g_strdup (trb_client_error_get_duplicate_update (local_error));
      g_clear_error (&local_error);
      receipt = trb_client_get_receipt_sync (self->client, task, round_number, hash,
                                             self->cancellable, &local_error);
    }
  if (receipt == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!trb_client_verify_receipt (receipt, self->ledger_public_key, error))
    return mark_compromised (self, error, _("a receipt was not signed by its key"));
  if (g_strcmp0 (json_object_get_string_member (receipt, "update"), hash) != 0 ||
      g_strcmp0 (json_object_get_string_member (receipt, "participant"),
                 trb_client_get_address (self->client)) != 0 ||
      g_strcmp0 (trb_json_get_string (receipt, "task", NULL), task) != 0 ||
      json_object_get_int_member_with_default (receipt, "round", 0) != round_number)
    return mark_compromised (self, error, _("a receipt names another update"));
  return save_receipt (self, receipt, error);
}

/**
 * trb_contributor_contribute:
 * @self: a contributor that joined
 * @task: the task
 * @data: the local data set
 * @after_round: only take part in a round later than this one
 * @timeout_s: give up waiting for such a round after this many seconds
 * @error: return location for an error
 *
 * Waits for a round open to updates, trains on @data from the round's model, uploads the update
 * and checks the node's signed receipt. It blocks, and ends with %G_IO_ERROR_CANCELLED soon after
 * the contributor's cancellable is cancelled.
 *
 * Returns: the round contributed to, or 0 with @error set
 */
gint64
trb_contributor_contribute (TrbContributor  *self,
                            const char      *task,
                            TrbTrainingSet  *data,
                            gint64           after_round,
                            guint            timeout_s,
                            GError         **error)
{
  g_autoptr(JsonObject) task_obj = NULL;
  g_autoptr(JsonObject) round = NULL;
  g_autoptr(TrbModelSpec) spec = NULL;
  g_autoptr(TrbWeights) base = NULL;
  g_autoptr(GBytes) update = NULL;
  TrbTrainerConfig config = { 0 };
  const char *model_hash;
  gint64 round_number;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), 0);
  g_return_val_if_fail (task != NULL && data != NULL, 0);

  if (self->compromised)
    {
      mark_compromised (self, error, caught_before (self));
      return 0;
    }
  task_obj = read_task (self, task, data, &spec, &config, error);
  if (task_obj == NULL)
    return 0;
  round = wait_for_round (self, task, after_round, timeout_s, error);
  if (round == NULL)
    return 0;
  round_number = json_object_get_int_member_with_default (round, "round", 0);
  model_hash = trb_json_get_string (round, "model", "");
  base = download_model (self, spec, model_hash, error);
  if (base == NULL)
    return 0;
  update = train_update (self, task_obj, spec, &config, base, model_hash, data, error);
  if (update == NULL ||
      g_cancellable_set_error_if_cancelled (self->cancellable, error) ||
      !upload_update (self, task, round_number, update, error))
    return 0;
  return round_number;
}

/* ---- ledger verification ------------------------------------------------------------------ */

static gboolean
parse_note_size (const char *note,
                 guint64    *size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbNote) parsed = trb_note_parse (note, strlen (note), &error);
  g_autoptr(TrbCheckpoint) checkpoint = NULL;
  const char *text;
  gsize len;

  if (parsed == NULL)
    return FALSE;
  text = trb_note_get_text (parsed, &len);
  checkpoint = trb_checkpoint_parse_text (text, len, &error);
  if (checkpoint == NULL)
    return FALSE;
  *size = trb_checkpoint_get_size (checkpoint);
  return TRUE;
}

static GBytes *
fetch_proof (TrbContributor *self,
             gboolean        inclusion,
             guint64         a,
             guint64         b,
             GError        **error)
{
  g_autoptr(JsonObject) proof = NULL;

  if (inclusion)
    proof = trb_client_get_inclusion_proof_sync (self->client, a, b, self->cancellable, error);
  else
    proof = trb_client_get_consistency_proof_sync (self->client, a, b, self->cancellable, error);
  if (proof == NULL)
    return NULL;
  return trb_client_proof_from_json (proof, error);
}

static char *
fetch_entry (TrbContributor *self,
             guint64         index,
             GError        **error)
{
  g_autoptr(JsonObject) page = NULL;
  JsonNode *entries;

  page = trb_client_get_entries_sync (self->client, index, index + 1, self->cancellable, error);
  if (page == NULL)
    return NULL;
  entries = json_object_get_member (page, "entries");
  if (entries == NULL || !JSON_NODE_HOLDS_ARRAY (entries) ||
      json_array_get_length (json_node_get_array (entries)) != 1 ||
      json_object_get_int_member_with_default (page, "start", -1) != (gint64) index)
    {
      g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                           _("The network sent an unreadable ledger page."));
      return NULL;
    }
  return g_strdup (json_array_get_string_element (json_node_get_array (entries), 0));
}

/* The bytes of a proof: never %NULL, so that an empty proof still counts as one given. */
static const guint8 *
empty_or_data (GBytes *bytes)
{
  static const guint8 nothing[1];
  const guint8 *data = g_bytes_get_data (bytes, NULL);

  return data != NULL ? data : nothing;
}

/* Most inclusion proofs asked for to find which entry was changed; past them, the evidence is
 * the checkpoint alone. */
#define MAX_PROOFS_TO_LOCATE 2000

/* An entry served between @start and @size is not the one the verified tree holds there: each
 * one's inclusion proof is asked for until one fails, and that entry with its proof is kept as
 * the evidence. */
static gboolean
record_edited_entry (TrbContributor  *self,
                     guint64          start,
                     guint64          size,
                     GError         **error)
{
  g_autoptr(GError) local_error = NULL;

  for (guint64 index = start; index < size && index - start < MAX_PROOFS_TO_LOCATE; index++)
    {
      g_autofree char *entry = fetch_entry (self, index, error);
      g_autoptr(GBytes) proof = NULL;

      if (entry == NULL)
        return FALSE;
      proof = fetch_proof (self, TRUE, index, size, &local_error);
      if (proof == NULL &&
          !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED) &&
          !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
      if (proof != NULL &&
          trb_ledger_history_verify_inclusion (self->history, entry, strlen (entry), index, size,
                                               g_bytes_get_data (proof, NULL),
                                               g_bytes_get_size (proof) / TRB_MERKLE_HASH_SIZE,
                                               NULL))
        continue;
      trb_ledger_history_record_edited_entry (self->history, entry, strlen (entry), index, size,
                                              proof != NULL ? g_bytes_get_data (proof, NULL)
                                                            : NULL,
                                              proof != NULL ? g_bytes_get_size (proof) /
                                                              TRB_MERKLE_HASH_SIZE : 0,
                                              &local_error);
      return mark_compromised (self, error, local_error->message);
    }
  trb_ledger_history_record_edited_entry (self->history, "", 0, size, size, NULL, 0,
                                          &local_error);
  return mark_compromised (self, error, local_error->message);
}

/* Every entry served is hashed: the tree they make must have the root of the checkpoint just
 * verified, or one of them is not the entry that was signed. */
static gboolean
check_entries (TrbContributor  *self,
               TrbCheckpoint   *verified,
               GError         **error)
{
  guint64 size = trb_checkpoint_get_size (verified);
  guint64 start = self->checked.n_leaves;
  guint8 root[TRB_MERKLE_HASH_SIZE];

  /* A verified size below what was hashed is an older checkpoint, proven a prefix. */
  if (start > size)
    return TRUE;
  while (self->checked.n_leaves < size)
    {
      g_autoptr(JsonObject) page = NULL;
      guint64 next = self->checked.n_leaves;
      JsonNode *member;
      JsonArray *array;

      page = trb_client_get_entries_sync (self->client, next,
                                          MIN (next + TRB_PROTOCOL_LEDGER_PAGE, size),
                                          self->cancellable, error);
      if (page == NULL)
        return FALSE;
      member = json_object_get_member (page, "entries");
      if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member) ||
          json_object_get_int_member_with_default (page, "start", -1) != (gint64) next ||
          json_array_get_length ((array = json_node_get_array (member))) == 0 ||
          json_array_get_length (array) > MIN (TRB_PROTOCOL_LEDGER_PAGE, size - next))
        {
          g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                               _("The network sent an unreadable ledger page."));
          return FALSE;
        }
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *text;
          guint8 leaf[TRB_MERKLE_HASH_SIZE];

          if (!JSON_NODE_HOLDS_VALUE (element) ||
              json_node_get_value_type (element) != G_TYPE_STRING)
            {
              g_set_error_literal (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL,
                                   _("The network sent an unreadable ledger page."));
              return FALSE;
            }
          text = json_node_get_string (element);
          trb_merkle_hash_leaf ((const guint8 *) text, strlen (text), leaf);
          trb_merkle_frontier_append (&self->checked, leaf);
        }
    }
  trb_merkle_frontier_get_root (&self->checked, root);
  if (memcmp (root, trb_checkpoint_get_root (verified), TRB_MERKLE_HASH_SIZE) == 0)
    return TRUE;

  /* What was hashed does not make the signed tree: hash from the start next time. */
  memset (&self->checked, 0, sizeof self->checked);
  return record_edited_entry (self, start, size, error);
}

/* Fetches the latest checkpoint and accepts it into the ledger history: verified against the
 * pinned key and, with a consistency proof, against the last one verified. */
static TrbCheckpoint *
accept_checkpoint (TrbContributor  *self,
                   char           **note_out,
                   GError         **error)
{
  g_autoptr(TrbCheckpoint) latest = NULL;
  g_autoptr(TrbCheckpoint) accepted = NULL;
  g_autoptr(GBytes) consistency = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *note = NULL;
  guint64 size = 0;
  guint64 old_size = 0;

  note = trb_client_get_checkpoint_sync (self->client, self->cancellable, error);
  if (note == NULL)
    return NULL;
  if (!parse_note_size (note, &size))
    {
      mark_compromised (self, error, _("This network’s signed checkpoint cannot be read."));
      return NULL;
    }

  latest = trb_ledger_history_get_latest (self->history, NULL);
  if (latest != NULL)
    old_size = trb_checkpoint_get_size (latest);
  if (latest != NULL && old_size > 0 && old_size < size)
    {
      consistency = fetch_proof (self, FALSE, old_size, size, error);
      if (consistency == NULL)
        return NULL;
    }
  else if (latest != NULL && size > 0 && size < old_size)
    {
      /* The ledger shrank: an honest node proves that what it shows now is a prefix of what it
       * signed before. One that refuses (it no longer has those entries) is given an empty
       * proof, which cannot verify. A network that cannot be reached is only an error. */
      consistency = fetch_proof (self, FALSE, size, old_size, &local_error);
      if (consistency == NULL)
        {
          if (!g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_REJECTED) &&
              !g_error_matches (local_error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_PROTOCOL))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          g_clear_error (&local_error);
          consistency = g_bytes_new_static ("", 0);
        }
    }
  accepted = trb_ledger_history_accept (self->history, note, strlen (note),
                                        consistency ? empty_or_data (consistency) : NULL,
                                        consistency ? g_bytes_get_size (consistency) / 32 : 0,
                                        &local_error);
  if (accepted == NULL)
    {
      if (is_tampering (local_error))
        mark_compromised (self, error, local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  *note_out = g_steal_pointer (&note);
  return g_steal_pointer (&accepted);
}

/* Checks that every receipt's entry is in the tree of @size, with the update the receipt
 * promised. */
static gboolean
verify_receipts (TrbContributor  *self,
                 guint64          size,
                 GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) receipts = NULL;

  /* Every receipt not yet verified: its entry must be in this tree, with our update in it. */
  receipts = trb_store_net_list_unverified_receipts (self->store, self->origin, size, error);
  if (receipts == NULL)
    return FALSE;
  for (guint i = 0; i < receipts->len; i++)
    {
      const TrbStoreNetReceipt *receipt = g_ptr_array_index (receipts, i);
      guint64 index = receipt->leaf_index;
      const char *update = receipt->update_hash;
      const char *participant = receipt->participant;
      g_autofree char *entry = NULL;
      g_autoptr(GBytes) proof = NULL;
      g_autoptr(TrbLedgerEntry) parsed = NULL;

      if (g_cancellable_set_error_if_cancelled (self->cancellable, error) ||
          (entry = fetch_entry (self, index, error)) == NULL)
        return FALSE;
      parsed = trb_ledger_entry_parse (entry, strlen (entry), NULL);
      proof = fetch_proof (self, TRUE, index, size, error);
      if (proof == NULL)
        return FALSE;
      if (parsed == NULL ||
          trb_ledger_entry_get_entry_type (parsed) != TRB_LEDGER_ENTRY_UPDATE_ACCEPTED ||
          g_strcmp0 (trb_ledger_entry_get_update (parsed), update) != 0 ||
          g_strcmp0 (trb_ledger_entry_get_participant (parsed), participant) != 0 ||
          !trb_ledger_history_verify_inclusion (self->history, entry, strlen (entry), index, size,
                                                g_bytes_get_data (proof, NULL),
                                                g_bytes_get_size (proof) / 32, NULL))
        {
          /* The node signed a receipt for another entry than the one served here, or the one
           * served is not in the signed tree: either way, an entry changed. */
          trb_ledger_history_record_edited_entry (self->history, entry, strlen (entry), index,
                                                  size, g_bytes_get_data (proof, NULL),
                                                  g_bytes_get_size (proof) / 32, &local_error);
          return mark_compromised (self, error, local_error->message);
        }

      if (!trb_store_net_set_receipt_verified (self->store, self->origin, index, size, error))
        return FALSE;
    }

  return TRUE;
}

/* Cosigns the verified checkpoint @note of @size and hands the cosignature to the network. */
static gboolean
cosign_checkpoint (TrbContributor  *self,
                   const char      *note,
                   guint64          size,
                   GError         **error)
{
  g_autofree char *line = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->cosigner == NULL)
    self->cosigner = trb_client_make_cosigner (self->client, error);
  if (self->cosigner == NULL)
    return FALSE;
  line = trb_checkpoint_cosign (note, strlen (note), self->cosigner,
                                g_get_real_time () / G_USEC_PER_SEC, error);
  if (line == NULL)
    return FALSE;
  answer = trb_client_post_cosignature_sync (self->client, size, line, self->cancellable,
                                             &local_error);
  /* Enough others have cosigned this checkpoint already: nothing is wrong. */
  if (answer == NULL &&
      g_strcmp0 (trb_client_error_get_problem (local_error), "cosignatures-full") == 0)
    return TRUE;
  if (answer == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * trb_contributor_sync:
 * @self: a contributor
 * @cosign: whether to cosign the checkpoint once verified
 * @error: return location for an error
 *
 * Fetches the latest checkpoint, verifies it against the pinned key and, with a consistency
 * proof, against the last one verified; then verifies that every receipt's entry is in the
 * ledger with the content the receipt promised. Any contradiction is %TRB_CLIENT_ERROR_TAMPERED.
 *
 * Returns: %TRUE when everything verified
 */
gboolean
trb_contributor_sync (TrbContributor  *self,
                      gboolean         cosign,
                      GError         **error)
{
  g_autoptr(TrbCheckpoint) accepted = NULL;
  g_autofree char *note = NULL;
  guint64 size;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), FALSE);
  g_return_val_if_fail (self->history != NULL, FALSE);

  if (self->compromised)
    return mark_compromised (self, error, caught_before (self));

  accepted = accept_checkpoint (self, &note, error);
  if (accepted == NULL)
    return FALSE;
  size = trb_checkpoint_get_size (accepted);
  if (!check_entries (self, accepted, error) ||
      !verify_receipts (self, size, error))
    return FALSE;
  if (cosign && !cosign_checkpoint (self, note, size, error))
    return FALSE;
  return TRUE;
}

guint64
trb_contributor_get_verified_size (TrbContributor *self)
{
  g_autoptr(TrbCheckpoint) latest = NULL;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), 0);
  if (self->history == NULL)
    return 0;
  latest = trb_ledger_history_get_latest (self->history, NULL);
  return latest != NULL ? trb_checkpoint_get_size (latest) : 0;
}

guint
trb_contributor_count_receipts (TrbContributor *self,
                                gboolean        verified_only)
{
  guint count = 0;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), 0);
  /* Not connected, or a store that cannot be read (closed as the program quits): none. */
  if (self->origin == NULL ||
      !trb_store_net_count_receipts (self->store, self->origin, verified_only, &count, NULL))
    return 0;
  return count;
}

/**
 * trb_contributor_check_root:
 * @self: a contributor
 * @tree_size: a tree size
 * @root: 32 bytes
 *
 * Returns: %TRUE when @root is the root of the checkpoint of @tree_size verified earlier
 */
gboolean
trb_contributor_check_root (TrbContributor *self,
                            guint64         tree_size,
                            const guint8   *root)
{
  g_autoptr(TrbCheckpoint) checkpoint = NULL;

  g_return_val_if_fail (TRB_IS_CONTRIBUTOR (self), FALSE);
  if (self->history == NULL)
    return FALSE;
  checkpoint = trb_ledger_history_get_checkpoint (self->history, tree_size, NULL);
  return checkpoint != NULL &&
         memcmp (trb_checkpoint_get_root (checkpoint), root, TRB_MERKLE_HASH_SIZE) == 0;
}

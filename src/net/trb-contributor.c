/* trb-contributor.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TrbContributor, headless participation for worker threads: the object, a network's tampering
 * kept as evidence, and connecting and joining (the pinned key, the join policy: an invitation
 * or a proof of work). One round is in trb-contributor-round.c, the ledger's verification in
 * trb-contributor-verify.c.
 */

#define G_LOG_DOMAIN "trb-contributor"

#include "config.h"

#include "trb-contributor-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

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
  g_ptr_array_unref (self->round_entries);
  g_array_unref (self->round_indexes);

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
  self->round_entries = g_ptr_array_new_with_free_func (g_object_unref);
  self->round_indexes = g_array_new (FALSE, FALSE, sizeof (guint64));
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

/**
 * trb_contributor_set_update_hook:
 * @self: a contributor
 * @hook: (nullable): called with each update, or %NULL for none
 * @user_data: passed to @hook
 *
 * Lets @hook change each update this contributor built (its tensors and metadata) before it
 * is signed and uploaded, in the thread that contributes. A participant never sets one: it is
 * how `tributary-bench robustness` plays an attacker with the same code as an honest
 * participant, the node seeing nothing that tells them apart.
 */
void
trb_contributor_set_update_hook (TrbContributor           *self,
                                 TrbContributorUpdateHook  hook,
                                 gpointer                  user_data)
{
  g_return_if_fail (TRB_IS_CONTRIBUTOR (self));
  self->update_hook = hook;
  self->update_hook_data = user_data;
}

/**
 * trb_contributor_set_training_seed:
 * @self: a contributor
 * @seed: the seed, or 0 to draw one at random for each round (the default)
 *
 * Makes each round's local training a function of @seed and the round's number (the order of
 * the samples in each epoch, the dropout), so that a run can be repeated exactly. A participant
 * never sets one; `tributary-bench robustness --seed` and tests do.
 */
void
trb_contributor_set_training_seed (TrbContributor *self,
                                   guint64         seed)
{
  g_return_if_fail (TRB_IS_CONTRIBUTOR (self));
  self->training_seed = seed;
}

/* Marks the network as tampered with (the evidence is kept by the ledger history, which
 * refuses it from then on) and sets @error to @what, in plain words, with what happens now. */
gboolean
trb_contributor_mark_compromised (TrbContributor *self,
                                  GError        **error,
                                  const char     *what)
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
const char *
trb_contributor_caught_before (TrbContributor *self)
{
  TrbLedgerTamper kind = self->origin != NULL ? trb_ledger_tamper_lookup (self->store,
                                                                           self->origin)
                                              : TRB_LEDGER_TAMPER_NONE;

  if (kind == TRB_LEDGER_TAMPER_NONE)
    return _("This network’s ledger was caught being tampered with before.");
  return trb_ledger_tamper_describe (kind);
}

gboolean
trb_contributor_is_tampering (const GError *error)
{
  return g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INCONSISTENT) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_UNTRUSTED_KEY) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_SIGNATURE) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_BAD_PROOF) ||
         g_error_matches (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_WRONG_ORIGIN) ||
         g_error_matches (error, TRB_CLIENT_ERROR, TRB_CLIENT_ERROR_TAMPERED);
}

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
          return trb_contributor_mark_compromised (
            self, error, trb_ledger_tamper_describe (TRB_LEDGER_TAMPER_KEY_CHANGED));
        }
      if (trb_contributor_is_tampering (local_error))
        return trb_contributor_mark_compromised (self, error, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (trb_ledger_history_is_compromised (self->history) ||
      trb_contributor_is_network_compromised (self->store, origin))
    return trb_contributor_mark_compromised (self, error, trb_contributor_caught_before (self));
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
    return trb_contributor_mark_compromised (self, error, trb_contributor_caught_before (self));

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

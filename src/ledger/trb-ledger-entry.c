/* trb-ledger-entry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ledger entries are canonical JSON objects with a "type" member and a fixed set of other
 * members per type (docs/ledger-format.md). The parser accepts only the canonical bytes, so
 * that an entry has exactly one encoding and hence one leaf hash.
 */

#define G_LOG_DOMAIN "trb-ledger-entry"

#include "config.h"

#include "trb-ledger-entry.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "trb-canonical-json.h"
#include "trb-ledger-error.h"
#include "trb-json.h"
#include "net/trb-protocol.h"

#define MAX_SAFE_INTEGER G_GINT64_CONSTANT (9007199254740991)

struct _TrbLedgerEntry
{
  GObject             parent_instance;

  TrbLedgerEntryType  type;
  char               *canonical;
  gsize               canonical_length;

  gint64              time;
  char               *participant;
  char               *task;
  gint64              round;
  char               *model;
  gint64              deadline;
  char               *update;
  gint64              samples;
  char               *commitment;
  GStrv               updates;
  GStrv               metric_names;
  double             *metric_values;
  guint               n_metrics;
  gint64              points;
  /* A reward's rule and, under rule 2, the inputs it was computed from. */
  gint64              rule;
  gint64              epochs;
  gboolean            used;
  double              norm;
  gboolean            has_selection;
  TrbRoundSelection   selection;    /* its cutoff points into `cutoff` */
  char                cutoff[65];
};

G_DEFINE_FINAL_TYPE (TrbLedgerEntry, trb_ledger_entry, G_TYPE_OBJECT)

static const char * const type_names[] = {
  [TRB_LEDGER_ENTRY_PARTICIPANT_JOINED] = "participant_joined",
  [TRB_LEDGER_ENTRY_ROUND_OPENED] = "round_opened",
  [TRB_LEDGER_ENTRY_UPDATE_ACCEPTED] = "update_accepted",
  [TRB_LEDGER_ENTRY_ROUND_CLOSED] = "round_closed",
  [TRB_LEDGER_ENTRY_REWARD] = "reward",
};

/* The members of each type, besides "type", in canonical order. */
static const char * const type_members[][9] = {
  [TRB_LEDGER_ENTRY_PARTICIPANT_JOINED] = { "participant", "time", NULL },
  [TRB_LEDGER_ENTRY_ROUND_OPENED] = { "deadline", "model", "round", "task", "time", NULL },
  [TRB_LEDGER_ENTRY_UPDATE_ACCEPTED] = { "commitment", "participant", "round", "samples", "task",
                                         "time", "update", NULL },
  [TRB_LEDGER_ENTRY_ROUND_CLOSED] = { "metrics", "model", "round", "task", "time", "updates",
                                      NULL },
  [TRB_LEDGER_ENTRY_REWARD] = { "participant", "points", "round", "task", "time", NULL },
};

/* The members of a reward under rule 2 (it has a "rule" member): the rule's inputs beside
 * the points, so that anyone recomputes them. */
static const char * const checked_reward_members[] = {
  "epochs", "norm", "participant", "points", "round", "rule", "samples", "task", "time",
  "update", "used", NULL
};

static void
trb_ledger_entry_finalize (GObject *object)
{
  TrbLedgerEntry *self = (TrbLedgerEntry *)object;

  g_free (self->canonical);
  g_free (self->participant);
  g_free (self->task);
  g_free (self->model);
  g_free (self->update);
  g_free (self->commitment);
  g_strfreev (self->updates);
  g_strfreev (self->metric_names);
  g_free (self->metric_values);

  G_OBJECT_CLASS (trb_ledger_entry_parent_class)->finalize (object);
}

static void
trb_ledger_entry_class_init (TrbLedgerEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_ledger_entry_finalize;
}

static void
trb_ledger_entry_init (TrbLedgerEntry *self)
{
}

const char *
trb_ledger_entry_type_to_string (TrbLedgerEntryType type)
{
  g_return_val_if_fail (type <= TRB_LEDGER_ENTRY_REWARD, NULL);
  return type_names[type];
}

static gboolean
set_invalid (GError     **error,
             const char  *member)
{
  g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
               _("A ledger entry is not valid: its “%s” is missing or wrong."), member);
  return FALSE;
}

static gboolean
is_hash (const char *s)
{
  if (s == NULL || strlen (s) != 64)
    return FALSE;
  for (const char *p = s; *p; p++)
    {
      if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_task (const char *s)
{
  gsize len = s ? strlen (s) : 0;

  if (len == 0 || len > 64)
    return FALSE;
  for (const char *p = s; *p; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        return FALSE;
    }
  return TRUE;
}

/* A wallet address: base58 (Bitcoin alphabet) of a 32-byte key, 32 to 44 characters. */
static gboolean
is_participant (const char *s)
{
  static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  gsize len = s ? strlen (s) : 0;

  if (len < 32 || len > 44)
    return FALSE;
  for (const char *p = s; *p; p++)
    {
      if (strchr (alphabet, *p) == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_metric_name (const char *s)
{
  gsize len = strlen (s);

  if (len == 0 || len > 32 || !g_ascii_islower (s[0]))
    return FALSE;
  for (const char *p = s; *p; p++)
    {
      if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_')
        return FALSE;
    }
  return TRUE;
}

static gboolean
get_string (JsonObject  *obj,
            const char  *member,
            gboolean   (*check) (const char *),
            char       **out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING ||
      !check (json_node_get_string (node)))
    return set_invalid (error, member);

  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
get_int (JsonObject  *obj,
         const char  *member,
         gint64       min,
         gint64      *out,
         GError     **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  gint64 v;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return set_invalid (error, member);
  v = json_node_get_int (node);
  if (v < min || v > MAX_SAFE_INTEGER)
    return set_invalid (error, member);

  *out = v;
  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

static gboolean
parse_updates (TrbLedgerEntry  *self,
               JsonObject      *obj,
               GError         **error)
{
  JsonNode *node = json_object_get_member (obj, "updates");
  JsonArray *array;
  guint n;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return set_invalid (error, "updates");
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > TRB_LEDGER_ENTRY_MAX_UPDATES)
    return set_invalid (error, "updates");

  self->updates = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *el = json_array_get_element (array, i);

      if (json_node_get_value_type (el) != G_TYPE_STRING || !is_hash (json_node_get_string (el)))
        return set_invalid (error, "updates");
      self->updates[i] = g_strdup (json_node_get_string (el));
      /* Sorted and without duplicates, so that one set of updates has one encoding. */
      if (i > 0 && strcmp (self->updates[i - 1], self->updates[i]) >= 0)
        return set_invalid (error, "updates");
    }
  return TRUE;
}

static gboolean
parse_metrics (TrbLedgerEntry  *self,
               JsonObject      *obj,
               GError         **error)
{
  JsonNode *node = json_object_get_member (obj, "metrics");
  g_autoptr(GList) names = NULL;
  JsonObject *metrics;
  guint n;
  guint i = 0;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return set_invalid (error, "metrics");
  metrics = json_node_get_object (node);
  n = json_object_get_size (metrics);
  if (n > TRB_LEDGER_ENTRY_MAX_METRICS)
    return set_invalid (error, "metrics");

  names = json_object_get_members (metrics);
  self->metric_names = g_new0 (char *, n + 1);
  self->metric_values = g_new0 (double, n);
  self->n_metrics = n;
  for (const GList *l = names; l != NULL; l = l->next, i++)
    {
      JsonNode *v = json_object_get_member (metrics, l->data);
      GType t = json_node_get_value_type (v);

      if (!is_metric_name (l->data) || !JSON_NODE_HOLDS_VALUE (v) ||
          (t != G_TYPE_DOUBLE && t != G_TYPE_INT64))
        return set_invalid (error, "metrics");
      self->metric_names[i] = g_strdup (l->data);
      self->metric_values[i] = t == G_TYPE_DOUBLE ? json_node_get_double (v)
                                                  : (double)json_node_get_int (v);
      if (!isfinite (self->metric_values[i]))
        return set_invalid (error, "metrics");
    }
  return TRUE;
}

/* The inputs of a reward under rule 2; a rule this client does not know makes it invalid. */
static gboolean
parse_checked_reward (TrbLedgerEntry  *self,
                      JsonObject      *obj,
                      GError         **error)
{
  JsonNode *used = json_object_get_member (obj, "used");
  JsonNode *norm = json_object_get_member (obj, "norm");
  GType norm_type = json_node_get_value_type (norm);

  if (!get_int (obj, "rule", TRB_REWARD_RULE_CHECKED, &self->rule, error) ||
      !get_string (obj, "update", is_hash, &self->update, error) ||
      !get_int (obj, "samples", 0, &self->samples, error) ||
      !get_int (obj, "epochs", 0, &self->epochs, error))
    return FALSE;
  if (self->rule != TRB_REWARD_RULE_CHECKED)
    return set_invalid (error, "rule");
  if (json_node_get_value_type (used) != G_TYPE_BOOLEAN)
    return set_invalid (error, "used");
  self->used = json_node_get_boolean (used);
  if (norm_type != G_TYPE_DOUBLE && norm_type != G_TYPE_INT64)
    return set_invalid (error, "norm");
  self->norm = norm_type == G_TYPE_DOUBLE ? json_node_get_double (norm)
                                          : (double) json_node_get_int (norm);
  if (!isfinite (self->norm) || self->norm < 0)
    return set_invalid (error, "norm");
  return TRUE;
}

/* Finds the entry's type among the known ones; an unknown type makes the entry invalid. */
static gboolean
find_entry_type (JsonObject  *obj,
                 guint       *type,
                 GError     **error)
{
  JsonNode *type_node = json_object_get_member (obj, "type");

  if (type_node == NULL || json_node_get_value_type (type_node) != G_TYPE_STRING)
    {
      set_invalid (error, "type");
      return FALSE;
    }
  for (guint t = 0; t < G_N_ELEMENTS (type_names); t++)
    {
      if (g_str_equal (type_names[t], json_node_get_string (type_node)))
        {
          *type = t;
          return TRUE;
        }
    }
  set_invalid (error, "type");
  return FALSE;
}

/* The one member a type may have or not: a `round_opened` written by a node that decides who a
 * round asks has its `selection`, one written before does not. */
static const char *
optional_member (guint type)
{
  return type == TRB_LEDGER_ENTRY_ROUND_OPENED ? "selection" : NULL;
}

/* Every member of the type must be there, and nothing else but "type" and its optional
 * member. */
static gboolean
check_entry_members (JsonObject  *obj,
                     guint        type,
                     GError     **error)
{
  const char * const *members = type_members[type];
  guint n_members = 0;
  const char *optional = optional_member (type);

  if (type == TRB_LEDGER_ENTRY_REWARD && json_object_has_member (obj, "rule"))
    members = checked_reward_members;
  for (; members[n_members] != NULL; n_members++)
    {
      if (!json_object_has_member (obj, members[n_members]))
        {
          set_invalid (error, members[n_members]);
          return FALSE;
        }
    }
  if (optional != NULL && json_object_has_member (obj, optional))
    n_members++;
  if (json_object_get_size (obj) != n_members + 1)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_INVALID,
                   _("A ledger entry is not valid: it has unknown members."));
      return FALSE;
    }
  return TRUE;
}

/* A `round_opened`'s `selection`, when it has one: exactly its five members, each valid. */
static gboolean
parse_selection (TrbLedgerEntry  *self,
                 JsonObject      *obj,
                 GError         **error)
{
  static const char * const members[] = { "asked", "cutoff", "joined_after", "joined_before",
                                          "max_asked" };
  JsonNode *node = json_object_get_member (obj, "selection");
  g_autofree char *cutoff = NULL;
  JsonObject *sel;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return set_invalid (error, "selection");
  sel = json_node_get_object (node);
  if (json_object_get_size (sel) != G_N_ELEMENTS (members))
    return set_invalid (error, "selection");
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (!json_object_has_member (sel, members[i]))
      return set_invalid (error, "selection");
  if (!get_int (sel, "asked", 0, &self->selection.asked, error) ||
      !get_string (sel, "cutoff", is_hash, &cutoff, error) ||
      !get_int (sel, "joined_after", 0, &self->selection.joined_after, error) ||
      !get_int (sel, "joined_before", 0, &self->selection.joined_before, error) ||
      !get_int (sel, "max_asked", 1, &self->selection.max_asked, error))
    return FALSE;
  if (self->selection.joined_after > self->selection.joined_before ||
      self->selection.asked > self->selection.max_asked)
    return set_invalid (error, "selection");
  g_strlcpy (self->cutoff, cutoff, sizeof self->cutoff);
  self->selection.cutoff = self->cutoff;
  self->has_selection = TRUE;
  return TRUE;
}

/* Reads and checks the values of the members that @self's type has. */
static gboolean
parse_type_members (TrbLedgerEntry  *self,
                    JsonObject      *obj,
                    GError         **error)
{
  switch (self->type)
    {
    case TRB_LEDGER_ENTRY_PARTICIPANT_JOINED:
      return get_string (obj, "participant", is_participant, &self->participant, error);

    case TRB_LEDGER_ENTRY_ROUND_OPENED:
      return get_string (obj, "task", is_task, &self->task, error) &&
             get_int (obj, "round", 1, &self->round, error) &&
             get_string (obj, "model", is_hash, &self->model, error) &&
             get_int (obj, "deadline", 0, &self->deadline, error) &&
             parse_selection (self, obj, error);

    case TRB_LEDGER_ENTRY_UPDATE_ACCEPTED:
      return get_string (obj, "task", is_task, &self->task, error) &&
             get_int (obj, "round", 1, &self->round, error) &&
             get_string (obj, "participant", is_participant, &self->participant, error) &&
             get_string (obj, "update", is_hash, &self->update, error) &&
             get_int (obj, "samples", 1, &self->samples, error) &&
             get_string (obj, "commitment", is_hash, &self->commitment, error);

    case TRB_LEDGER_ENTRY_ROUND_CLOSED:
      return get_string (obj, "task", is_task, &self->task, error) &&
             get_int (obj, "round", 1, &self->round, error) &&
             get_string (obj, "model", is_hash, &self->model, error) &&
             parse_updates (self, obj, error) &&
             parse_metrics (self, obj, error);

    case TRB_LEDGER_ENTRY_REWARD:
      self->rule = TRB_REWARD_RULE_CLAIMED;
      if (!get_string (obj, "task", is_task, &self->task, error) ||
          !get_int (obj, "round", 1, &self->round, error) ||
          !get_string (obj, "participant", is_participant, &self->participant, error) ||
          !get_int (obj, "points", 0, &self->points, error))
        return FALSE;
      return !json_object_has_member (obj, "rule") || parse_checked_reward (self, obj, error);

    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

/**
 * trb_ledger_entry_parse:
 * @data: (array length=length): the entry as stored in the ledger
 *
 * Parses an entry strictly: canonical JSON, a known type, exactly the members of that type,
 * each with a valid value.
 *
 * Returns: (transfer full): the entry, or %NULL with %TRB_LEDGER_ERROR_INVALID or
 *   %TRB_LEDGER_ERROR_TOO_LARGE
 */
TrbLedgerEntry *
trb_ledger_entry_parse (const char  *data,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(TrbLedgerEntry) self = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *obj;
  JsonNode *root;
  guint t;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > TRB_LEDGER_ENTRY_MAX_SIZE)
    {
      g_set_error (error, TRB_LEDGER_ERROR, TRB_LEDGER_ERROR_TOO_LARGE,
                   _("A ledger entry is too large."));
      return NULL;
    }
  if (!trb_canonical_json_is_canonical (data, length, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!trb_json_parser_load_bounded (parser, data, length, NULL))
    {
      set_invalid (error, "type");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      set_invalid (error, "type");
      return NULL;
    }
  obj = json_node_get_object (root);

  if (!find_entry_type (obj, &t, error) || !check_entry_members (obj, t, error))
    return NULL;

  self = g_object_new (TRB_TYPE_LEDGER_ENTRY, NULL);
  self->type = t;
  self->canonical = g_strndup (data, length);
  self->canonical_length = length;

  if (!get_int (obj, "time", 0, &self->time, error) ||
      !parse_type_members (self, obj, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* Serializes the builder's object canonically and checks it with the strict parser, so that
 * builders can never write an entry that clients would refuse. */
static char *
finish_entry (JsonBuilder  *builder,
              gsize        *length,
              GError      **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(TrbLedgerEntry) check = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = trb_canonical_json_serialize (root, &len, error);
  if (text == NULL)
    return NULL;

  check = trb_ledger_entry_parse (text, len, error);
  if (check == NULL)
    return NULL;

  if (length != NULL)
    *length = len;
  return g_steal_pointer (&text);
}

static JsonBuilder *
begin_entry (TrbLedgerEntryType  type,
             gint64              time)
{
  JsonBuilder *builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type_names[type]);
  json_builder_set_member_name (builder, "time");
  json_builder_add_int_value (builder, time);
  return builder;
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/**
 * trb_ledger_entry_build_participant_joined:
 * @participant: the wallet address
 * @time: seconds since 1970
 *
 * Returns: (transfer full): the canonical entry, or %NULL with @error set
 */
char *
trb_ledger_entry_build_participant_joined (const char  *participant,
                                           gint64       time,
                                           gsize       *length,
                                           GError     **error)
{
  g_autoptr(JsonBuilder) b = begin_entry (TRB_LEDGER_ENTRY_PARTICIPANT_JOINED, time);

  add_string (b, "participant", participant);
  return finish_entry (b, length, error);
}

char *
trb_ledger_entry_build_round_opened (const char  *task,
                                     gint64       round,
                                     const char  *model,
                                     gint64       deadline,
                                     gint64       time,
                                     gsize       *length,
                                     GError     **error)
{
  g_autoptr(JsonBuilder) b = begin_entry (TRB_LEDGER_ENTRY_ROUND_OPENED, time);

  add_string (b, "task", task);
  add_int (b, "round", round);
  add_string (b, "model", model);
  add_int (b, "deadline", deadline);
  return finish_entry (b, length, error);
}

/**
 * trb_ledger_entry_build_round_opened_selected:
 * @selection: whom the round asks, or in this period of it
 *
 * A `round_opened` with its `selection` (docs/ledger-format.md), otherwise as
 * trb_ledger_entry_build_round_opened().
 *
 * Returns: (transfer full): the canonical entry, or %NULL with @error set
 */
char *
trb_ledger_entry_build_round_opened_selected (const char              *task,
                                              gint64                   round,
                                              const char              *model,
                                              gint64                   deadline,
                                              const TrbRoundSelection *selection,
                                              gint64                   time,
                                              gsize                   *length,
                                              GError                 **error)
{
  g_autoptr(JsonBuilder) b = begin_entry (TRB_LEDGER_ENTRY_ROUND_OPENED, time);

  g_return_val_if_fail (selection != NULL, NULL);

  add_string (b, "task", task);
  add_int (b, "round", round);
  add_string (b, "model", model);
  add_int (b, "deadline", deadline);
  json_builder_set_member_name (b, "selection");
  json_builder_begin_object (b);
  add_int (b, "asked", selection->asked);
  add_string (b, "cutoff", selection->cutoff);
  add_int (b, "joined_after", selection->joined_after);
  add_int (b, "joined_before", selection->joined_before);
  add_int (b, "max_asked", selection->max_asked);
  json_builder_end_object (b);
  return finish_entry (b, length, error);
}

char *
trb_ledger_entry_build_update_accepted (const char  *task,
                                        gint64       round,
                                        const char  *participant,
                                        const char  *update,
                                        gint64       samples,
                                        const char  *commitment,
                                        gint64       time,
                                        gsize       *length,
                                        GError     **error)
{
  g_autoptr(JsonBuilder) b = begin_entry (TRB_LEDGER_ENTRY_UPDATE_ACCEPTED, time);

  add_string (b, "task", task);
  add_int (b, "round", round);
  add_string (b, "participant", participant);
  add_string (b, "update", update);
  add_int (b, "samples", samples);
  add_string (b, "commitment", commitment);
  return finish_entry (b, length, error);
}

/**
 * trb_ledger_entry_build_round_closed:
 * @updates: (array zero-terminated=1): hashes of the updates aggregated, in any order
 * @metric_names: (array length=n_metrics): metric names, for example "accuracy"
 * @metric_values: (array length=n_metrics): their finite values
 *
 * Returns: (transfer full): the canonical entry (updates sorted), or %NULL with @error set
 */
char *
trb_ledger_entry_build_round_closed (const char         *task,
                                     gint64              round,
                                     const char         *model,
                                     const char * const *updates,
                                     const char * const *metric_names,
                                     const double       *metric_values,
                                     guint               n_metrics,
                                     gint64              time,
                                     gsize              *length,
                                     GError            **error)
{
  g_autoptr(JsonBuilder) b = begin_entry (TRB_LEDGER_ENTRY_ROUND_CLOSED, time);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  g_return_val_if_fail (metric_names != NULL || n_metrics == 0, NULL);
  g_return_val_if_fail (metric_values != NULL || n_metrics == 0, NULL);

  for (guint i = 0; updates != NULL && updates[i] != NULL; i++)
    g_ptr_array_add (sorted, (gpointer)updates[i]);
  g_ptr_array_sort (sorted, compare_strings);

  add_string (b, "task", task);
  add_int (b, "round", round);
  add_string (b, "model", model);
  json_builder_set_member_name (b, "updates");
  json_builder_begin_array (b);
  for (guint i = 0; i < sorted->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (sorted, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "metrics");
  json_builder_begin_object (b);
  for (guint i = 0; i < n_metrics; i++)
    {
      if (!isfinite (metric_values[i]))
        {
          set_invalid (error, "metrics");
          return NULL;
        }
      json_builder_set_member_name (b, metric_names[i]);
      json_builder_add_double_value (b, metric_values[i]);
    }
  json_builder_end_object (b);

  /* A name given twice would silently keep one value; refuse it instead. */
  for (guint i = 0; i < n_metrics; i++)
    for (guint j = i + 1; j < n_metrics; j++)
      if (g_str_equal (metric_names[i], metric_names[j]))
        {
          set_invalid (error, "metrics");
          return NULL;
        }

  return finish_entry (b, length, error);
}

char *
trb_ledger_entry_build_reward (const char  *task,
                               gint64       round,
                               const char  *participant,
                               gint64       points,
                               gint64       time,
                               gsize       *length,
                               GError     **error)
{
  g_autoptr(JsonBuilder) b = begin_entry (TRB_LEDGER_ENTRY_REWARD, time);

  add_string (b, "task", task);
  add_int (b, "round", round);
  add_string (b, "participant", participant);
  add_int (b, "points", points);
  return finish_entry (b, length, error);
}

/**
 * trb_ledger_entry_build_checked_reward:
 * @task: the task
 * @round: the round
 * @participant: who is rewarded
 * @update: the hash of the update rewarded
 * @points: the points, thousandths of a point, as trb_protocol_reward_checked() gives them
 * @samples: the samples counted (trb_protocol_reward_samples())
 * @epochs: the epochs counted (trb_protocol_reward_epochs())
 * @used: whether the round's aggregate used the update
 * @norm: the update's L2 norm as accepted
 * @time: seconds since 1970
 *
 * A reward under rule 2 (docs/ledger-format.md), with the inputs of the rule.
 *
 * Returns: (transfer full): the canonical entry, or %NULL with @error set
 */
char *
trb_ledger_entry_build_checked_reward (const char  *task,
                                       gint64       round,
                                       const char  *participant,
                                       const char  *update,
                                       gint64       points,
                                       gint64       samples,
                                       gint64       epochs,
                                       gboolean     used,
                                       double       norm,
                                       gint64       time,
                                       gsize       *length,
                                       GError     **error)
{
  g_autoptr(JsonBuilder) b = begin_entry (TRB_LEDGER_ENTRY_REWARD, time);

  if (!isfinite (norm) || norm < 0)
    {
      set_invalid (error, "norm");
      return NULL;
    }
  add_int (b, "rule", TRB_REWARD_RULE_CHECKED);
  add_string (b, "task", task);
  add_int (b, "round", round);
  add_string (b, "participant", participant);
  add_string (b, "update", update);
  add_int (b, "points", points);
  add_int (b, "samples", samples);
  add_int (b, "epochs", epochs);
  json_builder_set_member_name (b, "used");
  json_builder_add_boolean_value (b, used);
  json_builder_set_member_name (b, "norm");
  json_builder_add_double_value (b, norm);
  return finish_entry (b, length, error);
}

TrbLedgerEntryType
trb_ledger_entry_get_entry_type (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->type;
}

gint64
trb_ledger_entry_get_time (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->time;
}

const char *
trb_ledger_entry_get_participant (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);
  return self->participant;
}

const char *
trb_ledger_entry_get_task (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);
  return self->task;
}

gint64
trb_ledger_entry_get_round (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->round;
}

const char *
trb_ledger_entry_get_model (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);
  return self->model;
}

/**
 * trb_ledger_entry_get_selection:
 *
 * Returns: (nullable): whom a `round_opened` asks, or %NULL for an entry without `selection`
 */
const TrbRoundSelection *
trb_ledger_entry_get_selection (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);
  return self->has_selection ? &self->selection : NULL;
}

const char *
trb_ledger_entry_get_update (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);
  return self->update;
}

gint64
trb_ledger_entry_get_samples (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->samples;
}

const char *
trb_ledger_entry_get_commitment (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);
  return self->commitment;
}

/**
 * trb_ledger_entry_get_updates:
 *
 * Returns: (transfer none) (nullable): the update hashes of a round_closed entry, sorted
 */
const char * const *
trb_ledger_entry_get_updates (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);
  return (const char * const *)self->updates;
}

guint
trb_ledger_entry_get_n_metrics (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->n_metrics;
}

/**
 * trb_ledger_entry_get_metric:
 * @value: (out) (optional): the metric's value
 *
 * Returns: (transfer none): the name of metric @i
 */
const char *
trb_ledger_entry_get_metric (TrbLedgerEntry *self,
                             guint           i,
                             double         *value)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);
  g_return_val_if_fail (i < self->n_metrics, NULL);

  if (value != NULL)
    *value = self->metric_values[i];
  return self->metric_names[i];
}

gint64
trb_ledger_entry_get_points (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->points;
}

/**
 * trb_ledger_entry_get_reward_rule:
 *
 * Returns: the reward rule of a reward entry: %TRB_REWARD_RULE_CLAIMED for one without the
 *   `rule` member, else its value
 */
gint64
trb_ledger_entry_get_reward_rule (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->rule;
}

/**
 * trb_ledger_entry_get_epochs:
 *
 * Returns: the epochs a reward under rule 2 counted
 */
gint64
trb_ledger_entry_get_epochs (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->epochs;
}

/**
 * trb_ledger_entry_get_used:
 *
 * Returns: whether the round's aggregate used the update a reward under rule 2 is for
 */
gboolean
trb_ledger_entry_get_used (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), FALSE);
  return self->used;
}

/**
 * trb_ledger_entry_get_norm:
 *
 * Returns: the L2 norm of the update a reward under rule 2 is for
 */
double
trb_ledger_entry_get_norm (TrbLedgerEntry *self)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), 0);
  return self->norm;
}

/**
 * trb_ledger_entry_get_canonical:
 *
 * Returns: (transfer none): the entry's bytes, as hashed into the ledger
 */
const char *
trb_ledger_entry_get_canonical (TrbLedgerEntry *self,
                                gsize          *length)
{
  g_return_val_if_fail (TRB_IS_LEDGER_ENTRY (self), NULL);

  if (length != NULL)
    *length = self->canonical_length;
  return self->canonical;
}

/* trb-dataset-item.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One dataset the user picked, as the Datasets list and the CLI show it. Items are created and
 * changed only by TrbDatasetRegistry; everything else reads them and watches notify signals.
 */

#define G_LOG_DOMAIN "trb-dataset-item"

#include "config.h"

#include "trb-dataset-item.h"

#include <glib/gi18n.h>

#include "trb-dataset-item-private.h"

struct _TrbDatasetItem
{
  GObject           parent_instance;

  gint64            id;
  char             *path;
  char             *name;
  TrbDatasetFormat  format;
  gboolean          paused;
  gboolean          checking;
  gboolean          changed;
  double            progress;
  TrbDatasetReport *report;
  char             *error;
  char            **networks;
};

G_DEFINE_FINAL_TYPE (TrbDatasetItem, trb_dataset_item, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (TrbDatasetStatus, trb_dataset_status,
  G_DEFINE_ENUM_VALUE (TRB_DATASET_STATUS_READY, "ready"),
  G_DEFINE_ENUM_VALUE (TRB_DATASET_STATUS_CHECKING, "checking"),
  G_DEFINE_ENUM_VALUE (TRB_DATASET_STATUS_PROBLEMS, "problems"),
  G_DEFINE_ENUM_VALUE (TRB_DATASET_STATUS_CHANGED, "changed"),
  G_DEFINE_ENUM_VALUE (TRB_DATASET_STATUS_PAUSED, "paused"))

enum {
  PROP_0,
  PROP_ID,
  PROP_PATH,
  PROP_NAME,
  PROP_STATUS,
  PROP_PAUSED,
  PROP_PROGRESS,
  PROP_FINGERPRINT,
  PROP_ERROR,
  PROP_REPORT,
  PROP_SUMMARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
trb_dataset_item_finalize (GObject *object)
{
  TrbDatasetItem *self = (TrbDatasetItem *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_object (&self->report);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->networks, g_strfreev);

  G_OBJECT_CLASS (trb_dataset_item_parent_class)->finalize (object);
}

static void
trb_dataset_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TrbDatasetItem *self = TRB_DATASET_ITEM (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, trb_dataset_item_get_status (self));
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_FINGERPRINT:
      g_value_set_string (value, trb_dataset_item_get_fingerprint (self));
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_REPORT:
      g_value_set_object (value, self->report);
      break;
    case PROP_SUMMARY:
      g_value_take_string (value, trb_dataset_item_dup_summary (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_dataset_item_class_init (TrbDatasetItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = trb_dataset_item_finalize;
  object_class->get_property = trb_dataset_item_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_STATUS] = g_param_spec_enum ("status", NULL, NULL, TRB_TYPE_DATASET_STATUS,
                                               TRB_DATASET_STATUS_CHECKING, flags);
  properties[PROP_PAUSED] = g_param_spec_boolean ("paused", NULL, NULL, FALSE, flags);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, -1, 1, 0, flags);
  properties[PROP_FINGERPRINT] = g_param_spec_string ("fingerprint", NULL, NULL, NULL, flags);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, flags);
  properties[PROP_REPORT] = g_param_spec_object ("report", NULL, NULL, TRB_TYPE_DATASET_REPORT,
                                                 flags);
  properties[PROP_SUMMARY] = g_param_spec_string ("summary", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
trb_dataset_item_init (TrbDatasetItem *self)
{
}

TrbDatasetItem *
trb_dataset_item_new (gint64            id,
                      const char       *path,
                      TrbDatasetFormat  format)
{
  TrbDatasetItem *self = g_object_new (TRB_TYPE_DATASET_ITEM, NULL);
  g_autofree char *base = g_path_get_basename (path);

  self->id = id;
  self->path = g_strdup (path);
  self->format = format;
  self->name = g_filename_display_name (base);
  return self;
}

static void
notify_status (TrbDatasetItem *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
}

gint64
trb_dataset_item_get_id (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), 0);
  return self->id;
}

const char *
trb_dataset_item_get_path (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), NULL);
  return self->path;
}

const char *
trb_dataset_item_get_name (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), NULL);
  return self->name;
}

TrbDatasetFormat
trb_dataset_item_get_format (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), TRB_DATASET_FORMAT_UNKNOWN);
  return self->format;
}

TrbDatasetStatus
trb_dataset_item_get_status (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), TRB_DATASET_STATUS_PROBLEMS);

  if (self->checking)
    return TRB_DATASET_STATUS_CHECKING;
  if (self->paused)
    return TRB_DATASET_STATUS_PAUSED;
  if (self->error != NULL || self->report == NULL)
    return TRB_DATASET_STATUS_PROBLEMS;
  if (self->changed)
    return TRB_DATASET_STATUS_CHANGED;
  if (trb_dataset_report_get_n_skipped (self->report) > 0)
    return TRB_DATASET_STATUS_PROBLEMS;
  return TRB_DATASET_STATUS_READY;
}

gboolean
trb_dataset_item_get_paused (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), FALSE);
  return self->paused;
}

gboolean
trb_dataset_item_get_checking (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), FALSE);
  return self->checking;
}

gboolean
trb_dataset_item_get_changed (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), FALSE);
  return self->changed;
}

/**
 * trb_dataset_item_get_fingerprint:
 *
 * Returns: (nullable): the salted commitment of the last successful check
 */
const char *
trb_dataset_item_get_fingerprint (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), NULL);
  return self->report ? trb_dataset_report_get_fingerprint (self->report) : NULL;
}

/**
 * trb_dataset_item_get_error:
 *
 * Returns: (nullable): why the last check failed, in plain words
 */
const char *
trb_dataset_item_get_error (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), NULL);
  return self->error;
}

/**
 * trb_dataset_item_get_report:
 *
 * Returns: (transfer none) (nullable): the last successful check
 */
TrbDatasetReport *
trb_dataset_item_get_report (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), NULL);
  return self->report;
}

/**
 * trb_dataset_item_get_networks:
 *
 * Returns: (transfer none) (nullable): the networks that learn from this dataset
 */
const char * const *
trb_dataset_item_get_networks (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), NULL);
  return (const char * const *)self->networks;
}

const char *
trb_dataset_item_get_stamp (TrbDatasetItem *self)
{
  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), NULL);
  return self->report ? trb_dataset_report_get_stamp (self->report) : NULL;
}

const char *
trb_dataset_status_to_string (TrbDatasetStatus status)
{
  switch (status)
    {
    case TRB_DATASET_STATUS_READY:
      return _("Ready");
    case TRB_DATASET_STATUS_CHECKING:
      return _("Checking");
    case TRB_DATASET_STATUS_PROBLEMS:
      return _("Problems");
    case TRB_DATASET_STATUS_CHANGED:
      return _("Changed");
    case TRB_DATASET_STATUS_PAUSED:
      return _("Paused");
    default:
      return "";
    }
}

/**
 * trb_dataset_item_dup_summary:
 *
 * Returns: (transfer full): one line for a list: status, samples and classes
 */
char *
trb_dataset_item_dup_summary (TrbDatasetItem *self)
{
  g_autofree char *counts = NULL;

  g_return_val_if_fail (TRB_IS_DATASET_ITEM (self), NULL);

  if (self->checking)
    return g_strdup (_("Checking…"));
  if (self->error != NULL)
    return g_strdup (self->error);
  if (self->report == NULL)
    return g_strdup (_("Not checked yet"));

  {
    guint64 n = trb_dataset_report_get_n_samples (self->report);
    guint classes = trb_dataset_report_get_n_classes (self->report);
    g_autofree char *samples = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                             "%llu sample", "%llu samples", n),
                                                (unsigned long long) n);
    g_autofree char *classes_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                  "%u class", "%u classes",
                                                                  classes),
                                                     classes);
    /* Translators: "60000 samples, 10 classes" */
    counts = g_strdup_printf (_("%s, %s"), samples, classes_text);
  }

  switch (trb_dataset_item_get_status (self))
    {
    case TRB_DATASET_STATUS_PAUSED:
      /* Translators: %s is "60000 samples, 10 classes" */
      return g_strdup_printf (_("Paused · %s"), counts);
    case TRB_DATASET_STATUS_CHANGED:
      return g_strdup_printf (_("Changed since the last check · %s"), counts);
    case TRB_DATASET_STATUS_PROBLEMS:
      {
        guint64 skipped = trb_dataset_report_get_n_skipped (self->report);
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             /* Translators: the dataset's counts ("60000
                                              * samples, 10 classes"), then how many samples
                                              * cannot be used. */
                                             "%s · %llu left out",
                                             "%s · %llu left out", skipped),
                                counts, (unsigned long long) skipped);
      }
    case TRB_DATASET_STATUS_READY:
    case TRB_DATASET_STATUS_CHECKING:
    default:
      return g_steal_pointer (&counts);
    }
}

void
trb_dataset_item_set_paused (TrbDatasetItem *self,
                             gboolean        paused)
{
  g_return_if_fail (TRB_IS_DATASET_ITEM (self));

  if (self->paused == !!paused)
    return;
  self->paused = !!paused;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
  notify_status (self);
}

void
trb_dataset_item_set_checking (TrbDatasetItem *self,
                               gboolean        checking)
{
  g_return_if_fail (TRB_IS_DATASET_ITEM (self));

  if (self->checking == !!checking)
    return;
  self->checking = !!checking;
  self->progress = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
  notify_status (self);
}

void
trb_dataset_item_set_changed (TrbDatasetItem *self,
                              gboolean        changed)
{
  g_return_if_fail (TRB_IS_DATASET_ITEM (self));

  if (self->changed == !!changed)
    return;
  self->changed = !!changed;
  notify_status (self);
}

void
trb_dataset_item_set_progress (TrbDatasetItem *self,
                               double          progress)
{
  g_return_if_fail (TRB_IS_DATASET_ITEM (self));

  self->progress = progress;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

/* Either @report (a successful check) or @error (why it failed); the other is NULL. */
void
trb_dataset_item_set_result (TrbDatasetItem   *self,
                             TrbDatasetReport *report,
                             const char       *error)
{
  g_return_if_fail (TRB_IS_DATASET_ITEM (self));

  if (report != NULL)
    g_set_object (&self->report, report);
  g_free (self->error);
  self->error = g_strdup (error);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINGERPRINT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  notify_status (self);
}

void
trb_dataset_item_set_networks (TrbDatasetItem     *self,
                               const char * const *networks)
{
  g_return_if_fail (TRB_IS_DATASET_ITEM (self));

  g_strfreev (self->networks);
  self->networks = networks && networks[0] ? g_strdupv ((char **)networks) : NULL;
}

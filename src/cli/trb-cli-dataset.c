/* trb-cli-dataset.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tributary-cli dataset add|list|check|remove: pick local data to contribute and check it.
 */

#define G_LOG_DOMAIN "trb-cli-dataset"

#include "config.h"

#include "trb-cli-dataset.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "datasets/trb-data-schema.h"
#include "datasets/trb-dataset-registry.h"
#include "store/trb-store.h"
#include "trb-cli.h"
#include "trb-cli-network.h"
#include "trb-i18n.h"

static const char *usage_text =
  N_("Usage: tributary-cli dataset COMMAND [OPTIONS…]\n"
     "\n"
     "Choose which of your own data networks may learn from. The data never leaves this\n"
     "computer: networks receive only what was learnt from it, how many samples there were,\n"
     "and a fingerprint that reveals nothing about the data.\n"
     "\n"
     "Commands:\n"
     "  add PATH      Add a dataset (an IDX file, a CSV table, or a folder of class folders)\n"
     "  list          Show the datasets you added and their status\n"
     "  check PATH    Read a dataset, count its samples and classes, compute its fingerprint\n"
     "  remove PATH   Remove a dataset from the list (the files are not deleted)\n"
     "\n"
     "Options of add and check:\n"
     "  --label-column NAME   The CSV column that holds the labels\n"
     "  --skip-bad-rows       Leave out unusable CSV rows instead of stopping (default)\n"
     "  --fail-on-bad-rows    Stop at the first unusable CSV row\n"
     "Options of check:\n"
     "  --schema FILE         Also check against a network's data description (JSON)\n");

static void
print_usage (FILE *out)
{
  fputs (_(usage_text), out);
}

static TrbDatasetRegistry *
open_registry (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbStore) store = NULL;
  TrbDatasetRegistry *registry;

  if (!(store = trb_cli_open_store ()))
    return NULL;
  registry = trb_dataset_registry_new (store, &error);
  if (registry == NULL)
    trb_cli_print_error (error);
  return registry;
}

typedef struct
{
  gboolean tty;
} Progress;

static void
progress_cb (double   fraction,
             guint64  samples,
             gpointer user_data)
{
  Progress *progress = user_data;

  if (!progress->tty)
    return;
  if (fraction >= 0)
    fprintf (stderr, "\r%s %3.0f%%", _("Reading…"), fraction * 100);
  else
    {
      g_autofree char *count = trb_format_count ((gint64) MIN (samples, G_MAXINT64));

      fprintf (stderr, "\r%s %s", _("Reading…"), count);
    }
  fflush (stderr);
}

static void
progress_done (Progress *progress)
{
  if (progress->tty)
    fprintf (stderr, "\r%*s\r", 40, "");
}

/* "Samples: 12.345" in German: a count shown to a person, grouped as the locale groups digits. */
static void
print_count (const char *what,
             guint64     count)
{
  g_autofree char *text = trb_format_count ((gint64) MIN (count, G_MAXINT64));

  printf ("%s: %s\n", what, text);
}

static const char *
format_name (TrbDatasetFormat format)
{
  switch (format)
    {
    case TRB_DATASET_FORMAT_IDX:
      return _("IDX files");
    case TRB_DATASET_FORMAT_CSV:
      return _("CSV table");
    case TRB_DATASET_FORMAT_IMAGE_FOLDER:
      return _("folder of pictures");
    case TRB_DATASET_FORMAT_UNKNOWN:
    default:
      return _("unknown");
    }
}

static void
print_report (TrbDatasetReport *report)
{
  const TrbSampleShape *shape = trb_dataset_report_get_shape (report);
  guint n_classes = trb_dataset_report_get_n_classes (report);
  const guint64 *histogram = trb_dataset_report_get_histogram (report);
  GPtrArray *problems = trb_dataset_report_get_problems (report);
  g_autofree char *name = g_filename_display_basename (trb_dataset_report_get_path (report));
  guint64 skipped = trb_dataset_report_get_n_skipped (report);
  guint width = 0;

  printf ("%s: %s (%s)\n", _("Dataset"), name,
          format_name (trb_dataset_report_get_format (report)));
  if (shape->type == TRB_SAMPLE_TYPE_U8 && shape->height > 1)
    printf ("%s: %u×%u, %s\n", _("Pictures"), shape->width, shape->height,
            shape->channels == 1 ? _("black and white") : _("colour"));
  else
    printf ("%s: %u\n", _("Numbers per sample"), shape->width);
  print_count (_("Samples"), trb_dataset_report_get_n_samples (report));
  if (skipped > 0)
    print_count (_("Left out"), skipped);
  printf ("%s: %u\n", _("Classes"), n_classes);

  if (trb_dataset_report_get_class_names (report) == NULL)
    {
      for (guint i = 0; i < n_classes; i++)
        {
          g_autofree char *count = trb_format_count ((gint64) MIN (histogram[i], G_MAXINT64));

          printf ("  %-3u %s\n", i, count);
        }
    }
  else
    {
      for (guint i = 0; i < n_classes; i++)
        {
          g_autofree char *class_name = trb_dataset_report_dup_class_name (report, i);
          width = MAX (width, g_utf8_strlen (class_name, -1));
        }
      for (guint i = 0; i < n_classes; i++)
        {
          g_autofree char *class_name = trb_dataset_report_dup_class_name (report, i);
          g_autofree char *count = trb_format_count ((gint64) MIN (histogram[i], G_MAXINT64));

          printf ("  %-3u %s%*s %s\n", i, class_name,
                  (int)(width - g_utf8_strlen (class_name, -1)), "", count);
        }
    }

  if (trb_dataset_report_get_csv_header (report) != NULL)
    {
      GPtrArray *rows = trb_dataset_report_get_csv_rows (report);
      g_autofree char *header = g_strjoinv (", ",
                                            (char **)trb_dataset_report_get_csv_header (report));

      printf ("%s:\n  %s\n", _("First rows"), header);
      for (guint i = 0; i < rows->len; i++)
        {
          g_autofree char *row = g_strjoinv (", ", g_ptr_array_index (rows, i));
          printf ("  %s\n", row);
        }
    }

  if (problems->len > 0)
    {
      printf ("%s:\n", _("Problems"));
      for (guint i = 0; i < problems->len; i++)
        printf ("  • %s\n", (const char *)g_ptr_array_index (problems, i));
      if (skipped > problems->len)
        printf ("  • %s\n", _("(and more of the same kind)"));
    }

  printf ("%s: %s\n", _("Fingerprint"), trb_dataset_report_get_fingerprint (report));
}

typedef struct
{
  char     *label_column;
  char     *schema;
  gboolean  fail_on_bad_rows;
  gboolean  skip_bad_rows;
  gboolean  help;
  char    **rest;
} Args;

static void
args_clear (Args *args)
{
  g_free (args->label_column);
  g_free (args->schema);
  g_strfreev (args->rest);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Args, args_clear)

static gboolean
parse_args (int    *argc,
            char ***argv,
            Args   *args)
{
  GOptionEntry entries[] = {
    { "label-column", 0, 0, G_OPTION_ARG_STRING, &args->label_column, NULL, NULL },
    { "schema", 0, 0, G_OPTION_ARG_FILENAME, &args->schema, NULL, NULL },
    { "fail-on-bad-rows", 0, 0, G_OPTION_ARG_NONE, &args->fail_on_bad_rows, NULL, NULL },
    { "skip-bad-rows", 0, 0, G_OPTION_ARG_NONE, &args->skip_bad_rows, NULL, NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &args->help, NULL, NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args->rest, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      trb_cli_printerr (_("%s. Run “tributary-cli dataset --help” to see the options."),
                        error->message);
      return FALSE;
    }

  return TRUE;
}

static void
options_from_args (const Args        *args,
                   TrbDatasetOptions *options)
{
  options->label_column = args->label_column;
  options->csv_policy = args->fail_on_bad_rows ? TRB_CSV_POLICY_FAIL : TRB_CSV_POLICY_SKIP_ROW;
}

static TrbDatasetItem *
find_item (TrbDatasetRegistry *registry,
           const char         *what)
{
  guint64 id;

  if (g_ascii_string_to_unsigned (what, 10, 1, G_MAXINT64, &id, NULL) &&
      !g_file_test (what, G_FILE_TEST_EXISTS))
    {
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (registry)); i++)
        {
          g_autoptr(TrbDatasetItem) item = g_list_model_get_item (G_LIST_MODEL (registry), i);
          if ((guint64)trb_dataset_item_get_id (item) == id)
            return item;
        }
    }

  return trb_dataset_registry_lookup (registry, what);
}

static int
dataset_check (Args *args)
{
  g_autoptr(TrbDatasetRegistry) registry = NULL;
  g_autoptr(TrbDatasetReport) report = NULL;
  g_autoptr(TrbDataSchema) schema = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *previous = NULL;
  TrbDatasetOptions options = { 0 };
  Progress progress = { isatty (STDERR_FILENO) };
  const char *path;
  TrbDatasetItem *item;

  if (args->rest == NULL || g_strv_length (args->rest) != 1)
    {
      trb_cli_printerr (_("“dataset check” needs one dataset: a file or folder."));
      return 2;
    }

  registry = open_registry ();
  if (registry == NULL)
    return 1;

  item = find_item (registry, args->rest[0]);
  path = item ? trb_dataset_item_get_path (item) : args->rest[0];
  options_from_args (args, &options);

  if (args->schema != NULL)
    {
      g_autofree char *json = NULL;
      gsize len = 0;
      TrbDatasetFormat format;

      if (!g_file_get_contents (args->schema, &json, &len, &error))
        {
          trb_cli_print_error (error);
          return 1;
        }
      schema = trb_data_schema_new_from_json (json, len, &error);
      if (schema == NULL)
        {
          trb_cli_print_error (error);
          return 1;
        }
      format = trb_sample_source_detect_format (path, NULL);
      trb_data_schema_fill_options (schema, format, &options);
    }

  report = trb_dataset_registry_check_path (registry, path, &options, progress_cb, &progress,
                                            NULL, &previous, &error);
  progress_done (&progress);
  if (report == NULL)
    {
      trb_cli_print_error (error);
      return 1;
    }

  print_report (report);
  if (previous == NULL)
    printf ("%s\n", _("First check of this dataset on this computer."));
  else if (g_str_equal (previous, trb_dataset_report_get_fingerprint (report)))
    printf ("%s\n", _("Same fingerprint as the last check: the data has not changed."));
  else
    printf ("%s\n", _("The fingerprint differs from the last check: the data has changed."));

  if (schema != NULL)
    {
      g_autoptr(GPtrArray) problems = NULL;
      TrbSchemaVerdict verdict = trb_data_schema_check (schema, report, &problems);

      printf ("%s: %s\n", _("For this network"), trb_schema_verdict_to_string (verdict));
      for (guint i = 0; i < problems->len; i++)
        printf ("  • %s\n", (const char *)g_ptr_array_index (problems, i));
      if (verdict == TRB_SCHEMA_VERDICT_UNUSABLE)
        return 3;
    }

  return 0;
}

static int
dataset_add (Args *args)
{
  g_autoptr(TrbDatasetRegistry) registry = NULL;
  g_autoptr(TrbDatasetReport) report = NULL;
  g_autoptr(GError) error = NULL;
  TrbDatasetOptions options = { 0 };
  Progress progress = { isatty (STDERR_FILENO) };
  TrbDatasetItem *item;

  if (args->rest == NULL || g_strv_length (args->rest) != 1)
    {
      trb_cli_printerr (_("“dataset add” needs one dataset: a file or folder."));
      return 2;
    }

  registry = open_registry ();
  if (registry == NULL)
    return 1;

  options_from_args (args, &options);
  item = trb_dataset_registry_add (registry, args->rest[0], &options, &error);
  if (item == NULL)
    {
      trb_cli_print_error (error);
      return 1;
    }

  report = trb_dataset_registry_check_path (registry, trb_dataset_item_get_path (item),
                                            &options, progress_cb, &progress, NULL, NULL,
                                            &error);
  progress_done (&progress);
  if (report == NULL)
    {
      /* Translators: the dataset's name, then why it cannot be used. */
      printf (_("Added “%s”, but it cannot be used yet: %s\n"), trb_dataset_item_get_name (item),
              error->message);
      return 1;
    }

  print_report (report);
  /* Translators: %s is the dataset's name, %lld the number other commands refer to it by. */
  printf (_("Added “%s” (number %lld).\n"), trb_dataset_item_get_name (item),
          (long long) trb_dataset_item_get_id (item));
  return 0;
}

static int
dataset_list (Args *args)
{
  g_autoptr(TrbDatasetRegistry) registry = open_registry ();
  guint n;

  if (registry == NULL)
    return 1;

  trb_dataset_registry_refresh (registry);
  n = g_list_model_get_n_items (G_LIST_MODEL (registry));
  if (n == 0)
    {
      printf ("%s\n", _("No datasets yet. Add one with “tributary-cli dataset add PATH”."));
      return 0;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TrbDatasetItem) item = g_list_model_get_item (G_LIST_MODEL (registry), i);
      g_autofree char *summary = trb_dataset_item_dup_summary (item);
      g_autofree char *path = g_filename_display_name (trb_dataset_item_get_path (item));

      printf ("%-4" G_GINT64_FORMAT " %-9s %s\n     %s\n     %s\n",
              trb_dataset_item_get_id (item),
              trb_dataset_status_to_string (trb_dataset_item_get_status (item)),
              trb_dataset_item_get_name (item), summary, path);
    }

  return 0;
}

static int
dataset_remove (Args *args)
{
  g_autoptr(TrbDatasetRegistry) registry = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  TrbDatasetItem *item;

  if (args->rest == NULL || g_strv_length (args->rest) != 1)
    {
      trb_cli_printerr (_("“dataset remove” needs one dataset: its path or its number."));
      return 2;
    }

  registry = open_registry ();
  if (registry == NULL)
    return 1;

  item = find_item (registry, args->rest[0]);
  if (item == NULL)
    {
      trb_cli_printerr (_("“%s” is not in your list of datasets. See “tributary-cli dataset "
                          "list”."), args->rest[0]);
      return 1;
    }

  name = g_strdup (trb_dataset_item_get_name (item));
  if (!trb_dataset_registry_remove (registry, item, &error))
    {
      trb_cli_print_error (error);
      return 1;
    }

  printf (_("Removed “%s”. Its files were not touched.\n"), name);
  return 0;
}

int
trb_cli_dataset (int    argc,
                 char **argv)
{
  g_auto(Args) args = { 0 };
  const char *command;

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }

  command = argv[1];
  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") ||
      g_str_equal (command, "help"))
    {
      print_usage (stdout);
      return 0;
    }

  argc--;
  argv++;
  if (!parse_args (&argc, &argv, &args))
    return 2;
  if (args.help)
    {
      print_usage (stdout);
      return 0;
    }

  /* The remaining arguments start after the command's own name. */
  if (args.rest != NULL && args.rest[0] != NULL && g_str_equal (args.rest[0], command))
    {
      char **shifted = g_strdupv (args.rest + 1);
      g_strfreev (args.rest);
      args.rest = shifted;
    }

  if (g_str_equal (command, "check"))
    return dataset_check (&args);
  if (g_str_equal (command, "add"))
    return dataset_add (&args);
  if (g_str_equal (command, "list"))
    return dataset_list (&args);
  if (g_str_equal (command, "remove"))
    return dataset_remove (&args);

  trb_cli_printerr (_("unknown dataset command “%s”. Run “tributary-cli dataset --help” to see "
                      "the commands."), command);
  return 2;
}

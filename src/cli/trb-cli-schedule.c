/* trb-cli-schedule.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tributary-cli schedule`: says whether training may run now and why, and pauses or resumes
 * it, with the same settings as the desktop app.
 */

#define G_LOG_DOMAIN "trb-cli-schedule"

#include "config.h"

#include "trb-cli.h"
#include "trb-cli-schedule.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "participant/trb-scheduler.h"

/* The monitors answer over D-Bus; on a local bus this is plenty. */
#define SETTLE_MS 500

/* A pause longer than a year is surely a typing mistake. */
#define MAX_PAUSE_MINUTES (366 * 24 * 60)

static const char *
verdict_word (TrbSchedulerVerdict verdict)
{
  switch (verdict)
    {
    case TRB_SCHEDULER_VERDICT_RUN:
      return "run";
    case TRB_SCHEDULER_VERDICT_FINISH_ROUND:
      return "finish-round";
    case TRB_SCHEDULER_VERDICT_WAIT:
      return "wait";
    case TRB_SCHEDULER_VERDICT_PAUSED:
      return "paused";
    default:
      return "unknown";
    }
}

static const char *
reason_word (TrbSchedulerReason reason)
{
  switch (reason)
    {
    case TRB_SCHEDULER_REASON_NONE:
      return "none";
    case TRB_SCHEDULER_REASON_PAUSED:
      return "paused";
    case TRB_SCHEDULER_REASON_PAUSED_UNTIL:
      return "paused-until";
    case TRB_SCHEDULER_REASON_ON_BATTERY:
      return "on-battery";
    case TRB_SCHEDULER_REASON_POWER_SAVER:
      return "power-saver";
    case TRB_SCHEDULER_REASON_METERED:
      return "metered";
    case TRB_SCHEDULER_REASON_OUTSIDE_HOURS:
      return "outside-hours";
    case TRB_SCHEDULER_REASON_NOT_IDLE:
      return "not-idle";
    case TRB_SCHEDULER_REASON_FINISHING_ROUND:
      return "finishing-round";
    default:
      return "unknown";
    }
}

static const char *
preset_name (TrbResourcePreset preset)
{
  switch (preset)
    {
    case TRB_RESOURCE_PRESET_LIGHT:
      return _("Light");
    case TRB_RESOURCE_PRESET_BALANCED:
      return _("Balanced");
    case TRB_RESOURCE_PRESET_FULL:
      return _("Full");
    default:
      return "?";
    }
}

typedef struct
{
  gboolean pause;
  gboolean resume;
  gboolean until_tomorrow;
  gboolean machine;
  int      pause_minutes;
} Options;

/* Reads and checks the command's options; 0, or the exit status of a wrong one. */
static int
parse_options (Options  *o,
               int       argc,
               char    **argv)
{
  const GOptionEntry entries[] = {
    { "pause", 0, 0, G_OPTION_ARG_NONE, &o->pause, N_("Pause training until resumed"), NULL },
    { "pause-for", 0, 0, G_OPTION_ARG_INT, &o->pause_minutes, N_("Pause training for a while"),
      N_("MINUTES") },
    { "pause-until-tomorrow", 0, 0, G_OPTION_ARG_NONE, &o->until_tomorrow,
      N_("Pause training until tomorrow"), NULL },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, N_("Resume training"), NULL },
    { "machine", 0, 0, G_OPTION_ARG_NONE, &o->machine,
      N_("Print “verdict<TAB>reason” for scripts"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Say whether training may run now, and why; pause "
                                           "or resume it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      trb_cli_printerr ("%s", error->message);
      return 2;
    }
  if (argc > 1)
    {
      trb_cli_printerr (_("unexpected argument “%s”."), argv[1]);
      return 2;
    }
  if (!!o->pause + !!o->resume + !!o->until_tomorrow + (o->pause_minutes != 0) > 1)
    {
      trb_cli_printerr (_("choose one of --pause, --pause-for, --pause-until-tomorrow and "
                          "--resume."));
      return 2;
    }
  if (o->pause_minutes < 0 || o->pause_minutes > MAX_PAUSE_MINUTES)
    {
      trb_cli_printerr (_("--pause-for takes a number of minutes between 1 and %d."),
                        MAX_PAUSE_MINUTES);
      return 2;
    }
  return 0;
}

/* Applies the pause or resume asked for; 0, or 1 when the change could not be saved. */
static int
apply_action (Options      *o,
              TrbScheduler *scheduler)
{
  gboolean pausing = o->pause || o->pause_minutes > 0 || o->until_tomorrow;

  if (o->pause)
    trb_scheduler_pause (scheduler);
  else if (o->pause_minutes > 0)
    trb_scheduler_pause_for (scheduler, (guint) o->pause_minutes * 60);
  else if (o->until_tomorrow)
    trb_scheduler_pause_until_tomorrow (scheduler);
  else if (o->resume)
    trb_scheduler_resume (scheduler);
  else
    return 0;

  /* GSettings cannot report a failed write; the value simply stays as it was. */
  if (pausing != trb_scheduler_is_paused (scheduler))
    {
      trb_cli_printerr (_("could not save the change. Check that your settings folder can be "
                          "written to."));
      return 1;
    }
  return 0;
}

static void
print_decision (Options      *o,
                TrbScheduler *scheduler)
{
  TrbSchedulerDecision *decision = trb_scheduler_get_decision (scheduler);

  if (o->machine)
    printf ("%s\t%s\n", verdict_word (trb_scheduler_decision_get_verdict (decision)),
            reason_word (trb_scheduler_decision_get_reason (decision)));
  else
    {
      printf ("%s\n", trb_scheduler_decision_get_message (decision));
      /* Translators: %s is the name of a preset: Light, Balanced or Full. */
      printf (_("Resource use: %s"), preset_name (trb_scheduler_get_preset (scheduler)));
      printf ("\n");
    }
}

int
trb_cli_schedule (int    argc,
                  char **argv)
{
  Options options = { 0, };
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(TrbScheduler) scheduler = NULL;
  int status;

  if ((status = parse_options (&options, argc, argv)) != 0)
    return status;

  /* Without the app's settings schema GSettings would abort; say what is missing instead. */
  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (), APP_ID,
                                            TRUE);
  if (schema == NULL)
    {
      trb_cli_printerr (_("the settings of Tributary are not installed. Install Tributary, or "
                          "point GSETTINGS_SCHEMA_DIR at its build folder."));
      return 1;
    }

  settings = g_settings_new_full (schema, NULL, NULL);
  scheduler = trb_scheduler_new_for_system (settings);
  if ((status = apply_action (&options, scheduler)) != 0)
    return status;

  trb_cli_run_for (SETTLE_MS);
  /* Settings are written in the background; make sure they are on disk before exiting. */
  g_settings_sync ();
  print_decision (&options, scheduler);
  return 0;
}

/* trb-scheduler-decision.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One decision of the scheduler: a verdict for the participation loop, and a reason in plain
 * words for the person ("Paused: on battery"). Decisions never change once made; the scheduler
 * makes a new one when anything changes.
 */

#define G_LOG_DOMAIN "trb-scheduler-decision"

#include "config.h"

#include "trb-scheduler-decision.h"

struct _TrbSchedulerDecision
{
  GObject              parent_instance;

  TrbSchedulerVerdict  verdict;
  TrbSchedulerReason   reason;
  char                *message;
  gint64               until;
};

G_DEFINE_FINAL_TYPE (TrbSchedulerDecision, trb_scheduler_decision, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_VERDICT,
  PROP_REASON,
  PROP_MESSAGE,
  PROP_UNTIL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
trb_scheduler_decision_finalize (GObject *object)
{
  TrbSchedulerDecision *self = TRB_SCHEDULER_DECISION (object);

  g_free (self->message);

  G_OBJECT_CLASS (trb_scheduler_decision_parent_class)->finalize (object);
}

static void
trb_scheduler_decision_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  TrbSchedulerDecision *self = TRB_SCHEDULER_DECISION (object);

  switch (prop_id)
    {
    case PROP_VERDICT:
      g_value_set_int (value, self->verdict);
      break;

    case PROP_REASON:
      g_value_set_int (value, self->reason);
      break;

    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;

    case PROP_UNTIL:
      g_value_set_int64 (value, self->until);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
trb_scheduler_decision_class_init (TrbSchedulerDecisionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_scheduler_decision_finalize;
  object_class->get_property = trb_scheduler_decision_get_property;

  /**
   * TrbSchedulerDecision:verdict:
   *
   * What training may do, a #TrbSchedulerVerdict.
   */
  properties[PROP_VERDICT] =
    g_param_spec_int ("verdict", NULL, NULL,
                      TRB_SCHEDULER_VERDICT_RUN, TRB_SCHEDULER_VERDICT_PAUSED,
                      TRB_SCHEDULER_VERDICT_RUN,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TrbSchedulerDecision:reason:
   *
   * Why, a #TrbSchedulerReason.
   */
  properties[PROP_REASON] =
    g_param_spec_int ("reason", NULL, NULL,
                      TRB_SCHEDULER_REASON_NONE, TRB_SCHEDULER_REASON_FINISHING_ROUND,
                      TRB_SCHEDULER_REASON_NONE,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TrbSchedulerDecision:message:
   *
   * The decision in plain words, translated, for the person.
   */
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TrbSchedulerDecision:until:
   *
   * The UNIX time when the decision changes by itself, or 0.
   */
  properties[PROP_UNTIL] =
    g_param_spec_int64 ("until", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
trb_scheduler_decision_init (TrbSchedulerDecision *self)
{
}

/**
 * trb_scheduler_decision_new:
 * @verdict: what training may do
 * @reason: why
 * @message: the decision in plain words
 * @until: the UNIX time when the decision changes by itself, or 0
 *
 * Returns: (transfer full): a new decision
 */
TrbSchedulerDecision *
trb_scheduler_decision_new (TrbSchedulerVerdict  verdict,
                            TrbSchedulerReason   reason,
                            const char          *message,
                            gint64               until)
{
  TrbSchedulerDecision *self;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (until >= 0, NULL);

  self = g_object_new (TRB_TYPE_SCHEDULER_DECISION, NULL);
  self->verdict = verdict;
  self->reason = reason;
  self->message = g_strdup (message);
  self->until = until;
  return self;
}

TrbSchedulerVerdict
trb_scheduler_decision_get_verdict (TrbSchedulerDecision *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER_DECISION (self), TRB_SCHEDULER_VERDICT_PAUSED);

  return self->verdict;
}

TrbSchedulerReason
trb_scheduler_decision_get_reason (TrbSchedulerDecision *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER_DECISION (self), TRB_SCHEDULER_REASON_NONE);

  return self->reason;
}

const char *
trb_scheduler_decision_get_message (TrbSchedulerDecision *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER_DECISION (self), NULL);

  return self->message;
}

gint64
trb_scheduler_decision_get_until (TrbSchedulerDecision *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER_DECISION (self), 0);

  return self->until;
}

/**
 * trb_scheduler_decision_may_start:
 * @self: a #TrbSchedulerDecision
 *
 * Returns: whether a new round of training may start
 */
gboolean
trb_scheduler_decision_may_start (TrbSchedulerDecision *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER_DECISION (self), FALSE);

  return self->verdict == TRB_SCHEDULER_VERDICT_RUN;
}

/**
 * trb_scheduler_decision_may_continue:
 * @self: a #TrbSchedulerDecision
 *
 * Returns: whether the round under way may go on
 */
gboolean
trb_scheduler_decision_may_continue (TrbSchedulerDecision *self)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER_DECISION (self), FALSE);

  return self->verdict == TRB_SCHEDULER_VERDICT_RUN ||
         self->verdict == TRB_SCHEDULER_VERDICT_FINISH_ROUND;
}

/**
 * trb_scheduler_decision_equal:
 * @a: a #TrbSchedulerDecision
 * @b: another
 *
 * Returns: whether both say the same thing
 */
gboolean
trb_scheduler_decision_equal (TrbSchedulerDecision *a,
                              TrbSchedulerDecision *b)
{
  g_return_val_if_fail (TRB_IS_SCHEDULER_DECISION (a), FALSE);
  g_return_val_if_fail (TRB_IS_SCHEDULER_DECISION (b), FALSE);

  return a->verdict == b->verdict && a->reason == b->reason && a->until == b->until &&
         g_str_equal (a->message, b->message);
}

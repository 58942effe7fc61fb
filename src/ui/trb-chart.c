/* trb-chart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small bar or line chart drawn with cairo, in the theme's foreground colour and the accent
 * blue so that it reads in light and dark style. Its text summary is its accessible
 * description, for screen readers.
 */

#define G_LOG_DOMAIN "trb-chart"

#include "config.h"

#include "trb-chart.h"

#include <math.h>

struct _TrbChart
{
  GtkWidget     parent_instance;

  TrbChartKind  kind;
  GArray       *values;
  GPtrArray    *labels;
  GArray       *marked;
  double        max_value;
};

G_DEFINE_FINAL_TYPE (TrbChart, trb_chart, GTK_TYPE_WIDGET)

#define MARGIN_LEFT   8.0
#define MARGIN_BOTTOM 22.0
#define MARGIN_TOP    10.0

static void
trb_chart_snapshot (GtkWidget   *widget,
                    GtkSnapshot *snapshot)
{
  TrbChart *self = TRB_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double plot_w = width - 2 * MARGIN_LEFT;
  double plot_h = height - MARGIN_BOTTOM - MARGIN_TOP;
  guint n = self->values->len;
  GdkRGBA fg, accent = { 0.21, 0.52, 0.89, 1.0 }, mark = { 0.15, 0.64, 0.41, 1.0 };
  cairo_t *cr;
  double slot;

  if (n == 0 || plot_w <= 0 || plot_h <= 0)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  slot = plot_w / n;

  /* Base line. */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.3);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, MARGIN_LEFT, MARGIN_TOP + plot_h + 0.5);
  cairo_line_to (cr, MARGIN_LEFT + plot_w, MARGIN_TOP + plot_h + 0.5);
  cairo_stroke (cr);

  for (guint i = 0; i < n; i++)
    {
      double v = g_array_index (self->values, double, i);
      double h = self->max_value > 0 ? CLAMP (v / self->max_value, 0, 1) * plot_h : 0;
      double x = MARGIN_LEFT + i * slot;
      gboolean marked = i < self->marked->len && g_array_index (self->marked, gboolean, i);
      const GdkRGBA *colour = marked ? &mark : &accent;
      const char *label = i < self->labels->len ? g_ptr_array_index (self->labels, i) : NULL;

      if (self->kind == TRB_CHART_BARS)
        {
          double bar = MIN (slot * 0.7, 48);

          cairo_set_source_rgba (cr, colour->red, colour->green, colour->blue, 1.0);
          cairo_rectangle (cr, x + (slot - bar) / 2, MARGIN_TOP + plot_h - h, bar, h);
          cairo_fill (cr);
        }
      else
        {
          double cx = x + slot / 2, cy = MARGIN_TOP + plot_h - h;

          if (i + 1 < n)
            {
              double v2 = g_array_index (self->values, double, i + 1);
              double h2 = self->max_value > 0 ? CLAMP (v2 / self->max_value, 0, 1) * plot_h : 0;

              cairo_set_source_rgba (cr, accent.red, accent.green, accent.blue, 1.0);
              cairo_set_line_width (cr, 2.0);
              cairo_move_to (cr, cx, cy);
              cairo_line_to (cr, cx + slot, MARGIN_TOP + plot_h - h2);
              cairo_stroke (cr);
            }
          cairo_set_source_rgba (cr, colour->red, colour->green, colour->blue, 1.0);
          cairo_arc (cr, cx, cy, marked ? 6.0 : 4.0, 0, 2 * G_PI);
          cairo_fill (cr);
        }

      if (label != NULL)
        {
          cairo_text_extents_t extents;

          cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.75);
          cairo_set_font_size (cr, 11.0);
          cairo_text_extents (cr, label, &extents);
          cairo_move_to (cr, x + (slot - extents.width) / 2, height - 6);
          cairo_show_text (cr, label);
        }
    }
  cairo_destroy (cr);
}

static void
trb_chart_measure (GtkWidget      *widget,
                   GtkOrientation  orientation,
                   int             for_size,
                   int            *minimum,
                   int            *natural,
                   int            *minimum_baseline,
                   int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 120 : 120;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 160;
}

static void
trb_chart_finalize (GObject *object)
{
  TrbChart *self = TRB_CHART (object);

  g_clear_pointer (&self->values, g_array_unref);
  g_clear_pointer (&self->labels, g_ptr_array_unref);
  g_clear_pointer (&self->marked, g_array_unref);

  G_OBJECT_CLASS (trb_chart_parent_class)->finalize (object);
}

static void
trb_chart_class_init (TrbChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = trb_chart_finalize;
  widget_class->snapshot = trb_chart_snapshot;
  widget_class->measure = trb_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
trb_chart_init (TrbChart *self)
{
  self->values = g_array_new (FALSE, FALSE, sizeof (double));
  self->labels = g_ptr_array_new_with_free_func (g_free);
  self->marked = g_array_new (FALSE, FALSE, sizeof (gboolean));
}

GtkWidget *
trb_chart_new (TrbChartKind kind)
{
  TrbChart *self = g_object_new (TRB_TYPE_CHART, NULL);

  self->kind = kind;
  return GTK_WIDGET (self);
}

/**
 * trb_chart_set_data:
 * @self: a chart
 * @values: (array length=n_values): the values
 * @labels: (array length=n_values) (nullable): a short label under each
 * @marked: (array length=n_values) (nullable): values drawn in the highlight colour
 * @n_values: the number of values
 * @max_value: the value at the top of the chart
 */
void
trb_chart_set_data (TrbChart        *self,
                    const double    *values,
                    const char     **labels,
                    const gboolean  *marked,
                    guint            n_values,
                    double           max_value)
{
  g_return_if_fail (TRB_IS_CHART (self));

  g_array_set_size (self->values, 0);
  g_ptr_array_set_size (self->labels, 0);
  g_array_set_size (self->marked, 0);
  g_array_append_vals (self->values, values, n_values);
  for (guint i = 0; labels != NULL && i < n_values; i++)
    g_ptr_array_add (self->labels, g_strdup (labels[i]));
  if (marked != NULL)
    g_array_append_vals (self->marked, marked, n_values);
  self->max_value = max_value;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * trb_chart_set_summary:
 * @self: a chart
 * @summary: what the chart shows, in words
 *
 * Sets the text that screen readers read for the chart; it is also its tooltip.
 */
void
trb_chart_set_summary (TrbChart   *self,
                       const char *summary)
{
  g_return_if_fail (TRB_IS_CHART (self));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, summary,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, summary, -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), summary);
}

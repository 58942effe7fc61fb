/* trb-chart.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  TRB_CHART_BARS,
  TRB_CHART_LINE,
} TrbChartKind;

#define TRB_TYPE_CHART (trb_chart_get_type ())

G_DECLARE_FINAL_TYPE (TrbChart, trb_chart, TRB, CHART, GtkWidget)

GtkWidget *trb_chart_new         (TrbChartKind  kind);
void       trb_chart_set_data    (TrbChart     *self,
                                  const double *values,
                                  const char  **labels,
                                  const gboolean *marked,
                                  guint         n_values,
                                  double        max_value);
void       trb_chart_set_summary (TrbChart     *self,
                                  const char   *summary);

G_END_DECLS

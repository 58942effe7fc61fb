/* fuzz-csv.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target for the CSV reader. The first byte picks the policy for bad rows and
 * whether a label column is named; the rest is the table. Any input must give samples or a
 * plain error, within the size limits, and never crash, hang or leak.
 */

#include "config.h"

#include <math.h>

#include "datasets/trb-csv-reader.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const char * const wanted[] = { "cat", "dog", NULL };
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(TrbCsvReader) reader = NULL;
  g_autoptr(TrbSampleBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  TrbDatasetOptions options = { 0 };

  if (size < 1)
    return 0;

  options.csv_policy = (data[0] & 1) ? TRB_CSV_POLICY_FAIL : TRB_CSV_POLICY_SKIP_ROW;
  if (data[0] & 2)
    options.label_column = "label";
  if (data[0] & 4)
    options.class_names = wanted;

  stream = g_memory_input_stream_new_from_data (g_memdup2 (data + 1, size - 1), size - 1,
                                                g_free);
  reader = trb_csv_reader_new_for_stream (stream, &options, &error);
  if (reader == NULL)
    {
      g_assert (error != NULL && error->domain == TRB_DATASET_ERROR);
      return 0;
    }

  batch = trb_sample_batch_new (TRB_SAMPLE_SOURCE (reader), 4);
  while (trb_sample_source_read (TRB_SAMPLE_SOURCE (reader), batch, NULL, &error) &&
         batch->n > 0)
    {
      for (guint i = 0; i < batch->n; i++)
        {
          g_assert (batch->labels[i] >= 0 && batch->labels[i] < (int)TRB_DATASET_MAX_CLASSES);
          for (gsize k = 0; k < batch->sample_len; k++)
            g_assert (isfinite (batch->f32[i * batch->sample_len + k]));
        }
    }
  g_assert (error == NULL || error->domain == TRB_DATASET_ERROR);
  g_assert (trb_sample_source_get_problems (TRB_SAMPLE_SOURCE (reader))->len <= 100);

  return 0;
}

/* fuzz-idx.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target for the IDX reader. The input is split in two: the first two bytes give
 * the length of the images file (little-endian), the rest is the labels file. Any input must
 * give samples or a plain error, within the size limits, and never crash, hang or leak.
 */

#include "config.h"

#include "datasets/trb-idx-reader.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GInputStream) images = NULL;
  g_autoptr(GInputStream) labels = NULL;
  g_autoptr(TrbIdxReader) reader = NULL;
  g_autoptr(TrbSampleBatch) batch = NULL;
  g_autoptr(GError) error = NULL;
  gsize split;

  if (size < 2)
    return 0;
  split = MIN ((gsize)(data[0] | (data[1] << 8)), size - 2);

  images = g_memory_input_stream_new_from_data (g_memdup2 (data + 2, split), split, g_free);
  labels = g_memory_input_stream_new_from_data (g_memdup2 (data + 2 + split, size - 2 - split),
                                                size - 2 - split, g_free);

  reader = trb_idx_reader_new_for_streams (images, labels, &error);
  if (reader == NULL)
    {
      g_assert (error != NULL && error->domain == TRB_DATASET_ERROR);
      return 0;
    }

  batch = trb_sample_batch_new (TRB_SAMPLE_SOURCE (reader), 3);
  while (trb_sample_source_read (TRB_SAMPLE_SOURCE (reader), batch, NULL, &error) &&
         batch->n > 0)
    {
      for (guint i = 0; i < batch->n; i++)
        g_assert (batch->labels[i] >= 0 && batch->labels[i] < 256);
    }
  g_assert (error == NULL || error->domain == TRB_DATASET_ERROR);

  return 0;
}

/* fashion.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A tiny reader of the gzipped IDX files of Debian's dataset-fashion-mnist, for the tests.
 */

#pragma once

#include "compute/trb-compute-types.h"

typedef struct
{
  guint8        *images;
  gint32        *labels;
  TrbDataSource  source;
} FashionSet;

/* Reads the first @n samples of the "train" or "t10k" split; aborts the test on failure. */
FashionSet *fashion_load (const char *split,
                          gsize       n);
void        fashion_free (FashionSet *set);

/* trb-data-schema.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "trb-dataset-report.h"
#include "trb-sample-source.h"

G_BEGIN_DECLS

/**
 * SECTION:trb-data-schema
 * @title: TrbDataSchema
 *
 * What data a task accepts, as a task definition declares it in JSON:
 *
 * |[<!-- language="JSON" -->
 * {
 *   "type": "image",                 // "image" or "tabular"
 *   "input_shape": [1, 28, 28],      // image: [channels, height, width]; tabular: [features]
 *   "classes": 10,                   // 1 to 10000
 *   "class_names": ["T-shirt/top", "Trouser", …],   // optional; exactly "classes" names
 *   "value_range": [0, 255]          // optional; the range of raw feature values
 * }
 * ]|
 *
 * Channels are 1 (greyscale), 3 (RGB) or 4 (RGBA); sides at most 16384; a sample at most
 * %TRB_DATASET_MAX_SAMPLE_VALUES values; class names at most 256 bytes of UTF-8 each; the
 * whole JSON text at most 64 KiB. Unknown members are ignored, so that later versions may add
 * some.
 *
 * trb_data_schema_check() compares a #TrbDatasetReport with the schema and returns a short
 * list of problems in plain words and a verdict.
 */

/* The data the built-in demo network learns from: Fashion-MNIST pictures. */
#define TRB_DATA_SCHEMA_DEMO_JSON \
  "{\"type\":\"image\",\"input_shape\":[1,28,28],\"classes\":10," \
  "\"class_names\":[\"T-shirt/top\",\"Trouser\",\"Pullover\",\"Dress\",\"Coat\"," \
  "\"Sandal\",\"Shirt\",\"Sneaker\",\"Bag\",\"Ankle boot\"],\"value_range\":[0,255]}"

#define TRB_DATA_SCHEMA_MAX_JSON    (64 * 1024)
#define TRB_DATA_SCHEMA_MAX_NAME    256

typedef enum
{
  TRB_DATA_KIND_IMAGE,
  TRB_DATA_KIND_TABULAR,
} TrbDataKind;

/**
 * TrbSchemaVerdict:
 * @TRB_SCHEMA_VERDICT_USABLE: the network can learn from the data as it is
 * @TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES: it can, once some samples are converted or left out
 * @TRB_SCHEMA_VERDICT_UNUSABLE: the data does not fit this network
 */
typedef enum
{
  TRB_SCHEMA_VERDICT_USABLE,
  TRB_SCHEMA_VERDICT_USABLE_WITH_CHANGES,
  TRB_SCHEMA_VERDICT_UNUSABLE,
} TrbSchemaVerdict;

#define TRB_TYPE_DATA_SCHEMA (trb_data_schema_get_type ())

G_DECLARE_FINAL_TYPE (TrbDataSchema, trb_data_schema, TRB, DATA_SCHEMA, GObject)

TrbDataSchema      *trb_data_schema_new_from_json   (const char         *json,
                                                     gssize              length,
                                                     GError            **error);
TrbDataSchema      *trb_data_schema_new_from_node   (JsonNode           *node,
                                                     GError            **error);
TrbDataKind         trb_data_schema_get_kind        (TrbDataSchema      *self);
const TrbSampleShape *trb_data_schema_get_shape     (TrbDataSchema      *self);
guint               trb_data_schema_get_n_classes   (TrbDataSchema      *self);
const char * const *trb_data_schema_get_class_names (TrbDataSchema      *self);
gboolean            trb_data_schema_get_value_range (TrbDataSchema      *self,
                                                     double             *min,
                                                     double             *max);
void                trb_data_schema_fill_options    (TrbDataSchema      *self,
                                                     TrbDatasetFormat    format,
                                                     TrbDatasetOptions  *options);
TrbSchemaVerdict    trb_data_schema_check           (TrbDataSchema      *self,
                                                     TrbDatasetReport   *report,
                                                     GPtrArray         **problems);
const char         *trb_schema_verdict_to_string    (TrbSchemaVerdict    verdict);

G_END_DECLS

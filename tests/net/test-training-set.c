/* test-training-set.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The training set reads shares of a dataset through the datasets readers into the compute
 * engine's TrbDataSource; a contributor's update is built from what was trained on it.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "net/trb-contributor.h"
#include "net/trb-training-set.h"

#define N_SAMPLES 37
#define ROWS      3
#define COLS      2

static void
put_be32 (guint8  *p,
          guint32  v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* A path in the test's own data folder, which is created first. */
static char *
data_path (const char *name)
{
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  return g_build_filename (g_get_user_data_dir (), name, NULL);
}

/* Writes an IDX pair in a new folder: sample i has every pixel equal to i * 5 + j (j its index
 * in the sample) and the label i % 10. Returns the folder. */
static char *
write_idx_pair (void)
{
  g_autofree char *dir = data_path ("idx");
  g_autofree char *images = g_build_filename (dir, "train-images-idx3-ubyte", NULL);
  g_autofree char *labels = g_build_filename (dir, "train-labels-idx1-ubyte", NULL);
  guint8 image_bytes[16 + N_SAMPLES * ROWS * COLS];
  guint8 label_bytes[8 + N_SAMPLES];
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  put_be32 (image_bytes, 0x803);
  put_be32 (image_bytes + 4, N_SAMPLES);
  put_be32 (image_bytes + 8, ROWS);
  put_be32 (image_bytes + 12, COLS);
  put_be32 (label_bytes, 0x801);
  put_be32 (label_bytes + 4, N_SAMPLES);
  for (guint i = 0; i < N_SAMPLES; i++)
    {
      for (guint j = 0; j < ROWS * COLS; j++)
        image_bytes[16 + i * ROWS * COLS + j] = (guint8) (i * 5 + j);
      label_bytes[8 + i] = i % 10;
    }
  g_file_set_contents (images, (const char *) image_bytes, sizeof image_bytes, &error);
  g_assert_no_error (error);
  g_file_set_contents (labels, (const char *) label_bytes, sizeof label_bytes, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&dir);
}

/* Every share holds exactly the samples i with i % n_parts == part, in order, and the shares
 * together hold every sample once. A folder stands for the IDX pair inside it. */
static void
test_shares (void)
{
  g_autofree char *dir = write_idx_pair ();
  g_autofree char *images = g_build_filename (dir, "train-images-idx3-ubyte", NULL);
  gsize total = 0;

  for (guint part = 0; part < 4; part++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TrbTrainingSet) set = trb_training_set_load (part % 2 ? dir : images, part, 4, 0,
                                                             NULL, &error);
      TrbDataSource source;
      const guint8 *features;

      g_assert_no_error (error);
      trb_training_set_get_source (set, &source);
      g_assert_cmpuint (source.n_samples, ==, (N_SAMPLES - part + 3) / 4);
      g_assert_cmpuint (trb_training_set_get_n_samples (set), ==, source.n_samples);
      g_assert_cmpuint (source.feature_size, ==, ROWS * COLS);
      g_assert_cmpint (source.feature_type, ==, TRB_FEATURE_U8);
      g_assert_cmpfloat_with_epsilon (source.u8_scale, 1.0 / 255.0, 1e-12);
      features = source.features;
      for (gsize k = 0; k < source.n_samples; k++)
        {
          guint i = part + 4 * k;

          g_assert_cmpint (source.labels[k], ==, i % 10);
          for (guint j = 0; j < ROWS * COLS; j++)
            g_assert_cmpuint (features[k * ROWS * COLS + j], ==, (guint8) (i * 5 + j));
        }
      total += source.n_samples;
    }
  g_assert_cmpuint (total, ==, N_SAMPLES);
}

/* A limit keeps the first samples of the share; the digest depends on the data alone. */
static void
test_limit_and_digest (void)
{
  g_autofree char *dir = write_idx_pair ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbTrainingSet) five = trb_training_set_load (dir, 1, 2, 5, NULL, &error);
  g_autoptr(TrbTrainingSet) five_again = trb_training_set_load (dir, 1, 2, 5, NULL, &error);
  g_autoptr(TrbTrainingSet) six = trb_training_set_load (dir, 1, 2, 6, NULL, &error);
  g_autoptr(TrbTrainingSet) other = trb_training_set_load (dir, 0, 2, 5, NULL, &error);
  g_autofree char *d5 = NULL, *d5_again = NULL, *d6 = NULL, *d_other = NULL;
  TrbDataSource source;

  g_assert_no_error (error);
  trb_training_set_get_source (five, &source);
  g_assert_cmpuint (source.n_samples, ==, 5);
  g_assert_cmpint (source.labels[4], ==, 9);
  g_assert_cmpuint (trb_training_set_get_n_samples (six), ==, 6);

  d5 = trb_training_set_compute_digest (five);
  d5_again = trb_training_set_compute_digest (five_again);
  d6 = trb_training_set_compute_digest (six);
  d_other = trb_training_set_compute_digest (other);
  g_assert_cmpuint (strlen (d5), ==, 64);
  g_assert_cmpstr (d5, ==, d5_again);
  g_assert_cmpstr (d5, !=, d6);
  g_assert_cmpstr (d5, !=, d_other);
}

/* CSV features arrive as floats, with the label column left out of them. */
static void
test_csv (void)
{
  g_autofree char *path = data_path ("table.csv");
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbTrainingSet) set = NULL;
  TrbDataSource source;
  const float *x;

  g_file_set_contents (path, "a,b,label\n0.5,-2,1\n3,4.25,0\n7,8,2\n", -1, &error);
  g_assert_no_error (error);
  set = trb_training_set_load (path, 0, 1, 0, NULL, &error);
  g_assert_no_error (error);
  trb_training_set_get_source (set, &source);
  g_assert_cmpuint (source.n_samples, ==, 3);
  g_assert_cmpuint (source.feature_size, ==, 2);
  g_assert_cmpint (source.feature_type, ==, TRB_FEATURE_F32);
  x = source.features;
  g_assert_cmpfloat (x[0], ==, 0.5f);
  g_assert_cmpfloat (x[1], ==, -2.0f);
  g_assert_cmpfloat (x[3], ==, 4.25f);
  g_assert_cmpint (source.labels[0], ==, 1);
  g_assert_cmpint (source.labels[2], ==, 2);
}

/* Missing files, unreadable content and empty shares give plain errors. */
static void
test_errors (void)
{
  g_autofree char *dir = write_idx_pair ();
  g_autofree char *garbage = data_path ("garbage.bin");
  g_autofree char *labels = g_build_filename (dir, "train-labels-idx1-ubyte", NULL);
  g_autofree char *images = g_build_filename (dir, "train-images-idx3-ubyte", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbTrainingSet) set = NULL;

  set = trb_training_set_load ("/nonexistent/train-images-idx3-ubyte", 0, 1, 0, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_file_set_contents (garbage, "\x01\x02garbage", -1, &error);
  g_assert_no_error (error);
  set = trb_training_set_load (garbage, 0, 1, 0, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_FORMAT);
  g_clear_error (&error);

  /* More shares than samples: share 40 of 41 is empty. */
  set = trb_training_set_load (images, 40, 41, 0, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY);
  g_clear_error (&error);

  /* Images without their labels. */
  g_assert_cmpint (g_unlink (labels), ==, 0);
  set = trb_training_set_load (images, 0, 1, 0, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_NOT_FOUND);
}

/* Two sets of one 2×3 tensor: base[i] = i / 10, trained[i] = base[i] + (i + 1). */
static void
make_weights (TrbWeights **base,
              TrbWeights **trained)
{
  static const gsize shape[] = { 2, 3 };
  float *b, *t;

  *base = trb_weights_new ();
  *trained = trb_weights_new ();
  b = trb_weights_add (*base, "w", 2, shape);
  t = trb_weights_add (*trained, "w", 2, shape);
  for (int i = 0; i < 6; i++)
    {
      b[i] = i / 10.0f;
      t[i] = b[i] + (i + 1);
    }
}

/* What a contributor sends: trained − base, clipped and noised by the privacy policy, with its
 * metadata and a commitment to the data that is salted (never the same twice) and never the
 * data's own digest. */
static void
test_build_update (void)
{
  g_autofree char *dir = write_idx_pair ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TrbTrainingSet) data = trb_training_set_load (dir, 0, 1, 0, NULL, &error);
  g_autoptr(TrbWeights) base = NULL;
  g_autoptr(TrbWeights) trained = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) clipped = NULL;
  g_autoptr(GBytes) noised = NULL;
  g_autoptr(TrbWeights) u = NULL;
  g_autoptr(TrbWeights) u2 = NULL;
  g_autoptr(TrbWeights) uc = NULL;
  g_autoptr(TrbWeights) un = NULL;
  g_autoptr(TrbWeights) other = NULL;
  g_autofree char *digest = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  double clip = -1, noise = -1;
  const float *d;

  g_assert_no_error (error);
  make_weights (&base, &trained);

  plain = trb_contributor_build_update (0, 0, trained, base, "base-hash", data, 3, 0.25, &error);
  g_assert_no_error (error);
  u = trb_weights_new_from_safetensors (plain, &error);
  g_assert_no_error (error);
  d = trb_weights_get_data (u, 0);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat_with_epsilon (d[i], i + 1, 1e-6);
  g_assert_cmpstr (trb_weights_get_metadata (u, "base_model"), ==, "base-hash");
  g_assert_cmpstr (trb_weights_get_metadata (u, "samples"), ==, "37");
  g_assert_cmpstr (trb_weights_get_metadata (u, "epochs"), ==, "3");
  g_assert_cmpstr (trb_weights_get_metadata (u, "train_loss"), ==, "0.250000");
  digest = trb_training_set_compute_digest (data);
  g_assert_cmpuint (strlen (trb_weights_get_metadata (u, "dataset_commitment")), ==, 64);
  g_assert_cmpstr (trb_weights_get_metadata (u, "dataset_commitment"), !=, digest);

  /* Salted: the same update twice carries two different commitments. */
  again = trb_contributor_build_update (0, 0, trained, base, "base-hash", data, 3, 0.25, &error);
  u2 = trb_weights_new_from_safetensors (again, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (trb_weights_get_metadata (u, "dataset_commitment"), !=,
                   trb_weights_get_metadata (u2, "dataset_commitment"));

  /* The policy read from a task, then clipping to norm 1: the direction is kept. */
  g_assert_true (json_parser_load_from_data (parser, "{\"privacy_policy\":{\"clip_norm\":1,"
                                             "\"noise_multiplier\":1e9}}", -1, NULL));
  trb_contributor_read_privacy_policy (json_node_get_object (json_parser_get_root (parser)),
                                       &clip, &noise);
  g_assert_cmpfloat (clip, ==, 1);
  g_assert_cmpfloat (noise, ==, 100);
  clipped = trb_contributor_build_update (1, 0, trained, base, "base-hash", data, 1, 0, &error);
  uc = trb_weights_new_from_safetensors (clipped, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (trb_weights_l2_norm (uc), 1.0, 1e-5);
  d = trb_weights_get_data (uc, 0);
  for (int i = 1; i < 6; i++)
    g_assert_cmpfloat_with_epsilon (d[i] / d[0], i + 1, 1e-4);

  /* Noise on top of clipping moves every value. */
  noised = trb_contributor_build_update (1, 1, trained, base, "base-hash", data, 1, 0, &error);
  un = trb_weights_new_from_safetensors (noised, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (trb_weights_max_abs_difference (un, uc), >, 0);

  /* Weights of another shape are refused. */
  {
    static const gsize shape[] = { 5 };

    other = trb_weights_new ();
    trb_weights_add (other, "w", 1, shape);
    g_assert_null (trb_contributor_build_update (0, 0, other, base, "x", data, 1, 0, &error));
    g_assert_nonnull (error);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/net/training-set/shares", test_shares);
  g_test_add_func ("/net/training-set/limit-and-digest", test_limit_and_digest);
  g_test_add_func ("/net/training-set/csv", test_csv);
  g_test_add_func ("/net/training-set/errors", test_errors);
  g_test_add_func ("/net/contributor/build-update", test_build_update);

  return g_test_run ();
}

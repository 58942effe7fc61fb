/* test-check-dataset.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The check a joined network's new data passes before it is saved: the demo pictures fit the
 * demo model; pictures of another size are refused in plain words; a missing file is refused.
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>
#include <zlib.h>

#include "participant/trb-participation-manager.h"

static TrbModelSpec *
demo_spec (void)
{
  g_autoptr(GError) error = NULL;
  TrbModelSpec *spec = trb_model_spec_new_from_json (trb_model_spec_json_2nn (), -1, &error);

  g_assert_no_error (error);
  return spec;
}

static void
write_gz (const char   *path,
          const guint8 *data,
          gsize         length)
{
  gzFile f = gzopen (path, "wb");

  g_assert_nonnull (f);
  g_assert_cmpint (gzwrite (f, data, (unsigned) length), ==, (int) length);
  g_assert_cmpint (gzclose (f), ==, Z_OK);
}

/* IDX pictures of side × side pixels and their labels. */
static char *
write_idx (const char *folder,
           guint       side,
           guint       count)
{
  g_autofree guint8 *images = g_malloc0 (16 + count * side * side);
  g_autofree guint8 *labels = g_malloc0 (8 + count);
  g_autofree char *labels_path = g_build_filename (folder, "small-labels-idx1-ubyte.gz", NULL);
  char *images_path = g_build_filename (folder, "small-images-idx3-ubyte.gz", NULL);

  images[2] = 0x08;
  images[3] = 0x03;
  images[7] = count;
  images[11] = side;
  images[15] = side;
  labels[2] = 0x08;
  labels[3] = 0x01;
  labels[7] = count;
  for (guint i = 0; i < count; i++)
    labels[8 + i] = i % 10;
  write_gz (images_path, images, 16 + count * side * side);
  write_gz (labels_path, labels, 8 + count);
  return images_path;
}

static void
test_demo_fits (void)
{
  g_autoptr(TrbModelSpec) spec = demo_spec ();
  g_autofree char *path = g_build_filename (g_getenv ("TRB_SOURCE_ROOT"), "data", "demo",
                                            "demo-train-images-idx3-ubyte.gz", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (trb_participation_check_dataset (path, spec, NULL, &error));
  g_assert_no_error (error);
}

static void
test_other_size_refused (void)
{
  g_autoptr(TrbModelSpec) spec = demo_spec ();
  g_autofree char *folder = g_dir_make_tmp ("trb-check-XXXXXX", NULL);
  g_autofree char *path = write_idx (folder, 8, 20);
  g_autoptr(GError) error = NULL;

  g_assert_false (trb_participation_check_dataset (path, spec, NULL, &error));
  g_assert_error (error, TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA);
  g_assert_nonnull (strstr (error->message, "8 × 8"));
  g_assert_nonnull (strstr (error->message, "28 × 28"));
}

static void
test_missing_refused (void)
{
  g_autoptr(TrbModelSpec) spec = demo_spec ();
  g_autoptr(GError) error = NULL;

  g_assert_false (trb_participation_check_dataset ("/nonexistent/x-images-idx3-ubyte.gz", spec,
                                                   NULL, &error));
  g_assert_error (error, TRB_PARTICIPATION_ERROR, TRB_PARTICIPATION_ERROR_DATA);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/check-dataset/demo-fits", test_demo_fits);
  g_test_add_func ("/check-dataset/other-size-refused", test_other_size_refused);
  g_test_add_func ("/check-dataset/missing-refused", test_missing_refused);
  return g_test_run ();
}

/* trb-image-folder-reader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads a folder with one sub-folder of pictures (PNG or JPEG) per class, the sub-folder's name
 * being the class's name. Pictures are decoded with gdk-pixbuf, resized to the size the task
 * needs and converted to its number of channels. Unreadable pictures are reported and skipped.
 * Only one level of sub-folders is read, so links that loop cannot make the listing run away.
 */

#define G_LOG_DOMAIN "trb-image-folder-reader"

#include "config.h"

#include "trb-image-folder-reader.h"

#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "trb-datasets-private.h"

typedef struct
{
  char *path;
  int   label;
} ImageEntry;

struct _TrbImageFolderReader
{
  GObject         parent_instance;

  char           *path;
  char           *name;
  TrbSampleShape  shape;
  GArray         *entries;
  GPtrArray      *files;
  char          **class_names;
  guint           position;

  guint64         skipped;
  guint64         skipped_at_open;
  GPtrArray      *problems;
  guint           problems_at_open;
  GHashTable     *size_counts;
  guint           n_colour;
  guint           n_grey;
};

static void sample_source_iface_init (TrbSampleSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TrbImageFolderReader, trb_image_folder_reader, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TRB_TYPE_SAMPLE_SOURCE,
                                                      sample_source_iface_init))

static void
clear_entry (gpointer data)
{
  ImageEntry *entry = data;

  g_free (entry->path);
}

static void
trb_image_folder_reader_finalize (GObject *object)
{
  TrbImageFolderReader *self = (TrbImageFolderReader *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->size_counts, g_hash_table_unref);

  G_OBJECT_CLASS (trb_image_folder_reader_parent_class)->finalize (object);
}

static void
trb_image_folder_reader_class_init (TrbImageFolderReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = trb_image_folder_reader_finalize;
}

static void
trb_image_folder_reader_init (TrbImageFolderReader *self)
{
  self->entries = g_array_new (FALSE, FALSE, sizeof (ImageEntry));
  g_array_set_clear_func (self->entries, clear_entry);
  self->files = g_ptr_array_new ();
  self->problems = g_ptr_array_new_with_free_func (g_free);
  self->size_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static gboolean
is_picture_name (const char *name)
{
  static const char * const suffixes[] = { ".png", ".jpg", ".jpeg" };
  gsize len = strlen (name);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      gsize s = strlen (suffixes[i]);
      if (len > s && g_ascii_strcasecmp (name + len - s, suffixes[i]) == 0)
        return TRUE;
    }

  return FALSE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

/* Lists the visible entries of @dir, sorted by name, at most TRB_DATASET_MAX_FILES. */
static GPtrArray *
list_folder (const char  *dir,
             GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) gdir = NULL;
  const char *name;

  gdir = g_dir_open (dir, 0, &local_error);
  if (gdir == NULL)
    {
      int errsv;

      switch (local_error->code)
        {
        case G_FILE_ERROR_NOENT:
          errsv = ENOENT;
          break;
        case G_FILE_ERROR_ACCES:
        case G_FILE_ERROR_PERM:
          errsv = EACCES;
          break;
        case G_FILE_ERROR_LOOP:
          errsv = ELOOP;
          break;
        case G_FILE_ERROR_NOTDIR:
          errsv = ENOTDIR;
          break;
        default:
          errsv = EIO;
          break;
        }
      trb_dataset_set_open_error (error, dir, errsv);
      return NULL;
    }

  while ((name = g_dir_read_name (gdir)) != NULL)
    {
      if (name[0] == '.')
        continue;
      if (names->len >= TRB_DATASET_MAX_FILES)
        {
          g_autofree char *shown = trb_dataset_display_name (dir);
          g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE,
                       g_dngettext (GETTEXT_PACKAGE,
                                    /* Translators: the folder's name, then the limit. */
                                    "“%s” holds more than %u file; Tributary cannot use folders "
                                    "that large.",
                                    "“%s” holds more than %u files; Tributary cannot use folders "
                                    "that large.", TRB_DATASET_MAX_FILES),
                       shown, TRB_DATASET_MAX_FILES);
          return NULL;
        }
      g_ptr_array_add (names, g_strdup (name));
    }

  g_ptr_array_sort (names, compare_strings);
  return g_steal_pointer (&names);
}

static int
wanted_index (TrbImageFolderReader *self,
              const char * const   *wanted,
              const char           *folder)
{
  if (wanted == NULL)
    return -1;
  for (guint i = 0; wanted[i] != NULL; i++)
    if (g_str_equal (wanted[i], folder))
      return i;
  return -2;
}

/* Notes a file or folder that cannot be read as a problem; the rest of the dataset is used. */
static void
leave_out_unreadable (TrbImageFolderReader *self,
                      const char           *path,
                      int                   saved_errno)
{
  g_autoptr(GError) stat_error = NULL;

  trb_dataset_set_open_error (&stat_error, path, saved_errno);
  self->skipped++;
  trb_dataset_add_problem (self->problems, _("%s Left out."), stat_error->message);
}

/* Adds the pictures among @files, in the class folder @sub, with @label (-2 for a folder that is
 * not one of the network's classes: its pictures are counted as skipped). Fails only when the
 * dataset grows past TRB_DATASET_MAX_FILES. */
static gboolean
add_class_pictures (TrbImageFolderReader  *self,
                    const char            *sub,
                    GPtrArray             *files,
                    int                    label,
                    GError               **error)
{
  for (guint j = 0; j < files->len; j++)
    {
      const char *file = g_ptr_array_index (files, j);
      g_autofree char *file_path = NULL;
      ImageEntry image;
      GStatBuf st;

      if (!is_picture_name (file))
        continue;

      file_path = g_build_filename (sub, file, NULL);
      if (g_stat (file_path, &st) != 0)
        {
          leave_out_unreadable (self, file_path, errno);
          continue;
        }
      if (!S_ISREG (st.st_mode))
        continue;
      if (self->entries->len >= TRB_DATASET_MAX_FILES)
        {
          g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE,
                       g_dngettext (GETTEXT_PACKAGE,
                                    /* Translators: the folder's name, then the limit. */
                                    "“%s” holds more than %u picture; Tributary cannot use "
                                    "folders that large.",
                                    "“%s” holds more than %u pictures; Tributary cannot use "
                                    "folders that large.", TRB_DATASET_MAX_FILES),
                       self->name, TRB_DATASET_MAX_FILES);
          return FALSE;
        }

      if (label == -2)
        {
          self->skipped++;
          continue;
        }

      image.path = g_steal_pointer (&file_path);
      image.label = label;
      g_array_append_val (self->entries, image);
    }

  return TRUE;
}

/* Reads one entry of the dataset's top folder: a class folder adds its pictures (a new class
 * goes into @classes), a loose picture is counted in @loose, anything unreadable becomes a
 * problem. Fails only on a limit that makes the whole dataset unusable. */
static gboolean
scan_top_entry (TrbImageFolderReader  *self,
                const char * const    *wanted,
                GPtrArray             *classes,
                const char            *entry,
                guint                 *loose,
                GError               **error)
{
  g_autofree char *sub = g_build_filename (self->path, entry, NULL);
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) sub_error = NULL;
  g_autofree char *shown = g_filename_display_name (entry);
  guint before = self->entries->len;
  GStatBuf st;
  int label;

  if (g_stat (sub, &st) != 0)
    {
      leave_out_unreadable (self, sub, errno);
      return TRUE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      if (is_picture_name (entry))
        (*loose)++;
      return TRUE;
    }

  files = list_folder (sub, &sub_error);
  if (files == NULL)
    {
      if (g_error_matches (sub_error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE))
        {
          g_propagate_error (error, g_steal_pointer (&sub_error));
          return FALSE;
        }
      trb_dataset_add_problem (self->problems, _("%s Left out."), sub_error->message);
      return TRUE;
    }

  label = wanted_index (self, wanted, entry);
  if (label == -1)
    {
      label = classes->len;
      g_ptr_array_add (classes, g_filename_display_name (entry));
    }

  if (!add_class_pictures (self, sub, files, label, error))
    return FALSE;

  if (label == -2)
    trb_dataset_add_problem (self->problems,
                             _("The folder “%s” is not one of the network's classes: its "
                               "pictures are left out."), shown);
  else if (self->entries->len == before)
    trb_dataset_add_problem (self->problems,
                             _("The folder “%s” holds no PNG or JPEG pictures."), shown);
  return TRUE;
}

static gboolean
scan_folders (TrbImageFolderReader  *self,
              const char * const    *wanted,
              GError               **error)
{
  g_autoptr(GPtrArray) top = NULL;
  g_autoptr(GPtrArray) classes = g_ptr_array_new_with_free_func (g_free);
  guint loose = 0;

  top = list_folder (self->path, error);
  if (top == NULL)
    return FALSE;

  for (guint i = 0; i < top->len; i++)
    if (!scan_top_entry (self, wanted, classes, g_ptr_array_index (top, i), &loose, error))
      return FALSE;

  if (loose > 0)
    trb_dataset_add_problem (self->problems,
                             g_dngettext (GETTEXT_PACKAGE,
                                          /* Translators: the number of pictures, then the folder's
                                           * name. */
                                          "%u picture lies directly in “%s”, outside any class "
                                          "folder: it is left out.",
                                          "%u pictures lie directly in “%s”, outside any class "
                                          "folder: they are left out.", loose),
                             loose, self->name);

  if (wanted != NULL)
    self->class_names = g_strdupv ((char **)wanted);
  else
    {
      g_ptr_array_add (classes, NULL);
      self->class_names = (char **)g_ptr_array_free (g_steal_pointer (&classes), FALSE);
    }

  if (self->entries->len == 0)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY,
                   _("“%s” holds no usable pictures. Put the pictures of each class in a "
                     "sub-folder named after the class."), self->name);
      return FALSE;
    }

  for (guint i = 0; i < self->entries->len; i++)
    g_ptr_array_add (self->files, g_array_index (self->entries, ImageEntry, i).path);

  return TRUE;
}

typedef struct
{
  int      width;
  int      height;
  gboolean sized;
} PictureSize;

static void
loader_size_prepared_cb (GdkPixbufLoader *loader,
                         int              width,
                         int              height,
                         gpointer         user_data)
{
  PictureSize *size = user_data;

  size->width = width;
  size->height = height;
  size->sized = TRUE;
}

static gboolean
picture_is_complete (const char *data,
                     gsize       len,
                     gboolean    png)
{
  static const char png_end[12] = "\0\0\0\0IEND\xae\x42\x60\x82";

  if (png)
    {
      /* The IEND chunk closes every PNG; some writers add bytes after it. */
      for (gsize i = len >= 12 + 256 ? len - 12 - 256 : 0; i + 12 <= len; i++)
        if (memcmp (data + i, png_end, 12) == 0)
          return TRUE;
      return FALSE;
    }

  /* The end-of-image marker closes every JPEG, possibly followed by padding. */
  for (gsize i = len >= 2 + 256 ? len - 2 - 256 : 0; i + 2 <= len; i++)
    if ((guint8)data[i] == 0xff && (guint8)data[i + 1] == 0xd9)
      return TRUE;
  return FALSE;
}

/* The type of the picture in @data ("png" or "jpeg"), or %NULL with @problem set when it is
 * neither or is cut off. */
static const char *
check_picture_type (const char  *data,
                    gsize        len,
                    const char  *shown,
                    char       **problem)
{
  const char *type;

  if (len >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    type = "png";
  else if (len >= 3 && memcmp (data, "\xff\xd8\xff", 3) == 0)
    type = "jpeg";
  else
    {
      *problem = g_strdup_printf (_("“%s” is not a PNG or JPEG picture."), shown);
      return NULL;
    }

  /* Decoders may return a half-drawn picture for a cut-off file; insist on its end marker. */
  if (!picture_is_complete (data, len, g_str_equal (type, "png")))
    {
      *problem = g_strdup_printf (_("“%s” is incomplete: the file ends before the end of the "
                                    "picture."), shown);
      return NULL;
    }

  return type;
}

/* Checked as soon as the header is read, before the decoder allocates the pixels. */
static gboolean
picture_size_is_acceptable (const PictureSize *size)
{
  return size->width > 0 && size->height > 0 &&
         (guint)size->width <= TRB_DATASET_MAX_SIDE &&
         (guint)size->height <= TRB_DATASET_MAX_SIDE &&
         (guint64)size->width * size->height <= TRB_DATASET_MAX_SAMPLE_VALUES;
}

/*
 * Decodes a PNG or JPEG picture. The type is told from the file's first bytes rather than by
 * the system's MIME database, which a sandbox may not offer. Data is fed in chunks and the
 * picture's declared size is checked as soon as its header is parsed, before the decoder
 * allocates pixels, so a small file declaring a gigantic picture costs nothing. With
 * @header_only, only the size is read.
 */
static GdkPixbuf *
load_picture (const char  *path,
              gboolean     header_only,
              int         *width,
              int         *height,
              char       **problem)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autofree char *data = NULL;
  g_autofree char *shown = g_filename_display_basename (path);
  PictureSize size = { 0 };
  const char *type = NULL;
  gsize len = 0;
  gsize pos = 0;
  GdkPixbuf *pixbuf;

  if (!g_file_get_contents (path, &data, &len, NULL))
    {
      *problem = g_strdup_printf (_("“%s” cannot be read."), shown);
      return NULL;
    }

  type = check_picture_type (data, len, shown, problem);
  if (type == NULL)
    return NULL;

  loader = gdk_pixbuf_loader_new_with_type (type, NULL);
  if (loader == NULL)
    {
      *problem = g_strdup_printf (_("“%s” cannot be decoded on this computer."), shown);
      return NULL;
    }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (loader_size_prepared_cb), &size);

  while (pos < len)
    {
      gsize chunk = MIN (len - pos, 65536);

      if (!gdk_pixbuf_loader_write (loader, (const guchar *)data + pos, chunk, NULL))
        break;
      pos += chunk;

      if (size.sized)
        {
          if (!picture_size_is_acceptable (&size))
            {
              gdk_pixbuf_loader_close (loader, NULL);
              *problem = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                       /* Translators: the file's name, then its
                                                        * width and height in pixels; the height,
                                                        * the number next to the noun, chooses the
                                                        * plural form. */
                                                       "“%s” is %d×%d pixel, larger than "
                                                       "Tributary accepts.",
                                                       "“%s” is %d×%d pixels, larger than "
                                                       "Tributary accepts.", size.height),
                                          shown, size.width, size.height);
              return NULL;
            }
          if (header_only)
            {
              gdk_pixbuf_loader_close (loader, NULL);
              *width = size.width;
              *height = size.height;
              return NULL;
            }
        }
    }

  if (!gdk_pixbuf_loader_close (loader, NULL) || pos < len ||
      (pixbuf = gdk_pixbuf_loader_get_pixbuf (loader)) == NULL)
    {
      *problem = g_strdup_printf (_("“%s” is damaged or is not really a picture."), shown);
      return NULL;
    }

  *width = gdk_pixbuf_get_width (pixbuf);
  *height = gdk_pixbuf_get_height (pixbuf);
  return g_object_ref (pixbuf);
}

/* The first picture whose size can be read decides the size when the caller gives none. */
static gboolean
guess_size (TrbImageFolderReader  *self,
            GError               **error)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      g_autofree char *problem = NULL;
      int w = 0;
      int h = 0;

      load_picture (g_array_index (self->entries, ImageEntry, i).path, TRUE, &w, &h, &problem);
      if (problem == NULL && w > 0 && h > 0)
        {
          self->shape.width = w;
          self->shape.height = h;
          return TRUE;
        }
    }

  g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_EMPTY,
               _("None of the pictures in “%s” can be read."), self->name);
  return FALSE;
}

/**
 * trb_image_folder_reader_new:
 * @path: a folder with one sub-folder per class
 *
 * Returns: (transfer full): the reader, or %NULL with @error set
 */
TrbImageFolderReader *
trb_image_folder_reader_new (const char               *path,
                             const TrbDatasetOptions  *options,
                             GError                  **error)
{
  static const TrbDatasetOptions defaults = { 0 };
  g_autoptr(TrbImageFolderReader) self = NULL;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);

  if (options == NULL)
    options = &defaults;

  self = g_object_new (TRB_TYPE_IMAGE_FOLDER_READER, NULL);
  self->path = g_strdup (path);
  self->name = trb_dataset_display_name (path);
  self->shape.type = TRB_SAMPLE_TYPE_U8;
  self->shape.channels = options->channels ? options->channels : 3;
  self->shape.height = options->height;
  self->shape.width = options->width;

  if (self->shape.channels != 1 && self->shape.channels != 3 && self->shape.channels != 4)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_SCHEMA,
                   _("Pictures can be converted to 1, 3 or 4 channels, not %u."),
                   self->shape.channels);
      return NULL;
    }

  if (!scan_folders (self, options->class_names, error))
    return NULL;

  if ((self->shape.width == 0 || self->shape.height == 0) && !guess_size (self, error))
    return NULL;

  len = trb_sample_shape_get_len (&self->shape);
  if (self->shape.width > TRB_DATASET_MAX_SIDE || self->shape.height > TRB_DATASET_MAX_SIDE ||
      len > TRB_DATASET_MAX_SAMPLE_VALUES)
    {
      g_set_error (error, TRB_DATASET_ERROR, TRB_DATASET_ERROR_TOO_LARGE,
                   /* Translators: the pictures' width and height in pixels. */
                   _("Pictures of %u×%u are larger than Tributary can train on."),
                   self->shape.width, self->shape.height);
      return NULL;
    }

  self->skipped_at_open = self->skipped;
  self->problems_at_open = self->problems->len;

  return g_steal_pointer (&self);
}

/**
 * trb_image_folder_reader_get_size_counts:
 *
 * Returns: (transfer none) (element-type utf8 uint): how many of the pictures decoded so far
 *   had each original size, keyed "WIDTHxHEIGHT"
 */
GHashTable *
trb_image_folder_reader_get_size_counts (TrbImageFolderReader *self)
{
  g_return_val_if_fail (TRB_IS_IMAGE_FOLDER_READER (self), NULL);

  return self->size_counts;
}

guint
trb_image_folder_reader_get_n_colour (TrbImageFolderReader *self)
{
  g_return_val_if_fail (TRB_IS_IMAGE_FOLDER_READER (self), 0);

  return self->n_colour;
}

guint
trb_image_folder_reader_get_n_grey (TrbImageFolderReader *self)
{
  g_return_val_if_fail (TRB_IS_IMAGE_FOLDER_READER (self), 0);

  return self->n_grey;
}

/**
 * trb_image_folder_reader_get_files:
 *
 * Returns: (transfer none) (element-type filename): every picture file, in reading order
 */
GPtrArray *
trb_image_folder_reader_get_files (TrbImageFolderReader *self)
{
  g_return_val_if_fail (TRB_IS_IMAGE_FOLDER_READER (self), NULL);

  return self->files;
}

static gboolean
is_grey (GdkPixbuf *pixbuf)
{
  int w = gdk_pixbuf_get_width (pixbuf);
  int h = gdk_pixbuf_get_height (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  int n = gdk_pixbuf_get_n_channels (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = pixels + (gsize)y * stride + (gsize)x * n;
        if (p[0] != p[1] || p[1] != p[2])
          return FALSE;
      }

  return TRUE;
}

/* Writes @pixbuf (already at the target size) as HWC bytes with the target channels. */
static void
convert_pixels (TrbImageFolderReader *self,
                GdkPixbuf            *pixbuf,
                guint8               *out)
{
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  int n = gdk_pixbuf_get_n_channels (pixbuf);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  guint c = self->shape.channels;

  for (guint y = 0; y < self->shape.height; y++)
    for (guint x = 0; x < self->shape.width; x++)
      {
        const guint8 *p = pixels + (gsize)y * stride + (gsize)x * n;
        guint8 *o = out + ((gsize)y * self->shape.width + x) * c;
        guint a = alpha ? p[3] : 255;
        guint rgb[3];

        /* Transparent parts are shown over white, as viewers show them. */
        for (guint k = 0; k < 3; k++)
          rgb[k] = (p[k] * a + 255 * (255 - a) + 127) / 255;

        if (c == 1)
          o[0] = (299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2] + 500) / 1000;
        else
          {
            for (guint k = 0; k < 3; k++)
              o[k] = c == 4 ? p[k] : rgb[k];
            if (c == 4)
              o[3] = a;
          }
      }
}

static gboolean
decode_one (TrbImageFolderReader  *self,
            const char            *path,
            guint8                *out,
            char                 **problem)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) scaled = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = g_filename_display_basename (path);
  GStatBuf st;
  int w = 0;
  int h = 0;

  if (g_stat (path, &st) != 0)
    {
      trb_dataset_set_open_error (&error, path, errno);
      *problem = g_strdup (error->message);
      return FALSE;
    }
  if ((guint64)st.st_size > TRB_DATASET_MAX_IMAGE_FILE)
    {
      /* Translators: the file's name, then the size limit in megabytes. */
      *problem = g_strdup_printf (_("“%s” is too large for a picture (over %u MB)."), shown,
                                  TRB_DATASET_MAX_IMAGE_FILE / (1024 * 1024));
      return FALSE;
    }
  pixbuf = load_picture (path, FALSE, &w, &h, problem);
  if (pixbuf == NULL)
    return FALSE;

  {
    char *key = g_strdup_printf ("%dx%d", w, h);
    guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->size_counts, key));
    g_hash_table_replace (self->size_counts, key, GUINT_TO_POINTER (count + 1));
  }
  if (gdk_pixbuf_get_n_channels (pixbuf) >= 3 && is_grey (pixbuf))
    self->n_grey++;
  else
    self->n_colour++;

  if ((guint)w != self->shape.width || (guint)h != self->shape.height)
    {
      scaled = gdk_pixbuf_scale_simple (pixbuf, self->shape.width, self->shape.height,
                                        GDK_INTERP_BILINEAR);
      if (scaled == NULL)
        {
          *problem = g_strdup_printf (_("“%s” could not be resized."), shown);
          return FALSE;
        }
    }

  convert_pixels (self, scaled ? scaled : pixbuf, out);
  return TRUE;
}

static gboolean
trb_image_folder_reader_read (TrbSampleSource  *source,
                              TrbSampleBatch   *batch,
                              GCancellable     *cancellable,
                              GError          **error)
{
  TrbImageFolderReader *self = TRB_IMAGE_FOLDER_READER (source);
  guint n = 0;

  while (n < batch->capacity && self->position < self->entries->len)
    {
      const ImageEntry *entry = &g_array_index (self->entries, ImageEntry, self->position);
      g_autofree char *problem = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      self->position++;
      if (decode_one (self, entry->path, batch->u8 + (gsize)n * batch->sample_len, &problem))
        {
          batch->labels[n++] = entry->label;
          continue;
        }

      self->skipped++;
      trb_dataset_add_problem (self->problems, _("%s Left out."), problem);
    }

  batch->n = n;
  return TRUE;
}

static const TrbSampleShape *
trb_image_folder_reader_get_shape (TrbSampleSource *source)
{
  return &TRB_IMAGE_FOLDER_READER (source)->shape;
}

static gint64
trb_image_folder_reader_get_n_samples (TrbSampleSource *source)
{
  return TRB_IMAGE_FOLDER_READER (source)->entries->len;
}

static gboolean
trb_image_folder_reader_rewind (TrbSampleSource  *source,
                                GError          **error)
{
  TrbImageFolderReader *self = TRB_IMAGE_FOLDER_READER (source);

  self->position = 0;
  self->skipped = self->skipped_at_open;
  g_ptr_array_set_size (self->problems, self->problems_at_open);
  g_hash_table_remove_all (self->size_counts);
  self->n_colour = self->n_grey = 0;
  return TRUE;
}

static guint64
trb_image_folder_reader_get_skipped (TrbSampleSource *source)
{
  return TRB_IMAGE_FOLDER_READER (source)->skipped;
}

static GPtrArray *
trb_image_folder_reader_get_problems (TrbSampleSource *source)
{
  return TRB_IMAGE_FOLDER_READER (source)->problems;
}

static const char * const *
trb_image_folder_reader_get_class_names (TrbSampleSource *source)
{
  return (const char * const *)TRB_IMAGE_FOLDER_READER (source)->class_names;
}

static void
sample_source_iface_init (TrbSampleSourceInterface *iface)
{
  iface->get_shape = trb_image_folder_reader_get_shape;
  iface->get_n_samples = trb_image_folder_reader_get_n_samples;
  iface->read = trb_image_folder_reader_read;
  iface->rewind = trb_image_folder_reader_rewind;
  iface->get_skipped = trb_image_folder_reader_get_skipped;
  iface->get_problems = trb_image_folder_reader_get_problems;
  iface->get_class_names = trb_image_folder_reader_get_class_names;
}

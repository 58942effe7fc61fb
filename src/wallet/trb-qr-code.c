/* trb-qr-code.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small QR code encoder: byte mode, error correction level M, versions 1–10. The steps are
 * those of ISO/IEC 18004: the bit stream (mode, count, bytes, terminator, padding), Reed-Solomon
 * error correction per block over GF(256) with the polynomial 0x11d, block interleaving, the
 * function patterns, the zig-zag data placement, and the mask with the lowest penalty.
 */

#define G_LOG_DOMAIN "trb-qr-code"

#include "config.h"

#include "trb-qr-code.h"

#include <glib/gi18n.h>
#include <string.h>

#include "trb-wallet-error.h"

struct _TrbQrCode
{
  guint   version;
  guint   size;
  guint   mask;
  guint8 *modules;     /* size × size, 1 = dark */
  guint8 *function;    /* size × size, 1 = part of a function pattern */
};

/* Error correction level M, per version: error correction codewords per block, then the number
 * of blocks and data codewords per block in the first and second groups. */
static const struct {
  guint8 ec_per_block;
  guint8 g1_blocks, g1_data;
  guint8 g2_blocks, g2_data;
} ecc_m[TRB_QR_MAX_VERSION + 1] = {
  { 0, 0, 0, 0, 0 },
  { 10, 1, 16, 0, 0 },
  { 16, 1, 28, 0, 0 },
  { 26, 1, 44, 0, 0 },
  { 18, 2, 32, 0, 0 },
  { 24, 2, 43, 0, 0 },
  { 16, 4, 27, 0, 0 },
  { 18, 4, 31, 0, 0 },
  { 22, 2, 38, 2, 39 },
  { 22, 3, 36, 2, 37 },
  { 26, 4, 43, 1, 44 },
};

/* Centres of the alignment patterns along each axis; 0 ends a list. */
static const guint8 alignment[TRB_QR_MAX_VERSION + 1][4] = {
  { 0 }, { 0 },
  { 6, 18 }, { 6, 22 }, { 6, 26 }, { 6, 30 }, { 6, 34 },
  { 6, 22, 38 }, { 6, 24, 42 }, { 6, 26, 46 }, { 6, 28, 50 },
};

static guint
data_codewords (guint version)
{
  return ecc_m[version].g1_blocks * ecc_m[version].g1_data +
         ecc_m[version].g2_blocks * ecc_m[version].g2_data;
}

/* GF(256) ------------------------------------------------------------------------------ */

static guint8
gf_mul (guint8 a,
        guint8 b)
{
  guint r = 0;

  for (int i = 7; i >= 0; i--)
    {
      r = (r << 1) ^ ((r >> 7) * 0x11d);
      if ((b >> i) & 1)
        r ^= a;
    }
  return (guint8)r;
}

/* The generator polynomial of the given degree, highest coefficient (always 1) left out. */
static void
rs_generator (guint   degree,
              guint8 *gen)
{
  guint8 root = 1;

  memset (gen, 0, degree);
  gen[degree - 1] = 1;
  for (guint i = 0; i < degree; i++)
    {
      for (guint j = 0; j < degree; j++)
        {
          gen[j] = gf_mul (gen[j], root);
          if (j + 1 < degree)
            gen[j] ^= gen[j + 1];
        }
      root = gf_mul (root, 0x02);
    }
}

static void
rs_remainder (const guint8 *data,
              guint         len,
              const guint8 *gen,
              guint         degree,
              guint8       *out)
{
  memset (out, 0, degree);
  for (guint i = 0; i < len; i++)
    {
      guint8 factor = data[i] ^ out[0];

      memmove (out, out + 1, degree - 1);
      out[degree - 1] = 0;
      for (guint j = 0; j < degree; j++)
        out[j] ^= gf_mul (gen[j], factor);
    }
}

/* Matrix ------------------------------------------------------------------------------- */

static void
set_function (TrbQrCode *self,
              int        x,
              int        y,
              gboolean   dark)
{
  if (x < 0 || y < 0 || x >= (int)self->size || y >= (int)self->size)
    return;
  self->modules[y * self->size + x] = !!dark;
  self->function[y * self->size + x] = 1;
}

static void
draw_finder (TrbQrCode *self,
             int        cx,
             int        cy)
{
  for (int dy = -4; dy <= 4; dy++)
    for (int dx = -4; dx <= 4; dx++)
      {
        int dist = MAX (ABS (dx), ABS (dy));
        set_function (self, cx + dx, cy + dy, dist != 2 && dist != 4);
      }
}

static void
draw_alignment (TrbQrCode *self,
                int        cx,
                int        cy)
{
  for (int dy = -2; dy <= 2; dy++)
    for (int dx = -2; dx <= 2; dx++)
      set_function (self, cx + dx, cy + dy, MAX (ABS (dx), ABS (dy)) != 1);
}

static void
draw_format (TrbQrCode *self,
             guint      mask)
{
  /* Level M is 00. */
  guint data = (0 << 3) | mask;
  guint rem = data;
  guint bits;
  int size = self->size;

  for (int i = 0; i < 10; i++)
    rem = (rem << 1) ^ ((rem >> 9) * 0x537);
  bits = ((data << 10) | rem) ^ 0x5412;

  for (int i = 0; i <= 5; i++)
    set_function (self, 8, i, (bits >> i) & 1);
  set_function (self, 8, 7, (bits >> 6) & 1);
  set_function (self, 8, 8, (bits >> 7) & 1);
  set_function (self, 7, 8, (bits >> 8) & 1);
  for (int i = 9; i < 15; i++)
    set_function (self, 14 - i, 8, (bits >> i) & 1);

  for (int i = 0; i < 8; i++)
    set_function (self, size - 1 - i, 8, (bits >> i) & 1);
  for (int i = 8; i < 15; i++)
    set_function (self, 8, size - 15 + i, (bits >> i) & 1);
  set_function (self, 8, size - 8, TRUE);
}

static void
draw_version (TrbQrCode *self)
{
  guint rem = self->version;
  guint bits;

  if (self->version < 7)
    return;
  for (int i = 0; i < 12; i++)
    rem = (rem << 1) ^ ((rem >> 11) * 0x1f25);
  bits = (self->version << 12) | rem;
  for (int i = 0; i < 18; i++)
    {
      gboolean dark = (bits >> i) & 1;
      int a = self->size - 11 + i % 3;
      int b = i / 3;

      set_function (self, a, b, dark);
      set_function (self, b, a, dark);
    }
}

static void
draw_function_patterns (TrbQrCode *self)
{
  int size = self->size;
  guint n_align = 0;

  for (int i = 0; i < size; i++)
    {
      set_function (self, 6, i, i % 2 == 0);
      set_function (self, i, 6, i % 2 == 0);
    }
  draw_finder (self, 3, 3);
  draw_finder (self, size - 4, 3);
  draw_finder (self, 3, size - 4);

  while (n_align < 4 && alignment[self->version][n_align] != 0)
    n_align++;
  for (guint i = 0; i < n_align; i++)
    for (guint j = 0; j < n_align; j++)
      {
        /* Not over the three finder patterns. */
        if ((i == 0 && j == 0) || (i == 0 && j == n_align - 1) || (i == n_align - 1 && j == 0))
          continue;
        draw_alignment (self, alignment[self->version][i], alignment[self->version][j]);
      }

  draw_format (self, 0);
  draw_version (self);
}

static void
place_data (TrbQrCode    *self,
            const guint8 *codewords,
            guint         n_codewords)
{
  int size = self->size;
  guint bit = 0;

  for (int right = size - 1; right >= 1; right -= 2)
    {
      if (right == 6)
        right = 5;
      for (int vert = 0; vert < size; vert++)
        for (int j = 0; j < 2; j++)
          {
            int x = right - j;
            gboolean upward = ((right + 1) & 2) == 0;
            int y = upward ? size - 1 - vert : vert;

            if (self->function[y * size + x])
              continue;
            if (bit < n_codewords * 8)
              self->modules[y * size + x] = (codewords[bit / 8] >> (7 - bit % 8)) & 1;
            bit++;
          }
    }
}

static gboolean
mask_bit (guint mask,
          int   x,
          int   y)
{
  switch (mask)
    {
    case 0: return (x + y) % 2 == 0;
    case 1: return y % 2 == 0;
    case 2: return x % 3 == 0;
    case 3: return (x + y) % 3 == 0;
    case 4: return (x / 3 + y / 2) % 2 == 0;
    case 5: return x * y % 2 + x * y % 3 == 0;
    case 6: return (x * y % 2 + x * y % 3) % 2 == 0;
    case 7: return ((x + y) % 2 + x * y % 3) % 2 == 0;
    default: g_assert_not_reached ();
    }
}

static void
apply_mask (TrbQrCode *self,
            guint      mask)
{
  int size = self->size;

  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      if (!self->function[y * size + x] && mask_bit (mask, x, y))
        self->modules[y * size + x] ^= 1;
}

static gboolean
dark_at (const TrbQrCode *self,
         int              x,
         int              y,
         gboolean         transposed)
{
  return transposed ? self->modules[x * self->size + y] : self->modules[y * self->size + x];
}

/* Penalty rules 1 (runs) and 3 (finder-like patterns) along rows, or columns when transposed. */
static guint
line_penalty (const TrbQrCode *self,
              gboolean         transposed)
{
  static const guint8 finder_like[7] = { 1, 0, 1, 1, 1, 0, 1 };
  int size = self->size;
  guint penalty = 0;

  for (int y = 0; y < size; y++)
    {
      int run = 1;

      for (int x = 1; x <= size; x++)
        {
          if (x < size && dark_at (self, x, y, transposed) == dark_at (self, x - 1, y, transposed))
            run++;
          else
            {
              if (run >= 5)
                penalty += 3 + (run - 5);
              run = 1;
            }
        }

      for (int x = 0; x + 7 <= size; x++)
        {
          gboolean match = TRUE;
          gboolean light_before = TRUE;
          gboolean light_after = TRUE;

          for (int k = 0; k < 7 && match; k++)
            match = dark_at (self, x + k, y, transposed) == finder_like[k];
          if (!match)
            continue;
          for (int k = 1; k <= 4; k++)
            {
              if (x - k >= 0 && dark_at (self, x - k, y, transposed))
                light_before = FALSE;
              if (x + 6 + k < size && dark_at (self, x + 6 + k, y, transposed))
                light_after = FALSE;
            }
          if (light_before || light_after)
            penalty += 40;
        }
    }
  return penalty;
}

static guint
penalty_score (const TrbQrCode *self)
{
  int size = self->size;
  guint penalty = line_penalty (self, FALSE) + line_penalty (self, TRUE);
  guint dark = 0;
  guint total = size * size;
  int k;

  for (int y = 0; y + 1 < size; y++)
    for (int x = 0; x + 1 < size; x++)
      {
        gboolean c = dark_at (self, x, y, FALSE);
        if (c == dark_at (self, x + 1, y, FALSE) && c == dark_at (self, x, y + 1, FALSE) &&
            c == dark_at (self, x + 1, y + 1, FALSE))
          penalty += 3;
      }

  for (guint i = 0; i < total; i++)
    dark += self->modules[i];
  /* 10 points for each full 5 % away from half dark. */
  k = (ABS ((int)(dark * 20) - (int)(total * 10)) + (int)total - 1) / (int)total - 1;
  penalty += MAX (k, 0) * 10;
  return penalty;
}

/* The smallest version whose byte mode holds @len bytes, or 0 when none up to
 * TRB_QR_MAX_VERSION does. */
static guint
smallest_version (gsize len)
{
  for (guint v = 1; v <= TRB_QR_MAX_VERSION; v++)
    {
      guint count_bits = v <= 9 ? 8 : 16;

      if (4 + count_bits + 8 * len <= data_codewords (v) * 8)
        return v;
    }
  return 0;
}

/* The bit stream: byte mode, the count, the bytes, a terminator, then padding, filling the
 * data codewords of @version exactly. */
static guint8 *
build_data_stream (const guint8 *data,
                   gsize         len,
                   guint         version)
{
  guint n_data = data_codewords (version);
  guint count_bits = version <= 9 ? 8 : 16;
  guint8 *stream = g_malloc0 (n_data);
  guint bit_len = 0;

#define PUT_BITS(value, n)                                                  \
  for (int b_ = (n) - 1; b_ >= 0; b_--, bit_len++)                          \
    if ((((guint)(value)) >> b_) & 1)                                       \
      stream[bit_len / 8] |= 0x80 >> (bit_len % 8);
  PUT_BITS (0x4, 4);
  PUT_BITS (len, count_bits);
  for (gsize i = 0; i < len; i++)
    PUT_BITS (data[i], 8);
#undef PUT_BITS
  bit_len += MIN (4u, n_data * 8 - bit_len);
  bit_len = (bit_len + 7) / 8 * 8;
  for (guint i = bit_len / 8, pad = 0; i < n_data; i++, pad++)
    stream[i] = pad % 2 == 0 ? 0xec : 0x11;

  return stream;
}

/* Error correction per block, then data and error correction interleaved, as the symbol
 * holds them; @n_final is set to the number of codewords. */
static guint8 *
interleave_blocks (const guint8 *stream,
                   guint         version,
                   guint        *n_final)
{
  guint n_blocks = ecc_m[version].g1_blocks + ecc_m[version].g2_blocks;
  guint ec_len = ecc_m[version].ec_per_block;
  guint8 gen[32];
  guint8 ec[TRB_QR_MAX_VERSION * 8][32];
  guint offsets[TRB_QR_MAX_VERSION * 8];
  guint lengths[TRB_QR_MAX_VERSION * 8];
  guint offset = 0;
  guint max_len = 0;
  guint8 *final;

  rs_generator (ec_len, gen);
  final = g_malloc0 (data_codewords (version) + n_blocks * ec_len);
  *n_final = 0;

  for (guint b = 0; b < n_blocks; b++)
    {
      lengths[b] = b < ecc_m[version].g1_blocks ? ecc_m[version].g1_data
                                                : ecc_m[version].g2_data;
      offsets[b] = offset;
      offset += lengths[b];
      max_len = MAX (max_len, lengths[b]);
      rs_remainder (stream + offsets[b], lengths[b], gen, ec_len, ec[b]);
    }
  for (guint i = 0; i < max_len; i++)
    for (guint b = 0; b < n_blocks; b++)
      if (i < lengths[b])
        final[(*n_final)++] = stream[offsets[b] + i];
  for (guint i = 0; i < ec_len; i++)
    for (guint b = 0; b < n_blocks; b++)
      final[(*n_final)++] = ec[b][i];

  return final;
}

/* Tries the eight masks on the placed data and keeps the one with the lowest penalty; the
 * first wins a tie. */
static guint
choose_mask (TrbQrCode *self)
{
  guint best = G_MAXUINT;
  guint chosen = 0;

  for (guint m = 0; m < 8; m++)
    {
      guint score;

      apply_mask (self, m);
      draw_format (self, m);
      score = penalty_score (self);
      if (score < best)
        {
          best = score;
          chosen = m;
        }
      apply_mask (self, m);
    }
  return chosen;
}

/**
 * trb_qr_code_encode:
 * @data: (array length=len): the bytes
 * @mask: 0–7, or %TRB_QR_MASK_AUTO to choose the mask with the lowest penalty
 *
 * Returns: (transfer full): the code in the smallest version that holds @data, or %NULL with
 *   @error set when @data does not fit in version 10
 */
TrbQrCode *
trb_qr_code_encode (const guint8  *data,
                    gsize          len,
                    int            mask,
                    GError       **error)
{
  g_autoptr(TrbQrCode) self = NULL;
  g_autofree guint8 *stream = NULL;
  g_autofree guint8 *final = NULL;
  guint version;
  guint n_final = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (mask >= TRB_QR_MASK_AUTO && mask <= 7, NULL);

  version = smallest_version (len);
  if (version == 0)
    {
      g_set_error (error, TRB_WALLET_ERROR, TRB_WALLET_ERROR_INVALID_TEXT,
                   _("The text is too long for a QR code."));
      return NULL;
    }

  stream = build_data_stream (data, len, version);
  final = interleave_blocks (stream, version, &n_final);

  self = g_new0 (TrbQrCode, 1);
  self->version = version;
  self->size = 17 + 4 * version;
  self->modules = g_malloc0 (self->size * self->size);
  self->function = g_malloc0 (self->size * self->size);
  draw_function_patterns (self);
  place_data (self, final, n_final);

  if (mask == TRB_QR_MASK_AUTO)
    mask = choose_mask (self);
  self->mask = mask;
  apply_mask (self, mask);
  draw_format (self, mask);
  return g_steal_pointer (&self);
}

TrbQrCode *
trb_qr_code_encode_text (const char  *text,
                         GError     **error)
{
  g_return_val_if_fail (text != NULL, NULL);

  return trb_qr_code_encode ((const guint8 *)text, strlen (text), TRB_QR_MASK_AUTO, error);
}

guint
trb_qr_code_get_size (const TrbQrCode *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->size;
}

guint
trb_qr_code_get_version (const TrbQrCode *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->version;
}

guint
trb_qr_code_get_mask (const TrbQrCode *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->mask;
}

gboolean
trb_qr_code_get_module (const TrbQrCode *self,
                        guint            x,
                        guint            y)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (x >= self->size || y >= self->size)
    return FALSE;
  return self->modules[y * self->size + x];
}

void
trb_qr_code_free (TrbQrCode *self)
{
  if (self == NULL)
    return;
  g_free (self->modules);
  g_free (self->function);
  g_free (self);
}

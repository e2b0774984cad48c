/* CSV reader kernel on libcsv. No R headers: see read.h. */
#include "read.h"

#include <csv.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* for the few functions that run once per field */
#if defined(__GNUC__)
#define PA_HOT static inline __attribute__((always_inline))
#else
#define PA_HOT static inline
#endif

/* Sizes; a test build can make them tiny to cut small files into many
 * parts. */
#ifndef PA_BLOCK
#define PA_BLOCK (1u << 20)   /* bytes read at a time by a single thread */
#endif
#ifndef PA_PIECE
#define PA_PIECE (1u << 20)   /* bytes a thread takes at a time */
#endif
#ifndef PA_MIN_PIECE
#define PA_MIN_PIECE (1u << 16) /* smaller pieces are not worth a thread */
#endif
#define PA_PIECES_PER_THREAD 8 /* pieces per thread in one read */
#define PA_MAX_PIECES 64
#define PA_SNIFF_LINES 30     /* lines looked at to guess the delimiter */
#define PA_CUT_TRIES 64       /* line starts tried when cutting a piece */
#define PA_CUT_LINES 4        /* lines checked after a candidate cut */
#define PA_DEFERRED 2         /* rows that may be Qualtrics header rows */

/* libcsv's parser states (libcsv.c), read to decide whether a parser
 * stopped between two records or inside a quoted field */
#define LIBCSV_ROW_NOT_BEGUN 0
#define LIBCSV_FIELD_NOT_BEGUN 1
#define LIBCSV_FIELD_BEGUN 2

/* ------------------------------------------------------------------ */
/* byte stores */

static int bytes_grow(pa_bytes *b, size_t extra) {
  size_t cap = b->cap ? b->cap : 32; /* small: wide files have many */
  while (cap < b->len + extra) {
    if (cap > SIZE_MAX / 2) return -1;
    cap *= 2;
  }
  unsigned char *d = realloc(b->data, cap);
  if (!d) return -1;
  b->data = d;
  b->cap = cap;
  return 0;
}

static inline int bytes_reserve(pa_bytes *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  return bytes_grow(b, extra);
}

/* Copy n bytes; most fields are short, and a call to memcpy() costs more
 * than copying them with two overlapping moves. */
static inline void copy_bytes(unsigned char *d, const unsigned char *s,
                              size_t n) {
  if (n >= 16) {
    memcpy(d, s, n);
  } else if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + n - 8, 8);
    memcpy(d, &a, 8);
    memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + n - 4, 4);
    memcpy(d, &a, 4);
    memcpy(d + n - 4, &b, 4);
  } else if (n) {
    d[0] = s[0];
    d[n / 2] = s[n / 2];
    d[n - 1] = s[n - 1];
  }
}

/* Bytes of the <varint len> before a field. */
static inline size_t varint_size(size_t len) {
  size_t n = 1;
  while (len >= 0x80) {
    len >>= 7;
    n++;
  }
  return n;
}

/* Append <varint len><bytes>; returns the offset of the bytes, or
 * (size_t) -1 when memory runs out. */
PA_HOT size_t bytes_put_field(pa_bytes *b, const unsigned char *s,
                              size_t len) {
  if (bytes_reserve(b, len + 10)) return (size_t) -1;
  size_t n = len;
  unsigned char *p = b->data + b->len;
  while (n >= 0x80) {
    *p++ = (unsigned char) (n | 0x80);
    n >>= 7;
  }
  *p++ = (unsigned char) n;
  copy_bytes(p, s, len);
  size_t at = (size_t) (p - b->data);
  b->len = at + len;
  return at;
}

static void bytes_free(pa_bytes *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* iterating over stores */

static void iter_store(pa_iter *it, const pa_bytes *b) {
  it->p = b->data;
  it->end = b->data ? b->data + b->len : NULL;
}

/* Move to the next part's store of the column; 0 when there is none. */
int pa_iter_advance(pa_iter *it) {
  if (it->part < 0) return 0;
  while (it->part + 1 < it->r->npart) {
    it->part++;
    iter_store(it, &it->r->parts[it->part]->cols[it->j].text);
    if (it->p < it->end) return 1;
  }
  return 0;
}

static void iter_skip(pa_iter *it, size_t k) {
  const unsigned char *s;
  size_t len;
  while (k-- > 0 && pa_iter_next(it, &s, &len)) {
  }
}

void pa_iter_column(const pa_reader *r, int j, size_t skip, pa_iter *it) {
  it->r = r;
  it->j = j;
  it->part = 0;
  it->p = it->end = NULL;
  if (r->npart > 0) iter_store(it, &r->parts[0]->cols[j].text);
  iter_skip(it, skip);
}

/* One part's store only, from its first row. */
static void iter_part(const pa_part *g, int j, pa_iter *it) {
  it->r = NULL;
  it->j = j;
  it->part = -1;
  iter_store(it, &g->cols[j].text);
}

void pa_iter_part(const pa_reader *r, int k, int j, size_t skip,
                  pa_iter *it) {
  iter_part(r->parts[k], j, it);
  iter_skip(it, skip);
}

void pa_iter_names(const pa_reader *r, pa_iter *it) {
  it->r = r;
  it->j = -1;
  it->part = -1;
  iter_store(it, &r->names);
}

static void index_stop(pa_col *c);

/* Free a column's buffers; returns about how many bytes that was. */
static size_t col_free(pa_col *c) {
  size_t n = c->text.cap + c->vcap * sizeof(double) +
             (c->ix ? c->ix->ids_cap * sizeof(uint32_t) : 0);
  bytes_free(&c->text);
  free(c->vals);
  c->vals = NULL;
  c->nvals = c->vcap = 0;
  index_stop(c);
  return n;
}

size_t pa_column_release(pa_reader *r, int j) {
  size_t n = 0;
  for (int k = 0; k < r->npart; k++) n += col_free(&r->parts[k]->cols[j]);
  return n;
}

size_t pa_first_row(const pa_reader *r) { return r->qualtrics ? 2 : 0; }

/* ------------------------------------------------------------------ */
/* problems */

typedef struct {
  pa_problem **items;
  size_t *n, *cap;
  pa_bytes *text;
} problem_list;

static size_t put_text(pa_bytes *t, const unsigned char *s, size_t len) {
  size_t at = t->len;
  if (bytes_reserve(t, len + 1)) return (size_t) -1;
  if (len) memcpy(t->data + at, s, len);
  t->data[at + len] = '\0';
  t->len += len + 1;
  return at;
}

static int add_problem(problem_list l, int64_t row, int64_t line, int column,
                       int kind, const char *expected,
                       const unsigned char *actual, size_t actual_len,
                       int dropped) {
  if (*l.n == *l.cap) {
    size_t cap = *l.cap ? 2 * *l.cap : 16;
    pa_problem *p = realloc(*l.items, cap * sizeof(*p));
    if (!p) return -1;
    *l.items = p;
    *l.cap = cap;
  }
  /* keep the recorded value short: it is for a person to read */
  if (actual_len > 200) actual_len = 200;
  size_t e = put_text(l.text, (const unsigned char *) expected,
                      strlen(expected));
  size_t a = put_text(l.text, actual, actual_len);
  if (e == (size_t) -1 || a == (size_t) -1) return -1;
  pa_problem *p = &(*l.items)[(*l.n)++];
  p->row = row;
  p->line = line;
  p->column = column;
  p->kind = kind;
  p->expected = e;
  p->actual = a;
  p->dropped = dropped;
  return 0;
}

static problem_list reader_problems(pa_reader *r) {
  problem_list l = {&r->problems, &r->nproblem, &r->problem_cap,
                    &r->problem_text};
  return l;
}

static problem_list part_problems(pa_part *g) {
  problem_list l = {&g->problems, &g->nproblem, &g->problem_cap,
                    &g->problem_text};
  return l;
}

int pa_add_problem(pa_reader *r, int64_t row, int64_t line, int column,
                   int kind, const char *expected, const unsigned char *actual,
                   size_t actual_len, int dropped) {
  return add_problem(reader_problems(r), row, line, column, kind, expected,
                     actual, actual_len, dropped);
}

/* ------------------------------------------------------------------ */
/* reader and parts */

void pa_reader_init(pa_reader *r) {
  memset(r, 0, sizeof(*r));
  r->nthreads = 1;
  r->na_int = INT_MIN;
  r->na_real = NAN;
}

static void part_free(pa_part *g, int ncol) {
  if (!g) return;
  if (g->cols) {
    for (int j = 0; j < ncol; j++) col_free(&g->cols[j]);
    free(g->cols);
  }
  free(g->row_line);
  free(g->line_off);
  free(g->problems);
  bytes_free(&g->problem_text);
  bytes_free(&g->unquoted);
  free(g);
}

static void release_file(pa_reader *r) {
  if (r->parser) {
    struct csv_parser *p = r->parser;
    for (int k = 0; k < r->nparser; k++) csv_free(&p[k]);
    free(p);
    r->parser = NULL;
  }
  r->nparser = 0;
  free(r->buf);
  free(r->buf2);
  r->buf = r->buf2 = NULL;
  r->buf_cap = 0;
  if (r->fp) fclose(r->fp);
  r->fp = NULL;
}

void pa_reader_free(pa_reader *r) {
  release_file(r);
  bytes_free(&r->names);
  if (r->parts) {
    for (int k = 0; k < r->npart + r->nflight; k++) {
      part_free(r->parts[k], r->ncol);
    }
    free(r->parts);
  }
  free(r->row_line);
  free(r->problems);
  bytes_free(&r->problem_text);
  r->parts = NULL;
  r->npart = r->nflight = r->part_cap = 0;
  r->row_line = NULL;
  r->problems = NULL;
}

static void set_error(pa_reader *r, int status, int64_t line, int column,
                      const char *msg) {
  if (r->status) return; /* keep the first error */
  r->status = status;
  r->err_line = line;
  r->err_column = column;
  snprintf(r->msg, sizeof(r->msg), "%s", msg);
}

static void part_error(pa_part *g, int status, int64_t line,
                       const char *text) {
  if (g->status) return;
  g->fast_ncol = 0;
  g->status = status;
  g->err_line = line;
  g->err_text = text;
}

/* Which fields take the common path in on_field(): all of a record's
 * while the part is sound, past the header and the deferred rows, and
 * classifies values as they come; none otherwise. */
static void update_fast(pa_part *g) {
  const pa_reader *r = g->r;
  g->fast_ncol = (!g->status && r->header_done && g->eager &&
                  g->nrow >= g->skip)
                     ? r->ncol
                     : 0;
}

static void col_init(pa_col *c) {
  if (c->rows_hint < 1024) c->rows_hint = 1024;
  c->can = PA_CAN_LGL | PA_CAN_INT | PA_CAN_DBL;
  c->kind = PA_VALS_NA;
  c->index = PA_INDEX_OFF;
  c->first_invalid = c->first_nul = -1;
  c->simple = 1;
  c->na_k = -1;
  c->compact = 0;
}

static int part_alloc_cols(pa_part *g, int ncol) {
  g->cols = calloc((size_t) ncol + 1, sizeof(pa_col));
  if (!g->cols) return -1;
  for (int j = 0; j < ncol; j++) col_init(&g->cols[j]);
  return 0;
}

static int never_space(unsigned char c) {
  (void) c;
  return 0;
}

static void parser_reset(pa_reader *r, int slot) {
  struct csv_parser *p = (struct csv_parser *) r->parser + slot;
  csv_free(p);
  /* strict, so that the parser stops at a quote out of place and the
   * kernel decides what it means (see parse_into()) */
  csv_init(p, CSV_REPALL_NL | CSV_STRICT);
  /* libcsv grows a field's buffer by this much at a time (128 bytes by
   * default): a long field would be copied over and over */
  csv_set_blk_size(p, 1u << 16);
  /* spaces are data: libcsv's default would trim them around fields */
  csv_set_space_func(p, never_space);
  csv_set_delim(p, r->delim);
}

/* A new part, in flight after the parts kept so far. */
static pa_part *part_new(pa_reader *r, int slot, size_t skip) {
  if (r->npart + r->nflight == r->part_cap) {
    int cap = r->part_cap ? 2 * r->part_cap : 16;
    pa_part **p = realloc(r->parts, (size_t) cap * sizeof(*p));
    if (!p) return NULL;
    r->parts = p;
    r->part_cap = cap;
  }
  pa_part *g = calloc(1, sizeof(pa_part));
  if (!g) return NULL;
  g->r = r;
  g->slot = slot;
  g->skip = skip;
  g->last_term = '\n'; /* every part but the first starts after a LF */
  g->eager = 1;
  if (r->header_done && part_alloc_cols(g, r->ncol)) {
    free(g);
    return NULL;
  }
  update_fast(g);
  r->parts[r->npart + r->nflight++] = g;
  parser_reset(r, slot);
  return g;
}

/* ------------------------------------------------------------------ */
/* values */

/* Is the field one of the missing-value strings? */
int pa_is_na(const pa_na *na, const unsigned char *s, size_t len) {
  for (int k = 0; k < na->n; k++) {
    if (na->len[k] == len && (len == 0 || memcmp(na->s[k], s, len) == 0)) {
      return 1;
    }
  }
  return 0;
}

/* Which missing-value string the field is (the first that matches), or
 * -1. */
static int na_which(const pa_na *na, const unsigned char *s, size_t len) {
  for (int k = 0; k < na->n; k++) {
    if (na->len[k] == len && (len == 0 || memcmp(na->s[k], s, len) == 0)) {
      return k;
    }
  }
  return -1;
}

int pa_parse_lgl(const unsigned char *s, size_t len, int *out) {
  switch (len) {
  case 1:
    if (s[0] == 'T' || s[0] == 'F') {
      *out = s[0] == 'T';
      return 1;
    }
    return 0;
  case 4:
    if (!memcmp(s, "TRUE", 4) || !memcmp(s, "True", 4) ||
        !memcmp(s, "true", 4)) {
      *out = 1;
      return 1;
    }
    return 0;
  case 5:
    if (!memcmp(s, "FALSE", 5) || !memcmp(s, "False", 5) ||
        !memcmp(s, "false", 5)) {
      *out = 0;
      return 1;
    }
    return 0;
  default:
    return 0;
  }
}

static inline void trim(const unsigned char **s, size_t *len) {
  while (*len && **s == ' ') {
    (*s)++;
    (*len)--;
  }
  while (*len && (*s)[*len - 1] == ' ') (*len)--;
}

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* An integer: optional sign, digits without a leading zero (unless the
 * number is 0). Returns 1 if it fits a 32-bit R integer, 2 if it is an
 * integer that does not, 0 otherwise. */
/* The common integer: an optional minus and 1 to 9 digits without a
 * leading zero, so no overflow and no spaces to trim. Returns 0 when the
 * general parser has to decide. */
static inline int int_fast(const unsigned char *s, size_t len, int *out) {
  if (!len || len > 10) return 0;
  const unsigned char *p = s + (*s == '-');
  size_t n = (size_t) (s + len - p);
  if (!n || n > 9 || (n > 1 && *p == '0')) return 0;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(p[i])) return 0;
    v = v * 10 + (p[i] - '0');
  }
  *out = p == s ? v : -v;
  return 1;
}

int pa_parse_int(const unsigned char *s, size_t len, int *out) {
  if (int_fast(s, len, out)) return 1;
  trim(&s, &len);
  if (!len) return 0;
  int neg = 0;
  if (*s == '+' || *s == '-') {
    neg = *s == '-';
    s++;
    len--;
  }
  if (!len || len > 40) return 0;
  if (s[0] == '0' && len > 1) return 0;
  int64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (!is_digit(s[i])) return 0;
    if (v <= INT_MAX) v = v * 10 + (s[i] - '0');
  }
  if (v > INT_MAX) return 2; /* INT_MIN is R's NA: excluded too */
  *out = neg ? (int) -v : (int) v;
  return 1;
}

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A decimal number with the given decimal mark, an exponent, or Inf/NaN.
 * Values are correctly rounded: small mantissas and exponents take the
 * exact fast path (both operands exact doubles, one rounding), the rest go
 * through strtod(). Leading zeros in the integer part ("007.5") make the
 * value text, as identifiers are often written that way. */
/* The common decimal number: an optional minus, digits without a leading
 * zero, an optional decimal mark and digits, 15 digits at most. The
 * mantissa is then exact, and the quotient is the one the general path
 * below computes. Returns 0 when the general parser has to decide. */
static inline int dbl_fast(const unsigned char *s, size_t len,
                           unsigned char decimal, double *out) {
  if (!len || len > 17) return 0;
  const unsigned char *p = s + (*s == '-'), *end = s + len, *d = p;
  uint64_t m = 0;
  while (p < end && is_digit(*p)) m = m * 10 + (uint64_t) (*p++ - '0');
  size_t nint = (size_t) (p - d), nfrac = 0;
  if (!nint || (nint > 1 && *d == '0')) return 0;
  if (p < end && *p == decimal) {
    const unsigned char *f = ++p;
    while (p < end && is_digit(*p)) m = m * 10 + (uint64_t) (*p++ - '0');
    nfrac = (size_t) (p - f);
  }
  if (p != end || nint + nfrac > 15) return 0;
  double v = (double) m;
  if (nfrac) v /= pow10_exact[nfrac];
  *out = d == s ? v : -v;
  return 1;
}

/* Does a double hold the integer written with these digits exactly? The
 * nearest double, printed in full ("%.0f" prints every digit), must give
 * the same digits back. */
static int exact_integer(const unsigned char *digits, size_t n) {
  char small[64];
  if (n + 1 > sizeof(small) || n > 40) return 0; /* beyond any id */
  memcpy(small, digits, n);
  small[n] = '\0';
  double v = strtod(small, NULL);
  char back[400];
  int m = snprintf(back, sizeof(back), "%.0f", v);
  return m > 0 && (size_t) m == n && memcmp(back, small, n) == 0;
}

int pa_parse_dbl(const unsigned char *s, size_t len, unsigned char decimal,
                 double *out) {
  if (dbl_fast(s, len, decimal, out)) return 1;
  trim(&s, &len);
  if (!len) return 0;
  const unsigned char *p = s, *end = s + len;
  int neg = 0;
  if (*p == '+' || *p == '-') {
    neg = *p == '-';
    p++;
  }
  size_t rest = (size_t) (end - p);
  if (rest == 3 && memcmp(p, "Inf", 3) == 0) {
    *out = neg ? -HUGE_VAL : HUGE_VAL;
    return 1;
  }
  if (rest == 3 && memcmp(p, "NaN", 3) == 0 && p == s) {
    *out = NAN;
    return 1;
  }
  uint64_t mant = 0;
  int ndig = 0, nint = 0, nfrac = 0, dropped = 0;
  const unsigned char *int_start = p;
  while (p < end && is_digit(*p)) {
    if (ndig < 19) {
      mant = mant * 10 + (uint64_t) (*p - '0');
      if (mant) ndig++;
    } else {
      dropped++;
    }
    nint++;
    p++;
  }
  if (nint > 1 && *int_start == '0') return 0;
  int frac_exp = 0;
  if (p < end && *p == decimal) {
    p++;
    while (p < end && is_digit(*p)) {
      if (ndig < 19) {
        mant = mant * 10 + (uint64_t) (*p - '0');
        if (mant) ndig++;
        frac_exp--;
      }
      nfrac++;
      p++;
    }
  }
  if (nint + nfrac == 0) return 0;
  int exp10 = 0, has_exp = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    has_exp = 1;
    p++;
    int eneg = 0;
    if (p < end && (*p == '+' || *p == '-')) {
      eneg = *p == '-';
      p++;
    }
    if (p == end) return 0;
    while (p < end && is_digit(*p)) {
      if (exp10 < 100000) exp10 = exp10 * 10 + (*p - '0');
      p++;
    }
    if (eneg) exp10 = -exp10;
  }
  if (p != end) return 0;
  /* Integer-looking text with more digits than a double always holds
   * (ids, account numbers) stays text unless the double is exact: two
   * distinct ids must never become one number. */
  if (nfrac == 0 && !has_exp && ndig + dropped > 15 &&
      !exact_integer(int_start, (size_t) nint)) {
    return 0;
  }
  int e = exp10 + frac_exp + dropped;
  if (ndig <= 15 && e >= -22 && e <= 22) {
    double v = (double) mant;
    v = e < 0 ? v / pow10_exact[-e] : v * pow10_exact[e];
    *out = neg ? -v : v;
    return 1;
  }
  /* slow path: strtod on a copy with '.' as the decimal mark */
  char small[128];
  char *tmp = len < sizeof(small) ? small : malloc(len + 1);
  if (!tmp) return 0;
  for (size_t i = 0; i < len; i++) {
    tmp[i] = (s[i] == decimal) ? '.' : (char) s[i];
  }
  tmp[len] = '\0';
  char *stop;
  double v = strtod(tmp, &stop);
  int ok = (stop == tmp + len);
  if (tmp != small) free(tmp);
  if (!ok) return 0;
  *out = v;
  return 1;
}

unsigned pa_field_types(const unsigned char *s, size_t len,
                        unsigned char decimal) {
  int iv;
  double dv;
  if (pa_parse_lgl(s, len, &iv)) return PA_CAN_LGL;
  int k = pa_parse_int(s, len, &iv);
  if (k == 1) return PA_CAN_INT | PA_CAN_DBL;
  if (k == 2) return pa_parse_dbl(s, len, decimal, &dv) ? PA_CAN_DBL : 0;
  if (pa_parse_dbl(s, len, decimal, &dv)) return PA_CAN_DBL;
  return 0;
}

int pa_column_type(unsigned can, size_t n_value) {
  if (n_value == 0 || (can & PA_CAN_LGL)) return PA_LGL;
  if (can & PA_CAN_INT) return PA_INT;
  if (can & PA_CAN_DBL) return PA_DBL;
  return PA_CHR;
}

/* ------------------------------------------------------------------ */
/* encodings */

/* Length of the valid UTF-8 sequence at s[0], or 0 if none starts there. */
static size_t utf8_seq(const unsigned char *s, size_t len) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    cp = c & 0x07;
  } else {
    return 0;
  }
  for (size_t k = 1; k <= n; k++) {
    if (k >= len || (s[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n + 1;
}

int pa_utf8_valid(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    size_t n = utf8_seq(s + i, len - i);
    if (!n) return 0;
    i += n;
  }
  return 1;
}

/* `out` must hold 2 * len bytes. */
size_t pa_latin1_to_utf8(const unsigned char *s, size_t len,
                         unsigned char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out[o++] = c;
    } else {
      out[o++] = (unsigned char) (0xC0 | (c >> 6));
      out[o++] = (unsigned char) (0x80 | (c & 0x3F));
    }
  }
  return o;
}

/* Windows-1252: Latin-1 except 0x80-0x9F, where Windows puts the euro
 * sign, curly quotes, dashes and the oe ligature. The five bytes it leaves
 * undefined keep their Latin-1 (C1 control) meaning. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

/* `out` must hold 3 * len bytes. */
size_t pa_cp1252_to_utf8(const unsigned char *s, size_t len,
                         unsigned char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned c = s[i];
    if (c >= 0x80 && c < 0xA0) c = cp1252_high[c - 0x80];
    if (c < 0x80) {
      out[o++] = (unsigned char) c;
    } else if (c < 0x800) {
      out[o++] = (unsigned char) (0xC0 | (c >> 6));
      out[o++] = (unsigned char) (0x80 | (c & 0x3F));
    } else {
      out[o++] = (unsigned char) (0xE0 | (c >> 12));
      out[o++] = (unsigned char) (0x80 | ((c >> 6) & 0x3F));
      out[o++] = (unsigned char) (0x80 | (c & 0x3F));
    }
  }
  return o;
}


/* Valid UTF-8 with every byte that is not part of a valid sequence written
 * as "<xx>" (as R's iconv(sub = "byte") does), so that the text can be
 * printed and written to a file. `out` must hold 4 * len bytes. */
size_t pa_utf8_escape(const unsigned char *s, size_t len, unsigned char *out) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0, i = 0;
  while (i < len) {
    size_t n = utf8_seq(s + i, len - i);
    if (n) {
      memcpy(out + o, s + i, n);
      o += n;
      i += n;
    } else {
      out[o++] = '<';
      out[o++] = (unsigned char) hex[s[i] >> 4];
      out[o++] = (unsigned char) hex[s[i] & 15];
      out[o++] = '>';
      i++;
    }
  }
  return o;
}

/* Evidence for the encoding from one field: fields with bytes above 0x7F
 * are counted as valid UTF-8 or not, and bytes 0x80-0x9F outside valid
 * UTF-8 (the Windows-1252 punctuation) are noted. */
void pa_encoding_evidence(const unsigned char *s, size_t len,
                          pa_evidence *ev) {
  size_t i = 0;
  while (i < len && s[i] < 0x80) i++;
  if (i == len) return;
  if (pa_utf8_valid(s, len)) {
    ev->n_utf8++;
    return;
  }
  ev->n_invalid++;
  for (; i < len; i++) {
    if (s[i] >= 0x80 && s[i] < 0xA0) {
      ev->c1 = 1;
      break;
    }
  }
}

/* Newlines inside a (quoted) field advance the physical line count; a
 * CR LF pair counts once. */
static int64_t count_newlines(const unsigned char *s, size_t len) {
  int64_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] > '\r') continue;
    if (s[i] == '\n') {
      n++;
    } else if (s[i] == '\r') {
      n++;
      if (i + 1 < len && s[i + 1] == '\n') i++;
    }
  }
  return n;
}

/* What a text value holds besides ASCII: line breaks (added to *lines),
 * bytes above 0x7F and NUL bytes; and a hash of it. Eight bytes at a time:
 * a byte below 0x0E (NUL, LF, CR and a few others) sets the top bit of
 * (w - 0x0E..) & ~w. */
#define HAS_HIGH 1
#define HAS_NUL 2
static unsigned scan_text(const unsigned char *s, size_t len, int64_t *lines,
                          uint64_t *hash) {
  const uint64_t ones = 0x0101010101010101u, tops = 0x8080808080808080u;
  uint64_t any = 0, low = 0, h = 0x9E3779B97F4A7C15u ^ (uint64_t) len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    any |= w;
    low |= (w - 14 * ones) & ~w;
    h = (h ^ w) * 0xFF51AFD7ED558CCDu;
    h ^= h >> 29;
  }
  uint64_t t = 0;
  for (unsigned k = 0; i < len; i++, k += 8) {
    any |= s[i];
    low |= (uint64_t) (s[i] < 14) << 7;
    t |= (uint64_t) s[i] << k;
  }
  h = (h ^ t) * 0xC4CEB9FE1A85EC53u;
  *hash = h ^ (h >> 32);
  unsigned out = (any & tops) ? HAS_HIGH : 0;
  if (low & tops) {
    *lines += count_newlines(s, len);
    if (memchr(s, '\0', len)) out |= HAS_NUL;
  }
  return out;
}

/* ------------------------------------------------------------------ */
/* type inference as the records come */

/* Is the field a missing value? Most fields have a length no NA string
 * has, which one bit test rules out. */
static inline int is_na_at(const pa_reader *r, const unsigned char *s,
                           size_t len) {
  uint64_t bit = (uint64_t) 1 << (len < 63 ? len : 63);
  return (r->na_lens & bit) && pa_is_na(r->na, s, len);
}

static uint64_t na_lengths(const pa_na *na) {
  uint64_t m = 0;
  for (int k = 0; k < na->n; k++) {
    m |= (uint64_t) 1 << (na->len[k] < 63 ? na->len[k] : 63);
  }
  return m;
}

static int vals_reserve(pa_col *c, size_t size) {
  if (c->nvals < c->vcap) return 0;
  size_t cap = c->vcap ? 2 * c->vcap : 1024;
  void *v = realloc(c->vals, cap * size);
  if (!v) return -1;
  c->vals = v;
  c->vcap = cap;
  return 0;
}

static void vals_drop(pa_col *c) {
  free(c->vals);
  c->vals = NULL;
  c->nvals = c->vcap = 0;
  c->kind = PA_VALS_NONE;
}

/* Start a buffer of `kind` once the first value arrives: the rows before
 * it were all missing. (Until then `vals` may hold a buffer of `vcap`
 * bytes that part_reserve() set aside.) */
static int vals_start(const pa_reader *r, pa_col *c, int kind) {
  size_t n = c->nvals, size = kind == PA_VALS_DBL ? sizeof(double)
                                                  : sizeof(int);
  size_t cap = n + 1 > c->rows_hint ? 2 * (n + 1) : c->rows_hint;
  void *v;
  if (c->vals && c->vcap >= cap * size) {
    /* the buffer part_reserve() set aside (vcap bytes) */
    v = c->vals;
    cap = c->vcap / size;
  } else {
    v = malloc(cap * size);
    if (!v) return -1;
    free(c->vals);
  }
  if (kind == PA_VALS_DBL) {
    double *d = v;
    for (size_t i = 0; i < n; i++) d[i] = r->na_real;
  } else {
    int *d = v;
    for (size_t i = 0; i < n; i++) d[i] = r->na_int;
  }
  c->vals = v;
  c->vcap = cap;
  c->kind = kind;
  return 0;
}

/* A column of integers meets its first non-integer number: read the
 * values so far again, as doubles, from their text (so that "-0" stays a
 * negative zero). */
static int vals_to_double(const pa_reader *r, const pa_part *g, int j) {
  pa_col *c = &g->cols[j];
  size_t cap = c->vcap;
  double *d = malloc(cap * sizeof(double));
  if (!d) return -1;
  if (c->compact == PA_TEXT_LAZY) {
    /* no text kept, and none needed: each integer was written plainly
     * (no "-0"), and so is exactly its double */
    const int *iv = c->vals;
    for (size_t i = 0; i < c->nvals; i++) {
      d[i] = iv[i] == r->na_int ? r->na_real : (double) iv[i];
    }
    free(c->vals);
    c->vals = d;
    c->kind = PA_VALS_DBL;
    return 0;
  }
  pa_iter it;
  const unsigned char *s;
  size_t len;
  iter_part(g, j, &it);
  iter_skip(&it, g->skip);
  for (size_t i = 0; i < c->nvals && pa_iter_next(&it, &s, &len); i++) {
    if (is_na_at(r, s, len) || !pa_parse_dbl(s, len, r->decimal, &d[i])) {
      d[i] = r->na_real;
    }
  }
  free(c->vals);
  c->vals = d;
  c->kind = PA_VALS_DBL;
  return 0;
}

/* Is `s` the text pa_column_text() writes for its value? For a logical
 * "TRUE" or "FALSE"; for an integer its digits with no sign but a minus,
 * no leading zero and no space ("-0" is not: it reads as 0); for a double
 * the same, with at most 15 digits in all, a fraction that does not end in
 * 0, and a value of 0 or at least 1e-4 in size, which "%.15g" writes back
 * digit for digit (a double holds 15 significant digits exactly). */
static int simple_text(int kind, const unsigned char *s, size_t len,
                       unsigned char decimal, double v) {
  if (kind == PA_VALS_LGL) {
    return (len == 4 && !memcmp(s, "TRUE", 4)) ||
           (len == 5 && !memcmp(s, "FALSE", 5));
  }
  size_t i = 0;
  if (i < len && s[i] == '-') i++;
  size_t i0 = i;
  while (i < len && is_digit(s[i])) i++;
  size_t ndig = i - i0;
  if (!ndig || (ndig > 1 && s[i0] == '0')) return 0;
  if (kind == PA_VALS_INT) {
    return i == len && !(len == 2 && s[0] == '-' && s[1] == '0');
  }
  if (i < len) {
    if (s[i] != decimal) return 0;
    size_t f0 = ++i;
    while (i < len && is_digit(s[i])) i++;
    if (i == f0 || s[i - 1] == '0') return 0;
    ndig += i - f0;
  }
  return i == len && ndig <= 15 && (v == 0 || fabs(v) >= 1e-4);
}

/* Record a value in the typed buffer while the column can still be
 * logical or numeric. Returns 1 if it was, 0 if the column is (now) text,
 * -1 when memory runs out. */
static int take_value_(const pa_reader *r, const pa_part *g, int j,
                       const unsigned char *s, size_t len, double *v);
static int text_materialize(const pa_reader *r, const pa_part *g, int j,
                            int with_current);

static int take_value(const pa_reader *r, const pa_part *g, int j,
                      const unsigned char *s, size_t len) {
  pa_col *c = &g->cols[j];
  double v = 0;
  int took = take_value_(r, g, j, s, len, &v);
  if (took == 1 && c->simple &&
      !simple_text(c->kind, s, len, r->decimal, v)) {
    c->simple = 0;
    if (c->compact == PA_TEXT_LAZY && text_materialize(r, g, j, 1)) {
      return -1;
    }
  }
  return took;
}

static int take_value_(const pa_reader *r, const pa_part *g, int j,
                       const unsigned char *s, size_t len, double *v) {
  pa_col *c = &g->cols[j];
  int iv = 0, k;
  double dv = 0;
  switch (c->kind) {
  case PA_VALS_NONE:
    return 0;
  case PA_VALS_NA:
    if (pa_parse_lgl(s, len, &iv)) {
      if (vals_start(r, c, PA_VALS_LGL)) return -1;
      c->can = PA_CAN_LGL;
      ((int *) c->vals)[c->nvals++] = iv;
      return 1;
    }
    k = pa_parse_int(s, len, &iv);
    if (k == 1) {
      if (vals_start(r, c, PA_VALS_INT)) return -1;
      c->can = PA_CAN_INT | PA_CAN_DBL;
      ((int *) c->vals)[c->nvals++] = iv;
      return 1;
    }
    if (pa_parse_dbl(s, len, r->decimal, &dv)) {
      if (vals_start(r, c, PA_VALS_DBL)) return -1;
      c->can = PA_CAN_DBL;
      ((double *) c->vals)[c->nvals++] = dv;
      *v = dv;
      return 1;
    }
    break;
  case PA_VALS_LGL:
    if (pa_parse_lgl(s, len, &iv)) {
      if (vals_reserve(c, sizeof(int))) return -1;
      ((int *) c->vals)[c->nvals++] = iv;
      return 1;
    }
    break;
  case PA_VALS_INT:
    k = pa_parse_int(s, len, &iv);
    if (k == 1) {
      if (vals_reserve(c, sizeof(int))) return -1;
      ((int *) c->vals)[c->nvals++] = iv;
      return 1;
    }
    if (pa_parse_dbl(s, len, r->decimal, &dv)) {
      if (vals_to_double(r, g, j) || vals_reserve(c, sizeof(double))) {
        return -1;
      }
      c->can = PA_CAN_DBL;
      ((double *) c->vals)[c->nvals++] = dv;
      *v = dv;
      return 1;
    }
    break;
  case PA_VALS_DBL:
    if (pa_parse_dbl(s, len, r->decimal, &dv)) {
      if (vals_reserve(c, sizeof(double))) return -1;
      ((double *) c->vals)[c->nvals++] = dv;
      *v = dv;
      return 1;
    }
    break;
  }
  /* the column is text: the rows so far need theirs */
  if (c->compact == PA_TEXT_LAZY && text_materialize(r, g, j, 1)) return -1;
  c->can = 0;
  vals_drop(c);
  return 0;
}

static int take_na(const pa_reader *r, pa_col *c) {
  switch (c->kind) {
  case PA_VALS_NA:
    c->nvals++;
    return 0;
  case PA_VALS_LGL:
  case PA_VALS_INT:
    if (vals_reserve(c, sizeof(int))) return -1;
    ((int *) c->vals)[c->nvals++] = r->na_int;
    return 0;
  case PA_VALS_DBL:
    if (vals_reserve(c, sizeof(double))) return -1;
    ((double *) c->vals)[c->nvals++] = r->na_real;
    return 0;
  default:
    return 0;
  }
}

/* Text columns repeat themselves (dates, categories, a few phrases): each
 * row of a text column gets the number of its value among the column's
 * distinct values in the part, so that the glue makes one R string per
 * distinct value rather than one per row. A column whose values are mostly
 * distinct (identifiers) stops being indexed. */
#define PA_INDEX_MIN 1024 /* distinct values before judging */

static int index_grow_table(pa_col *c) {
  pa_index *x = c->ix;
  size_t size = x->dict_size ? 2 * x->dict_size : 256;
  pa_slot *t = calloc(size, sizeof(pa_slot));
  if (!t) return -1;
  for (size_t k = 0; k < x->dict_size; k++) {
    if (!x->dict[k].id1) continue;
    size_t at = (size_t) x->dict[k].hash & (size - 1);
    while (t[at].id1) at = (at + 1) & (size - 1);
    t[at] = x->dict[k];
  }
  free(x->dict);
  x->dict = t;
  x->dict_size = size;
  return 0;
}

static void index_stop(pa_col *c) {
  pa_index *x = c->ix;
  if (!x) return;
  free(x->ids);
  free(x->dict);
  free(x->distinct);
  free(x);
  c->ix = NULL;
}

PA_HOT int index_push(pa_col *c, uint32_t id) {
  pa_index *x = c->ix;
  if (x->nids == x->ids_cap) {
    size_t cap = x->ids_cap ? 2 * x->ids_cap : (c->rows_hint ? c->rows_hint : 1024);
    uint32_t *p = realloc(x->ids, cap * sizeof(uint32_t));
    if (!p) return -1;
    x->ids = p;
    x->ids_cap = cap;
  }
  x->ids[x->nids++] = id;
  return 0;
}

/* memcmp() for the short strings of survey answers, without the call */
static inline int same_bytes(const unsigned char *a, const unsigned char *b,
                             size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    if (x != y) return 0;
  }
  for (; i < n; i++) {
    if (a[i] != b[i]) return 0;
  }
  return 1;
}

/* The value at offset `at` of the column's text, with hash h. Returns 0,
 * -1 when memory runs out, or 2 when a PA_TEXT_DISTINCT column would stop
 * being indexed (see classify_value()). */
static int index_add(pa_col *c, const unsigned char *s, size_t len,
                     size_t at, uint64_t h) {
  if (c->index != PA_INDEX_ON) return 0;
  pa_index *x = c->ix;
  size_t mask = x->dict_size - 1, k = (size_t) h & mask;
  for (; x->dict[k].id1; k = (k + 1) & mask) {
    if (x->dict[k].hash != h) continue;
    const pa_distinct *d = &x->distinct[x->dict[k].id1 - 1];
    if (d->len == len && same_bytes(c->text.data + d->at, s, len)) {
      return index_push(c, x->dict[k].id1 - 1);
    }
  }
  if ((x->ndistinct >= PA_INDEX_MIN && 2 * (size_t) x->ndistinct > x->nids) ||
      len > UINT32_MAX || x->ndistinct == UINT32_MAX - 1) {
    /* a column keeping only its distinct values needs the rows' text
     * written back first, which the caller does */
    if (c->compact == PA_TEXT_DISTINCT) return 2;
    c->index = PA_INDEX_GAVE_UP;
    index_stop(c);
    return 0;
  }
  if (x->ndistinct == x->distinct_cap) {
    size_t cap = x->distinct_cap ? 2 * x->distinct_cap : 64;
    pa_distinct *p = realloc(x->distinct, cap * sizeof(pa_distinct));
    if (!p) return -1;
    x->distinct = p;
    x->distinct_cap = (uint32_t) cap;
  }
  uint32_t id = x->ndistinct++;
  x->distinct[id].at = at;
  x->distinct[id].len = (uint32_t) len;
  x->dict[k].id1 = id + 1;
  x->dict[k].hash = h;
  if (2 * (size_t) x->ndistinct > x->dict_size && index_grow_table(c)) {
    return -1;
  }
  return index_push(c, id);
}

static int index_na(pa_col *c) {
  return c->index == PA_INDEX_ON ? index_push(c, PA_ID_NA) : 0;
}

/* A column turns out to be text at `row`: index the rows before it. */
static int index_start(const pa_reader *r, const pa_part *g, int j,
                       int64_t row) {
  pa_col *c = &g->cols[j];
  if (c->index == PA_INDEX_GAVE_UP) return 0; /* the part before did */
  /* (part_reserve() may have set one up, with room for the ids) */
  if (!c->ix) c->ix = calloc(1, sizeof(pa_index));
  if (!c->ix) return -1;
  c->index = PA_INDEX_ON;
  if (index_grow_table(c)) return -1;
  pa_iter it;
  const unsigned char *s;
  size_t len;
  iter_part(g, j, &it);
  iter_skip(&it, g->skip);
  for (int64_t i = (int64_t) g->skip; i < row && pa_iter_next(&it, &s, &len);
       i++) {
    int64_t lines = 0;
    uint64_t h;
    int bad = is_na_at(r, s, len)
                  ? index_na(c)
                  : (scan_text(s, len, &lines, &h),
                     index_add(c, s, len, (size_t) (s - c->text.data), h));
    if (bad) return -1;
  }
  return 0;
}

/* Classify one value of column j on row `row` of the part, and convert it
 * while the column can still be logical or numeric. Line breaks inside
 * the value are added to *lines. */
PA_HOT int classify_value(const pa_reader *r, pa_part *g, int j,
                          const unsigned char *s, size_t len, size_t at,
                          int64_t row, int64_t *lines) {
  pa_col *c = &g->cols[j];
  uint64_t h;
  if (len > c->max_len) c->max_len = len;
  if (is_na_at(r, s, len)) {
    c->n_na++;
    if (len) scan_text(s, len, lines, &h);
    if (c->na_k != -2) {
      int k = na_which(r->na, s, len);
      if (c->na_k == -1 && k < 100) {
        c->na_k = (signed char) k;
      } else if (c->na_k != k) {
        /* (the rows before are written back with the NA string so far) */
        if ((c->compact == PA_TEXT_LAZY || c->compact == PA_TEXT_DISTINCT) &&
            text_materialize(r, g, j, 1)) {
          return -1;
        }
        c->na_k = -2;
      }
    }
    return c->kind == PA_VALS_NONE ? index_na(c) : take_na(r, c);
  }
  c->n_value++;
  /* the usual cases here, the rest (growing, changing type) in take_value */
  int iv;
  double dv;
  switch (c->kind) {
  case PA_VALS_INT:
    if (c->nvals < c->vcap && int_fast(s, len, &iv)) {
      ((int *) c->vals)[c->nvals++] = iv;
      /* "-0" reads as 0, which is written back as "0" */
      if (iv == 0 && len == 2) {
        c->simple = 0;
        if (c->compact == PA_TEXT_LAZY) return text_materialize(r, g, j, 1);
      }
      return 0;
    }
    break;
  case PA_VALS_DBL:
    if (c->nvals < c->vcap && dbl_fast(s, len, r->decimal, &dv)) {
      ((double *) c->vals)[c->nvals++] = dv;
      /* (dbl_fast() takes a minus, digits without a leading zero and a
       * fraction: what is left to look at is the fraction's end and
       * the size) */
      if (c->simple && (s[len - 1] == '0' || s[len - 1] == r->decimal ||
                        (dv != 0 && fabs(dv) < 1e-4))) {
        c->simple = simple_text(PA_VALS_DBL, s, len, r->decimal, dv);
        if (!c->simple && c->compact == PA_TEXT_LAZY) {
          return text_materialize(r, g, j, 1);
        }
      }
      return 0;
    }
    break;
  default:
    break;
  }
  if (c->kind != PA_VALS_NONE) {
    int lazy = c->compact == PA_TEXT_LAZY;
    int took = take_value(r, g, j, s, len);
    if (took) return took < 0 ? -1 : 0;
    /* (the field moved if the text was written back) */
    if (lazy) at = c->at;
    if (index_start(r, g, j, row)) return -1;
  }
  unsigned what = scan_text(s, len, lines, &h);
  if ((what & HAS_HIGH) && c->first_invalid < 0 && !pa_utf8_valid(s, len)) {
    c->first_invalid = row;
  }
  if ((what & HAS_NUL) && c->first_nul < 0) c->first_nul = row;
  int added = index_add(c, s, len, at, h);
  if (added == 2) {
    /* mostly distinct values: the rows get their text back, and the
     * index goes */
    if (text_materialize(r, g, j, 1)) return -1;
    c->index = PA_INDEX_GAVE_UP;
    index_stop(c);
    return 0;
  }
  return added;
}

/* The fields of a record just kept, when they were not classified as they
 * came (see reclassify_part()). */
static int classify_record(const pa_reader *r, pa_part *g) {
  const int64_t row = (int64_t) g->nrow;
  for (int j = 0; j < r->ncol; j++) {
    const pa_col *c = &g->cols[j];
    const unsigned char *s = c->text.data + c->at;
    if ((size_t) row < g->skip) {
      if (c->len) g->lines_done += count_newlines(s, c->len);
    } else if (classify_value(r, g, j, s, c->len, c->at, row,
                              &g->lines_done)) {
      return -1;
    }
  }
  return 0;
}

/* Values are classified as their fields arrive, before it is known whether
 * the record has the right number of fields. When one does not, what was
 * learnt from it cannot be taken back: the part's columns are classified
 * again from the text of the rows kept, and from then on each record is
 * classified once it is complete. */
static int reclassify_part(const pa_reader *r, pa_part *g) {
  g->eager = 0;
  g->fast_ncol = 0;
  g->lazy_ok = 0;
  for (int j = 0; j < r->ncol; j++) {
    /* the kept rows' text, from their values or numbers (a field past the
     * record dropped is no row) */
    int mode = g->cols[j].compact;
    if ((mode == PA_TEXT_LAZY || mode == PA_TEXT_DISTINCT) &&
        text_materialize(r, g, j, 0)) {
      return -1;
    }
  }
  for (int j = 0; j < r->ncol; j++) {
    pa_col *c = &g->cols[j];
    free(c->vals);
    c->vals = NULL;
    c->nvals = c->vcap = 0;
    c->n_na = c->n_value = c->max_len = 0;
    index_stop(c);
    col_init(c);
    pa_iter it;
    const unsigned char *s;
    size_t len;
    int64_t lines = 0; /* counted already */
    iter_part(g, j, &it);
    iter_skip(&it, g->skip);
    for (int64_t row = (int64_t) g->skip;
         row < (int64_t) g->nrow && pa_iter_next(&it, &s, &len); row++) {
      if (classify_value(r, g, j, s, len, (size_t) (s - c->text.data), row,
                         &lines)) {
        return -1;
      }
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* libcsv callbacks */

/* The other fields: header names, fields past the last column, the
 * deferred rows, and records classified only once complete. */
static void on_other_field(pa_part *g, int j, const unsigned char *f,
                           size_t len) {
  pa_reader *r = g->r;
  if (g->status) return;
  if (!r->header_done) {
    /* only the first part reads the header; it is alone then */
    if (len) g->lines_done += count_newlines(f, len);
    if (bytes_put_field(&r->names, f, len) == (size_t) -1) {
      part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
    }
    return;
  }
  if (j >= r->ncol) {
    if (len) g->lines_done += count_newlines(f, len);
    return;
  }
  pa_col *c = &g->cols[j];
  size_t at = bytes_put_field(&c->text, f, len);
  if (at == (size_t) -1) {
    part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
    return;
  }
  c->at = at;
  c->len = len;
  /* deferred rows are inferred once it is known whether they are header
   * rows; otherwise the record is classified when complete */
  if (g->eager && len) g->lines_done += count_newlines(f, len);
}

/* Where an indexed column's distinct values end in its store. */
static inline size_t distinct_end(const pa_col *c) {
  const pa_index *x = c->ix;
  if (!x->ndistinct) return 0;
  const pa_distinct *d = &x->distinct[x->ndistinct - 1];
  return d->at + d->len;
}

/* An indexed text column of a part being parsed keeps only its distinct
 * values from now on (called between two of its fields). */
static int distinct_begin(pa_col *c) {
  pa_index *x = c->ix;
  size_t need = 1;
  for (uint32_t k = 0; k < x->ndistinct; k++) {
    need += x->distinct[k].len + varint_size(x->distinct[k].len);
  }
  /* (room for the values to come, as much as there was for the rows) */
  if (need < c->text.cap / 2) need = c->text.cap / 2;
  pa_bytes b = {NULL, 0, 0};
  if (bytes_reserve(&b, need)) return -1;
  for (uint32_t k = 0; k < x->ndistinct; k++) {
    pa_distinct *d = &x->distinct[k];
    d->at = bytes_put_field(&b, c->text.data + d->at, d->len);
  }
  bytes_free(&c->text);
  c->text = b;
  c->compact = PA_TEXT_DISTINCT;
  return 0;
}

/* A field of the current record (from libcsv through on_field(), or from
 * the fast path of the tokenizer directly). */
PA_HOT void field_in(pa_part *g, const unsigned char *f, size_t len) {
  int j = g->nfield++;
  if (j == 0) g->rec_line = g->lines_done + 1;
  if (j >= g->fast_ncol) {
    on_other_field(g, j, f, len);
    return;
  }
  pa_col *c = &g->cols[j];
  /* a lazy column keeps the current record's field only, an indexed one
   * its distinct values and that field */
  if (c->compact == PA_TEXT_LAZY) {
    c->text.len = 0;
  } else if (c->compact == PA_TEXT_DISTINCT) {
    c->text.len = distinct_end(c);
  } else if (g->lazy_ok && c->index == PA_INDEX_ON &&
             c->ix->nids == g->nrow && c->na_k != -2) {
    if (distinct_begin(c)) {
      part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
      return;
    }
    c->text.len = distinct_end(c);
  }
  size_t at = bytes_put_field(&c->text, f, len);
  if (at == (size_t) -1) {
    part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
    return;
  }
  c->at = at;
  c->len = len;
  if (classify_value(g->r, g, j, f, len, at, (int64_t) g->nrow,
                     &g->lines_done)) {
    part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
  }
}

static void on_field(void *s, size_t len, void *data) {
  field_in(data, s ? s : (const unsigned char *) "", len);
}

static int end_header(pa_reader *r, pa_part *g) {
  r->ncol = g->nfield;
  if (part_alloc_cols(g, r->ncol)) return -1;
  r->header_done = 1;
  update_fast(g);
  return 0;
}

/* Forget the fields of the current record (counting their line breaks if
 * that was left for the end of the record). */
static void drop_record(pa_reader *r, pa_part *g) {
  int upto = g->nfield < r->ncol ? g->nfield : r->ncol;
  for (int j = 0; j < upto; j++) {
    pa_col *c = &g->cols[j];
    if (!g->eager && c->len) {
      g->lines_done += count_newlines(c->text.data + c->at, c->len);
    }
    c->text.len = c->at - varint_size(c->len);
  }
}

/* Does the current record hold a line break (when its fields' line breaks
 * are counted only once it is complete)? */
static int record_spans_lines(const pa_reader *r, const pa_part *g) {
  for (int j = 0; j < r->ncol; j++) {
    const pa_col *c = &g->cols[j];
    const unsigned char *s = c->text.data + c->at;
    if (c->len && (memchr(s, '\n', c->len) || memchr(s, '\r', c->len))) {
      return 1;
    }
  }
  return 0;
}

static void end_record(pa_part *g);
static void on_field(void *s, size_t len, void *data);

/* A stray quote that a later quote seems to close: `2,"Bob,4` on one
 * line and `7,n7",7` a few lines down make one record of the right width,
 * whose quoted field swallows the lines between. A quoted field that spans
 * lines is taken for that when every line it spans, read with its quotes
 * as text, is a record of the header's width by itself: its first line
 * has ncol - 1 - j delimiters in the field (j fields come before it), its
 * last line j, each line between ncol - 1, none is blank, and the field
 * holds no quote (that would need the RFC rules to read the lines). A
 * free-text answer over several lines almost never passes; with a single
 * column nothing can be told, so nothing is. Returns the field's column,
 * or -1 when the record is not suspect. */
static int suspect_field(const pa_reader *r, const pa_part *g) {
  if (r->ncol < 2) return -1;
  int found = -1;
  for (int j = 0; j < r->ncol; j++) {
    const pa_col *c = &g->cols[j];
    const unsigned char *s = c->text.data + c->at;
    if (!c->len || (!memchr(s, '\n', c->len) && !memchr(s, '\r', c->len))) {
      continue;
    }
    if (found >= 0) return -1; /* two fields over several lines */
    found = j;
  }
  if (found < 0) return -1;
  const pa_col *c = &g->cols[found];
  const unsigned char *s = c->text.data + c->at, *end = s + c->len;
  if (memchr(s, '"', c->len)) return -1;
  int line = 0, ndelim = 0;
  size_t seglen = 0;
  for (const unsigned char *p = s;; p++) {
    int eol = p == end || *p == '\n' || *p == '\r';
    if (!eol) {
      ndelim += *p == r->delim;
      seglen++;
      continue;
    }
    int want = line == 0 ? r->ncol - 1 - found
               : p == end ? found
                          : r->ncol - 1;
    /* a line between holds the whole record: it must not be blank */
    if (ndelim != want || (line > 0 && p < end && seglen == 0)) return -1;
    if (p == end) break;
    if (*p == '\r' && p + 1 < end && p[1] == '\n') p++;
    line++;
    ndelim = 0;
    seglen = 0;
  }
  return found;
}

/* Read a suspect record (see suspect_field()) as the records of its
 * lines: the quotes become text, the first line's record and the last
 * one's are reported, and the lines between are ordinary records.
 * Strictly it is an error at the record's first line. */
static void split_stray(pa_reader *r, pa_part *g, int jq) {
  const int ncol = r->ncol, ended = g->last_term != 0;
  const int64_t first = g->rec_line;
  /* the record's fields, before the stores are reused */
  size_t total = 0;
  for (int j = 0; j < ncol; j++) total += g->cols[j].len + 1;
  unsigned char *copy = malloc(total + 1);
  size_t *at = malloc(sizeof(size_t) * ((size_t) ncol + 1));
  size_t *len = malloc(sizeof(size_t) * ((size_t) ncol + 1));
  if (!copy || !at || !len) {
    free(copy);
    free(at);
    free(len);
    part_error(g, PA_ERR_MEMORY, first, "out of memory");
    return;
  }
  size_t o = 0;
  int64_t breaks = 0;
  for (int j = 0; j < ncol; j++) {
    const pa_col *c = &g->cols[j];
    at[j] = o;
    len[j] = c->len;
    if (c->len) memcpy(copy + o, c->text.data + c->at, c->len);
    o += c->len;
  }
  breaks = count_newlines(copy + at[jq], len[jq]);
  if (r->strict) {
    part_error(g, PA_ERR_QUOTE, first, NULL);
    g->err_nfield = jq + 1;
    g->err_last_line = first + breaks;
    free(copy);
    free(at);
    free(len);
    return;
  }
  drop_record(r, g);
  g->records--; /* counted again, line by line */
  if (g->eager && reclassify_part(r, g)) {
    part_error(g, PA_ERR_MEMORY, first, "out of memory");
    free(copy);
    free(at);
    free(len);
    return;
  }
  g->lines_done = first - 1;
  const unsigned char *s = copy + at[jq], *end = s + len[jq];
  unsigned char *piece = malloc(len[jq] + 2);
  if (!piece) {
    part_error(g, PA_ERR_MEMORY, first, "out of memory");
    free(copy);
    free(at);
    free(len);
    return;
  }
  int64_t line = 0;
  const unsigned char *seg = s;
  unsigned char shown[48];
  size_t nshown = 0;
  for (const unsigned char *p = s;; p++) {
    if (p < end && *p != '\n' && *p != '\r') continue;
    int last = p == end;
    size_t row_before = g->nrow;
    g->nfield = 0;
    if (line == 0) {
      for (int j = 0; j < jq; j++) on_field((void *) (copy + at[j]), len[j], g);
    }
    /* the line's part of the field, cut at the delimiters; the opening
     * quote starts it and the closing quote ends it, as text */
    const unsigned char *f = seg;
    for (const unsigned char *q = seg;; q++) {
      if (q < p && *q != r->delim) continue;
      size_t n = 0;
      if (line == 0 && f == seg) piece[n++] = '"';
      memcpy(piece + n, f, (size_t) (q - f));
      n += (size_t) (q - f);
      if (last && q == p) piece[n++] = '"';
      if ((line == 0 && f == seg) || (last && q == p)) {
        /* the value that holds the quote, for the problem's record */
        nshown = n < sizeof(shown) ? n : sizeof(shown);
        memcpy(shown, piece, nshown);
      }
      on_field(piece, n, g);
      if (q == p) break;
      f = q + 1;
    }
    if (last) {
      for (int j = jq + 1; j < ncol; j++) {
        on_field((void *) (copy + at[j]), len[j], g);
      }
    }
    if (!last || ended) g->lines_done++;
    end_record(g);
    g->nfield = 0;
    if (g->status) break;
    if ((line == 0 || last) && g->nrow == row_before + 1 &&
        add_problem(part_problems(g), -(int64_t) g->nrow, first + line, jq,
                    PA_ERR_QUOTE, "stray quote", shown, nshown,
                    PA_QUOTE_TEXT)) {
      part_error(g, PA_ERR_MEMORY, first + line, "out of memory");
      break;
    }
    if (last) break;
    if (*p == '\r' && p + 1 < end && p[1] == '\n') p++;
    seg = p + 1;
    line++;
  }
  free(piece);
  free(copy);
  free(at);
  free(len);
}

static void end_record(pa_part *g) {
  pa_reader *r = g->r;
  if (!r->header_done) {
    if (end_header(r, g)) {
      part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
    }
    return;
  }
  g->records++;
  if (g->nfield != r->ncol) {
    drop_record(r, g);
    if (r->strict) {
      part_error(g, PA_ERR_RAGGED, g->rec_line, NULL);
      g->err_nfield = g->nfield;
      return;
    }
    char expected[64], actual[64];
    snprintf(expected, sizeof(expected), "%d fields", r->ncol);
    snprintf(actual, sizeof(actual), "%d fields", g->nfield);
    if (add_problem(part_problems(g), g->records, g->rec_line, -1,
                    PA_ERR_RAGGED, expected, (const unsigned char *) actual,
                    strlen(actual), 1) ||
        (g->eager && reclassify_part(r, g))) {
      part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
    }
    /* a quote out of place can make one record of many lines: the lines
     * after its first are read again as records of their own */
    int ended = g->last_term != 0; /* (not at the end of the file) */
    if (g->lines_done > g->rec_line - 1 + ended) {
      g->damaged = 1;
      g->restart = 1;
      g->restart_records = g->records;
      g->restart_line = g->rec_line;
    }
    return;
  }
  /* a record over several lines: is it one a stray quote made? */
  if (g->eager ? g->lines_done > g->rec_line - (g->last_term == 0)
               : record_spans_lines(r, g)) {
    int jq = suspect_field(r, g);
    if (jq >= 0) {
      split_stray(r, g, jq);
      return;
    }
  }
  if (g->nrow == g->row_cap) {
    size_t cap = g->row_cap ? 2 * g->row_cap : 1024;
    int64_t *p = realloc(g->row_line, cap * sizeof(*p));
    if (!p) {
      part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
      return;
    }
    g->row_line = p;
    g->row_cap = cap;
  }
  if (!g->eager && classify_record(r, g)) {
    part_error(g, PA_ERR_MEMORY, g->rec_line, "out of memory");
    return;
  }
  g->row_line[g->nrow++] = g->rec_line;
  if (g->nrow == g->skip) update_fast(g);
}

static void on_row(int c, void *data) {
  pa_part *g = data;
  if (g->status) return;
  int had_fields = g->nfield > 0;
  /* the LF of a CR LF pair arrives as a row of its own: not a new line */
  int lf_of_crlf = (c == '\n' && g->last_term == '\r' && !had_fields);
  if (c == '\n' || c == '\r') {
    if (!lf_of_crlf) g->lines_done++;
    g->last_term = c;
  } else {
    g->last_term = 0;
  }
  if (!had_fields) return; /* a blank line: not a record */
  end_record(g);
  g->nfield = 0;
}

/* ------------------------------------------------------------------ */
/* detection */

/* Guess the delimiter from the first lines of the first block: the
 * candidate that appears in the header and the same number of times on
 * most of the following lines wins; quoted text is ignored. */
static unsigned char sniff_delim(const unsigned char *s, size_t len, int eof) {
  static const unsigned char cand[3] = {',', ';', '\t'};
  int counts[PA_SNIFF_LINES][3];
  int nline = 0, inq = 0;
  int cur[3] = {0, 0, 0};
  size_t i = 0;
  while (i < len && nline < PA_SNIFF_LINES) {
    unsigned char c = s[i];
    if (c == '"') {
      inq = !inq;
    } else if (!inq && (c == '\n' || c == '\r')) {
      memcpy(counts[nline++], cur, sizeof(cur));
      memset(cur, 0, sizeof(cur));
      if (c == '\r' && i + 1 < len && s[i + 1] == '\n') i++;
    } else if (!inq) {
      for (int k = 0; k < 3; k++) cur[k] += (c == cand[k]);
    }
    i++;
  }
  if (i == len && eof && nline < PA_SNIFF_LINES &&
      (cur[0] || cur[1] || cur[2])) {
    memcpy(counts[nline++], cur, sizeof(cur));
  }
  if (nline == 0) return ',';
  int best = -1, best_agree = -1, best_count = 0;
  for (int k = 0; k < 3; k++) {
    int h = counts[0][k];
    if (h == 0) continue;
    int agree = 0;
    for (int l = 1; l < nline; l++) agree += (counts[l][k] == h);
    if (agree > best_agree || (agree == best_agree && h > best_count)) {
      best = k;
      best_agree = agree;
      best_count = h;
    }
  }
  return best < 0 ? ',' : cand[best];
}

/* A Qualtrics export's third record starts with {"ImportId":...}. */
static int is_import_id(const unsigned char *s, size_t len) {
  static const char key[] = "{\"ImportId\"";
  size_t k = sizeof(key) - 1;
  while (len && (*s == ' ')) {
    s++;
    len--;
  }
  return len >= k && memcmp(s, key, k) == 0;
}

/* Rows are only set aside as header rows when that can be proved: they
 * must be the two records right after the names (no dropped record before
 * them), and in "auto" mode every field of the second one must be an
 * import tag, as Qualtrics writes one for every column. A plain file whose
 * data happen to start with such a tag keeps all its rows. */
static void detect_qualtrics(pa_reader *r) {
  if (r->header_mode == PA_HEADER_SINGLE || r->ncol == 0) return;
  if (r->nrow < 2) return;
  for (size_t k = 0; k < r->nproblem; k++) {
    if (r->problems[k].dropped == PA_DROPPED &&
        r->problems[k].line <= r->row_line[1]) {
      r->header_gap_line = r->problems[k].line;
      return;
    }
  }
  if (r->header_mode == PA_HEADER_QUALTRICS) {
    r->qualtrics = 1;
    return;
  }
  for (int j = 0; j < r->ncol; j++) {
    pa_iter it;
    const unsigned char *s;
    size_t len;
    pa_iter_column(r, j, 1, &it);
    if (!pa_iter_next(&it, &s, &len) || !is_import_id(s, len)) return;
  }
  r->qualtrics = 1;
}

/* ------------------------------------------------------------------ */
/* cutting the file into parts */

/* Does the text from `s` look like the start of records: the next lines
 * (quoted line breaks do not end a line) each have ncol - 1 delimiters
 * outside quotes? Only a guess to make a good cut likely; whether a cut
 * was right is decided by the parser before it. */
static int looks_like_records(const unsigned char *s, const unsigned char *end,
                              unsigned char delim, int ncol) {
  int inq = 0, ndelim = 0, nline = 0;
  for (const unsigned char *p = s; p < end; p++) {
    if (*p == '"') {
      inq = !inq;
    } else if (inq) {
      continue;
    } else if (*p == delim) {
      ndelim++;
    } else if (*p == '\n') {
      if (ndelim != ncol - 1) return 0;
      if (++nline == PA_CUT_LINES) return 1;
      ndelim = 0;
    }
  }
  return 1; /* the buffer ended first: no evidence against */
}

/* A place at or after `from` just after a LF, or 0 if there is none. */
static size_t find_cut(const unsigned char *buf, size_t from, size_t n,
                       unsigned char delim, int ncol) {
  size_t first = 0;
  const unsigned char *p = buf + from, *end = buf + n;
  for (int tries = 0; tries < PA_CUT_TRIES && p < end; tries++) {
    const unsigned char *lf = memchr(p, '\n', (size_t) (end - p));
    if (!lf || lf + 1 >= end) break;
    size_t at = (size_t) (lf + 1 - buf);
    if (!first) first = at;
    if (looks_like_records(lf + 1, end, delim, ncol)) return at;
    p = lf + 1;
  }
  return first;
}

/* Did the part's parser stop between two records? Then a new parser
 * started at that point reads on exactly as it would have. */
static int part_at_record_start(const pa_reader *r, const pa_part *g) {
  const struct csv_parser *p = (const struct csv_parser *) r->parser + g->slot;
  return !g->status && p->pstate == LIBCSV_ROW_NOT_BEGUN && !p->quoted &&
         p->entry_pos == 0 && g->nfield == 0 && g->last_term == '\n';
}

/* Give the parser one byte in libcsv's lenient mode, which keeps a quote
 * out of place as text. */
static void parse_byte_leniently(struct csv_parser *p, pa_part *g,
                                 const unsigned char *s) {
  p->status = 0;
  p->options &= (unsigned char) ~CSV_STRICT;
  csv_parse(p, s, 1, on_field, on_row, g);
  p->options |= CSV_STRICT;
}

/* Text after the closing quote of a quoted field ("ab"c, or a stray quote
 * closed lines later by the opening quote of a well-formed field): the
 * record is malformed from its first line on, and only the next line that
 * starts a well-formed record can be trusted. s[0] is the byte after the
 * quote. Strictly (and in the header) that is an error. Leniently the
 * record is dropped and reported, and reading goes on from the line after
 * its first one; when the lines are not being tracked (the first, fast
 * reading), the part notes the damage so that the file is read again one
 * line at a time. Returns 1 when the rest of the input must not be
 * parsed. */
static int text_after_quote(pa_reader *r, pa_part *g, const unsigned char *s,
                            size_t len) {
  struct csv_parser *p = (struct csv_parser *) r->parser + g->slot;
  int64_t first = g->nfield > 0 ? g->rec_line : g->lines_done + 1;
  int column = g->nfield;
  if (r->strict || !r->header_done) {
    part_error(g, PA_ERR_QUOTE, first, NULL);
    g->err_nfield = column + 1;
    return 1;
  }
  if (!r->resync) {
    g->damaged = 1;
    parse_byte_leniently(p, g, s);
    return 0;
  }
  /* what follows the quote, and where when that is a later line */
  unsigned char actual[80];
  size_t n = 1;
  actual[0] = '"';
  while (n < 40 && n - 1 < len && s[n - 1] != '\n' && s[n - 1] != '\r') {
    actual[n] = s[n - 1];
    n++;
  }
  int64_t here = first + (g->nline_off > 1 ? (int64_t) g->nline_off - 1 : 0);
  if (here != first) {
    n += (size_t) snprintf((char *) actual + n, sizeof(actual) - n,
                           " (line %lld)", (long long) here);
  }
  drop_record(r, g);
  g->records++;
  if (add_problem(part_problems(g), g->records, first, column, PA_ERR_QUOTE,
                  "a delimiter or line end after the closing quote", actual,
                  n, 1) ||
      (g->eager && reclassify_part(r, g))) {
    part_error(g, PA_ERR_MEMORY, first, "out of memory");
    return 1;
  }
  parser_reset(r, g->slot);
  g->nfield = 0;
  if (g->nline_off >= 2) {
    /* parse_lines() starts again at the record's second line */
    g->restart = 1;
    g->restart_records = g->records;
    g->restart_line = first;
  } else {
    g->skipping = 1;
    g->skip_line = first;
  }
  return 1;
}

/* The fast path of the tokenizer, for the records libcsv would read
 * without a second thought: from a record's start, fields that are
 * unquoted and hold no quote, or quoted with their closing quote followed
 * by the delimiter or the line end and no line break inside, are handed to
 * the same callbacks, in the same order and with the same bytes, as
 * libcsv would hand them (a quoted field's doubled quotes made single in
 * the part's scratch store). At the first field it cannot take whole in
 * `s` (a quote out of place, a line break inside quotes, text after the
 * closing quote, the end of `s`), it stops at that field's first byte and
 * puts the parser in the state libcsv is in there (between two fields of
 * a record, or before a record), so that libcsv reads on from it exactly
 * as if it had read everything before. Returns the bytes taken. */
/* The first byte from s[e] on that is `c`, a quote, LF or CR, or `len`.
 * Eight bytes at a time where the byte order lets the first match be
 * found from the low bits: a byte equal to x leaves a zero in w ^ x, and
 * (v - 0x01..) & ~v sets the top bit of a zero byte of v, as (w - 0x0E..)
 * & ~w does for a byte below 14 (LF, CR and others, which are looked at
 * one by one); a borrow can only mark bytes after the first match. */
PA_HOT size_t scan_special(const unsigned char *s, size_t e, size_t len,
                           unsigned char c) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                         \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t ones = 0x0101010101010101u, tops = 0x8080808080808080u;
  const uint64_t cw = ones * c, qw = ones * (unsigned char) '"';
  while (e + 8 <= len) {
    uint64_t w;
    memcpy(&w, s + e, 8);
    uint64_t a = w ^ cw, b = w ^ qw;
    uint64_t m = (((a - ones) & ~a) | ((b - ones) & ~b) |
                  ((w - 14 * ones) & ~w)) &
                 tops;
    if (!m) {
      e += 8;
      continue;
    }
    e += (size_t) __builtin_ctzll(m) >> 3;
    unsigned char x = s[e];
    if (x == c || x == '"' || x == '\n' || x == '\r') return e;
    e++; /* another byte below 14 */
  }
#endif
  while (e < len) {
    unsigned char x = s[e];
    if (x == c || x == '"' || x == '\n' || x == '\r') break;
    e++;
  }
  return e;
}

static size_t fast_records(pa_reader *r, pa_part *g, struct csv_parser *p,
                           const unsigned char *s, size_t len) {
  const unsigned char delim = r->delim;
  size_t i = 0; /* the current record's first byte */
  while (i < len && !g->status) {
    size_t f = i; /* the current field's first byte */
    int nf = 0;
    for (;;) {
      if (f == len) goto stop;
      const unsigned char *field;
      size_t flen, e;
      if (s[f] != '"') {
        e = scan_special(s, f, len, delim);
        if (e == len || s[e] == '"') goto stop;
        if (e == f && nf == 0 && s[e] != delim) {
          /* a blank line: no record (libcsv reports every line end) */
          on_row(s[e], g);
          i = e + 1;
          break;
        }
        field = s + f;
        flen = e - f;
      } else {
        /* a quoted field: up to the quote not followed by another */
        size_t q = f + 1, ndq = 0;
        for (;;) {
          q = scan_special(s, q, len, '"');
          if (q + 1 >= len || s[q] != '"') goto stop;
          if (s[q + 1] != '"') break;
          ndq++;
          q += 2;
        }
        e = q + 1;
        unsigned char c = s[e];
        if (c != delim && c != '\n' && c != '\r') goto stop;
        field = s + f + 1;
        flen = q - f - 1;
        if (ndq) {
          pa_bytes *b = &g->unquoted;
          b->len = 0;
          if (bytes_reserve(b, flen + 1)) goto stop;
          unsigned char *o = b->data;
          for (size_t k = 0; k < flen; k++) {
            *o++ = field[k];
            if (field[k] == '"') k++;
          }
          flen = (size_t) (o - b->data);
          field = b->data;
        }
      }
      field_in(g, field, flen);
      nf++;
      if (s[e] == delim) {
        f = e + 1;
        continue;
      }
      on_row(s[e], g);
      i = e + 1;
      break;
    }
    continue;
  stop:
    if (nf) p->pstate = LIBCSV_FIELD_NOT_BEGUN;
    return f;
  }
  return i;
}

static void parse_into(pa_reader *r, pa_part *g, const unsigned char *s,
                       size_t len) {
  struct csv_parser *p = (struct csv_parser *) r->parser + g->slot;
  g->nbytes += len;
  size_t done = 0;
  /* ... and by as much as it holds already, so that it doubles */
  if (p->blk_size < p->entry_size) p->blk_size = p->entry_size;
  const int fast = r->delim != '"' && r->delim != '\n' && r->delim != '\r';
  while (done < len && !g->status) {
    if (fast && p->pstate == LIBCSV_ROW_NOT_BEGUN && !p->quoted &&
        p->entry_pos == 0) {
      done += fast_records(r, g, p, s + done, len - done);
      if (done == len || g->status) break;
    }
    /* libcsv takes the rest of the line (and of the record, a line at a
     * time, when a quoted field spans lines) */
    const unsigned char *nl = memchr(s + done, '\n', len - done);
    size_t chunk = nl ? (size_t) (nl - (s + done)) + 1 : len - done;
    size_t took = csv_parse(p, s + done, chunk, on_field, on_row, g);
    done += took;
    if (took == chunk) continue;
    if (csv_error(p) != CSV_EPARSE) {
      part_error(g, PA_ERR_MEMORY, g->lines_done + 1,
                 csv_strerror(csv_error(p)));
      return;
    }
    if (!p->quoted) {
      /* a quote inside an unquoted field (ab"c) is text, as fread and
       * read.csv read it */
      parse_byte_leniently(p, g, s + done);
    } else if (text_after_quote(r, g, s + done, len - done)) {
      return;
    }
    done++;
  }
}

/* Is the part's parser between two records? */
static int part_between_records(const pa_reader *r, const pa_part *g) {
  const struct csv_parser *p = (const struct csv_parser *) r->parser + g->slot;
  return p->pstate == LIBCSV_ROW_NOT_BEGUN && !p->quoted &&
         p->entry_pos == 0 && g->nfield == 0;
}

/* Resynchronising: start again at the line after the damaged record's
 * first line. Returns the file offset to read from, or -1 when the record
 * had no second line to start from. */
static int64_t part_restart(pa_reader *r, pa_part *g, int64_t first_line) {
  g->restart = 0;
  if (g->nline_off < 2) {
    g->nline_off = 0;
    return -1;
  }
  int64_t off = g->line_off[1];
  parser_reset(r, g->slot);
  g->nfield = 0;
  g->lines_done = first_line;
  g->last_term = '\n';
  g->nline_off = 0;
  g->at_line_start = 1;
  g->after_cr = 0;
  return off;
}

/* The line of a record damaged on its first line has ended with `term`:
 * the next line is read as the start of a record. */
static void end_skip(pa_part *g, unsigned char term) {
  g->skipping = 0;
  g->lines_done = g->skip_line;
  g->last_term = term;
  g->nline_off = 0;
}

/* Parse one physical line at a time (resynchronising mode), noting where
 * the lines of the current record start. Lines end as the kernel counts
 * them: LF, CR LF or CR. `off` is the file offset of s[0]. Returns the
 * offset to go on from when a damaged record asks for it, or -1 to go on
 * with the next block. */
static int64_t parse_lines(pa_reader *r, pa_part *g, const unsigned char *s,
                           size_t len, int64_t off) {
  size_t i = 0;
  while (i < len && !g->status) {
    if (g->after_cr && s[i] == '\n') {
      /* the LF of a CR LF pair that a block boundary split */
      g->after_cr = 0;
      parse_into(r, g, s + i, 1);
      i++;
      continue;
    }
    g->after_cr = 0;
    size_t e = i;
    while (e < len && s[e] != '\n' && s[e] != '\r') e++;
    int eol = e < len;
    size_t n = e - i;
    if (eol) {
      n++;
      if (s[e] == '\r' && e + 1 < len && s[e + 1] == '\n') n++;
      if (s[e] == '\r' && e + 1 == len) g->after_cr = 1;
    }
    if (g->skipping) {
      /* the rest of a line whose record was damaged on it */
      if (eol) end_skip(g, s[i + n - 1]);
      g->at_line_start = eol;
      i += n;
      continue;
    }
    if (g->at_line_start) {
      if (g->nline_off == g->line_off_cap) {
        size_t cap = g->line_off_cap ? 2 * g->line_off_cap : 64;
        int64_t *q = realloc(g->line_off, cap * sizeof(*q));
        if (!q) {
          part_error(g, PA_ERR_MEMORY, g->lines_done + 1, "out of memory");
          return -1;
        }
        g->line_off = q;
        g->line_off_cap = cap;
      }
      g->line_off[g->nline_off++] = off + (int64_t) i;
    }
    parse_into(r, g, s + i, n);
    g->at_line_start = eol;
    i += n;
    if (g->skipping) {
      /* damaged on this line: the rest of it was left unparsed */
      if (eol) end_skip(g, s[i - 1]);
      continue;
    }
    /* (each piece holds one line end, so at most one record ended in it) */
    if (g->restart && g->records == g->restart_records) {
      int64_t at = part_restart(r, g, g->restart_line);
      if (at >= 0) return at;
    }
    g->restart = 0;
    if (eol && part_between_records(r, g)) g->nline_off = 0;
  }
  return -1;
}

/* Add the part's rows, records, lines and problems to the reader's totals,
 * and its error, now that its position in the file is known. */
static void join_part(pa_reader *r, pa_part *g) {
  int64_t line0 = r->lines_done, rec0 = r->records;
  size_t row0 = r->nrow; /* rows of the parts before */
  if (g->status) {
    int64_t line = line0 + g->err_line;
    if (g->status == PA_ERR_RAGGED) {
      char msg[256];
      snprintf(msg, sizeof(msg),
               "line %lld has %d fields, but the header has %d",
               (long long) line, g->err_nfield, r->ncol);
      set_error(r, PA_ERR_RAGGED, line, -1, msg);
    } else if (g->status == PA_ERR_QUOTE && g->err_last_line > 0) {
      char msg[512];
      snprintf(msg, sizeof(msg),
               "the quoted field starting on line %lld (field %d) runs to "
               "line %lld, and each of lines %lld to %lld is a record of %d "
               "fields by itself: a stray quote? (strict = FALSE reads the "
               "lines as records, the quote as text)",
               (long long) line, g->err_nfield,
               (long long) (line0 + g->err_last_line), (long long) line,
               (long long) (line0 + g->err_last_line), r->ncol);
      set_error(r, PA_ERR_QUOTE, line, g->err_nfield - 1, msg);
    } else if (g->status == PA_ERR_QUOTE) {
      char msg[256];
      snprintf(msg, sizeof(msg),
               "in the record starting on line %lld, field %d has text after "
               "its closing quote (a quote out of place?)",
               (long long) line, g->err_nfield);
      set_error(r, PA_ERR_QUOTE, line, g->err_nfield - 1, msg);
    } else {
      set_error(r, g->status, line, -1, g->err_text);
    }
    return;
  }
  if (r->nrow + g->nrow > r->row_cap) {
    size_t cap = r->row_cap ? r->row_cap : 1024;
    while (cap < r->nrow + g->nrow) cap *= 2;
    int64_t *p = realloc(r->row_line, cap * sizeof(*p));
    if (!p) {
      set_error(r, PA_ERR_MEMORY, line0 + 1, -1, "out of memory");
      return;
    }
    r->row_line = p;
    r->row_cap = cap;
  }
  for (size_t i = 0; i < g->nrow; i++) {
    r->row_line[r->nrow + i] = line0 + g->row_line[i];
  }
  r->nrow += g->nrow;
  free(g->row_line);
  g->row_line = NULL;
  g->row_cap = 0;
  for (size_t k = 0; k < g->nproblem; k++) {
    const pa_problem *p = &g->problems[k];
    const char *text = (const char *) g->problem_text.data;
    const char *act = text + p->actual;
    int64_t row = p->dropped == PA_QUOTE_TEXT
                      ? p->row - (int64_t) row0
                      : rec0 + p->row;
    if (pa_add_problem(r, row, line0 + p->line, p->column, p->kind,
                       text + p->expected, (const unsigned char *) act,
                       strlen(act), p->dropped)) {
      set_error(r, PA_ERR_MEMORY, line0 + p->line, -1, "out of memory");
      return;
    }
  }
  free(g->problems);
  g->problems = NULL;
  g->nproblem = g->problem_cap = 0;
  bytes_free(&g->problem_text);
  r->records += g->records;
  r->lines_done += g->lines_done;
  if (g->damaged) r->want_resync = 1;
}

/* A part that will not be parsed into again (not the first, which holds
 * the header rows) gives up what its columns do not need: the text of a
 * column typed all through it whose every field is the text of its value
 * or the one NA string (see simple_text()), and all but the distinct
 * values of an indexed text column. The memory goes to the parts that
 * follow; pa_column_text() writes the text back if it is needed. */
static int part_compact(const pa_reader *r, pa_part *g) {
  if (g->status || g->skip) return 0;
  for (int j = 0; j < r->ncol; j++) {
    pa_col *c = &g->cols[j];
    if (c->compact == PA_TEXT_COMPACT) continue;
    if (c->compact == PA_TEXT_DISTINCT) {
      if (c->index == PA_INDEX_ON && c->ix->nids == g->nrow) {
        c->text.len = distinct_end(c); /* (the last field, if a repeat) */
        c->compact = PA_TEXT_COMPACT;
        free(c->ix->dict);
        c->ix->dict = NULL;
        c->ix->dict_size = 0;
        continue;
      }
      /* (cannot happen: it would have stopped being so first) */
      if (c->index != PA_INDEX_ON || c->ix->nids < g->nrow ||
          text_materialize(r, g, j, 0)) {
        return -1;
      }
    }
    if (c->compact == PA_TEXT_LAZY &&
        (c->kind == PA_VALS_NONE || !c->simple || c->na_k == -2 ||
         c->nvals != g->nrow)) {
      /* (cannot happen: a lazy column stops being so first) */
      if (c->kind == PA_VALS_NONE || c->nvals < g->nrow ||
          text_materialize(r, g, j, 0)) {
        return -1;
      }
    }
    if (c->na_k == -2) continue;
    if (c->kind != PA_VALS_NONE) {
      if (!c->simple || c->nvals != g->nrow) continue;
      bytes_free(&c->text);
      c->compact = 1;
      if (c->kind == PA_VALS_NA) {
        free(c->vals); /* (a buffer set aside, never used) */
        c->vals = NULL;
        c->vcap = 0;
      }
      index_stop(c);
    } else if (c->index == PA_INDEX_ON && c->ix->nids == g->nrow) {
      pa_index *x = c->ix;
      size_t need = 1;
      for (uint32_t k = 0; k < x->ndistinct; k++) {
        need += x->distinct[k].len + varint_size(x->distinct[k].len);
      }
      pa_bytes b = {NULL, 0, 0};
      if (need * 2 > c->text.len || bytes_reserve(&b, need)) {
        bytes_free(&b);
        continue; /* (little to gain, or no memory: keep it as it is) */
      }
      for (uint32_t k = 0; k < x->ndistinct; k++) {
        pa_distinct *d = &x->distinct[k];
        d->at = bytes_put_field(&b, c->text.data + d->at, d->len);
      }
      bytes_free(&c->text);
      c->text = b;
      c->compact = 1;
      /* the table only served to number the values as they came */
      free(x->dict);
      x->dict = NULL;
      x->dict_size = 0;
    }
  }
  return 0;
}

/* Append a typed value's text as part_compact() took it to be. */
static int put_value_text(pa_bytes *b, const pa_reader *r, const pa_col *c,
                          size_t i) {
  char tmp[48];
  size_t n = 0;
  const char *t = tmp;
  int na = 0;
  if (c->kind == PA_VALS_NA) {
    na = 1;
  } else if (c->kind == PA_VALS_DBL) {
    double v = ((const double *) c->vals)[i];
    if (isnan(v)) {
      na = 1;
    } else {
      int m = snprintf(tmp, sizeof(tmp), "%.15g", v);
      n = m > 0 ? (size_t) m : 0;
      for (size_t k = 0; k < n; k++) {
        if (tmp[k] != '-' && !is_digit((unsigned char) tmp[k])) {
          tmp[k] = (char) r->decimal; /* whatever the C library's mark */
        }
      }
    }
  } else {
    int v = ((const int *) c->vals)[i];
    if (v == r->na_int) {
      na = 1;
    } else if (c->kind == PA_VALS_LGL) {
      t = v ? "TRUE" : "FALSE";
      n = v ? 4 : 5;
    } else {
      n = (size_t) snprintf(tmp, sizeof(tmp), "%d", v);
    }
  }
  if (na) {
    int k = c->na_k < 0 ? 0 : c->na_k;
    t = r->na->s[k];
    n = r->na->len[k];
  }
  return bytes_put_field(b, (const unsigned char *) t, n) == (size_t) -1
             ? -1
             : 0;
}

/* Write back the text of a column a part gave up. */
static int part_restore(const pa_reader *r, pa_part *g, int j) {
  pa_col *c = &g->cols[j];
  if (c->compact != PA_TEXT_COMPACT) return 0;
  pa_bytes b = {NULL, 0, 0};
  if (c->kind != PA_VALS_NONE) {
    if (bytes_reserve(&b, 8 * g->nrow + 16)) return -1;
    for (size_t i = 0; i < g->nrow; i++) {
      if (put_value_text(&b, r, c, i)) {
        bytes_free(&b);
        return -1;
      }
    }
  } else {
    pa_index *x = c->ix;
    size_t *at = malloc(((size_t) x->ndistinct + 1) * sizeof(size_t));
    if (!at) return -1;
    for (uint32_t k = 0; k < x->ndistinct; k++) at[k] = (size_t) -1;
    int k0 = c->na_k < 0 ? 0 : c->na_k;
    for (size_t i = 0; i < x->nids; i++) {
      uint32_t id = x->ids[i];
      size_t pos;
      if (id == PA_ID_NA) {
        pos = bytes_put_field(&b, (const unsigned char *) r->na->s[k0],
                              r->na->len[k0]);
      } else {
        const pa_distinct *d = &x->distinct[id];
        pos = bytes_put_field(&b, c->text.data + d->at, d->len);
        if (pos != (size_t) -1 && at[id] == (size_t) -1) at[id] = pos;
      }
      if (pos == (size_t) -1) {
        free(at);
        bytes_free(&b);
        return -1;
      }
    }
    /* each distinct value now points at its first row (a value no row
     * has, which cannot happen, would never be looked up) */
    for (uint32_t k = 0; k < x->ndistinct; k++) {
      x->distinct[k].at = at[k] == (size_t) -1 ? 0 : at[k];
      if (at[k] == (size_t) -1) x->distinct[k].len = 0;
    }
    free(at);
  }
  bytes_free(&c->text);
  c->text = b;
  c->compact = 0;
  return 0;
}

/* A lazy column of a part being parsed stops being so: the text of its
 * rows so far is written from their values, then (with_current) the
 * current record's field, which the store held alone. */
static int text_materialize(const pa_reader *r, const pa_part *g, int j,
                            int with_current) {
  pa_col *c = &g->cols[j];
  pa_bytes b = {NULL, 0, 0};
  if (bytes_reserve(&b, 8 * g->nrow + c->len + 32)) return -1;
  if (c->compact == PA_TEXT_DISTINCT) {
    /* each row's value from its number; each distinct value then points
     * at its first row (one that only a dropped record had is no more
     * looked up) */
    pa_index *x = c->ix;
    size_t *first = malloc(((size_t) x->ndistinct + 1) * sizeof(size_t));
    if (!first) {
      bytes_free(&b);
      return -1;
    }
    for (uint32_t k = 0; k < x->ndistinct; k++) first[k] = (size_t) -1;
    int k0 = c->na_k < 0 ? 0 : c->na_k;
    for (size_t i = 0; i < g->nrow; i++) {
      uint32_t id = x->ids[i];
      size_t pos =
          id == PA_ID_NA
              ? bytes_put_field(&b, (const unsigned char *) r->na->s[k0],
                                r->na->len[k0])
              : bytes_put_field(&b, c->text.data + x->distinct[id].at,
                                x->distinct[id].len);
      if (pos == (size_t) -1) {
        free(first);
        bytes_free(&b);
        return -1;
      }
      if (id != PA_ID_NA && first[id] == (size_t) -1) first[id] = pos;
    }
    for (uint32_t k = 0; k < x->ndistinct; k++) {
      x->distinct[k].at = first[k] == (size_t) -1 ? 0 : first[k];
      if (first[k] == (size_t) -1) x->distinct[k].len = 0;
    }
    free(first);
  } else {
    for (size_t i = 0; i < g->nrow; i++) {
      if (put_value_text(&b, r, c, i)) {
        bytes_free(&b);
        return -1;
      }
    }
  }
  if (with_current) {
    size_t at = bytes_put_field(&b, c->text.data + c->at, c->len);
    if (at == (size_t) -1) {
      bytes_free(&b);
      return -1;
    }
    c->at = at;
  }
  bytes_free(&c->text);
  c->text = b;
  c->compact = PA_TEXT_ALL;
  return 0;
}

int pa_column_text(pa_reader *r, int j, int indexed) {
  for (int k = 0; k < r->npart; k++) {
    pa_part *g = r->parts[k];
    const pa_col *c = &g->cols[j];
    if (c->compact != PA_TEXT_COMPACT ||
        (!indexed && c->kind == PA_VALS_NONE)) {
      continue;
    }
    if (part_restore(r, g, j)) return -1;
  }
  return 0;
}

/* Drop the in-flight part at index k (a wrong guess). */
static void discard_part(pa_reader *r, int k) {
  part_free(r->parts[k], r->ncol);
  r->parts[k] = NULL;
}

/* Size a new part's stores for a piece of `len` bytes after those of
 * `ref`, the part before it: parts are small and many, and stores that
 * grow by doubling would leave the heap strewn with the blocks they
 * outgrew. */
static void part_reserve(const pa_reader *r, pa_part *g, const pa_part *ref,
                         size_t len) {
  if (!ref->nbytes || !ref->nrow) return;
  double scale = 1.125 * (double) len / (double) ref->nbytes;
  size_t rows = (size_t) (scale * (double) ref->nrow) + 16;
  /* Everything a part is likely to need is allocated here, by the thread
   * that reads the file: memory a parsing thread allocates comes from
   * that thread's own heap, which the C library gives back to the system
   * when the glue frees it, so that every read would fault its pages in
   * afresh (on a virtual machine that costs more than the parsing). */
  g->row_line = malloc(rows * sizeof(int64_t));
  g->row_cap = g->row_line ? rows : 0;
  for (int j = 0; j < r->ncol; j++) {
    pa_col *c = &g->cols[j];
    const pa_col *rc = &ref->cols[j];
    if (rc->index == PA_INDEX_GAVE_UP) c->index = PA_INDEX_GAVE_UP;
    size_t want = (size_t) (scale * (double) rc->text.len) + 256;
    unsigned char *d = malloc(want);
    if (d) {
      c->text.data = d;
      c->text.cap = want;
    }
    c->rows_hint = rows;
    if (rc->kind == PA_VALS_LGL || rc->kind == PA_VALS_INT ||
        rc->kind == PA_VALS_DBL) {
      size_t bytes = rows * (rc->kind == PA_VALS_DBL ? sizeof(double)
                                                     : sizeof(int));
      c->vals = malloc(bytes);
      c->vcap = c->vals ? bytes : 0;
    } else if (rc->kind == PA_VALS_NONE && rc->index == PA_INDEX_ON) {
      pa_index *x = calloc(1, sizeof(pa_index));
      if (x) {
        x->ids = malloc(rows * sizeof(uint32_t));
        x->ids_cap = x->ids ? rows : 0;
        c->ix = x;
      }
    }
  }
}

/* One round: the buffer is cut into pieces at line starts; the first
 * continues the current part, each other one starts a new part, and the
 * threads take the pieces as they come free (so that one thread held up by
 * other work on the machine does not hold up the rest). Then, in file
 * order, each new part is kept if the part before it ended between
 * records, or else thrown away and its piece parsed again by the part
 * before it. */
static void parse_round(pa_reader *r, const unsigned char *buf, size_t n,
                        unsigned char *next, size_t *next_n) {
  size_t start[PA_MAX_PIECES], plen[PA_MAX_PIECES];
  int want = (int) (n / PA_PIECE);
  if (want < r->nthreads) {
    size_t small = n / PA_MIN_PIECE;
    want = small < (size_t) r->nthreads ? (int) small : r->nthreads;
  }
  if (want > r->nparser) want = r->nparser;
  int k = 1;
  start[0] = 0;
  for (int i = 1; i < want; i++) {
    size_t from = (size_t) ((double) n * i / want);
    if (from <= start[k - 1]) from = start[k - 1] + 1;
    if (from >= n) break;
    size_t cut = find_cut(buf, from, n, r->delim, r->ncol);
    if (!cut) break;
    start[k++] = cut;
  }
  for (int i = 0; i < k; i++) {
    plen[i] = (i + 1 < k ? start[i + 1] : n) - start[i];
  }

  pa_part *cur = r->parts[r->npart - 1];
  pa_part *piece[PA_MAX_PIECES];
  piece[0] = cur;
  int nnew = 0;
  for (int i = 1; i < k; i++) {
    /* parsers other than the current part's */
    pa_part *g = part_new(r, (cur->slot + i) % r->nparser, 0);
    if (!g) {
      part_error(cur, PA_ERR_MEMORY, cur->lines_done + 1, "out of memory");
      break;
    }
    part_reserve(r, g, cur, plen[i]);
    /* typed columns keep no text until they need it */
    g->lazy_ok = 1;
    for (int j = 0; j < r->ncol; j++) g->cols[j].compact = PA_TEXT_LAZY;
    piece[i] = g;
    nnew++;
  }
  if (nnew < k - 1) {
    for (int i = 1; i <= nnew; i++) discard_part(r, r->npart + i - 1);
    r->nflight = 0;
    if (next) *next_n = 0;
    return;
  }

  /* one thread reads the next window meanwhile, then joins in */
  FILE *fp = r->fp;
  size_t cap = r->buf_cap;
#ifdef _OPENMP
#pragma omp parallel num_threads(r->nthreads)
#endif
  {
#ifdef _OPENMP
#pragma omp single nowait
#endif
    if (next) *next_n = fread(next, 1, cap, fp);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (int i = 0; i < k; i++) {
      parse_into(r, piece[i], buf + start[i], plen[i]);
    }
  }

  /* in file order: keep or redo each new part */
  int base = r->npart;
  for (int i = 1; i < k; i++) {
    pa_part *g = piece[i];
    if (cur->status) {
      discard_part(r, base + i - 1);
      continue;
    }
    if (part_at_record_start(r, cur)) {
      join_part(r, cur);
      if (cur != r->parts[0] && part_compact(r, cur)) {
        set_error(r, PA_ERR_MEMORY, r->lines_done, -1, "out of memory");
      }
      r->parts[base + i - 1] = NULL;
      r->parts[r->npart++] = g;
      cur = g;
    } else {
      discard_part(r, base + i - 1);
      parse_into(r, cur, buf + start[i], plen[i]);
    }
  }
  r->nflight = 0;
}

/* ------------------------------------------------------------------ */
/* the file */

/* OpenMP keeps its threads between parallel regions, and a pool thread
 * still alive at exit shows under valgrind as a block "possibly lost" (its
 * TLS). Letting the threads go after each read costs one thread start per
 * read and leaves nothing behind. omp_pause_resource_all() is OpenMP 5.0;
 * GCC's libgomp has it from GCC 9 on while defining _OPENMP as 4.5. */
#if defined(_OPENMP) &&                                                      \
    (_OPENMP >= 201811 ||                                                    \
     (defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 9))
#define PA_CAN_PAUSE 1
#endif

void pa_release_threads(const pa_reader *r) {
#ifdef PA_CAN_PAUSE
  if (r->nthreads > 1) omp_pause_resource_all(omp_pause_hard);
#else
  (void) r;
#endif
}

int pa_max_threads(int want) {
  if (want < 1) want = 1;
#ifdef _OPENMP
  int most = omp_get_num_procs();
  int limit = omp_get_thread_limit();
  if (limit < most) most = limit;
  if (want > most) want = most;
#else
  want = 1;
#endif
  if (want > 64) want = 64;
  return want < 1 ? 1 : want;
}

static const char *const default_na_s[] = {"", "NA"};
static const size_t default_na_len[] = {0, 2};
static const pa_na default_na = {(const char **) default_na_s,
                                 default_na_len, 2};

int pa_file_regular(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int read_file_once(pa_reader *r, const char *path,
                          unsigned char delim, unsigned char decimal,
                          int encoding, int header_mode, int strict,
                          void (*interrupt)(void)) {
  r->encoding = encoding;
  r->header_mode = header_mode;
  r->strict = strict;
  if (!r->na) r->na = &default_na;
  r->na_lens = na_lengths(r->na);
  if (r->nthreads < 1) r->nthreads = 1;
  if (r->nthreads > PA_MAX_PIECES) r->nthreads = PA_MAX_PIECES;
  snprintf(r->path, sizeof(r->path), "%s", path);

  /* a FIFO or a device would block or never end: only regular files */
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    set_error(r, PA_ERR_FILE, 0, -1,
              "it is not a regular file (a pipe, device or socket cannot "
              "be read)");
    return r->status;
  }
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    char msg[256];
    snprintf(msg, sizeof(msg), "cannot open the file (%s)", strerror(errno));
    set_error(r, PA_ERR_FILE, 0, -1, msg);
    return r->status;
  }
  r->fp = fp;
  int npiece = r->nthreads * PA_PIECES_PER_THREAD;
  if (npiece > PA_MAX_PIECES) npiece = PA_MAX_PIECES;
  size_t cap = r->nthreads > 1 ? (size_t) npiece * PA_PIECE : PA_BLOCK;
  if (cap < PA_BLOCK) cap = PA_BLOCK;
  unsigned char *buf = r->buf = malloc(cap);
  r->buf_cap = cap;
  r->nparser = r->nthreads > 1 ? PA_MAX_PIECES : 1;
  r->parser = calloc((size_t) r->nparser, sizeof(struct csv_parser));
  if (!buf || !r->parser) {
    set_error(r, PA_ERR_MEMORY, 0, -1, "out of memory");
    goto done;
  }
  /* the first part reads alone until the header and the two rows that may
   * be Qualtrics header rows are in */
  r->delim = ',';
  pa_part *first_part =
      part_new(r, 0, header_mode == PA_HEADER_SINGLE ? 0 : PA_DEFERRED);
  if (!first_part) {
    set_error(r, PA_ERR_MEMORY, 0, -1, "out of memory");
    goto done;
  }
  first_part->last_term = 0;
  first_part->at_line_start = 1;
  r->npart = 1;
  r->nflight = 0;
  struct csv_parser *p0 = r->parser;

  int first = 1, eof = 0, have_next = 0;
  size_t next_n = 0;
  int64_t file_off = 0;   /* where the next block starts in the file */
  int64_t restart_at = -1;
read_more:
  while (!eof) {
    pa_part *cur = r->parts[r->npart - 1];
    int alone = r->nthreads == 1 || !r->header_done ||
                (r->npart == 1 && cur->nrow < PA_DEFERRED);
    size_t want = alone ? PA_BLOCK : cap, n;
    if (have_next) {
      /* read during the last round */
      have_next = 0;
      n = next_n;
    } else {
      n = fread(buf, 1, want, fp);
    }
    if (n < want && ferror(fp)) {
      set_error(r, PA_ERR_FILE, r->lines_done + cur->lines_done + 1, -1,
                "a read error occurred");
      goto done;
    }
    eof = n < want;
    const unsigned char *s = buf;
    size_t len = n;
    int64_t block_off = file_off;
    file_off += (int64_t) n;
    if (first) {
      first = 0;
      if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        r->had_bom = 1;
        s += 3;
        len -= 3;
      }
      r->delim = delim ? delim : sniff_delim(s, len, eof);
      r->decimal = decimal ? decimal : (r->delim == ';' ? ',' : '.');
      csv_set_delim(p0, r->delim);
    }
    if (r->resync) {
      restart_at = parse_lines(r, cur, s, len, block_off + (s - buf));
    } else if (alone) {
      parse_into(r, cur, s, len);
    } else {
      if (!r->buf2) r->buf2 = malloc(cap);
      unsigned char *next = eof ? NULL : r->buf2;
      parse_round(r, s, len, next, &next_n);
      if (next) {
        /* the buffers change roles */
        have_next = 1;
        r->buf2 = buf;
        r->buf = buf = next;
      }
    }
    cur = r->parts[r->npart - 1];
    if (cur->status || r->status) break;
    if (restart_at >= 0) {
      if (fseek(fp, (long) restart_at, SEEK_SET)) {
        set_error(r, PA_ERR_FILE, cur->lines_done + 1, -1,
                  "a read error occurred");
        goto done;
      }
      file_off = restart_at;
      restart_at = -1;
      eof = 0;
    }
    if (!eof && interrupt) interrupt();
  }

  pa_part *cur = r->parts[r->npart - 1];
  struct csv_parser *p = (struct csv_parser *) r->parser + cur->slot;
  if (!cur->status) {
    /* libcsv reports an unclosed quote at the end only in its strict mode,
     * which also rejects stray quotes without saying where; so look at the
     * parser's own state: a quoted field still open means the file ended
     * inside it. */
    if (p->quoted && p->pstate == LIBCSV_FIELD_BEGUN) {
      int64_t line = cur->nfield > 0 ? cur->rec_line : cur->lines_done + 1;
      int column = cur->nfield + 1;
      if (strict || !r->header_done) {
        char msg[256];
        line += r->lines_done;
        snprintf(msg, sizeof(msg),
                 "the quoted field starting on line %lld (field %d) is never "
                 "closed",
                 (long long) line, column);
        set_error(r, PA_ERR_QUOTE, line, column - 1, msg);
        goto done;
      }
      /* the rest of the file is one broken record: report it, and when
       * resynchronising read on from the line after its first */
      drop_record(r, cur);
      cur->records++;
      if (add_problem(part_problems(cur), cur->records, line, column - 1,
                      PA_ERR_QUOTE, "a closing quote",
                      (const unsigned char *) "end of file", 11, 1) ||
          (cur->eager && reclassify_part(r, cur))) {
        part_error(cur, PA_ERR_MEMORY, line, "out of memory");
      }
      r->want_resync = 1;
      if (r->resync && !cur->status) {
        int64_t at = part_restart(r, cur, line);
        if (at >= 0) {
          if (fseek(fp, (long) at, SEEK_SET)) {
            set_error(r, PA_ERR_FILE, line, -1, "a read error occurred");
            goto done;
          }
          file_off = at;
          eof = 0;
          goto read_more;
        }
      }
    } else if (cur->skipping) {
      /* the file ended on the line of a damaged record */
      cur->skipping = 0;
      cur->lines_done = cur->skip_line - 1;
      cur->last_term = 0;
    } else {
      csv_fini(p, on_field, on_row, cur);
      /* a last record without a line end that ends damaged */
      if (r->resync && cur->restart && !cur->status) {
        int64_t at = part_restart(r, cur, cur->rec_line);
        if (at >= 0) {
          if (fseek(fp, (long) at, SEEK_SET)) {
            set_error(r, PA_ERR_FILE, cur->rec_line, -1,
                      "a read error occurred");
            goto done;
          }
          file_off = at;
          eof = 0;
          goto read_more;
        }
      }
    }
  }
  join_part(r, cur);
  if (r->status) goto done;
  if (cur != r->parts[0] && part_compact(r, cur)) {
    set_error(r, PA_ERR_MEMORY, r->lines_done, -1, "out of memory");
    goto done;
  }
  if (!r->header_done) {
    if (cur->nfield > 0) {
      /* a header line with no terminator and nothing after it */
      if (end_header(r, cur)) {
        set_error(r, PA_ERR_MEMORY, 1, -1, "out of memory");
      }
    } else {
      set_error(r, PA_ERR_EMPTY, 0, -1, "the file is empty: no header line");
    }
  }
  if (!r->status) detect_qualtrics(r);

done:
  release_file(r);
  return r->status;
}

int pa_read_file(pa_reader *r, const char *path, unsigned char delim,
                 unsigned char decimal, int encoding, int header_mode,
                 int strict, void (*interrupt)(void)) {
  int status = read_file_once(r, path, delim, decimal, encoding, header_mode,
                              strict, interrupt);
  if (status || strict || !r->want_resync) return status;
  /* Lenient mode met a damaged record spanning lines: read again, one
   * line at a time, so that only the damaged record is dropped. The
   * caller's settings survive the reset. */
  const pa_na *na = r->na;
  int na_int = r->na_int;
  double na_real = r->na_real;
  pa_reader_free(r);
  pa_reader_init(r);
  r->na = na;
  r->na_int = na_int;
  r->na_real = na_real;
  r->nthreads = 1;
  r->resync = 1;
  return read_file_once(r, path, delim, decimal, encoding, header_mode,
                        strict, interrupt);
}

/* ------------------------------------------------------------------ */
/* column summaries and typed columns */

/* Fold a value into a summary, as pa_classify_column() does. */
static void summarize(pa_colinfo *info, const pa_na *na, unsigned char dec,
                      const unsigned char *s, size_t len, int64_t row) {
  if (pa_is_na(na, s, len)) {
    info->n_na++;
  } else {
    info->n_value++;
    if (info->can) info->can &= pa_field_types(s, len, dec);
    if (info->first_invalid < 0 && !pa_utf8_valid(s, len)) {
      info->first_invalid = row;
    }
  }
  if (len > info->max_len) info->max_len = len;
  if (info->first_nul < 0 && len && memchr(s, '\0', len)) {
    info->first_nul = row;
  }
}

static void info_init(pa_colinfo *info) {
  info->can = PA_CAN_LGL | PA_CAN_INT | PA_CAN_DBL;
  info->n_na = info->n_value = 0;
  info->first_invalid = info->first_nul = -1;
  info->max_len = 0;
}

static void first_row_at(int64_t *dst, int64_t row) {
  if (row >= 0 && (*dst < 0 || row < *dst)) *dst = row;
}

void pa_column_info(const pa_reader *r, int j, pa_colinfo *info) {
  info_init(info);
  const int64_t first = (int64_t) pa_first_row(r);
  int64_t row0 = 0; /* rows of the parts before */
  for (int k = 0; k < r->npart; k++) {
    const pa_part *g = r->parts[k];
    const pa_col *c = &g->cols[j];
    /* the deferred rows that turned out to be data */
    if ((int64_t) g->skip > first) {
      pa_iter it;
      const unsigned char *s;
      size_t len;
      iter_part(g, j, &it);
      iter_skip(&it, (size_t) first);
      for (int64_t i = first; i < (int64_t) g->skip && i < (int64_t) g->nrow &&
                              pa_iter_next(&it, &s, &len);
           i++) {
        summarize(info, r->na, r->decimal, s, len, row0 + i - first);
      }
    }
    info->can &= c->can;
    info->n_na += c->n_na;
    info->n_value += c->n_value;
    if (c->max_len > info->max_len) info->max_len = c->max_len;
    int64_t off = row0 - first;
    if (c->first_invalid >= 0) {
      first_row_at(&info->first_invalid, off + c->first_invalid);
    }
    if (c->first_nul >= 0) first_row_at(&info->first_nul, off + c->first_nul);
    row0 += (int64_t) g->nrow;
  }
}

void pa_classify_column(const pa_reader *r, int j, const pa_na *na,
                        pa_colinfo *info) {
  pa_iter it;
  const unsigned char *s;
  size_t len;
  info_init(info);
  pa_iter_column(r, j, pa_first_row(r), &it);
  int64_t row = 0;
  while (pa_iter_next(&it, &s, &len)) {
    summarize(info, na, r->decimal, s, len, row);
    row++;
  }
}

/* Values of rows [from, to) of a part's column from their text. */
static void fill_from_text(const pa_reader *r, const pa_part *g, int j,
                           int type, size_t from, size_t to, void *dest) {
  pa_iter it;
  const unsigned char *s;
  size_t len;
  iter_part(g, j, &it);
  iter_skip(&it, from);
  int *iv = dest;
  double *dv = dest;
  for (size_t i = 0; i < to - from && pa_iter_next(&it, &s, &len); i++) {
    int na = is_na_at(r, s, len), v = 0;
    switch (type) {
    case PA_LGL:
      iv[i] = !na && pa_parse_lgl(s, len, &v) ? v : r->na_int;
      break;
    case PA_INT:
      iv[i] = !na && pa_parse_int(s, len, &v) == 1 ? v : r->na_int;
      break;
    default:
      if (na || !pa_parse_dbl(s, len, r->decimal, &dv[i])) dv[i] = r->na_real;
    }
  }
}

int pa_fill_column(pa_reader *r, int j, int type, void *dest) {
  const size_t first = pa_first_row(r);
  const size_t size = type == PA_DBL ? sizeof(double) : sizeof(int);
  const int want = type == PA_LGL   ? PA_VALS_LGL
                   : type == PA_INT ? PA_VALS_INT
                                    : PA_VALS_DBL;
  unsigned char *out = dest;
  for (int k = 0; k < r->npart; k++) {
    pa_part *g = r->parts[k];
    const pa_col *c = &g->cols[j];
    size_t from = k == 0 ? first : 0;
    size_t typed = g->skip < g->nrow ? g->skip : g->nrow;
    if (from < typed) {
      fill_from_text(r, g, j, type, from, typed, out);
      out += (typed - from) * size;
      from = typed;
    }
    size_t n = g->nrow - from;
    if (c->kind == want && c->nvals == g->nrow - typed) {
      memcpy(out, (const unsigned char *) c->vals + (from - typed) * size,
             n * size);
    } else if (c->kind == PA_VALS_NA && c->nvals == g->nrow - typed) {
      for (size_t i = 0; i < n; i++) {
        if (type == PA_DBL) {
          ((double *) out)[i] = r->na_real;
        } else {
          ((int *) out)[i] = r->na_int;
        }
      }
    } else {
      if (part_restore(r, g, j)) return -1;
      fill_from_text(r, g, j, type, from, g->nrow, out);
    }
    out += n * size;
  }
  return 0;
}

int pa_fill_columns(pa_reader *r, int n, const int *cols, const int *types,
                    void *const *dests) {
  int nth = r->nthreads < n ? r->nthreads : n, bad = 0;
  if (nth < 1) nth = 1;
  (void) nth;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic, 1) \
    reduction(| : bad)
#endif
  for (int k = 0; k < n; k++) {
    bad |= pa_fill_column(r, cols[k], types[k], dests[k]) != 0;
  }
  return bad ? -1 : 0;
}

void pa_libcsv_version(char *buf, size_t size) {
  snprintf(buf, size, "%d.%d.%d", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
}

/* CSV reader kernel on libcsv. No R headers: see read.h. */
#include "read.h"

#include <csv.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PA_BLOCK (1u << 20)   /* bytes read per call to fread() */
#define PA_SNIFF_LINES 30     /* lines looked at to guess the delimiter */

/* ------------------------------------------------------------------ */
/* byte stores */

static int bytes_reserve(pa_bytes *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
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

/* Append <varint len><bytes>. */
static int bytes_put_field(pa_bytes *b, const unsigned char *s, size_t len) {
  if (bytes_reserve(b, len + 10)) return -1;
  size_t n = len;
  unsigned char *p = b->data + b->len;
  while (n >= 0x80) {
    *p++ = (unsigned char) (n | 0x80);
    n >>= 7;
  }
  *p++ = (unsigned char) n;
  if (len) memcpy(p, s, len);
  b->len = (size_t) (p - b->data) + len;
  return 0;
}

static void bytes_free(pa_bytes *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

int pa_iter_next(pa_iter *it, const unsigned char **s, size_t *len) {
  if (it->p >= it->end) return 0;
  size_t n = 0;
  int shift = 0;
  unsigned char c;
  do {
    c = *it->p++;
    n |= (size_t) (c & 0x7f) << shift;
    shift += 7;
  } while (c & 0x80);
  *s = it->p;
  *len = n;
  it->p += n;
  return 1;
}

static void iter_skip(pa_iter *it, size_t k) {
  const unsigned char *s;
  size_t len;
  while (k-- > 0 && pa_iter_next(it, &s, &len)) {
  }
}

void pa_iter_column(const pa_reader *r, int j, size_t skip, pa_iter *it) {
  it->p = r->cols[j].data;
  it->end = r->cols[j].data + r->cols[j].len;
  iter_skip(it, skip);
}

void pa_iter_names(const pa_reader *r, pa_iter *it) {
  it->p = r->names.data;
  it->end = r->names.data + r->names.len;
}

void pa_column_release(pa_reader *r, int j) { bytes_free(&r->cols[j]); }

size_t pa_first_row(const pa_reader *r) { return r->qualtrics ? 2 : 0; }

/* ------------------------------------------------------------------ */
/* reader state */

void pa_reader_init(pa_reader *r) { memset(r, 0, sizeof(*r)); }

static void release_file(pa_reader *r) {
  if (r->parser) {
    csv_free(r->parser);
    free(r->parser);
    r->parser = NULL;
  }
  free(r->buf);
  r->buf = NULL;
  if (r->fp) fclose(r->fp);
  r->fp = NULL;
}

void pa_reader_free(pa_reader *r) {
  release_file(r);
  bytes_free(&r->names);
  if (r->cols) {
    for (int j = 0; j < r->ncol; j++) bytes_free(&r->cols[j]);
    free(r->cols);
  }
  free(r->mark);
  free(r->row_line);
  free(r->problems);
  bytes_free(&r->problem_text);
  r->cols = NULL;
  r->mark = NULL;
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

static size_t put_text(pa_reader *r, const unsigned char *s, size_t len) {
  size_t at = r->problem_text.len;
  if (bytes_reserve(&r->problem_text, len + 1)) return (size_t) -1;
  if (len) memcpy(r->problem_text.data + at, s, len);
  r->problem_text.data[at + len] = '\0';
  r->problem_text.len += len + 1;
  return at;
}

int pa_add_problem(pa_reader *r, int64_t row, int64_t line, int column,
                   int kind, const char *expected, const unsigned char *actual,
                   size_t actual_len, int dropped) {
  if (r->nproblem == r->problem_cap) {
    size_t cap = r->problem_cap ? 2 * r->problem_cap : 16;
    pa_problem *p = realloc(r->problems, cap * sizeof(*p));
    if (!p) return -1;
    r->problems = p;
    r->problem_cap = cap;
  }
  /* keep the recorded value short: it is for a person to read */
  if (actual_len > 200) actual_len = 200;
  size_t e = put_text(r, (const unsigned char *) expected, strlen(expected));
  size_t a = put_text(r, actual, actual_len);
  if (e == (size_t) -1 || a == (size_t) -1) return -1;
  pa_problem *p = &r->problems[r->nproblem++];
  p->row = row;
  p->line = line;
  p->column = column;
  p->kind = kind;
  p->expected = e;
  p->actual = a;
  p->dropped = dropped;
  return 0;
}

/* ------------------------------------------------------------------ */
/* libcsv callbacks */

/* Newlines inside a (quoted) field advance the physical line count; a
 * CR LF pair counts once. */
static int64_t count_newlines(const unsigned char *s, size_t len) {
  int64_t n = 0;
  const unsigned char *p = s, *end = s + len;
  while (p < end) {
    const unsigned char *lf = memchr(p, '\n', (size_t) (end - p));
    const unsigned char *cr = memchr(p, '\r', (size_t) (end - p));
    if (!lf && !cr) break;
    const unsigned char *q = (!cr || (lf && lf < cr)) ? lf : cr;
    n++;
    if (*q == '\r' && q + 1 < end && q[1] == '\n') q++;
    p = q + 1;
  }
  return n;
}

static void on_field(void *s, size_t len, void *data) {
  pa_reader *r = data;
  if (r->status) return;
  const unsigned char *f = s ? s : (const unsigned char *) "";
  if (!r->record_started) {
    r->record_started = 1;
    r->rec_line = r->lines_done + 1;
  }
  r->fields_since_term++;
  if (len && (memchr(f, '\n', len) || memchr(f, '\r', len))) {
    r->lines_done += count_newlines(f, len);
  }
  if (!r->header_done) {
    if (bytes_put_field(&r->names, f, len)) {
      set_error(r, PA_ERR_MEMORY, r->rec_line, -1, "out of memory");
    }
    r->nfield++;
    return;
  }
  if (r->nfield < r->ncol) {
    if (bytes_put_field(&r->cols[r->nfield], f, len)) {
      set_error(r, PA_ERR_MEMORY, r->rec_line, -1, "out of memory");
    }
  }
  r->nfield++;
}

static int end_header(pa_reader *r) {
  r->ncol = r->nfield;
  r->cols = calloc((size_t) r->ncol, sizeof(pa_bytes));
  r->mark = calloc((size_t) r->ncol, sizeof(size_t));
  if (!r->cols || !r->mark) return -1;
  r->header_done = 1;
  return 0;
}

static void end_record(pa_reader *r) {
  if (!r->header_done) {
    if (end_header(r)) {
      set_error(r, PA_ERR_MEMORY, r->rec_line, -1, "out of memory");
    }
    return;
  }
  r->records++;
  if (r->nfield != r->ncol) {
    /* roll the columns back to where this record began */
    int upto = r->nfield < r->ncol ? r->nfield : r->ncol;
    for (int j = 0; j < upto; j++) r->cols[j].len = r->mark[j];
    char expected[64], actual[64];
    snprintf(expected, sizeof(expected), "%d fields", r->ncol);
    snprintf(actual, sizeof(actual), "%d fields", r->nfield);
    if (r->strict) {
      char msg[256];
      snprintf(msg, sizeof(msg),
               "line %lld has %d fields, but the header has %d",
               (long long) r->rec_line, r->nfield, r->ncol);
      set_error(r, PA_ERR_RAGGED, r->rec_line, -1, msg);
    } else if (pa_add_problem(r, r->records, r->rec_line, -1, PA_ERR_RAGGED,
                              expected, (const unsigned char *) actual,
                              strlen(actual), 1)) {
      set_error(r, PA_ERR_MEMORY, r->rec_line, -1, "out of memory");
    }
    return;
  }
  if (r->nrow == r->row_cap) {
    size_t cap = r->row_cap ? 2 * r->row_cap : 1024;
    int64_t *p = realloc(r->row_line, cap * sizeof(*p));
    if (!p) {
      set_error(r, PA_ERR_MEMORY, r->rec_line, -1, "out of memory");
      return;
    }
    r->row_line = p;
    r->row_cap = cap;
  }
  r->row_line[r->nrow++] = r->rec_line;
  for (int j = 0; j < r->ncol; j++) r->mark[j] = r->cols[j].len;
}

static void on_row(int c, void *data) {
  pa_reader *r = data;
  if (r->status) return;
  int had_fields = r->fields_since_term > 0;
  /* the LF of a CR LF pair arrives as a row of its own: not a new line */
  int lf_of_crlf = (c == '\n' && r->last_term == '\r' && !had_fields);
  if (c == '\n' || c == '\r') {
    if (!lf_of_crlf) r->lines_done++;
    r->last_term = c;
  } else {
    r->last_term = 0;
  }
  r->fields_since_term = 0;
  if (!had_fields) return; /* a blank line: not a record */
  end_record(r);
  r->nfield = 0;
  r->record_started = 0;
}

static int never_space(unsigned char c) {
  (void) c;
  return 0;
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

static void detect_qualtrics(pa_reader *r) {
  if (r->header_mode == PA_HEADER_SINGLE || r->ncol == 0) return;
  if (r->header_mode == PA_HEADER_QUALTRICS) {
    r->qualtrics = r->nrow >= 2;
    return;
  }
  if (r->nrow < 2) return;
  pa_iter it;
  const unsigned char *s;
  size_t len;
  pa_iter_column(r, 0, 1, &it);
  if (pa_iter_next(&it, &s, &len) && is_import_id(s, len)) r->qualtrics = 1;
}

/* ------------------------------------------------------------------ */
/* the file */

int pa_read_file(pa_reader *r, const char *path, unsigned char delim,
                 unsigned char decimal, int encoding, int header_mode,
                 int strict, void (*interrupt)(void)) {
  r->encoding = encoding;
  r->header_mode = header_mode;
  r->strict = strict;
  snprintf(r->path, sizeof(r->path), "%s", path);

  FILE *fp = fopen(path, "rb");
  if (!fp) {
    char msg[256];
    snprintf(msg, sizeof(msg), "cannot open the file (%s)", strerror(errno));
    set_error(r, PA_ERR_FILE, 0, -1, msg);
    return r->status;
  }
  r->fp = fp;
  unsigned char *buf = r->buf = malloc(PA_BLOCK);
  struct csv_parser *p = calloc(1, sizeof(struct csv_parser));
  if (!buf || !p) {
    free(p);
    set_error(r, PA_ERR_MEMORY, 0, -1, "out of memory");
    goto done;
  }
  if (csv_init(p, CSV_REPALL_NL) != 0) {
    free(p);
    set_error(r, PA_ERR_MEMORY, 0, -1, "cannot start the CSV parser");
    goto done;
  }
  r->parser = p;
  csv_set_space_func(p, never_space);

  int first = 1;
  for (;;) {
    size_t n = fread(buf, 1, PA_BLOCK, fp);
    if (n < PA_BLOCK && ferror(fp)) {
      set_error(r, PA_ERR_FILE, r->lines_done + 1, -1,
                "a read error occurred");
      goto done;
    }
    int eof = n < PA_BLOCK;
    const unsigned char *s = buf;
    size_t len = n;
    if (first) {
      first = 0;
      if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        r->had_bom = 1;
        s += 3;
        len -= 3;
      }
      r->delim = delim ? delim : sniff_delim(s, len, eof);
      r->decimal = decimal ? decimal : (r->delim == ';' ? ',' : '.');
      csv_set_delim(p, r->delim);
    }
    if (len && csv_parse(p, s, len, on_field, on_row, r) != len) {
      set_error(r, PA_ERR_MEMORY, r->lines_done + 1, -1,
                csv_strerror(csv_error(p)));
    }
    if (r->status) goto done;
    if (eof) break;
    if (interrupt) interrupt();
  }
  /* libcsv reports an unclosed quote at the end only in its strict mode,
   * which also rejects stray quotes without saying where; so look at the
   * parser's own state: a quoted field still open means the file ended
   * inside it. (2 is libcsv's FIELD_BEGUN state.) */
  if (p->quoted && p->pstate == 2) {
    int64_t line = r->record_started ? r->rec_line : r->lines_done + 1;
    int column = r->nfield + 1;
    if (strict || !r->header_done) {
      char msg[256];
      snprintf(msg, sizeof(msg),
               "the quoted field starting on line %lld (field %d) is never "
               "closed",
               (long long) line, column);
      set_error(r, PA_ERR_QUOTE, line, column - 1, msg);
    } else {
      /* what is left of the file is one broken record: report it */
      for (int j = 0; j < r->nfield && j < r->ncol; j++) {
        r->cols[j].len = r->mark[j];
      }
      r->records++;
      if (pa_add_problem(r, r->records, line, column - 1, PA_ERR_QUOTE,
                         "a closing quote",
                         (const unsigned char *) "end of file", 11, 1)) {
        set_error(r, PA_ERR_MEMORY, line, -1, "out of memory");
      }
    }
  } else {
    csv_fini(p, on_field, on_row, r);
  }
  if (r->status) goto done;
  if (!r->header_done) {
    if (r->nfield > 0) {
      /* a header line with no terminator and nothing after it */
      if (end_header(r)) set_error(r, PA_ERR_MEMORY, 1, -1, "out of memory");
    } else {
      set_error(r, PA_ERR_EMPTY, 0, -1, "the file is empty: no header line");
    }
  }
  if (!r->status) detect_qualtrics(r);

done:
  release_file(r);
  return r->status;
}

/* ------------------------------------------------------------------ */
/* values */

int pa_is_na(const pa_na *na, const unsigned char *s, size_t len) {
  for (int k = 0; k < na->n; k++) {
    if (na->len[k] == len && (len == 0 || memcmp(na->s[k], s, len) == 0)) {
      return 1;
    }
  }
  return 0;
}

int pa_parse_lgl(const unsigned char *s, size_t len, int *out) {
  static const char *yes[] = {"TRUE", "True", "true", "T"};
  static const char *no[] = {"FALSE", "False", "false", "F"};
  for (int k = 0; k < 4; k++) {
    if (strlen(yes[k]) == len && memcmp(yes[k], s, len) == 0) {
      *out = 1;
      return 1;
    }
    if (strlen(no[k]) == len && memcmp(no[k], s, len) == 0) {
      *out = 0;
      return 1;
    }
  }
  return 0;
}

static void trim(const unsigned char **s, size_t *len) {
  while (*len && **s == ' ') {
    (*s)++;
    (*len)--;
  }
  while (*len && (*s)[*len - 1] == ' ') (*len)--;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* An integer: optional sign, digits without a leading zero (unless the
 * number is 0). Returns 1 if it fits a 32-bit R integer, 2 if it is an
 * integer that does not, 0 otherwise. */
int pa_parse_int(const unsigned char *s, size_t len, int *out) {
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
int pa_parse_dbl(const unsigned char *s, size_t len, unsigned char decimal,
                 double *out) {
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
  int exp10 = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
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
  if (k == 2) return PA_CAN_DBL;
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

int pa_utf8_valid(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
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
      if (i + k >= len || (s[i + k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return 0;
    }
    i += n + 1;
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

static int has_high_bit(const unsigned char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (s[i] & 0x80) return 1;
  }
  return 0;
}

void pa_classify_column(const pa_reader *r, int j, const pa_na *na,
                        pa_colinfo *info) {
  pa_iter it;
  const unsigned char *s;
  size_t len;
  unsigned can = PA_CAN_LGL | PA_CAN_INT | PA_CAN_DBL;
  info->n_na = info->n_value = 0;
  info->first_invalid = info->first_nul = -1;
  info->max_len = 0;
  pa_iter_column(r, j, pa_first_row(r), &it);
  int64_t row = 0;
  while (pa_iter_next(&it, &s, &len)) {
    if (pa_is_na(na, s, len)) {
      info->n_na++;
    } else {
      info->n_value++;
      if (can) can &= pa_field_types(s, len, r->decimal);
      if (info->first_invalid < 0 && has_high_bit(s, len) &&
          !pa_utf8_valid(s, len)) {
        info->first_invalid = row;
      }
    }
    if (len > info->max_len) info->max_len = len;
    if (info->first_nul < 0 && len && memchr(s, '\0', len)) {
      info->first_nul = row;
    }
    row++;
  }
  info->can = can;
}

void pa_libcsv_version(char *buf, size_t size) {
  snprintf(buf, size, "%d.%d.%d", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
}

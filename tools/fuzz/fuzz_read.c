/* libFuzzer target for the CSV reader kernel (src/read.c), without R.
 *
 * Input layout: byte 0 chooses the reader's settings, the rest is the
 * file. The kernel only reads paths, so the file goes to a private file in
 * /dev/shm (memory, not disk) that is rewritten for every input.
 *
 * Besides the sanitizers, the target checks properties the R glue relies
 * on, and traps when one fails, so that libFuzzer keeps the input:
 *   - no row lost: kept rows + dropped rows = records;
 *   - classification counts every kept row exactly once;
 *   - every value the kernel accepts as a number is the number strtod() /
 *     strtoll() read from the same text (correct rounding, no wrap-around);
 *   - Latin-1 to UTF-8 conversion fits in 2 * len bytes and yields valid
 *     UTF-8 of the expected length;
 *   - record lines are increasing and within the lines counted;
 *   - every physical line is the header, blank, the start of a kept row or
 *     of a reported record, or inside a kept row's quoted line breaks, and
 *     every kept row is a well-formed record whose values are its text,
 *     byte for byte, read by an independent RFC 4180 reader (check_lines);
 *     a stray quote read as text (a quoted field over lines that are each
 *     a full record) is reported on the two lines that hold its quotes,
 *     and those lines are kept with the quotes as text, value for value
 *     (literal_record), the lines between as ordinary records.
 *
 * Built with -DPA_FUZZ_TYPED (tools/fuzz/run.sh adds it when src/read.h
 * declares pa_fill_column(), the kernel that classifies and converts while
 * it parses and can parse parts of a file at once), it also checks:
 *   - the column summary kept while parsing equals one computed afresh
 *     from the text (pa_column_info() against pa_classify_column());
 *   - the typed values pa_fill_columns() gives equal those parsed from the
 *     text.
 * Built also with -DPA_FUZZ_PARTS, every input is repeated until it is
 * PA_FUZZ_CUT_SIZE bytes long, then read by one parser and by 2 to 4
 * parts, which must give exactly the same result. The kernel reads its
 * first block (PA_BLOCK) alone and cuts what follows only if that is at
 * least two minimal pieces (2 x PA_MIN_PIECE) long, so the size must exceed
 * both together: with the kernel's default sizes the inputs are over 1 MiB
 * and this build runs 40 times slower, so run.sh gives it its own corpus
 * and a third of the time. */
#include "read.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PA_FUZZ_CUT_SIZE
#define PA_FUZZ_CUT_SIZE ((1u << 20) + 2u * 65536u + 4096u)
#endif

static char path[256];

/* A failed property is a bug: stop here so libFuzzer saves the input. */
#define REQUIRE(cond)                                                        \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "fuzz_read: property failed at %s:%d: %s\n", __FILE__, \
              __LINE__, #cond);                                              \
      __builtin_trap();                                                      \
    }                                                                        \
  } while (0)

static void remove_file(void) { unlink(path); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void) argc;
  (void) argv;
  snprintf(path, sizeof(path), "/dev/shm/pa-fuzz-%ld.csv", (long) getpid());
  atexit(remove_file);
  return 0;
}

/* The kernel calls back between 1 MiB blocks; counting the calls is enough
 * to have the path run. */
static unsigned long n_interrupt;
static void on_interrupt(void) { n_interrupt++; }

typedef struct {
  unsigned char delim, decimal;
  int encoding, header, strict;
} settings;

/* 4 delimiters x 3 encodings x 3 header modes x 2 = 72 combinations, and
 * what is left of the byte picks the decimal mark. */
static settings decode(unsigned char b) {
  static const unsigned char delims[4] = {0, ',', ';', '\t'};
  static const unsigned char decimals[4] = {0, '.', ',', 0};
  settings s;
  s.delim = delims[b % 4];
  b /= 4;
  s.encoding = b % 3; /* PA_ENC_AUTO, PA_ENC_UTF8, PA_ENC_LATIN1 */
  b /= 3;
  s.header = b % 3; /* PA_HEADER_AUTO, _SINGLE, _QUALTRICS */
  b /= 3;
  s.strict = b % 2;
  b /= 2;
  s.decimal = decimals[b % 4];
  return s;
}

/* The field without surrounding spaces, NUL-terminated, with the decimal
 * mark replaced by '.', as strtod() wants it. */
static char *c_string(const unsigned char *s, size_t len, unsigned char dec) {
  while (len && *s == ' ') {
    s++;
    len--;
  }
  while (len && s[len - 1] == ' ') len--;
  char *out = malloc(len + 1);
  REQUIRE(out != NULL);
  for (size_t i = 0; i < len; i++) out[i] = s[i] == dec ? '.' : (char) s[i];
  out[len] = '\0';
  return out;
}

static void check_numbers(const unsigned char *s, size_t len,
                          unsigned char dec) {
  int iv = 0;
  int k = pa_parse_int(s, len, &iv);
  if (k == 1) {
    char *c = c_string(s, len, '.');
    char *end;
    errno = 0;
    long long ref = strtoll(c, &end, 10);
    REQUIRE(*end == '\0' && errno == 0);
    REQUIRE(ref == (long long) iv);
    REQUIRE(iv != INT_MIN); /* R's NA_integer_ */
    free(c);
  }
  double dv = 0;
  int ok = pa_parse_dbl(s, len, dec, &dv);
  if (ok) {
    char *c = c_string(s, len, dec);
    char *end;
    double ref = strtod(c, &end);
    REQUIRE(*end == '\0');
    if (isnan(ref)) {
      REQUIRE(isnan(dv));
    } else {
      /* bit-identical: the kernel promises correct rounding */
      REQUIRE(memcmp(&ref, &dv, sizeof(double)) == 0);
    }
    free(c);
  }
  /* a value that is an integer must read as the same double */
  if (k == 1) {
    REQUIRE(ok);
    REQUIRE(dv == (double) iv);
  }
  unsigned t = pa_field_types(s, len, dec);
  if (t & PA_CAN_INT) REQUIRE(k == 1 && (t & PA_CAN_DBL));
  if (t & PA_CAN_DBL) REQUIRE(ok || k == 2);
  int lv;
  if (pa_parse_lgl(s, len, &lv)) {
    REQUIRE(t == PA_CAN_LGL && (lv == 0 || lv == 1));
  }
}

static void check_encoding(const unsigned char *s, size_t len) {
  int valid = pa_utf8_valid(s, len);
  size_t high = 0;
  for (size_t i = 0; i < len; i++) high += s[i] >> 7;
  if (high == 0) REQUIRE(valid);
  /* exactly 2 * len bytes, so that ASan sees any write past the promise */
  unsigned char *out = malloc(2 * len + (len == 0));
  REQUIRE(out != NULL);
  size_t n = pa_latin1_to_utf8(s, len, out);
  REQUIRE(n == len + high);
  REQUIRE(pa_utf8_valid(out, n));
  free(out);
}


static const char *na_s[] = {"", "NA", "."};
static const size_t na_len[] = {0, 2, 1};
static const pa_na na_list = {na_s, na_len, 3};

/* Write the file and read it; returns the status. */
static int read_file(pa_reader *r, const settings *set, int nthreads) {
  pa_reader_init(r);
#ifdef PA_FUZZ_TYPED
  r->nthreads = nthreads;
  r->na = &na_list;
  r->na_int = INT_MIN;
  uint64_t na_bits = 0x7FF00000000007A2ull; /* R's NA_real_ */
  memcpy(&r->na_real, &na_bits, sizeof(double));
#else
  (void) nthreads;
#endif
  int status = pa_read_file(r, path, set->delim, set->decimal, set->encoding,
                            set->header, set->strict, on_interrupt);
  /* whatever happened, the file and the parser are released */
  REQUIRE(r->fp == NULL && r->buf == NULL && r->parser == NULL);
  REQUIRE(status == r->status);
  return status;
}

static int write_file(const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int ok = size == 0 || fwrite(data, 1, size, f) == size;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}

#ifdef PA_FUZZ_TYPED
static int same_info(const pa_colinfo *a, const pa_colinfo *b) {
  return a->can == b->can && a->n_na == b->n_na && a->n_value == b->n_value &&
         a->first_invalid == b->first_invalid &&
         a->first_nul == b->first_nul && a->max_len == b->max_len;
}

#ifdef PA_FUZZ_PARTS
static int same_store(const pa_reader *a, const pa_reader *b, int j) {
  pa_iter ia, ib;
  const unsigned char *sa = NULL, *sb = NULL;
  size_t la = 0, lb = 0;
  if (j < 0) {
    pa_iter_names(a, &ia);
    pa_iter_names(b, &ib);
  } else {
    pa_iter_column(a, j, 0, &ia);
    pa_iter_column(b, j, 0, &ib);
  }
  for (;;) {
    int ka = pa_iter_next(&ia, &sa, &la), kb = pa_iter_next(&ib, &sb, &lb);
    if (ka != kb) return 0;
    if (!ka) return 1;
    if (la != lb || (la && memcmp(sa, sb, la) != 0)) return 0;
  }
}

/* One parser (a) and several parts (b) must agree on everything. */
static void compare_readers(const pa_reader *a, const pa_reader *b) {
  REQUIRE(a->status == b->status);
  if (a->status != PA_OK) {
    REQUIRE(a->err_line == b->err_line && a->err_column == b->err_column);
    REQUIRE(strcmp(a->msg, b->msg) == 0);
    return;
  }
  REQUIRE(a->ncol == b->ncol && a->nrow == b->nrow);
  REQUIRE(a->records == b->records && a->lines_done == b->lines_done);
  REQUIRE(a->delim == b->delim && a->decimal == b->decimal);
  REQUIRE(a->qualtrics == b->qualtrics && a->had_bom == b->had_bom);
  REQUIRE(a->nproblem == b->nproblem);
  for (size_t k = 0; k < a->nproblem; k++) {
    const pa_problem *p = &a->problems[k], *q = &b->problems[k];
    REQUIRE(p->row == q->row && p->line == q->line);
    REQUIRE(p->column == q->column && p->kind == q->kind);
    REQUIRE(p->dropped == q->dropped);
    REQUIRE(strcmp((const char *) a->problem_text.data + p->expected,
                   (const char *) b->problem_text.data + q->expected) == 0);
    REQUIRE(strcmp((const char *) a->problem_text.data + p->actual,
                   (const char *) b->problem_text.data + q->actual) == 0);
  }
  for (size_t i = 0; i < a->nrow; i++) {
    REQUIRE(a->row_line[i] == b->row_line[i]);
  }
  REQUIRE(same_store(a, b, -1));
  for (int j = 0; j < a->ncol; j++) {
    REQUIRE(same_store(a, b, j));
    pa_colinfo ia, ib;
    pa_column_info(a, j, &ia);
    pa_column_info(b, j, &ib);
    REQUIRE(same_info(&ia, &ib));
  }
}
#endif

/* pa_column_info() against the text, and the typed values against the
 * text, for every column. The values are filled first, while the parts
 * that are done still hold only what part_compact() left them; then the
 * text is written back (pa_column_text()) and must be the text as read
 * (compare_readers() checks it against one parser's). */
static void check_typed(pa_reader *r) {
  size_t first = pa_first_row(r), nrow = r->nrow - first;
  int n = 0;
  int *cols = malloc(sizeof(int) * (size_t) r->ncol);
  int *types = malloc(sizeof(int) * (size_t) r->ncol);
  void **dests = malloc(sizeof(void *) * (size_t) r->ncol);
  REQUIRE(cols && types && dests);
  pa_colinfo *kept = malloc(sizeof(pa_colinfo) * ((size_t) r->ncol + 1));
  REQUIRE(kept != NULL);
  for (int j = 0; j < r->ncol; j++) {
    pa_column_info(r, j, &kept[j]);
    int type = pa_column_type(kept[j].can, kept[j].n_value);
    if (type == PA_CHR) continue;
    cols[n] = j;
    types[n] = type;
    dests[n] = malloc((type == PA_DBL ? sizeof(double) : sizeof(int)) *
                      (nrow ? nrow : 1));
    REQUIRE(dests[n] != NULL);
    n++;
  }
  REQUIRE(pa_fill_columns(r, n, cols, types, dests) == 0);
  for (int j = 0; j < r->ncol; j++) {
    pa_colinfo fresh;
    REQUIRE(pa_column_text(r, j, 1) == 0);
    pa_classify_column(r, j, &na_list, &fresh);
    REQUIRE(same_info(&kept[j], &fresh));
  }
  free(kept);
  for (int k = 0; k < n; k++) {
    pa_iter it;
    const unsigned char *s;
    size_t len, i = 0;
    pa_iter_column(r, cols[k], first, &it);
    while (pa_iter_next(&it, &s, &len)) {
      int na = pa_is_na(&na_list, s, len), iv = 0;
      double dv = 0;
      if (types[k] == PA_DBL) {
        if (na || !pa_parse_dbl(s, len, r->decimal, &dv)) dv = r->na_real;
        REQUIRE(memcmp(&dv, (double *) dests[k] + i, sizeof(double)) == 0);
      } else {
        int ok = types[k] == PA_LGL ? pa_parse_lgl(s, len, &iv)
                                    : pa_parse_int(s, len, &iv) == 1;
        if (na || !ok) iv = r->na_int;
        REQUIRE(iv == ((int *) dests[k])[i]);
      }
      i++;
    }
    REQUIRE(i == nrow);
    free(dests[k]);
  }
  free(cols);
  free(types);
  free(dests);
}
#endif

/* One record read by the rules the kernel promises, independently of
 * libcsv: a field that starts with a quote runs to a quote followed by the
 * delimiter, a line end or the end of the input, with "" for a quote
 * inside; a quote anywhere else is text; an unquoted CR or LF ends the
 * record. Returns the offset just past the record (its line end not
 * included), or (size_t) -1 when the record is malformed (text after a
 * closing quote, or a quote never closed). Sets *nfield and *breaks, the
 * line ends inside quoted fields (CR LF counting once). When `its` is not
 * NULL every field must equal, byte for byte, the next value of its
 * column. */
static size_t rfc_record(const uint8_t *b, size_t n, size_t at,
                         unsigned char delim, int ncol, pa_iter *its,
                         unsigned char *field, int *nfield,
                         int64_t *breaks) {
  *nfield = 0;
  *breaks = 0;
  for (;;) {
    size_t len = 0;
    if (at < n && b[at] == '"') {
      at++;
      for (;;) {
        if (at >= n) return (size_t) -1;
        if (b[at] == '"') {
          if (at + 1 < n && b[at + 1] == '"') {
            field[len++] = '"';
            at += 2;
            continue;
          }
          at++;
          if (at < n && b[at] != delim && b[at] != '\n' && b[at] != '\r') {
            return (size_t) -1;
          }
          break;
        }
        if (b[at] == '\n' || b[at] == '\r') {
          (*breaks)++;
          if (b[at] == '\r' && at + 1 < n && b[at + 1] == '\n') {
            field[len++] = b[at++];
          }
        }
        field[len++] = b[at++];
      }
    } else {
      while (at < n && b[at] != delim && b[at] != '\n' && b[at] != '\r') {
        field[len++] = b[at++];
      }
    }
    if (its && *nfield < ncol) {
      const unsigned char *v;
      size_t vlen;
      REQUIRE(pa_iter_next(&its[*nfield], &v, &vlen));
      REQUIRE(vlen == len && (len == 0 || memcmp(v, field, len) == 0));
    }
    (*nfield)++;
    if (at < n && b[at] == delim) {
      at++;
      continue;
    }
    return at;
  }
}

/* One field by the RFC rules (as rfc_record() reads them) from b[at];
 * returns the offset after it, or (size_t) -1 when it is malformed. */
static size_t rfc_field(const uint8_t *b, size_t n, size_t at,
                        unsigned char delim, unsigned char *field,
                        size_t *len) {
  *len = 0;
  if (at < n && b[at] == '"') {
    at++;
    for (;;) {
      if (at >= n) return (size_t) -1;
      if (b[at] == '"') {
        if (at + 1 < n && b[at + 1] == '"') {
          field[(*len)++] = '"';
          at += 2;
          continue;
        }
        at++;
        if (at < n && b[at] != delim && b[at] != '\n' && b[at] != '\r') {
          return (size_t) -1;
        }
        return at;
      }
      if (b[at] == '\n' || b[at] == '\r') return (size_t) -1; /* one line */
      field[(*len)++] = b[at++];
    }
  }
  while (at < n && b[at] != delim && b[at] != '\n' && b[at] != '\r') {
    field[(*len)++] = b[at++];
  }
  return at;
}

static void same_value(pa_iter *it, const unsigned char *field, size_t len) {
  const unsigned char *v;
  size_t vlen;
  REQUIRE(pa_iter_next(it, &v, &vlen));
  REQUIRE(vlen == len && (len == 0 || memcmp(v, field, len) == 0));
}

/* A line whose stray quote was read as text (see suspect_field() in
 * read.c), value for value. On the line where the quote opens, the
 * fields before column jq follow the RFC rules, and from the quote on the
 * line is cut at every delimiter, the quote kept at the start of the
 * first value. On the line where it closes, the line up to the closing
 * quote (the last quote followed by a delimiter or the line end before
 * the remaining ncol - 1 - jq fields) is cut at every delimiter, the
 * quote kept at the end of the last value, and the fields after it follow
 * the RFC rules. */
static void literal_record(const uint8_t *b, size_t start, size_t end,
                           unsigned char delim, int ncol, int jq, int opens,
                           pa_iter *its, unsigned char *field) {
  size_t at = start, len;
  int j = 0;
  if (opens) {
    for (; j < jq; j++) {
      at = rfc_field(b, end, at, delim, field, &len);
      REQUIRE(at != (size_t) -1 && at < end && b[at] == delim);
      same_value(&its[j], field, len);
      at++;
    }
    REQUIRE(at < end && b[at] == '"');
    for (;;) {
      size_t e = at;
      while (e < end && b[e] != delim) e++;
      REQUIRE(j < ncol);
      same_value(&its[j++], b + at, e - at);
      if (e == end) break;
      at = e + 1;
    }
    REQUIRE(j == ncol);
    return;
  }
  /* the closing quote: the values up to it have jq delimiters between
   * them and hold no quote but the last, which ends with it */
  for (;;) {
    size_t e = at;
    while (e < end && b[e] != delim) e++;
    REQUIRE(j <= jq);
    same_value(&its[j++], b + at, e - at);
    if (j == jq + 1) {
      REQUIRE(e > at && b[e - 1] == '"');
      at = e;
      break;
    }
    REQUIRE(e < end);
    at = e + 1;
  }
  for (; j < ncol; j++) {
    REQUIRE(at < end && b[at] == delim);
    at = rfc_field(b, end, at + 1, delim, field, &len);
    REQUIRE(at != (size_t) -1);
    same_value(&its[j], field, len);
  }
  REQUIRE(at == end);
}

/* Every physical line kept or reported, and no text value altered. Lines
 * end as the kernel counts them: LF, CR LF or CR. Each non-blank line after
 * the header starts a kept row or a dropped (reported) record, or lies
 * inside a kept row that spans lines: never inside a dropped record, whose
 * lines after the first are read again as records of their own. A kept
 * row is a well-formed record (rfc_record()) whose fields are the values
 * kept, byte for byte, and whose quoted line ends cover exactly the lines
 * up to the next record; a record that is not well-formed is never kept.
 * For an input without quotes each line is exactly one record. */
static void check_lines(const pa_reader *r, const uint8_t *body, size_t n) {
  size_t at = 0;
  if (n >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF) at = 3;
  int64_t line = 0, records = 0, covered = 0; /* lines inside kept rows */
  int header = 0, opens = 0;
  size_t row = 0, prob = 0;
  pa_iter *its = malloc(sizeof(pa_iter) * ((size_t) r->ncol + 1));
  unsigned char *field = malloc(n + 1);
  REQUIRE(its != NULL && field != NULL);
  for (int j = 0; j < r->ncol; j++) pa_iter_column(r, j, 0, &its[j]);
  while (at < n) {
    size_t start = at;
    while (at < n && body[at] != '\n' && body[at] != '\r') at++;
    size_t end = at;
    if (at < n && body[at] == '\r' && at + 1 < n && body[at + 1] == '\n') at++;
    if (at < n) at++;
    line++;
    int is_row = row < r->nrow && r->row_line[row] == line;
    /* a stray quote read as text: a kept row whose line holds the quote */
    int stray = 0, jq = 0;
    if (prob < r->nproblem && r->problems[prob].line == line &&
        r->problems[prob].dropped == PA_QUOTE_TEXT) {
      stray = 1;
      jq = r->problems[prob].column;
      prob++;
      opens = !opens; /* they come in pairs: where it opens, then closes */
    }
    REQUIRE(!stray || is_row);
    int is_prob = prob < r->nproblem && r->problems[prob].line == line;
    if (end == start && !is_row && !is_prob) continue; /* blank */
    int nfield;
    int64_t breaks;
    if (!header) {
      /* the header was read (status OK), so it is well-formed */
      header = 1;
      REQUIRE(rfc_record(body, n, start, r->delim, r->ncol, NULL, field,
                         &nfield, &breaks) != (size_t) -1);
      REQUIRE(nfield == r->ncol);
      covered = line + breaks;
      continue;
    }
    if (!is_row && !is_prob) {
      REQUIRE(line <= covered);
      continue;
    }
    REQUIRE(line > covered); /* no line read twice */
    records++;
    if (is_row && stray) {
      /* the line read with its quotes as text: one record of the width */
      literal_record(body, start, end, r->delim, r->ncol, jq, opens, its,
                     field);
      /* the lines between the two are ordinary records */
      covered = line;
      row++;
    } else if (is_row) {
      size_t stop = rfc_record(body, n, start, r->delim, r->ncol, its, field,
                               &nfield, &breaks);
      REQUIRE(stop != (size_t) -1 && nfield == r->ncol);
      covered = line + breaks;
      row++;
    } else {
      REQUIRE(r->problems[prob].dropped);
      prob++;
    }
  }
  REQUIRE(row == r->nrow && prob == r->nproblem && records == r->records);
  free(field);
  free(its);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  settings set = decode(data[0]);
  const uint8_t *body = data + 1;
  size_t body_size = size - 1;
  uint8_t *big = NULL;
  int cut = 0;
#ifdef PA_FUZZ_PARTS
  /* large enough for the kernel to cut it into parts */
  cut = body_size > 0;
  if (cut) {
    size_t want = PA_FUZZ_CUT_SIZE, n = 0;
    big = malloc(want + body_size);
    REQUIRE(big != NULL);
    while (n < want) {
      memcpy(big + n, body, body_size);
      n += body_size;
    }
    body = big;
    body_size = n;
  }
#endif
  if (write_file(body, body_size)) {
    free(big);
    return 0;
  }

  pa_reader r;
  int status = read_file(&r, &set, 1);
#ifdef PA_FUZZ_PARTS
  if (cut) {
    pa_reader parts;
    read_file(&parts, &set, 2 + (int) (data[size - 1] % 3));
#ifdef PA_FUZZ_TYPED
    if (parts.status == PA_OK) check_typed(&parts);
#endif
    compare_readers(&r, &parts);
    pa_reader_free(&parts);
  }
#endif
  if (status != PA_OK) {
    REQUIRE(status > PA_OK && status <= PA_ERR_ARG);
    REQUIRE(memchr(r.msg, '\0', sizeof(r.msg)) != NULL && r.msg[0] != '\0');
    pa_reader_free(&r);
    free(big);
    return 0;
  }

  REQUIRE(r.header_done && r.ncol >= 1);
  REQUIRE(r.delim == ',' || r.delim == ';' || r.delim == '\t');
  REQUIRE(r.decimal == '.' || r.decimal == ',');

  /* no row lost */
  size_t dropped = 0;
  for (size_t k = 0; k < r.nproblem; k++) {
    const pa_problem *p = &r.problems[k];
    REQUIRE(p->expected < r.problem_text.len && p->actual < r.problem_text.len);
    if (p->dropped == PA_QUOTE_TEXT) {
      /* a kept row: -(its row); its line is where it starts */
      REQUIRE(p->row <= -1 && (size_t) -p->row <= r.nrow);
      REQUIRE(r.row_line[-p->row - 1] == p->line);
      REQUIRE(!set.strict && r.ncol >= 2);
      continue;
    }
    REQUIRE(p->dropped == PA_DROPPED && p->row >= 1 && p->row <= r.records);
    dropped++;
  }
  REQUIRE((int64_t) (r.nrow + dropped) == r.records);
  for (size_t i = 0; i < r.nrow; i++) {
    REQUIRE(r.row_line[i] >= 1 && r.row_line[i] <= r.lines_done + 1);
    if (i) REQUIRE(r.row_line[i] > r.row_line[i - 1]);
  }

  check_lines(&r, body, body_size);
  free(big); /* (the repeated input, which body points into) */
  body = NULL;

  /* the header has one name per column */
  pa_iter it;
  const unsigned char *s;
  size_t len;
  int nname = 0;
  pa_iter_names(&r, &it);
  while (pa_iter_next(&it, &s, &len)) {
    REQUIRE(it.p <= it.end);
    check_encoding(s, len);
    nname++;
  }
  REQUIRE(nname == r.ncol);

  size_t first = pa_first_row(&r);
  REQUIRE(first <= r.nrow);
  size_t nrow = r.nrow - first;

#ifdef PA_FUZZ_TYPED
  check_typed(&r);
#endif
  /* a repeated input has no new fields: the checks per field are done on
   * inputs that are not repeated */
  if (cut) {
    pa_reader_free(&r);
    return 0;
  }
  for (int j = 0; j < r.ncol; j++) {
    pa_colinfo info;
    pa_classify_column(&r, j, &na_list, &info);
    REQUIRE(info.n_na + info.n_value == nrow);
    int type = pa_column_type(info.can, info.n_value);
    REQUIRE(type >= PA_LGL && type <= PA_CHR);

    size_t row = 0, longest = 0;
    pa_iter_column(&r, j, first, &it);
    while (pa_iter_next(&it, &s, &len)) {
      REQUIRE(it.p <= it.end);
      if (len > longest) longest = len;
      if (!pa_is_na(&na_list, s, len)) {
        check_numbers(s, len, r.decimal);
        /* the inferred type must hold every value, as the glue assumes */
        int iv;
        double dv;
        if (type == PA_LGL) REQUIRE(pa_parse_lgl(s, len, &iv));
        if (type == PA_INT) REQUIRE(pa_parse_int(s, len, &iv) == 1);
        if (type == PA_DBL) REQUIRE(pa_parse_dbl(s, len, r.decimal, &dv));
      }
      check_encoding(s, len);
      if (info.first_nul < 0) REQUIRE(len == 0 || !memchr(s, '\0', len));
      row++;
    }
    REQUIRE(row == nrow);
    REQUIRE(longest == info.max_len);
    /* the glue releases columns one by one; the rest go with the reader */
    if (j % 2 == 0) pa_column_release(&r, j);
  }

  pa_reader_free(&r);
  return 0;
}

/* R glue for the CSV reader: SEXP in, SEXP out. Errors found in the file
 * are returned as a descriptor list, not raised here, so that R can raise
 * a classed condition carrying file, line and column. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <stdlib.h>
#include <string.h>

#include "read.h"
#include "entries.h"

static void reader_finalize(SEXP ptr) {
  pa_reader *r = R_ExternalPtrAddr(ptr);
  if (r) {
    pa_reader_free(r);
    free(r);
    R_ClearExternalPtr(ptr);
  }
}

/* Error paths free the reader at once rather than waiting for the GC. */
static SEXP give_up(SEXP ptr, SEXP result) {
  pa_reader *r = R_ExternalPtrAddr(ptr);
  if (r) pa_release_threads(r);
  reader_finalize(ptr);
  return result;
}

static void check_interrupt(void) { R_CheckUserInterrupt(); }

static SEXP error_result(const char *kind, const char *msg, double line,
                         int column) {
  const char *nms[] = {"error", "message", "line", "column", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, nms));
  SET_VECTOR_ELT(out, 0, Rf_mkString(kind));
  SET_VECTOR_ELT(out, 1, Rf_mkString(msg));
  SET_VECTOR_ELT(out, 2, Rf_ScalarReal(line));
  SET_VECTOR_ELT(out, 3, Rf_ScalarInteger(column));
  UNPROTECT(1);
  return out;
}

static const char *status_kind(int status) {
  switch (status) {
  case PA_ERR_FILE: return "file";
  case PA_ERR_EMPTY: return "empty";
  case PA_ERR_RAGGED: return "ragged";
  case PA_ERR_QUOTE: return "quote";
  case PA_ERR_ENCODING: return "encoding";
  case PA_ERR_NUL: return "nul";
  case PA_ERR_PARSE: return "parse";
  case PA_ERR_MEMORY: return "memory";
  default: return "argument";
  }
}

/* How field bytes become UTF-8 strings. */
enum { DEC_UTF8 = 0, DEC_LATIN1, DEC_CP1252, DEC_ESCAPE };

/* A field as an R string in UTF-8. `scratch` holds 4 * max_len bytes. */
static SEXP make_string(const unsigned char *s, size_t len, int dec,
                        unsigned char *scratch) {
  size_t n;
  switch (dec) {
  case DEC_LATIN1:
    n = pa_latin1_to_utf8(s, len, scratch);
    break;
  case DEC_CP1252:
    n = pa_cp1252_to_utf8(s, len, scratch);
    break;
  case DEC_ESCAPE:
    if (pa_utf8_valid(s, len)) {
      return Rf_mkCharLenCE((const char *) s, (int) len, CE_UTF8);
    }
    n = pa_utf8_escape(s, len, scratch);
    break;
  default:
    return Rf_mkCharLenCE((const char *) s, (int) len, CE_UTF8);
  }
  return Rf_mkCharLenCE((const char *) scratch, (int) n, CE_UTF8);
}

static unsigned char *make_scratch(int dec, size_t max_len) {
  return dec == DEC_UTF8 ? NULL
                         : (unsigned char *) R_alloc(4 * max_len + 1, 1);
}

static const char *type_name(int type) {
  switch (type) {
  case PA_LGL: return "logical";
  case PA_INT: return "integer";
  case PA_DBL: return "double";
  default: return "character";
  }
}

static int type_code(const char *s) {
  if (!strcmp(s, "logical")) return PA_LGL;
  if (!strcmp(s, "integer")) return PA_INT;
  if (!strcmp(s, "double")) return PA_DBL;
  if (!strcmp(s, "character")) return PA_CHR;
  return -1;
}

/* A value that cannot be read as its column's type: an error (strict
 * mode, r->msg set) or a problem on record. */
static int value_problem(pa_reader *r, int j, int type, R_xlen_t i,
                         const unsigned char *s, size_t len,
                         const char *colname) {
  int64_t line = r->row_line[pa_first_row(r) + (size_t) i];
  int enc = (type == PA_CHR);
  if (r->strict) {
    char shown[64];
    size_t n = len < 40 ? len : 40;
    memcpy(shown, s, n);
    shown[n] = '\0';
    if (enc) {
      snprintf(r->msg, PA_MSG_SIZE,
               "line %lld, column '%s': bytes that are not valid UTF-8 "
               "(use encoding = \"latin1\" if the file is Latin-1)",
               (long long) line, colname);
    } else {
      snprintf(r->msg, PA_MSG_SIZE,
               "line %lld, column '%s': \"%s\" cannot be read as %s",
               (long long) line, colname, shown, type_name(type));
    }
    r->err_line = line;
    r->err_column = j;
    return enc ? PA_ERR_ENCODING : PA_ERR_PARSE;
  }
  if (pa_add_problem(r, -(int64_t) (i + 1), line, j,
                     enc ? PA_ERR_ENCODING : PA_ERR_PARSE,
                     enc ? "valid UTF-8" : type_name(type), s, len, 0)) {
    snprintf(r->msg, PA_MSG_SIZE, "out of memory");
    return PA_ERR_MEMORY;
  }
  return PA_OK;
}

/* Convert column j into `vec` of the chosen type, from its text. Returns
 * PA_OK, or an error status with r->msg set (strict mode); in lenient mode
 * values that do not parse become NA and are recorded as problems. */
static int convert_column(pa_reader *r, int j, int type, const pa_na *na,
                          const pa_colinfo *info, int dec, int check_utf8,
                          SEXP vec, const char *colname) {
  pa_iter it;
  const unsigned char *s;
  size_t len;
  size_t first = pa_first_row(r);
  if (pa_column_text(r, j, 1)) {
    snprintf(r->msg, PA_MSG_SIZE, "out of memory");
    return PA_ERR_MEMORY;
  }
  pa_iter_column(r, j, first, &it);
  unsigned char *scratch = make_scratch(dec, info->max_len);
  R_xlen_t i = 0;
  while (pa_iter_next(&it, &s, &len)) {
    if ((i & 0xFFFF) == 0xFFFF) R_CheckUserInterrupt();
    int ok = 1;
    if (pa_is_na(na, s, len)) {
      switch (type) {
      case PA_LGL: LOGICAL(vec)[i] = NA_LOGICAL; break;
      case PA_INT: INTEGER(vec)[i] = NA_INTEGER; break;
      case PA_DBL: REAL(vec)[i] = NA_REAL; break;
      default: SET_STRING_ELT(vec, i, NA_STRING);
      }
      i++;
      continue;
    }
    switch (type) {
    case PA_LGL: {
      int v;
      ok = pa_parse_lgl(s, len, &v);
      LOGICAL(vec)[i] = ok ? v : NA_LOGICAL;
      break;
    }
    case PA_INT: {
      int v;
      ok = pa_parse_int(s, len, &v) == 1;
      INTEGER(vec)[i] = ok ? v : NA_INTEGER;
      break;
    }
    case PA_DBL: {
      double v;
      ok = pa_parse_dbl(s, len, r->decimal, &v);
      REAL(vec)[i] = ok ? v : NA_REAL;
      break;
    }
    default:
      if (check_utf8 && !pa_utf8_valid(s, len)) {
        ok = 0;
        SET_STRING_ELT(vec, i, NA_STRING);
      } else {
        SET_STRING_ELT(vec, i, make_string(s, len, dec, scratch));
      }
    }
    if (!ok) {
      int st = value_problem(r, j, type, i, s, len, colname);
      if (st) return st;
    }
    i++;
  }
  return PA_OK;
}

/* Text columns. Survey answers repeat (dates, categories, the same few
 * phrases), so each distinct value should become a CHARSXP once. Where
 * the kernel numbered a part's distinct values (pa_col.ix), that is
 * direct. Elsewhere values are looked up in a small hash table of the
 * column's own; when most values turn out to be distinct (identifiers)
 * the table is dropped, as it would only cost time. Neither holds a
 * reference R does not already have: every CHARSXP in them is also in
 * `vec`. */
typedef struct {
  const unsigned char *s;
  size_t len;
  uint64_t hash;
  SEXP chr;
} cache_slot;

#define CACHE_MIN_BITS 10
#define CACHE_MAX_BITS 17
#define CACHE_PROBE 4096 /* values looked up before judging the table */

typedef struct {
  pa_reader *r;
  int j, dec, check_utf8;
  SEXP vec;
  const char *colname;
  unsigned char *scratch;
  /* the lookup table */
  cache_slot *tab;
  int bits, caching;
  size_t used, misses, looked;
} text_conv;

static uint64_t hash_bytes(const unsigned char *s, size_t len) {
  uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t) len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDu;
    h ^= h >> 32;
  }
  uint64_t w = 0;
  for (size_t k = 0; i < len; i++, k += 8) w |= (uint64_t) s[i] << k;
  h = (h ^ w) * 0xC4CEB9FE1A85EC53u;
  h ^= h >> 29;
  return h;
}

static void cache_grow(text_conv *t) {
  size_t size = (size_t) 1 << t->bits, nsize = size * 2;
  /* the old table stays in R_alloc memory until the call ends */
  cache_slot *ntab = (cache_slot *) R_alloc(nsize, sizeof(cache_slot));
  memset(ntab, 0, nsize * sizeof(cache_slot));
  for (size_t k = 0; k < size; k++) {
    if (!t->tab[k].chr) continue;
    size_t at = (size_t) t->tab[k].hash & (nsize - 1);
    while (ntab[at].chr) at = (at + 1) & (nsize - 1);
    ntab[at] = t->tab[k];
  }
  t->tab = ntab;
  t->bits++;
}

/* Rows [i, i + n) of the result from an iterator over their text. */
static int text_rows(text_conv *t, pa_iter *it, R_xlen_t i, size_t n) {
  const pa_na *na = t->r->na;
  const unsigned char *s;
  size_t len;
  for (size_t done = 0; done < n && pa_iter_next(it, &s, &len); done++, i++) {
    if ((i & 0xFFFF) == 0xFFFF) R_CheckUserInterrupt();
    if (pa_is_na(na, s, len)) {
      SET_STRING_ELT(t->vec, i, NA_STRING);
      continue;
    }
    cache_slot *slot = NULL;
    uint64_t h = 0;
    if (t->caching) {
      size_t mask = ((size_t) 1 << t->bits) - 1;
      h = hash_bytes(s, len);
      size_t at = (size_t) h & mask;
      while (t->tab[at].chr) {
        if (t->tab[at].hash == h && t->tab[at].len == len &&
            memcmp(t->tab[at].s, s, len) == 0) {
          break;
        }
        at = (at + 1) & mask;
      }
      t->looked++;
      if (t->tab[at].chr) {
        SET_STRING_ELT(t->vec, i, t->tab[at].chr);
        continue;
      }
      slot = &t->tab[at];
      t->misses++;
      if (t->looked == CACHE_PROBE && t->misses > t->looked / 2) {
        t->caching = 0;
      }
    }
    if (t->check_utf8 && !pa_utf8_valid(s, len)) {
      SET_STRING_ELT(t->vec, i, NA_STRING);
      int st = value_problem(t->r, t->j, PA_CHR, i, s, len, t->colname);
      if (st) return st;
      continue;
    }
    SEXP chr = make_string(s, len, t->dec, t->scratch);
    SET_STRING_ELT(t->vec, i, chr);
    if (!t->caching || !slot) continue;
    slot->s = s;
    slot->len = len;
    slot->hash = h;
    slot->chr = chr;
    if (++t->used * 2 > ((size_t) 1 << t->bits)) {
      if (t->bits == CACHE_MAX_BITS) {
        t->caching = 0; /* many distinct values: stop looking them up */
      } else {
        cache_grow(t);
      }
    }
  }
  return PA_OK;
}

/* Rows [i, ...) of the result from a part's numbered values. */
static int text_ids(text_conv *t, const pa_col *c, R_xlen_t i) {
  const pa_index *x = c->ix;
  SEXP *chr = (SEXP *) R_alloc((size_t) x->ndistinct + 1, sizeof(SEXP));
  memset(chr, 0, ((size_t) x->ndistinct + 1) * sizeof(SEXP));
  for (size_t k = 0; k < x->nids; k++, i++) {
    if ((i & 0xFFFF) == 0xFFFF) R_CheckUserInterrupt();
    uint32_t id = x->ids[k];
    if (id == PA_ID_NA) {
      SET_STRING_ELT(t->vec, i, NA_STRING);
      continue;
    }
    const unsigned char *s = c->text.data + x->distinct[id].at;
    size_t len = x->distinct[id].len;
    SEXP x = chr[id];
    if (!x) {
      /* made on its first row, and so kept alive by `vec` from then on;
       * R_NilValue marks bytes that are not valid UTF-8 */
      x = t->check_utf8 && !pa_utf8_valid(s, len)
              ? R_NilValue
              : make_string(s, len, t->dec, t->scratch);
      chr[id] = x;
    }
    if (x == R_NilValue) {
      SET_STRING_ELT(t->vec, i, NA_STRING);
      int st = value_problem(t->r, t->j, PA_CHR, i, s, len, t->colname);
      if (st) return st;
      continue;
    }
    SET_STRING_ELT(t->vec, i, x);
  }
  return PA_OK;
}

static int convert_text(pa_reader *r, int j, const pa_colinfo *info,
                        int dec, int check_utf8, SEXP vec,
                        const char *colname) {
  text_conv t;
  /* parts where the column was typed gave up its text (an indexed part's
   * distinct values serve as they are) */
  if (pa_column_text(r, j, 0)) {
    snprintf(r->msg, PA_MSG_SIZE, "out of memory");
    return PA_ERR_MEMORY;
  }
  t.r = r;
  t.j = j;
  t.dec = dec;
  t.check_utf8 = check_utf8;
  t.vec = vec;
  t.colname = colname;
  t.scratch = make_scratch(dec, info->max_len);
  /* no bigger than twice the rows: wide files have many short columns */
  t.bits = CACHE_MIN_BITS;
  while (t.bits > 2 && ((R_xlen_t) 1 << (t.bits - 1)) >= 2 * XLENGTH(vec)) {
    t.bits--;
  }
  t.tab = (cache_slot *) R_alloc((size_t) 1 << t.bits, sizeof(cache_slot));
  memset(t.tab, 0, ((size_t) 1 << t.bits) * sizeof(cache_slot));
  t.caching = 1;
  t.used = t.misses = t.looked = 0;

  size_t first = pa_first_row(r);
  R_xlen_t i = 0;
  pa_iter it;
  for (int k = 0; k < r->npart; k++) {
    const pa_part *g = r->parts[k];
    const pa_col *c = &g->cols[j];
    size_t from = k == 0 ? first : 0;
    size_t typed = g->skip < g->nrow ? g->skip : g->nrow;
    int st;
    if (from < typed) {
      /* the rows that might have been Qualtrics header rows */
      pa_iter_part(r, k, j, from, &it);
      if ((st = text_rows(&t, &it, i, typed - from))) return st;
      i += (R_xlen_t) (typed - from);
      from = typed;
    }
    size_t n = g->nrow - from;
    if (c->index == PA_INDEX_ON && c->ix->nids == g->nrow - typed) {
      st = text_ids(&t, c, i);
    } else {
      pa_iter_part(r, k, j, from, &it);
      st = text_rows(&t, &it, i, n);
    }
    if (st) return st;
    i += (R_xlen_t) n;
  }
  return PA_OK;
}

static SEXP problems_list(const pa_reader *r, SEXP names) {
  const char *nms[] = {"row",    "line",   "column", "expected",
                       "actual", "action", ""};
  R_xlen_t n = (R_xlen_t) r->nproblem;
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, nms));
  SEXP row = PROTECT(Rf_allocVector(REALSXP, n));
  SEXP line = PROTECT(Rf_allocVector(REALSXP, n));
  SEXP col = PROTECT(Rf_allocVector(STRSXP, n));
  SEXP exp = PROTECT(Rf_allocVector(STRSXP, n));
  SEXP act = PROTECT(Rf_allocVector(STRSXP, n));
  SEXP action = PROTECT(Rf_allocVector(STRSXP, n));
  for (R_xlen_t k = 0; k < n; k++) {
    const pa_problem *p = &r->problems[k];
    /* kept rows carry -(row in the result), or for a stray quote -(row of
     * the reader, which counts any Qualtrics header rows); dropped rows
     * have no row */
    double at = p->row < 0 ? (double) -p->row : NA_REAL;
    if (p->dropped == PA_QUOTE_TEXT) {
      at = p->row < 0 && -p->row > (int64_t) pa_first_row(r)
               ? (double) (-p->row - (int64_t) pa_first_row(r))
               : NA_REAL;
    }
    REAL(row)[k] = at;
    REAL(line)[k] = (double) p->line;
    SET_STRING_ELT(col, k,
                   p->column >= 0 && p->column < Rf_length(names)
                       ? STRING_ELT(names, p->column)
                       : NA_STRING);
    SET_STRING_ELT(exp, k,
                   Rf_mkCharCE((const char *) r->problem_text.data +
                                   p->expected,
                               CE_UTF8));
    const char *a = (const char *) r->problem_text.data + p->actual;
    /* bytes that are not UTF-8 are written as <xx>, so that the table can
     * be printed and written with write.csv() */
    size_t alen = strlen(a);
    if (!pa_utf8_valid((const unsigned char *) a, alen)) {
      unsigned char *esc = (unsigned char *) R_alloc(4 * alen + 1, 1);
      size_t n = pa_utf8_escape((const unsigned char *) a, alen, esc);
      SET_STRING_ELT(act, k, Rf_mkCharLenCE((const char *) esc, (int) n,
                                            CE_UTF8));
    } else {
      SET_STRING_ELT(act, k, Rf_mkCharCE(a, CE_UTF8));
    }
    SET_STRING_ELT(action, k,
                   Rf_mkChar(p->dropped == PA_DROPPED ? "row dropped"
                             : p->dropped == PA_QUOTE_TEXT
                                 ? "quote read as text"
                                 : "set to NA"));
  }
  SET_VECTOR_ELT(out, 0, row);
  SET_VECTOR_ELT(out, 1, line);
  SET_VECTOR_ELT(out, 2, col);
  SET_VECTOR_ELT(out, 3, exp);
  SET_VECTOR_ELT(out, 4, act);
  SET_VECTOR_ELT(out, 5, action);
  UNPROTECT(7);
  return out;
}

/* Header names (or a Qualtrics label row) as UTF-8 strings. */
static SEXP header_strings(const pa_reader *r, int labels, int dec,
                           int *invalid) {
  SEXP out = PROTECT(Rf_allocVector(STRSXP, r->ncol));
  pa_iter it;
  const unsigned char *s;
  size_t len;
  *invalid = -1;
  for (int j = 0; j < r->ncol; j++) {
    if (labels) {
      pa_iter_column(r, j, 0, &it);
    } else if (j == 0) {
      pa_iter_names(r, &it);
    }
    if (!pa_iter_next(&it, &s, &len)) break;
    if (dec == DEC_UTF8 && !pa_utf8_valid(s, len)) {
      if (*invalid < 0) *invalid = j;
      SET_STRING_ELT(out, j, Rf_mkCharLenCE((const char *) s, (int) len,
                                            CE_BYTES));
      continue;
    }
    if (memchr(s, '\0', len)) {
      if (*invalid < 0) *invalid = j;
      continue;
    }
    SET_STRING_ELT(out, j, make_string(s, len, dec, make_scratch(dec, len)));
  }
  UNPROTECT(1);
  return out;
}

/* Does a header field hold bytes that are not UTF-8? */
static int header_invalid(const pa_reader *r, int labels) {
  pa_iter it;
  const unsigned char *s;
  size_t len;
  if (!labels) pa_iter_names(r, &it);
  for (int j = 0; j < r->ncol; j++) {
    if (labels) pa_iter_column(r, j, 0, &it);
    if (!pa_iter_next(&it, &s, &len)) break;
    if (!pa_utf8_valid(s, len)) return 1;
  }
  return 0;
}

/* Threads for reading: getOption("panelattrition.threads"), else 2,
 * never more than the machine has. */
static int reader_threads(void) {
  SEXP opt = Rf_GetOption1(Rf_install("panelattrition.threads"));
  int want = 2;
  if ((Rf_isInteger(opt) || Rf_isReal(opt)) && Rf_length(opt) == 1) {
    double v = Rf_asReal(opt);
    if (R_FINITE(v) && v >= 1) want = v > 64 ? 64 : (int) v;
  }
  return pa_max_threads(want);
}

/* The encoding: declared (`enc`), else decided on the evidence of the
 * whole file. Text in another 8-bit encoding almost never forms valid
 * UTF-8 sequences, so a file whose valid multi-byte fields are at least as
 * many as its invalid ones is UTF-8 with a few damaged bytes (written as
 * <xx> and reported), not Latin-1. Returns the encoding (-1 when memory
 * ran out writing back text, see pa_column_text()); sets the decoding
 * `*dec`, the count of escaped fields and the first (at most 5) lines with
 * invalid bytes, in file order. */
static int decide_encoding(pa_reader *r, int enc, int any_invalid,
                           size_t first, int *dec, size_t *n_escaped,
                           double *bad_lines, int *n_bad_lines) {
  int ncol = r->ncol;
  *dec = DEC_UTF8;
  *n_escaped = 0;
  *n_bad_lines = 0;
  if (enc == PA_ENC_AUTO && (r->had_bom || !any_invalid)) {
    enc = PA_ENC_UTF8;
  } else if (enc == PA_ENC_AUTO) {
    /* every field counts, as read */
    for (int j = 0; j < ncol; j++) {
      if (pa_column_text(r, j, 1)) return -1;
    }
    pa_evidence ev = {0, 0, 0};
    pa_iter it;
    const unsigned char *s;
    size_t len;
    pa_iter_names(r, &it);
    while (pa_iter_next(&it, &s, &len)) pa_encoding_evidence(s, len, &ev);
    for (int j = 0; j < ncol; j++) {
      pa_iter_column(r, j, 0, &it);
      size_t i = 0;
      while (pa_iter_next(&it, &s, &len)) {
        size_t before = ev.n_invalid;
        pa_encoding_evidence(s, len, &ev);
        if (ev.n_invalid > before && i >= first) {
          double line = (double) r->row_line[i];
          int at = *n_bad_lines;
          while (at > 0 && bad_lines[at - 1] > line) at--;
          if (!(at > 0 && bad_lines[at - 1] == line) && at < 5) {
            int top = *n_bad_lines < 5 ? *n_bad_lines : 4;
            for (int k = top; k > at; k--) bad_lines[k] = bad_lines[k - 1];
            bad_lines[at] = line;
            if (*n_bad_lines < 5) (*n_bad_lines)++;
          }
        }
        i++;
      }
    }
    if (ev.n_utf8 > 0 && ev.n_utf8 >= ev.n_invalid) {
      enc = PA_ENC_UTF8;
      *dec = DEC_ESCAPE;
      *n_escaped = ev.n_invalid;
    } else {
      enc = ev.c1 ? PA_ENC_CP1252 : PA_ENC_LATIN1;
    }
  }
  if (enc == PA_ENC_LATIN1) *dec = DEC_LATIN1;
  if (enc == PA_ENC_CP1252) *dec = DEC_CP1252;
  return enc;
}

SEXP r_read_survey(SEXP path, SEXP delim, SEXP decimal, SEXP encoding,
                   SEXP header, SEXP na, SEXP type_names, SEXP type_values,
                   SEXP strict, SEXP fix_names) {
  if (!Rf_isString(path) || Rf_length(path) != 1 || !Rf_isString(delim) ||
      !Rf_isString(decimal) || !Rf_isInteger(encoding) ||
      !Rf_isInteger(header) || !Rf_isString(na) || !Rf_isString(type_names) ||
      !Rf_isString(type_values) || !Rf_isLogical(strict) ||
      !Rf_isFunction(fix_names)) {
    Rf_error("internal error: read_survey() called with wrong types");
  }
  pa_reader *r = malloc(sizeof(pa_reader));
  if (!r) Rf_error("out of memory");
  pa_reader_init(r);
  /* every early return goes through `fail`, which unprotects what is
   * protected (counted in nprot) and frees the reader */
  int nprot = 0;
  SEXP fail_out = R_NilValue;
  SEXP ptr = PROTECT(R_MakeExternalPtr(r, R_NilValue, R_NilValue));
  nprot++;
  R_RegisterCFinalizerEx(ptr, reader_finalize, TRUE);

  int nna = Rf_length(na);
  const char **na_s = (const char **) R_alloc((size_t) nna + 1, sizeof(char *));
  size_t *na_len = (size_t *) R_alloc((size_t) nna + 1, sizeof(size_t));
  for (int k = 0; k < nna; k++) {
    na_s[k] = Rf_translateCharUTF8(STRING_ELT(na, k));
    na_len[k] = strlen(na_s[k]);
  }
  pa_na nas = {na_s, na_len, nna};
  r->na = &nas;
  r->na_int = NA_INTEGER;
  r->na_real = NA_REAL;
  r->nthreads = reader_threads();

  const char *d = CHAR(STRING_ELT(delim, 0));
  const char *m = CHAR(STRING_ELT(decimal, 0));
  int status = pa_read_file(r, R_ExpandFileName(CHAR(STRING_ELT(path, 0))),
                            (unsigned char) d[0], (unsigned char) m[0],
                            INTEGER(encoding)[0], INTEGER(header)[0],
                            LOGICAL(strict)[0] == TRUE, check_interrupt);
  if (status) {
    fail_out = error_result(status_kind(status), r->msg, (double) r->err_line,
                            r->err_column >= 0 ? r->err_column + 1
                                               : NA_INTEGER);
    goto fail;
  }
  if (INTEGER(header)[0] == PA_HEADER_QUALTRICS && !r->qualtrics) {
    char msg[512];
    if (r->header_gap_line > 0) {
      snprintf(msg, sizeof(msg),
               "header = \"qualtrics\" needs the question texts and the "
               "import ids on the two lines after the column names, but the "
               "record on line %lld has the wrong number of fields, so no "
               "row can be taken as a header row",
               (long long) r->header_gap_line);
    } else {
      snprintf(msg, sizeof(msg),
               "header = \"qualtrics\" needs two rows (question text and "
               "import ids) after the column names, and the file has fewer");
    }
    fail_out = error_result("header", msg, NA_REAL, NA_INTEGER);
    goto fail;
  }

  int ncol = r->ncol;
  size_t first = pa_first_row(r);
  R_xlen_t nrow = (R_xlen_t) (r->nrow - first);
  pa_colinfo *info = (pa_colinfo *) R_alloc((size_t) ncol + 1,
                                            sizeof(pa_colinfo));
  int any_invalid = header_invalid(r, 0) ||
                    (r->qualtrics && header_invalid(r, 1));
  for (int j = 0; j < ncol; j++) {
    pa_column_info(r, j, &info[j]);
    if (info[j].first_nul >= 0) {
      int64_t line = r->row_line[first + (size_t) info[j].first_nul];
      char msg[256];
      snprintf(msg, sizeof(msg),
               "line %lld, field %d holds a NUL byte: this is not a text file",
               (long long) line, j + 1);
      fail_out = error_result("nul", msg, (double) line, j + 1);
      goto fail;
    }
    if (info[j].first_invalid >= 0) any_invalid = 1;
  }

  int dec;
  size_t n_escaped;
  double bad_lines[5];
  int n_bad_lines;
  int enc = decide_encoding(r, INTEGER(encoding)[0], any_invalid, first,
                            &dec, &n_escaped, bad_lines, &n_bad_lines);
  if (enc < 0) {
    fail_out = error_result("memory", "out of memory", NA_REAL, NA_INTEGER);
    goto fail;
  }

  int bad_header;
  SEXP names = PROTECT(header_strings(r, 0, dec, &bad_header));
  nprot++;
  if (bad_header >= 0) {
    char msg[256];
    snprintf(msg, sizeof(msg),
             "line 1, column %d: the column name is not valid UTF-8 (use "
             "encoding = \"latin1\" if the file is Latin-1)",
             bad_header + 1);
    fail_out = error_result("encoding", msg, 1, bad_header + 1);
    goto fail;
  }
  /* the names the result shows (empty ones filled in, duplicates made
   * unique), which are the names col_types refers to */
  SEXP fix_call = PROTECT(Rf_lang2(fix_names, names));
  SEXP shown = Rf_eval(fix_call, R_BaseEnv);
  UNPROTECT(2);
  nprot--;
  names = PROTECT(shown);
  nprot++;
  SEXP labels = R_NilValue;
  if (r->qualtrics) {
    labels = header_strings(r, 1, dec, &bad_header);
  }
  PROTECT(labels);
  nprot++;

  /* column types: inferred, or given by name */
  int *types = (int *) R_alloc((size_t) ncol + 1, sizeof(int));
  for (int j = 0; j < ncol; j++) {
    types[j] = pa_column_type(info[j].can, info[j].n_value);
    if (info[j].can == 0 && info[j].n_value > 0) types[j] = PA_CHR;
  }
  for (int k = 0; k < Rf_length(type_names); k++) {
    const char *want = Rf_translateCharUTF8(STRING_ELT(type_names, k));
    int found = -1;
    for (int j = 0; j < ncol; j++) {
      if (!strcmp(want, CHAR(STRING_ELT(names, j)))) {
        found = j;
        break;
      }
    }
    int code = type_code(CHAR(STRING_ELT(type_values, k)));
    if (found < 0 || code < 0) {
      char msg[512];
      snprintf(msg, sizeof(msg),
               found < 0 ? "`col_types` names a column \"%s\" that the file "
                           "does not have"
                         : "`col_types` gives column \"%s\" an unknown type",
               want);
      fail_out = error_result("argument", msg, NA_REAL, NA_INTEGER);
      goto fail;
    }
    types[found] = code;
  }

  /* Numeric columns whose every value fits their type cannot fail: they
   * are filled first, mostly by copying the typed buffers, and each one's
   * stores are released before the next vector is allocated. Then the
   * other vectors are allocated, all before any string is made, so that
   * the collections large allocations set off find few objects to mark. */
  SEXP cols = PROTECT(Rf_allocVector(VECSXP, ncol));
  SEXP type_out = PROTECT(Rf_allocVector(STRSXP, ncol));
  nprot += 2;
  char *done = R_alloc((size_t) ncol + 1, 1);
  memset(done, 0, (size_t) ncol + 1);
  /* one string per type, not one per column: files can be wide */
  SEXP type_chr = PROTECT(Rf_allocVector(STRSXP, 4));
  nprot++;
  for (int k = 0; k < 4; k++) {
    SET_STRING_ELT(type_chr, k, Rf_mkChar(type_name(k)));
  }
  for (int j = 0; j < ncol; j++) {
    SET_STRING_ELT(type_out, j, STRING_ELT(type_chr, types[j]));
    unsigned need = types[j] == PA_LGL   ? PA_CAN_LGL
                    : types[j] == PA_INT ? PA_CAN_INT
                    : types[j] == PA_DBL ? PA_CAN_DBL
                                         : 0;
    if (!need || !((info[j].can & need) || info[j].n_value == 0)) continue;
    SEXPTYPE st = types[j] == PA_LGL   ? LGLSXP
                  : types[j] == PA_INT ? INTSXP
                                       : REALSXP;
    SEXP vec = Rf_allocVector(st, nrow);
    SET_VECTOR_ELT(cols, j, vec);
    if (pa_fill_column(r, j, types[j],
                       st == REALSXP   ? (void *) REAL(vec)
                       : st == INTSXP ? (void *) INTEGER(vec)
                                      : (void *) LOGICAL(vec))) {
      fail_out = error_result("memory", "out of memory", NA_REAL,
                              NA_INTEGER);
      goto fail;
    }
    /* (with several threads the stores are many small blocks, partly in
     * the other thread's arena, which the vectors allocated next cannot
     * use; giving those pages back with malloc_trim() took more time than
     * the parsing: the peak is 15% higher instead) */
    pa_column_release(r, j);
    done[j] = 1;
  }
  for (int j = 0; j < ncol; j++) {
    if (VECTOR_ELT(cols, j) != R_NilValue) continue;
    SEXPTYPE st = types[j] == PA_LGL   ? LGLSXP
                  : types[j] == PA_INT ? INTSXP
                  : types[j] == PA_DBL ? REALSXP
                                       : STRSXP;
    SEXP vec = Rf_allocVector(st, nrow);
    SET_VECTOR_ELT(cols, j, vec);
  }

  /* the rest in column order, which is the order of their problems */
  for (int j = 0; j < ncol; j++) {
    if (done[j]) continue;
    SEXP vec = VECTOR_ELT(cols, j);
    int check = dec == DEC_UTF8 && info[j].first_invalid >= 0;
    /* a column's scratch memory goes when the column is done: a file of
     * 100,000 columns would otherwise hold 100,000 lookup tables */
    const void *vmax = vmaxget();
    const char *colname = Rf_translateCharUTF8(STRING_ELT(names, j));
    int st_conv =
        types[j] == PA_CHR
            ? convert_text(r, j, &info[j], dec, check, vec, colname)
            : convert_column(r, j, types[j], &nas, &info[j], dec, check,
                             vec, colname);
    if (st_conv) {
      fail_out = error_result(status_kind(st_conv), r->msg,
                              (double) r->err_line, r->err_column + 1);
      goto fail;
    }
    pa_column_release(r, j);
    vmaxset(vmax);
  }

  SEXP problems = PROTECT(problems_list(r, names));
  SEXP row_lines = PROTECT(Rf_allocVector(REALSXP, nrow));
  for (R_xlen_t i = 0; i < nrow; i++) {
    REAL(row_lines)[i] = (double) r->row_line[first + (size_t) i];
  }
  char dl[2] = {(char) r->delim, 0}, dc[2] = {(char) r->decimal, 0};
  const char *enc_name = enc == PA_ENC_LATIN1   ? "latin1"
                         : enc == PA_ENC_CP1252 ? "windows-1252"
                                                : "UTF-8";
  SEXP escaped = PROTECT(Rf_allocVector(REALSXP, 1 + n_bad_lines));
  REAL(escaped)[0] = (double) n_escaped;
  for (int k = 0; k < n_bad_lines; k++) REAL(escaped)[k + 1] = bad_lines[k];
  SEXP header_lines = PROTECT(Rf_allocVector(REALSXP, r->qualtrics ? 3 : 1));
  for (int k = 0; k < Rf_length(header_lines); k++) {
    REAL(header_lines)[k] = k == 0 ? 1 : (double) r->row_line[k - 1];
  }
  const char *nms[] = {"columns",   "names",    "types",    "labels",
                       "problems",  "delim",    "decimal",  "encoding",
                       "qualtrics", "records",  "lines",    "row_lines",
                       "escaped",   "header_lines", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, nms));
  SET_VECTOR_ELT(out, 0, cols);
  SET_VECTOR_ELT(out, 1, names);
  SET_VECTOR_ELT(out, 2, type_out);
  SET_VECTOR_ELT(out, 3, labels);
  SET_VECTOR_ELT(out, 4, problems);
  SET_VECTOR_ELT(out, 5, Rf_mkString(dl));
  SET_VECTOR_ELT(out, 6, Rf_mkString(dc));
  SET_VECTOR_ELT(out, 7, Rf_mkString(enc_name));
  SET_VECTOR_ELT(out, 8, Rf_ScalarLogical(r->qualtrics));
  SET_VECTOR_ELT(out, 9,
                 Rf_ScalarReal((double) r->records - (double) first));
  SET_VECTOR_ELT(out, 10, Rf_ScalarReal((double) r->lines_done));
  SET_VECTOR_ELT(out, 11, row_lines);
  SET_VECTOR_ELT(out, 12, escaped);
  SET_VECTOR_ELT(out, 13, header_lines);

  pa_release_threads(r);
  pa_reader_free(r);
  free(r);
  R_ClearExternalPtr(ptr);
  UNPROTECT(nprot + 5);
  return out;

fail:
  UNPROTECT(nprot);
  return give_up(ptr, fail_out);
}

SEXP r_libcsv_version(void) {
  char buf[32];
  pa_libcsv_version(buf, sizeof(buf));
  return Rf_mkString(buf);
}

/* Is the path a regular file? Pipes and devices would block or never end,
 * so they are refused before any byte is read. */
SEXP r_file_regular(SEXP path) {
  if (!Rf_isString(path) || Rf_length(path) != 1) {
    Rf_error("internal error: file_regular() called with wrong types");
  }
  return Rf_ScalarLogical(
      pa_file_regular(R_ExpandFileName(Rf_translateChar(STRING_ELT(path, 0)))));
}

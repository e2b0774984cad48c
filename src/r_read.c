/* R glue for the CSV reader: SEXP in, SEXP out. Errors found in the file
 * are returned as a descriptor list, not raised here, so that R can raise
 * a classed condition carrying file, line and column. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <stdlib.h>
#include <string.h>

#include "read.h"

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

/* A field as an R string in UTF-8. `scratch` holds 2 * max_len bytes. */
static SEXP make_string(const unsigned char *s, size_t len, int latin1,
                        unsigned char *scratch) {
  if (latin1) {
    size_t n = pa_latin1_to_utf8(s, len, scratch);
    return Rf_mkCharLenCE((const char *) scratch, (int) n, CE_UTF8);
  }
  return Rf_mkCharLenCE((const char *) s, (int) len, CE_UTF8);
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

/* Convert column j into `vec` of the chosen type. Returns PA_OK, or an
 * error status with r->msg set (strict mode); in lenient mode values that
 * do not parse become NA and are recorded as problems. */
static int convert_column(pa_reader *r, int j, int type, const pa_na *na,
                          const pa_colinfo *info, int latin1, int check_utf8,
                          SEXP vec, const char *colname) {
  pa_iter it;
  const unsigned char *s;
  size_t len;
  size_t first = pa_first_row(r);
  pa_iter_column(r, j, first, &it);
  unsigned char *scratch =
      latin1 ? (unsigned char *) R_alloc(2 * info->max_len + 1, 1) : NULL;
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
        SET_STRING_ELT(vec, i, make_string(s, len, latin1, scratch));
      }
    }
    if (!ok) {
      int64_t line = r->row_line[first + (size_t) i];
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
    }
    i++;
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
    /* kept rows carry -(row in the result); dropped rows have no row */
    REAL(row)[k] = p->row < 0 ? (double) -p->row : NA_REAL;
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
    /* a value that failed UTF-8 validation is shown with escapes */
    if (!pa_utf8_valid((const unsigned char *) a, strlen(a))) {
      SET_STRING_ELT(act, k, Rf_mkCharCE(a, CE_BYTES));
    } else {
      SET_STRING_ELT(act, k, Rf_mkCharCE(a, CE_UTF8));
    }
    SET_STRING_ELT(action, k,
                   Rf_mkChar(p->dropped ? "row dropped" : "set to NA"));
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
static SEXP header_strings(const pa_reader *r, int labels, int latin1,
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
    if (!latin1 && !pa_utf8_valid(s, len)) {
      if (*invalid < 0) *invalid = j;
      SET_STRING_ELT(out, j, Rf_mkCharLenCE((const char *) s, (int) len,
                                            CE_BYTES));
      continue;
    }
    if (memchr(s, '\0', len)) {
      if (*invalid < 0) *invalid = j;
      continue;
    }
    unsigned char *scratch =
        latin1 ? (unsigned char *) R_alloc(2 * len + 1, 1) : NULL;
    SET_STRING_ELT(out, j, make_string(s, len, latin1, scratch));
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

SEXP r_read_survey(SEXP path, SEXP delim, SEXP decimal, SEXP encoding,
                   SEXP header, SEXP na, SEXP type_names, SEXP type_values,
                   SEXP strict) {
  if (!Rf_isString(path) || Rf_length(path) != 1 || !Rf_isString(delim) ||
      !Rf_isString(decimal) || !Rf_isInteger(encoding) ||
      !Rf_isInteger(header) || !Rf_isString(na) || !Rf_isString(type_names) ||
      !Rf_isString(type_values) || !Rf_isLogical(strict)) {
    Rf_error("internal error: read_survey() called with wrong types");
  }
  pa_reader *r = malloc(sizeof(pa_reader));
  if (!r) Rf_error("out of memory");
  pa_reader_init(r);
  SEXP ptr = PROTECT(R_MakeExternalPtr(r, R_NilValue, R_NilValue));
  R_RegisterCFinalizerEx(ptr, reader_finalize, TRUE);

  int nna = Rf_length(na);
  const char **na_s = (const char **) R_alloc((size_t) nna + 1, sizeof(char *));
  size_t *na_len = (size_t *) R_alloc((size_t) nna + 1, sizeof(size_t));
  for (int k = 0; k < nna; k++) {
    na_s[k] = Rf_translateCharUTF8(STRING_ELT(na, k));
    na_len[k] = strlen(na_s[k]);
  }
  pa_na nas = {na_s, na_len, nna};

  const char *d = CHAR(STRING_ELT(delim, 0));
  const char *m = CHAR(STRING_ELT(decimal, 0));
  int status = pa_read_file(r, R_ExpandFileName(CHAR(STRING_ELT(path, 0))),
                            (unsigned char) d[0], (unsigned char) m[0],
                            INTEGER(encoding)[0], INTEGER(header)[0],
                            LOGICAL(strict)[0] == TRUE, check_interrupt);
  if (status) {
    SEXP out = error_result(status_kind(status), r->msg, (double) r->err_line,
                            r->err_column >= 0 ? r->err_column + 1
                                               : NA_INTEGER);
    UNPROTECT(1);
    return give_up(ptr, out);
  }
  if (INTEGER(header)[0] == PA_HEADER_QUALTRICS && !r->qualtrics) {
    SEXP out = error_result(
        "argument",
        "header = \"qualtrics\" needs two rows (question text and import "
        "ids) after the column names, and the file has fewer",
        NA_REAL, NA_INTEGER);
    UNPROTECT(1);
    return give_up(ptr, out);
  }

  int ncol = r->ncol;
  size_t first = pa_first_row(r);
  R_xlen_t nrow = (R_xlen_t) (r->nrow - first);
  pa_colinfo *info = (pa_colinfo *) R_alloc((size_t) ncol + 1,
                                            sizeof(pa_colinfo));
  int any_invalid = header_invalid(r, 0) ||
                    (r->qualtrics && header_invalid(r, 1));
  for (int j = 0; j < ncol; j++) {
    pa_classify_column(r, j, &nas, &info[j]);
    if (info[j].first_nul >= 0) {
      int64_t line = r->row_line[first + (size_t) info[j].first_nul];
      char msg[256];
      snprintf(msg, sizeof(msg),
               "line %lld, field %d holds a NUL byte: this is not a text file",
               (long long) line, j + 1);
      SEXP out = error_result("nul", msg, (double) line, j + 1);
      UNPROTECT(1);
      return give_up(ptr, out);
    }
    if (info[j].first_invalid >= 0) any_invalid = 1;
  }

  /* the encoding: declared, else UTF-8 unless some bytes are not UTF-8 */
  int enc = INTEGER(encoding)[0];
  if (enc == PA_ENC_AUTO) {
    enc = (!r->had_bom && any_invalid) ? PA_ENC_LATIN1 : PA_ENC_UTF8;
  }
  int latin1 = enc == PA_ENC_LATIN1;

  int bad_header;
  SEXP names = PROTECT(header_strings(r, 0, latin1, &bad_header));
  if (bad_header >= 0) {
    char msg[256];
    snprintf(msg, sizeof(msg),
             "line 1, column %d: the column name is not valid UTF-8 (use "
             "encoding = \"latin1\" if the file is Latin-1)",
             bad_header + 1);
    SEXP out = error_result("encoding", msg, 1, bad_header + 1);
    UNPROTECT(2);
    return give_up(ptr, out);
  }
  SEXP labels = R_NilValue;
  if (r->qualtrics) {
    labels = header_strings(r, 1, latin1, &bad_header);
  }
  PROTECT(labels);

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
      SEXP out = error_result("argument", msg, NA_REAL, NA_INTEGER);
      UNPROTECT(3);
      return give_up(ptr, out);
    }
    types[found] = code;
  }

  SEXP cols = PROTECT(Rf_allocVector(VECSXP, ncol));
  SEXP type_out = PROTECT(Rf_allocVector(STRSXP, ncol));
  for (int j = 0; j < ncol; j++) {
    SEXPTYPE st = types[j] == PA_LGL   ? LGLSXP
                  : types[j] == PA_INT ? INTSXP
                  : types[j] == PA_DBL ? REALSXP
                                       : STRSXP;
    SEXP vec = Rf_allocVector(st, nrow);
    SET_VECTOR_ELT(cols, j, vec);
    SET_STRING_ELT(type_out, j, Rf_mkChar(type_name(types[j])));
    int check = !latin1 && info[j].first_invalid >= 0;
    int st_conv = convert_column(r, j, types[j], &nas, &info[j], latin1, check,
                                 vec, Rf_translateCharUTF8(STRING_ELT(names, j)));
    if (st_conv) {
      SEXP out = error_result(status_kind(st_conv), r->msg,
                              (double) r->err_line, r->err_column + 1);
      UNPROTECT(5);
      return give_up(ptr, out);
    }
    pa_column_release(r, j);
  }

  SEXP problems = PROTECT(problems_list(r, names));
  SEXP row_lines = PROTECT(Rf_allocVector(REALSXP, nrow));
  for (R_xlen_t i = 0; i < nrow; i++) {
    REAL(row_lines)[i] = (double) r->row_line[first + (size_t) i];
  }
  char dl[2] = {(char) r->delim, 0}, dc[2] = {(char) r->decimal, 0};
  const char *nms[] = {"columns",   "names",    "types",   "labels",
                       "problems",  "delim",    "decimal", "encoding",
                       "qualtrics", "records",  "lines",   "row_lines",
                       ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, nms));
  SET_VECTOR_ELT(out, 0, cols);
  SET_VECTOR_ELT(out, 1, names);
  SET_VECTOR_ELT(out, 2, type_out);
  SET_VECTOR_ELT(out, 3, labels);
  SET_VECTOR_ELT(out, 4, problems);
  SET_VECTOR_ELT(out, 5, Rf_mkString(dl));
  SET_VECTOR_ELT(out, 6, Rf_mkString(dc));
  SET_VECTOR_ELT(out, 7, Rf_mkString(latin1 ? "latin1" : "UTF-8"));
  SET_VECTOR_ELT(out, 8, Rf_ScalarLogical(r->qualtrics));
  SET_VECTOR_ELT(out, 9,
                 Rf_ScalarReal((double) r->records - (double) first));
  SET_VECTOR_ELT(out, 10, Rf_ScalarReal((double) r->lines_done));
  SET_VECTOR_ELT(out, 11, row_lines);

  pa_reader_free(r);
  free(r);
  R_ClearExternalPtr(ptr);
  UNPROTECT(8);
  return out;
}

SEXP r_libcsv_version(void) {
  char buf[32];
  pa_libcsv_version(buf, sizeof(buf));
  return Rf_mkString(buf);
}

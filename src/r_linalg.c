/* R glue for the blocked cross-products of crossprod.c, used by the
 * sandwich variance code on n x p model matrices (R's reference BLAS
 * forms X'A as one dot product per element, streaming X q times). */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <limits.h>
#include <string.h>

#include "entries.h"
#include "linalg.h"
#include "r_memory.h"

/* X' A for double matrices X (n x p) and A (n x q). */
SEXP r_crossprod_xa(SEXP x, SEXP a) {
  if (!Rf_isReal(x) || !Rf_isMatrix(x) || !Rf_isReal(a) || !Rf_isMatrix(a) ||
      Rf_nrows(x) != Rf_nrows(a)) {
    Rf_error("internal error: `x` and `a` must be double matrices with "
             "the same number of rows");
  }
  size_t n = (size_t) Rf_nrows(x);
  int p = Rf_ncols(x), q = Rf_ncols(a);
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, p, q));
  double *o = REAL(out);
  if (p <= q) {
    /* one pass over X per column of A */
    for (int k = 0; k < q; k++) {
      if (k % 16 == 0) R_CheckUserInterrupt();
      pa_crossprod_vec(REAL(x), n, p, REAL(a) + (size_t) k * n,
                       o + (size_t) k * (size_t) p);
    }
  } else {
    /* X wider than A (bootstrap replicate weights against a few columns):
     * one pass over A per column of X, so X is read once. Element (j, k)
     * is the same four-lane sum of x_ij a_ik either way. */
    double *row = (double *) R_alloc((size_t) q, sizeof(double));
    for (int j = 0; j < p; j++) {
      if (j % 64 == 0) R_CheckUserInterrupt();
      pa_crossprod_vec(REAL(a), n, q, REAL(x) + (size_t) j * n, row);
      for (int k = 0; k < q; k++) o[(size_t) j + (size_t) k * (size_t) p] = row[k];
    }
  }
  UNPROTECT(1);
  return out;
}

/* X B for double matrices X (n x p) and B (p x q). */
SEXP r_x_times_b(SEXP x, SEXP b) {
  if (!Rf_isReal(x) || !Rf_isMatrix(x) || !Rf_isReal(b) || !Rf_isMatrix(b) ||
      Rf_ncols(x) != Rf_nrows(b)) {
    Rf_error("internal error: `x` and `b` must be conformable double "
             "matrices");
  }
  size_t n = (size_t) Rf_nrows(x);
  int p = Rf_ncols(x), q = Rf_ncols(b);
  SEXP out = PROTECT(pa_alloc_matrix(REALSXP, (int) n, q));
  pa_x_times_b(REAL(x), n, p, REAL(b), q, REAL(out));
  UNPROTECT(1);
  return out;
}

/* Fills column block k of the n x p main-effects matrix `x` (see below)
 * from the rows `row` (1-based, NULL for all) of `v`. 0 when a value among
 * the rows is missing or, for a factor, a level has no row. */
static int fill_main_effect(SEXP v, int factor, const int *row, R_xlen_t n,
                            int j, int width, size_t *seen, double *x) {
  double *xj = x + (size_t) j * (size_t) n;
  if (factor) {
    if (TYPEOF(v) != INTSXP) Rf_error("internal error: factor codes");
    int levels = width + 1;  /* the first level has no column */
    const int *code = INTEGER(v);
    memset(xj, 0, (size_t) n * (size_t) width * sizeof(double));
    memset(seen, 0, ((size_t) levels + 1) * sizeof(size_t));
    for (R_xlen_t i = 0; i < n; i++) {
      int c = code[row ? row[i] - 1 : i];
      if (c == NA_INTEGER) return 0;
      if (c < 1 || c > levels) {
        Rf_error("internal error: factor code out of range");
      }
      seen[c]++;
      if (c > 1) xj[(size_t) (c - 2) * (size_t) n + (size_t) i] = 1;
    }
    for (int c = 1; c <= levels; c++) {
      if (seen[c] == 0) return 0;
    }
  } else if (TYPEOF(v) == REALSXP) {
    const double *dv = REAL(v);
    for (R_xlen_t i = 0; i < n; i++) {
      double value = dv[row ? row[i] - 1 : i];
      if (ISNAN(value)) return 0;
      xj[i] = value;
    }
  } else if (TYPEOF(v) == INTSXP) {
    const int *iv = INTEGER(v);
    for (R_xlen_t i = 0; i < n; i++) {
      int value = iv[row ? row[i] - 1 : i];
      if (value == NA_INTEGER) return 0;
      xj[i] = value;
    }
  } else {
    Rf_error("internal error: main-effects column type");
  }
  return 1;
}

/* The model matrix of an intercept and main effects on the rows `rows`
 * (1-based, or NULL for all) of the n-vectors in `cols`: each either
 * numeric (double or integer, one column) or the integer codes 1..k of a
 * factor (columns for levels 2..k, a 1 in the column of each row's level).
 * `is_factor` and `first` (1-based column of each entry) say which; column
 * 1 is the intercept, and an entry's columns run up to the next entry's
 * first (or to `ncol`). Reading the rows here spares R a subset of every
 * column. R_NilValue, for R to build the matrix its own way, when a value
 * among the rows is missing or a level of a factor has no row. */
SEXP r_main_effects(SEXP cols, SEXP rows, SEXP is_factor, SEXP first,
                    SEXP ncol) {
  if (TYPEOF(cols) != VECSXP || !Rf_isLogical(is_factor) ||
      !Rf_isInteger(first) || XLENGTH(is_factor) != XLENGTH(cols) ||
      XLENGTH(first) != XLENGTH(cols) || XLENGTH(cols) < 1 ||
      !Rf_isInteger(ncol) || XLENGTH(ncol) != 1 ||
      (!Rf_isNull(rows) && TYPEOF(rows) != INTSXP)) {
    Rf_error("internal error: malformed main-effects specification");
  }
  R_xlen_t ncols = XLENGTH(cols);
  R_xlen_t len = XLENGTH(VECTOR_ELT(cols, 0));
  R_xlen_t n = Rf_isNull(rows) ? len : XLENGTH(rows);
  int p = INTEGER(ncol)[0];
  if (p < 1 || n > INT_MAX) Rf_error("internal error: bad dimensions");
  const int *row = Rf_isNull(rows) ? NULL : INTEGER(rows);
  for (R_xlen_t i = 0; row && i < n; i++) {
    if (row[i] < 1 || row[i] > len) {
      Rf_error("internal error: main-effects row out of range");
    }
  }
  R_xlen_t kmax = 0;
  for (R_xlen_t k = 0; k < ncols; k++) {
    R_xlen_t from = INTEGER(first)[k];
    R_xlen_t to = k + 1 < ncols ? INTEGER(first)[k + 1] : (R_xlen_t) p + 1;
    int factor = LOGICAL(is_factor)[k] == TRUE;
    if (XLENGTH(VECTOR_ELT(cols, k)) != len || from < 2 || to <= from ||
        to > (R_xlen_t) p + 1 || (!factor && to != from + 1)) {
      Rf_error("internal error: main-effects column %d does not fit",
               (int) k + 1);
    }
    if (factor && to - from + 1 > kmax) kmax = to - from + 1;
  }
  /* rows seen at each level of the factor being filled */
  size_t *seen = kmax > 0 ? (size_t *) R_alloc((size_t) kmax + 1,
                                                sizeof(size_t))
                          : NULL;
  SEXP out = PROTECT(pa_alloc_matrix(REALSXP, (int) n, p));
  double *x = REAL(out);
  for (R_xlen_t i = 0; i < n; i++) x[i] = 1;
  int complete = 1;
  for (R_xlen_t k = 0; complete && k < ncols; k++) {
    R_CheckUserInterrupt();
    int j = INTEGER(first)[k] - 1;
    int width = (k + 1 < ncols ? INTEGER(first)[k + 1] - 1 : p) - j;
    complete = fill_main_effect(VECTOR_ELT(cols, k),
                                LOGICAL(is_factor)[k] == TRUE, row, n, j,
                                width, seen, x);
  }
  SEXP res = complete ? out : R_NilValue;
  UNPROTECT(1);
  return res;
}

/* R glue for the blocked cross-products of crossprod.c, used by the
 * sandwich variance code on n x p model matrices (R's reference BLAS
 * forms X'A as one dot product per element, streaming X q times). */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <limits.h>
#include <string.h>

#include "linalg.h"

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
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int) n, q));
  pa_x_times_b(REAL(x), n, p, REAL(b), q, REAL(out));
  UNPROTECT(1);
  return out;
}

/* The model matrix of an intercept and main effects: `cols` is a list of
 * n-vectors, each either numeric (double or integer, one column) or the
 * integer codes 1..k of a factor (columns for levels 2..k, a 1 in the
 * column of each row's level). `is_factor` and `first` (1-based column
 * of each entry) say which; column 1 is the intercept. The caller checks
 * that codes are complete and in range and that numbers are not NA. */
SEXP r_main_effects(SEXP cols, SEXP is_factor, SEXP first, SEXP ncol) {
  if (TYPEOF(cols) != VECSXP || !Rf_isLogical(is_factor) ||
      !Rf_isInteger(first) || XLENGTH(is_factor) != XLENGTH(cols) ||
      XLENGTH(first) != XLENGTH(cols) || XLENGTH(cols) < 1 ||
      !Rf_isInteger(ncol) || XLENGTH(ncol) != 1) {
    Rf_error("internal error: malformed main-effects specification");
  }
  R_xlen_t n = XLENGTH(VECTOR_ELT(cols, 0));
  int p = INTEGER(ncol)[0];
  if (p < 1 || n > INT_MAX) Rf_error("internal error: bad dimensions");
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int) n, p));
  double *x = REAL(out);
  memset(x, 0, (size_t) n * (size_t) p * sizeof(double));
  for (R_xlen_t i = 0; i < n; i++) x[i] = 1;
  for (R_xlen_t k = 0; k < XLENGTH(cols); k++) {
    SEXP v = VECTOR_ELT(cols, k);
    int j = INTEGER(first)[k] - 1;
    if (XLENGTH(v) != n || j < 1 || j >= p) {
      Rf_error("internal error: main-effects column %d does not fit",
               (int) k + 1);
    }
    double *xj = x + (size_t) j * (size_t) n;
    if (LOGICAL(is_factor)[k]) {
      if (TYPEOF(v) != INTSXP) Rf_error("internal error: factor codes");
      const int *code = INTEGER(v);
      for (R_xlen_t i = 0; i < n; i++) {
        int c = code[i];
        if (c < 1 || j + c - 2 >= p) {
          Rf_error("internal error: factor code out of range");
        }
        if (c > 1) xj[(size_t) (c - 2) * (size_t) n + (size_t) i] = 1;
      }
    } else if (TYPEOF(v) == REALSXP) {
      memcpy(xj, REAL(v), (size_t) n * sizeof(double));
    } else if (TYPEOF(v) == INTSXP) {
      const int *iv = INTEGER(v);
      for (R_xlen_t i = 0; i < n; i++) xj[i] = iv[i];
    } else {
      Rf_error("internal error: main-effects column type");
    }
  }
  UNPROTECT(1);
  return out;
}

/* R glue for the blocked cross-products of crossprod.c, used by the
 * sandwich variance code on n x p model matrices (R's reference BLAS
 * forms X'A as one dot product per element, streaming X q times). */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

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
  for (int k = 0; k < q; k++) {
    if (k % 16 == 0) R_CheckUserInterrupt();
    pa_crossprod_vec(REAL(x), n, p, REAL(a) + (size_t) k * n,
                     REAL(out) + (size_t) k * (size_t) p);
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

/* See r_memory.h. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include "hugepages.h"
#include "r_memory.h"

/* Whether the request is wanted: the option is read only for arrays large
 * enough to be marked, so small allocations cost nothing more. */
static int huge_pages_wanted(void) {
  SEXP o = Rf_GetOption1(Rf_install("panelattrition.huge_pages"));
  return !(Rf_isLogical(o) && XLENGTH(o) == 1 && LOGICAL(o)[0] == FALSE);
}

static void prefer_huge(void *p, size_t bytes) {
  if (bytes >= PA_HUGE_MIN && huge_pages_wanted()) {
    pa_prefer_huge_pages(p, bytes);
  }
}

static void *vector_data(SEXP x, size_t *bytes) {
  switch (TYPEOF(x)) {
  case REALSXP:
    *bytes = (size_t) XLENGTH(x) * sizeof(double);
    return REAL(x);
  case INTSXP:
    *bytes = (size_t) XLENGTH(x) * sizeof(int);
    return INTEGER(x);
  case LGLSXP:
    *bytes = (size_t) XLENGTH(x) * sizeof(int);
    return LOGICAL(x);
  default:
    *bytes = 0;
    return NULL;
  }
}

/* x with the request made (x is protected while the option is read:
 * Rf_install() may allocate) */
static SEXP hinted(SEXP x) {
  PROTECT(x);
  size_t bytes;
  void *p = vector_data(x, &bytes);
  prefer_huge(p, bytes);
  UNPROTECT(1);
  return x;
}

SEXP pa_alloc_vector(SEXPTYPE type, R_xlen_t n) {
  return hinted(Rf_allocVector(type, n));
}

SEXP pa_alloc_matrix(SEXPTYPE type, int nrow, int ncol) {
  return hinted(Rf_allocMatrix(type, nrow, ncol));
}

void *pa_R_alloc(size_t n, int size) {
  void *p = R_alloc(n, size);
  prefer_huge(p, n * (size_t) size);
  return p;
}

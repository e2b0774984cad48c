/* Allocation of the large arrays of the .Call glue (sizes that grow with
 * the people or the answers): R's allocators, then the huge-page request
 * of hugepages.c unless options(panelattrition.huge_pages = FALSE). Glue
 * only: kernels never include this header. */
#ifndef PA_R_MEMORY_H
#define PA_R_MEMORY_H

#ifndef R_NO_REMAP
#define R_NO_REMAP
#endif
#include <Rinternals.h>

/* Rf_allocVector() for REALSXP, INTSXP and LGLSXP vectors. */
SEXP pa_alloc_vector(SEXPTYPE type, R_xlen_t n);

/* Rf_allocMatrix() for REALSXP and INTSXP matrices. */
SEXP pa_alloc_matrix(SEXPTYPE type, int nrow, int ncol);

/* R_alloc(n, size). */
void *pa_R_alloc(size_t n, int size);

#endif

/* Dense linear algebra helpers on R's LAPACK/BLAS. See linalg.h. */
#include "linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <R_ext/BLAS.h>
#include <R_ext/Lapack.h>

#ifndef FCONE
#define FCONE
#endif

int pa_chol(double *a, int n) {
  int info = 0;
  F77_CALL(dpotrf)("U", &n, a, &n, &info FCONE);
  return info;
}

int pa_chol_solve(const double *chol, int n, double *b, int nrhs) {
  int info = 0;
  F77_CALL(dpotrs)("U", &n, &nrhs, chol, &n, b, &n, &info FCONE);
  return info;
}

int pa_chol_inverse(double *chol, int n) {
  int info = 0;
  F77_CALL(dpotri)("U", &n, chol, &n, &info FCONE);
  if (info) return info;
  for (int j = 0; j < n; j++) {
    for (int i = j + 1; i < n; i++) chol[i + (size_t) j * n] = chol[j + (size_t) i * n];
  }
  return 0;
}

int pa_rank(const double *a, int n, double tol, int *dependent) {
  size_t nn = (size_t) n * (size_t) n;
  /* dpstrf needs 2n doubles of work after the n scale factors */
  double *s = malloc((nn + 3 * (size_t) n + 1) * sizeof(double));
  int *piv = malloc(((size_t) n + 1) * sizeof(int));
  if (!s || !piv) {
    free(s);
    free(piv);
    return -1;
  }
  double *scale = s + nn, *work = scale + n;
  for (int j = 0; j < n; j++) {
    double d = a[j + (size_t) j * n];
    scale[j] = d > 0 ? 1 / sqrt(d) : 0;
  }
  for (int j = 0; j < n; j++) {
    for (int i = 0; i < n; i++) {
      s[i + (size_t) j * n] = a[i + (size_t) j * n] * scale[i] * scale[j];
    }
  }
  int rank = 0, info = 0;
  F77_CALL(dpstrf)("U", &n, s, &n, piv, &rank, &tol, work, &info FCONE);
  for (int j = 0; j < n; j++) dependent[j] = 0;
  /* columns pivoted past the rank, and columns that are all zero */
  for (int k = rank; k < n; k++) dependent[piv[k] - 1] = 1;
  for (int j = 0; j < n; j++) {
    if (scale[j] == 0 && !dependent[j]) {
      dependent[j] = 1;
      rank--;
    }
  }
  free(s);
  free(piv);
  return rank;
}

int pa_lu_solve(double *a, int n, double *b, int nrhs, int *piv) {
  int info = 0;
  F77_CALL(dgesv)(&n, &nrhs, a, &n, piv, b, &n, &info);
  return info;
}

int pa_lu_factor(double *a, int n, int *piv) {
  int info = 0;
  F77_CALL(dgetrf)(&n, &n, a, &n, piv, &info);
  return info;
}

int pa_lu_solve_factored(const double *lu, int n, const int *piv, double *b,
                         int nrhs) {
  int info = 0;
  F77_CALL(dgetrs)("N", &n, &nrhs, lu, &n, piv, b, &n, &info FCONE);
  return info;
}

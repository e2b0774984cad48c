/* Small dense linear algebra over R's own LAPACK/BLAS, for the kernels.
 * Matrices are column-major doubles. Only linalg.c includes R's LAPACK
 * header; kernels include this file and stay free of R headers. */
#ifndef PA_LINALG_H
#define PA_LINALG_H

#include <stddef.h>

/* Rows per chunk in the cross-products and the logistic fit's
 * per-observation pass: it fixes the order of summation (so changing it
 * changes results in the last bits) and is the unit shared out between
 * threads. 1024 rows of 30 columns take 240 kB. */
#define PA_CHUNK 1024

/* Upper Cholesky factor of the symmetric positive definite n x n matrix
 * `a`, in place. Returns 0, or k > 0 if the leading minor of order k is
 * not positive definite. */
int pa_chol(double *a, int n);

/* Solve A x = b with the factor from pa_chol(); b is n x nrhs, in place. */
int pa_chol_solve(const double *chol, int n, double *b, int nrhs);

/* Solve A x = b for a general n x n matrix A by LU with partial pivoting
 * (LAPACK dgesv); A is overwritten by its factors, b (n x nrhs) by x, and
 * piv holds n ints. Returns 0, or k > 0 when U(k, k) is exactly zero. */
int pa_lu_solve(double *a, int n, double *b, int nrhs, int *piv);

/* The two halves of pa_lu_solve() (dgesv is dgetrf then dgetrs): the LU
 * factors of a (n x n, overwritten) with pivots piv (n), then the solution
 * of A X = B for B (n x nrhs, overwritten) from them. Each column of B is
 * solved as dgesv would solve it, whatever nrhs. Return LAPACK's info. */
int pa_lu_factor(double *a, int n, int *piv);
int pa_lu_solve_factored(const double *lu, int n, const int *piv, double *b,
                         int nrhs);

/* Replace a Cholesky factor by the full symmetric inverse of A. */
int pa_chol_inverse(double *chol, int n);

/* Rank of the symmetric positive semi-definite n x n matrix `a` by a
 * pivoted Cholesky factorisation of a scaled copy (columns scaled to unit
 * diagonal, so the tolerance is relative). `dependent` (length n) is set to
 * 1 for the columns found linearly dependent on the others. Returns the
 * rank, or -1 when scratch memory cannot be had. */
int pa_rank(const double *a, int n, double tol, int *dependent);

/* out (p x p, full) = sum_i w_i x_i x_i', X n x p column-major
 * (crossprod.c). Rows are summed in fixed chunks whose partial sums are
 * added in order, so the result is the same for any `threads` (OpenMP
 * threads used when > 1 and not already inside a parallel region). */
void pa_crossprod_w(const double *x, size_t n, int p, const double *w,
                    double *out, int threads);

/* pa_crossprod_w() in single precision from xf, a float copy of X: the
 * products and the sums within each chunk of rows in float, the rest in
 * double. Relative error about 1e-6: for Newton steps, not for results.
 * Independent of `threads` as pa_crossprod_w() is. */
void pa_crossprod_wf(const float *xf, size_t n, int p, const double *w,
                     double *out, int threads);

/* out (p) = X' v. */
void pa_crossprod_vec(const double *x, size_t n, int p, const double *v,
                      double *out);

/* X' v for X (m x p) with four-lane sums carried in lanes (p x 4) from
 * block to block of rows (blocks of a multiple of 4 rows but the last);
 * pa_lanes_total() of a column's four lanes then equals
 * pa_crossprod_vec() over all the rows, bit for bit. */
void pa_crossprod_vec_lanes(const double *x, size_t m, int p,
                            const double *v, double *lanes);
double pa_lanes_total(const double *lane);

/* pa_crossprod_vec_lanes() over rows 0..m-1 of a matrix X with leading
 * dimension ld (a block of rows of a taller matrix, read in place). */
void pa_crossprod_vec_lanes_ld(const double *x, size_t ld, size_t m, int p,
                               const double *v, double *lanes);

/* out (p) = X' v over the rows a <= i < a + m of X (n x p). */
void pa_crossprod_vec_rows(const double *x, size_t n, int p,
                           const double *v, size_t a, size_t m,
                           double *out);

/* out[i] = off[i] (0 when off is NULL) + x_i' b for the rows a <= i < a + m
 * of X (n x p); out has n elements and only those rows are written. */
void pa_x_beta(const double *restrict x, size_t n, int p,
               const double *restrict b, const double *restrict off,
               size_t a, size_t m, double *restrict out);

/* out (n x q) = X B for X n x p and B p x q, column-major. */
void pa_x_times_b(const double *x, size_t n, int p, const double *b, int q,
                  double *out);

#endif

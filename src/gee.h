/* Weighted generalised estimating equations for clustered (person by
 * wave) data: Gaussian/identity, binomial/logit and Poisson/log models
 * with working independence, exchangeable or AR(1) correlation, the
 * observation weights placed either as geepack places them (W^{1/2} on
 * both sides of the working correlation, over the rows observed) or as
 * Robins, Rotnitzky and Zhao (1995) do (W on the residuals only, over
 * every wave of the cluster). Plain arrays in, a status and a message
 * out; no R headers. */
#ifndef PA_GEE_H
#define PA_GEE_H

#include <stddef.h>

#define PA_GEE_MSG_SIZE 512

enum { PA_GEE_GAUSSIAN = 0, PA_GEE_BINOMIAL, PA_GEE_POISSON };
enum { PA_GEE_INDEPENDENCE = 0, PA_GEE_EXCHANGEABLE, PA_GEE_AR1 };

/* status codes returned by pa_gee_fit() */
enum {
  PA_GEE_OK = 0,
  PA_GEE_NOT_CONVERGED, /* results are from the last iteration */
  PA_GEE_SINGULAR,      /* sum D'V^{-1}WD is not positive definite */
  PA_GEE_CORRELATION,   /* working correlation not positive definite */
  PA_GEE_NO_PAIRS,      /* nobody has two answers: no correlation estimate */
  PA_GEE_DIVERGED,      /* no step gave finite fitted values */
  PA_GEE_INVALID        /* inputs the caller should have rejected */
};

typedef struct {
  int family;     /* PA_GEE_GAUSSIAN, ... (each with its canonical link) */
  int corstr;     /* PA_GEE_INDEPENDENCE, ... */
  int maxit;      /* scoring iterations allowed for each solve for beta,
                     and updates of the correlation allowed */
  double epsilon; /* largest change in a coefficient, relative to
                     max(|coefficient|, 1), and in the correlation */
  void (*interrupt)(void); /* called once per iteration; may be NULL */
  /* PA_GEE_OBSERVED: geepack's equations on each cluster's rows (weights
   * as W^{1/2} on both sides of R^{-1}). PA_GEE_FULL: Robins, Rotnitzky
   * and Zhao's equations D' R^{-1} W r over complete clusters, in which a
   * row a person did not answer has weight 0 (and any finite y). */
  int equations;
  /* how a pair of rows j, k of cluster i is weighted in the correlation
   * estimate: PA_GEE_PAIR_PRODUCT w_j w_k (geepack), PA_GEE_PAIR_LATER the
   * weight of the later row (monotone dropout: both are observed iff the
   * later one is), PA_GEE_PAIR_RATIO w_j w_k / base[i] (response at the
   * two waves independent given the baseline) */
  int pair_rule;
  const double *base; /* nclus, for PA_GEE_PAIR_RATIO; else may be NULL */
} pa_gee_control;

enum { PA_GEE_OBSERVED = 0, PA_GEE_FULL };
enum { PA_GEE_PAIR_PRODUCT = 0, PA_GEE_PAIR_LATER, PA_GEE_PAIR_RATIO };

/* Output arrays are the caller's. With D_i the rows' derivatives
 * d mu / d beta scaled by v(mu)^{-1/2}, r_i the Pearson residuals,
 * S_i = diag(w^{1/2}), W_i = diag(w) and R_i the working correlation of
 * cluster i, for PA_GEE_OBSERVED
 *   bread  = sum_i D_i' S_i R_i^{-1} S_i D_i            (p x p)
 *   scores = U_i = D_i' S_i R_i^{-1} S_i r_i             (nclus x p)
 * and for PA_GEE_FULL
 *   bread  = sum_i D_i' R_i^{-1} W_i D_i   (p x p, not symmetric)
 *   scores = U_i = D_i' R_i^{-1} W_i r_i
 * (both without the 1/scale factor, which cancels in the estimates and
 * in the sandwich), and dscores row k = d U_{i(k)} / d w_k, the
 * derivative of row k's cluster's estimating function with respect to
 * row k's own weight, holding the correlation and the scale fixed
 * (0 for rows of weight 0).
 *
 * Under working independence that derivative is row k's own contribution
 * divided by its weight, so two numbers per row carry it: with x_k row k
 * of the model matrix, t = (da[k] * x_kc) * dr[k] and
 *   dscores[k, c] = (t + t) / (2 w_k),
 * which is the kernel's arithmetic for dscores, bit for bit. da and dr
 * (both or neither) may be asked for instead of (or as well as) dscores,
 * n doubles each in place of n x p. */
typedef struct {
  double *coef;    /* p */
  double *bread;   /* p x p */
  double *scores;  /* nclus x p */
  double *dscores; /* n x p, or NULL when not wanted */
  double *da, *dr; /* n each, or NULL when not wanted (independence only) */
  double *fitted;  /* n, or NULL when not wanted */
  double *eta;     /* n */
  double alpha;    /* correlation parameter (0 under independence) */
  double scale;    /* sum w r^2 / sum w */
  int iterations;
  int converged;
  char msg[PA_GEE_MSG_SIZE];
} pa_gee_result;

/* Doubles of scratch pa_gee_fit() needs for n rows, p columns and nclus
 * clusters of at most max_size rows; dscores_own says whether the result
 * will have a dscores array of its own (not NULL, not x), and factors
 * whether it will have da and dr, which then also serve as scratch;
 * nx_coded is the number of rows of a compressed model matrix (0 for a
 * dense one). */
size_t pa_gee_work_size(size_t n, int p, int max_size, size_t nclus,
                        int dscores_own, int factors, size_t nx_coded);

/* Fit the model. The model matrix (n x p) is given either dense, x
 * itself n x p column-major (code NULL, nx = n), or compressed: x holds
 * its nx distinct rows (nx x p, column-major) and row i of the model
 * matrix is row code[i] (0-based) of x. The fit reads a compressed
 * matrix with the same arithmetic in the same order as its expansion, so
 * the results are the same bits. Rows are grouped by cluster,
 * cluster k holding the next size[k] rows; time (n) gives each row's
 * position in time, whose absolute differences are the AR(1) lags (it may
 * be NULL under working independence, which does not read it); w (n)
 * holds positive observation weights. `work` holds
 * pa_gee_work_size(n, p, max(size), nclus,
 * res->dscores && res->dscores != x, res->da != NULL, code ? nx : 0)
 * doubles and `iwork` p ints. The kernel allocates nothing.
 *
 * res->dscores may be a dense x itself (the same n x p array): x is then
 * read for the last time, cluster by cluster, just before the cluster's
 * rows of the derivatives are written over it, so a caller with no
 * further use for the model matrix spares an n x p array. res->scores,
 * which the last accumulation writes, may serve as scratch before it. */
int pa_gee_fit(const double *x, size_t nx, const int *code, const double *y,
               const double *w, const double *time, const int *size,
               size_t nclus, size_t n, int p, const pa_gee_control *ctl,
               double *work, int *iwork, pa_gee_result *res);

#endif

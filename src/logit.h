/* Weighted logistic regression for the attrition response models:
 * maximum likelihood by Fisher scoring (IRLS) and Firth's Jeffreys-prior
 * penalised likelihood, with a rank check before fitting and a check for
 * separation after it. Plain arrays in, a status code and a message out;
 * no R headers, so the kernel can run in worker threads of the bootstrap
 * (pass interrupt = NULL there) and be compiled on its own. */
#ifndef PA_LOGIT_H
#define PA_LOGIT_H

#include <stddef.h>

#define PA_LOGIT_MSG_SIZE 512

/* status codes returned by pa_logit_fit() */
enum {
  PA_LOGIT_OK = 0,
  PA_LOGIT_COLLINEAR,     /* linearly dependent columns, flagged in columns */
  PA_LOGIT_SEPARATION,    /* ML estimate does not exist; columns flagged */
  PA_LOGIT_NOT_CONVERGED, /* results are from the last iteration */
  PA_LOGIT_MEMORY,
  PA_LOGIT_INVALID        /* inputs the caller should have rejected */
};

typedef struct {
  int maxit;      /* scoring iterations allowed (glm's maxit) */
  double epsilon; /* relative change in the (penalised) deviance */
  int firth;      /* 1 for the Jeffreys-prior penalised likelihood */
  void (*interrupt)(void); /* called once per iteration; may be NULL */
  int threads;    /* OpenMP threads for X'WX (results do not depend on it) */
  const double *start; /* p starting coefficients, or NULL for glm's start */
  int want_vcov;  /* 0 to skip inverting the information at the end */
  int x_checked;  /* 1 when the caller knows every x is finite */
  const double *colmax; /* p largest |x| of each column, or NULL */
  /* Optional, with `start` (maximum likelihood only): the terms of the
   * start from pa_logit_start_terms(), so that the fit need not evaluate
   * there; the first step then uses start_chol for the information. All
   * three or none. */
  const double *start_u;    /* n */
  const double *start_dev;  /* n */
  const double *start_chol; /* p x p */
  /* Optional (maximum likelihood only): x rounded to float, n x p, for
   * single-precision information matrices in the Newton steps; the rank
   * screen, the estimate and vcov stay in double. */
  const float *xf;
} pa_logit_control;

/* Fill `ctl` with the given iterations, tolerance and penalty and the
 * defaults of every other field: no interrupt callback, one thread, glm's
 * start, the covariance wanted, x not known to be finite, and no start
 * terms, column maxima or float copy. Callers change only what differs. */
void pa_logit_control_init(pa_logit_control *ctl, int maxit, double epsilon,
                           int firth);

/* Output arrays are the caller's. Results describe the final iterate even
 * when the status is not PA_LOGIT_OK, except after COLLINEAR, MEMORY and
 * INVALID, where only columns and msg are meaningful. */
typedef struct {
  double *coef;   /* p */
  double *vcov;   /* p x p, inverse of info */
  double *fitted; /* n, fitted probabilities, zero-weight rows included */
  double *eta;    /* n, linear predictor including the offset */
  double *scores; /* n x p, per-observation estimating functions, or NULL */
  double *resid;  /* n, the factor r_i of the scores (score_i = r_i x_i), or NULL */
  double *info;   /* p x p, X' diag(w p (1 - p)) X */
  int *columns;   /* p, set to 1 for the columns a status is about */
  double deviance; /* unpenalised binomial deviance */
  int iterations;
  int converged;
  char msg[PA_LOGIT_MSG_SIZE];
} pa_logit_result;

/* Doubles of scratch pa_logit_fit() needs for n observations, p columns. */
size_t pa_logit_work_size(size_t n, int p, int firth);

/* Fit the model P(y_i = 1) = 1 / (1 + exp(-eta_i)), eta = X b + offset.
 * x is n x p column-major; y in [0, 1]; w (prior weights, >= 0) and offset
 * may be NULL for all ones and all zeros. `work` holds
 * pa_logit_work_size(n, p, firth) doubles. The kernel allocates nothing
 * itself beyond pa_rank()'s short-lived scratch, so a caller whose
 * interrupt callback does not return loses no memory. */
int pa_logit_fit(const double *x, const double *y, const double *w,
                 const double *offset, size_t n, int p,
                 const pa_logit_control *ctl, double *work,
                 pa_logit_result *res);

/* Below this many observations X'WX is cheap, and callers fit in double
 * throughout (every iterate then is glm()'s); above it, a float copy of
 * X pays for itself. */
#define PA_LOGIT_FLOAT_ROWS 4096

/* xf = x rounded to float, for pa_logit_control's xf, on up to `threads`
 * OpenMP threads. Returns 0, or 1
 * when some |x| is not below 1e30 or not finite (xf is then unusable:
 * float could not hold X'WX). */
int pa_logit_float_copy(const double *x, size_t count, float *xf,
                        int threads);

/* The terms of a fit started at beta, per unit of prior weight, for
 * pa_logit_control's start_u and start_dev (n each), and in chol the
 * Cholesky factor of the information at beta with prior weights w (may
 * be NULL). scratch holds n doubles. Returns 0, or 1 when the information
 * is not numerically positive definite (the terms are then unusable). */
int pa_logit_start_terms(const double *x, const double *y, const double *w,
                         const double *offset, size_t n, int p,
                         const double *beta, double *u, double *dev,
                         double *chol, double *scratch);

#endif

/* Bootstrap replicates of attrition weights: every response model and
 * calibration behind the weights is re-fitted in each replicate, with the
 * people reweighted by a draw of the Bayesian or the multinomial
 * bootstrap. Plain C, no R headers; OpenMP across replicates when the
 * compiler has it.
 *
 * A replicate's draws come from a random stream keyed by (seed, b) alone,
 * and everything it computes lives in the buffers of the thread that runs
 * it, so the replicate weights are the same bits whatever the number of
 * threads and however the replicate indices are split between calls. */
#ifndef PA_BOOT_H
#define PA_BOOT_H

#include <stddef.h>
#include <stdint.h>

enum { PA_BOOT_BAYES = 0, PA_BOOT_MULTINOMIAL = 1, PA_BOOT_RAOWU = 2 };

/* The sampling design of the people, for the Rao-Wu rescaling bootstrap
 * (type PA_BOOT_RAOWU). PSUs are numbered stratum by stratum, so those of
 * stratum h are first[h], ..., first[h + 1] - 1. In each stratum with
 * n_h >= 2 PSUs and lambda[h] > 0, m_h = n_h - 1 PSUs are drawn with
 * replacement and PSU j, drawn c_j times, gets the multiplier
 * 1 - lambda_h + lambda_h n_h / m_h c_j (lambda_h = sqrt(1 - f_h), Rao, Wu
 * and Yue 1992; 1 without a finite population correction); in other
 * strata every multiplier is 1. Person i's r_i is the multiplier of its
 * PSU. */
typedef struct {
  size_t npsu;
  int nstrata;
  const int *psu;        /* n: 0-based PSU of each person */
  const int *first;      /* nstrata + 1 */
  const double *lambda;  /* nstrata */
} pa_boot_design;

enum { PA_BOOT_LOGIT = 0, PA_BOOT_FIRTH = 1, PA_BOOT_CALIBRATE = 2 };

enum { PA_TRIM_NONE = 0, PA_TRIM_QUANTILE = 1, PA_TRIM_CAP = 2 };

/* Why a replicate failed; 0 when it did not. */
enum {
  PA_BOOT_OK = 0,
  PA_BOOT_FAIL_COLLINEAR,     /* model or margins lost rank */
  PA_BOOT_FAIL_SEPARATION,    /* ML estimate does not exist */
  PA_BOOT_FAIL_NOT_CONVERGED, /* fit or calibration did not converge */
  PA_BOOT_FAIL_INFEASIBLE,    /* calibration totals out of reach */
  PA_BOOT_FAIL_TRIM,          /* trimming would cap every weight */
  PA_BOOT_FAIL_OTHER          /* no positive weight at risk, memory, ... */
};

/* Where a replicate failed. */
enum { PA_BOOT_AT_MAIN = 0, PA_BOOT_AT_NUMERATOR = 1, PA_BOOT_AT_TRIM = 2 };

/* One stage as attrition_weights() fitted it, over the m people at risk.
 * The weights it produces at its wave are source / p (models) or
 * source * g (calibration), where the source is the previous wave's
 * weights when `chain` is set and the base weights otherwise. */
typedef struct {
  int kind;          /* PA_BOOT_LOGIT, PA_BOOT_FIRTH or PA_BOOT_CALIBRATE */
  int chain;
  size_t m;
  int p;
  const int *risk;   /* m: 0-based person indices, increasing */
  const double *y;   /* m: 1 for those who answered at the stage's wave */
  const double *x;   /* m x p, column-major */
  int maxit;
  double epsilon;
  const double *start;     /* p starting coefficients (models), or NULL */
  const double *colmax;    /* p largest |x| of each column (models), or NULL */
  /* maximum likelihood models: the terms of the start (the full sample's
   * fit) per unit of prior weight, and the Cholesky factor of the full
   * sample's information, from pa_logit_start_terms(); or all NULL */
  const double *start_u;   /* m */
  const double *start_dev; /* m */
  const double *start_chol; /* p x p */
  const float *xf;          /* m x p: x rounded to float, or NULL */
  /* calibration only */
  int calfun;              /* PA_CAL_LINEAR, PA_CAL_RAKING, PA_CAL_LOGIT,
                              PA_CAL_KOTT */
  double lower, upper;     /* bounds on g */
  const double *totals;    /* p fixed totals, or NULL: the start weights'
                              totals over everyone at risk */
} pa_boot_stage;

typedef struct {
  size_t n;              /* people: the units that are resampled */
  int nwave;
  const double *d;       /* n base weights */
  const int *resp;       /* n x nwave, 1 where the person answered */
  const int *baseline;   /* nbase 0-based indices: the baseline sample */
  size_t nbase;
  int monotone;
  int stabilize;
  int numerator;         /* stabilise by numerator models, not by rates */
  /* nwave entries each; main[t] is NULL where no model was fitted: at
   * the first wave without stage 0 (base weights), or where everyone at
   * risk answered (probability 1: the weights carry over from the
   * previous wave under monotone dropout, else base weights); numer[t]
   * is NULL where there is no numerator model (probability 1, times the
   * previous wave's under monotone dropout) */
  const pa_boot_stage *const *main;
  const pa_boot_stage *const *numer;
  int trim_mode;         /* PA_TRIM_* */
  double trim_value;     /* the quantile, or the cap on w / mean(w) */
  int type;              /* PA_BOOT_BAYES, PA_BOOT_MULTINOMIAL or
                            PA_BOOT_RAOWU */
  const pa_boot_design *design; /* the design (PA_BOOT_RAOWU), or NULL */
  uint64_t seed;
} pa_boot_spec;

/* Prepare what every replicate of a stage shares (st->x, st->y, st->risk,
 * st->kind and st->start set): the largest |x| of each column (colmax,
 * p), for a maximum likelihood model with m >= PA_LOGIT_FLOAT_ROWS x
 * rounded to float (xf, m x p, or NULL), and, with a start, the terms of
 * that start under the base weights d from pa_logit_start_terms() (u and
 * dev m, chol p x p, with m doubles each of prior and scratch; all NULL
 * to skip). Sets colmax, xf, start_u, start_dev and start_chol of st
 * (NULL where not available). The arrays are the caller's. */
void pa_boot_stage_prepare(pa_boot_stage *st, const double *d,
                           double *colmax, float *xf, double *u,
                           double *dev, double *chol, double *prior,
                           double *scratch);

/* Per-thread scratch: doubles, ints and sort records, as counted by
 * pa_boot_work_size(). */
typedef struct {
  double key;
  size_t idx;
} pa_boot_pair;

typedef struct {
  double *dwork;
  int *iwork;
  pa_boot_pair *pairs;
} pa_boot_work;

void pa_boot_work_size(const pa_boot_spec *spec, size_t *ndouble,
                       size_t *nint, size_t *npair);

/* The person weights r of replicate b (1-based) into r[0..n-1]: Bayesian
 * bootstrap r_i = E_i / mean(E), E_i ~ Exp(1); multinomial r_i = how
 * often person i is drawn in n draws with replacement. */
void pa_boot_draw(uint64_t seed, int b, int type, size_t n, double *r);

/* The person weights r of replicate b (1-based) into r[0..n-1] under the
 * Rao-Wu bootstrap of `design` (see pa_boot_design); mult is scratch of
 * design->npsu doubles. */
void pa_boot_draw_design(uint64_t seed, int b, const pa_boot_design *design,
                         size_t n, double *mult, double *r);

/* Replicate weights for the `count` replicates indices[0..count-1].
 * out[t] is the wave-t matrix (nresp[t] rows: that wave's respondents in
 * person order; column stride nresp[t]) and replicate j goes to its
 * column col0 + j. With draws non-NULL (n x count), those person weights
 * are used instead of the random ones. fail (3 ints per replicate, at
 * 3 * (col0 + j)) receives the reason (PA_BOOT_FAIL_*), the 0-based wave
 * and the place (PA_BOOT_AT_*); a failed replicate's columns are left as
 * they were. work[k] serves thread k, 0 <= k < threads. */
void pa_boot_run(const pa_boot_spec *spec, const int *indices,
                 const double *draws, size_t count, size_t col0, int threads,
                 const pa_boot_work *work, double *const *out,
                 const size_t *nresp, int *fail);

#endif

/* Calibration of weights (Deville and Sarndal 1992): plain C, no R headers.
 *
 * Given base weights d > 0, auxiliary variables X (n x p, column-major) and
 * target totals T, find lambda such that the weights w_i = d_i F(x_i'lambda)
 * reproduce the totals, sum_i w_i x_i = T. F is the calibration function;
 * g = w / d = F(x'lambda) may be confined to bounds (L, U), L < 1 < U.
 *
 *   linear   F(u) = 1 + u, truncated to [L, U] when bounds are finite
 *   raking   F(u) = exp(u), truncated to [L, U] when bounds are finite;
 *            with equal d this is entropy balancing (Hainmueller 2012)
 *   logit    F(u) = L + (U - L) / (1 + (U - 1) / (1 - L) exp(-A u)),
 *            A = (U - L) / ((U - 1) (1 - L)), which keeps g inside (L, U)
 *   kott     F(u) = 1 + exp(u), no bounds (g > 1 always). Then 1 / g is a
 *            logistic response probability with coefficients -lambda, and
 *            the calibration equations are the estimating equations
 *            sum_i (R_i / p_i - 1) d_i x_i = 0 of that response model
 *            (Kott 2006), so the weights are consistent when response is
 *            logit-linear in x. Newton starts from the constant g that
 *            matches the totals' overall size, when x spans a constant.
 *
 * The first three are the parameterisations of survey::cal.linear,
 * cal.raking and cal.logit, so the weights agree with survey::calibrate().
 *
 * Every array the kernel writes to is supplied by the caller, so a caller
 * whose interrupt callback never returns loses nothing. */
#ifndef PA_CALIBRATE_H
#define PA_CALIBRATE_H

#include <stddef.h>

#define PA_CAL_MSG_SIZE 1024

enum {
  PA_CAL_LINEAR = 0,
  PA_CAL_RAKING = 1,
  PA_CAL_LOGIT = 2,
  PA_CAL_KOTT = 3
};

/* status codes */
enum {
  PA_CAL_OK = 0,
  PA_CAL_EMPTY,         /* a margin with an all-zero column, nonzero total */
  PA_CAL_COLLINEAR,     /* linearly dependent margins */
  PA_CAL_INFEASIBLE,    /* no weights within the bounds reach the totals */
  PA_CAL_NOT_CONVERGED, /* maxit reached, or precision exhausted */
  PA_CAL_MEMORY,
  PA_CAL_INVALID        /* arguments the caller should have rejected */
};

typedef struct {
  int calfun;            /* PA_CAL_LINEAR, PA_CAL_RAKING, PA_CAL_LOGIT or
                            PA_CAL_KOTT */
  double lower, upper;   /* bounds on g; -INFINITY / INFINITY for none
                            (always none for PA_CAL_KOTT) */
  int maxit;             /* Newton iterations allowed */
  double epsilon;        /* on max_j |sum_i w_i x_ij - T_j| / max(1, |T_j|) */
  void (*interrupt)(void); /* called once per iteration; may be NULL */
} pa_cal_control;

typedef struct {
  /* supplied by the caller; filled only when status is PA_CAL_OK */
  double *g;          /* n: w / d */
  double *w;          /* n: calibrated weights */
  double *lambda;     /* p */
  double *jacobian;   /* p x p: sum_i d_i F'(x_i'lambda) x_i x_i' */
  /* supplied by the caller, length p: 0-based indices of the margins a
   * failure is about, in the order the message names them */
  int *columns;
  int ncolumns;

  int iterations;     /* Newton steps taken */
  int converged;
  double distance;    /* final max_j |misfit_j| / max(1, |T_j|) */
  int status;
  /* Margins are named "column <j>" (1-based) and nowhere else, so that a
   * caller can substitute its own names. */
  char msg[PA_CAL_MSG_SIZE];
} pa_cal_result;

/* Sizes of the scratch arrays pa_calibrate() needs: doubles and ints. */
size_t pa_calibrate_work_size(size_t n, int p);
size_t pa_calibrate_iwork_size(int p);

/* Returns res->status. */
int pa_calibrate(const double *x, size_t n, int p, const double *d,
                 const double *totals, const pa_cal_control *ctl,
                 double *work, int *iwork, pa_cal_result *res);

#endif

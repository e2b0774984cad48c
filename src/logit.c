/* Weighted logistic regression by Fisher scoring, with Firth's penalty as
 * an option. See logit.h for the interface.
 *
 * Both fits iterate b <- b + I(b)^{-1} U(b) with I = X' diag(w p q) X
 * (q = 1 - p). For maximum likelihood U = X' w (y - p), and since the logit
 * link is canonical this is Newton's method and the same iteration as
 * glm()'s IRLS. For Firth's method U gains the derivative of the Jeffreys
 * penalty (1/2) log det I(b), which is X' h (1/2 - p) with h the diagonal
 * of the hat matrix W^{1/2} X I^{-1} X' W^{1/2}, W = diag(w p q): the prior
 * weights enter the penalty only through I, so h is not multiplied by w
 * again. That is the exact gradient of the penalised log-likelihood of the
 * weighted model, and it is what brglm2's "MPL_Jeffreys" fits. Because
 * I^{-1} U is an ascent direction of the (penalised) log-likelihood in both
 * cases, halving a step that raised the (penalised) deviance always finds
 * an acceptable one. */
#include "logit.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Columns count as linearly dependent when, after scaling X'WX to unit
 * diagonal, less than this share of a column's weighted sum of squares is
 * left unexplained by the other columns. Beyond that the Cholesky factor
 * of X'WX could not give even six correct digits, whereas forming X'WX in
 * double precision leaves exact dependencies near 1e-15, well below. */
#define RANK_TOL 1e-10
/* Below this share the cheap screen asks for the pivoted rank check. */
#define RANK_SCREEN 1e-8

#define MAX_HALVING 30

/* Observations per block when solving for the hat values, which bounds
 * the scratch of the Firth fit by p * HAT_BLOCK doubles whatever n is. */
#define HAT_BLOCK 1024

/* Separation check; the reasoning is at check_separation(). */
#define SEP_SCREEN 0.01
#define SEP_MOVE 0.5
#define SEP_REL 1e-3
#define SEP_PROBES 2

typedef struct {
  const double *x, *y, *w, *off;
  size_t n;
  int p, firth, threads;
  double *eta, *mu, *wt, *r, *m, *h, *xt, *info, *chol, *chol_new, *devs;
  double dev, logdet, obj;
  int info_fresh; /* info and chol are at the current point */
} logit_state;

static double prior_weight(const logit_state *s, size_t i) {
  return s->w ? s->w[i] : 1.0;
}

/* Hat values h_i = W_i x_i' I^{-1} x_i, solving I z = x_i for blocks of
 * observations with the Cholesky factor of I. */
static void hat_values(logit_state *s) {
  size_t n = s->n;
  int p = s->p;
  for (size_t start = 0; start < n; start += HAT_BLOCK) {
    size_t m = n - start < HAT_BLOCK ? n - start : HAT_BLOCK;
    for (size_t k = 0; k < m; k++) {
      for (int j = 0; j < p; j++) {
        s->xt[(size_t) j + k * (size_t) p] = s->x[start + k + (size_t) j * n];
      }
    }
    pa_chol_solve(s->chol, p, s->xt, (int) m);
    for (size_t k = 0; k < m; k++) {
      size_t i = start + k;
      double acc = 0;
      for (int j = 0; j < p; j++) {
        acc += s->x[i + (size_t) j * n] * s->xt[(size_t) j + k * (size_t) p];
      }
      s->h[i] = s->wt[i] * acc;
    }
  }
}

/* The information X'WX at the current point and its Cholesky factor,
 * the log-determinant and, for Firth's method, the hat values with the
 * penalised estimating function and objective. The factor is built in a
 * second buffer, so when it fails the previous one is kept (the caller
 * may go on with it as an approximation). Returns 0, or 1 when the
 * information is not numerically positive definite or the objective is
 * not finite. */
static int evaluate_info(logit_state *s) {
  size_t n = s->n;
  int p = s->p;
  pa_crossprod_w(s->x, n, p, s->wt, s->info, s->threads);
  memcpy(s->chol_new, s->info, (size_t) p * (size_t) p * sizeof(double));
  if (pa_chol(s->chol_new, p)) {
    s->info_fresh = 0;
    return 1;
  }
  double *old = s->chol;
  s->chol = s->chol_new;
  s->chol_new = old;
  s->info_fresh = 1;
  double logdet = 0;
  for (int j = 0; j < p; j++) {
    logdet += 2 * log(s->chol[(size_t) j * ((size_t) p + 1)]);
  }
  s->logdet = logdet;
  if (s->firth) {
    hat_values(s);
    for (size_t i = 0; i < n; i++) s->r[i] += s->h[i] * (0.5 - s->mu[i]);
    /* -2 times the penalised log-likelihood, up to a constant */
    s->obj = s->dev - logdet;
  }
  return isfinite(s->obj) ? 0 : 1;
}

/* Everything that depends on the linear predictor: fitted values, working
 * weights, deviance and r, the per-observation factor of the estimating
 * function (U = X' r), and with `with_info` (always, for Firth, whose
 * objective and U need it) the information as in evaluate_info(). With
 * beta NULL the linear predictor already in s->eta is used (the starting
 * values). Returns 0, or 1 when the objective is not finite or the
 * information was asked for and is not numerically positive definite. */
/* The per-observation part of evaluate() for rows [a, a + m): linear
 * predictor (when beta is given), fitted values, working weights, r, and
 * the chunk's deviance. */
static double evaluate_rows(logit_state *s, const double *beta, size_t a,
                            size_t m) {
  size_t n = s->n, end = a + m;
  if (beta) pa_x_beta(s->x, n, s->p, beta, s->off, a, m, s->eta);
  double dev = 0;
  for (size_t i = a; i < end; i++) {
    double wi = prior_weight(s, i), yi = s->y[i], eta = s->eta[i];
    /* p and q = 1 - p each computed directly, so that the smaller keeps
     * its relative precision when |eta| is large; -log p and -log q from
     * the same exp(-|eta|). The larger is 1 / (1 + e) and the log of it is
     * -log1p(e) to within an absolute 1e-16, all the deviance needs. */
    double e = exp(-fabs(eta)), big = 1 / (1 + e), small = e * big;
    double pi = eta >= 0 ? big : small, qi = eta >= 0 ? small : big;
    s->mu[i] = pi;
    s->wt[i] = wi * pi * qi;
    /* y - p written so that neither term cancels when p is near 0 or 1 */
    s->r[i] = wi * (yi * qi - (1 - yi) * pi);
    if (wi > 0) {
      double l1 = -log(big);
      double nlp = eta >= 0 ? l1 : l1 - eta; /* -log p */
      double nlq = eta >= 0 ? l1 + eta : l1; /* -log q */
      double d = yi == 1 ? nlp : (yi == 0 ? nlq : yi * nlp + (1 - yi) * nlq);
      if (yi > 0 && yi < 1) d += yi * log(yi) + (1 - yi) * log1p(-yi);
      dev += 2 * wi * d;
    }
  }
  return dev;
}

/* Everything that depends on the linear predictor: fitted values, working
 * weights, deviance and r, the per-observation factor of the estimating
 * function (U = X' r), and with `with_info` (always, for Firth, whose
 * objective and U need it) the information as in evaluate_info(). With
 * beta NULL the linear predictor already in s->eta is used (the starting
 * values). Rows go in chunks of PA_CHUNK, on OpenMP threads for large n,
 * and the chunks' deviances are added in order, so the result does not
 * depend on the number of threads. Returns 0, or 1 when the objective is
 * not finite or the information was asked for and is not numerically
 * positive definite. */
static int evaluate(logit_state *s, const double *beta, int with_info) {
  size_t n = s->n;
  size_t nchunk = (n + PA_CHUNK - 1) / PA_CHUNK;
  double *devs = s->devs;
#ifdef _OPENMP
  int par = s->threads > 1 && nchunk >= 4 && !omp_in_parallel();
#pragma omp parallel for num_threads(s->threads) schedule(static) if (par)
#endif
  for (size_t c = 0; c < nchunk; c++) {
    size_t a = c * PA_CHUNK, m = n - a < PA_CHUNK ? n - a : PA_CHUNK;
    devs[c] = evaluate_rows(s, beta, a, m);
  }
  double dev = 0;
  for (size_t c = 0; c < nchunk; c++) dev += devs[c];
  s->dev = dev;
  s->obj = dev;
  s->info_fresh = 0;
  if (with_info || s->firth) return evaluate_info(s);
  return isfinite(s->obj) ? 0 : 1;
}

/* The scoring step I^{-1} U, U = X' r, into `step`; returns U' I^{-1} U,
 * the squared length of the step in standard-error units. On the first
 * iteration there is no coefficient vector yet, only the linear predictor
 * of the starting values; the step then solves glm's first weighted
 * least-squares problem, I^{-1} X' (W (eta - offset) + r), and is the
 * coefficient vector itself (the return value is then meaningless). */
static double scoring_step(logit_state *s, int first, double *step,
                           double *grad) {
  if (first) {
    /* r is rebuilt by the next evaluate(), so it can carry this sum */
    for (size_t i = 0; i < s->n; i++) {
      double off = s->off ? s->off[i] : 0.0;
      s->r[i] += s->wt[i] * (s->eta[i] - off);
    }
  }
  pa_crossprod_vec(s->x, s->n, s->p, s->r, grad);
  memcpy(step, grad, (size_t) s->p * sizeof(double));
  pa_chol_solve(s->chol, s->p, step, 1);
  double dec = 0;
  for (int j = 0; j < s->p; j++) dec += grad[j] * step[j];
  return dec;
}

/* Take the step from beta_old, halving it while the objective rises by
 * more than the convergence tolerance or cannot be evaluated. On success
 * beta holds the new iterate, step the step actually taken, and s is
 * evaluated there; returns 0. Returns 1 if MAX_HALVING halvings failed,
 * with beta restored and s evaluated at beta_old. */
static int take_step(logit_state *s, const double *beta_old, double *step,
                     double *beta, double obj_old, double epsilon,
                     int accept_any) {
  int p = s->p;
  double t = 1;
  for (int half = 0; half <= MAX_HALVING; half++) {
    for (int j = 0; j < p; j++) beta[j] = beta_old[j] + t * step[j];
    if (!evaluate(s, beta, 0) &&
        (accept_any || s->obj - obj_old <= epsilon * (fabs(s->obj) + 0.1))) {
      for (int j = 0; j < p; j++) step[j] *= t;
      return 0;
    }
    t *= 0.5;
  }
  memcpy(beta, beta_old, (size_t) p * sizeof(double));
  evaluate(s, beta, 0);
  return 1;
}

/* Largest and smallest movement of a linear predictor towards the observed
 * outcome under `step`, over observations with positive weight. For a
 * fractional y no movement is towards the outcome, so any counts against. */
static void moves_towards_outcome(const logit_state *s, const double *step,
                                  double *dmax, double *dmin) {
  size_t n = s->n;
  double *m = s->m;
  pa_x_beta(s->x, n, s->p, step, NULL, 0, n, m);
  double hi = -INFINITY, lo = INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (prior_weight(s, i) <= 0) continue;
    double yi = s->y[i];
    double d = yi == 1 ? m[i] : (yi == 0 ? -m[i] : -fabs(m[i]));
    if (d > hi) hi = d;
    if (d < lo) lo = d;
  }
  *dmax = hi;
  *dmin = lo;
}

/* Separation. The ML estimate fails to exist exactly when some direction
 * b has (2 y_i - 1) x_i'b >= 0 for every observation with positive weight
 * and > 0 for at least one (Albert & Anderson 1984, Biometrika 71:1-10).
 * Along b the log-likelihood keeps rising towards its supremum, and the
 * scoring iteration follows it: Newton's method on a deviance term
 * log(1 + exp(-|eta|)) adds about one unit to |eta| per step (the
 * separated observations nearest the boundary move by about that much,
 * the others in proportion), while the term itself, about exp(-|eta|),
 * soon falls below the convergence tolerance. A converged deviance is therefore no
 * evidence that the estimate is finite (glm() "converges" on separated
 * data too).
 *
 * The test looks at the last scoring step after the deviance has settled.
 * For a finite estimate, Newton's method converges quadratically, so that
 * step is many orders of magnitude below one unit of eta; if it moves no
 * linear predictor by SEP_SCREEN the fit is accepted at once, which is the
 * path ordinary data take. Otherwise up to SEP_PROBES further steps are
 * taken (they also sharpen the direction: components not along b shrink
 * like exp(-|eta|)), and the last one, delta, decides. Separation is
 * reported when delta moves some linear predictor by at least SEP_MOVE
 * towards its observed outcome and none away from it beyond a relative
 * SEP_REL of rounding, i.e. when delta is numerically a separating
 * direction b. Data whose estimate is finite cannot satisfy this: there
 * the next step is negligible, and when the estimate is merely large
 * (nearly separated data) the observations on the wrong side keep the
 * deviance changing, so the deviance has not settled, and the step moves
 * them away from their outcome. The columns involved are those that carry
 * a non-negligible share, SEP_REL, of the movement of eta in delta.
 *
 * `step` is the last step of the fit; have_step is 0 when that was the
 * first iteration, whose "step" is the coefficient vector itself, and the
 * decision then rests on the probes alone.
 *
 * Returns 1 and flags columns on separation; beta and s are left at the
 * probed iterate, which the caller restores. */
static int check_separation(logit_state *s, double *beta, double *step,
                            int have_step, double *beta_old, double epsilon,
                            const double *colmax, int *columns) {
  int p = s->p;
  double dmax = 0, dmin = 0;
  if (have_step && colmax) {
    /* no linear predictor can move more than this */
    double bound = 0;
    for (int j = 0; j < p; j++) bound += colmax[j] * fabs(step[j]);
    if (bound < SEP_SCREEN) return 0;
  }
  if (have_step) {
    moves_towards_outcome(s, step, &dmax, &dmin);
    if (!(dmax >= SEP_SCREEN)) return 0;
  }
  double obj_old = s->obj;
  for (int k = 0; k < SEP_PROBES; k++) {
    double *trial = beta_old; /* reuse: the step is kept in `step` */
    memcpy(trial, beta, (size_t) p * sizeof(double));
    double *next = step + p; /* second part of the caller's step buffer */
    if (!s->info_fresh && evaluate_info(s)) return 0;
    scoring_step(s, 0, next, next + p);
    if (take_step(s, trial, next, beta, obj_old, epsilon, 0)) {
      if (k == 0 && !have_step) return 0;
      break;
    }
    obj_old = s->obj;
    memcpy(step, next, (size_t) p * sizeof(double));
    moves_towards_outcome(s, step, &dmax, &dmin);
    if (dmax < SEP_SCREEN) return 0;
  }
  if (!(dmax >= SEP_MOVE && dmin >= -SEP_REL * dmax)) return 0;

  double cmax = 0;
  for (int j = 0; j < p; j++) {
    const double *xj = s->x + (size_t) j * s->n;
    double xmax = 0;
    for (size_t i = 0; i < s->n; i++) {
      if (prior_weight(s, i) > 0 && fabs(xj[i]) > xmax) xmax = fabs(xj[i]);
    }
    /* the largest change in eta that column j makes in this step */
    beta_old[j] = fabs(step[j]) * xmax;
    if (beta_old[j] > cmax) cmax = beta_old[j];
  }
  for (int j = 0; j < p; j++) columns[j] = beta_old[j] > SEP_REL * cmax;
  return 1;
}

/* "columns 2, 5" (1-based) appended to msg, within its size. */
static void append_columns(char *msg, const int *columns, int p) {
  size_t len = strlen(msg);
  int first = 1;
  for (int j = 0; j < p && len + 16 < PA_LOGIT_MSG_SIZE; j++) {
    if (!columns[j]) continue;
    snprintf(msg + len, PA_LOGIT_MSG_SIZE - len, "%s%d", first ? "" : ", ",
             j + 1);
    len = strlen(msg);
    first = 0;
  }
}

size_t pa_logit_work_size(size_t n, int p, int firth) {
  size_t pp = (size_t) p;
  size_t block = n < HAT_BLOCK ? n : HAT_BLOCK;
  /* beta_old, step (three parts: main step, probe step, gradient),
   * beta_keep; two Cholesky factors; W, r and X times a step; one
   * deviance per chunk of rows; for Firth the hat values and one block of
   * solved columns */
  return 5 * pp + 2 * pp * pp + 3 * n + (n + PA_CHUNK - 1) / PA_CHUNK +
         (firth ? n + pp * block : 0);
}

int pa_logit_fit(const double *x, const double *y, const double *w,
                 const double *offset, size_t n, int p,
                 const pa_logit_control *ctl, double *work,
                 pa_logit_result *res) {
  res->msg[0] = '\0';
  res->converged = 0;
  res->iterations = 0;
  res->deviance = NAN;
  if (p >= 1) memset(res->columns, 0, (size_t) p * sizeof(int));
  if (n < 1 || p < 1 || !x || !y || !ctl || !work || ctl->maxit < 1 ||
      !(ctl->epsilon > 0) || (size_t) p > (size_t) INT_MAX / (size_t) p) {
    snprintf(res->msg, PA_LOGIT_MSG_SIZE, "invalid dimensions or control");
    return PA_LOGIT_INVALID;
  }
  size_t npos = 0;
  for (size_t i = 0; i < n; i++) {
    double wi = w ? w[i] : 1.0;
    if (!(y[i] >= 0 && y[i] <= 1) || !(wi >= 0) || !isfinite(wi) ||
        (offset && !isfinite(offset[i]))) {
      snprintf(res->msg, PA_LOGIT_MSG_SIZE,
               "observation %zu has an invalid response, weight or offset",
               i + 1);
      return PA_LOGIT_INVALID;
    }
    npos += wi > 0;
  }
  for (size_t k = 0; !ctl->x_checked && k < n * (size_t) p; k++) {
    if (!isfinite(x[k])) {
      res->columns[k / n] = 1;
      snprintf(res->msg, PA_LOGIT_MSG_SIZE, "non-finite value in column %d",
               (int) (k / n) + 1);
      return PA_LOGIT_INVALID;
    }
  }
  if (npos == 0) {
    snprintf(res->msg, PA_LOGIT_MSG_SIZE, "no observation has a positive weight");
    return PA_LOGIT_INVALID;
  }

  size_t pp = (size_t) p;
  logit_state s;
  s.x = x;
  s.y = y;
  s.w = w;
  s.off = offset;
  s.n = n;
  s.p = p;
  s.firth = ctl->firth != 0;
  s.threads = ctl->threads > 1 ? ctl->threads : 1;
  s.eta = res->eta;
  s.mu = res->fitted;
  s.info = res->info;
  double *beta = res->coef;
  double *beta_old = work;
  double *step = beta_old + pp; /* 3p: step, probe step, gradient */
  double *beta_keep = step + 3 * pp;
  s.chol = beta_keep + pp;
  s.chol_new = s.chol + pp * pp;
  s.wt = s.chol_new + pp * pp;
  s.r = s.wt + n;
  s.m = s.r + n;
  s.devs = s.m + n;
  s.h = s.firth ? s.devs + (n + PA_CHUNK - 1) / PA_CHUNK : NULL;
  s.xt = s.firth ? s.h + n : NULL;

  /* Starting values: the caller's coefficients, or glm's binomial
   * starting fitted values, which keep every eta finite. */
  int warm = ctl->start != NULL;
  int bad_start;
  if (warm) {
    memcpy(beta, ctl->start, pp * sizeof(double));
    bad_start = evaluate(&s, beta, 1);
  } else {
    for (size_t i = 0; i < n; i++) {
      double wi = w ? w[i] : 1.0;
      double m = (wi * y[i] + 0.5) / (wi + 1);
      s.eta[i] = log(m / (1 - m));
    }
    bad_start = evaluate(&s, NULL, 1);
  }

  /* Rank. The Cholesky factor of the information just formed screens for
   * it at no extra cost: R_jj^2 / I_jj is the share of column j's weighted
   * sum of squares that the columns before it leave unexplained. Only when
   * that share is small somewhere (or the factorisation failed) is the
   * rank settled by a pivoted factorisation of X' diag(w) X, the prior
   * weights alone, as the fit uses them. */
  int screen = bad_start;
  for (int j = 0; j < p && !screen; j++) {
    double r = s.chol[(size_t) j * (pp + 1)], d = s.info[(size_t) j * (pp + 1)];
    screen = !(d > 0) || !(r * r >= RANK_SCREEN * d);
  }
  if (screen) {
    for (size_t i = 0; i < n; i++) s.wt[i] = w ? w[i] : 1.0;
    pa_crossprod_w(x, n, p, s.wt, s.chol, s.threads);
    int rank = pa_rank(s.chol, p, RANK_TOL, res->columns);
    if (rank < 0) {
      snprintf(res->msg, PA_LOGIT_MSG_SIZE, "out of memory");
      return PA_LOGIT_MEMORY;
    }
    if (rank < p) {
      snprintf(res->msg, PA_LOGIT_MSG_SIZE,
               "linearly dependent columns (rank %d of %d): ", rank, p);
      append_columns(res->msg, res->columns, p);
      return PA_LOGIT_COLLINEAR;
    }
    /* full rank after all: restore the state the screen overwrote */
    bad_start = warm ? evaluate(&s, beta, 1) : evaluate(&s, NULL, 1);
  }
  if (bad_start) {
    snprintf(res->msg, PA_LOGIT_MSG_SIZE,
             "the information matrix at the starting values is not "
             "numerically positive definite");
    return PA_LOGIT_COLLINEAR;
  }

  double obj_old = s.obj, change = INFINITY;
  int iter = 0, stuck = 0;
  while (iter < ctl->maxit) {
    if (ctl->interrupt) ctl->interrupt();
    int first = iter == 0 && !warm;
    iter++;
    double dec = scoring_step(&s, first, step, step + pp);
    if (first) {
      memset(beta_old, 0, pp * sizeof(double));
    } else {
      memcpy(beta_old, beta, pp * sizeof(double));
    }
    if (take_step(&s, beta_old, step, beta, obj_old, ctl->epsilon, first)) {
      stuck = 1;
      break;
    }
    change = fabs(s.obj - obj_old) / (fabs(s.obj) + 0.1);
    obj_old = s.obj;
    /* The change in the objective is quadratic in the step. That suffices
     * for Newton's method (ML), whose error after a step is quadratic in
     * it too; Firth's modified scoring converges only linearly, leaving an
     * error proportional to the step, so there the step itself, in
     * standard-error units, must also be small on the same relative scale:
     * sqrt(U' I^{-1} U) < epsilon * sqrt(|obj| + 0.1). */
    if (change < ctl->epsilon &&
        (!s.firth ||
         (!first && dec < ctl->epsilon * ctl->epsilon * (fabs(s.obj) + 0.1)))) {
      res->converged = 1;
      break;
    }
    /* the next Newton step needs the information at this iterate (the
     * halving above only needed the deviance); after the last step it is
     * formed only if the caller wants it, below */
    if (!s.info_fresh) evaluate_info(&s);
  }
  res->iterations = iter;

  int status = res->converged ? PA_LOGIT_OK : PA_LOGIT_NOT_CONVERGED;
  if (!s.firth && !stuck) {
    memcpy(beta_keep, beta, pp * sizeof(double));
    if (check_separation(&s, beta, step, warm || iter > 1, beta_old,
                         ctl->epsilon, ctl->colmax, res->columns)) {
      status = PA_LOGIT_SEPARATION;
      snprintf(res->msg, PA_LOGIT_MSG_SIZE,
               "complete or quasi-complete separation: the maximum "
               "likelihood estimate does not exist; diverging columns ");
      append_columns(res->msg, res->columns, p);
    }
    if (memcmp(beta_keep, beta, pp * sizeof(double))) {
      memcpy(beta, beta_keep, pp * sizeof(double));
      evaluate(&s, beta, 0);
    }
  }
  if (status == PA_LOGIT_NOT_CONVERGED) {
    if (stuck) {
      snprintf(res->msg, PA_LOGIT_MSG_SIZE,
               "step halving could not reduce the %sdeviance at iteration %d",
               s.firth ? "penalised " : "", iter);
    } else {
      snprintf(res->msg, PA_LOGIT_MSG_SIZE,
               "no convergence in %d iterations (relative change in the "
               "%sdeviance %.3g)",
               iter, s.firth ? "penalised " : "", change);
    }
  }

  res->deviance = s.dev;
  if (res->resid) memcpy(res->resid, s.r, n * sizeof(double));
  if (res->scores) {
    for (int j = 0; j < p; j++) {
      const double *xj = x + (size_t) j * n;
      double *uj = res->scores + (size_t) j * n;
      for (size_t i = 0; i < n; i++) uj[i] = s.r[i] * xj[i];
    }
  }
  if (ctl->want_vcov) {
    int no_factor = !s.info_fresh && evaluate_info(&s);
    memcpy(res->vcov, s.chol, pp * pp * sizeof(double));
    if (no_factor || pa_chol_inverse(res->vcov, p)) {
      for (size_t k = 0; k < pp * pp; k++) res->vcov[k] = NAN;
    }
  }
  return status;
}

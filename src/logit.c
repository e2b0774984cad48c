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
 * an acceptable one. Under separation Firth's scoring crawls, and the fit
 * goes on with Newton steps on the penalised log-likelihood (newton_step()),
 * which converge quadratically to the same maximum. */
#include "logit.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
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
/* The screen's threshold on an information formed in single precision,
 * far above its relative rounding error (about 1e-6), so a column that
 * passes it is surely not dependent on the others. */
#define RANK_SCREEN_FLOAT 1e-4

#define MAX_HALVING 30

/* Observations per block when solving for the hat values, which bounds
 * the scratch of the Firth fit by p * HAT_BLOCK doubles whatever n is. */
#define HAT_BLOCK 1024

/* Firth's fit switches from modified scoring to Newton steps on the
 * penalised log-likelihood once a scoring step is more than this share
 * (in standard-error units, squared) of the one before, i.e. once the
 * scoring iteration is only crawling; see newton_step(). */
#define FIRTH_SLOW 0.2
/* Newton steps need p^3 doubles of scratch; above this many columns the
 * Firth fit keeps to modified scoring. */
#define FIRTH_NEWTON_PMAX 64

/* Separation check; the reasoning is at check_separation(). */
#define SEP_SCREEN 0.01
#define SEP_MOVE 0.5
#define SEP_REL 1e-3
#define SEP_PROBES 2

typedef struct {
  const double *x, *y, *w, *off;
  size_t n;
  int p, firth, threads;
  int binary; /* every y is 0 or 1 */
  const float *xf; /* float copy of x for approximate X'WX, or NULL */
  int info_float;  /* info was formed in single precision */
  double *eta, *mu, *wt, *r, *m, *h, *xt, *info, *chol, *chol_new, *devs;
  double *gparts; /* the gradient's partial sums, p per row chunk */
  double *hess, *ak; /* Firth's Newton matrix (p x p) and p matrices p x p,
                      * or NULL when Newton steps are not available */
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
 * may go on with it as an approximation). With a float copy of X and
 * `precise` 0, X'WX is formed in single precision (info_float), which
 * is enough for the Newton steps: the estimate is where the gradient,
 * always in double, vanishes. Returns 0, or 1 when the information is not
 * numerically positive definite or the objective is not finite. */
static int evaluate_info_prec(logit_state *s, int precise) {
  size_t n = s->n;
  int p = s->p;
  s->info_float = s->xf && !precise;
  if (s->info_float) {
    pa_crossprod_wf(s->xf, n, p, s->wt, s->info, s->threads);
  } else {
    pa_crossprod_w(s->x, n, p, s->wt, s->info, s->threads);
  }
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

static int evaluate_info(logit_state *s) { return evaluate_info_prec(s, 0); }

/* Selections on the bits of doubles, so that the loop in binary_rows()
 * holds no floating-point comparison: GCC will not vectorise one while it
 * must assume comparisons can trap, and the results are the same. */
static inline uint64_t bits_of(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static inline double from_bits(uint64_t u) {
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

static inline double select_bits(uint64_t mask, double a, double b) {
  return from_bits((bits_of(a) & mask) | (bits_of(b) & ~mask));
}

/* exp(x) for x <= 0 (x = -|eta|), within about 2.2 units in the last
 * place (checked against long double expl on 1e7 points), and 0 below
 * -708, where exp(x) is under 3.3e-308 and no probability the fits
 * report depends on it. x = k log 2 + r, |r| <= log(2) / 2, k by rounding
 * with the 1.5 * 2^52 shift, log 2 in two parts (Cody and Waite) so that
 * k log 2 is exact, exp(r) by its Taylor series to r^13 / 13! (the rest
 * is below 4e-18 of it), and 2^k made from its exponent bits. No calls
 * and no floating-point comparisons, so that binary_rows() vectorises. */
static inline double exp_nonpos(double x) {
  const uint64_t all = ~UINT64_C(0);
  /* for x <= 0 (sign bit set) the bits order as -x does */
  uint64_t tiny = bits_of(x) > bits_of(-708.0) ? all : 0;
  double xc = select_bits(tiny, 0.0, x);
  const double shift = 6755399441055744.0;
  double t = xc * 1.4426950408889634 + shift;
  double kd = t - shift;
  double r = (xc - kd * 0x1.62e42fee00000p-1) - kd * 0x1.a39ef35793c76p-33;
  /* sum of r^j / j!, j <= 13, by Estrin's scheme: pairs, then powers
   * r^2, r^4, r^8, so the chain of dependent operations is 8 long, not 28 */
  double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  double a0 = 1 + r, a1 = 1.0 / 2 + r * (1.0 / 6);
  double a2 = 1.0 / 24 + r * (1.0 / 120), a3 = 1.0 / 720 + r * (1.0 / 5040);
  double a4 = 1.0 / 40320 + r * (1.0 / 362880);
  double a5 = 1.0 / 3628800 + r * (1.0 / 39916800);
  double a6 = 1.0 / 479001600 + r * (1.0 / 6227020800.0);
  double lo = (a0 + a1 * r2) + (a2 + a3 * r2) * r4;
  double hi = (a4 + a5 * r2) + a6 * r4;
  double p = lo + hi * r8;
  int64_t k = (int64_t) bits_of(t) - (int64_t) bits_of(shift);
  double scale = from_bits((uint64_t) (k + 1023) << 52);
  return select_bits(tiny, 0.0, p * scale);
}

/* log(1 + e) for 0 <= e <= 1, as 2 atanh(s) with s = e / (2 + e), or
 * log 2 + 2 atanh(s) with s = (e - 1) / (e + 3) when 1 + e > sqrt(2)
 * (the caller says which: hi = 1.0 then, else 0), so that |s| <= 0.172
 * and the series s + s^3/3 + ... + s^21/21 leaves out less than 1e-18 of
 * the result. Within about 2.2 units in the last place of log1p(e)
 * (checked against long double log1pl on 1e7 points), and made of
 * arithmetic only. */
static inline double log1p_unit(double e, double hi) {
  double sv = (e - hi) / (e + 2 + hi), z = sv * sv;
  /* sum of z^(k-1) / (2k + 1), k = 1..10, by Estrin's scheme */
  double z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
  double a0 = 1.0 / 3 + z * (1.0 / 5), a1 = 1.0 / 7 + z * (1.0 / 9);
  double a2 = 1.0 / 11 + z * (1.0 / 13), a3 = 1.0 / 15 + z * (1.0 / 17);
  double a4 = 1.0 / 19 + z * (1.0 / 21);
  double p = ((a0 + a1 * z2) + (a2 + a3 * z2) * z4) + a4 * z8;
  return hi * 0.69314718055994531 + (2 * sv + 2 * sv * (z * p));
}

/* What one observation with linear predictor eta, outcome y and prior
 * weight w contributes: the fitted probability p into *mu, the working
 * weight w p q (q = 1 - p) into *wt, r = w (y - p), the factor of the
 * estimating function, into *r, and its deviance term (0 when w is 0)
 * into *dev. `ent` is y log y + (1 - y) log(1 - y), 0 for y = 0 or 1.
 * p and q are each computed directly, so that the smaller keeps its
 * relative precision when |eta| is large, and -log p and -log q come from
 * the same exp(-|eta|): -log of the larger, 1 / (1 + e), is log1p(e).
 * No calls and no floating-point comparisons (selections are made on
 * bits), so a loop over observations vectorises. */
#if defined(__GNUC__)
/* inlined into binary_rows() even though it has other callers, or that
 * loop could not vectorise */
__attribute__((always_inline))
#endif
static inline void row_terms(double et, double yi, double wi, double ent,
                             double *mu, double *wt, double *r, double *dev) {
  const uint64_t all = ~UINT64_C(0);
  /* -|eta|: eta with the sign bit set */
  double e = exp_nonpos(from_bits(bits_of(et) | ~(all >> 1)));
  double big = 1 / (1 + e), small = e * big;
  /* all ones where eta is negative (its sign bit), else zero */
  uint64_t neg = (int64_t) bits_of(et) < 0 ? all : 0;
  double pi = select_bits(neg, small, big), qi = select_bits(neg, big, small);
  *mu = pi;
  *wt = wi * (pi * qi);
  /* y - p written so that neither term cancels when p is near 0 or 1 */
  *r = wi * (yi * qi - (1 - yi) * pi);
  /* e >= 0, whose bits order as the numbers do */
  double hi = select_bits(
      (int64_t) bits_of(e) > (int64_t) bits_of(0.41421356237309503) ? all : 0,
      1.0, 0.0);
  double l1 = log1p_unit(e, hi);
  double nlp = l1 - select_bits(neg, et, 0.0); /* -log p */
  double nlq = l1 + select_bits(neg, 0.0, et); /* -log q */
  double d = yi * nlp + (1 - yi) * nlq + ent;
  /* w >= 0 here, so any bit but the sign means w > 0 */
  *dev = select_bits((bits_of(wi) << 1) != 0 ? all : 0, wi * (2 * d), 0.0);
}

/* row_terms() for m observations with outcomes 0 or 1, which the compiler
 * may vectorise without changing any result. */
#if defined(PA_TARGET_CLONES)
__attribute__((target_clones("avx2", "default")))
#endif
static void binary_rows(const double *restrict eta, const double *restrict y,
                        const double *restrict w, size_t m,
                        double *restrict mu, double *restrict wt,
                        double *restrict r, double *restrict ev) {
#ifdef _OPENMP
#pragma omp simd
#endif
  for (size_t k = 0; k < m; k++) {
    row_terms(eta[k], y[k], w[k], 0.0, mu + k, wt + k, r + k, ev + k);
  }
}

/* y log y + (1 - y) log(1 - y) for 0 <= y <= 1 (0 at the ends): the
 * deviance of a fractional outcome is measured from it. */
static double entropy_term(double yi) {
  return yi > 0 && yi < 1 ? yi * log(yi) + (1 - yi) * log1p(-yi) : 0.0;
}

/* The per-observation part of evaluate() for rows [a, a + m): linear
 * predictor (when beta is given), fitted values, working weights, r, and
 * the chunk's deviance, summed in row order. */
static double evaluate_rows(logit_state *s, const double *beta, size_t a,
                            size_t m) {
  size_t n = s->n;
  if (beta) pa_x_beta(s->x, n, s->p, beta, s->off, a, m, s->eta);
  double *ev = s->m + a;
  if (s->w && s->binary) {
    binary_rows(s->eta + a, s->y + a, s->w + a, m, s->mu + a, s->wt + a,
                s->r + a, ev);
  } else {
    for (size_t i = a; i < a + m; i++) {
      row_terms(s->eta[i], s->y[i], prior_weight(s, i), entropy_term(s->y[i]),
                s->mu + i, s->wt + i, s->r + i, ev + (i - a));
    }
  }
  double dev = 0;
  for (size_t k = 0; k < m; k++) dev += ev[k];
  return dev;
}

/* fn(s, arg, c, a, m) for every chunk c of rows [a, a + m), PA_CHUNK rows
 * each but the last; on OpenMP threads when more than one is allowed,
 * there are enough chunks to share and no parallel region is running
 * already (a bootstrap replicate). Returns the number of chunks. */
typedef void (*chunk_fn)(logit_state *s, const double *arg, size_t c,
                         size_t a, size_t m);

static size_t for_chunks(logit_state *s, chunk_fn fn, const double *arg) {
  size_t n = s->n, nchunk = (n + PA_CHUNK - 1) / PA_CHUNK;
#ifdef _OPENMP
  int par = s->threads > 1 && nchunk >= 4 && !omp_in_parallel();
#pragma omp parallel for num_threads(s->threads) schedule(static) if (par)
#endif
  for (size_t c = 0; c < nchunk; c++) {
    size_t a = c * PA_CHUNK;
    fn(s, arg, c, a, n - a < PA_CHUNK ? n - a : PA_CHUNK);
  }
  return nchunk;
}

static void evaluate_chunk(logit_state *s, const double *beta, size_t c,
                           size_t a, size_t m) {
  s->devs[c] = evaluate_rows(s, beta, a, m);
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
  size_t nchunk = for_chunks(s, evaluate_chunk, beta);
  double *devs = s->devs;
  double dev = 0;
  for (size_t c = 0; c < nchunk; c++) dev += devs[c];
  s->dev = dev;
  s->obj = dev;
  s->info_fresh = 0;
  if (with_info || s->firth) return evaluate_info(s);
  return isfinite(s->obj) ? 0 : 1;
}

/* U = X' r into grad, by row chunks whose partial sums are added in chunk
 * order (on OpenMP threads when evaluate() would use them), so the result
 * does not depend on the number of threads. */
static void gradient_chunk(logit_state *s, const double *unused, size_t c,
                           size_t a, size_t m) {
  (void) unused;
  pa_crossprod_vec_rows(s->x, s->n, s->p, s->r, a, m,
                        s->gparts + c * (size_t) s->p);
}

static void gradient(logit_state *s, double *grad) {
  size_t pp = (size_t) s->p;
  size_t nchunk = for_chunks(s, gradient_chunk, NULL);
  const double *parts = s->gparts;
  memcpy(grad, parts, pp * sizeof(double));
  for (size_t c = 1; c < nchunk; c++) {
    for (size_t j = 0; j < pp; j++) grad[j] += parts[c * pp + j];
  }
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
  gradient(s, grad);
  memcpy(step, grad, (size_t) s->p * sizeof(double));
  pa_chol_solve(s->chol, s->p, step, 1);
  double dec = 0;
  for (int j = 0; j < s->p; j++) dec += grad[j] * step[j];
  return dec;
}

/* Firth's Newton step. Modified scoring, b <- b + I^{-1} U*, treats the
 * information I as the negative Hessian of the penalised log-likelihood
 * l* = l + (1/2) log det I. That is nearly right when the penalty is small
 * next to the likelihood, and scoring then converges fast. Under
 * separation it is not: along a separating direction the likelihood has
 * almost no curvature left (the fitted probabilities there are near 0 or
 * 1), the penalty is what holds the estimate finite, and its curvature is
 * as large as I's, so scoring contracts the error by a factor near one per
 * iteration (hundreds of iterations, and a stop that is still far from the
 * maximum). Newton's method with the exact Hessian converges
 * quadratically there. With c = 1 - 2p and D_k = X' diag(W c x_k) X,
 *   -d2 l* / db_k db_l = I_kl - (1/2) sum_i h_i (1 - 6 p_i q_i) x_ik x_il
 *                        + (1/2) tr(I^{-1} D_k I^{-1} D_l),
 * (the derivatives of I are X' diag(W c x_k) X and X' diag(W (1 - 6pq)
 * x_k x_l) X). The step solves that matrix against U*, the exact gradient,
 * so it is an ascent direction whenever the matrix is positive definite,
 * and the caller halves it as it halves scoring steps. Returns 0 with the
 * step in `step`, U* in grad and U*' H^{-1} U* in *dec; 1 when the matrix
 * is not positive definite (away from the maximum), and the caller takes
 * a scoring step instead. Uses s->m as scratch. Cost O(n p^3). */
static int newton_step(logit_state *s, double *step, double *grad,
                       double *dec) {
  size_t n = s->n, pp = (size_t) s->p;
  int p = s->p;
  double *v = s->m, *hess = s->hess;
  for (size_t i = 0; i < n; i++) {
    double pq = s->mu[i] * (1 - s->mu[i]);
    v[i] = -0.5 * s->h[i] * (1 - 6 * pq);
  }
  pa_crossprod_w(s->x, n, p, v, hess, s->threads);
  for (size_t k = 0; k < pp * pp; k++) hess[k] += s->info[k];
  for (int k = 0; k < p; k++) {
    const double *xk = s->x + (size_t) k * n;
    double *ak = s->ak + (size_t) k * pp * pp;
    for (size_t i = 0; i < n; i++) v[i] = s->wt[i] * (1 - 2 * s->mu[i]) * xk[i];
    pa_crossprod_w(s->x, n, p, v, ak, s->threads);
    pa_chol_solve(s->chol, p, ak, p); /* I^{-1} D_k */
  }
  for (int k = 0; k < p; k++) {
    const double *ak = s->ak + (size_t) k * pp * pp;
    for (int l = k; l < p; l++) {
      const double *al = s->ak + (size_t) l * pp * pp;
      double tr = 0;
      for (size_t a = 0; a < pp; a++) {
        for (size_t b = 0; b < pp; b++) tr += ak[a + b * pp] * al[b + a * pp];
      }
      hess[(size_t) k + (size_t) l * pp] += 0.5 * tr;
      if (l != k) hess[(size_t) l + (size_t) k * pp] += 0.5 * tr;
    }
  }
  if (pa_chol(hess, p)) return 1;
  gradient(s, grad);
  memcpy(step, grad, pp * sizeof(double));
  pa_chol_solve(hess, p, step, 1);
  double d = 0;
  for (int j = 0; j < p; j++) d += grad[j] * step[j];
  if (!(d >= 0) || !isfinite(d)) return 1;
  *dec = d;
  return 0;
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

/* Whether every column leaves at least `threshold` of its weighted sum of
 * squares unexplained by the columns before it, by the factor of the
 * information. */
static int screen_passes(const logit_state *s, double threshold) {
  size_t pp = (size_t) s->p;
  for (int j = 0; j < s->p; j++) {
    double r = s->chol[(size_t) j * (pp + 1)], d = s->info[(size_t) j * (pp + 1)];
    if (!(d > 0) || !(r * r >= threshold * d)) return 0;
  }
  return 1;
}

/* Rank. The Cholesky factor of the information just formed (`bad` when
 * that failed) screens for it at no extra cost: R_jj^2 / I_jj is the
 * share of column j's weighted sum of squares that the columns before it
 * leave unexplained. Only when that share is small somewhere (or the
 * factorisation failed) is the rank settled by a pivoted factorisation of
 * X' diag(w) X, the prior weights alone, as the fit uses them. Returns 0
 * when the screen passes (the information may then have been formed again
 * in double); -1 when the pivoted check found full rank after
 * all, having overwritten the working weights and the factor (the caller
 * evaluates again); PA_LOGIT_COLLINEAR or PA_LOGIT_MEMORY with the message
 * set otherwise. */
static int rank_screen(logit_state *s, int bad, pa_logit_result *res) {
  int p = s->p;
  if (!bad && screen_passes(s, s->info_float ? RANK_SCREEN_FLOAT : RANK_SCREEN)) {
    return 0;
  }
  /* a single-precision information that fails is formed again in double
   * before the pivoted check is called for */
  if (s->info_float && !evaluate_info_prec(s, 1) &&
      screen_passes(s, RANK_SCREEN)) {
    return 0;
  }
  for (size_t i = 0; i < s->n; i++) s->wt[i] = prior_weight(s, i);
  pa_crossprod_w(s->x, s->n, p, s->wt, s->chol, s->threads);
  int rank = pa_rank(s->chol, p, RANK_TOL, res->columns);
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
  return -1;
}

/* The rank screen of a fit that started without forming the information,
 * on the first information formed (at beta, `bad` when its factorisation
 * failed). Returns 0 to go on, or the status to stop with. */
static int settle_rank(logit_state *s, const double *beta, int bad,
                       pa_logit_result *res) {
  int status = rank_screen(s, bad, res);
  if (status > 0) return status;
  if (status < 0 && evaluate(s, beta, 1)) {
    snprintf(res->msg, PA_LOGIT_MSG_SIZE,
             "the information matrix is not numerically positive definite");
    return PA_LOGIT_COLLINEAR;
  }
  return 0;
}

int pa_logit_float_copy(const double *x, size_t count, float *xf,
                        int threads) {
  int bad = 0;
  long len = (long) count;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static) \
    reduction(|| : bad) if (threads > 1 && count >= 65536 && !omp_in_parallel())
#endif
  for (long k = 0; k < len; k++) {
    bad = bad || !(fabs(x[k]) < 1e30);
    xf[k] = (float) x[k];
  }
  (void) threads;
  return bad;
}

int pa_logit_start_terms(const double *x, const double *y, const double *w,
                         const double *offset, size_t n, int p,
                         const double *beta, double *u, double *dev,
                         double *chol, double *scratch) {
  pa_x_beta(x, n, p, beta, offset, 0, n, scratch);
  for (size_t i = 0; i < n; i++) {
    double mu, pq;
    row_terms(scratch[i], y[i], 1.0, entropy_term(y[i]), &mu, &pq, u + i,
              dev + i);
    scratch[i] = (w ? w[i] : 1.0) * pq;
  }
  pa_crossprod_w(x, n, p, scratch, chol, 1);
  return pa_chol(chol, p) != 0;
}

size_t pa_logit_work_size(size_t n, int p, int firth) {
  size_t pp = (size_t) p;
  size_t block = n < HAT_BLOCK ? n : HAT_BLOCK;
  /* beta_old, step (three parts: main step, probe step, gradient),
   * beta_keep; two Cholesky factors; W, r and X times a step; one
   * deviance and p partial gradients per chunk of rows; for Firth the hat
   * values and one block of solved columns, and (p small enough) the
   * Newton matrix and p matrices p x p */
  size_t nchunk = (n + PA_CHUNK - 1) / PA_CHUNK;
  size_t newton = firth && p <= FIRTH_NEWTON_PMAX ? pp * pp * (1 + pp) : 0;
  return 5 * pp + 2 * pp * pp + 3 * n + nchunk * (1 + pp) +
         (firth ? n + pp * block : 0) + newton;
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
  int binary = 1;
  for (size_t i = 0; i < n; i++) {
    binary &= y[i] == 0 || y[i] == 1;
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
  s.binary = binary;
  s.xf = s.firth ? NULL : ctl->xf;
  s.info_float = 0;
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
  s.gparts = s.devs + (n + PA_CHUNK - 1) / PA_CHUNK;
  s.h = s.firth ? s.gparts + pp * ((n + PA_CHUNK - 1) / PA_CHUNK) : NULL;
  s.xt = s.firth ? s.h + n : NULL;
  s.hess = s.firth && p <= FIRTH_NEWTON_PMAX ? s.xt + pp * (n < HAT_BLOCK ? n : HAT_BLOCK) : NULL;
  s.ak = s.hess ? s.hess + pp * pp : NULL;

  /* Starting values: the caller's coefficients, or glm's binomial
   * starting fitted values, which keep every eta finite. */
  int warm = ctl->start != NULL;
  int bad_start;
  /* With the terms of the start supplied (a bootstrap replicate started
   * from the full sample's estimate), nothing need be evaluated there: r
   * and the deviance are the unit terms times the prior weights, and the
   * first step is taken with the full sample's information, which differs
   * from the replicate's by a relative O(n^-1/2), so the step lands about
   * as close to the replicate's estimate as a Newton step would. The rank
   * screen then waits for the first information formed. */
  int chord = warm && !s.firth && ctl->start_u && ctl->start_dev &&
              ctl->start_chol;
  int pending = 0;
  if (chord) {
    memcpy(beta, ctl->start, pp * sizeof(double));
    double dev = 0;
    for (size_t i = 0; i < n; i++) {
      double wi = w ? w[i] : 1.0;
      s.r[i] = wi * ctl->start_u[i];
      if (wi > 0) dev += wi * ctl->start_dev[i];
    }
    s.dev = s.obj = dev;
    memcpy(s.chol, ctl->start_chol, pp * pp * sizeof(double));
    s.info_fresh = 0;
    bad_start = !isfinite(dev);
    pending = 1;
  } else if (warm) {
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

  if (!pending) {
    int status = rank_screen(&s, bad_start, res);
    if (status > 0) return status;
    /* full rank after all: restore the state the screen overwrote */
    if (status < 0) bad_start = warm ? evaluate(&s, beta, 1) : evaluate(&s, NULL, 1);
  }
  if (bad_start) {
    snprintf(res->msg, PA_LOGIT_MSG_SIZE,
             "the information matrix at the starting values is not "
             "numerically positive definite");
    return PA_LOGIT_COLLINEAR;
  }

  double obj_old = s.obj, change = INFINITY, dec_prev = INFINITY;
  int iter = 0, stuck = 0, newton = 0;
  while (iter < ctl->maxit) {
    if (ctl->interrupt) ctl->interrupt();
    int first = iter == 0 && !warm;
    iter++;
    double dec;
    if (!newton || first || newton_step(&s, step, step + pp, &dec)) {
      dec = scoring_step(&s, first, step, step + pp);
    }
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
    /* scoring that crawls (separation) hands over to Newton for good */
    if (s.hess && !first && dec > FIRTH_SLOW * dec_prev) newton = 1;
    if (!first) dec_prev = dec;
    /* the next Newton step needs the information at this iterate (the
     * halving above only needed the deviance); after the last step it is
     * formed only if the caller wants it, below */
    if (!s.info_fresh) {
      int bad = evaluate_info(&s);
      if (pending) {
        pending = 0;
        int status = settle_rank(&s, beta, bad, res);
        if (status) return status;
      }
    }
  }
  res->iterations = iter;
  if (pending) {
    /* converged at the first step (the replicate is the sample itself, or
     * nearly): the rank is still to be confirmed at the estimate */
    int status = settle_rank(&s, beta, evaluate_info(&s), res);
    if (status) return status;
  }

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
    int no_factor = (!s.info_fresh || s.info_float) && evaluate_info_prec(&s, 1);
    memcpy(res->vcov, s.chol, pp * pp * sizeof(double));
    if (no_factor || pa_chol_inverse(res->vcov, p)) {
      for (size_t k = 0; k < pp * pp; k++) res->vcov[k] = NAN;
    }
  }
  return status;
}

void pa_logit_control_init(pa_logit_control *ctl, int maxit, double epsilon,
                           int firth) {
  ctl->maxit = maxit;
  ctl->epsilon = epsilon;
  ctl->firth = firth;
  ctl->interrupt = NULL;
  ctl->threads = 1;
  ctl->start = NULL;
  ctl->want_vcov = 1;
  ctl->x_checked = 0;
  ctl->colmax = NULL;
  ctl->start_u = NULL;
  ctl->start_dev = NULL;
  ctl->start_chol = NULL;
  ctl->xf = NULL;
}

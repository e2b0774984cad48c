/* Weighted GEE by Fisher scoring over clusters. See gee.h.
 *
 * For cluster i with rows j, let a_j = mu'(eta_j) / v(mu_j)^{1/2},
 * r_j = (y_j - mu_j) / v(mu_j)^{1/2} (Pearson residual), s_j = w_j^{1/2}
 * and D_i the rows a_j x_j'. The estimating equation is
 *
 *   sum_i D_i' S_i R_i^{-1} S_i r_i = 0,    S_i = diag(s_j),
 *
 * which is geepack's placement of the weights: geese.fit() scales both D
 * and the residuals by w^{1/2} before forming D' R^{-1} r. Under
 * independence it is the weighted GLM score sum_j w_j a_j r_j x_j. The
 * scoring step solves (sum_i D_i' S_i R_i^{-1} S_i D_i) delta = sum_i U_i;
 * the scale phi, common to both sides, is left out.
 *
 * The nuisance parameters are geepack's moment estimators:
 *   phi   = sum_j w_j r_j^2 / sum_j w_j,
 *   exchangeable: alpha = sum w_j w_k e_j e_k / sum w_j w_k over the pairs
 *     j < k of each cluster, e = r / phi^{1/2};
 *   AR(1): alpha solves sum w_j w_k E_jk (e_j e_k - alpha^{d_jk}) = 0 over
 *     all pairs, d_jk = |t_j - t_k| and E_jk = d alpha^{d_jk} / d alpha,
 *     by Gauss-Newton steps (geepack's step, taken to convergence). With
 *     every lag equal to 1 this is the exchangeable formula.
 *
 * The fit runs in two phases: first independence to convergence (the
 * weighted GLM, which is also geepack's starting point), then, for a
 * correlated working structure, the fixed point alpha = A(alpha), where
 * A solves for beta at alpha, then for phi and the new alpha, found by
 * the secant method. geepack alternates single updates of beta, phi and
 * alpha instead; the fixed point is the same, so the two agree up to
 * their convergence tolerances.
 *
 * Weight derivatives (alpha and phi held fixed): U_i depends on w_j
 * through s_j on both sides of R^{-1}, so with G = R^{-1} S D and
 * q = R^{-1} S r,
 *   d U_i / d w_j = (d_j s_j q_j + G_j' s_j r_j) / (2 w_j)
 * where d_j s_j is row j of S D and s_j r_j element j of S r. Under
 * independence this reduces to a_j r_j x_j: each row's contribution is
 * linear in its own weight.
 *
 * PA_GEE_FULL replaces the equation by Robins, Rotnitzky and Zhao's
 * (1995): every cluster holds a row for every wave, rows not observed
 * carry weight 0, and
 *
 *   U_i = D_i' R_i^{-1} W_i r_i,    W_i = diag(w_j),
 *
 * with D_i and R_i over all the waves. Given the full data, E[R_j w_j] = 1
 * for each wave, so E[U_i] is the full-data GEE's, zero when the mean
 * model is right, whatever R_i; geepack's placement puts w_j^{1/2} w_k^{1/2}
 * on the cross terms of observed pairs, whose expectation is not 1. The
 * scoring step solves (sum_i D_i' R_i^{-1} W_i D_i) delta = sum_i U_i, a
 * matrix that is not symmetric, by LU. The derivative with respect to w_j
 * is linear: d U_i / d w_j = G_j' r_j with G = R^{-1} D. The correlation
 * is estimated from the observed pairs only, each weighted by the rule
 * the caller gives (pair_rule), so that it is a consistent moment
 * estimator under MAR (or at least has a fixed limit, which is all beta
 * needs). */
#include "gee.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"

/* binomial link clamps, as R's C code for make.link("logit") */
#define LOGIT_THRESH 30.0
#define MAX_HALVING 30

typedef struct {
  const double *x, *y, *w, *time;
  const int *size;
  /* compressed model matrix: row i is row code[i] of x (nx rows); dense
   * when code is NULL (nx = n) */
  const int *code;
  size_t nx;
  size_t nclus, n;
  int p, family, corstr, maxsize, equations, pair_rule, symmetric;
  const double *base;
  int *piv;
  double alpha, scale;
  double *eta, *mu;
  /* scratch */
  double *bread, *chol, *grad, *step, *beta_old;
  double *dw, *g, *rw, *q, *rmat;
  double *wa2, *ra; /* n each: row weights of the independence fast path */
  /* compressed model matrix only: the linear predictor of each of its
   * rows (nx), a chunk of expanded rows (PA_CHUNK x p), one chunk's
   * cross-product (p x p) and the four-lane sums of X'v (4 p) */
  double *etau, *xbuf, *cpart, *lanes;
} gee_state;

/* Where row i of the model matrix is in x. */
static inline size_t xrow(const gee_state *s, size_t i) {
  return s->code ? (size_t) s->code[i] : i;
}

/* mean, d mean / d eta and variance at eta */
static void mean_fun(int family, double eta, double *mu, double *dmu,
                     double *v) {
  switch (family) {
  case PA_GEE_BINOMIAL: {
    if (eta < -LOGIT_THRESH || eta > LOGIT_THRESH) {
      double e = eta < 0 ? DBL_EPSILON : 1 / DBL_EPSILON;
      *mu = e / (1 + e);
      *dmu = DBL_EPSILON;
    } else {
      double e = exp(-fabs(eta));
      double big = 1 / (1 + e), small = e / (1 + e);
      *mu = eta >= 0 ? big : small;
      *dmu = big * small;
    }
    *v = *mu * (1 - *mu);
    break;
  }
  case PA_GEE_POISSON:
    *mu = exp(eta);
    if (*mu < DBL_EPSILON) *mu = DBL_EPSILON;
    *dmu = *mu;
    *v = *mu;
    break;
  default:
    *mu = eta;
    *dmu = 1;
    *v = 1;
  }
}

/* glm()'s starting means, on the link scale */
static double start_eta(int family, double y, double w) {
  switch (family) {
  case PA_GEE_BINOMIAL: {
    double m = (w * y + 0.5) / (w + 1);
    return log(m / (1 - m));
  }
  case PA_GEE_POISSON:
    return log(y + 0.1);
  default:
    return y;
  }
}

/* eta = X beta and the means; 1 if any is not finite */
static int fitted_values(gee_state *s, const double *beta) {
  size_t n = s->n;
  if (s->code) {
    /* each distinct row once, with the same operations in the same order
     * as for the expanded matrix, then copied to its answers */
    size_t nx = s->nx;
    for (size_t u = 0; u < nx; u++) s->etau[u] = 0;
    for (int j = 0; j < s->p; j++) {
      const double *xj = s->x + (size_t) j * nx;
      double b = beta[j];
      for (size_t u = 0; u < nx; u++) s->etau[u] += b * xj[u];
    }
    for (size_t i = 0; i < n; i++) s->eta[i] = s->etau[s->code[i]];
  } else {
    for (size_t i = 0; i < n; i++) s->eta[i] = 0;
    for (int j = 0; j < s->p; j++) {
      const double *xj = s->x + (size_t) j * n;
      double b = beta[j];
      for (size_t i = 0; i < n; i++) s->eta[i] += b * xj[i];
    }
  }
  for (size_t i = 0; i < n; i++) {
    double mu, dmu, v;
    mean_fun(s->family, s->eta[i], &mu, &dmu, &v);
    if (s->mu) s->mu[i] = mu;
    if (!isfinite(s->eta[i]) || !isfinite(mu) || !(v > 0)) return 1;
  }
  return 0;
}

static double pearson(const gee_state *s, size_t i) {
  double mu, dmu, v;
  mean_fun(s->family, s->eta[i], &mu, &dmu, &v);
  return (s->y[i] - mu) / sqrt(v);
}

static void update_scale(gee_state *s) {
  double num = 0, den = 0;
  for (size_t i = 0; i < s->n; i++) {
    double r = pearson(s, i);
    num += s->w[i] * r * r;
    den += s->w[i];
  }
  s->scale = den > 0 ? num / den : 1;
}

/* Count the pairs of rows within clusters, and those at lag 1. */
static void count_pairs(const gee_state *s, size_t *pairs, size_t *lag1) {
  size_t start = 0;
  *pairs = 0;
  *lag1 = 0;
  for (size_t k = 0; k < s->nclus; k++) {
    int m = s->size[k];
    for (int j = 0; j < m; j++) {
      if (!(s->w[start + j] > 0)) continue;
      for (int l = j + 1; l < m; l++) {
        if (!(s->w[start + l] > 0)) continue;
        (*pairs)++;
        if (fabs(s->time[start + l] - s->time[start + j]) == 1) (*lag1)++;
      }
    }
    start += (size_t) m;
  }
}

/* The weight of the pair of rows j < l (in time order) of cluster k;
 * 0 unless both were observed. */
static double pair_weight(const gee_state *s, size_t k, size_t rj,
                          size_t rl) {
  double wj = s->w[rj], wl = s->w[rl];
  if (!(wj > 0) || !(wl > 0)) return 0;
  switch (s->pair_rule) {
  case PA_GEE_PAIR_LATER:
    return s->time[rl] >= s->time[rj] ? wl : wj;
  case PA_GEE_PAIR_RATIO:
    return wj * wl / s->base[k];
  default:
    return wj * wl;
  }
}

/* The moment (exchangeable) or Gauss-Newton (AR(1)) update of alpha at
 * the current fitted values and scale. */
static void update_alpha(gee_state *s) {
  if (!(s->scale > 0) || !isfinite(s->scale)) {
    s->alpha = 0;
    return;
  }
  double num = 0, den = 0, a = s->alpha;
  size_t start = 0;
  for (size_t k = 0; k < s->nclus; k++) {
    int m = s->size[k];
    for (int j = 0; j < m; j++) {
      size_t rj = start + (size_t) j;
      double ej = pearson(s, rj) / sqrt(s->scale);
      for (int l = j + 1; l < m; l++) {
        size_t rl = start + (size_t) l;
        double ww = pair_weight(s, k, rj, rl);
        if (ww == 0) continue;
        double z = ej * pearson(s, rl) / sqrt(s->scale);
        if (s->corstr == PA_GEE_EXCHANGEABLE) {
          num += ww * z;
          den += ww;
        } else {
          double d = fabs(s->time[rl] - s->time[rj]);
          double rho = pow(a, d);
          double e = d == 1 ? 1 : d * pow(a, d - 1);
          num += ww * e * (z - rho);
          den += ww * e * e;
        }
      }
    }
    start += (size_t) m;
  }
  if (!(den > 0)) return;
  if (s->corstr == PA_GEE_EXCHANGEABLE) {
    s->alpha = num / den;
  } else {
    double next = a + num / den;
    /* stay inside (-1, 1), where the AR(1) matrix is positive definite;
     * a step that is not finite, or an alpha already at +-1, is left for
     * the caller to see */
    for (int h = 0; h < 64 && isfinite(next) && !(fabs(next) < 1); h++) {
      next = (next + a) / 2;
    }
    s->alpha = next;
  }
}

static void correlation(const gee_state *s, size_t start, int m,
                        double *rmat) {
  for (int j = 0; j < m; j++) {
    for (int l = 0; l < m; l++) {
      double v;
      if (j == l) {
        v = 1;
      } else if (s->corstr == PA_GEE_EXCHANGEABLE) {
        v = s->alpha;
      } else {
        v = pow(s->alpha, fabs(s->time[start + (size_t) l] -
                               s->time[start + (size_t) j]));
      }
      rmat[j + (size_t) l * (size_t) m] = v;
    }
  }
}

/* accumulate() for Robins, Rotnitzky and Zhao's equations with a
 * correlated working structure: per cluster, with D the rows a_j x_j',
 * G = R^{-1} D and q = R^{-1} W r, bread += G' W D, U = D' q and
 * d U / d w_j = G_j' r_j. Returns 1 when a working correlation is not
 * positive definite. */
static int accumulate_full(gee_state *s, double *scores, double *dscores) {
  int p = s->p;
  size_t n = s->n, pp = (size_t) p * (size_t) p;
  memset(s->bread, 0, pp * sizeof(double));
  memset(s->grad, 0, (size_t) p * sizeof(double));
  s->symmetric = 0;
  size_t start = 0;
  for (size_t k = 0; k < s->nclus; k++) {
    int m = s->size[k];
    size_t mm = (size_t) m;
    for (int j = 0; j < m; j++) {
      size_t row = start + (size_t) j;
      double mu, dmu, v;
      mean_fun(s->family, s->eta[row], &mu, &dmu, &v);
      double a = dmu / sqrt(v);
      size_t xr = xrow(s, row);
      for (int c = 0; c < p; c++) {
        s->dw[(size_t) j + (size_t) c * mm] = a * s->x[xr + (size_t) c * s->nx];
      }
      /* rw holds the Pearson residual, 0 where the row was not observed */
      s->rw[j] = s->w[row] > 0 ? (s->y[row] - mu) / sqrt(v) : 0;
      s->q[j] = s->w[row] * s->rw[j];
    }
    memcpy(s->g, s->dw, mm * (size_t) p * sizeof(double));
    if (m > 1) {
      correlation(s, start, m, s->rmat);
      if (pa_chol(s->rmat, m)) return 1;
      pa_chol_solve(s->rmat, m, s->g, p);
      pa_chol_solve(s->rmat, m, s->q, 1);
    }
    for (int c = 0; c < p; c++) {
      const double *gc = s->g + (size_t) c * mm;
      const double *dc = s->dw + (size_t) c * mm;
      for (int d = 0; d < p; d++) {
        const double *dd = s->dw + (size_t) d * mm;
        double acc = 0;
        for (int j = 0; j < m; j++) acc += gc[j] * s->w[start + (size_t) j] * dd[j];
        s->bread[c + (size_t) d * p] += acc;
      }
      double u = 0;
      for (int j = 0; j < m; j++) u += dc[j] * s->q[j];
      s->grad[c] += u;
      if (scores) scores[k + (size_t) c * s->nclus] = u;
    }
    if (dscores) {
      for (int j = 0; j < m; j++) {
        size_t row = start + (size_t) j;
        for (int c = 0; c < p; c++) {
          dscores[row + (size_t) c * n] =
              s->g[(size_t) j + (size_t) c * mm] * s->rw[j];
        }
      }
    }
    start += mm;
  }
  return 0;
}

/* The independence fast path's X' diag(wa2) X and X' ra for a compressed
 * model matrix: its rows expanded a chunk of PA_CHUNK at a time, each
 * chunk's cross-product added in chunk order and the four-lane sums of X'v
 * carried from chunk to chunk, which are the additions pa_crossprod_w()
 * and pa_crossprod_vec() make over the expanded matrix. (A chunk's
 * product arrives as 0 + its sum, which differs from the sum only for -0;
 * added to a running total that starts at +0, and so is never -0, it
 * gives the same bits.) */
static void coded_crossprods(gee_state *s) {
  int p = s->p;
  size_t n = s->n, nx = s->nx, pp = (size_t) p * (size_t) p;
  memset(s->bread, 0, pp * sizeof(double));
  memset(s->lanes, 0, 4 * (size_t) p * sizeof(double));
  for (size_t a = 0; a < n; a += PA_CHUNK) {
    size_t m = n - a < PA_CHUNK ? n - a : PA_CHUNK;
    const int *code = s->code + a;
    for (int j = 0; j < p; j++) {
      const double *xj = s->x + (size_t) j * nx;
      double *bj = s->xbuf + (size_t) j * m;
      for (size_t i = 0; i < m; i++) bj[i] = xj[code[i]];
    }
    pa_crossprod_w(s->xbuf, m, p, s->wa2 + a, s->cpart, 1);
    for (size_t e = 0; e < pp; e++) s->bread[e] += s->cpart[e];
    pa_crossprod_vec_lanes(s->xbuf, m, p, s->ra + a, s->lanes);
  }
  for (int j = 0; j < p; j++) {
    s->grad[j] = pa_lanes_total(s->lanes + 4 * (size_t) j);
  }
}

/* Sum the bread and the estimating function over clusters at the current
 * fitted values. `independent` forces R = I; `first` adds a_j^2 eta_j to
 * the residuals so that the step is glm's first least-squares fit (the
 * coefficients themselves). With scores/dscores non-NULL the per-cluster
 * estimating functions and per-row weight derivatives are stored; with
 * da/dr non-NULL (independence only) the two factors of each row's weight
 * derivative (see gee.h). Returns 0, or 1 when a working correlation is
 * not positive definite. */
static int accumulate(gee_state *s, int independent, int first,
                      double *scores, double *dscores, double *da,
                      double *dr) {
  int p = s->p;
  size_t n = s->n, pp = (size_t) p * (size_t) p;
  if (independent && !scores && !dscores && !da) {
    /* Under independence, with no per-cluster output wanted, the bread is
     * X' diag(w a^2) X and the gradient X' (w a r) (plus w a^2 eta on the
     * first pass): two cross-products over all rows at once. */
    for (size_t i = 0; i < n; i++) {
      double mu, dmu, v;
      mean_fun(s->family, s->eta[i], &mu, &dmu, &v);
      double sv = sqrt(v), a = dmu / sv;
      s->wa2[i] = s->w[i] * a * a;
      s->ra[i] = s->w[i] * a * (s->y[i] - mu) / sv;
      if (first) s->ra[i] += s->wa2[i] * s->eta[i];
    }
    if (s->code) {
      coded_crossprods(s);
    } else {
      pa_crossprod_w(s->x, n, p, s->wa2, s->bread, 1);
      pa_crossprod_vec(s->x, n, p, s->ra, s->grad);
    }
    s->symmetric = 1;
    return 0;
  }
  if (s->equations == PA_GEE_FULL && !independent) {
    return accumulate_full(s, scores, dscores);
  }
  memset(s->bread, 0, pp * sizeof(double));
  memset(s->grad, 0, (size_t) p * sizeof(double));
  s->symmetric = 1;
  size_t start = 0;
  for (size_t k = 0; k < s->nclus; k++) {
    int m = s->size[k];
    size_t mm = (size_t) m;
    for (int j = 0; j < m; j++) {
      size_t row = start + (size_t) j;
      double mu, dmu, v;
      mean_fun(s->family, s->eta[row], &mu, &dmu, &v);
      double sq = sqrt(s->w[row]), a = dmu / sqrt(v);
      size_t xr = xrow(s, row);
      for (int c = 0; c < p; c++) {
        s->dw[(size_t) j + (size_t) c * mm] =
            sq * a * s->x[xr + (size_t) c * s->nx];
      }
      s->rw[j] = sq * (s->y[row] - mu) / sqrt(v);
      if (first) s->rw[j] += sq * a * s->eta[row];
      if (da) {
        /* dw = (sq a) x and, under independence, q = rw and g = dw below */
        da[row] = sq * a;
        dr[row] = s->rw[j];
      }
    }
    memcpy(s->g, s->dw, mm * (size_t) p * sizeof(double));
    memcpy(s->q, s->rw, mm * sizeof(double));
    if (!independent && m > 1) {
      correlation(s, start, m, s->rmat);
      if (pa_chol(s->rmat, m)) return 1;
      pa_chol_solve(s->rmat, m, s->g, p);
      pa_chol_solve(s->rmat, m, s->q, 1);
    }
    for (int c = 0; c < p; c++) {
      const double *dc = s->dw + (size_t) c * mm;
      for (int d = c; d < p; d++) {
        const double *gd = s->g + (size_t) d * mm;
        double acc = 0;
        for (int j = 0; j < m; j++) acc += dc[j] * gd[j];
        s->bread[c + (size_t) d * p] += acc;
      }
      double u = 0;
      for (int j = 0; j < m; j++) u += dc[j] * s->q[j];
      s->grad[c] += u;
      if (scores) scores[k + (size_t) c * s->nclus] = u;
    }
    if (dscores) {
      for (int j = 0; j < m; j++) {
        size_t row = start + (size_t) j;
        double w2 = 2 * s->w[row];
        for (int c = 0; c < p; c++) {
          size_t jc = (size_t) j + (size_t) c * mm;
          dscores[row + (size_t) c * n] =
              (s->dw[jc] * s->q[j] + s->g[jc] * s->rw[j]) / w2;
        }
      }
    }
    start += mm;
  }
  for (int c = 0; c < p; c++) {
    for (int d = 0; d < c; d++) {
      s->bread[c + (size_t) d * p] = s->bread[d + (size_t) c * p];
    }
  }
  return 0;
}

/* Solve bread * step = grad; 1 if the bread is not positive definite
 * (or, when it is not symmetric, singular). */
static int scoring_step(gee_state *s) {
  size_t pp = (size_t) s->p * (size_t) s->p;
  memcpy(s->chol, s->bread, pp * sizeof(double));
  memcpy(s->step, s->grad, (size_t) s->p * sizeof(double));
  if (!s->symmetric) return pa_lu_solve(s->chol, s->p, s->step, 1, s->piv) != 0;
  if (pa_chol(s->chol, s->p)) return 1;
  pa_chol_solve(s->chol, s->p, s->step, 1);
  return 0;
}

/* beta <- beta + step, halving the step while the fitted values are not
 * finite. Returns the largest relative change, or -1 when no step works
 * (beta and the fitted values are then restored). */
static double take_step(gee_state *s, double *beta) {
  int p = s->p;
  memcpy(s->beta_old, beta, (size_t) p * sizeof(double));
  double t = 1;
  for (int half = 0; half <= MAX_HALVING; half++) {
    for (int j = 0; j < p; j++) beta[j] = s->beta_old[j] + t * s->step[j];
    if (!fitted_values(s, beta)) {
      double change = 0;
      for (int j = 0; j < p; j++) {
        double scale = fabs(beta[j]) > 1 ? fabs(beta[j]) : 1;
        double c = fabs(t * s->step[j]) / scale;
        if (c > change) change = c;
      }
      return change;
    }
    t *= 0.5;
  }
  memcpy(beta, s->beta_old, (size_t) p * sizeof(double));
  fitted_values(s, beta);
  return -1;
}

/* Fisher scoring for beta at the current alpha (R = I when independent)
 * until the largest relative change is below epsilon. `first` receives
 * the change of the first step, which tells the caller whether beta was
 * already the solution. */
static int solve_beta(gee_state *s, double *beta, int independent,
                      const pa_gee_control *ctl, int *iter, double *first) {
  for (int it = 0; it < ctl->maxit; it++) {
    if (ctl->interrupt) ctl->interrupt();
    (*iter)++;
    if (accumulate(s, independent, 0, NULL, NULL, NULL, NULL)) {
      return PA_GEE_CORRELATION;
    }
    if (scoring_step(s)) return PA_GEE_SINGULAR;
    double change = take_step(s, beta);
    if (change < 0) return PA_GEE_DIVERGED;
    if (it == 0) *first = change;
    if (change <= ctl->epsilon) return PA_GEE_OK;
  }
  return PA_GEE_NOT_CONVERGED;
}

/* The correlation estimate at the current fitted values and scale: the
 * exchangeable moment estimate, or Gauss-Newton steps from the current
 * alpha until the AR(1) equation holds. */
static void solve_alpha(gee_state *s, const pa_gee_control *ctl) {
  if (s->corstr == PA_GEE_EXCHANGEABLE) {
    update_alpha(s);
    return;
  }
  for (int it = 0; it < ctl->maxit; it++) {
    double before = s->alpha;
    update_alpha(s);
    if (fabs(s->alpha - before) <= ctl->epsilon) return;
  }
}

/* Where the independence fast path's two n-vectors of row weights live:
 * in the two factors of the weight derivatives (da, dr) when they are
 * wanted, else in the weight derivatives' array when it is the caller's
 * own (not x) and has room (p >= 2), else in the scores' array when it has
 * room; all are written only by the last accumulation, which does not use
 * the vectors. So the fit allocates (and touches) 2n doubles fewer.
 * Returns 3 for da and dr, 1 for dscores, 2 for scores, 0 for the work
 * array. */
static int scratch_home(size_t n, int p, size_t nclus, int dscores_own,
                        int factors) {
  if (factors) return 3;
  if (dscores_own && p >= 2) return 1;
  if (nclus * (size_t) p >= 2 * n) return 2;
  return 0;
}

size_t pa_gee_work_size(size_t n, int p, int max_size, size_t nclus,
                        int dscores_own, int factors, size_t nx_coded) {
  size_t pp = (size_t) p * (size_t) p, m = (size_t) (max_size > 1 ? max_size : 1);
  size_t rows = scratch_home(n, p, nclus, dscores_own, factors) ? 0 : 2 * n;
  size_t coded = nx_coded ? nx_coded + (size_t) PA_CHUNK * (size_t) p + pp +
                              4 * (size_t) p
                          : 0;
  return 2 * pp + 3 * (size_t) p + 2 * m * (size_t) p + 2 * m + m * m + rows +
         coded;
}

int pa_gee_fit(const double *x, size_t nx, const int *code, const double *y,
               const double *w, const double *time, const int *size,
               size_t nclus, size_t n, int p, const pa_gee_control *ctl,
               double *work, int *iwork, pa_gee_result *res) {
  res->msg[0] = '\0';
  res->iterations = 0;
  res->converged = 0;
  res->alpha = 0;
  res->scale = NAN;
  if (!x || !y || !w || (!time && ctl && ctl->corstr != PA_GEE_INDEPENDENCE) ||
      !size || !ctl || !work || !iwork || !res->coef ||
      !res->bread || !res->scores || !res->eta || p < 1 ||
      n < 1 || nclus < 1 || ctl->maxit < 1 || !(ctl->epsilon > 0) ||
      (ctl->pair_rule == PA_GEE_PAIR_RATIO && !ctl->base) ||
      (code ? nx < 1 : nx != n) || (!res->da != !res->dr) ||
      (res->da && ctl->corstr != PA_GEE_INDEPENDENCE) ||
      (code && res->dscores && res->dscores == x)) {
    snprintf(res->msg, PA_GEE_MSG_SIZE, "invalid dimensions or control");
    return PA_GEE_INVALID;
  }
  if (code) {
    for (size_t i = 0; i < n; i++) {
      if (code[i] < 0 || (size_t) code[i] >= nx) {
        snprintf(res->msg, PA_GEE_MSG_SIZE,
                 "row %zu has no row of the model matrix", i + 1);
        return PA_GEE_INVALID;
      }
    }
  }
  size_t total = 0;
  int maxsize = 0;
  for (size_t k = 0; k < nclus; k++) {
    if (size[k] < 1) {
      snprintf(res->msg, PA_GEE_MSG_SIZE, "cluster %zu has no rows", k + 1);
      return PA_GEE_INVALID;
    }
    total += (size_t) size[k];
    if (size[k] > maxsize) maxsize = size[k];
  }
  if (total != n) {
    snprintf(res->msg, PA_GEE_MSG_SIZE,
             "cluster sizes add up to %zu, not to the %zu rows", total, n);
    return PA_GEE_INVALID;
  }
  /* complete clusters hold rows of weight 0 for the waves not observed */
  int full = ctl->equations == PA_GEE_FULL;
  for (size_t i = 0; i < n; i++) {
    if (!(full ? w[i] >= 0 : w[i] > 0) || !isfinite(w[i]) ||
        !isfinite(y[i]) || (time && !isfinite(time[i]))) {
      snprintf(res->msg, PA_GEE_MSG_SIZE,
               "row %zu has a non-positive weight or a non-finite value",
               i + 1);
      return PA_GEE_INVALID;
    }
  }
  if (ctl->pair_rule == PA_GEE_PAIR_RATIO) {
    for (size_t k = 0; k < nclus; k++) {
      if (!(ctl->base[k] > 0) || !isfinite(ctl->base[k])) {
        snprintf(res->msg, PA_GEE_MSG_SIZE,
                 "cluster %zu has a non-positive base weight", k + 1);
        return PA_GEE_INVALID;
      }
    }
  }

  gee_state s;
  s.x = x;
  s.code = code;
  s.nx = nx;
  s.y = y;
  s.w = w;
  s.time = time;
  s.size = size;
  s.nclus = nclus;
  s.n = n;
  s.p = p;
  s.family = ctl->family;
  s.corstr = ctl->corstr;
  s.maxsize = maxsize;
  s.equations = full ? PA_GEE_FULL : PA_GEE_OBSERVED;
  s.pair_rule = ctl->pair_rule;
  s.base = ctl->base;
  s.piv = iwork;
  s.symmetric = 1;
  s.alpha = 0;
  s.scale = 1;
  s.eta = res->eta;
  s.mu = res->fitted;
  size_t pp = (size_t) p * (size_t) p, m = (size_t) maxsize;
  s.bread = work;
  s.chol = s.bread + pp;
  s.grad = s.chol + pp;
  s.step = s.grad + p;
  s.beta_old = s.step + p;
  s.dw = s.beta_old + p;
  s.g = s.dw + m * (size_t) p;
  s.rw = s.g + m * (size_t) p;
  s.q = s.rw + m;
  s.rmat = s.q + m;
  double *after = s.rmat + m * m;
  switch (scratch_home(n, p, nclus, res->dscores && res->dscores != x,
                       res->da != NULL)) {
  case 3:
    s.wa2 = res->da;
    s.ra = res->dr;
    break;
  case 1:
    s.wa2 = res->dscores;
    s.ra = s.wa2 + n;
    break;
  case 2:
    s.wa2 = res->scores;
    s.ra = s.wa2 + n;
    break;
  default:
    s.wa2 = after;
    s.ra = s.wa2 + n;
    after += 2 * n;
  }
  if (code) {
    s.etau = after;
    s.xbuf = s.etau + nx;
    s.cpart = s.xbuf + (size_t) PA_CHUNK * (size_t) p;
    s.lanes = s.cpart + pp;
  } else {
    s.etau = s.xbuf = s.cpart = s.lanes = NULL;
  }

  double *beta = res->coef;
  int status = PA_GEE_OK;

  /* starting values: glm's first weighted least-squares fit */
  for (size_t i = 0; i < n; i++) {
    double mu, dmu, v;
    s.eta[i] = start_eta(s.family, y[i], w[i]);
    mean_fun(s.family, s.eta[i], &mu, &dmu, &v);
    if (s.mu) s.mu[i] = mu;
  }
  accumulate(&s, 1, 1, NULL, NULL, NULL, NULL);
  if (scoring_step(&s)) {
    snprintf(res->msg, PA_GEE_MSG_SIZE,
             "the weighted cross-product of the model matrix is singular");
    return PA_GEE_SINGULAR;
  }
  memcpy(beta, s.step, (size_t) p * sizeof(double));
  if (fitted_values(&s, beta)) {
    snprintf(res->msg, PA_GEE_MSG_SIZE,
             "the starting values give non-finite fitted values");
    return PA_GEE_DIVERGED;
  }

  int correlated = s.corstr != PA_GEE_INDEPENDENCE;
  if (correlated) {
    size_t pairs, lag1;
    count_pairs(&s, &pairs, &lag1);
    if (pairs == 0) {
      snprintf(res->msg, PA_GEE_MSG_SIZE,
               "nobody has more than one row, so the working correlation "
               "cannot be estimated");
      return PA_GEE_NO_PAIRS;
    }
    /* with no lag-1 pair the AR(1) update has no slope at alpha = 0 */
    if (s.corstr == PA_GEE_AR1 && lag1 == 0) s.alpha = 0.5;
  }

  /* phase 1: independence (the weighted GLM) */
  int iter = 0;
  double moved = 0;
  status = solve_beta(&s, beta, 1, ctl, &iter, &moved);

  /* phase 2: the fixed point alpha = A(alpha) of the correlation update
   * after solving for beta and the scale at alpha, found by the secant
   * method on A(alpha) - alpha (alternating single updates, as geepack
   * does, converges only linearly, slowly when alpha is near 1) */
  int correlated_done = !correlated;
  if (correlated && (status == PA_GEE_OK || status == PA_GEE_NOT_CONVERGED)) {
    double lo = s.corstr == PA_GEE_AR1 ? -1 : -1.0 / (maxsize - 1), hi = 1;
    update_scale(&s);
    solve_alpha(&s, ctl);
    double x = s.alpha, xp = 0, gp = 0;
    if (!(x > lo && x < hi)) status = PA_GEE_CORRELATION;
    for (int k = 0; k < ctl->maxit && status != PA_GEE_CORRELATION; k++) {
      s.alpha = x;
      int st = solve_beta(&s, beta, 0, ctl, &iter, &moved);
      if (st != PA_GEE_OK && st != PA_GEE_NOT_CONVERGED) {
        status = st;
        break;
      }
      update_scale(&s);
      solve_alpha(&s, ctl);
      double a = s.alpha, g = a - x;
      if (fabs(g) <= ctl->epsilon && moved <= ctl->epsilon &&
          st == PA_GEE_OK) {
        correlated_done = 1;
        break;
      }
      double next = a;
      if (k > 0 && g != gp) {
        double secant = x - g * (x - xp) / (g - gp);
        if (secant > lo && secant < hi) next = secant;
      }
      if (!(next > lo && next < hi)) {
        s.alpha = next;
        status = PA_GEE_CORRELATION;
        break;
      }
      xp = x;
      gp = g;
      x = next;
    }
  }
  if (status == PA_GEE_OK && !correlated_done) status = PA_GEE_NOT_CONVERGED;
  res->iterations = iter;

  if (status == PA_GEE_OK || status == PA_GEE_NOT_CONVERGED) {
    /* everything at the final coefficients; alpha is A(alpha) there */
    update_scale(&s);
    if (accumulate(&s, !correlated, 0, res->scores, res->dscores, res->da,
                   res->dr)) {
      status = PA_GEE_CORRELATION;
    } else {
      memcpy(res->bread, s.bread, pp * sizeof(double));
      if (scoring_step(&s)) status = PA_GEE_SINGULAR;
    }
  }
  res->alpha = s.alpha;
  res->scale = s.scale;
  res->converged = status == PA_GEE_OK;

  switch (status) {
  case PA_GEE_NOT_CONVERGED:
    snprintf(res->msg, PA_GEE_MSG_SIZE,
             "no convergence after %d iterations", iter);
    break;
  case PA_GEE_CORRELATION:
    snprintf(res->msg, PA_GEE_MSG_SIZE,
             "the working correlation matrix is not positive definite "
             "(alpha = %g)", s.alpha);
    break;
  case PA_GEE_SINGULAR:
    snprintf(res->msg, PA_GEE_MSG_SIZE,
             "sum D'V^{-1}WD is singular at iteration %d", iter);
    break;
  case PA_GEE_DIVERGED:
    snprintf(res->msg, PA_GEE_MSG_SIZE,
             "no step gave finite fitted values at iteration %d", iter);
    break;
  default:
    break;
  }
  return status;
}

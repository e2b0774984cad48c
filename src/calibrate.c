/* Calibration of weights by Newton's method on the calibration equations.
 * See calibrate.h for the problem and the calibration functions.
 *
 * Before iterating, the margins are screened for the failures that can be
 * named exactly: an all-zero column with a nonzero total, linear
 * dependence among the margins (through X'DX), and a total outside the
 * range that weights with g in the bounds can give its margin on its own.
 * What remains is found by the iteration: when no step along the Newton
 * direction brings the weighted totals closer to the targets, or the
 * iterations run out with the system degenerate (the weights piled onto
 * the bounds or onto a few units), the totals are out of reach.
 *
 * Newton starts at lambda = 0 (g = 1), except for F(u) = 1 + exp(u),
 * whose g is never 1: it starts from the constant g that matches the
 * totals' overall size (kott_start), which also exposes totals no g > 1
 * can reach, such as a stage where everyone at risk answered. */
#include "calibrate.h"
#include "linalg.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Halvings of a Newton step before its direction is given up: 2^-60 of a
 * step no longer moves lambda. */
#define MAX_HALVINGS 60
/* Pivot of the standardised X'DX (1 - R^2 of a margin on the ones before
 * it) below which a margin counts as a linear combination of the others.
 * Calibrating on margins this close to dependence gives absurd weights. */
#define RANK_TOL 1e-10
/* Standardised coefficient from which a margin counts as taking part in a
 * linear dependence. */
#define INVOLVED_TOL 1e-6
/* A stalled iteration this close to the totals has run into rounding, not
 * into the bounds. */
#define PRECISION_FLOOR 1e-6
/* When the totals are out of reach, lambda runs off along a direction in
 * which the distance to the totals levels off at a positive value, while
 * a reachable solution draws Newton's method in ever faster. The
 * iterations ending with the distance down by less than STAGNATION (as a
 * fraction) over the last STAGNATION_SPAN of them are taken as the
 * former. */
#define STAGNATION 0.01
#define STAGNATION_SPAN 10

typedef struct {
  const double *x, *d, *t;
  size_t n;
  int p, q;          /* margins, and the active ones (not all zero) */
  int calfun;
  double lower, upper;
  int *active;       /* q: indices of the active margins */
  double *u;         /* n: x_i'lambda */
  double *dfp;       /* n: d_i F'(u_i) */
  double *g, *w;     /* n: the caller's output arrays, used as state */
  double *r;         /* p: T - X'w */
  double *scale;     /* p: 1 / sqrt((X'DX)_jj) */
  double *step;      /* p: Newton direction */
  double *trial;     /* p: lambda + t * step */
  double *full;      /* p x p */
  double *sys;       /* q x q */
  double *rhs;       /* q */
} cal_state;

size_t pa_calibrate_work_size(size_t n, int p) {
  size_t pp = (size_t) p;
  return 2 * n + 5 * pp + 2 * pp * pp;
}

size_t pa_calibrate_iwork_size(int p) { return 3 * (size_t) p; }

/* ---- messages ---------------------------------------------------------- */

static void msg_append(char *buf, const char *fmt, ...) {
  size_t used = strlen(buf);
  if (used + 1 >= PA_CAL_MSG_SIZE) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + used, PA_CAL_MSG_SIZE - used, fmt, ap);
  va_end(ap);
}

typedef struct {
  char s[32];
} numtext;

/* Numbers as R would print them, so "Inf" rather than "inf". */
static numtext num(double v) {
  numtext out;
  if (isinf(v)) {
    snprintf(out.s, sizeof out.s, "%sInf", v < 0 ? "-" : "");
  } else {
    snprintf(out.s, sizeof out.s, "%.7g", v);
  }
  return out;
}

static int fail(pa_cal_result *res, int status) {
  res->status = status;
  res->converged = 0;
  return status;
}

static void add_column(pa_cal_result *res, int j) {
  for (int k = 0; k < res->ncolumns; k++) {
    if (res->columns[k] == j) return;
  }
  res->columns[res->ncolumns++] = j;
}

/* "column 1, column 3 and column 4" */
static void append_column_list(char *buf, const int *cols, int m) {
  for (int k = 0; k < m; k++) {
    const char *sep = k == 0 ? "" : (k == m - 1 ? " and " : ", ");
    msg_append(buf, "%scolumn %d", sep, cols[k] + 1);
  }
}

/* ---- the calibration functions ----------------------------------------- */

/* The range of g: [lo, hi], each end open or closed. */
static void g_range(int calfun, double lower, double upper, double *lo,
                    double *hi, int *lo_open, int *hi_open) {
  *lo = lower;
  *hi = upper;
  *lo_open = !isfinite(lower);
  *hi_open = !isfinite(upper);
  if (calfun == PA_CAL_RAKING && !(lower > 0)) {
    *lo = 0;
    *lo_open = 1;
  }
  if (calfun == PA_CAL_LOGIT) {
    *lo_open = 1;
    *hi_open = 1;
  }
  if (calfun == PA_CAL_KOTT) {
    *lo = 1;
    *hi = INFINITY;
    *lo_open = 1;
    *hi_open = 1;
  }
}

static void cal_eval(int calfun, double lower, double upper, double u,
                     double *g, double *dg) {
  switch (calfun) {
  case PA_CAL_LINEAR: {
    double v = 1 + u;
    if (v <= lower) {
      *g = lower;
      *dg = 0;
    } else if (v >= upper) {
      *g = upper;
      *dg = 0;
    } else {
      *g = v;
      *dg = 1;
    }
    break;
  }
  case PA_CAL_RAKING: {
    double v = exp(u);
    if (v <= lower) {
      *g = lower;
      *dg = 0;
    } else if (v >= upper) {
      *g = upper;
      *dg = 0;
    } else {
      *g = v;
      *dg = v;
    }
    break;
  }
  case PA_CAL_KOTT: {
    double e = exp(u);
    *g = 1 + e;
    *dg = e;
    break;
  }
  default: {
    /* g = L + (U - L) s with s the logistic function of
     * z = A u + log((1 - L) / (U - 1)); evaluated from the side where
     * exp() cannot overflow, and measured from the nearer bound so that
     * weights close to a bound keep their precision. */
    double a = upper - 1, b = 1 - lower, span = upper - lower;
    double A = span / (a * b);
    double z = A * u + log(b / a);
    double e = exp(-fabs(z));
    double frac = e / (1 + e); /* the smaller of s and 1 - s */
    *g = z >= 0 ? upper - span * frac : lower + span * frac;
    *dg = span * A * e / ((1 + e) * (1 + e));
    break;
  }
  }
}

/* ---- the iteration ------------------------------------------------------ */

/* Weights at lambda; the residuals T - X'w; the distance to the totals. */
static double evaluate(cal_state *s, const double *lambda) {
  size_t n = s->n;
  memset(s->u, 0, n * sizeof(double));
  for (int k = 0; k < s->q; k++) {
    int j = s->active[k];
    double l = lambda[j];
    if (l == 0) continue;
    const double *xj = s->x + (size_t) j * n;
    for (size_t i = 0; i < n; i++) s->u[i] += xj[i] * l;
  }
  int finite = 1;
  for (size_t i = 0; i < n; i++) {
    double gi, dgi;
    cal_eval(s->calfun, s->lower, s->upper, s->u[i], &gi, &dgi);
    s->g[i] = gi;
    s->w[i] = s->d[i] * gi;
    s->dfp[i] = s->d[i] * dgi;
    if (!isfinite(s->w[i]) || !isfinite(s->dfp[i])) finite = 0;
  }
  if (!finite) return INFINITY;
  double dist = 0;
  for (int k = 0; k < s->q; k++) {
    int j = s->active[k];
    const double *xj = s->x + (size_t) j * n;
    /* the totals are what convergence is judged on: keep the sums exact */
    long double acc = 0;
    for (size_t i = 0; i < n; i++) acc += (long double) s->w[i] * xj[i];
    s->r[j] = (double) ((long double) s->t[j] - acc);
    double e = fabs(s->r[j]) / fmax(1, fabs(s->t[j]));
    if (!(e <= dist)) dist = e; /* NaN propagates */
  }
  return dist;
}

/* Newton direction at the current state: solve J step = r on the active
 * margins, J = sum_i d_i F'(u_i) x_i x_i', standardised by the diagonal of
 * X'DX. When J is singular (units held at a bound), a small ridge keeps a
 * direction that still reduces the misfit. Returns 0, or 1 without one. */
static int newton_direction(cal_state *s) {
  int p = s->p, q = s->q;
  pa_crossprod_w(s->x, s->n, p, s->dfp, s->full, 1);
  double top = 0;
  for (int a = 0; a < q; a++) {
    int j = s->active[a];
    double v = s->full[j + (size_t) j * p] * s->scale[j] * s->scale[j];
    if (v > top) top = v;
  }
  if (!(top > 0) || !isfinite(top)) return 1;
  for (int attempt = 0; attempt <= 6; attempt++) {
    double ridge = attempt == 0 ? 0 : top * pow(10, -14 + 2 * attempt);
    for (int b = 0; b < q; b++) {
      int jb = s->active[b];
      for (int a = 0; a < q; a++) {
        int ja = s->active[a];
        s->sys[a + (size_t) b * q] =
            s->full[ja + (size_t) jb * p] * s->scale[ja] * s->scale[jb];
      }
      s->sys[b + (size_t) b * q] += ridge;
      s->rhs[b] = s->r[jb] * s->scale[jb];
    }
    if (pa_chol(s->sys, q) != 0) continue;
    if (pa_chol_solve(s->sys, q, s->rhs, 1) != 0) continue;
    int ok = 1;
    for (int a = 0; a < q; a++) ok = ok && isfinite(s->rhs[a]);
    if (!ok) continue;
    memset(s->step, 0, (size_t) p * sizeof(double));
    for (int a = 0; a < q; a++) {
      int j = s->active[a];
      s->step[j] = s->rhs[a] * s->scale[j];
    }
    return 0;
  }
  return 1;
}

/* ---- linear dependence ------------------------------------------------- */

/* Margins are taken in column order, and each is kept when its residual
 * variance after regression on the margins kept before it, 1 - R^2 on the
 * standardised matrix, exceeds RANK_TOL. So the margin named as dependent
 * is the later one, as lm() names aliased coefficients, and its
 * coefficients on the earlier margins come out of the same solve.
 *
 * `m` is q x q with unit (or zero) diagonal; `set` lists the k margins
 * regressed on; `fac` (k x k) and `coef` (k) are scratch. Returns the
 * residual variance of margin a, NaN if the kept margins cannot be
 * factored. */
static double residual_variance(const double *m, int q, const int *set,
                                int k, int a, double *fac, double *coef) {
  double r = m[a + (size_t) a * q];
  if (k == 0) return r;
  for (int c = 0; c < k; c++) {
    for (int b = 0; b < k; b++) {
      fac[b + (size_t) c * k] = m[set[b] + (size_t) set[c] * q];
    }
    coef[c] = m[set[c] + (size_t) a * q];
  }
  if (pa_chol(fac, k) != 0 || pa_chol_solve(fac, k, coef, 1) != 0) return NAN;
  for (int b = 0; b < k; b++) r -= m[set[b] + (size_t) a * q] * coef[b];
  return r;
}

/* Standardise the active block of the p x p matrix `full` into `sys`.
 * A margin with a zero diagonal stays zero. */
static void standardise(cal_state *s, const double *full) {
  int p = s->p, q = s->q;
  for (int a = 0; a < q; a++) {
    int j = s->active[a];
    double v = full[j + (size_t) j * p];
    s->rhs[a] = v > 0 ? 1 / sqrt(v) : 0;
  }
  for (int b = 0; b < q; b++) {
    int jb = s->active[b];
    for (int a = 0; a < q; a++) {
      int ja = s->active[a];
      s->sys[a + (size_t) b * q] =
          full[ja + (size_t) jb * p] * s->rhs[a] * s->rhs[b];
    }
  }
}

/* Flags (q ints) the dependent margins of the standardised matrix in
 * `sys`; `set` (q ints) ends up holding the kept ones. Scratch: full and
 * rhs. Returns the number of dependent margins. */
static int dependent_margins(cal_state *s, int *flags, int *set) {
  int q = s->q, k = 0, ndep = 0;
  for (int a = 0; a < q; a++) {
    double r = residual_variance(s->sys, q, set, k, a, s->full, s->rhs);
    if (r > RANK_TOL) {
      flags[a] = 0;
      set[k++] = a;
    } else {
      flags[a] = 1;
      ndep++;
    }
  }
  return ndep;
}

/* Whether J at the current point has lost rank on the active margins:
 * the weights that could still move have piled onto too few units. */
static int degenerate(cal_state *s, int *flags, int *set) {
  pa_crossprod_w(s->x, s->n, s->p, s->dfp, s->full, 1);
  standardise(s, s->full);
  return dependent_margins(s, flags, set) > 0;
}

/* ---- screening ---------------------------------------------------------- */

static int check_arguments(const double *x, size_t n, int p, const double *d,
                           const double *t, const pa_cal_control *ctl,
                           pa_cal_result *res) {
  const char *why = NULL;
  if (n < 1 || p < 1) {
    why = "there must be at least one unit and one margin";
  } else if (ctl->calfun < PA_CAL_LINEAR || ctl->calfun > PA_CAL_KOTT) {
    why = "unknown calibration function";
  } else if (ctl->calfun == PA_CAL_KOTT &&
             (isfinite(ctl->lower) || isfinite(ctl->upper))) {
    why = "calibration with F(u) = 1 + exp(u) takes no bounds";
  } else if (!(ctl->lower < 1 && ctl->upper > 1)) {
    why = "the bounds on w/d must satisfy lower < 1 < upper";
  } else if (ctl->calfun == PA_CAL_LOGIT &&
             !(isfinite(ctl->lower) && isfinite(ctl->upper))) {
    why = "logit calibration needs finite bounds";
  } else if (ctl->maxit < 0 || !(ctl->epsilon > 0)) {
    why = "maxit must be nonnegative and epsilon positive";
  }
  for (size_t i = 0; !why && i < n; i++) {
    if (!(d[i] > 0) || !isfinite(d[i])) {
      why = "design weights must be positive and finite";
    }
  }
  for (size_t i = 0; !why && i < n * (size_t) p; i++) {
    if (!isfinite(x[i])) why = "the matrix of margins must be finite";
  }
  for (int j = 0; !why && j < p; j++) {
    if (!isfinite(t[j])) why = "the totals must be finite";
  }
  if (!why) return 0;
  snprintf(res->msg, PA_CAL_MSG_SIZE, "invalid arguments: %s", why);
  return fail(res, PA_CAL_INVALID);
}

/* Margins whose column is zero for every unit: their total must be zero
 * too, and then they are left out (lambda_j = 0), as survey does. */
static int screen_empty(cal_state *s, pa_cal_result *res) {
  s->q = 0;
  for (int j = 0; j < s->p; j++) {
    const double *xj = s->x + (size_t) j * s->n;
    int any = 0;
    for (size_t i = 0; i < s->n && !any; i++) any = xj[i] != 0;
    if (any) {
      s->active[s->q++] = j;
    } else if (s->t[j] != 0) {
      add_column(res, j);
    }
  }
  if (res->ncolumns == 0) return 0;
  int j = res->columns[0];
  snprintf(res->msg, PA_CAL_MSG_SIZE,
           "column %d is zero for every unit but its total is %s, so no "
           "weights can reach it (an empty category)",
           j + 1, num(s->t[j]).s);
  if (res->ncolumns > 1) {
    msg_append(res->msg, "; so are ");
    append_column_list(res->msg, res->columns + 1, res->ncolumns - 1);
  }
  return fail(res, PA_CAL_EMPTY);
}

/* Linear dependence among the active margins, from X'DX. Each dependent
 * margin is named with the earlier margins it is a combination of.
 * `flags` and `set` hold p ints each. */
static int screen_collinear(cal_state *s, int *flags, int *set,
                            pa_cal_result *res) {
  int p = s->p, q = s->q;
  pa_crossprod_w(s->x, s->n, p, s->d, s->full, 1);
  for (int a = 0; a < q; a++) {
    int j = s->active[a];
    s->scale[j] = 1 / sqrt(s->full[j + (size_t) j * p]);
  }
  standardise(s, s->full);
  int ndep = dependent_margins(s, flags, set);
  if (ndep == 0) return 0;

  int first = 1;
  for (int a = 0; a < q; a++) {
    if (!flags[a]) continue;
    int jk = s->active[a];
    int start = res->ncolumns;
    add_column(res, jk);
    /* the margins kept before this one, and its coefficients on them */
    int k = 0;
    for (int b = 0; b < a; b++) {
      if (!flags[b]) set[k++] = b;
    }
    double r = residual_variance(s->sys, q, set, k, a, s->full, s->rhs);
    if (!isnan(r)) {
      for (int b = 0; b < k; b++) {
        if (fabs(s->rhs[b]) > INVOLVED_TOL) add_column(res, s->active[set[b]]);
      }
    }
    if (first) {
      first = 0;
      int nrel = res->ncolumns - start - 1;
      snprintf(res->msg, PA_CAL_MSG_SIZE,
               "the margins are collinear: column %d is ", jk + 1);
      if (nrel > 0) {
        msg_append(res->msg, "a linear combination of ");
        append_column_list(res->msg, res->columns + start + 1, nrel);
      } else {
        msg_append(res->msg, "a linear combination of the others");
      }
    }
  }
  if (ndep > 1) {
    msg_append(res->msg, " (and %d more margin%s depend%s on the others)",
               ndep - 1, ndep > 2 ? "s" : "", ndep > 2 ? "" : "s");
  }
  return fail(res, PA_CAL_COLLINEAR);
}

static void describe_range(char *buf, double lo, double hi, int lo_open,
                           int hi_open) {
  msg_append(buf, "%s%s, %s%s", lo_open ? "(" : "[", num(lo).s, num(hi).s,
             hi_open ? ")" : "]");
}

/* A margin taken on its own: with every g_i anywhere in its range, its
 * weighted total can only fall between the sums that put each unit at the
 * end of the range that lowers (raises) the total. */
static int screen_reachable(cal_state *s, pa_cal_result *res) {
  double glo, ghi;
  int lo_open, hi_open;
  g_range(s->calfun, s->lower, s->upper, &glo, &ghi, &lo_open, &hi_open);
  for (int k = 0; k < s->q; k++) {
    int j = s->active[k];
    const double *xj = s->x + (size_t) j * s->n;
    long double lo = 0, hi = 0;
    int lo_inf = 0, hi_inf = 0, lo_ends_open = 0, hi_ends_open = 0;
    for (size_t i = 0; i < s->n; i++) {
      double v = s->d[i] * xj[i];
      if (v > 0) {
        if (isinf(glo)) lo_inf = 1; else lo += (long double) v * glo;
        if (isinf(ghi)) hi_inf = 1; else hi += (long double) v * ghi;
        lo_ends_open |= lo_open;
        hi_ends_open |= hi_open;
      } else if (v < 0) {
        if (isinf(ghi)) lo_inf = 1; else lo += (long double) v * ghi;
        if (isinf(glo)) hi_inf = 1; else hi += (long double) v * glo;
        lo_ends_open |= hi_open;
        hi_ends_open |= lo_open;
      }
    }
    double tl = lo_inf ? -INFINITY : (double) lo;
    double th = hi_inf ? INFINITY : (double) hi;
    double t = s->t[j];
    int below = lo_ends_open ? !(t > tl) : !(t >= tl);
    int above = hi_ends_open ? !(t < th) : !(t <= th);
    if (below || above) {
      add_column(res, j);
      snprintf(res->msg, PA_CAL_MSG_SIZE,
               "column %d has total %s, but weights with w/d in ", j + 1,
               num(t).s);
      describe_range(res->msg, glo, ghi, lo_open, hi_open);
      msg_append(res->msg, " can only give it a total in ");
      describe_range(res->msg, tl, th, lo_ends_open || lo_inf,
                     hi_ends_open || hi_inf);
      return fail(res, PA_CAL_INFEASIBLE);
    }
  }
  return 0;
}

/* The margin furthest from its total, relative to the total's size. */
static int worst_margin(const cal_state *s) {
  if (s->q == 0) return 0;
  int worst = s->active[0];
  double big = -1;
  for (int k = 0; k < s->q; k++) {
    int j = s->active[k];
    double e = fabs(s->r[j]) / fmax(1, fabs(s->t[j]));
    if (e > big || isnan(e)) {
      big = e;
      worst = j;
      if (isnan(e)) break;
    }
  }
  return worst;
}

/* ---- starting value for F(u) = 1 + exp(u) ------------------------------ */

/* lambda = 0 puts every g at 2, which is far from the solution when the
 * response rate is high (g near 1) or low. When the margins span a
 * constant, x_i'c = 1 for all i, the totals fix the weights' overall sum
 * c'T, and the constant g = c'T / sum_i d_i that gives it is reached by
 * lambda = log(g - 1) c: the response rate as an intercept-only start.
 * The same sum shows at once when no g > 1 can reach the totals. Returns
 * nonzero (res filled) when infeasible; otherwise lambda is set, to 0 when
 * no constant is spanned. Scratch: full, sys, rhs, u. */
static int kott_start(cal_state *s, double *lambda, pa_cal_result *res) {
  int p = s->p, q = s->q;
  size_t n = s->n;
  if (q == 0) return 0;
  /* X'DX and X'D1 on the active margins, scaled by the diagonal of X'DX
   * (s->scale, from screen_collinear) for a well-conditioned solve */
  pa_crossprod_w(s->x, n, p, s->d, s->full, 1);
  long double sum_d = 0;
  for (size_t i = 0; i < n; i++) sum_d += s->d[i];
  for (int b = 0; b < q; b++) {
    int jb = s->active[b];
    const double *xj = s->x + (size_t) jb * n;
    long double acc = 0;
    for (size_t i = 0; i < n; i++) acc += (long double) s->d[i] * xj[i];
    s->rhs[b] = (double) acc * s->scale[jb];
    for (int a = 0; a < q; a++) {
      int ja = s->active[a];
      s->sys[a + (size_t) b * q] =
          s->full[ja + (size_t) jb * p] * s->scale[ja] * s->scale[jb];
    }
  }
  if (pa_chol(s->sys, q) != 0 || pa_chol_solve(s->sys, q, s->rhs, 1) != 0) {
    return 0;
  }
  /* c on the original scale, into lambda for now */
  memset(lambda, 0, (size_t) p * sizeof(double));
  for (int a = 0; a < q; a++) {
    int j = s->active[a];
    lambda[j] = s->rhs[a] * s->scale[j];
  }
  /* is the constant in the span? weighted residual of 1 on X */
  memset(s->u, 0, n * sizeof(double));
  for (int a = 0; a < q; a++) {
    int j = s->active[a];
    const double *xj = s->x + (size_t) j * n;
    for (size_t i = 0; i < n; i++) s->u[i] += xj[i] * lambda[j];
  }
  long double rss = 0;
  for (size_t i = 0; i < n; i++) {
    double e = 1 - s->u[i];
    rss += (long double) s->d[i] * e * e;
  }
  if (!((double) (rss / sum_d) < 1e-12)) {
    memset(lambda, 0, (size_t) p * sizeof(double));
    return 0;
  }
  long double total = 0;
  for (int a = 0; a < q; a++) {
    int j = s->active[a];
    total += (long double) lambda[j] * s->t[j];
  }
  double start_sum = (double) sum_d;
  double ratio = (double) (total / sum_d);
  if (!(ratio - 1 > 64 * DBL_EPSILON) || !isfinite(ratio)) {
    for (int a = 0; a < q; a++) {
      int j = s->active[a];
      if (fabs(lambda[j]) > INVOLVED_TOL) add_column(res, j);
    }
    snprintf(res->msg, PA_CAL_MSG_SIZE,
             "with F(u) = 1 + exp(u) every weight is above its starting "
             "weight, so the weights must add up to more than the starting "
             "weights' %s, but the totals of ",
             num(start_sum).s);
    append_column_list(res->msg, res->columns, res->ncolumns);
    msg_append(res->msg, " make them add up to %s (nobody left to stand "
               "for: everyone answered, or the totals are too small)",
               num((double) total).s);
    return fail(res, PA_CAL_INFEASIBLE);
  }
  double u0 = log(ratio - 1);
  for (int a = 0; a < q; a++) {
    int j = s->active[a];
    lambda[j] *= u0;
  }
  return 0;
}

/* ---- driver ----------------------------------------------------------- */

int pa_calibrate(const double *x, size_t n, int p, const double *d,
                 const double *totals, const pa_cal_control *ctl,
                 double *work, int *iwork, pa_cal_result *res) {
  res->ncolumns = 0;
  res->iterations = 0;
  res->converged = 0;
  res->distance = NAN;
  res->status = PA_CAL_OK;
  res->msg[0] = '\0';
  if (check_arguments(x, n, p, d, totals, ctl, res)) return res->status;

  size_t pp = (size_t) p;
  cal_state s;
  s.x = x;
  s.d = d;
  s.t = totals;
  s.n = n;
  s.p = p;
  s.q = 0;
  s.calfun = ctl->calfun;
  s.lower = ctl->lower;
  s.upper = ctl->upper;
  s.active = iwork;
  int *flags = iwork + pp, *set = iwork + 2 * pp;
  s.u = work;
  s.dfp = s.u + n;
  s.r = s.dfp + n;
  s.scale = s.r + pp;
  s.step = s.scale + pp;
  s.trial = s.step + pp;
  s.rhs = s.trial + pp;
  s.full = s.rhs + pp;
  s.sys = s.full + pp * pp;
  s.g = res->g;
  s.w = res->w;
  double *lambda = res->lambda;
  memset(lambda, 0, pp * sizeof(double));
  memset(s.r, 0, pp * sizeof(double));
  memset(s.scale, 0, pp * sizeof(double));

  if (screen_empty(&s, res)) return res->status;
  if (s.q > 0) {
    if (screen_collinear(&s, flags, set, res)) return res->status;
    if (screen_reachable(&s, res)) return res->status;
    if (s.calfun == PA_CAL_KOTT && kott_start(&s, lambda, res)) {
      return res->status;
    }
  }

  double dist = evaluate(&s, lambda);
  double history[STAGNATION_SPAN + 1]; /* distances, by iteration modulo */
  history[0] = dist;
  int stalled = 0;
  for (;;) {
    if (dist < ctl->epsilon) {
      res->converged = 1;
      break;
    }
    if (res->iterations >= ctl->maxit) break;
    if (ctl->interrupt) ctl->interrupt();
    if (newton_direction(&s)) {
      stalled = 1;
      break;
    }
    int accepted = 0;
    double step = 1;
    for (int h = 0; h <= MAX_HALVINGS && !accepted; h++, step /= 2) {
      for (int j = 0; j < p; j++) s.trial[j] = lambda[j] + step * s.step[j];
      double dt = evaluate(&s, s.trial);
      if (dt < dist) {
        memcpy(lambda, s.trial, pp * sizeof(double));
        dist = dt;
        accepted = 1;
      }
    }
    if (!accepted) {
      dist = evaluate(&s, lambda); /* back to the last accepted point */
      stalled = 1;
      break;
    }
    res->iterations++;
    history[res->iterations % (STAGNATION_SPAN + 1)] = dist;
  }
  res->distance = dist;
  int stagnant =
      res->iterations >= 2 * STAGNATION_SPAN &&
      history[(res->iterations + 1) % (STAGNATION_SPAN + 1)] - dist <
          STAGNATION * dist;

  if (res->converged) {
    pa_crossprod_w(x, n, p, s.dfp, res->jacobian, 1);
    return res->status;
  }

  int j = worst_margin(&s);
  add_column(res, j);
  double achieved = totals[j] - s.r[j];
  if (stalled && dist < PRECISION_FLOOR) {
    snprintf(res->msg, PA_CAL_MSG_SIZE,
             "calibration stopped at a relative distance of %s from the "
             "totals after %d iterations, short of epsilon = %s, because "
             "no step brought the totals closer (column %d is furthest "
             "off); epsilon is finer than rounding allows for these data",
             num(dist).s, res->iterations, num(ctl->epsilon).s, j + 1);
    return fail(res, PA_CAL_NOT_CONVERGED);
  }
  if (stalled || stagnant || degenerate(&s, flags, set)) {
    double glo, ghi;
    int lo_open, hi_open;
    g_range(s.calfun, s.lower, s.upper, &glo, &ghi, &lo_open, &hi_open);
    snprintf(res->msg, PA_CAL_MSG_SIZE,
             "no weights with w/d in ");
    describe_range(res->msg, glo, ghi, lo_open, hi_open);
    msg_append(res->msg,
               " reach all the totals together: after %d iterations "
               "column %d is furthest from its total (%s against %s)",
               res->iterations, j + 1, num(achieved).s, num(totals[j]).s);
    return fail(res, PA_CAL_INFEASIBLE);
  }
  snprintf(res->msg, PA_CAL_MSG_SIZE,
           "calibration did not converge in %d iterations: column %d is "
           "still furthest from its total (%s against %s, relative "
           "distance %s)",
           res->iterations, j + 1, num(achieved).s, num(totals[j]).s,
           num(dist).s);
  return fail(res, PA_CAL_NOT_CONVERGED);
}

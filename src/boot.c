/* Bootstrap replicates of attrition weights. See boot.h for the
 * interface.
 *
 * A replicate is the whole weighting pipeline of attrition_weights() run
 * on the sample in which person i carries the frequency r_i: every model
 * is re-fitted with prior weights d r, every calibration starts from the
 * (chained) weights times r and reproduces totals recomputed the same way,
 * the stabilising rates and numerator models are recomputed, and trimming
 * limits the weight of a copy of a person, with the quantile or the mean
 * taken over the replicate's copies. The replicate's analysis weight of a
 * respondent is then r_i times the weight of one copy of that person. With
 * r = 1 this is attrition_weights() itself.
 *
 * Reproducibility: the draws of replicate b come from a xoshiro256**
 * stream whose state is derived by splitmix64 from (seed, b) alone, and
 * every sum runs in a fixed order inside one thread, so a replicate is the
 * same bits whichever thread or process runs it, alongside whatever. Sums
 * here are plain doubles, not long doubles, whose width varies between
 * platforms (and under valgrind). */
#include "boot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "logit.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- random streams ------------------------------------------------------ */

#define GOLDEN UINT64_C(0x9E3779B97F4A7C15)

/* splitmix64's finaliser: a bijection of 64-bit words that scrambles
 * nearby inputs into unrelated outputs. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

typedef struct {
  uint64_t s[4];
} stream;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman and Vigna 2021, ACM TOMS 47:36) */
static uint64_t next64(stream *g) {
  uint64_t *s = g->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

/* The key mixes the seed before the replicate index enters, so that
 * (seed, b) and (seed + 1, b - 1) and the like do not collide; the state
 * is four consecutive splitmix64 outputs from the key, as Vigna
 * recommends, and since mix64 is a bijection they cannot all be zero. */
static void stream_init(stream *g, uint64_t seed, int b) {
  uint64_t key = mix64(mix64(seed + GOLDEN) ^
                       ((uint64_t) (unsigned) b * UINT64_C(0xD1B54A32D192ED03)));
  for (int k = 0; k < 4; k++) {
    key += GOLDEN;
    g->s[k] = mix64(key);
  }
}

/* uniform on [0, 1) with 53 random bits */
static double uniform(stream *g) {
  return (double) (next64(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* uniform on {0, ..., range - 1} without modulo bias, by rejecting the
 * lowest 2^64 mod range words */
static uint64_t bounded(stream *g, uint64_t range) {
  uint64_t threshold = (0 - range) % range;
  uint64_t x;
  do {
    x = next64(g);
  } while (x < threshold);
  return x % range;
}

void pa_boot_draw(uint64_t seed, int b, int type, size_t n, double *r) {
  stream g;
  stream_init(&g, seed, b);
  if (type == PA_BOOT_MULTINOMIAL) {
    memset(r, 0, n * sizeof(double));
    for (size_t k = 0; k < n; k++) r[bounded(&g, (uint64_t) n)] += 1;
    return;
  }
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    r[i] = -log1p(-uniform(&g));
    sum += r[i];
  }
  double mean = sum / (double) n;
  for (size_t i = 0; i < n; i++) r[i] /= mean;
}

void pa_boot_draw_design(uint64_t seed, int b, const pa_boot_design *design,
                         size_t n, double *mult, double *r) {
  stream g;
  stream_init(&g, seed, b);
  for (int h = 0; h < design->nstrata; h++) {
    size_t lo = (size_t) design->first[h], hi = (size_t) design->first[h + 1];
    size_t nh = hi - lo;
    double lambda = design->lambda[h];
    if (nh < 2 || !(lambda > 0)) {
      /* a lonely PSU removed, or a stratum whose PSUs were all taken:
       * no variance, and no draws */
      for (size_t j = lo; j < hi; j++) mult[j] = 1;
      continue;
    }
    for (size_t j = lo; j < hi; j++) mult[j] = 0;
    for (size_t k = 0; k + 1 < nh; k++) mult[lo + bounded(&g, (uint64_t) nh)] += 1;
    double scale = (double) nh / (double) (nh - 1);
    /* with lambda = 1 this is exactly c_j n_h / m_h */
    for (size_t j = lo; j < hi; j++) {
      mult[j] = 1 - lambda + lambda * (mult[j] * scale);
    }
  }
  for (size_t i = 0; i < n; i++) r[i] = mult[design->psu[i]];
}

/* ---- workspace ------------------------------------------------------------ */

typedef struct {
  size_t mmax;
  int pmax, firth;
  size_t logit_work, cal_work, cal_iwork;
} sizes;

static sizes stage_sizes(const pa_boot_spec *spec) {
  sizes z = {0, 1, 0, 0, 0, 0};
  for (int t = 0; t < spec->nwave; t++) {
    const pa_boot_stage *both[2] = {spec->main[t], spec->numer[t]};
    for (int k = 0; k < 2; k++) {
      const pa_boot_stage *st = both[k];
      if (!st) continue;
      if (st->m > z.mmax) z.mmax = st->m;
      if (st->p > z.pmax) z.pmax = st->p;
      if (st->kind == PA_BOOT_CALIBRATE) {
        size_t cw = pa_calibrate_work_size(st->m, st->p);
        size_t ci = pa_calibrate_iwork_size(st->p);
        if (cw > z.cal_work) z.cal_work = cw;
        if (ci > z.cal_iwork) z.cal_iwork = ci;
      } else {
        size_t lw = pa_logit_work_size(st->m, st->p, st->kind == PA_BOOT_FIRTH);
        if (lw > z.logit_work) z.logit_work = lw;
      }
    }
  }
  return z;
}

void pa_boot_work_size(const pa_boot_spec *spec, size_t *ndouble,
                       size_t *nint, size_t *npair) {
  sizes z = stage_sizes(spec);
  size_t n = spec->n, T = (size_t) spec->nwave, m = z.mmax;
  size_t p = (size_t) z.pmax;
  /* r, d r, weights, numerator probabilities; prior or start weights,
   * fitted values, linear predictor; coefficients, vcov, information;
   * calibration: compact margins, start, g, weights, lambda, Jacobian,
   * totals */
  *ndouble = 2 * n + n * T + (spec->numerator ? n * T : 0) + 3 * m +
             p + 2 * p * p + z.logit_work + m * p + 3 * m + 2 * p + p * p +
             z.cal_work + (spec->design ? spec->design->npsu : 0);
  /* logit and calibration columns, calibration scratch, compact rows,
   * trimming flags */
  *nint = 2 * p + z.cal_iwork + m + n;
  *npair = n;
}

typedef struct {
  double *r, *dr, *w, *np, *pw, *fitted, *eta, *coef, *vcov, *info, *lwork;
  double *xc, *dc, *g, *wc, *lambda, *jac, *totals, *cwork, *mult;
  int *lcols, *ccols, *ciwork, *cidx, *flag;
  pa_boot_pair *pairs;
} scratch;

static scratch carve(const pa_boot_spec *spec, const sizes *z,
                     const pa_boot_work *work) {
  size_t n = spec->n, T = (size_t) spec->nwave, m = z->mmax;
  size_t p = (size_t) z->pmax;
  scratch s;
  double *d = work->dwork;
  s.r = d;
  d += n;
  s.dr = d;
  d += n;
  s.w = d;
  d += n * T;
  s.np = d;
  d += spec->numerator ? n * T : 0;
  s.pw = d;
  d += m;
  s.fitted = d;
  d += m;
  s.eta = d;
  d += m;
  s.coef = d;
  d += p;
  s.vcov = d;
  d += p * p;
  s.info = d;
  d += p * p;
  s.lwork = d;
  d += z->logit_work;
  s.xc = d;
  d += m * p;
  s.dc = d;
  d += m;
  s.g = d;
  d += m;
  s.wc = d;
  d += m;
  s.lambda = d;
  d += p;
  s.totals = d;
  d += p;
  s.jac = d;
  d += p * p;
  s.cwork = d;
  d += z->cal_work;
  s.mult = d;
  int *iw = work->iwork;
  s.lcols = iw;
  iw += p;
  s.ccols = iw;
  iw += p;
  s.ciwork = iw;
  iw += z->cal_iwork;
  s.cidx = iw;
  iw += m;
  s.flag = iw;
  s.pairs = work->pairs;
  return s;
}

/* ---- stages --------------------------------------------------------------- */

static int logit_failure(int status) {
  switch (status) {
  case PA_LOGIT_OK: return PA_BOOT_OK;
  case PA_LOGIT_COLLINEAR: return PA_BOOT_FAIL_COLLINEAR;
  case PA_LOGIT_SEPARATION: return PA_BOOT_FAIL_SEPARATION;
  case PA_LOGIT_NOT_CONVERGED: return PA_BOOT_FAIL_NOT_CONVERGED;
  default: return PA_BOOT_FAIL_OTHER;
  }
}

static int cal_failure(int status) {
  switch (status) {
  case PA_CAL_OK: return PA_BOOT_OK;
  case PA_CAL_COLLINEAR: return PA_BOOT_FAIL_COLLINEAR;
  case PA_CAL_EMPTY:
  case PA_CAL_INFEASIBLE: return PA_BOOT_FAIL_INFEASIBLE;
  case PA_CAL_NOT_CONVERGED: return PA_BOOT_FAIL_NOT_CONVERGED;
  default: return PA_BOOT_FAIL_OTHER;
  }
}

/* The stage's response model with prior weights d r over those at risk;
 * fitted probabilities end up in s->fitted. */
static int fit_model(const pa_boot_stage *st, scratch *s) {
  for (size_t k = 0; k < st->m; k++) s->pw[k] = s->dr[st->risk[k]];
  pa_logit_control ctl;
  pa_logit_control_init(&ctl, st->maxit, st->epsilon,
                        st->kind == PA_BOOT_FIRTH);
  /* one thread: the replicates are what run in parallel */
  ctl.start = st->start;
  ctl.want_vcov = 0;
  ctl.x_checked = 1; /* checked when the full sample was fitted */
  ctl.colmax = st->colmax;
  ctl.start_u = st->start_u;
  ctl.start_dev = st->start_dev;
  ctl.start_chol = st->start_chol;
  ctl.xf = st->xf;
  pa_logit_result res;
  res.coef = s->coef;
  res.vcov = s->vcov;
  res.fitted = s->fitted;
  res.eta = s->eta;
  res.scores = NULL;
  res.resid = NULL;
  res.info = s->info;
  res.columns = s->lcols;
  int status = pa_logit_fit(st->x, st->y, s->pw, NULL, st->m, st->p, &ctl,
                            s->lwork, &res);
  return logit_failure(status);
}

/* Weights of the stage's respondents at its wave, wt, from the source
 * weights src (per copy of a person). */
static int run_main(const pa_boot_stage *st, const double *src, double *wt,
                    scratch *s) {
  size_t m = st->m;
  int p = st->p;
  if (st->kind != PA_BOOT_CALIBRATE) {
    int fail = fit_model(st, s);
    if (fail) return fail;
    for (size_t k = 0; k < m; k++) {
      if (st->y[k] == 1) {
        size_t i = (size_t) st->risk[k];
        wt[i] = src[i] / s->fitted[k];
      }
    }
    return PA_BOOT_OK;
  }

  /* start weights of everyone at risk in the replicate */
  for (size_t k = 0; k < m; k++) {
    size_t i = (size_t) st->risk[k];
    s->pw[k] = src[i] * s->r[i];
  }
  for (int j = 0; j < p; j++) {
    if (st->totals) {
      s->totals[j] = st->totals[j];
      continue;
    }
    const double *xj = st->x + (size_t) j * m;
    double acc = 0;
    for (size_t k = 0; k < m; k++) acc += xj[k] * s->pw[k];
    s->totals[j] = acc;
  }
  /* respondents present in the replicate; the others carry no weight */
  size_t mc = 0;
  for (size_t k = 0; k < m; k++) {
    if (st->y[k] == 1) {
      wt[st->risk[k]] = 0;
      if (s->pw[k] > 0) {
        s->cidx[mc] = (int) k;
        s->dc[mc] = s->pw[k];
        mc++;
      }
    }
  }
  if (mc == 0) return PA_BOOT_FAIL_INFEASIBLE;
  for (int j = 0; j < p; j++) {
    const double *xj = st->x + (size_t) j * m;
    double *cj = s->xc + (size_t) j * mc;
    for (size_t c = 0; c < mc; c++) cj[c] = xj[s->cidx[c]];
  }
  pa_cal_control ctl;
  ctl.calfun = st->calfun;
  ctl.lower = st->lower;
  ctl.upper = st->upper;
  ctl.maxit = st->maxit;
  ctl.epsilon = st->epsilon;
  ctl.interrupt = NULL;
  pa_cal_result res;
  res.g = s->g;
  res.w = s->wc;
  res.lambda = s->lambda;
  res.jacobian = s->jac;
  res.columns = s->ccols;
  int status = pa_calibrate(s->xc, mc, p, s->dc, s->totals, &ctl, s->cwork,
                            s->ciwork, &res);
  if (status != PA_CAL_OK) return cal_failure(status);
  for (size_t c = 0; c < mc; c++) {
    size_t i = (size_t) st->risk[s->cidx[c]];
    wt[i] = src[i] * s->g[c];
  }
  return PA_BOOT_OK;
}

/* ---- trimming --------------------------------------------------------------- */

static int compare_pairs(const void *a, const void *b) {
  const pa_boot_pair *x = a, *y = b;
  if (x->key < y->key) return -1;
  if (x->key > y->key) return 1;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Type 7 quantile (R's default) of the values in `pairs`, each standing
 * for r of the replicate's copies: the order statistics of the copies at
 * positions floor(h) and ceil(h), h = 1 + (N - 1) q, N = sum(r),
 * interpolated as stats::quantile() does. With r = 1 this is
 * stats::quantile(w, q, type = 7). */
static double weighted_quantile(pa_boot_pair *pairs, size_t nt,
                                const double *r, double q) {
  qsort(pairs, nt, sizeof(pa_boot_pair), compare_pairs);
  double N = 0;
  for (size_t c = 0; c < nt; c++) N += r[pairs[c].idx];
  double index = 1 + (N - 1 > 0 ? N - 1 : 0) * q;
  double lo = floor(index), hi = ceil(index);
  double v_lo = pairs[nt - 1].key, v_hi = pairs[nt - 1].key;
  int have_lo = 0;
  double cum = 0;
  for (size_t c = 0; c < nt; c++) {
    cum += r[pairs[c].idx];
    if (!have_lo && cum >= lo) {
      v_lo = pairs[c].key;
      have_lo = 1;
    }
    if (cum >= hi) {
      v_hi = pairs[c].key;
      break;
    }
  }
  double qs = v_lo;
  if (index > lo && v_hi != qs) {
    double h = index - lo;
    qs = (1 - h) * qs + h * v_hi;
  }
  return qs;
}

/* trim_weights() in R/weights.R with each person standing for r copies:
 * weights above the limit are set to it and the excess is spread over the
 * others in proportion to their weights until none is above it, keeping
 * the wave's total of r w. */
static int trim_wave(const pa_boot_spec *spec, int t, double *wt,
                     scratch *s) {
  const int *resp = spec->resp + (size_t) t * spec->n;
  const double *r = s->r;
  size_t nt = 0;
  double total = 0, count = 0;
  for (size_t i = 0; i < spec->n; i++) {
    if (!resp[i] || !(r[i] > 0)) continue;
    s->pairs[nt].key = wt[i];
    s->pairs[nt].idx = i;
    s->flag[i] = 0;
    total += r[i] * wt[i];
    count += r[i];
    nt++;
  }
  if (nt == 0) return PA_BOOT_FAIL_OTHER;
  double limit = spec->trim_mode == PA_TRIM_QUANTILE
                     ? weighted_quantile(s->pairs, nt, r, spec->trim_value)
                     : spec->trim_value * (total / count);
  double over_limit = limit * (1 + 1e-12);
  for (;;) {
    int any = 0;
    for (size_t i = 0; i < spec->n; i++) {
      if (!resp[i] || !(r[i] > 0) || s->flag[i]) continue;
      if (wt[i] > over_limit) {
        s->flag[i] = 1;
        any = 1;
      }
    }
    if (!any) break;
    double capped = 0, free_sum = 0;
    int any_free = 0;
    for (size_t i = 0; i < spec->n; i++) {
      if (!resp[i] || !(r[i] > 0)) continue;
      if (s->flag[i]) {
        wt[i] = limit;
        capped += r[i];
      } else {
        free_sum += r[i] * wt[i];
        any_free = 1;
      }
    }
    if (!any_free) return PA_BOOT_FAIL_TRIM;
    double keep = total - limit * capped;
    double denom = free_sum;
    for (size_t i = 0; i < spec->n; i++) {
      if (resp[i] && r[i] > 0 && !s->flag[i]) wt[i] = wt[i] * keep / denom;
    }
  }
  return PA_BOOT_OK;
}

/* ---- one replicate ------------------------------------------------------------ */

static void set_fail(int *fail, int reason, int wave, int where) {
  fail[0] = reason;
  fail[1] = wave;
  fail[2] = where;
}

static void run_replicate(const pa_boot_spec *spec, int b, const double *draw,
                          scratch *s, double *const *out, const size_t *nresp,
                          size_t col, int *fail) {
  size_t n = spec->n;
  int T = spec->nwave;
  set_fail(fail, PA_BOOT_OK, -1, -1);
  if (draw) {
    memcpy(s->r, draw, n * sizeof(double));
  } else if (spec->type == PA_BOOT_RAOWU) {
    pa_boot_draw_design(spec->seed, b, spec->design, n, s->mult, s->r);
  } else {
    pa_boot_draw(spec->seed, b, spec->type, n, s->r);
  }
  for (size_t i = 0; i < n; i++) s->dr[i] = spec->d[i] * s->r[i];

  for (int t = 0; t < T; t++) {
    double *wt = s->w + (size_t) t * n;
    const int *resp = spec->resp + (size_t) t * n;
    const pa_boot_stage *st = spec->main[t];
    if (!st) {
      /* no model: the first wave without a frame (base weights), or a
       * stage at which everyone at risk answered in the sample, and so in
       * every replicate (p = 1: the weights carry over, from the previous
       * wave under monotone dropout, else from the base weights) */
      const double *src = spec->monotone && t > 0 ? s->w + (size_t) (t - 1) * n
                                                  : spec->d;
      for (size_t i = 0; i < n; i++) {
        if (resp[i]) wt[i] = src[i];
      }
    } else {
      const double *src = st->chain && t > 0 ? s->w + (size_t) (t - 1) * n
                                             : spec->d;
      int why = run_main(st, src, wt, s);
      if (why) {
        set_fail(fail, why, t, PA_BOOT_AT_MAIN);
        return;
      }
    }
    if (!spec->numerator) continue;
    double *np = s->np + (size_t) t * n;
    const pa_boot_stage *ns = spec->numer[t];
    if (!ns) {
      /* numerator probability 1 (no model at this wave): the product so
       * far carries over under monotone dropout */
      const double *prev = spec->monotone && t > 0 ? np - n : NULL;
      for (size_t i = 0; i < n; i++) np[i] = prev ? prev[i] : 1;
      continue;
    }
    int why = fit_model(ns, s);
    if (why) {
      set_fail(fail, why, t, PA_BOOT_AT_NUMERATOR);
      return;
    }
    const double *prev = spec->monotone && t > 0 ? np - n : NULL;
    for (size_t k = 0; k < ns->m; k++) {
      size_t i = (size_t) ns->risk[k];
      np[i] = prev ? prev[i] * s->fitted[k] : s->fitted[k];
    }
  }

  if (spec->stabilize) {
    double base = 0;
    for (size_t k = 0; k < spec->nbase; k++) base += s->dr[spec->baseline[k]];
    if (!spec->numerator && !(base > 0)) {
      set_fail(fail, PA_BOOT_FAIL_OTHER, 0, PA_BOOT_AT_MAIN);
      return;
    }
    for (int t = 0; t < T; t++) {
      double *wt = s->w + (size_t) t * n;
      const int *resp = spec->resp + (size_t) t * n;
      if (spec->numerator) {
        const double *np = s->np + (size_t) t * n;
        for (size_t i = 0; i < n; i++) {
          if (resp[i]) wt[i] *= np[i];
        }
      } else {
        double answered = 0;
        for (size_t i = 0; i < n; i++) {
          if (resp[i]) answered += s->dr[i];
        }
        double rate = answered / base;
        for (size_t i = 0; i < n; i++) {
          if (resp[i]) wt[i] *= rate;
        }
      }
    }
  }

  if (spec->trim_mode != PA_TRIM_NONE) {
    for (int t = 0; t < T; t++) {
      int why = trim_wave(spec, t, s->w + (size_t) t * n, s);
      if (why) {
        set_fail(fail, why, t, PA_BOOT_AT_TRIM);
        return;
      }
    }
  }

  for (int t = 0; t < T; t++) {
    const double *wt = s->w + (size_t) t * n;
    const int *resp = spec->resp + (size_t) t * n;
    double *dst = out[t] + col * nresp[t];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      if (!resp[i]) continue;
      /* a person not drawn contributes nothing, whatever a copy's weight */
      dst[k++] = s->r[i] > 0 ? s->r[i] * wt[i] : 0.0;
    }
  }
}

void pa_boot_run(const pa_boot_spec *spec, const int *indices,
                 const double *draws, size_t count, size_t col0, int threads,
                 const pa_boot_work *work, double *const *out,
                 const size_t *nresp, int *fail) {
  long total = (long) count;
  sizes z = stage_sizes(spec);
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
#endif
  for (long j = 0; j < total; j++) {
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num();
#endif
    scratch s = carve(spec, &z, work + tid);
    size_t col = col0 + (size_t) j;
    const double *draw = draws ? draws + (size_t) j * spec->n : NULL;
    run_replicate(spec, indices[j], draw, &s, out, nresp, col,
                  fail + 3 * col);
  }
  (void) threads;
}

void pa_boot_stage_prepare(pa_boot_stage *st, const double *d,
                           double *colmax, float *xf, double *u,
                           double *dev, double *chol, double *prior,
                           double *scratch) {
  /* the largest |x| per column bounds how far a step can move any linear
   * predictor, which spares most replicates the separation screen */
  for (int j = 0; j < st->p; j++) {
    const double *xj = st->x + (size_t) j * st->m;
    double mx = 0;
    for (size_t k = 0; k < st->m; k++) {
      if (fabs(xj[k]) > mx) mx = fabs(xj[k]);
    }
    colmax[j] = mx;
  }
  st->colmax = colmax;
  st->start_u = st->start_dev = st->start_chol = NULL;
  st->xf = NULL;
  if (xf && st->kind == PA_BOOT_LOGIT) {
    size_t count = st->m * (size_t) st->p;
    if (!pa_logit_float_copy(st->x, count, xf, 1)) st->xf = xf;
  }
  /* Every replicate of a maximum likelihood model starts where the full
   * sample's fit ended; what the fit would evaluate there is the same in
   * every replicate up to the prior weights, so it is computed once. */
  if (st->start && st->kind == PA_BOOT_LOGIT && u && dev && chol && prior &&
      scratch) {
    /* the full sample's fit had the base weights as prior weights */
    for (size_t k = 0; k < st->m; k++) prior[k] = d[st->risk[k]];
    if (!pa_logit_start_terms(st->x, st->y, prior, NULL, st->m, st->p,
                              st->start, u, dev, chol, scratch)) {
      st->start_u = u;
      st->start_dev = dev;
      st->start_chol = chol;
    }
  }
}

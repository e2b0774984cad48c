/* R glue for the bootstrap kernel (boot.c). The specification arrives
 * built and checked by boot_spec() in R/bootstrap.R; the checks here only
 * guard against a broken caller. The kernel runs in blocks of replicates,
 * with an interrupt check between blocks, outside any parallel region. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <limits.h>
#include <math.h>
#include <string.h>

#include "boot.h"
#include "entries.h"
#include "logit.h"
#include "r_memory.h"

static SEXP field(SEXP list, const char *name) {
  SEXP names = Rf_getAttrib(list, R_NamesSymbol);
  if (TYPEOF(list) != VECSXP || TYPEOF(names) != STRSXP) return R_NilValue;
  for (R_xlen_t k = 0; k < XLENGTH(list); k++) {
    if (!strcmp(CHAR(STRING_ELT(names, k)), name)) {
      return VECTOR_ELT(list, k);
    }
  }
  return R_NilValue;
}

static SEXP need(SEXP list, const char *name, int type) {
  SEXP v = field(list, name);
  if (TYPEOF(v) != type) {
    Rf_error("internal error: bootstrap specification field `%s` has the "
             "wrong type", name);
  }
  return v;
}

static void read_stage(SEXP x, pa_boot_stage *st, size_t n, const double *d) {
  SEXP xm = need(x, "x", REALSXP);
  SEXP risk = need(x, "risk", INTSXP);
  SEXP y = need(x, "y", REALSXP);
  SEXP bounds = need(x, "bounds", REALSXP);
  SEXP totals = field(x, "totals");
  if (!Rf_isMatrix(xm) || XLENGTH(bounds) != 2) {
    Rf_error("internal error: malformed bootstrap stage");
  }
  st->kind = Rf_asInteger(need(x, "kind", INTSXP));
  if (st->kind != PA_BOOT_LOGIT && st->kind != PA_BOOT_FIRTH &&
      st->kind != PA_BOOT_CALIBRATE) {
    Rf_error("internal error: unknown bootstrap stage kind");
  }
  st->chain = Rf_asLogical(need(x, "chain", LGLSXP)) == TRUE;
  st->m = (size_t) Rf_nrows(xm);
  st->p = Rf_ncols(xm);
  if ((size_t) XLENGTH(risk) != st->m || (size_t) XLENGTH(y) != st->m ||
      st->m < 1 || st->p < 1) {
    Rf_error("internal error: bootstrap stage dimensions do not match");
  }
  for (size_t k = 0; k < st->m; k++) {
    int i = INTEGER(risk)[k];
    if (i < 0 || (size_t) i >= n) {
      Rf_error("internal error: bootstrap stage has a person out of range");
    }
  }
  st->risk = INTEGER(risk);
  st->y = REAL(y);
  st->x = REAL(xm);
  double maxit = Rf_asReal(need(x, "maxit", REALSXP));
  st->maxit = maxit >= 1 && maxit <= INT_MAX ? (int) maxit : 1;
  st->epsilon = Rf_asReal(need(x, "epsilon", REALSXP));
  st->calfun = Rf_asInteger(need(x, "calfun", INTSXP));
  st->lower = REAL(bounds)[0];
  st->upper = REAL(bounds)[1];
  SEXP start = field(x, "start");
  st->start = NULL;
  if (!Rf_isNull(start)) {
    if (TYPEOF(start) != REALSXP || XLENGTH(start) != st->p) {
      Rf_error("internal error: bootstrap stage start does not match");
    }
    st->start = REAL(start);
  }
  /* what every replicate of the stage shares, computed once by the
   * kernel (pa_boot_stage_prepare()) in arrays allocated here */
  size_t m = st->m, pp = (size_t) st->p;
  double *colmax = (double *) R_alloc(pp, sizeof(double));
  float *xf = NULL;
  if (st->kind == PA_BOOT_LOGIT && m >= PA_LOGIT_FLOAT_ROWS) {
    xf = (float *) pa_R_alloc(m * pp, sizeof(float));
  }
  double *u = NULL, *dev = NULL, *chol = NULL, *prior = NULL, *scratch = NULL;
  if (st->start && st->kind == PA_BOOT_LOGIT) {
    u = (double *) pa_R_alloc(m, sizeof(double));
    dev = (double *) pa_R_alloc(m, sizeof(double));
    chol = (double *) R_alloc(pp * pp, sizeof(double));
    prior = (double *) pa_R_alloc(m, sizeof(double));
    scratch = (double *) pa_R_alloc(m, sizeof(double));
  }
  pa_boot_stage_prepare(st, d, colmax, xf, u, dev, chol, prior, scratch);
  st->totals = NULL;
  if (!Rf_isNull(totals)) {
    if (TYPEOF(totals) != REALSXP || XLENGTH(totals) != st->p) {
      Rf_error("internal error: bootstrap stage totals do not match");
    }
    st->totals = REAL(totals);
  }
}

/* One stage per wave, or NULL. */
static const pa_boot_stage *const *read_stages(SEXP list, int T, size_t n,
                                               const double *d) {
  if (TYPEOF(list) != VECSXP || XLENGTH(list) != T) {
    Rf_error("internal error: bootstrap stages must be a list per wave");
  }
  const pa_boot_stage **out =
      (const pa_boot_stage **) R_alloc((size_t) T, sizeof(pa_boot_stage *));
  for (int t = 0; t < T; t++) {
    SEXP x = VECTOR_ELT(list, t);
    if (Rf_isNull(x)) {
      out[t] = NULL;
      continue;
    }
    pa_boot_stage *st = (pa_boot_stage *) R_alloc(1, sizeof(pa_boot_stage));
    read_stage(x, st, n, d);
    out[t] = st;
  }
  return out;
}

static uint64_t read_seed(SEXP seed) {
  if (TYPEOF(seed) != REALSXP || XLENGTH(seed) != 1 ||
      !(REAL(seed)[0] >= 0 && REAL(seed)[0] < 9007199254740992.0)) {
    Rf_error("internal error: `seed` must be a whole number in [0, 2^53)");
  }
  return (uint64_t) REAL(seed)[0];
}

static int read_type(SEXP type) {
  if (TYPEOF(type) != INTSXP || XLENGTH(type) != 1 ||
      (INTEGER(type)[0] != PA_BOOT_BAYES &&
       INTEGER(type)[0] != PA_BOOT_MULTINOMIAL &&
       INTEGER(type)[0] != PA_BOOT_RAOWU)) {
    Rf_error("internal error: unknown bootstrap type");
  }
  return INTEGER(type)[0];
}

static void check_indices(SEXP indices) {
  if (TYPEOF(indices) != INTSXP) {
    Rf_error("internal error: replicate indices must be integers");
  }
  const int *iv = INTEGER(indices);
  R_xlen_t n_ind = XLENGTH(indices);
  for (R_xlen_t k = 0; k < n_ind; k++) {
    if (iv[k] < 1) {
      Rf_error("internal error: replicate indices must be positive");
    }
  }
}

/* The design of boot_design_spec() (R/bootstrap.R) for n people. */
static const pa_boot_design *read_design(SEXP x, size_t n) {
  SEXP psu = need(x, "psu", INTSXP);
  SEXP first = need(x, "first", INTSXP);
  SEXP lambda = need(x, "lambda", REALSXP);
  R_xlen_t H = XLENGTH(lambda);
  if ((size_t) XLENGTH(psu) != n || XLENGTH(first) != H + 1 || H < 1 ||
      INTEGER(first)[0] != 0) {
    Rf_error("internal error: malformed bootstrap design");
  }
  for (R_xlen_t h = 0; h < H; h++) {
    if (INTEGER(first)[h + 1] < INTEGER(first)[h] ||
        !(REAL(lambda)[h] >= 0 && REAL(lambda)[h] <= 1)) {
      Rf_error("internal error: malformed bootstrap design strata");
    }
  }
  int npsu = INTEGER(first)[H];
  const int *pv = INTEGER(psu);
  for (size_t i = 0; i < n; i++) {
    if (pv[i] < 0 || pv[i] >= npsu) {
      Rf_error("internal error: bootstrap design PSU out of range");
    }
  }
  pa_boot_design *d = (pa_boot_design *) R_alloc(1, sizeof(pa_boot_design));
  d->npsu = (size_t) npsu;
  d->nstrata = (int) H;
  d->psu = INTEGER(psu);
  d->first = INTEGER(first);
  d->lambda = REAL(lambda);
  return d;
}

SEXP r_boot_design_draws(SEXP design, SEXP seed, SEXP indices) {
  check_indices(indices);
  uint64_t s = read_seed(seed);
  SEXP psu = need(design, "psu", INTSXP);
  size_t nn = (size_t) XLENGTH(psu);
  if (nn < 1) Rf_error("internal error: a bootstrap design without people");
  const pa_boot_design *d = read_design(design, nn);
  double *mult = (double *) R_alloc(d->npsu, sizeof(double));
  R_xlen_t count = XLENGTH(indices);
  SEXP out = PROTECT(pa_alloc_matrix(REALSXP, (int) nn, (int) count));
  for (R_xlen_t k = 0; k < count; k++) {
    pa_boot_draw_design(s, INTEGER(indices)[k], d, nn, mult,
                        REAL(out) + (size_t) k * nn);
  }
  UNPROTECT(1);
  return out;
}

SEXP r_boot_draws(SEXP n, SEXP seed, SEXP type, SEXP indices) {
  if (TYPEOF(n) != INTSXP || XLENGTH(n) != 1 || INTEGER(n)[0] < 1) {
    Rf_error("internal error: `n` must be a positive integer");
  }
  check_indices(indices);
  uint64_t s = read_seed(seed);
  int ty = read_type(type);
  if (ty == PA_BOOT_RAOWU) {
    Rf_error("internal error: design draws come from boot_design_draws");
  }
  size_t nn = (size_t) INTEGER(n)[0];
  R_xlen_t count = XLENGTH(indices);
  SEXP out = PROTECT(pa_alloc_matrix(REALSXP, (int) nn, (int) count));
  for (R_xlen_t k = 0; k < count; k++) {
    pa_boot_draw(s, INTEGER(indices)[k], ty, nn, REAL(out) + (size_t) k * nn);
  }
  UNPROTECT(1);
  return out;
}

SEXP r_boot_replicates(SEXP spec, SEXP draws, SEXP seed, SEXP type,
                       SEXP indices, SEXP threads) {
  check_indices(indices);
  pa_boot_spec sp;
  SEXP d = need(spec, "d", REALSXP);
  SEXP resp = need(spec, "resp", INTSXP);
  SEXP baseline = need(spec, "baseline", INTSXP);
  if (!Rf_isMatrix(resp) || Rf_nrows(resp) != XLENGTH(d) || XLENGTH(d) < 1) {
    Rf_error("internal error: malformed bootstrap specification");
  }
  sp.n = (size_t) XLENGTH(d);
  sp.nwave = Rf_ncols(resp);
  sp.d = REAL(d);
  sp.resp = INTEGER(resp);
  sp.baseline = INTEGER(baseline);
  sp.nbase = (size_t) XLENGTH(baseline);
  for (size_t k = 0; k < sp.nbase; k++) {
    if (sp.baseline[k] < 0 || (size_t) sp.baseline[k] >= sp.n) {
      Rf_error("internal error: baseline person out of range");
    }
  }
  sp.monotone = Rf_asLogical(need(spec, "monotone", LGLSXP)) == TRUE;
  sp.stabilize = Rf_asLogical(need(spec, "stabilize", LGLSXP)) == TRUE;
  sp.numerator = Rf_asLogical(need(spec, "numerator", LGLSXP)) == TRUE;
  sp.main = read_stages(field(spec, "main"), sp.nwave, sp.n, sp.d);
  sp.numer = read_stages(field(spec, "numer"), sp.nwave, sp.n, sp.d);
  sp.trim_mode = Rf_asInteger(need(spec, "trim_mode", INTSXP));
  sp.trim_value = Rf_asReal(need(spec, "trim_value", REALSXP));
  sp.type = read_type(type);
  sp.seed = read_seed(seed);
  SEXP design = field(spec, "design");
  sp.design = NULL;
  if (!Rf_isNull(design)) sp.design = read_design(design, sp.n);
  if ((sp.type == PA_BOOT_RAOWU) != (sp.design != NULL)) {
    Rf_error("internal error: the Rao-Wu bootstrap needs a design, and "
             "only it");
  }

  size_t count = (size_t) XLENGTH(indices);
  if (!Rf_isNull(draws) &&
      (TYPEOF(draws) != REALSXP || !Rf_isMatrix(draws) ||
       (size_t) Rf_nrows(draws) != sp.n || (size_t) Rf_ncols(draws) != count)) {
    Rf_error("internal error: `draws` must be an n x length(indices) matrix");
  }
  int nthreads = Rf_asInteger(threads);
  if (nthreads == NA_INTEGER || nthreads < 1) nthreads = 1;
#ifndef _OPENMP
  nthreads = 1;
#endif
  if ((size_t) nthreads > count && count > 0) nthreads = (int) count;

  /* output: one matrix per wave, its respondents by the replicates */
  size_t *nresp = (size_t *) R_alloc((size_t) sp.nwave, sizeof(size_t));
  double **out = (double **) R_alloc((size_t) sp.nwave, sizeof(double *));
  SEXP weights = PROTECT(Rf_allocVector(VECSXP, sp.nwave));
  for (int t = 0; t < sp.nwave; t++) {
    size_t nt = 0;
    for (size_t i = 0; i < sp.n; i++) nt += sp.resp[i + (size_t) t * sp.n] != 0;
    nresp[t] = nt;
    SEXP m = pa_alloc_matrix(REALSXP, (int) nt, (int) count);
    SET_VECTOR_ELT(weights, t, m);
    out[t] = REAL(m);
  }
  SEXP fail = PROTECT(Rf_allocMatrix(INTSXP, 3, (int) count));

  size_t nd, ni, np;
  pa_boot_work_size(&sp, &nd, &ni, &np);
  pa_boot_work *work =
      (pa_boot_work *) R_alloc((size_t) nthreads, sizeof(pa_boot_work));
  for (int k = 0; k < nthreads; k++) {
    work[k].dwork = (double *) pa_R_alloc(nd, sizeof(double));
    work[k].iwork = (int *) R_alloc(ni, sizeof(int));
    work[k].pairs = (pa_boot_pair *) R_alloc(np, sizeof(pa_boot_pair));
  }

  /* blocks small enough that an interrupt is noticed within a few
   * replicates' time, large enough to keep every thread busy */
  size_t block = 8 * (size_t) nthreads;
  const double *dr = Rf_isNull(draws) ? NULL : REAL(draws);
  for (size_t start = 0; start < count; start += block) {
    size_t len = count - start < block ? count - start : block;
    pa_boot_run(&sp, INTEGER(indices) + start, dr ? dr + start * sp.n : NULL,
                len, start, nthreads, work, out, nresp, INTEGER(fail));
    R_CheckUserInterrupt();
  }

  for (size_t j = 0; j < count; j++) {
    if (INTEGER(fail)[3 * j] == PA_BOOT_OK) continue;
    for (int t = 0; t < sp.nwave; t++) {
      double *col = out[t] + j * nresp[t];
      for (size_t k = 0; k < nresp[t]; k++) col[k] = NA_REAL;
    }
  }

  const char *nms[] = {"weights", "fail", ""};
  SEXP res = PROTECT(Rf_mkNamed(VECSXP, nms));
  SET_VECTOR_ELT(res, 0, weights);
  SET_VECTOR_ELT(res, 1, fail);
  UNPROTECT(3);
  return res;
}

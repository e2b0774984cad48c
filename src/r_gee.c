/* R glue for the GEE kernel. Arguments arrive checked and coerced by
 * ipw_gee() in R/gee.R; the checks here only guard against a broken
 * caller. Statuses are returned, not raised, so that R can raise a
 * classed condition that names the model. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <limits.h>

#include "entries.h"
#include "gee.h"
#include "r_memory.h"

static void check_interrupt(void) { R_CheckUserInterrupt(); }

static const char *status_name(int status) {
  switch (status) {
  case PA_GEE_OK: return "ok";
  case PA_GEE_NOT_CONVERGED: return "not_converged";
  case PA_GEE_SINGULAR: return "singular";
  case PA_GEE_CORRELATION: return "correlation";
  case PA_GEE_NO_PAIRS: return "no_pairs";
  case PA_GEE_DIVERGED: return "diverged";
  default: return "invalid";
  }
}

/* x is the model matrix, or with `code` (an integer vector, one row of x
 * per row of the model matrix, counted from 0 as the kernel reads it;
 * NULL for a dense x) its distinct rows. */
SEXP r_gee_fit(SEXP x, SEXP code, SEXP y, SEXP w, SEXP time, SEXP size,
               SEXP family, SEXP corstr, SEXP control, SEXP equations,
               SEXP base, SEXP want) {
  if (!Rf_isReal(x) || !Rf_isMatrix(x)) {
    Rf_error("internal error: `x` must be a double matrix");
  }
  if (!Rf_isNull(code) && TYPEOF(code) != INTSXP) {
    Rf_error("internal error: `code` must be NULL or an integer vector");
  }
  int coded = !Rf_isNull(code);
  R_xlen_t nx = Rf_nrows(x);
  R_xlen_t n = coded ? XLENGTH(code) : nx;
  int p = Rf_ncols(x);
  if (!Rf_isReal(y) || XLENGTH(y) != n || !Rf_isReal(w) ||
      XLENGTH(w) != n || !Rf_isReal(time) ||
      (XLENGTH(time) != n && XLENGTH(time) != 0)) {
    Rf_error("internal error: `y` and `w` must be doubles, one per row of the "
             "model matrix, "
             "`time` too or empty");
  }
  if (TYPEOF(want) != LGLSXP || XLENGTH(want) != 4 ||
      LOGICAL(want)[0] == NA_LOGICAL || LOGICAL(want)[1] == NA_LOGICAL ||
      LOGICAL(want)[2] == NA_LOGICAL || LOGICAL(want)[3] == NA_LOGICAL) {
    Rf_error("internal error: `want` must be c(fitted, dscores, overwrite, "
             "factors) as TRUE/FALSE");
  }
  /* overwrite: the weight derivatives are written over a dense x, which
   * the caller (ipw_gee()) made for this fit and does not read again;
   * factors: the two n-vectors that carry the derivatives of an
   * independence fit (gee.h) */
  int want_fitted = LOGICAL(want)[0], want_dscores = LOGICAL(want)[1];
  int overwrite = want_dscores && LOGICAL(want)[2] && !coded;
  int want_factors = LOGICAL(want)[3];
  if (TYPEOF(size) != INTSXP || XLENGTH(size) < 1) {
    Rf_error("internal error: `size` must be a non-empty integer vector");
  }
  if (TYPEOF(family) != INTSXP || XLENGTH(family) != 1 ||
      TYPEOF(corstr) != INTSXP || XLENGTH(corstr) != 1) {
    Rf_error("internal error: `family` and `corstr` must be integer codes");
  }
  if (!Rf_isReal(control) || XLENGTH(control) != 2) {
    Rf_error("internal error: `control` must be c(maxit, epsilon)");
  }
  if (TYPEOF(equations) != INTSXP || XLENGTH(equations) != 2) {
    Rf_error("internal error: `equations` must be c(equations, pair rule)");
  }
  if (XLENGTH(time) == 0 && INTEGER(corstr)[0] != PA_GEE_INDEPENDENCE) {
    Rf_error("internal error: a correlated fit needs `time`");
  }
  if (want_factors && INTEGER(corstr)[0] != PA_GEE_INDEPENDENCE) {
    Rf_error("internal error: the derivatives' factors are for "
             "independence fits");
  }
  if (!Rf_isReal(base)) {
    Rf_error("internal error: `base` must be a double vector");
  }
  if (n < 1 || p < 1 || n > INT_MAX || nx < 1) {
    Rf_error("internal error: `x` must have between 1 and INT_MAX rows and "
             "at least one column");
  }
  /* (the kernel checks that each code is a row of x) */
  R_xlen_t nclus = XLENGTH(size);
  if (nclus > n) Rf_error("internal error: more clusters than rows");
  if (INTEGER(equations)[1] == PA_GEE_PAIR_RATIO && XLENGTH(base) != nclus) {
    Rf_error("internal error: `base` must have one value per cluster");
  }
  const int *sz = INTEGER(size);
  int maxsize = 0;
  for (R_xlen_t k = 0; k < nclus; k++) {
    if (sz[k] == NA_INTEGER || sz[k] < 1) {
      Rf_error("internal error: cluster sizes must be positive");
    }
    if (sz[k] > maxsize) maxsize = sz[k];
  }

  pa_gee_control ctl;
  double maxit = REAL(control)[0];
  ctl.maxit = maxit >= 1 && maxit <= INT_MAX ? (int) maxit : 0;
  ctl.epsilon = REAL(control)[1];
  ctl.family = INTEGER(family)[0];
  ctl.corstr = INTEGER(corstr)[0];
  ctl.interrupt = check_interrupt;
  ctl.equations = INTEGER(equations)[0];
  ctl.pair_rule = INTEGER(equations)[1];
  ctl.base = XLENGTH(base) ? REAL(base) : NULL;

  const char *nms[] = {"coefficients", "bread",      "scores",
                       "dscores",      "fitted",     "linear_predictor",
                       "alpha",        "scale",      "iterations",
                       "converged",    "status",     "message",
                       "da",           "dr",         ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, nms));
  SEXP coef = PROTECT(Rf_allocVector(REALSXP, p));
  SEXP bread = PROTECT(Rf_allocMatrix(REALSXP, p, p));
  SEXP scores = PROTECT(pa_alloc_matrix(REALSXP, (int) nclus, p));
  /* the weight derivatives (n x p) and the fitted values only when the
   * caller reads them: the largest arrays of the fit */
  SEXP dscores = PROTECT(!want_dscores ? R_NilValue
                         : overwrite ? x : pa_alloc_matrix(REALSXP, (int) n, p));
  SEXP fitted = PROTECT(want_fitted ? pa_alloc_vector(REALSXP, n)
                                    : R_NilValue);
  SEXP eta = PROTECT(pa_alloc_vector(REALSXP, n));
  SEXP da = PROTECT(want_factors ? pa_alloc_vector(REALSXP, n) : R_NilValue);
  SEXP dr = PROTECT(want_factors ? pa_alloc_vector(REALSXP, n) : R_NilValue);

  /* R_alloc'd scratch is reclaimed by R even if an interrupt jumps out of
   * the kernel, which holds no other memory. */
  size_t nwork = pa_gee_work_size((size_t) n, p, maxsize, (size_t) nclus,
                                  want_dscores && !overwrite, want_factors,
                                  coded ? (size_t) nx : 0);
  double *work = (double *) pa_R_alloc(nwork, sizeof(double));
  int *iwork = (int *) R_alloc((size_t) p, sizeof(int));

  pa_gee_result res;
  res.coef = REAL(coef);
  res.bread = REAL(bread);
  res.scores = REAL(scores);
  res.dscores = want_dscores ? REAL(dscores) : NULL;
  res.fitted = want_fitted ? REAL(fitted) : NULL;
  res.eta = REAL(eta);
  res.da = want_factors ? REAL(da) : NULL;
  res.dr = want_factors ? REAL(dr) : NULL;
  int status = pa_gee_fit(REAL(x), (size_t) nx,
                          coded ? INTEGER(code) : NULL, REAL(y), REAL(w),
                          XLENGTH(time) ? REAL(time) : NULL, sz,
                          (size_t) nclus, (size_t) n, p, &ctl, work, iwork,
                          &res);

  /* outputs are meaningful only when the iteration ran to the end */
  if (status != PA_GEE_OK && status != PA_GEE_NOT_CONVERGED) {
    double *targets[] = {REAL(coef), REAL(bread), REAL(scores),
                         res.dscores, res.fitted, REAL(eta), res.da, res.dr};
    R_xlen_t sizes[] = {p, (R_xlen_t) p * p, nclus * p, n * p, n, n, n, n};
    for (int k = 0; k < 8; k++) {
      if (!targets[k]) continue;
      for (R_xlen_t i = 0; i < sizes[k]; i++) targets[k][i] = NA_REAL;
    }
  }

  SEXP alpha = PROTECT(Rf_ScalarReal(res.alpha));
  SEXP scale = PROTECT(Rf_ScalarReal(res.scale));
  SEXP iterations = PROTECT(Rf_ScalarInteger(res.iterations));
  SEXP converged = PROTECT(Rf_ScalarLogical(res.converged));
  SEXP status_str = PROTECT(Rf_mkString(status_name(status)));
  SEXP message = PROTECT(Rf_mkString(res.msg));

  SET_VECTOR_ELT(out, 0, coef);
  SET_VECTOR_ELT(out, 1, bread);
  SET_VECTOR_ELT(out, 2, scores);
  SET_VECTOR_ELT(out, 3, dscores);
  SET_VECTOR_ELT(out, 4, fitted);
  SET_VECTOR_ELT(out, 5, eta);
  SET_VECTOR_ELT(out, 6, alpha);
  SET_VECTOR_ELT(out, 7, scale);
  SET_VECTOR_ELT(out, 8, iterations);
  SET_VECTOR_ELT(out, 9, converged);
  SET_VECTOR_ELT(out, 10, status_str);
  SET_VECTOR_ELT(out, 11, message);
  SET_VECTOR_ELT(out, 12, da);
  SET_VECTOR_ELT(out, 13, dr);
  UNPROTECT(15);
  return out;
}

/* Whether the answers' (person, wave) codes never decrease, person first:
 * whether order(person, wave), which is stable, would leave the rows as
 * they are. FALSE when a code is missing; NA for a negative wave code,
 * which the caller checks another way. One pass, no vectors. */
SEXP r_pairs_sorted(SEXP person, SEXP wave) {
  if (!Rf_isInteger(person) || !Rf_isInteger(wave) ||
      XLENGTH(person) != XLENGTH(wave)) {
    Rf_error("internal error: the answers' person and wave codes must be "
             "integer vectors of one length");
  }
  R_xlen_t n = XLENGTH(person);
  const int *p = INTEGER(person), *w = INTEGER(wave);
  int missing = 0, sorted = 1;
  for (R_xlen_t i = 0; i < n; i++) {
    if (p[i] == NA_INTEGER || w[i] == NA_INTEGER) {
      missing = 1;
      continue;
    }
    if (w[i] < 0) return Rf_ScalarLogical(NA_LOGICAL);
    if (sorted && i > 0 && p[i - 1] != NA_INTEGER && w[i - 1] != NA_INTEGER &&
        (p[i] < p[i - 1] || (p[i] == p[i - 1] && w[i] < w[i - 1]))) {
      sorted = 0;
    }
  }
  return Rf_ScalarLogical(sorted && !missing);
}

/* The answers' weights: weights[person, wave] for each answer of the n x
 * T matrix `weights` (as weights[(wave - 1) * n + person] reads them), NA
 * for a code that is missing or out of range. */
SEXP r_weights_at(SEXP weights, SEXP person, SEXP wave) {
  if (!Rf_isReal(weights) || !Rf_isMatrix(weights) || !Rf_isInteger(person) ||
      !Rf_isInteger(wave) || XLENGTH(person) != XLENGTH(wave)) {
    Rf_error("internal error: weights at answers need a double matrix and "
             "integer person and wave codes of one length");
  }
  R_xlen_t n = XLENGTH(person);
  int nr = Rf_nrows(weights), nc = Rf_ncols(weights);
  const int *p = INTEGER(person), *w = INTEGER(wave);
  const double *wt = REAL(weights);
  SEXP out = PROTECT(pa_alloc_vector(REALSXP, n));
  double *o = REAL(out);
  for (R_xlen_t i = 0; i < n; i++) {
    int pi = p[i], wi = w[i];
    o[i] = pi == NA_INTEGER || wi == NA_INTEGER || pi < 1 || pi > nr ||
           wi < 1 || wi > nc
               ? NA_REAL
               : wt[(size_t) (wi - 1) * (size_t) nr + (size_t) (pi - 1)];
  }
  UNPROTECT(1);
  return out;
}

/* R glue for the logistic regression kernel. Arguments arrive checked and
 * coerced by fit_logit() in R/models.R; the checks here only guard against
 * a broken caller. Statuses are returned, not raised, so that R can raise
 * a classed condition naming the stage and the variables involved. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <limits.h>

#include "entries.h"
#include "logit.h"
#include "r_memory.h"

static void check_interrupt(void) { R_CheckUserInterrupt(); }

static const char *status_name(int status) {
  switch (status) {
  case PA_LOGIT_OK: return "ok";
  case PA_LOGIT_COLLINEAR: return "collinear";
  case PA_LOGIT_SEPARATION: return "separation";
  case PA_LOGIT_NOT_CONVERGED: return "not_converged";
  case PA_LOGIT_MEMORY: return "memory";
  default: return "invalid";
  }
}

SEXP r_logit_fit(SEXP x, SEXP y, SEXP w, SEXP offset, SEXP firth,
                 SEXP control) {
  if (!Rf_isReal(x) || !Rf_isMatrix(x)) {
    Rf_error("internal error: `x` must be a double matrix");
  }
  R_xlen_t n = Rf_nrows(x);
  int p = Rf_ncols(x);
  /* no offset (NULL) is an offset of zeros to the kernel, without the
   * n zeros */
  if (!Rf_isReal(y) || XLENGTH(y) != n || !Rf_isReal(w) ||
      XLENGTH(w) != n ||
      (!Rf_isNull(offset) && (!Rf_isReal(offset) || XLENGTH(offset) != n))) {
    Rf_error("internal error: `y`, `w` and `offset` must be doubles of "
             "length nrow(x)");
  }
  if (!Rf_isLogical(firth) || XLENGTH(firth) != 1 ||
      LOGICAL(firth)[0] == NA_LOGICAL) {
    Rf_error("internal error: `firth` must be TRUE or FALSE");
  }
  if (!Rf_isReal(control) || XLENGTH(control) != 4) {
    Rf_error("internal error: `control` must be c(maxit, epsilon, threads, "
             "scores)");
  }
  if (n < 1 || p < 1 || n > INT_MAX) {
    Rf_error("internal error: `x` must have between 1 and INT_MAX rows and "
             "at least one column");
  }

  pa_logit_control ctl;
  double maxit = REAL(control)[0];
  pa_logit_control_init(&ctl, maxit >= 1 && maxit <= INT_MAX ? (int) maxit : 0,
                        REAL(control)[1], LOGICAL(firth)[0]);
  ctl.interrupt = check_interrupt;
  double threads = REAL(control)[2];
  ctl.threads = threads >= 1 && threads <= 1024 ? (int) threads : 1;
  if (!ctl.firth && (size_t) n >= PA_LOGIT_FLOAT_ROWS) {
    size_t count = (size_t) n * (size_t) p;
    float *xf = (float *) pa_R_alloc(count, sizeof(float));
    if (!pa_logit_float_copy(REAL(x), count, xf, ctl.threads)) ctl.xf = xf;
  }
  /* the n x p scores only on request: r (n) is enough to rebuild them */
  int want_scores = REAL(control)[3] != 0;

  const char *nms[] = {"coefficients", "vcov",       "fitted",
                       "linear_predictor", "deviance", "iterations",
                       "converged",    "scores",     "information",
                       "status",       "message",    "columns",
                       "residuals",    ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, nms));
  SEXP coef = PROTECT(Rf_allocVector(REALSXP, p));
  SEXP vcov = PROTECT(Rf_allocMatrix(REALSXP, p, p));
  SEXP fitted = PROTECT(pa_alloc_vector(REALSXP, n));
  SEXP eta = PROTECT(pa_alloc_vector(REALSXP, n));
  SEXP scores = PROTECT(want_scores ? pa_alloc_matrix(REALSXP, (int) n, p)
                                    : R_NilValue);
  SEXP info = PROTECT(Rf_allocMatrix(REALSXP, p, p));
  SEXP resid = PROTECT(pa_alloc_vector(REALSXP, n));

  /* R_alloc'd scratch is reclaimed by R even if an interrupt jumps out of
   * the kernel, which holds no other memory while it iterates. */
  size_t nwork = pa_logit_work_size((size_t) n, p, ctl.firth);
  double *work = (double *) pa_R_alloc(nwork, sizeof(double));
  int *flags = (int *) R_alloc((size_t) p, sizeof(int));

  pa_logit_result res;
  res.coef = REAL(coef);
  res.vcov = REAL(vcov);
  res.fitted = REAL(fitted);
  res.eta = REAL(eta);
  res.scores = want_scores ? REAL(scores) : NULL;
  res.resid = REAL(resid);
  res.info = REAL(info);
  res.columns = flags;
  const double *off = Rf_isNull(offset) ? NULL : REAL(offset);
  int status = pa_logit_fit(REAL(x), REAL(y), REAL(w), off,
                            (size_t) n, p, &ctl, work, &res);

  /* outputs the kernel leaves unset on early statuses are NA, not garbage */
  if (status == PA_LOGIT_COLLINEAR || status == PA_LOGIT_MEMORY ||
      status == PA_LOGIT_INVALID) {
    double *targets[] = {REAL(coef), REAL(vcov), REAL(fitted), REAL(eta),
                         REAL(info), REAL(resid),
                         want_scores ? REAL(scores) : NULL};
    R_xlen_t sizes[] = {p, (R_xlen_t) p * p, n, n, (R_xlen_t) p * p, n,
                        n * p};
    for (int k = 0; k < 7; k++) {
      if (!targets[k]) continue;
      for (R_xlen_t i = 0; i < sizes[k]; i++) targets[k][i] = NA_REAL;
    }
  }

  int ncol = 0;
  for (int j = 0; j < p; j++) ncol += flags[j] != 0;
  SEXP columns = PROTECT(Rf_allocVector(INTSXP, ncol));
  for (int j = 0, k = 0; j < p; j++) {
    if (flags[j]) INTEGER(columns)[k++] = j + 1;
  }
  SEXP deviance = PROTECT(Rf_ScalarReal(res.deviance));
  SEXP iterations = PROTECT(Rf_ScalarInteger(res.iterations));
  SEXP converged = PROTECT(Rf_ScalarLogical(res.converged));
  SEXP status_str = PROTECT(Rf_mkString(status_name(status)));
  SEXP message = PROTECT(Rf_mkString(res.msg));

  SET_VECTOR_ELT(out, 0, coef);
  SET_VECTOR_ELT(out, 1, vcov);
  SET_VECTOR_ELT(out, 2, fitted);
  SET_VECTOR_ELT(out, 3, eta);
  SET_VECTOR_ELT(out, 4, deviance);
  SET_VECTOR_ELT(out, 5, iterations);
  SET_VECTOR_ELT(out, 6, converged);
  SET_VECTOR_ELT(out, 7, scores);
  SET_VECTOR_ELT(out, 8, info);
  SET_VECTOR_ELT(out, 9, status_str);
  SET_VECTOR_ELT(out, 10, message);
  SET_VECTOR_ELT(out, 11, columns);
  SET_VECTOR_ELT(out, 12, resid);
  UNPROTECT(14);
  return out;
}

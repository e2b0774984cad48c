/* R glue for the calibration kernel. Failures the data can cause (an
 * empty category, collinear or unreachable margins, no convergence) come
 * back as a status in the result list, so that R can raise a classed
 * condition naming the margins; only wrong types, which the R wrapper
 * rules out, are errors here. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include "calibrate.h"
#include "entries.h"
#include "r_memory.h"

static void check_interrupt(void) { R_CheckUserInterrupt(); }

static const char *status_name(int status) {
  switch (status) {
  case PA_CAL_OK: return "ok";
  case PA_CAL_EMPTY: return "empty";
  case PA_CAL_COLLINEAR: return "collinear";
  case PA_CAL_INFEASIBLE: return "infeasible";
  case PA_CAL_NOT_CONVERGED: return "not_converged";
  case PA_CAL_MEMORY: return "memory";
  default: return "invalid";
  }
}

SEXP r_calibrate(SEXP x, SEXP d, SEXP totals, SEXP calfun, SEXP bounds,
                 SEXP control) {
  if (TYPEOF(x) != REALSXP || !Rf_isMatrix(x) || TYPEOF(d) != REALSXP ||
      TYPEOF(totals) != REALSXP || TYPEOF(calfun) != INTSXP ||
      XLENGTH(calfun) != 1 || TYPEOF(bounds) != REALSXP ||
      XLENGTH(bounds) != 2 || TYPEOF(control) != REALSXP ||
      XLENGTH(control) != 2) {
    Rf_error("internal error: calibrate() called with wrong types");
  }
  SEXP dim = Rf_getAttrib(x, R_DimSymbol);
  R_xlen_t n = INTEGER(dim)[0];
  int p = INTEGER(dim)[1];
  if (XLENGTH(d) != n || XLENGTH(totals) != p) {
    Rf_error("internal error: calibrate() called with mismatched lengths");
  }

  pa_cal_control ctl;
  ctl.calfun = INTEGER(calfun)[0];
  ctl.lower = REAL(bounds)[0];
  ctl.upper = REAL(bounds)[1];
  double maxit = REAL(control)[0];
  ctl.maxit = maxit > 1e9 ? 1000000000 : (int) maxit;
  ctl.epsilon = REAL(control)[1];
  ctl.interrupt = check_interrupt;

  SEXP g = PROTECT(pa_alloc_vector(REALSXP, n));
  SEXP w = PROTECT(pa_alloc_vector(REALSXP, n));
  SEXP lambda = PROTECT(Rf_allocVector(REALSXP, p));
  SEXP jacobian = PROTECT(Rf_allocMatrix(REALSXP, p, p));
  SEXP columns = PROTECT(Rf_allocVector(INTSXP, p));

  double *work = (double *) pa_R_alloc(pa_calibrate_work_size((size_t) n, p),
                                    sizeof(double));
  int *iwork = (int *) R_alloc(pa_calibrate_iwork_size(p), sizeof(int));
  pa_cal_result res;
  res.g = REAL(g);
  res.w = REAL(w);
  res.lambda = REAL(lambda);
  res.jacobian = REAL(jacobian);
  res.columns = INTEGER(columns);
  int status = pa_calibrate(REAL(x), (size_t) n, p, REAL(d), REAL(totals),
                            &ctl, work, iwork, &res);

  const char *nms[] = {"weights", "g", "lambda", "iterations", "converged",
                       "jacobian", "status", "message", "columns", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, nms));
  if (status == PA_CAL_OK) {
    SET_VECTOR_ELT(out, 0, w);
    SET_VECTOR_ELT(out, 1, g);
    SET_VECTOR_ELT(out, 2, lambda);
    SET_VECTOR_ELT(out, 5, jacobian);
  }
  SEXP iterations = Rf_ScalarInteger(res.iterations);
  SET_VECTOR_ELT(out, 3, iterations);
  SEXP converged = Rf_ScalarLogical(res.converged);
  SET_VECTOR_ELT(out, 4, converged);
  SEXP status_str = Rf_mkString(status_name(status));
  SET_VECTOR_ELT(out, 6, status_str);
  SEXP message = Rf_mkString(res.msg);
  SET_VECTOR_ELT(out, 7, message);
  SEXP cols = Rf_allocVector(INTSXP, res.ncolumns);
  SET_VECTOR_ELT(out, 8, cols);
  for (int k = 0; k < res.ncolumns; k++) {
    INTEGER(cols)[k] = res.columns[k] + 1;
  }
  UNPROTECT(6);
  return out;
}

/* Registration of the C entry points, with their exact arity. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>
#include <R_ext/Visibility.h>

SEXP r_read_survey(SEXP path, SEXP delim, SEXP decimal, SEXP encoding,
                   SEXP header, SEXP na, SEXP type_names, SEXP type_values,
                   SEXP strict);
SEXP r_libcsv_version(void);

static const R_CallMethodDef call_methods[] = {
    {"read_survey", (DL_FUNC) &r_read_survey, 9},
    {"libcsv_version", (DL_FUNC) &r_libcsv_version, 0},
    {NULL, NULL, 0}};

void attribute_visible R_init_panelattrition(DllInfo *dll) {
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}

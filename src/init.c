/* Registration of the C entry points, with their exact arity. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>
#include <R_ext/Visibility.h>

SEXP r_read_survey(SEXP path, SEXP delim, SEXP decimal, SEXP encoding,
                   SEXP header, SEXP na, SEXP type_names, SEXP type_values,
                   SEXP strict, SEXP fix_names);
SEXP r_file_regular(SEXP path);
SEXP r_libcsv_version(void);
SEXP r_logit_fit(SEXP x, SEXP y, SEXP w, SEXP offset, SEXP firth,
                 SEXP control);
SEXP r_calibrate(SEXP x, SEXP d, SEXP totals, SEXP calfun, SEXP bounds,
                 SEXP control);
SEXP r_gee_fit(SEXP x, SEXP y, SEXP w, SEXP time, SEXP size, SEXP family,
               SEXP corstr, SEXP control);
SEXP r_boot_replicates(SEXP spec, SEXP draws, SEXP seed, SEXP type,
                       SEXP indices, SEXP threads);
SEXP r_boot_draws(SEXP n, SEXP seed, SEXP type, SEXP indices);
SEXP r_crossprod_xa(SEXP x, SEXP a);
SEXP r_x_times_b(SEXP x, SEXP b);
SEXP r_main_effects(SEXP cols, SEXP rows, SEXP is_factor, SEXP first,
                    SEXP ncol);

/* Going through void (*)(void), the type GCC treats as generic, keeps
 * -Wcast-function-type quiet about the cast to DL_FUNC. */
#define CALLDEF(name, fun, n) {name, (DL_FUNC) (void (*)(void)) &fun, n}

static const R_CallMethodDef call_methods[] = {
    CALLDEF("read_survey", r_read_survey, 10),
    CALLDEF("file_regular", r_file_regular, 1),
    CALLDEF("libcsv_version", r_libcsv_version, 0),
    CALLDEF("logit_fit", r_logit_fit, 6),
    CALLDEF("calibrate", r_calibrate, 6),
    CALLDEF("gee_fit", r_gee_fit, 8),
    CALLDEF("boot_replicates", r_boot_replicates, 6),
    CALLDEF("boot_draws", r_boot_draws, 4),
    CALLDEF("crossprod_xa", r_crossprod_xa, 2),
    CALLDEF("x_times_b", r_x_times_b, 2),
    CALLDEF("main_effects", r_main_effects, 5),
    {NULL, NULL, 0}};

void attribute_visible R_init_panelattrition(DllInfo *dll) {
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}

/* Registration of the C entry points, with their exact arity. */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>
#include <R_ext/Visibility.h>

#include "entries.h"

/* Going through void (*)(void), the type GCC treats as generic, keeps
 * -Wcast-function-type quiet about the cast to DL_FUNC. */
#define CALLDEF(name, fun, n) {name, (DL_FUNC) (void (*)(void)) &fun, n}

static const R_CallMethodDef call_methods[] = {
    CALLDEF("read_survey", r_read_survey, 10),
    CALLDEF("file_regular", r_file_regular, 1),
    CALLDEF("libcsv_version", r_libcsv_version, 0),
    CALLDEF("logit_fit", r_logit_fit, 6),
    CALLDEF("calibrate", r_calibrate, 6),
    CALLDEF("gee_fit", r_gee_fit, 12),
    CALLDEF("boot_replicates", r_boot_replicates, 6),
    CALLDEF("boot_draws", r_boot_draws, 4),
    CALLDEF("boot_design_draws", r_boot_design_draws, 3),
    CALLDEF("crossprod_xa", r_crossprod_xa, 2),
    CALLDEF("x_times_b", r_x_times_b, 2),
    CALLDEF("main_effects", r_main_effects, 5),
    CALLDEF("cell_means", r_cell_means, 7),
    CALLDEF("stage_gradient", r_stage_gradient, 6),
    CALLDEF("influence_total", r_influence_total, 3),
    CALLDEF("influence_vcov", r_influence_vcov, 5),
    CALLDEF("tipping_cross", r_tipping_cross, 9),
    CALLDEF("split_rows", r_split_rows, 3),
    CALLDEF("tipping_shares", r_tipping_shares, 6),
    CALLDEF("column_sums", r_column_sums, 1),
    CALLDEF("influence_columns", r_influence_columns, 5),
    CALLDEF("cell_fit", r_cell_fit, 6),
    CALLDEF("cell_split", r_cell_split, 7),
    CALLDEF("psu_counts", r_psu_counts, 2),
    CALLDEF("value_counts", r_value_counts, 3),
    CALLDEF("pairs_sorted", r_pairs_sorted, 2),
    CALLDEF("weights_at", r_weights_at, 3),
    {NULL, NULL, 0}};

void attribute_visible R_init_panelattrition(DllInfo *dll) {
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}

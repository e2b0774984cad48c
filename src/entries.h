/* Prototypes of the .Call entry points (the r_*.c glue), shared by their
 * definitions and by the registration in init.c, so that a change of
 * arity shows up at compile time in both. Glue only: kernels never
 * include this header. */
#ifndef PA_ENTRIES_H
#define PA_ENTRIES_H

#ifndef R_NO_REMAP
#define R_NO_REMAP
#endif
#include <Rinternals.h>

SEXP r_read_survey(SEXP path, SEXP delim, SEXP decimal, SEXP encoding,
                   SEXP header, SEXP na, SEXP type_names, SEXP type_values,
                   SEXP strict, SEXP fix_names);
SEXP r_file_regular(SEXP path);
SEXP r_libcsv_version(void);
SEXP r_logit_fit(SEXP x, SEXP y, SEXP w, SEXP offset, SEXP firth,
                 SEXP control);
SEXP r_calibrate(SEXP x, SEXP d, SEXP totals, SEXP calfun, SEXP bounds,
                 SEXP control);
SEXP r_gee_fit(SEXP x, SEXP code, SEXP y, SEXP w, SEXP time, SEXP size,
               SEXP family, SEXP corstr, SEXP control, SEXP equations,
               SEXP base, SEXP want);
SEXP r_boot_replicates(SEXP spec, SEXP draws, SEXP seed, SEXP type,
                       SEXP indices, SEXP threads);
SEXP r_boot_draws(SEXP n, SEXP seed, SEXP type, SEXP indices);
SEXP r_boot_design_draws(SEXP design, SEXP seed, SEXP indices);
SEXP r_crossprod_xa(SEXP x, SEXP a);
SEXP r_x_times_b(SEXP x, SEXP b);
SEXP r_main_effects(SEXP cols, SEXP rows, SEXP is_factor, SEXP first,
                    SEXP ncol);
SEXP r_cell_means(SEXP person, SEXP cell, SEXP w, SEXP y, SEXP n, SEXP q,
                  SEXP dense);
SEXP r_stage_gradient(SEXP x, SEXP factor, SEXP risk, SEXP feeds, SEXP n,
                      SEXP q);
SEXP r_influence_vcov(SEXP infl, SEXP psu, SEXP strata, SEXP pop,
                      SEXP rule);
SEXP r_influence_total(SEXP phi, SEXP updates, SEXP scale);
SEXP r_split_rows(SEXP x, SEXP key, SEXP k);
SEXP r_value_counts(SEXP y, SEXP wave, SEXP n_codes);
SEXP r_pairs_sorted(SEXP person, SEXP wave);
SEXP r_weights_at(SEXP weights, SEXP person, SEXP wave);
SEXP r_cell_split(SEXP y, SEXP wave, SEXP n_codes, SEXP group,
                  SEXP group_slot, SEXP want_wave, SEXP want_values);
SEXP r_column_sums(SEXP w);
SEXP r_psu_counts(SEXP strata, SEXP psu);
SEXP r_influence_columns(SEXP person, SEXP cell, SEXP v, SEXP scale,
                         SEXP q);
SEXP r_cell_fit(SEXP members, SEXP values, SEXP person, SEXP wave,
                SEXP weights, SEXP columns);
SEXP r_tipping_shares(SEXP person, SEXP members, SEXP grp, SEXP d, SEXP n,
                      SEXP mean);
SEXP r_tipping_cross(SEXP values, SEXP rows, SEXP cols, SEXP groups, SEXP n,
                     SEXP psu, SEXP strata, SEXP pop, SEXP rule);

#endif

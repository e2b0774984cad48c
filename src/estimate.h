/* The estimators' numerical core: cell totals and Hajek means, influence
 * values, the weight-derivative products of the sandwich, and the
 * aggregation of influence values into a covariance (people as units, or
 * a stratified cluster design). Plain arrays, column-major, no R headers;
 * the glue is r_estimate.c. */
#ifndef PA_ESTIMATE_H
#define PA_ESTIMATE_H

#include <stddef.h>

/* pa_cell_means() of one cell whose m entries come in one run: weights
 * w, values y (turned into their residuals in place), v[e] = w[e] resid[e]
 * (v may be w itself); the cell's sum_w, sum_w2, count, estimate and
 * sum_wr2, with the same sums, in the same order and precision. A table's
 * cells fitted one after the other keep each cell's entries in cache
 * between the passes. */
void pa_cell_run(size_t m, double *w, double *y, double na, double *sum_w,
                 double *sum_w2, int *count, double *estimate,
                 double *sum_wr2, double *v);

/* Hajek means of q cells from m entries (a respondent's value in a cell):
 * entry e is person person[e] (0-based, < n) in cell cell[e] (0-based, < q)
 * with weight w[e] and value y[e]. Entries of one cell are summed in their
 * order, in long double (as R's sum()). Fills sum_w, sum_w2 (sum of w^2),
 * count and estimate (sum w y / sum w; `na` for an empty cell); resid[e] =
 * y[e] - estimate[cell[e]] and phi (n x q, zero on entry) at (person,
 * cell) = w resid (phi NULL: not formed); sum_wr2 (NULL: not formed) the
 * sum of w (resid * resid) per cell, in the same order and precision (as
 * R's sum(w * (y - estimate)^2)). resid may be y itself (each value
 * turned into its residual in place). */
void pa_cell_means(size_t m, const int *person, const int *cell,
                   const double *w, const double *y, size_t n, int q,
                   double na, double *sum_w, double *sum_w2, int *count,
                   double *estimate, double *resid, double *phi,
                   double *sum_wr2);

/* Per column j of the n x k matrix w: the sum of its values and of their
 * squares w * w, skipping NA and NaN, each in long double in row order (as
 * R's colSums(w, na.rm = TRUE) and colSums(w^2, na.rm = TRUE)). */
void pa_column_sums(const double *w, size_t n, int k, double *sum,
                    double *sum_sq);

/* The shift of each of q table rows under delta adjustment: row r
 * (members[r] non-NULL) has the respondents person[members[r][i]] (i <
 * n_members[r]) and the group's baseline people grp[r][0..n_grp[r]-1]
 * (distinct) with base weights d; people index stamp and d, members index
 * person, all counting from `base` (0 or 1).
 * ok[r] = 1 when every respondent is among the group's people, else 0
 * (-1: row skipped). For ok rows with mean[r] non-zero: with a_i = 1 for
 * the group's people who answered and d_i their weights, size[r] = sum
 * d_i, share[r] = sum d_i (1 - a_i) / size[r], each sum in long double in
 * the group's order (as R's sum()), and answered[r][i] = a_i for the
 * group's people in their order (the row's shift values d_i ((1 - a_i) -
 * share) / size are made from them where they are read: pa_sparse_col).
 * stamp: n ints of scratch, zero on entry. */
void pa_tipping_shares(int q, const int *const *members,
                       const size_t *n_members, const int *person,
                       const int *const *grp, const size_t *n_grp,
                       const double *d, const int *mean, int base,
                       int *stamp, int *ok, double *share, double *size,
                       unsigned char *const *answered);

/* One wave's derivative of the estimating functions, d phi / d log w_t:
 * `rows` person indices (0-based), each row with either one value v[r] in
 * column col[r] (col non-NULL) or a dense row of q values, v[i + ld k]
 * for k < q with i = r, or i = sel[r] when sel is non-NULL (rows of a
 * larger matrix, read where they are), or (x non-NULL) a row of q values
 * formed from factors as an independence GEE's weight derivatives are
 * (gee.h): with i = sel[r] and x_k element k of row xcode[i] (0-based; row
 * i when xcode is NULL) of x (ldx rows), t = (fa[i] x_k) fr[i] and the
 * value (t + t) / (2 fw[i]). */
typedef struct {
  size_t m;
  const int *rows;
  const int *col;
  const double *v;
  const double *wt;  /* the wave's weight of each person (NA and NaN read
                        as 0) */
  const int *sel;
  size_t ld;
  const double *x;   /* the factor form: NULL otherwise */
  size_t ldx;
  const int *xcode;  /* indexed by sel[r], like fa, fr and fw */
  const double *fa, *fr, *fw;
} pa_dphi;

/* Marks in used[k] (q, zeroed by the caller) the columns of a wave's
 * derivative with an entry other than 0 (NaN counts). */
void pa_dphi_used(const pa_dphi *d, int q, int *used);

/* G_s' = X_s' diag(factor) E for one weighting stage: X_s (n_risk x p) its
 * design matrix, slot[i] the row of person i among the stage's people at
 * risk (-1 when not at risk), E (n_risk x nc, zeroed scratch) the sum over
 * the waves the stage feeds (in their order) of the rows of w_t d phi/dw_t
 * for the columns cols[0..nc-1] of q (pos: q ints of scratch). out is
 * p x nc. The products are the
 * four-lane sums of pa_crossprod_vec(), as X'A elsewhere in the sandwich. */
void pa_stage_gradient(const pa_dphi *feeds, int n_feeds, const int *slot,
                       const double *x, size_t n_risk, int p,
                       const double *factor, int q, const int *cols, int nc,
                       int *pos, double *e, double *out);

/* pa_stage_gradient() without the n_risk x nc matrix E: the rows at risk
 * are taken PA_STAGE_BLOCK at a time, each block's rows of E formed in eb
 * (PA_STAGE_BLOCK x nc scratch) from the entries that fall in it and
 * multiplied into four-lane sums carried from block to block (lanes: nc x
 * p x 4 scratch), so that every element of E gets the same additions in
 * the same order and out the same bits. The entries are read in runs
 * whose rows at risk do not decrease: run u is entries run_start[u] ..
 * run_end[u] - 1 of feed run_feed[u] (runs in feed order, then entry
 * order; cursor: n_runs scratch). pa_stage_runs() finds them. */
#define PA_STAGE_BLOCK 1024
void pa_stage_gradient_runs(const pa_dphi *feeds, const int *slot,
                            const double *x, size_t n_risk, int p,
                            const double *factor, const int *cols, int nc,
                            const int *pos, const int *run_feed,
                            const size_t *run_start, const size_t *run_end,
                            int n_runs, size_t *cursor, double *eb,
                            double *lanes, double *out);

/* The runs of pa_stage_gradient_runs(): counts them, and with run_feed
 * (etc.) non-NULL stores them. Entries whose person is not at risk
 * (slot -1) belong to the run they sit in. Returns the number of runs. */
int pa_stage_runs(const pa_dphi *feeds, int n_feeds, const int *slot,
                  int *run_feed, size_t *run_start, size_t *run_end);

/* Covariance of the totals of influence values `infl` (n x q), people as
 * independent units: n/(n-1) times the centred cross-product, taken a
 * block of PA_VCOV_BLOCK rows at a time. scratch: PA_VCOV_SCRATCH(q)
 * doubles. */
#define PA_VCOV_BLOCK 1024
#define PA_VCOV_SCRATCH(q) \
  ((size_t) (q) * (1 + 4 * (size_t) (q) + (size_t) PA_VCOV_BLOCK))
void pa_vcov_iid(const double *infl, size_t n, int q, double *scratch,
                 double *out);

/* The same under a stratified cluster design (sampling.R): row i of infl
 * is in PSU psu[i] (1..n_psu_codes) of stratum strata[i] (1..n_strata),
 * with pop[i] the population count of PSUs of its stratum (NULL: none,
 * non-finite: none for that stratum). rule: 0 "fail"/"remove", 1
 * "adjust", 2 "average". Scratch: z (n_psu_codes x q), and the int and
 * double work arrays of n_psu_codes + n_strata + 2 elements. */
void pa_vcov_design(const double *infl, size_t n, int q, const int *psu,
                    const int *strata, const double *pop, int n_psu_codes,
                    int n_strata, int rule, double *z, int *iwork,
                    double *dwork, double *out);

/* A column of an n x q matrix held by its entries other than 0: entry e
 * at row pos[e] - base (0-based, strictly increasing) with value v[e]. */
typedef struct {
  size_t m;
  const int *pos;
  const double *v; /* NULL: a shift column, made from the fields below */
  int base; /* pos counts from 0 or from 1 (read as pos[e] - base) */
  /* a row's dropout shift (pa_tipping_shares()): value e is d[e] ((1 -
   * answered[e]) - share) / size */
  const double *d;
  const unsigned char *answered;
  double share, size;
} pa_sparse_col;

/* Value e of a sparse column: stored, or made from a shift column's
 * fields (the same operations, in the same order, as storing it). */
static inline double pa_sparse_value(const pa_sparse_col *c, size_t e) {
  if (c->v) return c->v[e];
  double s1 = c->answered[e] ? 0.0 : 1.0;
  return c->d[e] * (s1 - c->share) / c->size;
}

/* pa_vcov_iid() of the n x q matrix whose columns are cols[0..q-1], to
 * the last bit, without forming it. scratch: PA_VCOV_SCRATCH(q) doubles;
 * cursor: q of scratch. */
void pa_vcov_iid_sparse(const pa_sparse_col *cols, size_t n, int q,
                        double *scratch, size_t *cursor, double *out);

/* pa_vcov_design() of the same matrix (psu, strata and pop for its n
 * rows), to the last bit. */
void pa_vcov_design_sparse(const pa_sparse_col *cols, size_t n, int q,
                           const int *psu, const int *strata,
                           const double *pop, int n_psu_codes, int n_strata,
                           int rule, double *z, int *iwork, double *dwork,
                           double *out);

/* Adds a weighting stage's U_s P_s H_s to the influence totals `total`
 * (n x q, column-major) on the rows risk[0..n_risk-1] (0-based, distinct)
 * and the columns cols[0..nc-1]: for a response model (x non-NULL, n_risk
 * x p) r_i (X m)_ic with its residuals r and m (p x nc); otherwise the
 * dense n_risk x nc matrix m. acc: `chunk` doubles of scratch. Each
 * element of X m is summed over j in order, as pa_x_times_b() sums it. */
void pa_add_scores(double *total, size_t n, const int *risk, size_t n_risk,
                   const int *cols, int nc, const double *r, const double *x,
                   int p, const double *m, double *acc, size_t chunk);

/* Divides column k of total (n x q) by by[k]. */
void pa_scale_columns(double *total, size_t n, int q, const double *by);

/* -total D^{-T} in place (the rows of total, n x q, each solved against D
 * as solve(D, t(total)) solves its columns), from D's LU factors lu and
 * pivots piv (pa_lu_factor()). buf: q * chunk doubles of scratch. Returns
 * LAPACK's info (0: solved). */
int pa_solve_rows(double *total, size_t n, int q, const double *lu,
                  const int *piv, double *buf, size_t chunk);

#endif

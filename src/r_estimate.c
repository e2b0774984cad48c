/* R glue for the estimators' kernel (estimate.c): checks types as an
 * internal assertion, turns R's 1-based indices into 0-based ones and
 * allocates the results; the arguments were checked in R (estimate.R,
 * variance.R, sampling.R). */
#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "entries.h"
#include "estimate.h"
#include "linalg.h"
#include "r_memory.h"

static SEXP influence_total(SEXP phi, SEXP updates, SEXP scale, int solve,
                            int copy);
static void sort_column(int *rows, double *vals, R_xlen_t len);

/* 0-based copy of elements from..from + m - 1 (0-based) of a 1-based
 * integer index vector, each below `limit`. */
static int *zero_based_range(SEXP idx, R_xlen_t from, R_xlen_t m,
                             R_xlen_t limit, const char *what) {
  int *out = (int *) pa_R_alloc((size_t) (m > 0 ? m : 1), sizeof(int));
  const int *v = INTEGER(idx) + from;
  for (R_xlen_t i = 0; i < m; i++) {
    if (v[i] == NA_INTEGER || v[i] < 1 || v[i] > limit) {
      Rf_error("internal error: %s index out of range", what);
    }
    out[i] = v[i] - 1;
  }
  return out;
}

/* 0-based copy of a 1-based integer index vector, each below `limit`. */
static int *zero_based(SEXP idx, R_xlen_t limit, const char *what) {
  return zero_based_range(idx, 0, XLENGTH(idx), limit, what);
}

/* The entries of q cells and their fit (pa_cell_run()): members[[k]]
 * rows (1-based) of the answers whose people are person and waves wave,
 * values[[k]] their values (double, as long), weights the n x waves
 * matrix read at (person, wave). Returns the fit with each entry's person
 * and cell (1-based), v = w resid (the estimating functions' entries),
 * the residuals and each cell's number of entries (len).
 *
 * With `columns` TRUE the entries are not kept: instead each cell's
 * influence values as a sparse column (as r_influence_columns() makes
 * them from the entries with scale sum_w, or 1 where sum_w is not
 * positive, NA where it is missing): list(rows = the people, increasing,
 * values = v / scale), in `columns` (person, cell, v and resid NULL). */
SEXP r_cell_fit(SEXP members, SEXP values, SEXP person, SEXP wave,
                SEXP weights, SEXP columns) {
  if (TYPEOF(members) != VECSXP || TYPEOF(values) != VECSXP ||
      XLENGTH(values) != XLENGTH(members) || !Rf_isInteger(person) ||
      !Rf_isInteger(wave) || XLENGTH(wave) != XLENGTH(person) ||
      !Rf_isReal(weights) || !Rf_isMatrix(weights)) {
    Rf_error("internal error: cells' members and values, the answers' "
             "people and waves, and the weights do not match");
  }
  int as_columns = Rf_asLogical(columns) == TRUE;
  int q = (int) XLENGTH(members);
  size_t nn = (size_t) Rf_nrows(weights);
  int n_wave = Rf_ncols(weights);
  R_xlen_t n_rows = XLENGTH(person);
  const int *pers = INTEGER(person), *wv = INTEGER(wave);
  const double *wts = REAL(weights);
  SEXP len = PROTECT(Rf_allocVector(INTSXP, q));
  size_t m = 0, longest = 0;
  for (int k = 0; k < q; k++) {
    SEXP mk = VECTOR_ELT(members, k), vk = VECTOR_ELT(values, k);
    if (!Rf_isInteger(mk) || !Rf_isReal(vk) || XLENGTH(vk) != XLENGTH(mk)) {
      Rf_error("internal error: a cell's members and values do not match");
    }
    INTEGER(len)[k] = (int) XLENGTH(mk);
    m += (size_t) XLENGTH(mk);
    if ((size_t) XLENGTH(mk) > longest) longest = (size_t) XLENGTH(mk);
  }
  /* each entry's person and cell (1-based), weight (in v, made w *
   * resid by the kernel) and value (in resid, made the residual): a cell
   * is gathered and then fitted (pa_cell_run()) while its entries are in
   * cache; no other per-entry buffers. As columns: a cell's people and
   * weights go straight into its column, its values into a scratch
   * buffer of the longest cell's length. */
  R_xlen_t m_entries = as_columns ? 0 : (R_xlen_t) m;
  SEXP cols = PROTECT(as_columns ? Rf_allocVector(VECSXP, q) : R_NilValue);
  SEXP e_person = PROTECT(as_columns ? R_NilValue :
                            pa_alloc_vector(INTSXP, m_entries));
  SEXP e_cell = PROTECT(as_columns ? R_NilValue :
                          pa_alloc_vector(INTSXP, m_entries));
  SEXP v = PROTECT(as_columns ? R_NilValue :
                     pa_alloc_vector(REALSXP, m_entries));
  SEXP resid = PROTECT(as_columns ? R_NilValue :
                         pa_alloc_vector(REALSXP, m_entries));
  int *ep = NULL, *ec = NULL;
  double *we = NULL, *y = NULL;
  if (as_columns) {
    y = (double *) pa_R_alloc(longest > 0 ? longest : 1, sizeof(double));
  } else {
    ep = INTEGER(e_person);
    ec = INTEGER(e_cell);
    we = REAL(v);
    y = REAL(resid);
  }
  const char *names[] = {"estimate", "sum_w", "sum_w2", "n", "resid",
                         "sum_wr2", "person", "cell", "v", "len",
                         "columns", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP est = PROTECT(Rf_allocVector(REALSXP, q));
  SEXP sw = PROTECT(Rf_allocVector(REALSXP, q));
  SEXP sw2 = PROTECT(Rf_allocVector(REALSXP, q));
  SEXP cnt = PROTECT(Rf_allocVector(INTSXP, q));
  SEXP swr2 = PROTECT(Rf_allocVector(REALSXP, q));
  size_t e = 0;
  for (int k = 0; k < q; k++) {
    SEXP mk = VECTOR_ELT(members, k);
    const int *rows = INTEGER(mk);
    const double *vals = REAL(VECTOR_ELT(values, k));
    R_xlen_t n_mk = XLENGTH(mk);
    int *pk;
    double *wk, *yk;
    if (as_columns) {
      SEXP col = PROTECT(Rf_allocVector(VECSXP, 2));
      SET_VECTOR_ELT(col, 0, pa_alloc_vector(INTSXP, n_mk));
      SET_VECTOR_ELT(col, 1, pa_alloc_vector(REALSXP, n_mk));
      SET_VECTOR_ELT(cols, k, col);
      UNPROTECT(1);
      pk = INTEGER(VECTOR_ELT(col, 0));
      wk = REAL(VECTOR_ELT(col, 1));
      yk = y;
    } else {
      pk = ep + e;
      wk = we + e;
      yk = y + e;
      for (R_xlen_t i = 0; i < n_mk; i++) ec[e + (size_t) i] = k + 1;
    }
    for (R_xlen_t i = 0; i < n_mk; i++) {
      int r = rows[i];
      if (r == NA_INTEGER || r < 1 || r > n_rows) {
        Rf_error("internal error: a cell's member is not an answer");
      }
      int pi = pers[r - 1], ti = wv[r - 1];
      if (pi == NA_INTEGER || pi < 1 || (size_t) pi > nn ||
          ti == NA_INTEGER || ti < 1 || ti > n_wave) {
        Rf_error("internal error: an answer's person or wave is out of "
                 "range");
      }
      pk[i] = pi;
      wk[i] = wts[(size_t) (ti - 1) * nn + (size_t) (pi - 1)];
      yk[i] = vals[i];
    }
    e += (size_t) n_mk;
    pa_cell_run((size_t) n_mk, wk, yk, NA_REAL, REAL(sw) + k, REAL(sw2) + k,
                INTEGER(cnt) + k, REAL(est) + k, REAL(swr2) + k, wk);
    if (as_columns) {
      /* scale as solve_cells() makes it, -(-ifelse(sum_w > 0, sum_w, 1)):
       * NA where sum_w is NaN */
      double s_k = REAL(sw)[k];
      double scale = ISNAN(s_k) ? NA_REAL : (s_k > 0 ? s_k : 1.0);
      for (R_xlen_t i = 0; i < n_mk; i++) wk[i] = wk[i] / scale;
      sort_column(pk, wk, n_mk);
    }
  }
  SEXP parts[] = {est, sw, sw2, cnt, resid, swr2, e_person, e_cell, v, len,
                  cols};
  for (int j = 0; j < 11; j++) SET_VECTOR_ELT(out, j, parts[j]);
  UNPROTECT(12);
  return out;
}

/* Entries (person, cell, v) as q sparse columns: list(rows, values) per
 * cell, values v / scale[cell] (scale per cell), rows (the entries'
 * people, 1-based) strictly increasing (the entries of a cell sorted by
 * person when they are not). */
typedef struct {
  int row;
  double v;
} row_value;

static int by_row(const void *a, const void *b) {
  int x = ((const row_value *) a)->row, y = ((const row_value *) b)->row;
  return (x > y) - (x < y);
}

/* Puts a column's len rows (and their values) in increasing order when
 * they are not; a row twice is an internal error. */
static void sort_column(int *rows, double *vals, R_xlen_t len) {
  int sorted = 1;
  for (R_xlen_t i = 1; i < len && sorted; i++) {
    if (rows[i] <= rows[i - 1]) sorted = 0;
  }
  if (sorted) return;
  row_value *buf = (row_value *) pa_R_alloc((size_t) len, sizeof(row_value));
  for (R_xlen_t i = 0; i < len; i++) {
    buf[i].row = rows[i];
    buf[i].v = vals[i];
  }
  qsort(buf, (size_t) len, sizeof(row_value), by_row);
  for (R_xlen_t i = 0; i < len; i++) {
    if (i > 0 && buf[i].row == buf[i - 1].row) {
      Rf_error("internal error: a cell holds a person twice");
    }
    rows[i] = buf[i].row;
    vals[i] = buf[i].v;
  }
}

/* The sparse columns of the cells k with take[k] (all cells when take is
 * NULL), in cell order, from m entries (1-based person pe and cell ce,
 * value ve, divided by sc[cell]); the entries were checked. */
static SEXP entry_columns(R_xlen_t m, const int *pe, const int *ce,
                          const double *ve, const double *sc, int qq,
                          const int *take) {
  R_xlen_t *count = (R_xlen_t *) R_alloc((size_t) qq + 1, sizeof(R_xlen_t));
  int *slot = (int *) R_alloc((size_t) qq + 1, sizeof(int));
  int nk = 0;
  for (int k = 0; k < qq; k++) {
    count[k] = 0;
    slot[k] = !take || take[k] ? nk++ : -1;
  }
  for (R_xlen_t e = 0; e < m; e++) count[ce[e] - 1]++;
  SEXP out = PROTECT(Rf_allocVector(VECSXP, nk));
  int **rows = (int **) R_alloc((size_t) qq + 1, sizeof(int *));
  double **vals = (double **) R_alloc((size_t) qq + 1, sizeof(double *));
  for (int k = 0; k < qq; k++) {
    if (slot[k] < 0) continue;
    SEXP col = PROTECT(Rf_allocVector(VECSXP, 2));
    SET_VECTOR_ELT(col, 0, pa_alloc_vector(INTSXP, count[k]));
    SET_VECTOR_ELT(col, 1, pa_alloc_vector(REALSXP, count[k]));
    rows[k] = INTEGER(VECTOR_ELT(col, 0));
    vals[k] = REAL(VECTOR_ELT(col, 1));
    SET_VECTOR_ELT(out, slot[k], col);
    UNPROTECT(1);
    count[k] = 0;
  }
  for (R_xlen_t e = 0; e < m; e++) {
    int k = ce[e] - 1;
    if (slot[k] < 0) continue;
    R_xlen_t at = count[k]++;
    rows[k][at] = pe[e];
    vals[k][at] = ve[e] / sc[k];
  }
  for (int k = 0; k < qq; k++) {
    if (slot[k] < 0) continue;
    sort_column(rows[k], vals[k], count[k]);
  }
  UNPROTECT(1);
  return out;
}

SEXP r_influence_columns(SEXP person, SEXP cell, SEXP v, SEXP scale,
                         SEXP q) {
  int qq = Rf_asInteger(q);
  R_xlen_t m = XLENGTH(person);
  if (!Rf_isInteger(person) || !Rf_isInteger(cell) || !Rf_isReal(v) ||
      !Rf_isReal(scale) || XLENGTH(cell) != m || XLENGTH(v) != m ||
      qq == NA_INTEGER || qq < 0 || XLENGTH(scale) != qq) {
    Rf_error("internal error: entries and scales do not match");
  }
  const int *pe = INTEGER(person), *ce = INTEGER(cell);
  for (R_xlen_t e = 0; e < m; e++) {
    if (ce[e] == NA_INTEGER || ce[e] < 1 || ce[e] > qq ||
        pe[e] == NA_INTEGER || pe[e] < 1) {
      Rf_error("internal error: an entry is out of range");
    }
  }
  return entry_columns(m, pe, ce, REAL(v), REAL(scale), qq, NULL);
}

/* pa_column_sums() of a double matrix (a vector: one column): list(sum,
 * sum_sq). */
SEXP r_column_sums(SEXP w) {
  if (!Rf_isReal(w)) {
    Rf_error("internal error: column sums need double values");
  }
  int k = Rf_isMatrix(w) ? Rf_ncols(w) : 1;
  size_t rows = Rf_isMatrix(w) ? (size_t) Rf_nrows(w) : (size_t) XLENGTH(w);
  const char *names[] = {"sum", "sum_sq", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP s = PROTECT(Rf_allocVector(REALSXP, k));
  SEXP s2 = PROTECT(Rf_allocVector(REALSXP, k));
  pa_column_sums(REAL(w), rows, k, REAL(s), REAL(s2));
  SET_VECTOR_ELT(out, 0, s);
  SET_VECTOR_ELT(out, 1, s2);
  UNPROTECT(3);
  return out;
}

/* pa_tipping_shares() for the rows of a table: members and grp are lists
 * with one element per row (NULL: row skipped; 1-based indices into
 * person and into the n people), person the rows' people (1-based), d the
 * n people's base weights, mean a logical per row. Returns list(ok, share,
 * size, answered): ok logical (NA for skipped rows), share and size (the
 * group's total base weight) double, answered a list of each mean row's
 * raw vector telling which of its group's people (in their order) are
 * among its respondents (NULL for other rows). */
SEXP r_tipping_shares(SEXP person, SEXP members, SEXP grp, SEXP d, SEXP n,
                      SEXP mean) {
  R_xlen_t nn = (R_xlen_t) Rf_asReal(n);
  if (!Rf_isInteger(person) || TYPEOF(members) != VECSXP ||
      TYPEOF(grp) != VECSXP || XLENGTH(grp) != XLENGTH(members) ||
      !Rf_isReal(d) || XLENGTH(d) != nn || !Rf_isLogical(mean) ||
      XLENGTH(mean) != XLENGTH(members) || nn < 0) {
    Rf_error("internal error: the rows' respondents, groups, base weights "
             "and types do not match");
  }
  int q = (int) XLENGTH(members);
  R_xlen_t n_person = XLENGTH(person);
  const int *pv = INTEGER(person);
  for (R_xlen_t i = 0; i < n_person; i++) {
    if (pv[i] == NA_INTEGER || pv[i] < 1 || pv[i] > nn) {
      Rf_error("internal error: person index out of range");
    }
  }
  size_t qa = (size_t) (q > 0 ? q : 1);
  const int **mem = (const int **) R_alloc(qa, sizeof(int *));
  const int **gr = (const int **) R_alloc(qa, sizeof(int *));
  size_t *n_mem = (size_t *) R_alloc(qa, sizeof(size_t));
  size_t *n_gr = (size_t *) R_alloc(qa, sizeof(size_t));
  int *is_mean = (int *) R_alloc(qa, sizeof(int));
  unsigned char **gv = (unsigned char **) R_alloc(qa,
                                                  sizeof(unsigned char *));
  const char *names[] = {"ok", "share", "size", "answered", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP ok = PROTECT(Rf_allocVector(LGLSXP, q));
  SEXP share = PROTECT(Rf_allocVector(REALSXP, q));
  SEXP size = PROTECT(Rf_allocVector(REALSXP, q));
  SEXP gvs = PROTECT(Rf_allocVector(VECSXP, q));
  SEXP checked = R_NilValue;
  for (int r = 0; r < q; r++) {
    SEXP m = VECTOR_ELT(members, r), g = VECTOR_ELT(grp, r);
    REAL(share)[r] = NA_REAL;
    REAL(size)[r] = NA_REAL;
    is_mean[r] = LOGICAL(mean)[r] == TRUE;
    mem[r] = NULL;
    gr[r] = NULL;
    gv[r] = NULL;
    n_mem[r] = n_gr[r] = 0;
    if (Rf_isNull(m)) continue;
    if (!Rf_isInteger(m) || !Rf_isInteger(g)) {
      Rf_error("internal error: a row's respondents or group people are "
               "not integer indices");
    }
    /* 1-based indices, checked here and read by the kernel as they are
     * (it is given the arrays shifted by one) */
    const int *mv = INTEGER(m), *gv0 = INTEGER(g);
    R_xlen_t n_m = XLENGTH(m), n_g = XLENGTH(g);
    for (R_xlen_t i = 0; i < n_m; i++) {
      if (mv[i] == NA_INTEGER || mv[i] < 1 || mv[i] > n_person) {
        Rf_error("internal error: respondent index out of range");
      }
    }
    /* (rows of the same group share its people: checked once) */
    for (R_xlen_t i = 0; g != checked && i < n_g; i++) {
      if (gv0[i] == NA_INTEGER || gv0[i] < 1 || gv0[i] > nn) {
        Rf_error("internal error: group person index out of range");
      }
    }
    checked = g;
    mem[r] = mv;
    n_mem[r] = (size_t) n_m;
    gr[r] = gv0;
    n_gr[r] = (size_t) n_g;
    if (is_mean[r]) {
      SET_VECTOR_ELT(gvs, r, Rf_allocVector(RAWSXP, XLENGTH(g)));
      gv[r] = RAW(VECTOR_ELT(gvs, r));
    }
  }
  /* the kernel reads the 1-based indices as they are (base 1) */
  int *stamp = (int *) pa_R_alloc((size_t) (nn > 0 ? nn : 1), sizeof(int));
  memset(stamp, 0, (size_t) (nn > 0 ? nn : 1) * sizeof(int));
  int *okv = (int *) R_alloc(qa, sizeof(int));
  pa_tipping_shares(q, mem, n_mem, pv, gr, n_gr, REAL(d), is_mean, 1, stamp,
                    okv, REAL(share), REAL(size), gv);
  for (int r = 0; r < q; r++) {
    LOGICAL(ok)[r] = okv[r] < 0 ? NA_LOGICAL : okv[r];
    /* a row found not ok keeps no values */
    if (okv[r] != 1) SET_VECTOR_ELT(gvs, r, R_NilValue);
  }
  SET_VECTOR_ELT(out, 0, ok);
  SET_VECTOR_ELT(out, 1, share);
  SET_VECTOR_ELT(out, 2, size);
  SET_VECTOR_ELT(out, 3, gvs);
  UNPROTECT(5);
  return out;
}

/* dense FALSE: phi is not formed (NULL in the result); the caller keeps
 * the entries' w resid instead (r_influence_total() takes them). */
SEXP r_cell_means(SEXP person, SEXP cell, SEXP w, SEXP y, SEXP n, SEXP q,
                  SEXP dense) {
  if (!Rf_isInteger(person) || !Rf_isInteger(cell) || !Rf_isReal(w) ||
      !Rf_isReal(y) || XLENGTH(cell) != XLENGTH(person) ||
      XLENGTH(w) != XLENGTH(person) || XLENGTH(y) != XLENGTH(person)) {
    Rf_error("internal error: cell entries must be integer person and cell "
             "indices with double weights and values of the same length");
  }
  R_xlen_t nn = (R_xlen_t) Rf_asReal(n);
  int qq = Rf_asInteger(q);
  if (nn < 0 || qq < 0 || qq == NA_INTEGER) {
    Rf_error("internal error: sizes of the cells");
  }
  size_t m = (size_t) XLENGTH(person);
  const int *pers = zero_based(person, nn, "person");
  const int *cel = zero_based(cell, qq, "cell");
  const char *names[] = {"estimate", "sum_w", "sum_w2", "n", "resid", "phi",
                         "sum_wr2", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP est = PROTECT(Rf_allocVector(REALSXP, qq));
  SEXP sw = PROTECT(Rf_allocVector(REALSXP, qq));
  SEXP sw2 = PROTECT(Rf_allocVector(REALSXP, qq));
  SEXP cnt = PROTECT(Rf_allocVector(INTSXP, qq));
  SEXP resid = PROTECT(pa_alloc_vector(REALSXP, (R_xlen_t) m));
  int want_phi = Rf_asLogical(dense) == TRUE;
  SEXP phi = PROTECT(want_phi ? pa_alloc_matrix(REALSXP, (int) nn, qq)
                              : R_NilValue);
  if (want_phi) {
    memset(REAL(phi), 0, (size_t) nn * (size_t) qq * sizeof(double));
  }
  SEXP swr2 = PROTECT(Rf_allocVector(REALSXP, qq));
  pa_cell_means(m, pers, cel, REAL(w), REAL(y), (size_t) nn, qq, NA_REAL,
                REAL(sw), REAL(sw2), INTEGER(cnt), REAL(est), REAL(resid),
                want_phi ? REAL(phi) : NULL, REAL(swr2));
  SET_VECTOR_ELT(out, 0, est);
  SET_VECTOR_ELT(out, 1, sw);
  SET_VECTOR_ELT(out, 2, sw2);
  SET_VECTOR_ELT(out, 3, cnt);
  SET_VECTOR_ELT(out, 4, resid);
  SET_VECTOR_ELT(out, 5, phi);
  SET_VECTOR_ELT(out, 6, swr2);
  UNPROTECT(8);
  return out;
}

/* A wave's weights for the derivatives: a double vector of the n people,
 * or list(W, t), column t (1-based) of the n-row double matrix W, read in
 * place (the kernel reads NA as 0). NULL when malformed. */
static const double *feed_weights(SEXP wt, R_xlen_t nn) {
  if (Rf_isReal(wt) && XLENGTH(wt) == nn) return REAL(wt);
  if (TYPEOF(wt) != VECSXP || XLENGTH(wt) != 2) return NULL;
  SEXP m = VECTOR_ELT(wt, 0), t = VECTOR_ELT(wt, 1);
  if (!Rf_isReal(m) || !Rf_isMatrix(m) || Rf_nrows(m) != nn ||
      !Rf_isInteger(t) || XLENGTH(t) != 1 || INTEGER(t)[0] == NA_INTEGER ||
      INTEGER(t)[0] < 1 || INTEGER(t)[0] > Rf_ncols(m)) {
    return NULL;
  }
  return REAL(m) + (size_t) (INTEGER(t)[0] - 1) * (size_t) nn;
}

/* A wave's derivatives in the factor form of an independence GEE:
 * list(person, x, code, a, r, w, wt, wave, t), one entry for each answer k
 * (in their order) whose wave[k] is t, of person person[k] (1-based) and
 * whose row of x is code[k] (counted from 0; row k when code is NULL);
 * see pa_dphi. Returns 0 when malformed. */
static int factor_feed(SEXP fe, R_xlen_t nn, int qq, pa_dphi *d) {
  SEXP person = VECTOR_ELT(fe, 0), x = VECTOR_ELT(fe, 1),
       code = VECTOR_ELT(fe, 2), a = VECTOR_ELT(fe, 3),
       r = VECTOR_ELT(fe, 4), w = VECTOR_ELT(fe, 5), wave = VECTOR_ELT(fe, 7),
       t = VECTOR_ELT(fe, 8);
  const double *wt_at = feed_weights(VECTOR_ELT(fe, 6), nn);
  if (!wt_at || !Rf_isInteger(person) || XLENGTH(person) != XLENGTH(a) ||
      !Rf_isReal(x) || !Rf_isMatrix(x) ||
      Rf_ncols(x) != qq || !Rf_isReal(a) || !Rf_isReal(r) ||
      !Rf_isReal(w) || XLENGTH(r) != XLENGTH(a) ||
      XLENGTH(w) != XLENGTH(a) || !Rf_isInteger(wave) ||
      XLENGTH(wave) != XLENGTH(a) || !Rf_isInteger(t) || XLENGTH(t) != 1 ||
      (!Rf_isNull(code) && (!Rf_isInteger(code) ||
                            XLENGTH(code) != XLENGTH(a))) ||
      (Rf_isNull(code) && Rf_nrows(x) != XLENGTH(a))) {
    return 0;
  }
  /* the wave's answers (0-based) and their people (0-based) */
  R_xlen_t n = XLENGTH(a), nx = Rf_nrows(x), m = 0;
  const int *wv = INTEGER(wave), *pv = INTEGER(person);
  int tt = INTEGER(t)[0];
  for (R_xlen_t k = 0; k < n; k++) m += wv[k] == tt && tt != NA_INTEGER;
  int *sel = (int *) pa_R_alloc((size_t) (m > 0 ? m : 1), sizeof(int));
  int *rows = (int *) pa_R_alloc((size_t) (m > 0 ? m : 1), sizeof(int));
  const int *cv = Rf_isNull(code) ? NULL : INTEGER(code);
  R_xlen_t j = 0;
  for (R_xlen_t k = 0; k < n && j < m; k++) {
    if (wv[k] != tt) continue;
    if (pv[k] == NA_INTEGER || pv[k] < 1 || pv[k] > nn) {
      Rf_error("internal error: row index out of range");
    }
    if (cv && (cv[k] == NA_INTEGER || cv[k] < 0 || cv[k] >= nx)) {
      Rf_error("internal error: row of the model matrix out of range");
    }
    sel[j] = (int) k;
    rows[j] = pv[k] - 1;
    j++;
  }
  d->m = (size_t) m;
  d->col = NULL;
  d->v = NULL;
  d->wt = wt_at;
  d->sel = sel;
  d->rows = rows;
  d->ld = 0;
  d->x = REAL(x);
  d->ldx = (size_t) nx;
  d->fa = REAL(a);
  d->fr = REAL(r);
  d->fw = REAL(w);
  d->xcode = cv;
  return 1;
}

/* feeds: a list of list(rows, m, wt) (dense m: length(rows) x q),
 * list(rows, col, v, wt) (one value per row, in column col), or the
 * factor form of factor_feed(); wt as feed_weights() reads it. */
SEXP r_stage_gradient(SEXP x, SEXP factor, SEXP risk, SEXP feeds, SEXP n,
                      SEXP q) {
  if (!Rf_isReal(x) || !Rf_isMatrix(x) || !Rf_isReal(factor) ||
      !Rf_isInteger(risk) || TYPEOF(feeds) != VECSXP ||
      XLENGTH(factor) != Rf_nrows(x) || XLENGTH(risk) != Rf_nrows(x)) {
    Rf_error("internal error: a stage's design matrix, factor and people "
             "at risk do not match");
  }
  R_xlen_t nn = (R_xlen_t) Rf_asReal(n);
  int qq = Rf_asInteger(q);
  size_t n_risk = (size_t) Rf_nrows(x);
  int p = Rf_ncols(x);
  const int *risk0 = zero_based(risk, nn, "risk");
  int *slot = (int *) pa_R_alloc((size_t) (nn > 0 ? nn : 1), sizeof(int));
  for (R_xlen_t i = 0; i < nn; i++) slot[i] = -1;
  for (size_t s = 0; s < n_risk; s++) slot[risk0[s]] = (int) s;
  int n_feeds = (int) XLENGTH(feeds);
  pa_dphi *d = (pa_dphi *) R_alloc((size_t) (n_feeds > 0 ? n_feeds : 1),
                                   sizeof(pa_dphi));
  for (int f = 0; f < n_feeds; f++) {
    SEXP fe = VECTOR_ELT(feeds, f);
    if (TYPEOF(fe) != VECSXP || XLENGTH(fe) < 3) {
      Rf_error("internal error: a wave's derivatives are malformed");
    }
    if (XLENGTH(fe) == 9) {
      if (!factor_feed(fe, nn, qq, d + f)) {
        Rf_error("internal error: a wave's derivatives are malformed");
      }
      continue;
    }
    /* sparse: list(rows, col, v, wt), or list(rows, col, v, wt, range)
     * reading only entries range[1]..range[1] + range[2] - 1; dense:
     * list(rows, m, wt), or list(rows, m, wt, sel) reading rows sel of a
     * larger m */
    int sparse = Rf_isInteger(VECTOR_ELT(fe, 1));
    SEXP rows = VECTOR_ELT(fe, 0);
    SEXP v = VECTOR_ELT(fe, sparse ? 2 : 1);
    SEXP wt = VECTOR_ELT(fe, sparse ? 3 : 2);
    SEXP sel = !sparse && XLENGTH(fe) == 4 ? VECTOR_ELT(fe, 3) : R_NilValue;
    SEXP range = sparse && XLENGTH(fe) == 5 ? VECTOR_ELT(fe, 4) : R_NilValue;
    const double *wt_at = feed_weights(wt, nn);
    if ((sparse && XLENGTH(fe) != 4 && XLENGTH(fe) != 5) ||
        !Rf_isInteger(rows) || !Rf_isReal(v) || !wt_at ||
        (!Rf_isNull(sel) && (!Rf_isInteger(sel) || !Rf_isMatrix(v) ||
                             Rf_ncols(v) != qq ||
                             XLENGTH(sel) != XLENGTH(rows))) ||
        (Rf_isNull(sel) &&
         XLENGTH(v) != (sparse ? 1 : qq) * XLENGTH(rows)) ||
        (sparse && XLENGTH(VECTOR_ELT(fe, 1)) != XLENGTH(rows))) {
      Rf_error("internal error: a wave's derivatives are malformed");
    }
    R_xlen_t from = 0, count = XLENGTH(rows);
    if (!Rf_isNull(range)) {
      if (!Rf_isInteger(range) || XLENGTH(range) != 2 ||
          INTEGER(range)[0] == NA_INTEGER || INTEGER(range)[0] < 1 ||
          INTEGER(range)[1] == NA_INTEGER || INTEGER(range)[1] < 0 ||
          (R_xlen_t) INTEGER(range)[0] - 1 + INTEGER(range)[1] >
            XLENGTH(rows)) {
        Rf_error("internal error: a wave's range of entries is malformed");
      }
      from = (R_xlen_t) INTEGER(range)[0] - 1;
      count = INTEGER(range)[1];
    }
    d[f].m = (size_t) count;
    d[f].rows = zero_based_range(rows, from, count, nn, "row");
    d[f].col = sparse ? zero_based_range(VECTOR_ELT(fe, 1), from, count, qq,
                                         "column")
                      : NULL;
    d[f].v = REAL(v) + from;
    d[f].wt = wt_at;
    d[f].sel = Rf_isNull(sel) ? NULL
      : zero_based(sel, (R_xlen_t) Rf_nrows(v), "row");
    d[f].ld = Rf_isNull(sel) ? d[f].m : (size_t) Rf_nrows(v);
    d[f].x = NULL;
    d[f].ldx = 0;
    d[f].xcode = NULL;
    d[f].fa = d[f].fr = d[f].fw = NULL;
  }
  int *used = (int *) R_alloc((size_t) (qq > 0 ? qq : 1), sizeof(int));
  memset(used, 0, (size_t) (qq > 0 ? qq : 1) * sizeof(int));
  for (int f = 0; f < n_feeds; f++) pa_dphi_used(d + f, qq, used);
  int nc = 0;
  int *cols = (int *) R_alloc((size_t) (qq > 0 ? qq : 1), sizeof(int));
  for (int k = 0; k < qq; k++) if (used[k]) cols[nc++] = k;
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, p, qq));
  memset(REAL(out), 0, (size_t) p * (size_t) qq * sizeof(double));
  /* by blocks of rows at risk, without E, when the entries come in few
   * runs of rows at risk (each wave's cells, or its people in order) */
  int n_runs = nc > 0 ? pa_stage_runs(d, n_feeds, slot, NULL, NULL, NULL)
                      : 0;
  if (nc > 0 && n_runs <= 4096) {
    int *run_feed = (int *) R_alloc((size_t) n_runs + 1, sizeof(int));
    size_t *run_start = (size_t *) R_alloc((size_t) n_runs + 1,
                                           sizeof(size_t));
    size_t *run_end = (size_t *) R_alloc((size_t) n_runs + 1, sizeof(size_t));
    size_t *cursor = (size_t *) R_alloc((size_t) n_runs + 1, sizeof(size_t));
    pa_stage_runs(d, n_feeds, slot, run_feed, run_start, run_end);
    int *pos = (int *) R_alloc((size_t) qq, sizeof(int));
    for (int k = 0; k < qq; k++) pos[k] = -1;
    for (int c = 0; c < nc; c++) pos[cols[c]] = c;
    double *eb = (double *) R_alloc((size_t) PA_STAGE_BLOCK * (size_t) nc,
                                    sizeof(double));
    double *lanes = (double *) R_alloc((size_t) nc * (size_t) p * 4 + 1,
                                       sizeof(double));
    double *g = (double *) R_alloc((size_t) p * (size_t) nc + 1,
                                   sizeof(double));
    pa_stage_gradient_runs(d, slot, REAL(x), n_risk, p, REAL(factor), cols,
                           nc, pos, run_feed, run_start, run_end, n_runs,
                           cursor, eb, lanes, g);
    for (int c = 0; c < nc; c++) {
      memcpy(REAL(out) + (size_t) cols[c] * (size_t) p, g + (size_t) c * p,
             (size_t) p * sizeof(double));
    }
  } else if (nc > 0) {
    size_t ne = n_risk * (size_t) nc;
    double *e = (double *) R_alloc(ne > 0 ? ne : 1, sizeof(double));
    memset(e, 0, (ne > 0 ? ne : 1) * sizeof(double));
    double *g = (double *) R_alloc((size_t) p * (size_t) nc + 1,
                                   sizeof(double));
    int *pos = (int *) R_alloc((size_t) qq, sizeof(int));
    pa_stage_gradient(d, n_feeds, slot, REAL(x), n_risk, p, REAL(factor), qq,
                      cols, nc, pos, e, g);
    for (int c = 0; c < nc; c++) {
      memcpy(REAL(out) + (size_t) cols[c] * (size_t) p, g + (size_t) c * p,
             (size_t) p * sizeof(double));
    }
  }
  UNPROTECT(1);
  return out;
}

/* The design of the rows for the variance kernels: checks the PSU and
 * stratum codes (1-based, one per row) and the population sizes, finds
 * the numbers of PSUs and strata, and allocates the kernels' workspaces
 * (R_alloc: freed when the .Call returns). */
typedef struct {
  const int *psu, *strata;
  const double *pop;
  int n_psu, n_strata;
  double *z, *dwork;
  int *iwork;
} design_rows;

static design_rows design_of(SEXP psu, SEXP strata, SEXP pop, size_t n,
                             int q) {
  if (!Rf_isInteger(psu) || !Rf_isInteger(strata) ||
      (size_t) XLENGTH(psu) != n || (size_t) XLENGTH(strata) != n ||
      (!Rf_isNull(pop) && (!Rf_isReal(pop) || (size_t) XLENGTH(pop) != n))) {
    Rf_error("internal error: the design does not match the rows");
  }
  design_rows d;
  d.psu = INTEGER(psu);
  d.strata = INTEGER(strata);
  d.pop = Rf_isNull(pop) ? NULL : REAL(pop);
  d.n_psu = 0;
  d.n_strata = 0;
  for (size_t i = 0; i < n; i++) {
    if (d.psu[i] == NA_INTEGER || d.psu[i] < 1 ||
        d.strata[i] == NA_INTEGER || d.strata[i] < 1) {
      Rf_error("internal error: PSU or stratum codes out of range");
    }
    if (d.psu[i] > d.n_psu) d.n_psu = d.psu[i];
    if (d.strata[i] > d.n_strata) d.n_strata = d.strata[i];
  }
  d.z = (double *) R_alloc((size_t) d.n_psu * (size_t) q + 1,
                           sizeof(double));
  d.iwork = (int *) R_alloc(2 * (size_t) d.n_psu + (size_t) d.n_strata + 2,
                            sizeof(int));
  d.dwork = (double *) R_alloc((size_t) d.n_psu + (size_t) d.n_strata + 2,
                               sizeof(double));
  return d;
}

/* The number of distinct PSUs of each stratum 1..max(strata) among rows
 * with integer codes psu and strata, each PSU counted in the stratum of
 * its last row (a panel's PSUs lie in one stratum): psu_counts() in one
 * pass to find the codes' range and one to mark the PSUs. NULL when a
 * code is missing or below 1, or there are no rows (the caller counts in
 * R). */
SEXP r_psu_counts(SEXP strata, SEXP psu) {
  if (!Rf_isInteger(psu) || !Rf_isInteger(strata) ||
      XLENGTH(psu) != XLENGTH(strata)) {
    Rf_error("internal error: psu_counts() needs integer codes per row");
  }
  R_xlen_t n = XLENGTH(psu);
  if (n == 0) return R_NilValue;
  const int *pv = INTEGER(psu), *sv = INTEGER(strata);
  int k = 0, h = 0;
  for (R_xlen_t i = 0; i < n; i++) {
    int u = pv[i], s = sv[i];
    if (u == NA_INTEGER || u < 1 || s == NA_INTEGER || s < 1) {
      return R_NilValue;
    }
    if (u > k) k = u;
    if (s > h) h = s;
  }
  int *stratum_of = (int *) R_alloc((size_t) k, sizeof(int));
  memset(stratum_of, 0, (size_t) k * sizeof(int));
  for (R_xlen_t i = 0; i < n; i++) stratum_of[pv[i] - 1] = sv[i];
  SEXP out = PROTECT(Rf_allocVector(INTSXP, h));
  int *count = INTEGER(out);
  memset(count, 0, (size_t) h * sizeof(int));
  for (int u = 0; u < k; u++) {
    if (stratum_of[u] > 0) count[stratum_of[u] - 1]++;
  }
  UNPROTECT(1);
  return out;
}

/* psu, strata (1-based codes for the rows of infl) and pop: NULL for
 * people as independent units. */
SEXP r_influence_vcov(SEXP infl, SEXP psu, SEXP strata, SEXP pop,
                      SEXP rule) {
  if (!Rf_isReal(infl) || !Rf_isMatrix(infl)) {
    Rf_error("internal error: influence values must be a double matrix");
  }
  size_t n = (size_t) Rf_nrows(infl);
  int q = Rf_ncols(infl);
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, q, q));
  if (Rf_isNull(psu)) {
    double *scratch = (double *) R_alloc(PA_VCOV_SCRATCH(q) + 1,
                                         sizeof(double));
    pa_vcov_iid(REAL(infl), n, q, scratch, REAL(out));
    UNPROTECT(1);
    return out;
  }
  design_rows d = design_of(psu, strata, pop, n, q);
  pa_vcov_design(REAL(infl), n, q, d.psu, d.strata, d.pop, d.n_psu,
                 d.n_strata, Rf_asInteger(rule), d.z, d.iwork, d.dwork,
                 REAL(out));
  UNPROTECT(1);
  return out;
}

/* The influence totals phi + sum_s U_s P_s H_s (estimate_influence()),
 * then each column divided by scale[k] (scale NULL: not divided). phi: n x
 * q double matrix, copied (with its dimnames), never modified. updates: in
 * the order they are added, each list(risk, cols, r, x, m) for a response
 * model (r its residuals, x its design matrix, m p x length(cols)) or
 * list(risk, cols, u) (u: length(risk) x length(cols)); risk and cols
 * 1-based. scale a q x q matrix D: the result is -total D^{-T} (as
 * -t(solve(D, t(total)))), D checked in R (solve(D, ...) raises R's
 * errors for a singular D). */
/* Checks that every entry of phi list(person, cell, v, ...) is a person
 * in 1..pn and a cell in 1..pq. */
static void check_entries(SEXP phi, R_xlen_t pn, int pq) {
  R_xlen_t m = XLENGTH(VECTOR_ELT(phi, 0));
  const int *pe = INTEGER(VECTOR_ELT(phi, 0)), *ce = INTEGER(VECTOR_ELT(phi, 1));
  for (R_xlen_t e = 0; e < m; e++) {
    if (pe[e] == NA_INTEGER || pe[e] < 1 || pe[e] > pn ||
        ce[e] == NA_INTEGER || ce[e] < 1 || ce[e] > pq) {
      Rf_error("internal error: an entry of phi is out of range");
    }
  }
}

/* The influence totals of entries list(person, cell, v, n, q, dense)
 * with the updates of the cells `dense` only (their columns numbered
 * among those cells) and a positive scale per cell (q): list(dense = the n
 * x length(dense) totals of those cells, as r_influence_total() forms
 * them, columns = the other cells' values v / scale at their people, as
 * sparse columns in cell order). A cell without updates has nothing but
 * its entries, so its column is the same numbers either way. */
static SEXP influence_split(SEXP phi, SEXP updates, SEXP scale) {
  SEXP dense_cols = VECTOR_ELT(phi, 5);
  if (!Rf_isInteger(VECTOR_ELT(phi, 0)) || !Rf_isInteger(VECTOR_ELT(phi, 1)) ||
      !Rf_isReal(VECTOR_ELT(phi, 2)) || !Rf_isInteger(dense_cols) ||
      XLENGTH(VECTOR_ELT(phi, 1)) != XLENGTH(VECTOR_ELT(phi, 0)) ||
      XLENGTH(VECTOR_ELT(phi, 2)) != XLENGTH(VECTOR_ELT(phi, 0)) ||
      !Rf_isReal(scale) || Rf_isMatrix(scale)) {
    Rf_error("internal error: the entries of phi are malformed");
  }
  R_xlen_t pn = (R_xlen_t) Rf_asReal(VECTOR_ELT(phi, 3));
  int pq = Rf_asInteger(VECTOR_ELT(phi, 4));
  if (pn < 0 || pq < 0 || pq == NA_INTEGER || XLENGTH(scale) != pq) {
    Rf_error("internal error: the size of phi");
  }
  const double *sc = REAL(scale);
  for (int k = 0; k < pq; k++) {
    if (!(sc[k] > 0) || !R_FINITE(sc[k])) {
      Rf_error("internal error: split influence totals need positive "
               "scales");
    }
  }
  int nd = (int) XLENGTH(dense_cols);
  const int *dc = INTEGER(dense_cols);
  int *at_dense = (int *) R_alloc((size_t) pq + 1, sizeof(int));
  int *sparse = (int *) R_alloc((size_t) pq + 1, sizeof(int));
  for (int k = 0; k < pq; k++) {
    at_dense[k] = -1;
    sparse[k] = 1;
  }
  for (int j = 0; j < nd; j++) {
    if (dc[j] == NA_INTEGER || dc[j] < 1 || dc[j] > pq ||
        (j > 0 && dc[j] <= dc[j - 1])) {
      Rf_error("internal error: the dense cells are malformed");
    }
    at_dense[dc[j] - 1] = j;
    sparse[dc[j] - 1] = 0;
  }
  check_entries(phi, pn, pq);
  R_xlen_t m = XLENGTH(VECTOR_ELT(phi, 0));
  const int *pe = INTEGER(VECTOR_ELT(phi, 0)), *ce = INTEGER(VECTOR_ELT(phi, 1));
  const double *ve = REAL(VECTOR_ELT(phi, 2));
  SEXP dense = PROTECT(pa_alloc_matrix(REALSXP, (int) pn, nd));
  double *d = REAL(dense);
  if (pn * (R_xlen_t) nd > 0) {
    memset(d, 0, (size_t) pn * (size_t) nd * sizeof(double));
  }
  for (R_xlen_t e = 0; e < m; e++) {
    int j = at_dense[ce[e] - 1];
    if (j >= 0) d[(size_t) (pe[e] - 1) + (size_t) j * (size_t) pn] = ve[e];
  }
  SEXP dense_scale = PROTECT(Rf_allocVector(REALSXP, nd));
  for (int j = 0; j < nd; j++) REAL(dense_scale)[j] = sc[dc[j] - 1];
  influence_total(dense, updates, dense_scale, 0, 0);
  SEXP cols = PROTECT(entry_columns(m, pe, ce, ve, sc, pq, sparse));
  const char *names[] = {"dense", "columns", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SET_VECTOR_ELT(out, 0, dense);
  SET_VECTOR_ELT(out, 1, cols);
  UNPROTECT(4);
  return out;
}

SEXP r_influence_total(SEXP phi, SEXP updates, SEXP scale) {
  int solve = Rf_isMatrix(scale);
  if (TYPEOF(phi) == VECSXP && (XLENGTH(phi) == 3 || XLENGTH(phi) == 4)) {
    /* list(rows, m, n): the rows `rows` (1-based, distinct) of an n x q
     * phi are m, the others zero; list(rows, m, n, TRUE): m is not read
     * again by the caller, so when its rows are all n rows in order (and
     * it has no dimnames) the totals are formed in it, without an n x q
     * copy */
    SEXP rows = VECTOR_ELT(phi, 0), m = VECTOR_ELT(phi, 1);
    if (!Rf_isInteger(rows) || !Rf_isReal(m) || !Rf_isMatrix(m) ||
        Rf_nrows(m) != XLENGTH(rows)) {
      Rf_error("internal error: the rows of phi are malformed");
    }
    R_xlen_t pn = (R_xlen_t) Rf_asReal(VECTOR_ELT(phi, 2));
    int pq = Rf_ncols(m);
    if (pn < 0) Rf_error("internal error: the size of phi");
    if (XLENGTH(phi) == 4 && Rf_asLogical(VECTOR_ELT(phi, 3)) == TRUE &&
        XLENGTH(rows) == pn &&
        Rf_isNull(Rf_getAttrib(m, R_DimNamesSymbol))) {
      const int *rv0 = INTEGER(rows);
      int all_rows = 1;
      for (R_xlen_t r = 0; r < pn && all_rows; r++) {
        if (rv0[r] != r + 1) all_rows = 0;
      }
      if (all_rows) return influence_total(m, updates, scale, solve, 0);
    }
    SEXP dense = PROTECT(pa_alloc_matrix(REALSXP, (int) pn, pq));
    double *d = REAL(dense);
    if (pn * (R_xlen_t) pq > 0) {
      memset(d, 0, (size_t) pn * (size_t) pq * sizeof(double));
    }
    const int *rv = INTEGER(rows);
    R_xlen_t mr = XLENGTH(rows);
    for (R_xlen_t r = 0; r < mr; r++) {
      if (rv[r] == NA_INTEGER || rv[r] < 1 || rv[r] > pn) {
        Rf_error("internal error: a row of phi is out of range");
      }
    }
    for (int k = 0; k < pq; k++) {
      const double *mk = REAL(m) + (size_t) k * (size_t) mr;
      double *dk = d + (size_t) k * (size_t) pn;
      for (R_xlen_t r = 0; r < mr; r++) dk[rv[r] - 1] = mk[r];
    }
    SEXP out = influence_total(dense, updates, scale, solve, 0);
    UNPROTECT(1);
    return out;
  }
  if (TYPEOF(phi) == VECSXP) {
    /* list(person, cell, v, n, q): phi held by its entries (1-based
     * person and cell), zero elsewhere, formed here in place of a copy;
     * list(person, cell, v, n, q, dense): only the cells `dense` (1-based,
     * increasing; the updates' columns count among them) formed, the
     * other cells' values returned as sparse columns (see
     * influence_split()) */
    if (XLENGTH(phi) == 6) return influence_split(phi, updates, scale);
    if (XLENGTH(phi) != 5 || !Rf_isInteger(VECTOR_ELT(phi, 0)) ||
        !Rf_isInteger(VECTOR_ELT(phi, 1)) || !Rf_isReal(VECTOR_ELT(phi, 2)) ||
        XLENGTH(VECTOR_ELT(phi, 1)) != XLENGTH(VECTOR_ELT(phi, 0)) ||
        XLENGTH(VECTOR_ELT(phi, 2)) != XLENGTH(VECTOR_ELT(phi, 0))) {
      Rf_error("internal error: the entries of phi are malformed");
    }
    R_xlen_t pn = (R_xlen_t) Rf_asReal(VECTOR_ELT(phi, 3));
    int pq = Rf_asInteger(VECTOR_ELT(phi, 4));
    if (pn < 0 || pq < 0 || pq == NA_INTEGER) {
      Rf_error("internal error: the size of phi");
    }
    SEXP dense = PROTECT(pa_alloc_matrix(REALSXP, (int) pn, pq));
    double *d = REAL(dense);
    if (pn * (R_xlen_t) pq > 0) {
      memset(d, 0, (size_t) pn * (size_t) pq * sizeof(double));
    }
    check_entries(phi, pn, pq);
    R_xlen_t m = XLENGTH(VECTOR_ELT(phi, 0));
    const int *pe = INTEGER(VECTOR_ELT(phi, 0)), *ce = INTEGER(VECTOR_ELT(phi, 1));
    const double *ve = REAL(VECTOR_ELT(phi, 2));
    /* without updates, each column divided by a positive scale: the
     * entries divided where they are written (the zeros stay +0, as 0 /
     * scale), the same numbers without a pass over every cell */
    int direct = !solve && XLENGTH(updates) == 0 && !Rf_isNull(scale);
    if (direct) {
      const double *sc = REAL(scale);
      for (int k = 0; k < pq; k++) {
        if (!(sc[k] > 0) || !R_FINITE(sc[k])) direct = 0;
      }
    }
    if (direct) {
      const double *sc = REAL(scale);
      for (R_xlen_t e = 0; e < m; e++) {
        d[(size_t) (pe[e] - 1) + (size_t) (ce[e] - 1) * (size_t) pn] =
            ve[e] / sc[ce[e] - 1];
      }
      UNPROTECT(1);
      return dense;
    }
    for (R_xlen_t e = 0; e < m; e++) {
      d[(size_t) (pe[e] - 1) + (size_t) (ce[e] - 1) * (size_t) pn] = ve[e];
    }
    SEXP out = influence_total(dense, updates, scale, solve, 0);
    UNPROTECT(1);
    return out;
  }
  return influence_total(phi, updates, scale, solve, 1);
}

/* r_influence_total() on a dense phi; copy 0: phi is scratch, updated in
 * place and returned. */
static SEXP influence_total(SEXP phi, SEXP updates, SEXP scale, int solve,
                            int copy) {
  if (!Rf_isReal(phi) || !Rf_isMatrix(phi) || TYPEOF(updates) != VECSXP ||
      (!Rf_isNull(scale) && (!Rf_isReal(scale) ||
                             (solve ? Rf_nrows(scale) != Rf_ncols(phi) ||
                                      Rf_ncols(scale) != Rf_ncols(phi)
                                    : XLENGTH(scale) != Rf_ncols(phi))))) {
    Rf_error("internal error: influence totals need a double matrix, a "
             "list of updates and a scale per column (or D, q x q)");
  }
  size_t n = (size_t) Rf_nrows(phi);
  int q = Rf_ncols(phi);
  SEXP out = PROTECT(copy ? pa_alloc_matrix(REALSXP, (int) n, q) : phi);
  double *tot = REAL(out);
  if (copy && n * (size_t) q > 0) {
    memcpy(tot, REAL(phi), n * (size_t) q * sizeof(double));
  }
  SEXP dn = Rf_getAttrib(phi, R_DimNamesSymbol);
  if (copy && !Rf_isNull(dn)) Rf_setAttrib(out, R_DimNamesSymbol, dn);
  size_t chunk = 4096;
  double *acc = (double *) R_alloc(chunk, sizeof(double));
  R_xlen_t nu = XLENGTH(updates);
  for (R_xlen_t u = 0; u < nu; u++) {
    SEXP up = VECTOR_ELT(updates, u);
    int model = TYPEOF(up) == VECSXP && XLENGTH(up) == 5;
    if (TYPEOF(up) != VECSXP || (XLENGTH(up) != 5 && XLENGTH(up) != 3)) {
      Rf_error("internal error: an influence update is malformed");
    }
    SEXP risk = VECTOR_ELT(up, 0), cols = VECTOR_ELT(up, 1);
    SEXP m = VECTOR_ELT(up, model ? 4 : 2);
    if (!Rf_isInteger(risk) || !Rf_isInteger(cols) || !Rf_isReal(m)) {
      Rf_error("internal error: an influence update is malformed");
    }
    size_t n_risk = (size_t) XLENGTH(risk);
    int nc = (int) XLENGTH(cols);
    const int *risk0 = zero_based(risk, (R_xlen_t) n, "risk");
    const int *cols0 = zero_based(cols, q, "column");
    const double *r = NULL, *x = NULL;
    int p = 0;
    if (model) {
      SEXP rr = VECTOR_ELT(up, 2), xx = VECTOR_ELT(up, 3);
      if (!Rf_isReal(rr) || !Rf_isReal(xx) || !Rf_isMatrix(xx) ||
          (size_t) XLENGTH(rr) != n_risk || (size_t) Rf_nrows(xx) != n_risk ||
          XLENGTH(m) != (R_xlen_t) Rf_ncols(xx) * nc) {
        Rf_error("internal error: a response model's update is malformed");
      }
      r = REAL(rr);
      x = REAL(xx);
      p = Rf_ncols(xx);
    } else if ((size_t) XLENGTH(m) != n_risk * (size_t) nc) {
      Rf_error("internal error: a stage's scores do not match its people");
    }
    pa_add_scores(tot, n, risk0, n_risk, cols0, nc, r, x, p, REAL(m), acc,
                  chunk);
  }
  if (solve) {
    if (q > 0 && n > 0) {
      double *lu = (double *) R_alloc((size_t) q * (size_t) q, sizeof(double));
      memcpy(lu, REAL(scale), (size_t) q * (size_t) q * sizeof(double));
      int *piv = (int *) R_alloc((size_t) q, sizeof(int));
      if (pa_lu_factor(lu, q, piv)) {
        Rf_error("internal error: D is singular");
      }
      size_t rows_per = 1024;
      double *buf = (double *) R_alloc(rows_per * (size_t) q, sizeof(double));
      if (pa_solve_rows(tot, n, q, lu, piv, buf, rows_per)) {
        Rf_error("internal error: the rows of the influence totals could "
                 "not be solved");
      }
    }
  } else if (!Rf_isNull(scale)) {
    pa_scale_columns(tot, n, q, REAL(scale));
  }
  UNPROTECT(1);
  return out;
}

/* The covariance (influence_vcov()) of the n x q matrix [I, V] without
 * forming it: I the columns `cols` (1-based) of `values`, whose row r is
 * row rows[r] (1-based, strictly increasing) of the n, zero elsewhere; V
 * one column per element of `groups`, list(pos, v): values v at rows pos
 * (1-based, strictly increasing), zero elsewhere. psu, strata (1-based
 * codes of the n rows) and pop as in r_influence_vcov(); psu NULL for
 * people as independent units. The result is that of r_influence_vcov()
 * on the dense matrix, to the last bit. */
SEXP r_tipping_cross(SEXP values, SEXP rows, SEXP cols, SEXP groups, SEXP n,
                     SEXP psu, SEXP strata, SEXP pop, SEXP rule) {
  if (!Rf_isReal(values) || !Rf_isMatrix(values) || !Rf_isInteger(rows) ||
      !Rf_isInteger(cols) || TYPEOF(groups) != VECSXP ||
      XLENGTH(rows) != Rf_nrows(values)) {
    Rf_error("internal error: influence values, their rows and columns, "
             "and the groups' values do not match");
  }
  R_xlen_t nn = (R_xlen_t) Rf_asReal(n);
  if (nn < 0) Rf_error("internal error: the number of rows");
  int nc = (int) XLENGTH(cols), ng = (int) XLENGTH(groups);
  int q = nc + ng;
  size_t n_infl = (size_t) Rf_nrows(values);
  const int *rows0 = zero_based(rows, nn, "row");
  const int *cols0 = zero_based(cols, Rf_ncols(values), "column");
  for (size_t r = 1; r < n_infl; r++) {
    if (rows0[r] <= rows0[r - 1]) {
      Rf_error("internal error: rows must be strictly increasing");
    }
  }
  pa_sparse_col *sc = (pa_sparse_col *) R_alloc((size_t) (q > 0 ? q : 1),
                                                sizeof(pa_sparse_col));
  for (int k = 0; k < nc; k++) {
    sc[k].m = n_infl;
    sc[k].pos = rows0;
    sc[k].v = REAL(values) + (size_t) cols0[k] * n_infl;
    sc[k].base = 0;
    sc[k].d = NULL;
    sc[k].answered = NULL;
  }
  for (int g = 0; g < ng; g++) {
    SEXP gr = VECTOR_ELT(groups, g);
    /* list(rows, values), or a shift column list(rows, d, answered,
     * share, size) (pa_sparse_col) */
    R_xlen_t len = TYPEOF(gr) == VECSXP ? XLENGTH(gr) : 0;
    if ((len != 2 && len != 5) || !Rf_isInteger(VECTOR_ELT(gr, 0)) ||
        !Rf_isReal(VECTOR_ELT(gr, 1)) ||
        XLENGTH(VECTOR_ELT(gr, 0)) != XLENGTH(VECTOR_ELT(gr, 1)) ||
        (len == 5 && (TYPEOF(VECTOR_ELT(gr, 2)) != RAWSXP ||
                      XLENGTH(VECTOR_ELT(gr, 2)) !=
                        XLENGTH(VECTOR_ELT(gr, 0)) ||
                      !Rf_isReal(VECTOR_ELT(gr, 3)) ||
                      XLENGTH(VECTOR_ELT(gr, 3)) != 1 ||
                      !Rf_isReal(VECTOR_ELT(gr, 4)) ||
                      XLENGTH(VECTOR_ELT(gr, 4)) != 1))) {
      Rf_error("internal error: a group's values are malformed");
    }
    size_t m = (size_t) XLENGTH(VECTOR_ELT(gr, 0));
    /* the 1-based rows read where they are (base 1), checked here */
    const int *p1 = INTEGER(VECTOR_ELT(gr, 0));
    for (size_t r = 0; r < m; r++) {
      if (p1[r] == NA_INTEGER || p1[r] < 1 || p1[r] > nn ||
          (r > 0 && p1[r] <= p1[r - 1])) {
        Rf_error("internal error: rows must be strictly increasing row "
                 "numbers");
      }
    }
    sc[nc + g].m = m;
    sc[nc + g].pos = p1;
    sc[nc + g].base = 1;
    if (len == 2) {
      sc[nc + g].v = REAL(VECTOR_ELT(gr, 1));
      sc[nc + g].d = NULL;
      sc[nc + g].answered = NULL;
    } else {
      sc[nc + g].v = NULL;
      sc[nc + g].d = REAL(VECTOR_ELT(gr, 1));
      sc[nc + g].answered = RAW(VECTOR_ELT(gr, 2));
      sc[nc + g].share = REAL(VECTOR_ELT(gr, 3))[0];
      sc[nc + g].size = REAL(VECTOR_ELT(gr, 4))[0];
    }
  }
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, q, q));
  if (Rf_isNull(psu)) {
    double *scratch = (double *) R_alloc(PA_VCOV_SCRATCH(q) + 1,
                                         sizeof(double));
    size_t *cursor = (size_t *) R_alloc((size_t) q + 1, sizeof(size_t));
    pa_vcov_iid_sparse(sc, (size_t) nn, q, scratch, cursor, REAL(out));
    UNPROTECT(1);
    return out;
  }
  design_rows d = design_of(psu, strata, pop, (size_t) nn, q);
  pa_vcov_design_sparse(sc, (size_t) nn, q, d.psu, d.strata, d.pop,
                        d.n_psu, d.n_strata, Rf_asInteger(rule), d.z,
                        d.iwork, d.dwork, REAL(out));
  UNPROTECT(1);
  return out;
}

/* A column read value by value: its type (double, integer, logical or
 * character; a factor's codes are integer) and its data, looked up once
 * rather than at every value. */
typedef struct {
  int type;
  SEXP y;
  const double *real;
  const int *ints;
} value_column;

static value_column column_of(SEXP y, int type) {
  value_column c = {type, y, NULL, NULL};
  if (type == REALSXP) c.real = REAL(y);
  else if (type != STRSXP) c.ints = INTEGER(y);
  return c;
}

/* Whether value i of the column is missing, as is.na() says. */
static inline int value_missing(const value_column *c, R_xlen_t i) {
  switch (c->type) {
  case REALSXP: return ISNAN(c->real[i]);
  case STRSXP: return STRING_ELT(c->y, i) == NA_STRING;
  default: return c->ints[i] == NA_INTEGER;
  }
}

/* tabulate(wave[!is.na(y)], n_codes) in one pass: how many rows of each
 * wave code 1..n_codes have a value of y (codes outside, or NA, are not
 * counted). NULL for a type of y it does not read. */
SEXP r_value_counts(SEXP y, SEXP wave, SEXP n_codes) {
  R_xlen_t n = XLENGTH(y);
  int nc = Rf_asInteger(n_codes);
  if (TYPEOF(wave) != INTSXP || XLENGTH(wave) != n || nc == NA_INTEGER ||
      nc < 0) {
    Rf_error("internal error: value_counts() needs integer wave codes for "
             "every value");
  }
  int type = TYPEOF(y);
  if (type != REALSXP && type != INTSXP && type != LGLSXP &&
      type != STRSXP) {
    return R_NilValue;
  }
  SEXP out = PROTECT(Rf_allocVector(INTSXP, nc));
  int *count = INTEGER(out);
  /* four sets of counters, row i counted in set i % 4, added up at the
   * end: rows of one code usually come in a run, and a single counter
   * would make each count wait for the one before */
  R_xlen_t *lanes = (R_xlen_t *) R_alloc(4 * (size_t) nc + 1,
                                         sizeof(R_xlen_t));
  for (size_t j = 0; j < 4 * (size_t) nc; j++) lanes[j] = 0;
  const int *wv = INTEGER(wave);
  value_column col = column_of(y, type);
  /* (without branches for numbers: a row adds 1 to its wave's counter,
   * or 0 to the first one when it is not counted; NA_INTEGER is below 1) */
  if (type == REALSXP) {
    const double *yv = col.real;
    for (R_xlen_t i = 0; i < n; i++) {
      int w = wv[i];
      int ok = !ISNAN(yv[i]) & (w >= 1) & (w <= nc);
      lanes[(size_t) (i & 3) * (size_t) nc + (size_t) (ok ? w - 1 : 0)] +=
        ok;
    }
  } else if (type != STRSXP) {
    const int *yv = col.ints;
    for (R_xlen_t i = 0; i < n; i++) {
      int w = wv[i];
      int ok = (yv[i] != NA_INTEGER) & (w >= 1) & (w <= nc);
      lanes[(size_t) (i & 3) * (size_t) nc + (size_t) (ok ? w - 1 : 0)] +=
        ok;
    }
  } else {
    for (R_xlen_t i = 0; i < n; i++) {
      int missing = value_missing(&col, i);
      int w = wv[i];
      if (!missing && w != NA_INTEGER && w >= 1 && w <= nc) {
        lanes[(size_t) (i & 3) * (size_t) nc + (size_t) (w - 1)]++;
      }
    }
  }
  for (int j = 0; j < nc; j++) {
    count[j] = (int) (lanes[j] + lanes[(size_t) nc + j] +
                      lanes[2 * (size_t) nc + j] + lanes[3 * (size_t) nc + j]);
  }
  UNPROTECT(1);
  return out;
}

/* The answers of a table's cells: the rows (1-based, in row order) whose
 * value y is not missing, split by wave x group. wave: each row's wave
 * code (1..n_codes), group: each row's group code (1..length(group_slot);
 * a factor's codes are read in place) or NULL for one group, group_slot: each code's position among the n_g
 * groups. Returns list(waves, cells, wave_rows): the wave codes with a
 * value (increasing), the cells' rows ordered by wave then group, and
 * (want_wave TRUE) each wave's rows; NULL when a code is out of range
 * (the caller then splits in R). With want_values TRUE (y numeric or
 * logical, read as numbers) also `values`: each cell's values of y as
 * doubles, in the order of its rows (y[rows] as as.numeric() gives it). */
SEXP r_cell_split(SEXP y, SEXP wave, SEXP n_codes, SEXP group,
                  SEXP group_slot, SEXP want_wave, SEXP want_values) {
  R_xlen_t n = XLENGTH(y);
  int nc = Rf_asInteger(n_codes);
  int has_group = !Rf_isNull(group);
  if (!Rf_isInteger(wave) || XLENGTH(wave) != n || nc == NA_INTEGER ||
      nc < 0 || (has_group && (TYPEOF(group) != INTSXP ||
                               XLENGTH(group) != n ||
                               !Rf_isInteger(group_slot)))) {
    Rf_error("internal error: cell_split() needs integer wave and group "
             "codes for every value");
  }
  int n_g = 1, n_gc = has_group ? (int) XLENGTH(group_slot) : 0;
  const int *gs = has_group ? INTEGER(group_slot) : NULL;
  for (int j = 0; j < n_gc; j++) {
    if (gs[j] != NA_INTEGER && gs[j] > n_g) n_g = gs[j];
  }
  const int *wv = INTEGER(wave), *gv = has_group ? INTEGER(group) : NULL;
  /* which values are missing, by type */
  int type = TYPEOF(y);
  if ((type != REALSXP && type != INTSXP && type != LGLSXP &&
       type != STRSXP) || n > INT_MAX) {
    return R_NilValue;
  }
  size_t n_slots = (size_t) nc * (size_t) n_g;
  R_xlen_t *count = (R_xlen_t *) R_alloc(n_slots > 0 ? n_slots : 1,
                                         sizeof(R_xlen_t));
  /* (four sets of counters, as in r_value_counts(), added into count) */
  R_xlen_t *lanes = (R_xlen_t *) R_alloc(4 * n_slots + 1, sizeof(R_xlen_t));
  for (size_t j = 0; j < 4 * n_slots; j++) lanes[j] = 0;
  /* each row's slot (wave code x group), -1 for a missing value */
  int *slot = (int *) pa_R_alloc((size_t) (n > 0 ? n : 1), sizeof(int));
  value_column col = column_of(y, type);
  for (R_xlen_t i = 0; i < n; i++) {
    int missing = value_missing(&col, i);
    if (missing) {
      slot[i] = -1;
      continue;
    }
    int w = wv[i], g = 1;
    if (w == NA_INTEGER || w < 1 || w > nc) return R_NilValue;
    if (has_group) {
      int c = gv[i];
      if (c == NA_INTEGER || c < 1 || c > n_gc || gs[c - 1] == NA_INTEGER ||
          gs[c - 1] < 1) {
        return R_NilValue;
      }
      g = gs[c - 1];
    }
    int sl = (w - 1) * n_g + (g - 1);
    slot[i] = sl;
    lanes[(size_t) (i & 3) * n_slots + (size_t) sl]++;
  }
  for (size_t j = 0; j < n_slots; j++) {
    count[j] = lanes[j] + lanes[n_slots + j] + lanes[2 * n_slots + j] +
      lanes[3 * n_slots + j];
  }
  int n_wp = 0;
  int *present = (int *) R_alloc((size_t) (nc > 0 ? nc : 1), sizeof(int));
  for (int w = 0; w < nc; w++) {
    R_xlen_t tot = 0;
    for (int g = 0; g < n_g; g++) tot += count[(size_t) w * n_g + g];
    if (tot > 0) present[n_wp++] = w;
  }
  const char *names[] = {"waves", "cells", "wave_rows", "values", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP waves = PROTECT(Rf_allocVector(INTSXP, n_wp));
  SEXP cells = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t) n_wp * n_g));
  int want = Rf_asLogical(want_wave) == TRUE;
  int want_v = Rf_asLogical(want_values) == TRUE && type != STRSXP;
  SEXP wave_rows = PROTECT(want ? Rf_allocVector(VECSXP, n_wp) : R_NilValue);
  SEXP values = PROTECT(want_v ? Rf_allocVector(VECSXP, (R_xlen_t) n_wp * n_g)
                               : R_NilValue);
  int **dst = (int **) R_alloc(n_slots > 0 ? n_slots : 1, sizeof(int *));
  double **vdst = (double **) R_alloc(n_slots > 0 ? n_slots : 1,
                                      sizeof(double *));
  int **wdst = (int **) R_alloc((size_t) (nc > 0 ? nc : 1), sizeof(int *));
  for (int j = 0; j < n_wp; j++) {
    int w = present[j];
    INTEGER(waves)[j] = w + 1;
    R_xlen_t tot = 0;
    for (int g = 0; g < n_g; g++) {
      size_t sl = (size_t) w * n_g + g;
      SEXP v = pa_alloc_vector(INTSXP, count[sl]);
      SET_VECTOR_ELT(cells, (R_xlen_t) j * n_g + g, v);
      dst[sl] = INTEGER(v);
      if (want_v) {
        SEXP x = pa_alloc_vector(REALSXP, count[sl]);
        SET_VECTOR_ELT(values, (R_xlen_t) j * n_g + g, x);
        vdst[sl] = REAL(x);
      }
      tot += count[sl];
    }
    if (want) {
      SEXP v = pa_alloc_vector(INTSXP, tot);
      SET_VECTOR_ELT(wave_rows, j, v);
      wdst[w] = INTEGER(v);
    }
  }
  for (R_xlen_t i = 0; i < n; i++) {
    int sl = slot[i];
    if (sl < 0) continue;
    *dst[sl]++ = (int) (i + 1);
    if (want) *wdst[sl / n_g]++ = (int) (i + 1);
    /* (only values that are not missing: an integer or logical value is
     * exactly the double as.numeric() gives) */
    if (want_v) {
      *vdst[sl]++ = type == REALSXP ? col.real[i] : (double) col.ints[i];
    }
  }
  SET_VECTOR_ELT(out, 0, waves);
  SET_VECTOR_ELT(out, 1, cells);
  SET_VECTOR_ELT(out, 2, wave_rows);
  SET_VECTOR_ELT(out, 3, values);
  UNPROTECT(5);
  return out;
}

/* split(x, key) for an integer vector x without attributes and integer
 * keys 1..k (NA: left out): a list of k integer vectors, each in the
 * order of x. NULL when a key is outside 1..k (the caller then uses
 * split()). */
SEXP r_split_rows(SEXP x, SEXP key, SEXP k) {
  if (!Rf_isInteger(x) || !Rf_isInteger(key) || XLENGTH(x) != XLENGTH(key)) {
    Rf_error("internal error: split_rows() needs integer rows and keys");
  }
  int kk = Rf_asInteger(k);
  if (kk == NA_INTEGER || kk < 0) Rf_error("internal error: number of keys");
  R_xlen_t n = XLENGTH(x);
  const int *kv = INTEGER(key), *xv = INTEGER(x);
  R_xlen_t *count = (R_xlen_t *) R_alloc((size_t) kk + 1, sizeof(R_xlen_t));
  for (int j = 0; j <= kk; j++) count[j] = 0;
  for (R_xlen_t i = 0; i < n; i++) {
    int g = kv[i];
    if (g == NA_INTEGER) continue;
    if (g < 1 || g > kk) return R_NilValue;
    count[g]++;
  }
  SEXP out = PROTECT(Rf_allocVector(VECSXP, kk));
  int **dst = (int **) R_alloc((size_t) kk + 1, sizeof(int *));
  for (int j = 0; j < kk; j++) {
    SET_VECTOR_ELT(out, j, pa_alloc_vector(INTSXP, count[j + 1]));
    dst[j] = INTEGER(VECTOR_ELT(out, j));
  }
  for (R_xlen_t i = 0; i < n; i++) {
    int g = kv[i];
    if (g == NA_INTEGER) continue;
    *dst[g - 1]++ = xv[i];
  }
  UNPROTECT(1);
  return out;
}

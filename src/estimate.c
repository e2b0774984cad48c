/* The estimators' numerical core (see estimate.h): Hajek means of cells,
 * their estimating functions, the products of the sandwich that involve
 * the weights' derivatives, and the aggregation of influence values into
 * a covariance.
 *
 * A person answers a wave once, so an outcome's cells (wave x group x
 * level) hold each person at most once per wave: the entries are stored as
 * (person, cell, value) triplets, never as a people x cells matrix of
 * mostly zeros. Sums are taken in the order R took them before this
 * kernel existed (long double for sum(), row order for rowsum(), the
 * four-lane products of crossprod.c for X'A), so the results are those of
 * the R code they replace, to the last bit where the order is the same. */
#include "estimate.h"
#include "linalg.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

void pa_cell_means(size_t m, const int *person, const int *cell,
                   const double *w, const double *y, size_t n, int q,
                   double na, double *sum_w, double *sum_w2, int *count,
                   double *estimate, double *resid, double *phi,
                   double *sum_wr2) {
  /* long double accumulators, as R's sum(); a cell's entries usually come
   * in one run, whose sums stay in registers until the cell changes (the
   * same additions in the same order as through the arrays) */
  long double sw[64], swy[64], sw2[64];
  for (int k0 = 0; k0 < q; k0 += 64) {
    int k1 = q - k0 < 64 ? q : k0 + 64;
    for (int k = k0; k < k1; k++) {
      sw[k - k0] = swy[k - k0] = sw2[k - k0] = 0.0L;
      count[k] = 0;
    }
    int cur = -1, run = 0;
    long double a_w = 0.0L, a_wy = 0.0L, a_w2 = 0.0L;
    for (size_t e = 0; e < m; e++) {
      int k = cell[e];
      if (k < k0 || k >= k1) continue;
      if (k != cur) {
        if (cur >= 0) {
          sw[cur - k0] = a_w;
          swy[cur - k0] = a_wy;
          sw2[cur - k0] = a_w2;
          count[cur] += run;
        }
        cur = k;
        a_w = sw[k - k0];
        a_wy = swy[k - k0];
        a_w2 = sw2[k - k0];
        run = 0;
      }
      double we = w[e];
      a_w += we;
      a_wy += we * y[e];
      a_w2 += we * we;
      run++;
    }
    if (cur >= 0) {
      sw[cur - k0] = a_w;
      swy[cur - k0] = a_wy;
      sw2[cur - k0] = a_w2;
      count[cur] += run;
    }
    for (int k = k0; k < k1; k++) {
      sum_w[k] = (double) sw[k - k0];
      sum_w2[k] = (double) sw2[k - k0];
      estimate[k] = count[k] ? (double) swy[k - k0] / sum_w[k] : na;
    }
  }
  for (size_t e = 0; e < m; e++) {
    int k = cell[e];
    double r = y[e] - estimate[k];
    resid[e] = r;
    if (phi) phi[(size_t) person[e] + (size_t) k * n] = w[e] * r;
  }
  if (!sum_wr2) return;
  for (int k0 = 0; k0 < q; k0 += 64) {
    int k1 = q - k0 < 64 ? q : k0 + 64;
    for (int k = k0; k < k1; k++) sw[k - k0] = 0.0L;
    int cur = -1;
    long double a = 0.0L;
    for (size_t e = 0; e < m; e++) {
      int k = cell[e];
      if (k < k0 || k >= k1) continue;
      if (k != cur) {
        if (cur >= 0) sw[cur - k0] = a;
        cur = k;
        a = sw[k - k0];
      }
      double r = resid[e];
      double r2 = r * r;
      a += w[e] * r2;
    }
    if (cur >= 0) sw[cur - k0] = a;
    for (int k = k0; k < k1; k++) sum_wr2[k] = (double) sw[k - k0];
  }
}

void pa_cell_run(size_t m, double *w, double *y, double na, double *sum_w,
                 double *sum_w2, int *count, double *estimate,
                 double *sum_wr2, double *v) {
  long double a_w = 0.0L, a_wy = 0.0L, a_w2 = 0.0L;
  for (size_t e = 0; e < m; e++) {
    double we = w[e];
    a_w += we;
    a_wy += we * y[e];
    a_w2 += we * we;
  }
  *sum_w = (double) a_w;
  *sum_w2 = (double) a_w2;
  *count = (int) m;
  double est = m ? (double) a_wy / *sum_w : na;
  *estimate = est;
  long double a = 0.0L;
  for (size_t e = 0; e < m; e++) {
    double r = y[e] - est;
    y[e] = r;
    double r2 = r * r;
    a += w[e] * r2;
    v[e] = w[e] * r;
  }
  *sum_wr2 = (double) a;
}

/* x where keep is non-zero, else +0, by masking x's bits: no branch,
 * which the processor would mispredict on a pattern it cannot learn
 * (who answered, whose weight is missing). */
static inline double zero_unless(double x, int keep) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  bits &= (uint64_t) 0 - (uint64_t) (keep != 0);
  memcpy(&x, &bits, sizeof bits);
  return x;
}

void pa_column_sums(const double *w, size_t n, int k, double *sum,
                    double *sum_sq) {
  for (int j = 0; j < k; j++) {
    const double *wj = w + (size_t) j * n;
    long double s = 0.0L, s2 = 0.0L;
    /* a missing weight adds +0, which leaves either sum as it is (they
     * start at +0 and cannot become -0): no branch on the NAs, whose
     * places are as good as random */
    for (size_t i = 0; i < n; i++) {
      double v = wj[i];
      v = zero_unless(v, v == v);
      s += v;
      s2 += v * v;
    }
    sum[j] = (double) s;
    sum_sq[j] = (double) s2;
  }
}

void pa_tipping_shares(int q, const int *const *members,
                       const size_t *n_members, const int *person,
                       const int *const *grp, const size_t *n_grp,
                       const double *d, const int *mean, int base,
                       int *stamp, int *ok, double *share, double *size_out,
                       unsigned char *const *answered_out) {
  const int *size_of = NULL;
  size_t size_n = 0;
  double size = 0.0;
  for (int r = 0; r < q; r++) {
    ok[r] = -1;
    if (!members[r]) continue;
    /* the row's own marks: 2r + 1 in the group, 2r + 2 answered (marks
     * of earlier rows are smaller) */
    int in_group = 2 * r + 1, answered = 2 * r + 2;
    const int *g = grp[r];
    size_t ng = n_grp[r];
    for (size_t i = 0; i < ng; i++) stamp[g[i] - base] = in_group;
    ok[r] = 1;
    for (size_t i = 0; i < n_members[r]; i++) {
      int p = person[members[r][i] - base] - base;
      if (stamp[p] != in_group && stamp[p] != answered) {
        ok[r] = 0;
        break;
      }
      stamp[p] = answered;
    }
    if (!ok[r] || !mean[r]) continue;
    /* a group's size N_d is the same sum for each of its rows (the rows
     * of a group share its people): summed once */
    long double out = 0.0L;
    if (g != size_of || ng != size_n) {
      long double total = 0.0L;
      for (size_t i = 0; i < ng; i++) total += d[g[i] - base];
      size_of = g;
      size_n = ng;
      size = (double) total;
    }
    unsigned char *a = answered_out[r];
    for (size_t i = 0; i < ng; i++) {
      int yes = stamp[g[i] - base] == answered;
      a[i] = (unsigned char) yes;
      /* (+0 for those who answered: no branch) */
      out += zero_unless(d[g[i] - base], !yes);
    }
    share[r] = (double) out / size;
    size_out[r] = size;
  }
}

/* A person's weight in a wave's derivatives: NA (or NaN) counts as 0, as
 * for a person who did not answer. */
static inline double feed_wt(const pa_dphi *d, int i) {
  double v = d->wt[i];
  return isnan(v) ? 0 : v;
}

/* Element k of entry r's row of a dense or factor-form derivative. */
static inline double dphi_row_value(const pa_dphi *d, size_t r, int k) {
  size_t i = d->sel ? (size_t) d->sel[r] : r;
  if (d->x) {
    size_t xr = d->xcode ? (size_t) d->xcode[i] : i;
    double t = (d->fa[i] * d->x[xr + (size_t) k * d->ldx]) * d->fr[i];
    return (t + t) / (2 * d->fw[i]);
  }
  return d->v[i + (size_t) k * d->ld];
}

/* Adds entry r's row of a dense or factor-form derivative, columns
 * cols[0..nc-1], times wt to e[0], e[step], e[2 step], ...: the values of
 * dphi_row_value(), with the entry's factors read once. */
static inline void add_dphi_row(const pa_dphi *d, size_t r, const int *cols,
                                int nc, double wt, double *e, size_t step) {
  size_t i = d->sel ? (size_t) d->sel[r] : r;
  if (d->x) {
    const double *xi = d->x + (d->xcode ? (size_t) d->xcode[i] : i);
    double a = d->fa[i], rr = d->fr[i], w2 = 2 * d->fw[i];
    size_t ldx = d->ldx;
    for (int c = 0; c < nc; c++) {
      double t = (a * xi[(size_t) cols[c] * ldx]) * rr;
      e[(size_t) c * step] += (t + t) / w2 * wt;
    }
    return;
  }
  const double *vi = d->v + i;
  for (int c = 0; c < nc; c++) {
    e[(size_t) c * step] += vi[(size_t) cols[c] * d->ld] * wt;
  }
}

void pa_dphi_used(const pa_dphi *d, int q, int *used) {
  if (d->col) {
    for (size_t r = 0; r < d->m; r++) {
      double v = d->v[r] * feed_wt(d, d->rows[r]);
      if (v != 0 || isnan(v)) used[d->col[r]] = 1;
    }
    return;
  }
  for (int k = 0; k < q; k++) {
    if (used[k]) continue;
    for (size_t r = 0; r < d->m; r++) {
      double v = dphi_row_value(d, r, k) * feed_wt(d, d->rows[r]);
      if (v != 0 || isnan(v)) {
        used[k] = 1;
        break;
      }
    }
  }
}

void pa_stage_gradient(const pa_dphi *feeds, int n_feeds, const int *slot,
                       const double *x, size_t n_risk, int p,
                       const double *factor, int q, const int *cols, int nc,
                       int *pos, double *e, double *out) {
  /* position of each column among cols, -1 when not used */
  for (int k = 0; k < q; k++) pos[k] = -1;
  for (int c = 0; c < nc; c++) pos[cols[c]] = c;
  for (int f = 0; f < n_feeds; f++) {
    const pa_dphi *d = feeds + f;
    for (size_t r = 0; r < d->m; r++) {
      int i = d->rows[r];
      int s = slot[i];
      if (s < 0) continue;
      double wt = feed_wt(d, i);
      if (d->col) {
        int k = d->col[r];
        int c = pos[k];
        if (c >= 0) e[(size_t) s + (size_t) c * n_risk] += d->v[r] * wt;
      } else {
        add_dphi_row(d, r, cols, nc, wt, e + s, n_risk);
      }
    }
  }
  for (int c = 0; c < nc; c++) {
    double *ec = e + (size_t) c * n_risk;
    for (size_t s = 0; s < n_risk; s++) ec[s] = factor[s] * ec[s];
    pa_crossprod_vec(x, n_risk, p, ec, out + (size_t) c * (size_t) p);
  }
}

int pa_stage_runs(const pa_dphi *feeds, int n_feeds, const int *slot,
                  int *run_feed, size_t *run_start, size_t *run_end) {
  int n_runs = 0;
  for (int f = 0; f < n_feeds; f++) {
    const pa_dphi *d = feeds + f;
    if (d->m == 0) continue;
    int last = -1;
    size_t start = 0;
    for (size_t r = 0; r < d->m; r++) {
      int s = slot[d->rows[r]];
      if (s < 0) continue;
      if (s < last) {
        if (run_feed) {
          run_feed[n_runs] = f;
          run_start[n_runs] = start;
          run_end[n_runs] = r;
        }
        n_runs++;
        start = r;
      }
      last = s;
    }
    if (run_feed) {
      run_feed[n_runs] = f;
      run_start[n_runs] = start;
      run_end[n_runs] = d->m;
    }
    n_runs++;
  }
  return n_runs;
}

void pa_stage_gradient_runs(const pa_dphi *feeds, const int *slot,
                            const double *x, size_t n_risk, int p,
                            const double *factor, const int *cols, int nc,
                            const int *pos, const int *run_feed,
                            const size_t *run_start, const size_t *run_end,
                            int n_runs, size_t *cursor, double *eb,
                            double *lanes, double *out) {
  size_t bl = PA_STAGE_BLOCK;
  memset(lanes, 0, (size_t) nc * (size_t) p * 4 * sizeof(double));
  for (int u = 0; u < n_runs; u++) cursor[u] = run_start[u];
  for (size_t a = 0; a < n_risk; a += bl) {
    size_t m = n_risk - a < bl ? n_risk - a : bl;
    memset(eb, 0, bl * (size_t) nc * sizeof(double));
    /* the entries whose rows at risk fall in [a, a + m), run by run (so
     * feed by feed, each in entry order) */
    for (int u = 0; u < n_runs; u++) {
      const pa_dphi *d = feeds + run_feed[u];
      size_t r = cursor[u];
      for (; r < run_end[u]; r++) {
        int i = d->rows[r];
        int s = slot[i];
        if (s < 0) continue;
        if ((size_t) s >= a + m) break;
        double wt = feed_wt(d, i);
        size_t at = (size_t) s - a;
        if (d->col) {
          int c = pos[d->col[r]];
          if (c >= 0) eb[at + (size_t) c * bl] += d->v[r] * wt;
        } else {
          add_dphi_row(d, r, cols, nc, wt, eb + at, bl);
        }
      }
      cursor[u] = r;
    }
    for (int c = 0; c < nc; c++) {
      double *ec = eb + (size_t) c * bl;
      for (size_t s = 0; s < m; s++) ec[s] = factor[a + s] * ec[s];
      pa_crossprod_vec_lanes_ld(x + a, n_risk, m, p, ec,
                                lanes + (size_t) c * (size_t) p * 4);
    }
  }
  for (int c = 0; c < nc; c++) {
    const double *lc = lanes + (size_t) c * (size_t) p * 4;
    for (int j = 0; j < p; j++) {
      out[(size_t) j + (size_t) c * (size_t) p] =
        pa_lanes_total(lc + 4 * (size_t) j);
    }
  }
}

/* The four-lane sums of the lower triangle (j <= k) of the cross-product
 * of a block of m rows (m x q, column-major), carried on in lanes (q x q x
 * 4, column k's sums at lanes + 4 q k): the lane of (j, k) with j > k is
 * that of (k, j), since each lane adds the same products in the same
 * order, so only half of them are formed. */
static void block_lanes(const double *block, size_t m, int q,
                        double *lanes) {
  for (int k = 0; k < q; k++) {
    pa_crossprod_vec_lanes(block, m, k + 1, block + (size_t) k * m,
                           lanes + (size_t) k * (size_t) q * 4);
  }
}

/* n/(n-1) times the lanes' totals, the symmetric q x q result from the
 * lower triangle. */
static void lanes_out(const double *lanes, size_t n, int q, double *out) {
  double nn = (double) n, d = n > 1 ? (double) n - 1 : 1;
  for (int k = 0; k < q; k++) {
    const double *lk = lanes + (size_t) k * (size_t) q * 4;
    for (int j = 0; j <= k; j++) {
      double v = pa_lanes_total(lk + 4 * (size_t) j) * nn / d;
      out[(size_t) j + (size_t) k * (size_t) q] = v;
      out[(size_t) k + (size_t) j * (size_t) q] = v;
    }
  }
}

void pa_vcov_iid(const double *infl, size_t n, int q, double *scratch,
                 double *out) {
  /* scratch: the column means (q), the lanes (q x q x 4), then a block of
   * PA_VCOV_BLOCK centred rows (PA_VCOV_BLOCK x q) */
  double *mean = scratch;
  double *lanes = mean + q;
  double *block = lanes + (size_t) q * (size_t) q * 4;
  for (int k = 0; k < q; k++) {
    const double *xk = infl + (size_t) k * n;
    /* colMeans(): a long double sum divided in long double */
    long double s = 0.0L;
    for (size_t i = 0; i < n; i++) s += xk[i];
    mean[k] = (double) (s / (long double) n);
  }
  memset(lanes, 0, (size_t) q * (size_t) q * 4 * sizeof(double));
  /* the centred cross-product block by block of rows (a multiple of 4),
   * its four-lane sums carried over: the sums of one pass over all the
   * rows, without a centred copy of the whole matrix */
  for (size_t a = 0; a < n; a += PA_VCOV_BLOCK) {
    size_t m = n - a < PA_VCOV_BLOCK ? n - a : PA_VCOV_BLOCK;
    for (int k = 0; k < q; k++) {
      const double *xk = infl + (size_t) k * n + a;
      double *ck = block + (size_t) k * m;
      for (size_t i = 0; i < m; i++) ck[i] = xk[i] - mean[k];
    }
    block_lanes(block, m, q, lanes);
  }
  lanes_out(lanes, n, q, out);
}

void pa_vcov_iid_sparse(const pa_sparse_col *cols, size_t n, int q,
                        double *scratch, size_t *cursor, double *out) {
  double *mean = scratch;
  double *lanes = mean + q;
  double *block = lanes + (size_t) q * (size_t) q * 4;
  for (int k = 0; k < q; k++) {
    /* the zeros left out add nothing to the sum (which starts at +0, so
     * it is never -0), so it is the dense column's, in the same order */
    long double s = 0.0L;
    for (size_t e = 0; e < cols[k].m; e++) {
      s += pa_sparse_value(cols + k, e);
    }
    mean[k] = (double) (s / (long double) n);
    cursor[k] = 0;
  }
  memset(lanes, 0, (size_t) q * (size_t) q * 4 * sizeof(double));
  for (size_t a = 0; a < n; a += PA_VCOV_BLOCK) {
    size_t m = n - a < PA_VCOV_BLOCK ? n - a : PA_VCOV_BLOCK;
    for (int k = 0; k < q; k++) {
      double *ck = block + (size_t) k * m;
      /* 0.0 - mean, not -mean: the dense column's zero minus its mean
       * (+0 when the mean is 0) */
      double zero = 0.0 - mean[k];
      for (size_t i = 0; i < m; i++) ck[i] = zero;
      const pa_sparse_col *c = cols + k;
      size_t e = cursor[k];
      while (e < c->m && (size_t) (c->pos[e] - c->base) < a + m) {
        ck[(size_t) (c->pos[e] - c->base) - a] = pa_sparse_value(c, e) -
          mean[k];
        e++;
      }
      cursor[k] = e;
    }
    block_lanes(block, m, q, lanes);
  }
  lanes_out(lanes, n, q, out);
}

/* The PSU of each row and the strata (see pa_vcov_design()): index[code]
 * the PSU's position among those present (in code order), n_h[h] the
 * PSUs of stratum h, s_psu[u] the stratum of PSU u and pop_psu[u] its
 * population count (the first row's). Returns the number of PSUs. */
static int design_index(size_t n, const int *psu, const int *strata,
                        const double *pop, int n_psu_codes, int n_strata,
                        int *iwork, double *dwork) {
  int *index = iwork;                       /* n_psu_codes + 1 */
  int *n_h = iwork + n_psu_codes + 1;       /* n_strata + 1 */
  int *s_psu = n_h + n_strata + 1;          /* n_psu_codes */
  double *pop_psu = dwork;                  /* n_psu_codes */
  for (int j = 0; j <= n_psu_codes; j++) index[j] = -1;
  for (int h = 0; h <= n_strata; h++) n_h[h] = 0;
  for (size_t i = 0; i < n; i++) index[psu[i]] = 0;
  int n_psu = 0;
  for (int j = 1; j <= n_psu_codes; j++) if (index[j] == 0) index[j] = n_psu++;
  /* the first person of each PSU gives its stratum and population */
  for (int u = 0; u < n_psu; u++) s_psu[u] = 0;
  for (size_t i = 0; i < n; i++) {
    int u = index[psu[i]];
    if (s_psu[u] == 0) {
      s_psu[u] = strata[i];
      pop_psu[u] = pop ? pop[i] : NAN;
    }
  }
  for (int u = 0; u < n_psu; u++) n_h[s_psu[u]]++;
  return n_psu;
}

/* From the PSU totals z (n_psu x q): centred within strata, scaled by f
 * n_h / (n_h - 1) and the lonely-PSU rule, cross-product into out. */
static void design_finish(double *z, int n_psu, int q, int has_pop,
                          int n_psu_codes, int n_strata, int rule,
                          const int *iwork, double *dwork, double *out) {
  const int *n_h = iwork + n_psu_codes + 1;
  const int *s_psu = n_h + n_strata + 1;
  const double *pop_psu = dwork;
  /* stratum means of the PSU totals (PSUs in code order), centring,
   * scaling by f n_h / (n_h - 1) */
  double *mean_h = dwork + n_psu_codes;     /* n_strata + 1 */
  int any_lonely = 0;
  for (int u = 0; u < n_psu; u++) if (n_h[s_psu[u]] == 1) any_lonely = 1;
  for (int k = 0; k < q; k++) {
    double *zk = z + (size_t) k * (size_t) n_psu;
    for (int h = 0; h <= n_strata; h++) mean_h[h] = 0;
    for (int u = 0; u < n_psu; u++) mean_h[s_psu[u]] += zk[u];
    for (int u = 0; u < n_psu; u++) {
      int nj = n_h[s_psu[u]];
      int lonely = nj == 1;
      if (!lonely || rule != 1) zk[u] = zk[u] - mean_h[s_psu[u]] / nj;
    }
  }
  /* the scale of each PSU, then z sqrt(scale) */
  int n_str = 0, n_str_lonely = 0;
  if (rule == 2 && any_lonely) {
    for (int h = 1; h <= n_strata; h++) {
      if (n_h[h] > 0) n_str++;
      if (n_h[h] == 1) n_str_lonely++;
    }
  }
  for (int u = 0; u < n_psu; u++) {
    int nj = n_h[s_psu[u]];
    double f = 1;
    if (has_pop && isfinite(pop_psu[u])) f = (pop_psu[u] - nj) / pop_psu[u];
    int lonely = nj == 1;
    double scale = lonely ? f : f * nj / (nj - 1 > 1 ? nj - 1 : 1);
    if (f < 1e-7) scale = 0;
    if (rule == 2 && any_lonely) {
      if (lonely) scale = 0;
      scale = scale * n_str / (n_str - n_str_lonely);
    }
    double r = sqrt(scale);
    for (int k = 0; k < q; k++) z[(size_t) u + (size_t) k * (size_t) n_psu] *= r;
  }
  for (int k = 0; k < q; k++) {
    pa_crossprod_vec(z, (size_t) n_psu, q, z + (size_t) k * (size_t) n_psu,
                     out + (size_t) k * (size_t) q);
  }
}

void pa_vcov_design(const double *infl, size_t n, int q, const int *psu,
                    const int *strata, const double *pop, int n_psu_codes,
                    int n_strata, int rule, double *z, int *iwork,
                    double *dwork, double *out) {
  int n_psu = design_index(n, psu, strata, pop, n_psu_codes, n_strata,
                           iwork, dwork);
  const int *index = iwork;
  /* PSU totals in row order, as rowsum() */
  memset(z, 0, (size_t) n_psu * (size_t) q * sizeof(double));
  for (int k = 0; k < q; k++) {
    const double *xk = infl + (size_t) k * n;
    double *zk = z + (size_t) k * (size_t) n_psu;
    for (size_t i = 0; i < n; i++) zk[index[psu[i]]] += xk[i];
  }
  design_finish(z, n_psu, q, pop != NULL, n_psu_codes, n_strata, rule,
                iwork, dwork, out);
}

void pa_vcov_design_sparse(const pa_sparse_col *cols, size_t n, int q,
                           const int *psu, const int *strata,
                           const double *pop, int n_psu_codes, int n_strata,
                           int rule, double *z, int *iwork, double *dwork,
                           double *out) {
  int n_psu = design_index(n, psu, strata, pop, n_psu_codes, n_strata,
                           iwork, dwork);
  const int *index = iwork;
  /* PSU totals in row order; the zeros left out would add nothing (the
   * totals start at +0 and are never -0) */
  memset(z, 0, (size_t) n_psu * (size_t) q * sizeof(double));
  for (int k = 0; k < q; k++) {
    double *zk = z + (size_t) k * (size_t) n_psu;
    const pa_sparse_col *c = cols + k;
    if (c->v) {
      for (size_t e = 0; e < c->m; e++) {
        zk[index[psu[c->pos[e] - c->base]]] += c->v[e];
      }
    } else {
      for (size_t e = 0; e < c->m; e++) {
        zk[index[psu[c->pos[e] - c->base]]] += pa_sparse_value(c, e);
      }
    }
  }
  design_finish(z, n_psu, q, pop != NULL, n_psu_codes, n_strata, rule,
                iwork, dwork, out);
}

void pa_add_scores(double *total, size_t n, const int *risk, size_t n_risk,
                   const int *cols, int nc, const double *r, const double *x,
                   int p, const double *m, double *acc, size_t chunk) {
  if (!x) {
    for (int c = 0; c < nc; c++) {
      double *tc = total + (size_t) cols[c] * n;
      const double *mc = m + (size_t) c * n_risk;
      for (size_t i = 0; i < n_risk; i++) tc[risk[i]] = tc[risk[i]] + mc[i];
    }
    return;
  }
  /* r * (X m) by blocks of rows, each element summed over j in order from
   * 0 as pa_x_times_b() sums it */
  for (size_t a = 0; a < n_risk; a += chunk) {
    size_t b = n_risk - a < chunk ? n_risk - a : chunk;
    for (int c = 0; c < nc; c++) {
      double *tc = total + (size_t) cols[c] * n;
      for (size_t i = 0; i < b; i++) acc[i] = 0;
      for (int j = 0; j < p; j++) {
        const double *xj = x + (size_t) j * n_risk + a;
        double mjc = m[(size_t) j + (size_t) c * (size_t) p];
        for (size_t i = 0; i < b; i++) acc[i] += xj[i] * mjc;
      }
      for (size_t i = 0; i < b; i++) {
        size_t at = (size_t) risk[a + i];
        tc[at] = tc[at] + r[a + i] * acc[i];
      }
    }
  }
}

void pa_scale_columns(double *total, size_t n, int q, const double *by) {
  for (int k = 0; k < q; k++) {
    double *tk = total + (size_t) k * n;
    double d = by[k];
    for (size_t i = 0; i < n; i++) tk[i] = tk[i] / d;
  }
}

int pa_solve_rows(double *total, size_t n, int q, const double *lu,
                  const int *piv, double *buf, size_t chunk) {
  for (size_t a = 0; a < n; a += chunk) {
    size_t b = n - a < chunk ? n - a : chunk;
    for (size_t i = 0; i < b; i++) {
      for (int k = 0; k < q; k++) {
        buf[(size_t) k + i * (size_t) q] = total[a + i + (size_t) k * n];
      }
    }
    int info = pa_lu_solve_factored(lu, q, piv, buf, (int) b);
    if (info) return info;
    for (size_t i = 0; i < b; i++) {
      for (int k = 0; k < q; k++) {
        total[a + i + (size_t) k * n] = -buf[(size_t) k + i * (size_t) q];
      }
    }
  }
  return 0;
}

/* The loop of one chunk cross-product kernel, included by crossprod.c
 * once per precision with these defined: TILE_NAME (the function),
 * TILE_T (element type of X), TILE_V (a vector of TILE_LANES of them),
 * TILE_LOAD, TILE_ZERO, TILE_MUL, TILE_FMA (vector operations) and
 * TILE_SUM (the lanes of an accumulator added in double). Undefines them
 * all at the end.
 *
 * The j tile takes columns j0 and j1 = j0 + 1 (j1 = j0 when j0 is the last
 * column); the k tile takes k0..k0+3 clamped to j1. Clamped or surplus
 * elements are computed and not stored, which keeps the inner loop free
 * of branches; since each element is always the same sequence of
 * operations, which tile computes it does not matter. */
#if defined(PA_TARGET_CLONES)
__attribute__((target_clones("avx2", "default")))
#endif
static void TILE_NAME(const TILE_T *x, size_t n, int p, const double *w,
                      size_t a, size_t m, double *tri_out) {
  TILE_T wa[PA_CHUNK];
  for (size_t i = 0; i < m; i++) wa[i] = (TILE_T) w[a + i];
  size_t mv = m - m % TILE_LANES;
  for (int j0 = 0; j0 < p; j0 += 2) {
    int j1 = j0 + 1 < p ? j0 + 1 : j0;
    const TILE_T *xa = x + (size_t) j0 * n + a, *xb = x + (size_t) j1 * n + a;
    for (int k0 = 0; k0 <= j1; k0 += 4) {
      int kk[4];
      for (int t = 0; t < 4; t++) kk[t] = k0 + t <= j1 ? k0 + t : j1;
      const TILE_T *x0 = x + (size_t) kk[0] * n + a,
                   *x1 = x + (size_t) kk[1] * n + a,
                   *x2 = x + (size_t) kk[2] * n + a,
                   *x3 = x + (size_t) kk[3] * n + a;
      TILE_V s00, s01, s02, s03, s10, s11, s12, s13;
      TILE_ZERO(s00); TILE_ZERO(s01); TILE_ZERO(s02); TILE_ZERO(s03);
      TILE_ZERO(s10); TILE_ZERO(s11); TILE_ZERO(s12); TILE_ZERO(s13);
      size_t i = 0;
      for (; i < mv; i += TILE_LANES) {
        TILE_V wv, va, vb, za, zb, c0, c1, c2, c3;
        TILE_LOAD(wv, wa + i);
        TILE_LOAD(va, xa + i);
        TILE_LOAD(vb, xb + i);
        TILE_MUL(za, wv, va);
        TILE_MUL(zb, wv, vb);
        TILE_LOAD(c0, x0 + i);
        TILE_LOAD(c1, x1 + i);
        TILE_LOAD(c2, x2 + i);
        TILE_LOAD(c3, x3 + i);
        TILE_FMA(s00, za, c0); TILE_FMA(s01, za, c1);
        TILE_FMA(s02, za, c2); TILE_FMA(s03, za, c3);
        TILE_FMA(s10, zb, c0); TILE_FMA(s11, zb, c1);
        TILE_FMA(s12, zb, c2); TILE_FMA(s13, zb, c3);
      }
      TILE_T acc[2][4][TILE_LANES];
      memcpy(acc[0][0], &s00, sizeof(TILE_V));
      memcpy(acc[0][1], &s01, sizeof(TILE_V));
      memcpy(acc[0][2], &s02, sizeof(TILE_V));
      memcpy(acc[0][3], &s03, sizeof(TILE_V));
      memcpy(acc[1][0], &s10, sizeof(TILE_V));
      memcpy(acc[1][1], &s11, sizeof(TILE_V));
      memcpy(acc[1][2], &s12, sizeof(TILE_V));
      memcpy(acc[1][3], &s13, sizeof(TILE_V));
      /* the last m % TILE_LANES rows go to the lanes they would have had */
      const TILE_T *xs[4] = {x0, x1, x2, x3};
      for (; i < m; i++) {
        int l = (int) (i % TILE_LANES);
        TILE_T za = wa[i] * xa[i], zb = wa[i] * xb[i];
        for (int t = 0; t < 4; t++) {
          acc[0][t][l] += za * xs[t][i];
          acc[1][t][l] += zb * xs[t][i];
        }
      }
      for (int t = 0; t < 4; t++) {
        int k = k0 + t;
        for (int r = 0; r < 2; r++) {
          int j = r ? j1 : j0;
          if ((r && j1 == j0) || k > j || kk[t] != k) continue;
          tri_out[tri(j, k)] = TILE_SUM(acc[r][t]);
        }
      }
    }
  }
}

#undef TILE_NAME
#undef TILE_T
#undef TILE_V
#undef TILE_LANES
#undef TILE_LOAD
#undef TILE_ZERO
#undef TILE_MUL
#undef TILE_FMA
#undef TILE_SUM

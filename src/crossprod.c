/* Weighted cross-products X' diag(w) X and X' v for the model kernels.
 * See linalg.h for the interface.
 *
 * These products are most of the arithmetic of a logistic fit (X'WX is
 * formed at every scoring step), so they are written for the cache and for
 * SIMD units:
 *
 * - Rows are taken in chunks of PA_CHUNK. Within a chunk a 2 x 4 tile of
 *   output elements (columns j, j+1 against k..k+3) is accumulated in
 *   registers while the chunk's rows stream past, so each column of the
 *   chunk is read about p / 4 times from L1/L2 instead of from memory.
 * - Every accumulator has four lanes, lane l summing the rows i with
 *   i % 4 == l. GCC and Clang map a lane group onto one 256-bit register
 *   (or two 128-bit ones); other compilers run the same operations as
 *   scalar code. Either way each output element is, per chunk,
 *   (lane0 + lane1) + (lane2 + lane3), each lane summed in row order, and
 *   the chunks are added in order. The result therefore does not depend on
 *   the compiler's vector width, on the CPU, or on the number of threads
 *   (chunks are independent, so they are shared out between OpenMP
 *   threads and their partial sums added in chunk order afterwards).
 * - Where the compiler supports function multi-versioning (configure
 *   defines PA_TARGET_CLONES), the two loops are also compiled for AVX2
 *   and the CPU picks at load time. AVX2 without FMA performs the same
 *   roundings as the baseline code, only four lanes at once.
 * - pa_crossprod_wf() is the same product from a float copy of X, eight
 *   lanes of floats per register (twice the products per instruction,
 *   half the bytes), with each chunk's lanes added in double. Its relative
 *   error, about 1e-6, is harmless in the matrix of a Newton step, whose
 *   fixed point the gradient (in double) decides; nothing reported comes
 *   from it. */
#include "linalg.h"

#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif


#if defined(__GNUC__) && !defined(PA_NO_VECTOR_EXT)
typedef double v4 __attribute__((vector_size(4 * sizeof(double))));
#define V4_FMA(acc, a, b) acc += (a) * (b)
#define V4_MUL(out, a, b) out = (a) * (b)
#else
typedef struct {
  double e[4];
} v4;
#define V4_FMA(acc, a, b)                                                  \
  do {                                                                     \
    for (int l_ = 0; l_ < 4; l_++) (acc).e[l_] += (a).e[l_] * (b).e[l_];   \
  } while (0)
#define V4_MUL(out, a, b)                                                  \
  do {                                                                     \
    for (int l_ = 0; l_ < 4; l_++) (out).e[l_] = (a).e[l_] * (b).e[l_];    \
  } while (0)
#endif
#if defined(__GNUC__) && !defined(PA_NO_VECTOR_EXT)
typedef float v8f __attribute__((vector_size(8 * sizeof(float))));
#define V8_FMA(acc, a, b) acc += (a) * (b)
#define V8_MUL(out, a, b) out = (a) * (b)
#else
typedef struct {
  float e[8];
} v8f;
#define V8_FMA(acc, a, b)                                                  \
  do {                                                                     \
    for (int l_ = 0; l_ < 8; l_++) (acc).e[l_] += (a).e[l_] * (b).e[l_];   \
  } while (0)
#define V8_MUL(out, a, b)                                                  \
  do {                                                                     \
    for (int l_ = 0; l_ < 8; l_++) (out).e[l_] = (a).e[l_] * (b).e[l_];    \
  } while (0)
#endif
/* Vectors are moved with memcpy (unaligned loads) and never passed to or
 * returned from functions, which would tie the ABI to the vector width. */
#define V4_LOAD(v, p) memcpy(&(v), (p), sizeof(v4))
#define V4_ZERO(v) memset(&(v), 0, sizeof(v4))
#define V8_LOAD(v, p) memcpy(&(v), (p), sizeof(v8f))
#define V8_ZERO(v) memset(&(v), 0, sizeof(v8f))

/* Index of element (j, k), k <= j, in the packed lower triangle. */
static inline size_t tri(int j, int k) {
  return (size_t) j * ((size_t) j + 1) / 2 + (size_t) k;
}

/* The packed lower triangle of X' diag(w) X over rows [a, a + m),
 * m <= PA_CHUNK, into tri_out (overwritten): chunk_crossprod() in double
 * with four lanes, chunk_crossprod_f() from a float copy of X with eight
 * (lane l summing rows i % 8 == l, twice the products per instruction;
 * the weights are rounded to float too). Both are instances of the loop
 * in crossprod_tile.h, and both add the lanes of each element in double,
 * in a fixed order. */
#define TILE_NAME chunk_crossprod
#define TILE_T double
#define TILE_V v4
#define TILE_LANES 4
#define TILE_LOAD V4_LOAD
#define TILE_ZERO V4_ZERO
#define TILE_MUL V4_MUL
#define TILE_FMA V4_FMA
#define TILE_SUM(l) (((l)[0] + (l)[1]) + ((l)[2] + (l)[3]))
#include "crossprod_tile.h"

#define TILE_NAME chunk_crossprod_f
#define TILE_T float
#define TILE_V v8f
#define TILE_LANES 8
#define TILE_LOAD V8_LOAD
#define TILE_ZERO V8_ZERO
#define TILE_MUL V8_MUL
#define TILE_FMA V8_FMA
#define TILE_SUM(l)                                                        \
  ((((double) (l)[0] + (l)[1]) + ((double) (l)[2] + (l)[3])) +             \
   (((double) (l)[4] + (l)[5]) + ((double) (l)[6] + (l)[7])))
#include "crossprod_tile.h"

/* Either precision: chunks of X (or of its float copy xf when x is NULL)
 * into their packed partial sums, added in chunk order. */
static void chunk_any(const double *x, const float *xf, size_t n, int p,
                      const double *w, size_t a, size_t m, double *tri_out) {
  if (x) {
    chunk_crossprod(x, n, p, w, a, m, tri_out);
  } else {
    chunk_crossprod_f(xf, n, p, w, a, m, tri_out);
  }
}

static void crossprod_w(const double *x, const float *xf, size_t n, int p,
                        const double *w, double *out, int threads);

void pa_crossprod_w(const double *x, size_t n, int p, const double *w,
                    double *out, int threads) {
  crossprod_w(x, NULL, n, p, w, out, threads);
}

void pa_crossprod_wf(const float *xf, size_t n, int p, const double *w,
                     double *out, int threads) {
  crossprod_w(NULL, xf, n, p, w, out, threads);
}

static void crossprod_w(const double *x, const float *xf, size_t n, int p,
                        const double *w, double *out, int threads) {
  size_t pp = (size_t) p, nt = pp * (pp + 1) / 2;
  size_t nchunk = (n + PA_CHUNK - 1) / PA_CHUNK;
  double *tri_sum = NULL, *parts = NULL;
  int par = 0;
#ifdef _OPENMP
  if (threads > 1 && nchunk >= 4 && !omp_in_parallel()) {
    parts = malloc(nchunk * nt * sizeof(double));
    par = parts != NULL;
  }
#else
  (void) threads;
#endif
  if (!par) parts = malloc(2 * nt * sizeof(double));
  if (!parts) {
    /* no scratch: the same sums, the chunk partials kept in `out`'s upper
     * half would alias; fall back to one chunk at a time with the result
     * accumulated directly (same order, so the same result) */
    memset(out, 0, pp * pp * sizeof(double));
    for (size_t c = 0; c < nchunk; c++) {
      size_t a = c * PA_CHUNK, m = n - a < PA_CHUNK ? n - a : PA_CHUNK;
      for (int j = 0; j < p; j++) {
        for (int k = 0; k <= j; k++) {
          size_t oj = (size_t) j * n + a, ok = (size_t) k * n + a;
          double l4[4] = {0, 0, 0, 0};
          for (size_t i = 0; i < m; i++) {
            double xj = x ? x[oj + i] : xf[oj + i], xk = x ? x[ok + i] : xf[ok + i];
            l4[i % 4] += (w[a + i] * xj) * xk;
          }
          out[(size_t) k + (size_t) j * pp] += (l4[0] + l4[1]) + (l4[2] + l4[3]);
        }
      }
    }
    for (int j = 0; j < p; j++) {
      for (int k = 0; k < j; k++) out[(size_t) j + (size_t) k * pp] = out[(size_t) k + (size_t) j * pp];
    }
    return;
  }
  if (par) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t c = 0; c < nchunk; c++) {
      size_t a = c * PA_CHUNK, m = n - a < PA_CHUNK ? n - a : PA_CHUNK;
      chunk_any(x, xf, n, p, w, a, m, parts + c * nt);
    }
#endif
    tri_sum = parts;
    for (size_t c = 1; c < nchunk; c++) {
      const double *pc = parts + c * nt;
      for (size_t e = 0; e < nt; e++) tri_sum[e] += pc[e];
    }
  } else {
    tri_sum = parts;
    double *part = parts + nt;
    memset(tri_sum, 0, nt * sizeof(double));
    for (size_t c = 0; c < nchunk; c++) {
      size_t a = c * PA_CHUNK, m = n - a < PA_CHUNK ? n - a : PA_CHUNK;
      chunk_any(x, xf, n, p, w, a, m, part);
      for (size_t e = 0; e < nt; e++) tri_sum[e] += part[e];
    }
  }
  for (int j = 0; j < p; j++) {
    for (int k = 0; k <= j; k++) {
      double v = tri_sum[tri(j, k)];
      out[(size_t) k + (size_t) j * pp] = v;
      out[(size_t) j + (size_t) k * pp] = v;
    }
  }
  free(parts);
}

#if defined(__GNUC__)
#define PA_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define PA_ALWAYS_INLINE inline
#endif

/* The four-lane sums of v' X over rows 0..m-1 for columns k0..k0+3 of X
 * (leading dimension ld; columns past p repeat the last one), lane l
 * summing rows i % 4 == l in order, started from zero or from lanes (p x
 * 4, lanes[4 k + l] for column k, lane l). Inlined into each caller, so
 * each target clone computes it with its own instructions. */
static PA_ALWAYS_INLINE void lane_sums(const double *x, size_t ld, size_t m,
                                       int p, int k0, const double *v,
                                       const double *lanes, double acc[4][4]) {
  size_t n4 = m - m % 4;
  int kk[4];
  for (int t = 0; t < 4; t++) kk[t] = k0 + t < p ? k0 + t : p - 1;
  const double *x0 = x + (size_t) kk[0] * ld, *x1 = x + (size_t) kk[1] * ld,
               *x2 = x + (size_t) kk[2] * ld, *x3 = x + (size_t) kk[3] * ld;
  v4 s0, s1, s2, s3;
  if (lanes) {
    V4_LOAD(s0, lanes + 4 * (size_t) kk[0]);
    V4_LOAD(s1, lanes + 4 * (size_t) kk[1]);
    V4_LOAD(s2, lanes + 4 * (size_t) kk[2]);
    V4_LOAD(s3, lanes + 4 * (size_t) kk[3]);
  } else {
    V4_ZERO(s0); V4_ZERO(s1); V4_ZERO(s2); V4_ZERO(s3);
  }
  size_t i = 0;
  for (; i < n4; i += 4) {
    v4 vv, c0, c1, c2, c3;
    V4_LOAD(vv, v + i);
    V4_LOAD(c0, x0 + i);
    V4_LOAD(c1, x1 + i);
    V4_LOAD(c2, x2 + i);
    V4_LOAD(c3, x3 + i);
    V4_FMA(s0, vv, c0);
    V4_FMA(s1, vv, c1);
    V4_FMA(s2, vv, c2);
    V4_FMA(s3, vv, c3);
  }
  memcpy(acc[0], &s0, sizeof(v4)); memcpy(acc[1], &s1, sizeof(v4));
  memcpy(acc[2], &s2, sizeof(v4)); memcpy(acc[3], &s3, sizeof(v4));
  const double *xs[4] = {x0, x1, x2, x3};
  for (; i < m; i++) {
    for (int t = 0; t < 4; t++) acc[t][i % 4] += v[i] * xs[t][i];
  }
}

/* out = X' v over the rows [a, a + m) of X (n x p), four columns at a
 * time with four-lane accumulators (lane l sums rows i % 4 == l of the
 * range, in order), so that the additions do not wait on each other. */
#if defined(PA_TARGET_CLONES)
__attribute__((target_clones("avx2", "default")))
#endif
void pa_crossprod_vec_rows(const double *x, size_t n, int p,
                           const double *v, size_t a, size_t m,
                           double *out) {
  for (int k0 = 0; k0 < p; k0 += 4) {
    double acc[4][4];
    lane_sums(x + a, n, m, p, k0, v + a, NULL, acc);
    for (int t = 0; t < 4 && k0 + t < p; t++) {
      out[k0 + t] = (acc[t][0] + acc[t][1]) + (acc[t][2] + acc[t][3]);
    }
  }
}

/* pa_crossprod_vec_rows() over rows 0..m-1 of X (m x p) whose four-lane
 * sums go on from lanes (p x 4, lanes[4 k + l] for column k, lane l) and
 * are left there: called on consecutive blocks of rows whose lengths are
 * multiples of 4 (but the last), it sums each lane in the same order as
 * one call over all the rows, so pa_lanes_total() gives the same bits. */
#if defined(PA_TARGET_CLONES)
__attribute__((target_clones("avx2", "default")))
#endif
void pa_crossprod_vec_lanes(const double *x, size_t m, int p,
                            const double *v, double *lanes) {
  for (int k0 = 0; k0 < p; k0 += 4) {
    double acc[4][4];
    lane_sums(x, m, m, p, k0, v, lanes, acc);
    for (int t = 0; t < 4 && k0 + t < p; t++) {
      memcpy(lanes + 4 * (size_t) (k0 + t), acc[t], 4 * sizeof(double));
    }
  }
}

#if defined(PA_TARGET_CLONES)
__attribute__((target_clones("avx2", "default")))
#endif
void pa_crossprod_vec_lanes_ld(const double *x, size_t ld, size_t m, int p,
                               const double *v, double *lanes) {
  for (int k0 = 0; k0 < p; k0 += 4) {
    double acc[4][4];
    lane_sums(x, ld, m, p, k0, v, lanes, acc);
    for (int t = 0; t < 4 && k0 + t < p; t++) {
      memcpy(lanes + 4 * (size_t) (k0 + t), acc[t], 4 * sizeof(double));
    }
  }
}

double pa_lanes_total(const double *lane) {
  return (lane[0] + lane[1]) + (lane[2] + lane[3]);
}

void pa_crossprod_vec(const double *x, size_t n, int p, const double *v,
                      double *out) {
  pa_crossprod_vec_rows(x, n, p, v, 0, n, out);
}

/* out (n x q) = X B, X n x p, B p x q, by row chunks so that the chunk of
 * X stays in cache while all q columns of the result are formed. Each
 * element is summed over j in order, whatever the chunking. */
#if defined(PA_TARGET_CLONES)
__attribute__((target_clones("avx2", "default")))
#endif
void pa_x_times_b(const double *x, size_t n, int p, const double *b, int q,
                  double *out) {
  for (size_t a = 0; a < n; a += PA_CHUNK) {
    size_t m = n - a < PA_CHUNK ? n - a : PA_CHUNK;
    for (int k = 0; k < q; k++) {
      double *ok = out + (size_t) k * n + a;
      memset(ok, 0, m * sizeof(double));
      for (int j = 0; j < p; j++) {
        const double *xj = x + (size_t) j * n + a;
        double bjk = b[(size_t) j + (size_t) k * (size_t) p];
        for (size_t i = 0; i < m; i++) ok[i] += xj[i] * bjk;
      }
    }
  }
}

/* out[i] = off[i] (or 0) + sum_j x_ij b_j for rows a <= i < a + m. Each
 * row's sum takes the columns four at a time, ((b0 x0 + b1 x1) + (b2 x2 +
 * b3 x3)), then the last p % 4 one at a time, in column order. Blocks of
 * four rows are summed in a vector register across all the columns, so
 * the output is written once rather than once per four columns; rows
 * left over (and all rows without vector extensions) are summed the same
 * way one at a time, which gives the same bits. */
#if defined(PA_TARGET_CLONES)
__attribute__((target_clones("avx2", "default")))
#endif
void pa_x_beta(const double *restrict x, size_t n, int p,
               const double *restrict b, const double *restrict off,
               size_t a, size_t m, double *restrict out) {
  size_t i = 0;
#if defined(__GNUC__) && !defined(PA_NO_VECTOR_EXT)
  for (; i + 4 <= m; i += 4) {
    v4 acc;
    if (off) {
      V4_LOAD(acc, off + a + i);
    } else {
      V4_ZERO(acc);
    }
    const double *xi = x + a + i;
    int j = 0;
    for (; j + 4 <= p; j += 4) {
      v4 c0, c1, c2, c3;
      const double *x0 = xi + (size_t) j * n;
      V4_LOAD(c0, x0);
      V4_LOAD(c1, x0 + n);
      V4_LOAD(c2, x0 + 2 * n);
      V4_LOAD(c3, x0 + 3 * n);
      acc += (b[j] * c0 + b[j + 1] * c1) + (b[j + 2] * c2 + b[j + 3] * c3);
    }
    for (; j < p; j++) {
      v4 c;
      V4_LOAD(c, xi + (size_t) j * n);
      acc += b[j] * c;
    }
    memcpy(out + a + i, &acc, sizeof(v4));
  }
#endif
  for (; i < m; i++) {
    const double *xi = x + a + i;
    double acc = off ? off[a + i] : 0;
    int j = 0;
    for (; j + 4 <= p; j += 4) {
      const double *x0 = xi + (size_t) j * n;
      acc += (b[j] * x0[0] + b[j + 1] * x0[n]) +
             (b[j + 2] * x0[2 * n] + b[j + 3] * x0[3 * n]);
    }
    for (; j < p; j++) acc += b[j] * xi[(size_t) j * n];
    out[a + i] = acc;
  }
}

/* A main() for fuzz_read.c where libFuzzer is missing (gcc builds): a
 * small mutation fuzzer. It reads the inputs in the directories given on
 * the command line, then until the time is up it takes one of them,
 * mutates it and runs the target on it. One mutant in 64 joins the pool
 * (and is written to the first directory, the corpus), so that mutations
 * build on each other; there is no coverage feedback.
 * The sanitizers and the target's REQUIRE() checks stop the process on a
 * bug; the input being run is always in <artifacts>/current first, so it
 * is left there.
 *
 *   fuzz_gcc -seconds=N -artifacts=DIR -dict=FILE -seed=S CORPUS [SEEDS...]
 *
 * Mutations: flip, insert, delete or repeat bytes; insert a token of the
 * dictionary; splice two inputs; and the shape of a stray quote (a quote
 * opened after a delimiter on one line and closed before a delimiter a
 * few lines later), so that the kernel's stray-quote rule is exercised
 * with and without every line having the header's width. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LEN 16384

typedef struct {
  unsigned char *d;
  size_t n;
} input;

static input *pool;
static size_t npool, pool_cap;
static input *dict;
static size_t ndict;
static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static size_t below(size_t n) { return n ? (size_t) (next_rand() % n) : 0; }

static void add_input(const unsigned char *d, size_t n) {
  if (npool == pool_cap) {
    pool_cap = pool_cap ? 2 * pool_cap : 256;
    pool = realloc(pool, pool_cap * sizeof(input));
    if (!pool) exit(2);
  }
  pool[npool].d = malloc(n + 1);
  if (!pool[npool].d) exit(2);
  memcpy(pool[npool].d, d, n);
  pool[npool].n = n;
  npool++;
}

static int read_whole(const char *path, unsigned char **d, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  unsigned char *buf = malloc(MAX_LEN);
  if (!buf) {
    fclose(f);
    return -1;
  }
  *n = fread(buf, 1, MAX_LEN, f);
  fclose(f);
  *d = buf;
  return 0;
}

static void load_dir(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp) return;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(dp))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    unsigned char *d;
    size_t n;
    if (read_whole(path, &d, &n) == 0) {
      if (n > 0) add_input(d, n);
      free(d);
    }
  }
  closedir(dp);
}

/* libFuzzer's dictionary format: name="value" with \xNN and \" escapes */
static void load_dict(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof(line), f)) {
    char *q = strchr(line, '"');
    if (line[0] == '#' || !q) continue;
    unsigned char val[512];
    size_t n = 0;
    for (char *p = q + 1; *p && *p != '\n' && n < sizeof(val); p++) {
      if (*p == '"' && (p[1] == '\n' || p[1] == '\0' || p[1] == '\r')) break;
      if (*p == '\\' && p[1] == 'x' && p[2] && p[3]) {
        char hex[3] = {p[2], p[3], 0};
        val[n++] = (unsigned char) strtol(hex, NULL, 16);
        p += 3;
      } else if (*p == '\\' && p[1]) {
        val[n++] = (unsigned char) p[1];
        p++;
      } else {
        val[n++] = (unsigned char) *p;
      }
    }
    dict = realloc(dict, (ndict + 1) * sizeof(input));
    if (!dict) exit(2);
    dict[ndict].d = malloc(n + 1);
    if (!dict[ndict].d) exit(2);
    memcpy(dict[ndict].d, val, n);
    dict[ndict].n = n;
    ndict++;
  }
  fclose(f);
}

static size_t insert(unsigned char *b, size_t n, size_t at,
                     const unsigned char *s, size_t k) {
  if (n + k > MAX_LEN) return n;
  memmove(b + at + k, b + at, n - at);
  memcpy(b + at, s, k);
  return n + k;
}

/* A quote after a delimiter (or at a line start) on one line, and one
 * before a delimiter (or a line end) on a line 1-6 lines further on. */
static size_t stray_quote(unsigned char *b, size_t n) {
  size_t lines[64], nl = 0;
  lines[nl++] = 0;
  for (size_t i = 0; i < n && nl < 64; i++) {
    if (b[i] == '\n' && i + 1 < n) lines[nl++] = i + 1;
  }
  if (nl < 3) return n;
  size_t a = 1 + below(nl - 2), z = a + 1 + below(6);
  if (z >= nl) z = nl - 1;
  /* close first, so that the opening position stays valid */
  size_t zs = lines[z], ze = zs;
  while (ze < n && b[ze] != '\n' && b[ze] != '\r') ze++;
  size_t cands[256], nc = 0;
  for (size_t i = zs; i <= ze && nc < 256; i++) {
    if (i == ze || b[i] == ',' || b[i] == ';' || b[i] == '\t') cands[nc++] = i;
  }
  n = insert(b, n, cands[below(nc)], (const unsigned char *) "\"", 1);
  size_t as = lines[a], ae = as;
  while (ae < n && b[ae] != '\n' && b[ae] != '\r') ae++;
  nc = 0;
  cands[nc++] = as;
  for (size_t i = as; i < ae && nc < 256; i++) {
    if (b[i] == ',' || b[i] == ';' || b[i] == '\t') cands[nc++] = i + 1;
  }
  return insert(b, n, cands[below(nc)], (const unsigned char *) "\"", 1);
}

static size_t mutate(unsigned char *b, size_t n) {
  int rounds = 1 + (int) below(4);
  for (int k = 0; k < rounds; k++) {
    switch (below(9)) {
    case 0: /* flip a byte */
      if (n) b[below(n)] ^= (unsigned char) (1u << below(8));
      break;
    case 1: /* a random byte */
      if (n) b[below(n)] = (unsigned char) below(256);
      break;
    case 2: { /* delete a range */
      if (n < 2) break;
      size_t at = below(n), len = 1 + below(n - at < 16 ? n - at : 16);
      memmove(b + at, b + at + len, n - at - len);
      n -= len;
      break;
    }
    case 3: { /* repeat a range */
      if (!n) break;
      size_t at = below(n), len = 1 + below(n - at < 64 ? n - at : 64);
      unsigned char tmp[64];
      memcpy(tmp, b + at, len);
      n = insert(b, n, below(n + 1), tmp, len);
      break;
    }
    case 4:
    case 5: /* a dictionary token */
      if (ndict) {
        const input *t = &dict[below(ndict)];
        n = insert(b, n, below(n + 1), t->d, t->n);
      }
      break;
    case 6: { /* splice with another input */
      const input *o = &pool[below(npool)];
      size_t at = below(n + 1), from = below(o->n), len = o->n - from;
      if (at + len > MAX_LEN) len = MAX_LEN - at;
      memcpy(b + at, o->d + from, len);
      if (at + len > n) n = at + len;
      break;
    }
    default: /* the shape of a stray quote */
      n = stray_quote(b, n);
      break;
    }
  }
  return n;
}

int main(int argc, char **argv) {
  double seconds = 60;
  const char *artifacts = ".", *dictfile = NULL;
  int ndirs = 0;
  const char *dirs[16];
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "-seconds=", 9)) {
      seconds = atof(argv[i] + 9);
    } else if (!strncmp(argv[i], "-artifacts=", 11)) {
      artifacts = argv[i] + 11;
    } else if (!strncmp(argv[i], "-dict=", 6)) {
      dictfile = argv[i] + 6;
    } else if (!strncmp(argv[i], "-seed=", 6)) {
      rng ^= strtoull(argv[i] + 6, NULL, 10) * 0x2545F4914F6CDD1Du;
      if (!rng) rng = 1;
    } else if (ndirs < 16) {
      dirs[ndirs++] = argv[i];
    }
  }
  LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 0; i < ndirs; i++) load_dir(dirs[i]);
  if (dictfile) load_dict(dictfile);
  if (npool == 0) {
    fprintf(stderr, "fuzz_gcc: no inputs to start from\n");
    return 2;
  }
  char current[4096];
  snprintf(current, sizeof(current), "%s/current", artifacts);
  unsigned char *buf = malloc(MAX_LEN + 64);
  if (!buf) return 2;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long runs = 0, kept = 0;
  size_t seeds = npool;
  /* every starting input once as it is, then mutants */
  for (;;) {
    size_t n;
    if (runs < seeds) {
      n = pool[runs].n;
      memcpy(buf, pool[runs].d, n);
    } else {
      const input *in = &pool[below(npool)];
      n = in->n;
      memcpy(buf, in->d, n);
      n = mutate(buf, n);
    }
    FILE *f = fopen(current, "wb");
    if (f) {
      fwrite(buf, 1, n, f);
      fclose(f);
    }
    LLVMFuzzerTestOneInput(buf, n);
    runs++;
    /* keep a few mutants, so that mutations build on each other */
    if (runs > seeds && below(64) == 0 && npool < 20000 && n > 0) {
      add_input(buf, n);
      kept++;
      if (ndirs > 0) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/gcc-%lu-%lu", dirs[0],
                 (unsigned long) time(NULL), runs);
        FILE *g = fopen(path, "wb");
        if (g) {
          fwrite(buf, 1, n, g);
          fclose(g);
        }
      }
    }
    if (runs >= seeds && ((runs & 63) == 0 || seconds <= 0)) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      double el = (double) (t.tv_sec - t0.tv_sec) +
                  1e-9 * (double) (t.tv_nsec - t0.tv_nsec);
      if (el >= seconds) break;
    }
  }
  remove(current);
  printf("fuzz_gcc: DONE %lu runs (%zu starting inputs, %lu mutants kept)\n",
         runs, seeds, kept);
  free(buf);
  return 0;
}

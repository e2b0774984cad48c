/* A main() for fuzz_read.c without libFuzzer, for coverage builds: runs
 * the target once on every file named in the list file given as argument
 * (one path per line). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_one(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 1;
  size_t cap = 4096, n = 0, got;
  unsigned char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return 1;
  }
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      unsigned char *b = realloc(buf, 2 * cap);
      if (!b) break;
      buf = b;
      cap *= 2;
    }
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <file listing inputs>\n", argv[0]);
    return 2;
  }
  LLVMFuzzerInitialize(&argc, &argv);
  FILE *list = fopen(argv[1], "r");
  if (!list) return 2;
  char line[4096];
  int failed = 0;
  while (fgets(line, sizeof(line), list)) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0]) failed += run_one(line);
  }
  fclose(list);
  return failed ? 1 : 0;
}

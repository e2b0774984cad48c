/* See hugepages.h. */
#include "hugepages.h"

#include <stdint.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

void pa_prefer_huge_pages(void *p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (!p || bytes < PA_HUGE_MIN) return;
  const uintptr_t huge = (uintptr_t) 2 << 20;
  uintptr_t from = ((uintptr_t) p + huge - 1) & ~(huge - 1);
  uintptr_t to = ((uintptr_t) p + bytes) & ~(huge - 1);
  /* advice only: a kernel without transparent huge pages refuses it, and
   * the array is then mapped as any other */
  if (to > from) (void) madvise((void *) from, (size_t) (to - from), MADV_HUGEPAGE);
#else
  (void) p;
  (void) bytes;
#endif
}

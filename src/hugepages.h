/* Large working arrays backed by transparent huge pages where the system
 * offers them on request (Linux with transparent_hugepage "madvise"). A
 * fresh array is mapped page by page as it is first written: 4 kB pages
 * cost one fault each (17,600 for an n x 9 matrix of a million people,
 * about 0.2 s on a virtual machine), 2 MB pages 512 times fewer. Only the
 * array's own whole 2 MB pages are marked, so nothing else in the process
 * changes; the hint changes no value the kernels compute. No R headers. */
#ifndef PA_HUGEPAGES_H
#define PA_HUGEPAGES_H

#include <stddef.h>

/* Arrays below this size are left alone: they hold no whole 2 MB page. */
#define PA_HUGE_MIN ((size_t) 2 << 20)

/* Ask for huge pages for the whole 2 MB pages inside [p, p + bytes), not
 * yet written. A no-op where the system has no such request, for small
 * arrays, and when the request fails. */
void pa_prefer_huge_pages(void *p, size_t bytes);

#endif

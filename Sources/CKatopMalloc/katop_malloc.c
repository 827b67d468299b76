#include "katop_malloc.h"

#include <malloc.h>

int katop_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

unsigned long long katop_malloc_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return (unsigned long long)m.uordblks + (unsigned long long)m.hblkhd;
}

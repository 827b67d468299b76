#include "katop_malloc.h"

#include <malloc.h>

int katop_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

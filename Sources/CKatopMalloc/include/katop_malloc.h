// glibc's malloc tuning (malloc.h is not part of Swift's Glibc module). Only the katop executable
// imports this.
#ifndef KATOP_MALLOC_H
#define KATOP_MALLOC_H

/// mallopt(M_MMAP_THRESHOLD, bytes): allocations of at least `bytes` are served by mmap and given
/// back to the kernel on free. Returns mallopt's result (1 on success).
int katop_set_mmap_threshold(int bytes);

/// Bytes of heap in use (mallinfo2: arena in use plus mmapped chunks): katop-bench's memory probe.
unsigned long long katop_malloc_in_use(void);

#endif

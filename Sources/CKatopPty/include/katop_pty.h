// A pseudo-terminal for the benchmark (glibc's posix_openpt family needs feature macros Swift's
// Glibc module does not set, and ioctl is variadic).
#ifndef KATOP_PTY_H
#define KATOP_PTY_H
/// Opens a pty pair sized rows x cols. Returns 0 and sets *master / *slave_path, or -errno.
int katop_pty_open(int rows, int cols, int *master, char *slave_path, int slave_path_len);
/// glibc's POSIX_SPAWN_SETSID (defined only under _GNU_SOURCE).
short katop_spawn_setsid_flag(void);
#endif

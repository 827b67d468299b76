#define _GNU_SOURCE
#include "katop_pty.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int katop_pty_open(int rows, int cols, int *master, char *slave_path, int slave_path_len) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return -errno;
  if (grantpt(m) != 0 || unlockpt(m) != 0) { int e = errno; close(m); return -e; }
  if (ptsname_r(m, slave_path, (size_t)slave_path_len) != 0) { int e = errno; close(m); return -e; }
  struct winsize ws;
  memset(&ws, 0, sizeof ws);
  ws.ws_row = (unsigned short)rows;
  ws.ws_col = (unsigned short)cols;
  if (ioctl(m, TIOCSWINSZ, &ws) != 0) { int e = errno; close(m); return -e; }
  *master = m;
  return 0;
}

#include <spawn.h>
short katop_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

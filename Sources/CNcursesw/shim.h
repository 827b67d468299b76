// ncursesw plus static inline wrappers for the function-like macros Swift cannot import, and a
// tiny async-signal-safe signal latch. Only the KatopTerminal module imports this.
#ifndef KATOP_CURSES_SHIM_H
#define KATOP_CURSES_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <wchar.h>
#include <ncursesw/curses.h>

static inline WINDOW *katop_stdscr(void) { return stdscr; }
static inline WINDOW *katop_curscr(void) { return curscr; }
// stdio's globals: Swift 6 rejects references to C global variables as shared mutable state.
static inline FILE *katop_stdout(void) { return stdout; }
static inline FILE *katop_stdin(void) { return stdin; }
static inline int katop_colors(void) { return COLORS; }
static inline int katop_color_pairs(void) { return COLOR_PAIRS; }
static inline int katop_lines(void) { return LINES; }
static inline int katop_cols(void) { return COLS; }

static inline int katop_getmaxy(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int katop_getmaxx(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }

static inline attr_t katop_a_normal(void) { return A_NORMAL; }
static inline attr_t katop_a_bold(void) { return A_BOLD; }
static inline attr_t katop_a_reverse(void) { return A_REVERSE; }
static inline attr_t katop_a_dim(void) { return A_DIM; }
static inline attr_t katop_a_underline(void) { return A_UNDERLINE; }
static inline int katop_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int katop_key_f(int n) { return KEY_F(n); }

/// Reports button-1 presses and clicks as KEY_MOUSE (on) or nothing (off: the terminal keeps its
/// own selection for copy-paste).
static inline void katop_mouse(int on) {
  mousemask(on ? (BUTTON1_PRESSED | BUTTON1_CLICKED) : 0, NULL);
  mouseinterval(0);
}
/// The cell of a pending button-1 event after KEY_MOUSE; 0 when it was another event.
static inline int katop_read_click(int *x, int *y) {
  MEVENT ev;
  if (getmouse(&ev) != OK || !(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) return 0;
  *x = ev.x;
  *y = ev.y;
  return 1;
}

extern int wcwidth(wchar_t c);
/// Columns a wide character takes (-1 for non-printable).
static inline int katop_wcwidth(wchar_t c) { return wcwidth(c); }

/// Sets the attributes and colour pair used by the following writes to stdscr.
static inline int katop_attr_set(attr_t attrs, short pair) { return wattr_set(stdscr, attrs, pair, NULL); }
/// Writes n wide characters at (y, x) on stdscr.
static inline int katop_mvaddnwstr(int y, int x, const wchar_t *s, int n) { return mvwaddnwstr(stdscr, y, x, s, n); }

// Signals: the handler only stores the signal number; the run loop polls it.
static volatile sig_atomic_t katop_pending_signal = 0;
static volatile sig_atomic_t katop_continued = 0;

static void katop_on_signal(int sig) { katop_pending_signal = sig; }
static void katop_on_continue(int sig) { (void)sig; katop_continued = 1; }

/// Installs handlers for SIGINT, SIGTERM, SIGHUP (quit) and SIGCONT (redraw). No SA_RESTART, so a
/// blocking read returns and the loop sees the flag at once.
static inline void katop_install_signal_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = katop_on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sa.sa_handler = katop_on_continue;
  sigaction(SIGCONT, &sa, NULL);
}

static inline void katop_restore_signal_handlers(void) {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  signal(SIGCONT, SIG_DFL);
}

/// The last quit signal received (0 if none).
static inline int katop_pending_quit_signal(void) { return katop_pending_signal; }

/// True once after the process was continued (fg after ^Z).
static inline int katop_take_continued(void) {
  int c = katop_continued;
  katop_continued = 0;
  return c;
}
#endif

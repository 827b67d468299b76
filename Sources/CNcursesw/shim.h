// ncursesw plus static inline wrappers for the function-like macros Swift cannot import.
// Only the KatopTerminal module imports this.
#ifndef KATOP_CURSES_SHIM_H
#define KATOP_CURSES_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>
#endif

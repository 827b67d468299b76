// The only module that touches ncurses.
import CNcursesw
import KatopUI

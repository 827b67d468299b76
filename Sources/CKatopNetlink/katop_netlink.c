#include "katop_netlink.h"
int katop_placeholder(void) { return 0; }

// C shim for the Linux netlink / sock_diag / pidfd pieces Swift cannot reach directly.
// Only the SockDiag module (and test fixtures) import this. Never include <linux/tcp.h> here.
#ifndef KATOP_NETLINK_H
#define KATOP_NETLINK_H
int katop_placeholder(void);
#endif

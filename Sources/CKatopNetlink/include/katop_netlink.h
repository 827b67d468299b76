// C shim for the Linux netlink / sock_diag / pidfd pieces Swift cannot reach directly
// (variadic syscall(), function-like macros, constants from headers Glibc's module map skips).
// Only the SockDiag module (and test fixtures) import this. Never include <linux/tcp.h> here:
// its struct tcp_info clashes with <netinet/tcp.h>. Feature macros live in the .c file only.
#ifndef KATOP_NETLINK_H
#define KATOP_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// pidfd_open(2) via syscall 434 (no <sys/pidfd.h> on this machine). -1 + errno on failure.
int katop_pidfd_open(pid_t pid, unsigned int flags);
/// pidfd_getfd(2) via syscall 438: duplicates `targetfd` of the process behind `pidfd`.
int katop_pidfd_getfd(int pidfd, int targetfd, unsigned int flags);

/// Sizes of the kernel structs the Swift code lays out by hand (checked by _Static_assert in
/// the .c file and compared against the Swift constants in the tests).
size_t katop_sizeof_inet_diag_req_v2(void);
size_t katop_sizeof_inet_diag_msg(void);
size_t katop_sizeof_inet_diag_hostcond(void);
size_t katop_sizeof_inet_diag_bc_op(void);

/// Constants, filled in from the system headers by the .c file.
extern const int katop_AF_NETLINK;
extern const int katop_NETLINK_SOCK_DIAG;
extern const int katop_SOCK_DIAG_BY_FAMILY;
extern const int katop_NLM_F_REQUEST;
extern const int katop_NLM_F_DUMP;
extern const int katop_NLM_F_DUMP_INTR;
extern const int katop_NLMSG_ERROR;
extern const int katop_NLMSG_DONE;
extern const int katop_INET_DIAG_INFO;
extern const int katop_INET_DIAG_REQ_BYTECODE;
extern const int katop_INET_DIAG_BC_S_COND;
extern const int katop_INET_DIAG_BC_D_COND;
extern const int katop_INET_DIAG_BC_JMP;
extern const int katop_SOL_NETLINK;
extern const int katop_NETLINK_EXT_ACK;
extern const int katop_TCP_KEEPIDLE;
extern const int katop_TCP_KEEPINTVL;
extern const int katop_TCP_KEEPCNT;
extern const int katop_TCP_USER_TIMEOUT;

/// sock_diag's destroy multicast groups (SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY).
extern const int katop_SKNLGRP_INET_TCP_DESTROY;
extern const int katop_SKNLGRP_INET6_TCP_DESTROY;

/// bind(2) of a netlink socket to multicast `groups` (a bit per group: 1 << (group - 1)).
/// 0, or -1 + errno.
int katop_netlink_bind_groups(int fd, uint32_t groups);

/// setns(fd, CLONE_NEWNET): moves the calling thread into the network namespace behind `fd`.
/// 0, or -1 + errno (EPERM without CAP_SYS_ADMIN).
int katop_setns_net(int fd);

/// setsockopt / getsockopt of an int option with a fixed signature.
int katop_setsockopt_int(int fd, int level, int name, int value);
int katop_getsockopt_int(int fd, int level, int name, int *value);

/// Test fixtures only (katop-fixture --deny-netlink): installs a seccomp filter, kept across
/// execve, under which socket(AF_NETLINK, ...) fails with EPERM, as in a sandbox without
/// netlink. Sets no_new_privs first, so no privilege is needed. 0, or -errno on failure.
int katop_deny_netlink_sockets(void);

#endif

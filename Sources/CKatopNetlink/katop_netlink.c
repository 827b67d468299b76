// Implementation of the katop netlink shim. Feature macros stay in this file.
#define _GNU_SOURCE 1

#include "katop_netlink.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sched.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

_Static_assert(sizeof(struct inet_diag_req_v2) == 56, "inet_diag_req_v2 layout");
_Static_assert(sizeof(struct inet_diag_msg) == 72, "inet_diag_msg layout");
_Static_assert(sizeof(struct inet_diag_sockid) == 48, "inet_diag_sockid layout");
_Static_assert(sizeof(struct inet_diag_hostcond) == 8, "inet_diag_hostcond layout");
_Static_assert(sizeof(struct inet_diag_bc_op) == 4, "inet_diag_bc_op layout");
_Static_assert(sizeof(struct nlmsghdr) == 16, "nlmsghdr layout");
_Static_assert(offsetof(struct inet_diag_msg, idiag_expires) == 52, "idiag_expires offset");
_Static_assert(offsetof(struct inet_diag_msg, idiag_inode) == 68, "idiag_inode offset");

int katop_pidfd_open(pid_t pid, unsigned int flags) {
  return (int)syscall(SYS_pidfd_open, pid, flags);
}

int katop_pidfd_getfd(int pidfd, int targetfd, unsigned int flags) {
  return (int)syscall(SYS_pidfd_getfd, pidfd, targetfd, flags);
}

size_t katop_sizeof_inet_diag_req_v2(void) { return sizeof(struct inet_diag_req_v2); }
size_t katop_sizeof_inet_diag_msg(void) { return sizeof(struct inet_diag_msg); }
size_t katop_sizeof_inet_diag_hostcond(void) { return sizeof(struct inet_diag_hostcond); }
size_t katop_sizeof_inet_diag_bc_op(void) { return sizeof(struct inet_diag_bc_op); }

const int katop_AF_NETLINK = AF_NETLINK;
const int katop_SKNLGRP_INET_TCP_DESTROY = SKNLGRP_INET_TCP_DESTROY;
const int katop_SKNLGRP_INET6_TCP_DESTROY = SKNLGRP_INET6_TCP_DESTROY;

int katop_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }

int katop_netlink_bind_groups(int fd, uint32_t groups) {
  struct sockaddr_nl addr = {0};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = groups;
  return bind(fd, (struct sockaddr *)&addr, sizeof addr);
}
const int katop_NETLINK_SOCK_DIAG = NETLINK_SOCK_DIAG;
const int katop_SOCK_DIAG_BY_FAMILY = SOCK_DIAG_BY_FAMILY;
const int katop_NLM_F_REQUEST = NLM_F_REQUEST;
const int katop_NLM_F_DUMP = NLM_F_DUMP;
const int katop_NLM_F_DUMP_INTR = NLM_F_DUMP_INTR;
const int katop_NLMSG_ERROR = NLMSG_ERROR;
const int katop_NLMSG_DONE = NLMSG_DONE;
const int katop_INET_DIAG_INFO = INET_DIAG_INFO;
const int katop_INET_DIAG_REQ_BYTECODE = INET_DIAG_REQ_BYTECODE;
const int katop_INET_DIAG_BC_S_COND = INET_DIAG_BC_S_COND;
const int katop_INET_DIAG_BC_D_COND = INET_DIAG_BC_D_COND;
const int katop_INET_DIAG_BC_JMP = INET_DIAG_BC_JMP;
const int katop_SOL_NETLINK = SOL_NETLINK;
const int katop_NETLINK_EXT_ACK = NETLINK_EXT_ACK;
const int katop_TCP_KEEPIDLE = TCP_KEEPIDLE;
const int katop_TCP_KEEPINTVL = TCP_KEEPINTVL;
const int katop_TCP_KEEPCNT = TCP_KEEPCNT;
const int katop_TCP_USER_TIMEOUT = TCP_USER_TIMEOUT;

int katop_setsockopt_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value));
}

int katop_getsockopt_int(int fd, int level, int name, int *value) {
  socklen_t len = sizeof(*value);
  return getsockopt(fd, level, name, value, &len);
}

int katop_deny_netlink_sockets(void) {
#if defined(__x86_64__)
  const unsigned int arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  const unsigned int arch = AUDIT_ARCH_AARCH64;
#else
  return -ENOSYS;
#endif
  struct sock_filter filter[] = {
    // Another ABI (x32, i386 via int 0x80): allow, it cannot be this program.
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0) return -errno;
  return 0;
}

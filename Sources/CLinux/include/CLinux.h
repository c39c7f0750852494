// Linux declarations Swift's Glibc module does not export (netlink, signalfd, malloc_trim),
// the CMSG_* macros (which Swift cannot import) as functions, and the process's start-up
// arguments captured without /proc.
#ifndef AUTOLOAD_CLINUX_H
#define AUTOLOAD_CLINUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <sys/signalfd.h>
#include <malloc.h>
#include <sys/eventfd.h>

/// Bytes a control buffer needs for one SCM_CREDENTIALS message (CMSG_SPACE).
size_t clinux_netlink_credentials_space(void);

/// Looks for SCM_CREDENTIALS in a message recvmsg(2) filled (CMSG_FIRSTHDR/CMSG_NXTHDR).
/// Returns 1 and sets *uid and *pid when present, 0 when absent.
int clinux_netlink_find_credentials(const struct msghdr *msg, uint32_t *uid, int32_t *pid);

/// Fills a control buffer (of clinux_netlink_credentials_space() bytes) with SCM_CREDENTIALS;
/// used by tests that play a spoofing sender.
void clinux_netlink_put_credentials(struct msghdr *msg, uint32_t uid, uint32_t gid, int32_t pid);

/// argc and argv as the C start-up code passed them (captured by an ELF constructor);
/// 0 and NULL if the constructor did not run. Unlike CommandLine, needs no /proc.
int clinux_argc(void);
char **clinux_argv(void);

/// Puts back the caller's SWIFT_BACKTRACE (or its absence) where the constructor changed it
/// because /proc was missing, so child processes do not inherit the change; does nothing
/// otherwise. Call first thing in main.
void clinux_restore_environment(void);

/// Runs one libkmod install command as `/bin/sh -c COMMAND` with MODPROBE_MODULE=MODULE in
/// its environment, an empty signal mask and default dispositions for SIGTERM, SIGINT, SIGHUP
/// and SIGPIPE (posix_spawn(3) + waitpid(2)). Returns the wait status, or -errno when the
/// shell could not be started.
int clinux_run_install_command(const char *command, const char *module);

#endif

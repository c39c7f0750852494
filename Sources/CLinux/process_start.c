// What the process was started with, taken from the C start-up code rather than from /proc.
// Swift's runtime on Linux reads the arguments from /proc/self/cmdline, and a static build
// aborts at start-up when it cannot read /proc/self/exe (the backtracer looks for its helper
// next to the binary). In a chroot or early initramfs without /proc, autoloadd then saw no
// arguments (dynamic build) or died before main (static build).
#include <stdlib.h>
#include <unistd.h>
#include "CLinux.h"

static int start_argc;
static char **start_argv;
static int start_set_backtrace_env;

// glibc calls ELF constructors with (argc, argv, envp), in static and dynamic executables.
// Priority 101 runs this before the default-priority C++ initializers linked into the same
// (static) executable, among them the Swift runtime's backtracer set-up, which reads
// SWIFT_BACKTRACE once.
__attribute__((constructor(101)))
static void capture_process_start(int argc, char **argv, char **envp) {
    (void)envp;
    start_argc = argc;
    start_argv = argv;
    // A helper path given in SWIFT_BACKTRACE stops the runtime from looking for it through
    // /proc/self/exe, the lookup that aborts. Only when /proc is missing and the user set
    // nothing; unset again by cprocess_restore_environment() before anything runs a child.
    if (access("/proc/self/exe", F_OK) != 0 && getenv("SWIFT_BACKTRACE") == NULL) {
        start_set_backtrace_env = setenv("SWIFT_BACKTRACE", "enable=no,swift-backtrace=/nonexistent", 0) == 0;
    }
}

int cprocess_argc(void) { return start_argc; }

char **cprocess_argv(void) { return start_argv; }

void cprocess_restore_environment(void) {
    if (start_set_backtrace_env) {
        unsetenv("SWIFT_BACKTRACE");
        start_set_backtrace_env = 0;
    }
}

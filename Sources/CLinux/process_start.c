// What the process was started with, taken from the C start-up code rather than from /proc.
// Swift's runtime on Linux reads the arguments from /proc/self/cmdline, and a static build
// aborts at start-up when it cannot read /proc/self/exe (the backtracer looks for its helper
// next to the binary). In a chroot or early initramfs without /proc, autoloadd then saw no
// arguments (dynamic build) or died before main (static build).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "CLinux.h"

static int start_argc;
static char **start_argv;
// SWIFT_BACKTRACE as the caller set it (NULL: unset), when the constructor changed it.
static int start_changed_backtrace_env;
static char *start_original_backtrace_env;

#ifdef __GLIBC__
// glibc calls ELF constructors with (argc, argv, envp), in static and dynamic executables
// (musl calls them with none: there argc stays 0 and CommandLine is used).
__attribute__((constructor(101)))
static void capture_process_start(int argc, char **argv, char **envp) {
    (void)envp;
    start_argc = argc;
    start_argv = argv;
#else
__attribute__((constructor(101)))
static void capture_process_start(void) {
#endif
    // Priority 101 runs this before the default-priority C++ initializers linked into the
    // same (static) executable, among them the Swift runtime's backtracer set-up. That reads
    // SWIFT_BACKTRACE once and, unless it names the helper (swift-backtrace=), looks for the
    // helper through /proc/self/exe, which aborts without /proc whether backtracing is on or
    // not. So, only when /proc is missing: backtracing off (it could not work) and a helper
    // path given. clinux_restore_environment() puts the caller's value back.
    char self[1];
    if (readlink("/proc/self/exe", self, sizeof self) >= 0) return;
    const char *current = getenv("SWIFT_BACKTRACE");
    if (current != NULL && strstr(current, "swift-backtrace=") != NULL) return;
    static const char added[] = "enable=no,swift-backtrace=/nonexistent";
    char *value = NULL;
    if (current != NULL && current[0] != '\0') {
        if (asprintf(&value, "%s,%s", current, added) < 0) return;
    }
    char *original = current != NULL ? strdup(current) : NULL;
    if (current != NULL && original == NULL) { free(value); return; }
    if (setenv("SWIFT_BACKTRACE", value != NULL ? value : added, 1) == 0) {
        start_changed_backtrace_env = 1;
        start_original_backtrace_env = original;
    } else {
        free(original);
    }
    free(value);
}

int clinux_argc(void) { return start_argc; }

char **clinux_argv(void) { return start_argv; }

void clinux_restore_environment(void) {
    if (!start_changed_backtrace_env) return;
    if (start_original_backtrace_env != NULL) {
        setenv("SWIFT_BACKTRACE", start_original_backtrace_env, 1);
        free(start_original_backtrace_env);
        start_original_backtrace_env = NULL;
    } else {
        unsetenv("SWIFT_BACKTRACE");
    }
    start_changed_backtrace_env = 0;
}

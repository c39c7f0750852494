// LD_PRELOAD fault injection for module insertion, for tests on a kernel without module
// support. libkmod inserts through syscall(__NR_finit_module / __NR_init_module); this
// replaces glibc's syscall() so those two answer what $AUTOLOAD_INSERT_FAULTS says:
//   NAME=ERRNO     fail with that errno (e.g. acme_hex=16 for EBUSY)
//   NAME=sleepS    "init" takes S seconds, then succeeds
// and every other module "loads" (returns 0). Other syscalls go to the real syscall().
// With $AUTOLOAD_INSERT_LOG set, every insertion appends "begin NAME" and "end NAME" lines
// to that file: what the kernel would have been asked, as an oracle independent of autoloadd.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// The module's name from the file libkmod opened: basename without .ko*, '-' as '_'.
static void module_name(int fd, char *out, size_t size) {
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    out[0] = 0;
    if (n <= 0) return;
    path[n] = 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t i = 0;
    for (; base[i] && base[i] != '.' && i + 1 < size; i++) out[i] = base[i] == '-' ? '_' : base[i];
    out[i] = 0;
}

// What the spec says for `name`: 0 = load, >0 = errno, <0 = sleep that many seconds.
static long fault_for(const char *name) {
    const char *spec = getenv("AUTOLOAD_INSERT_FAULTS");
    size_t len = strlen(name);
    while (spec && *spec) {
        const char *end = strchr(spec, ',');
        size_t item = end ? (size_t)(end - spec) : strlen(spec);
        if (item > len && strncmp(spec, name, len) == 0 && spec[len] == '=') {
            const char *v = spec + len + 1;
            if (strncmp(v, "sleep", 5) == 0) return -atol(v + 5);
            return atol(v);
        }
        spec = end ? end + 1 : NULL;
    }
    return 0;
}

static void log_line(const char *what, const char *name) {
    const char *path = getenv("AUTOLOAD_INSERT_LOG");
    if (!path || !name[0]) return;
    char line[300];
    int n = snprintf(line, sizeof line, "%s %s\n", what, name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (write(fd, line, (size_t)n) < 0) {}
    close(fd);
}

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_finit_module || number == SYS_init_module) {
        char name[256] = "";
        // finit_module(fd, ...) names a file; init_module(image, len, ...) does not.
        if (number == SYS_finit_module) module_name((int)a[0], name, sizeof name);
        long f = name[0] ? fault_for(name) : 0;
        log_line("begin", name);
        if (f < 0) sleep((unsigned)-f);
        log_line("end", name);
        if (f > 0) { errno = (int)f; return -1; }
        return 0;
    }
    static long (*real)(long, ...);
    if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

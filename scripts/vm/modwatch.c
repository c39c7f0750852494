/* modwatch: records when each kernel module becomes live, for the coldplug races.
 *
 * Usage (guest): modwatch OUTFILE [INTERVAL_MS]   (default 20 ms)
 * Polls /proc/modules every INTERVAL_MS and, the first time a module shows state "Live", appends
 * "MS NAME" to its table, MS = CLOCK_BOOTTIME in milliseconds (the clock /proc/uptime shows, so
 * scenario scripts can subtract their own start time). Modules already live at start are
 * written with MS = 0. On SIGTERM/SIGINT it polls once more, writes the table to OUTFILE and
 * exits 0.
 *
 * Why a C program: a shell loop forks `wc`/`grep` per sample, which under qemu TCG costs tens of
 * milliseconds of vCPU each time and would both blur the measurement and slow the contender.
 * One read(2) of /proc/modules per sample costs far less, and is the same for every contender.
 * Resolution is INTERVAL_MS; the kernel's own record (/proc/modules state) is the oracle.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MODULES 4096
#define NAME_LEN 64

static char names[MAX_MODULES][NAME_LEN];
static long stamps[MAX_MODULES];
static int count;
static volatile sig_atomic_t stop;

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int known(const char *name) {
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

/* One sample: every "NAME SIZE REFS USERS STATE ADDR" line whose STATE is Live. */
static void sample(long stamp) {
    static char buf[1 << 20];
    int fd = open("/proc/modules", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
    close(fd);
    buf[len] = 0;
    for (char *line = buf, *end; line && *line; line = end) {
        end = strchr(line, '\n');
        if (end) *end++ = 0;
        char name[NAME_LEN], state[16];
        if (sscanf(line, "%63s %*s %*s %*s %15s", name, state) != 2) continue;
        if (strcmp(state, "Live") != 0 || known(name) || count >= MAX_MODULES) continue;
        memcpy(names[count], name, NAME_LEN);
        stamps[count++] = stamp;
    }
}

static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: modwatch OUTFILE [INTERVAL_MS]\n");
        return 2;
    }
    long interval = argc > 2 ? atol(argv[2]) : 20;
    if (interval < 1) interval = 1;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sample(0);
    struct timespec pause = { interval / 1000, (interval % 1000) * 1000000L };
    while (!stop) {
        nanosleep(&pause, NULL);
        sample(now_ms());
    }
    sample(now_ms());
    FILE *out = fopen(argv[1], "w");
    if (!out) { perror(argv[1]); return 1; }
    for (int i = 0; i < count; i++) fprintf(out, "%ld %s\n", stamps[i], names[i]);
    return fclose(out) == 0 ? 0 : 1;
}

// libkmod's install commands, run for it (kmod_module_probe_insert_module's run_install
// callback) instead of through its own system(3): system() hands the calling thread's signal
// mask to /bin/sh, and autoloadd's threads block SIGTERM, SIGINT and SIGHUP (they arrive
// through a signalfd), so every program an install command started would ignore them; and
// libkmod's setenv("MODPROBE_MODULE") is not safe while other threads load.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "CLinux.h"

extern char **environ;

int clinux_run_install_command(const char *command, const char *module) {
    size_t count = 0;
    while (environ && environ[count]) count++;
    char **envp = calloc(count + 2, sizeof *envp);
    if (!envp) return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], "MODPROBE_MODULE=", 16) != 0) envp[n++] = environ[i];
    size_t len = strlen(module) + sizeof "MODPROBE_MODULE=";
    char *var = malloc(len);
    if (!var) { free(envp); return -ENOMEM; }
    strcpy(var, "MODPROBE_MODULE=");
    strcat(var, module);
    envp[n++] = var;
    envp[n] = NULL;

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, envp);
    posix_spawnattr_destroy(&attr);
    free(var);
    free(envp);
    if (rc != 0) return -rc;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -errno;
    return status;
}

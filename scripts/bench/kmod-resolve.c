/*
 * kmod-resolve: libkmod's lookup in a loop, the baseline for `autoloadd resolve -`.
 *
 *   cc -O2 -o kmod-resolve scripts/bench/kmod-resolve.c -lkmod
 *   kmod-resolve MODULES_DIR < corpus > out
 *
 * One MODALIAS per line on stdin; prints `MODALIAS<TAB>mod1,mod2,...` per line, in
 * kmod_module_new_from_lookup()'s order with repeats removed, as `autoloadd resolve` does.
 * modprobe.d is libkmod's default (as autoloadd without --config). An input libkmod rejects
 * (EINVAL: unmatched bracket) prints an empty list and a warning on stderr; exit status 1
 * then, like autoloadd.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODULES_DIR < corpus\n", argv[0]);
        return 2;
    }
    struct kmod_ctx *ctx = kmod_new(argv[1], NULL);
    if (ctx == NULL) {
        fprintf(stderr, "kmod_new failed\n");
        return 3;
    }
    kmod_set_log_priority(ctx, 0);
    int err = kmod_load_resources(ctx);
    if (err < 0) {
        fprintf(stderr, "kmod_load_resources: %s\n", strerror(-err));
        return 3;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    const char **seen = NULL;
    size_t seen_cap = 0;
    int invalid = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        struct kmod_list *list = NULL, *l;
        err = kmod_module_new_from_lookup(ctx, line, &list);
        fwrite(line, 1, (size_t)len, stdout);
        putchar('\t');
        if (err < 0) {
            invalid = 1;
            fprintf(stderr, "kmod-resolve: %s: %s\n", line, strerror(-err));
        } else {
            size_t n = 0;
            kmod_list_foreach(l, list) {
                struct kmod_module *mod = kmod_module_get_module(l);
                const char *name = kmod_module_get_name(mod);
                size_t i;
                for (i = 0; i < n && strcmp(seen[i], name) != 0; i++)
                    ;
                if (i == n) {
                    if (n == seen_cap) {
                        seen_cap = seen_cap ? 2 * seen_cap : 16;
                        seen = realloc(seen, seen_cap * sizeof *seen);
                        if (seen == NULL)
                            return 3;
                    }
                    if (n > 0)
                        putchar(',');
                    fputs(name, stdout);
                    seen[n++] = name;  /* valid while `list` holds the module */
                }
                kmod_module_unref(mod);
            }
            kmod_module_unref_list(list);
        }
        putchar('\n');
    }
    free(line);
    free(seen);
    kmod_unref(ctx);
    return invalid;
}

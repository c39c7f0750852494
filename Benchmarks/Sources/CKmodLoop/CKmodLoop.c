#include "CKmodLoop.h"
#include <libkmod.h>
#include <string.h>

void *bench_kmod_new(const char *modules_directory, int config_empty) {
    static const char *const none[] = { "/nonexistent/autoload-bench", NULL };
    struct kmod_ctx *ctx = kmod_new(modules_directory, config_empty ? none : NULL);
    if (ctx == NULL) return NULL;
    kmod_set_log_priority(ctx, 0);
    if (kmod_load_resources(ctx) < 0) {
        kmod_unref(ctx);
        return NULL;
    }
    return ctx;
}

void bench_kmod_free(void *ctx) {
    kmod_unref((struct kmod_ctx *)ctx);
}

int bench_kmod_lookup(void *ctx, const char *alias, size_t *name_bytes) {
    struct kmod_list *list = NULL, *l;
    int err = kmod_module_new_from_lookup((struct kmod_ctx *)ctx, alias, &list);
    if (err < 0) return err;
    int n = 0;
    kmod_list_foreach(l, list) {
        struct kmod_module *mod = kmod_module_get_module(l);
        *name_bytes += strlen(kmod_module_get_name(mod));
        kmod_module_unref(mod);
        n++;
    }
    kmod_module_unref_list(list);
    return n;
}

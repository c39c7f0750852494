#ifndef AUTOLOAD_BENCH_CKMODLOOP_H
#define AUTOLOAD_BENCH_CKMODLOOP_H
#include <stddef.h>

/// libkmod called straight from C, no Swift wrapper: the floor libkmod's own lookup sets.
/// `bench_kmod_new` is kmod_new + kmod_load_resources (NULL on failure; `config_empty`
/// non-zero reads no modprobe.d, like KmodContext(configPaths: [])).
void *bench_kmod_new(const char *modules_directory, int config_empty);
void bench_kmod_free(void *ctx);
/// kmod_module_new_from_lookup, then kmod_module_get_name on each result (summing the name
/// lengths into *name_bytes so nothing is optimized away), then kmod_module_unref_list.
/// Returns the number of modules, or libkmod's negative errno.
int bench_kmod_lookup(void *ctx, const char *alias, size_t *name_bytes);

#endif

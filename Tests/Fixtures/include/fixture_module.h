/*
 * Minimal stand-ins for the kernel's MODULE_* / EXPORT_SYMBOL macros, enough
 * for depmod and libkmod to treat a `gcc -c` object as a kernel module.
 *
 * depmod (kmod 30) reads:
 *   - `.modinfo`: NUL-separated "key=value" strings (alias=, softdep=, ...);
 *   - exported symbols: `__crc_*` symbols if any, otherwise every string in
 *     the `__ksymtab_strings` section (what a kernel without MODVERSIONS
 *     emits) -- we use the latter;
 *   - dependencies: every undefined symbol in `.symtab`.
 *
 * build-tree.sh passes -DKBUILD_MODNAME="\"name\"" and
 * -DFIXTURE_VERMAGIC="\"<version> SMP mod_unload\"", and compiles with
 * -fno-toplevel-reorder so .modinfo keeps source order (otherwise gcc emits
 * the strings in reverse and modules.alias lines come out reversed).
 */
#ifndef FIXTURE_MODULE_H
#define FIXTURE_MODULE_H

#define FIXTURE_CAT_(a, b) a##b
#define FIXTURE_CAT(a, b) FIXTURE_CAT_(a, b)

/* One NUL-terminated "key=value" record in .modinfo. aligned(1) keeps the
 * records back to back, as the kernel's __MODULE_INFO does. */
#define MODINFO(key, value)                                                   \
	static const char FIXTURE_CAT(__modinfo_, __COUNTER__)[]              \
	__attribute__((section(".modinfo"), used, aligned(1))) = #key "=" value

#define MODULE_ALIAS(pattern) MODINFO(alias, pattern)
#define MODULE_SOFTDEP(spec) MODINFO(softdep, spec)
#define MODULE_LICENSE(text) MODINFO(license, text)
#define MODULE_DESCRIPTION(text) MODINFO(description, text)
/* depmod ignores depends= (it derives dependencies from symbols); modpost
 * writes it anyway, so the fixtures do too for realism. */
#define MODULE_DEPENDS(list) MODINFO(depends, list)

/* Every fixture module carries name= and vermagic= like a real .ko. */
MODINFO(name, KBUILD_MODNAME);
MODINFO(vermagic, FIXTURE_VERMAGIC);

/* Defines `int sym(void)` and lists its name in __ksymtab_strings. */
#define EXPORT_FUNCTION(sym, body)                                            \
	int sym(void) body                                                    \
	static const char FIXTURE_CAT(__kstrtab_, sym)[]                      \
	__attribute__((section("__ksymtab_strings"), used, aligned(1))) = #sym;

#endif

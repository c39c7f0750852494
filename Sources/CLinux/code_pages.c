// Gives back the pages of this process's code that are mapped but idle. Code is a clean,
// private file mapping, so madvise(MADV_DONTNEED) only drops the page table entries: the
// pages stay in the page cache (where the kernel may reclaim them under pressure, which it
// does less readily for mapped executable pages), and the next call faults them back in.
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
#include "CLinux.h"

// True when the object's code was relocated in place (DT_TEXTREL): its executable pages are
// then private copies, and dropping them would bring back the unrelocated file bytes.
static int has_text_relocations(const struct dl_phdr_info *info) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_DYNAMIC) continue;
        for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr); d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_TEXTREL) return 1;
            if (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)) return 1;
        }
    }
    return 0;
}

static int release_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    size_t *released = data;
    // The vDSO is the kernel's own mapping, not a file: leave it alone. Its program headers
    // sit in the image at AT_SYSINFO_EHDR.
    const ElfW(Ehdr) *vdso = (const ElfW(Ehdr) *)getauxval(AT_SYSINFO_EHDR);
    if (vdso != NULL && info->dlpi_phdr == (const ElfW(Phdr) *)((const char *)vdso + vdso->e_phoff)) return 0;
    if (has_text_relocations(info)) return 0;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    // Pages that RELRO made read-only were written first: never drop those.
    uintptr_t relro_start = 0, relro_end = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_RELRO) {
            relro_start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
            relro_end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        }
    }
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        // Executable and never writable: no private (copy-on-write) copy of a page can exist,
        // so nothing but the mapping is dropped. (A debugger's breakpoints and uprobes are
        // such copies: they would be lost, as after a re-exec.)
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0 || !(ph->p_flags & PF_X) || (ph->p_flags & PF_W)) continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        if (relro_end > relro_start && start < relro_end && relro_start < end) continue;
        if (end > start && madvise((void *)start, end - start, MADV_DONTNEED) == 0) *released += end - start;
    }
    return 0;
}

size_t cprocess_release_code_pages(void) {
    size_t released = 0;
    dl_iterate_phdr(release_object, &released);
    return released;
}

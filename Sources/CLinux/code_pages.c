// Gives back the pages of this process's code that are mapped but idle. Code is a clean,
// private file mapping, so madvise(MADV_DONTNEED) only drops the page table entries: the
// pages stay in the page cache (where the kernel may reclaim them under pressure, which it
// does less readily for mapped executable pages), and the next call faults them back in.
#define _GNU_SOURCE
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
#include "CLinux.h"

static int release_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    size_t *released = data;
    // The vDSO is the kernel's own mapping, not a file: leave it alone.
    if (info->dlpi_addr != 0 && info->dlpi_addr == (ElfW(Addr))getauxval(AT_SYSINFO_EHDR)) return 0;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        // Executable and never writable: no private (copy-on-write) copy of a page can exist,
        // so nothing but the mapping is dropped. (A debugger's breakpoints are such copies:
        // they would be lost, as after a re-exec.)
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || (ph->p_flags & PF_W)) continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        if (end > start && madvise((void *)start, end - start, MADV_DONTNEED) == 0) *released += end - start;
    }
    return 0;
}

size_t cprocess_release_code_pages(void) {
    size_t released = 0;
    dl_iterate_phdr(release_object, &released);
    return released;
}

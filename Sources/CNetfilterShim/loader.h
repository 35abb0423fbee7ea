// Internal helper shared by ipset.c and nftables.c: resolve which shared object defines a symbol.
#ifndef CNETFILTERSHIM_LOADER_H
#define CNETFILTERSHIM_LOADER_H

#include <dlfcn.h>
#include <stddef.h>

/// Returns the path of the shared object that defines `symbol`, as the dynamic loader resolved it.
static inline const char *CNetfilterShim_path_of_symbol(const char *symbol) {
    void *address = dlsym(RTLD_DEFAULT, symbol);
    if (address == NULL) return NULL;
    Dl_info info;
    if (dladdr(address, &info) == 0) return NULL;
    return info.dli_fname;
}

#endif

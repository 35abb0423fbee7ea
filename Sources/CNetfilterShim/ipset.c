// The libipset half of the shim. Never include nf_tables headers here (see CNetfilterShim.h).
#include <libipset/ipset.h>

#include "CNetfilterShim.h"
#include "loader.h"

const char *CNetfilterShim_ipset_library_path(void) {
    // Reference the symbol so the link step keeps libipset as a dependency.
    (void)&ipset_session_init;
    return CNetfilterShim_path_of_symbol("ipset_session_init");
}

int CNetfilterShim_ipset_protocol_version(void) {
    return IPSET_PROTOCOL;
}

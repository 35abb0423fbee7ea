// The libnftnl/libmnl half of the shim. Never include libipset headers here (see CNetfilterShim.h).
// glibc's <netinet/in.h> must come before any <linux/...> header.
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>

#include "CNetfilterShim.h"
#include "loader.h"

const char *CNetfilterShim_nftnl_library_path(void) {
    (void)&nftnl_batch_alloc;
    return CNetfilterShim_path_of_symbol("nftnl_batch_alloc");
}

const char *CNetfilterShim_mnl_library_path(void) {
    (void)&mnl_socket_open;
    return CNetfilterShim_path_of_symbol("mnl_socket_open");
}

int CNetfilterShim_nftables_subsystem_id(void) {
    return NFNL_SUBSYS_NFTABLES;
}

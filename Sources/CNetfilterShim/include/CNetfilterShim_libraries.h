// CNetfilterShim: Which shared objects and protocol versions the shim uses.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_LIBRARIES_H
#define CNETFILTERSHIM_LIBRARIES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The absolute path of the shared object that provides libipset (loaded on first use, from
/// `libipset.so.13` or the path in the environment variable GEOFILTER_LIBIPSET), or NULL when it
/// cannot be loaded. The string is static storage, valid until the next call.
const char *_Nullable CNetfilterShim_ipset_library_path(void);

/// Why libipset cannot be loaded, or NULL when it is loaded.
const char *_Nullable CNetfilterShim_ipset_library_error(void);

/// The ipset netlink protocol version this shim was compiled against (IPSET_PROTOCOL).
int CNetfilterShim_ipset_protocol_version(void);

/// The absolute path of the loaded shared object that provides libnftnl, or NULL.
const char *_Nullable CNetfilterShim_nftnl_library_path(void);

/// The absolute path of the loaded shared object that provides libmnl, or NULL.
const char *_Nullable CNetfilterShim_mnl_library_path(void);

/// The nf_tables netlink subsystem id this shim was compiled against (NFNL_SUBSYS_NFTABLES).
int CNetfilterShim_nftables_subsystem_id(void);

#ifdef __cplusplus
}
#endif

#endif

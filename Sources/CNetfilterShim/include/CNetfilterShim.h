// CNetfilterShim: the thin C layer between GeoFilterCore and libipset, libnftnl and libmnl.
//
// This header deliberately includes none of the libraries' headers: libipset and the
// nf_tables uapi headers both define NFPROTO_* and `union nf_inet_addr`, so the ipset code
// (ipset.c) and the nftables code (nftables.c) live in separate translation units and this
// header exposes only plain C types. Every symbol is prefixed `CNetfilterShim_`.
#ifndef CNETFILTERSHIM_H
#define CNETFILTERSHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The absolute path of the loaded shared object that provides libipset, or NULL when it
/// cannot be resolved. The string is owned by the dynamic loader.
const char *_Nullable CNetfilterShim_ipset_library_path(void);

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

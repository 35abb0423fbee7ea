// CNetfilterShim: the thin C layer between GeoFilterCore and the C libraries it uses: libnftnl
// and libmnl (linked), libipset and libcurl (opened on first use), zlib, and posix_spawn for the
// iptables helper programs.
//
// This header deliberately includes none of the libraries' headers: libipset and the
// nf_tables uapi headers both define NFPROTO_* and `union nf_inet_addr`, so the ipset code
// (ipset.c) and the nftables code (nftables.c) live in separate translation units and this
// header exposes only plain C types. Every symbol is prefixed `CNetfilterShim_`.
#ifndef CNETFILTERSHIM_H
#define CNETFILTERSHIM_H

#include "CNetfilterShim_libraries.h"
#include "CNetfilterShim_nftables.h"
#include "CNetfilterShim_conntrack.h"
#include "CNetfilterShim_ipset.h"
#include "CNetfilterShim_process.h"
#include "CNetfilterShim_http.h"
#include "CNetfilterShim_zlib.h"

#endif

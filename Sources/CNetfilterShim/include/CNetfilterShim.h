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

// MARK: - gzip (zlib), for compressed data files

/// A zlib inflate stream that reads gzip (one or more members) or zlib data.
typedef struct CNetfilterShim_inflater CNetfilterShim_inflater;

/// Creates an inflater, or returns NULL when zlib cannot allocate one.
CNetfilterShim_inflater *_Nullable CNetfilterShim_inflater_create(void);

/// Frees an inflater.
void CNetfilterShim_inflater_destroy(CNetfilterShim_inflater *_Nonnull inflater);

/// Inflates from `input` into `output`. Sets `*consumed` and `*produced` to the bytes used.
/// Returns 0 when more input or output space is needed, 1 at the end of the last complete
/// member when the input is used up, or a negative zlib error (Z_DATA_ERROR for corrupt data).
int CNetfilterShim_inflate(CNetfilterShim_inflater *_Nonnull inflater,
                           const uint8_t *_Nullable input, size_t input_length, size_t *_Nonnull consumed,
                           uint8_t *_Nonnull output, size_t output_length, size_t *_Nonnull produced);

/// Whether the inflater is between gzip members (a clean place for the input to end).
int CNetfilterShim_inflater_at_member_end(const CNetfilterShim_inflater *_Nonnull inflater);

/// zlib's message for the last error, or NULL.
const char *_Nullable CNetfilterShim_inflater_message(const CNetfilterShim_inflater *_Nonnull inflater);

/// The largest size `CNetfilterShim_deflate` can produce for `length` input bytes.
size_t CNetfilterShim_deflate_bound(size_t length);

/// Compresses `input` into `output` as one zlib stream at the given level (0-9).
/// Sets `*produced`. Returns 0, or a negative zlib error.
int CNetfilterShim_deflate(const uint8_t *_Nullable input, size_t input_length,
                           uint8_t *_Nonnull output, size_t output_capacity, size_t *_Nonnull produced,
                           int level);

#ifdef __cplusplus
}
#endif

#endif

// CNetfilterShim: The ipset part (ipset.c): libipset, loaded on first use.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_IPSET_H
#define CNETFILTERSHIM_IPSET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A libipset session with its netlink socket. libipset is not thread-safe: use one handle at
/// a time in the whole process.
typedef struct CNetfilterShim_ipset CNetfilterShim_ipset;

/// The result of a command on a set that does not exist.
#define CNetfilterShim_IPSET_NO_SUCH_SET (-2)

/// Opens a session and does the protocol handshake (the availability probe): in the network
/// namespace at `netns_path` when given (from a short-lived thread; the socket stays there).
/// Returns NULL when libipset cannot be loaded (`*error` ELIBACC; the reason in
/// CNetfilterShim_ipset_library_error) or memory runs out. Sets `*error` to 0, to an errno when the namespace
/// cannot be entered, or to EPROTO when the handshake failed (the text is in
/// CNetfilterShim_ipset_error); the handle must be closed in every case.
CNetfilterShim_ipset *_Nullable CNetfilterShim_ipset_open(const char *_Nullable netns_path, int *_Nonnull error);

/// Ends the session and frees the handle.
void CNetfilterShim_ipset_close(CNetfilterShim_ipset *_Nonnull handle);

/// The text of the last error, as libipset reported it, or "".
const char *_Nonnull CNetfilterShim_ipset_error(const CNetfilterShim_ipset *_Nonnull handle);

/// The output of the last CNetfilterShim_ipset_list (NUL-terminated; `*length` bytes).
const char *_Nonnull CNetfilterShim_ipset_output(const CNetfilterShim_ipset *_Nonnull handle, size_t *_Nonnull length);

/// Creates a `hash:net` set for IPv4 (`ipv6` 0) or IPv6, with a comment per entry when
/// `comments` is 1. Returns 0 or a negative value (text in CNetfilterShim_ipset_error).
int CNetfilterShim_ipset_create(CNetfilterShim_ipset *_Nonnull handle, const char *_Nonnull name, int ipv6,
                                uint32_t hash_size, uint32_t max_elements, int comments);

/// Adds `count` networks: `addresses` holds big-endian addresses (4 or 16 bytes each),
/// `lengths` their prefix lengths (1-32 or 1-128), each with `comment` when not NULL. The
/// entries go to the kernel many per netlink message, as `ipset restore` sends them.
/// Not transactional: on failure the entries before the failing one stay in the set.
int CNetfilterShim_ipset_add(CNetfilterShim_ipset *_Nonnull handle, const char *_Nonnull name, int ipv6,
                             const uint8_t *_Nullable addresses, const uint8_t *_Nullable lengths, size_t count,
                             const char *_Nullable comment);

/// Swaps the contents of two sets of the same type and family, atomically.
int CNetfilterShim_ipset_swap(CNetfilterShim_ipset *_Nonnull handle, const char *_Nonnull name, const char *_Nonnull other);

/// Destroys a set (refused while a rule references it).
/// Returns 0, CNetfilterShim_IPSET_NO_SUCH_SET, or another negative value.
int CNetfilterShim_ipset_destroy(CNetfilterShim_ipset *_Nonnull handle, const char *_Nonnull name);

/// Lists one set (or every set when `name` is NULL) into the output buffer: in `ipset save`
/// form, or with `headers_only` as `ipset list -t` prints it (type, sizes, number of entries).
/// Returns 0, CNetfilterShim_IPSET_NO_SUCH_SET, or another negative value.
int CNetfilterShim_ipset_list(CNetfilterShim_ipset *_Nonnull handle, const char *_Nullable name, int headers_only);

#ifdef __cplusplus
}
#endif

#endif

// CNetfilterShim: The ipset part (ipset.c): libipset, loaded on first use.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_IPSET_H
#define CNETFILTERSHIM_IPSET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A libipset session with its netlink socket (in the namespace it was opened in).
///
/// libipset keeps its type list and set cache in unlocked globals: every function below takes
/// the shim's process-wide libipset lock for its own duration only, so handles may be used
/// from any thread, one call at a time per handle.
typedef struct CNetfilterShim_ipset CNetfilterShim_ipset;

/// The outcome of an ipset call. The class comes from the kernel's error code (an errno or an
/// IPSET_ERR_* code, see CNetfilterShim_ipset_kernel_error), never from libipset's text.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_ipset_result {
    CNetfilterShim_IPSET_OK __attribute__((swift_name("ok"))) = 0,
    /// The set (or, for a swap, the second set) does not exist (ENOENT, IPSET_ERR_EXIST_SETNAME2).
    CNetfilterShim_IPSET_NO_SUCH_SET __attribute__((swift_name("noSuchSet"))) = 1,
    /// A set of that name, or the element, exists already (EEXIST, IPSET_ERR_EXIST).
    CNetfilterShim_IPSET_EXISTS __attribute__((swift_name("exists"))) = 2,
    /// The hash set holds maxelem entries (IPSET_ERR_HASH_FULL).
    CNetfilterShim_IPSET_HASH_FULL __attribute__((swift_name("hashFull"))) = 3,
    /// The set is referenced by a rule or another set (IPSET_ERR_BUSY, IPSET_ERR_REFERENCED).
    CNetfilterShim_IPSET_IN_USE __attribute__((swift_name("inUse"))) = 4,
    /// The two sets of a swap differ in type or family (IPSET_ERR_TYPE_MISMATCH), or a set has
    /// another family than the call expects.
    CNetfilterShim_IPSET_TYPE_MISMATCH __attribute__((swift_name("typeMismatch"))) = 5,
    /// The process lacks CAP_NET_ADMIN in the namespace (EPERM).
    CNetfilterShim_IPSET_PERMISSION __attribute__((swift_name("permission"))) = 6,
    /// The kernel has no ip_set, not this set type, or speaks another protocol version; or
    /// there is no netfilter netlink at all.
    CNetfilterShim_IPSET_UNSUPPORTED __attribute__((swift_name("unsupported"))) = 7,
    /// Memory ran out (here, in libipset, or in the kernel: ENOMEM).
    CNetfilterShim_IPSET_OUT_OF_MEMORY __attribute__((swift_name("outOfMemory"))) = 8,
    /// The network namespace cannot be entered (CNetfilterShim_ipset_system_error has the errno).
    CNetfilterShim_IPSET_NAMESPACE __attribute__((swift_name("namespace"))) = 9,
    /// libipset cannot be loaded (see CNetfilterShim_ipset_library_error).
    CNetfilterShim_IPSET_NO_LIBRARY __attribute__((swift_name("noLibrary"))) = 10,
    /// libipset failed without a kernel error (a malformed reply, an option it refused).
    CNetfilterShim_IPSET_LIBRARY_ERROR __attribute__((swift_name("libraryError"))) = 11,
    /// Another kernel error (CNetfilterShim_ipset_kernel_error has the code).
    CNetfilterShim_IPSET_KERNEL_ERROR __attribute__((swift_name("kernelError"))) = 12,
} CNetfilterShim_ipset_result;

/// The address family of a set.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_ipset_family {
    CNetfilterShim_IPSET_IPV4 __attribute__((swift_name("ipv4"))) = 4,
    CNetfilterShim_IPSET_IPV6 __attribute__((swift_name("ipv6"))) = 6,
} CNetfilterShim_ipset_family;

/// What CNetfilterShim_ipset_list prints.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_ipset_listing {
    /// `ipset save`: the create line and one add line per entry.
    CNetfilterShim_IPSET_LIST_MEMBERS __attribute__((swift_name("members"))) = 0,
    /// `ipset list -t`: type, sizes and number of entries, no entries.
    CNetfilterShim_IPSET_LIST_HEADER __attribute__((swift_name("header"))) = 1,
} CNetfilterShim_ipset_listing;

/// Opens a session and does the protocol handshake (the availability probe): in the network
/// namespace at `netns_path` when given (from a short-lived thread; the socket stays there).
/// Returns NULL only when memory runs out or libipset cannot be loaded (`*result` says which);
/// otherwise the handle, with `*result` OK or why the handshake failed (the text in
/// CNetfilterShim_ipset_error). The handle must be closed in every case.
CNetfilterShim_ipset *_Nullable CNetfilterShim_ipset_open(const char *_Nullable netns_path,
                                                          CNetfilterShim_ipset_result *_Nonnull result);

/// Ends the session and frees the handle.
void CNetfilterShim_ipset_close(CNetfilterShim_ipset *_Nonnull handle);

/// The text of the last error, as libipset (or the shim) reported it, or "".
const char *_Nonnull CNetfilterShim_ipset_error(const CNetfilterShim_ipset *_Nonnull handle);

/// The kernel's error code for the last failure: an errno (below 4096) or an IPSET_ERR_* code
/// (4096 and up); 0 when the kernel reported none.
int CNetfilterShim_ipset_kernel_error(const CNetfilterShim_ipset *_Nonnull handle);

/// The errno of the last failure outside the kernel (entering the namespace, allocating), or 0.
int CNetfilterShim_ipset_system_error(const CNetfilterShim_ipset *_Nonnull handle);

/// The output of the last CNetfilterShim_ipset_list (NUL-terminated; `*length` bytes).
const char *_Nonnull CNetfilterShim_ipset_output(const CNetfilterShim_ipset *_Nonnull handle, size_t *_Nonnull length);

/// Creates a `hash:net` set, with a comment per entry when `comments` is true.
CNetfilterShim_ipset_result CNetfilterShim_ipset_create(CNetfilterShim_ipset *_Nonnull handle, const char *_Nonnull name,
                                                        CNetfilterShim_ipset_family family, uint32_t hash_size,
                                                        uint32_t max_elements, _Bool comments);

/// Adds `count` networks: `addresses` holds big-endian addresses (4 or 16 bytes each, by
/// `family`), `lengths` their prefix lengths (1-32 or 1-128), each with `comment` when not
/// NULL. The entries go to the kernel many per netlink message, as `ipset restore` sends them.
/// Not transactional: on failure the entries before the failing one stay in the set.
/// TYPE_MISMATCH when the set is not of `family`.
CNetfilterShim_ipset_result CNetfilterShim_ipset_add(CNetfilterShim_ipset *_Nonnull handle, const char *_Nonnull name,
                                                     CNetfilterShim_ipset_family family,
                                                     const uint8_t *_Nullable addresses,
                                                     const uint8_t *_Nullable lengths, size_t count,
                                                     const char *_Nullable comment);

/// Swaps the contents of two sets of the same type and family, atomically.
CNetfilterShim_ipset_result CNetfilterShim_ipset_swap(CNetfilterShim_ipset *_Nonnull handle, const char *_Nonnull name,
                                                      const char *_Nonnull other);

/// Destroys a set (IN_USE while a rule references it).
CNetfilterShim_ipset_result CNetfilterShim_ipset_destroy(CNetfilterShim_ipset *_Nonnull handle, const char *_Nonnull name);

/// Lists one set (or every set when `name` is NULL) into the output buffer, as `listing` says.
CNetfilterShim_ipset_result CNetfilterShim_ipset_list(CNetfilterShim_ipset *_Nonnull handle, const char *_Nullable name,
                                                      CNetfilterShim_ipset_listing listing);

/// Closes libipset (dlclose) when no session is open, so the next use loads it again; also done
/// when the program exits. Returns false, and leaves it loaded, while a session is open.
_Bool CNetfilterShim_ipset_unload(void);

#ifdef __cplusplus
}
#endif

#endif

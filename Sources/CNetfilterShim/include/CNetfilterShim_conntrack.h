// CNetfilterShim: The connection-tracking part (conntrack.c): ctnetlink over libmnl.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
//
// Primitives only: open a socket in a namespace, dump the table, delete entries. Which entries
// to delete is decided by the caller (GeoFilterCore's ConntrackPurge).
#ifndef CNETFILTERSHIM_CONNTRACK_H
#define CNETFILTERSHIM_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A NETLINK_NETFILTER socket for ctnetlink (in the namespace it was opened in), with its buffers.
/// One call at a time per handle.
typedef struct CNetfilterShim_ct CNetfilterShim_ct;

/// The outcome of a conntrack call. The errno behind a failure is in CNetfilterShim_ct_errno
/// (or, for CNetfilterShim_ct_open, in `*error`).
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_ct_result {
    CNetfilterShim_CT_OK __attribute__((swift_name("ok"))) = 0,
    /// The process lacks CAP_NET_ADMIN in the namespace (EPERM, EACCES).
    CNetfilterShim_CT_PERMISSION __attribute__((swift_name("permission"))) = 1,
    /// The kernel has no netfilter netlink (EPROTONOSUPPORT) or no ctnetlink (EOPNOTSUPP).
    CNetfilterShim_CT_UNSUPPORTED __attribute__((swift_name("unsupported"))) = 2,
    /// The network namespace cannot be opened or entered (the errno says why).
    CNetfilterShim_CT_NAMESPACE __attribute__((swift_name("namespace"))) = 3,
    /// Memory ran out (here or in the kernel: ENOMEM).
    CNetfilterShim_CT_OUT_OF_MEMORY __attribute__((swift_name("outOfMemory"))) = 4,
    /// The kernel sent a reply the shim cannot read (a truncated message, a bad attribute, a
    /// missing acknowledgement).
    CNetfilterShim_CT_MALFORMED __attribute__((swift_name("malformed"))) = 5,
    /// An entry handed to a delete call holds no tuple (a delete without one would flush the
    /// whole table, so the shim refuses it; nothing was sent).
    CNetfilterShim_CT_INVALID_ENTRY __attribute__((swift_name("invalidEntry"))) = 6,
    /// Another system or kernel error (the errno says which).
    CNetfilterShim_CT_SYSTEM_ERROR __attribute__((swift_name("systemError"))) = 7,
} CNetfilterShim_ct_result;

/// The layer-3 family of an entry.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_ct_family {
    CNetfilterShim_CT_IPV4 __attribute__((swift_name("ipv4"))) = 4,
    CNetfilterShim_CT_IPV6 __attribute__((swift_name("ipv6"))) = 6,
} CNetfilterShim_ct_family;

/// The layer-4 protocol of an entry (the number itself is in `protocol_number`).
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_ct_protocol {
    /// Any protocol not named below (the generic tracker: ESP, OSPF, ...).
    CNetfilterShim_CT_OTHER __attribute__((swift_name("other"))) = 0,
    CNetfilterShim_CT_TCP __attribute__((swift_name("tcp"))) = 1,
    CNetfilterShim_CT_UDP __attribute__((swift_name("udp"))) = 2,
    CNetfilterShim_CT_ICMP __attribute__((swift_name("icmp"))) = 3,
    CNetfilterShim_CT_ICMPV6 __attribute__((swift_name("icmpv6"))) = 4,
    CNetfilterShim_CT_SCTP __attribute__((swift_name("sctp"))) = 5,
    CNetfilterShim_CT_DCCP __attribute__((swift_name("dccp"))) = 6,
    CNetfilterShim_CT_UDPLITE __attribute__((swift_name("udplite"))) = 7,
    CNetfilterShim_CT_GRE __attribute__((swift_name("gre"))) = 8,
} CNetfilterShim_ct_protocol;

/// The bytes of an original tuple the shim keeps (a tuple is at most about 90 bytes).
#define CNetfilterShim_CT_KEY_CAPACITY 128

/// One conntrack entry as a dump reports it: the original direction (the packet that created
/// the entry) and what identifies exactly this entry for a delete.
typedef struct CNetfilterShim_ct_entry {
    CNetfilterShim_ct_family family;
    CNetfilterShim_ct_protocol protocol;
    /// The IPPROTO_* number.
    uint8_t protocol_number;
    /// 1 when the protocol has ports (TCP, UDP, SCTP, DCCP, UDP-Lite) and both were reported.
    uint8_t has_ports;
    /// Host byte order; 0 without ports.
    uint16_t source_port;
    uint16_t destination_port;
    /// The original source and destination addresses in network byte order (IPv4: the first 4 bytes).
    uint8_t source[16];
    uint8_t destination[16];
    /// The reply direction's source address (who answers: the original destination, or the
    /// address it was translated to), and 1 when the dump reported it.
    uint8_t reply_source[16];
    uint8_t has_reply;
    /// The kernel's id of the entry (CTA_ID), and 1 when the dump reported one.
    uint32_t id;
    uint8_t has_id;
    /// The conntrack zone (CTA_ZONE), and 1 when the dump reported one (only non-default zones).
    uint8_t has_zone;
    uint16_t zone;
    /// The original tuple's attributes as the kernel sent them (CTA_TUPLE_ORIG's payload),
    /// sent back unchanged by a delete.
    uint16_t key_length;
    uint8_t key[CNetfilterShim_CT_KEY_CAPACITY];
} CNetfilterShim_ct_entry;

/// Opens a NETLINK_NETFILTER socket for ctnetlink and reads the namespace's interface addresses.
/// With `netns_path` (for example `/var/run/netns/NAME`) both happen in that network namespace,
/// from a short-lived thread (setns is per thread); the socket stays in that namespace afterwards.
/// Returns NULL with `*result` and `*error` (an errno) set.
CNetfilterShim_ct *_Nullable CNetfilterShim_ct_open(const char *_Nullable netns_path,
                                                    CNetfilterShim_ct_result *_Nonnull result, int *_Nonnull error);

/// Closes the socket and frees the handle.
void CNetfilterShim_ct_close(CNetfilterShim_ct *_Nonnull ct);

/// The errno behind the last failure of this handle, or 0.
int CNetfilterShim_ct_errno(const CNetfilterShim_ct *_Nonnull ct);

/// What the last failure was ("dumping the table", "deleting an entry", ...), or "".
const char *_Nonnull CNetfilterShim_ct_error(const CNetfilterShim_ct *_Nonnull ct);

/// Called once per local address.
typedef void (*CNetfilterShim_ct_address_callback)(void *_Nullable context, CNetfilterShim_ct_family family,
                                                   const uint8_t *_Nonnull address);

/// Reports the addresses of the namespace's interfaces (and their IPv4 broadcast addresses), as
/// they were when the handle was opened (getifaddrs in that namespace). 16 bytes in network byte
/// order each (IPv4: the first 4).
void CNetfilterShim_ct_local_addresses(const CNetfilterShim_ct *_Nonnull ct,
                                       CNetfilterShim_ct_address_callback _Nonnull callback, void *_Nullable context);

/// Called once per entry of a dump. The entry is valid for the call only (copy it to keep it).
typedef void (*CNetfilterShim_ct_entry_callback)(void *_Nullable context, const CNetfilterShim_ct_entry *_Nonnull entry);

/// Dumps the whole table (IPv4 and IPv6, every zone) in one pass and calls `callback` for
/// each entry; `*count` is the number of entries reported. A table that changes during the
/// dump may have entries reported twice or not at all (the kernel's dump semantics).
CNetfilterShim_ct_result CNetfilterShim_ct_dump(CNetfilterShim_ct *_Nonnull ct,
                                                CNetfilterShim_ct_entry_callback _Nonnull callback,
                                                void *_Nullable context, size_t *_Nonnull count);

/// Deletes entries (IPCTNL_MSG_CT_DELETE with each entry's original tuple, zone and id, so only
/// that entry goes; the kernel's id hashes the entry's address and tuple, so an entry re-created
/// with the same tuple in the same memory has the same id and goes too), up to 256 requests per
/// sendto, each acknowledged. Entries without a tuple are refused before anything is sent.
/// `*deleted` counts the entries the kernel deleted, `*missing` those it no longer had (ENOENT:
/// expired or deleted meanwhile, not an error). Stops after the batch holding the first other error, with the counts so far.
CNetfilterShim_ct_result CNetfilterShim_ct_delete(CNetfilterShim_ct *_Nonnull ct,
                                                  const CNetfilterShim_ct_entry *_Nullable entries, size_t count,
                                                  size_t *_Nonnull deleted, size_t *_Nonnull missing);

#ifdef __cplusplus
}
#endif

#endif

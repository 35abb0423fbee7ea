// CNetfilterShim: The nf_tables part (nftables.c): libnftnl and libmnl.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_NFTABLES_H
#define CNETFILTERSHIM_NFTABLES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An nf_tables netlink socket plus the batch being built on it.
typedef struct CNetfilterShim_nft CNetfilterShim_nft;

/// Opens a NETLINK_NETFILTER socket. With `netns_path` (for example `/var/run/netns/NAME`) the
/// socket is opened in that network namespace, from a short-lived thread (setns is per thread);
/// the socket stays in that namespace afterwards. Returns NULL and sets `*error` to an errno.
CNetfilterShim_nft *_Nullable CNetfilterShim_nft_open(const char *_Nullable netns_path, int *_Nonnull error);

/// Opens a recorder: a handle without a socket whose commits keep the batch bytes (see
/// CNetfilterShim_nft_recorded) instead of sending them. Needs no privilege. NULL on ENOMEM.
CNetfilterShim_nft *_Nullable CNetfilterShim_nft_open_recorder(void);

/// A recorder's committed batches, back to back; `*length` is their size in bytes.
const uint8_t *_Nullable CNetfilterShim_nft_recorded(const CNetfilterShim_nft *_Nonnull nft, size_t *_Nonnull length);

/// Receives one line (or block of lines) of printed text.
typedef void (*CNetfilterShim_nft_line_callback)(void *_Nullable context, const char *_Nonnull text);

/// Parses recorded batch bytes back, message by message, with libnftnl's parsers and prints each
/// with libnftnl's own printers: a header line (message type, family, flags, user data) and the
/// object's text. Returns 0, -ENOMEM, or -EBADMSG when the bytes end inside a message.
int CNetfilterShim_nft_print_batch(const uint8_t *_Nonnull bytes, size_t length,
                                   CNetfilterShim_nft_line_callback _Nonnull callback, void *_Nullable context);

/// Closes the socket and frees the batch.
void CNetfilterShim_nft_close(CNetfilterShim_nft *_Nonnull nft);

/// The text of the last error (what failed, in which message), or "".
const char *_Nonnull CNetfilterShim_nft_error(const CNetfilterShim_nft *_Nonnull nft);

/// Starts a new batch (discarding any unsent one).
int CNetfilterShim_nft_begin(CNetfilterShim_nft *_Nonnull nft);

/// Adds NEWTABLE (`op` 0, with an optional comment) or DELTABLE (`op` 1) for an inet table.
int CNetfilterShim_nft_table(CNetfilterShim_nft *_Nonnull nft, int op, const char *_Nonnull table,
                             const char *_Nullable comment);

/// Adds DELTABLE for a table of family `ip` (`ipv6` 0) or `ip6` (for example the `filter`
/// table iptables-nft created).
int CNetfilterShim_nft_delete_family_table(CNetfilterShim_nft *_Nonnull nft, int ipv6, const char *_Nonnull table);

/// Adds NEWSET: an interval set of IPv4 (`ipv6` 0) or IPv6 addresses with a comment.
int CNetfilterShim_nft_set(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull set,
                           int ipv6, uint32_t set_id, const char *_Nullable comment);

/// Adds NEWSET for an interval verdict map from IPv4 (`ipv6` 0) or IPv6 addresses.
int CNetfilterShim_nft_verdict_map(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull map,
                                   int ipv6, uint32_t set_id, const char *_Nullable comment);

/// Adds map elements: each range of `bounds` (as for CNetfilterShim_nft_elements) maps to
/// `jump CHAIN`, where `chains` holds count NUL-terminated chain names back to back.
int CNetfilterShim_nft_map_elements(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull map,
                                    int ipv6, const uint8_t *_Nullable bounds, const char *_Nullable chains, size_t count);

/// Adds the ranges `bounds` (count pairs of big-endian first and last address, 4 or 16 bytes
/// each) to a set as interval elements, split over messages of at most 64 KiB.
/// With `remove` set, deletes those elements instead.
int CNetfilterShim_nft_elements(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull set,
                                int ipv6, const uint8_t *_Nullable bounds, size_t count, int remove);

/// Adds NEWCHAIN: a filter base chain on the input (`hook` 0) or forward (1) hook, policy accept.
int CNetfilterShim_nft_chain(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull chain,
                             int hook, int priority);

/// What a rule matches and does.
typedef struct CNetfilterShim_nft_rule_spec {
    /// 0: ct state established,related; 1: iifname "lo"; 2: source address in a set;
    /// 3: nothing (a counter and the comment only: a record, in a chain never jumped to);
    /// 4: source address looked up in a verdict map (`set` names the map; no verdict added);
    /// 5: every packet (a counter and the verdict only);
    /// 6: source address [not] in a set, then looked up in the verdict map `map`.
    int kind;
    /// For kind 2: 0 IPv4, 1 IPv6; the set's name and batch id; 1 to match sources NOT in it.
    int ipv6;
    const char *_Nullable set;
    uint32_t set_id;
    int negate;
    /// For kind 2: 0 any protocol, else IPPROTO_TCP or IPPROTO_UDP with a destination port range.
    int l4proto;
    uint16_t port_low;
    uint16_t port_high;
    /// 1: count packets and bytes.
    int counter;
    /// 1: accept, 0: drop.
    int accept;
    /// For kind 6: the verdict map's name and batch id.
    const char *_Nullable map;
    uint32_t map_id;
    /// Stored as the rule's comment, read back by CNetfilterShim_nft_rule_counters.
    const char *_Nullable comment;
} CNetfilterShim_nft_rule_spec;

/// Adds DELRULE for every rule of a chain (no handle: the kernel deletes them all).
int CNetfilterShim_nft_flush_chain(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull chain);

/// Adds NEWCHAIN for a regular chain (no hook) of the table.
int CNetfilterShim_nft_regular_chain(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull chain);

/// Appends a rule to a chain.
int CNetfilterShim_nft_rule(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull chain,
                            const CNetfilterShim_nft_rule_spec *_Nonnull spec);

/// Ends the batch, sends it as one transaction and reads every reply. Returns 0 when the kernel
/// committed it, else a negative errno (the kernel rolled everything back; the error text names
/// the first failing message).
int CNetfilterShim_nft_commit(CNetfilterShim_nft *_Nonnull nft);

/// The number of messages in the current batch (for tests that inject a fault).
int CNetfilterShim_nft_message_count(const CNetfilterShim_nft *_Nonnull nft);

/// Reads a table's comment into `buffer`. Returns 0, -ENOENT when the table does not exist, or
/// another negative errno.
int CNetfilterShim_nft_table_comment(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                     char *_Nonnull buffer, size_t capacity);

/// Reads a set's comment into `buffer`. Returns 0 or a negative errno.
int CNetfilterShim_nft_set_comment(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull set,
                                   char *_Nonnull buffer, size_t capacity);

/// Called for each rule of a table that has a counter: chain, rule comment, packets, bytes.
typedef void (*CNetfilterShim_nft_counter_callback)(void *_Nullable context, const char *_Nonnull chain,
                                                      const char *_Nonnull comment, uint64_t packets, uint64_t bytes);

/// Dumps the rules of a table and reports their counters. Returns 0 or a negative errno.
int CNetfilterShim_nft_rule_counters(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                     CNetfilterShim_nft_counter_callback _Nonnull callback, void *_Nullable context);

#ifdef __cplusplus
}
#endif

#endif

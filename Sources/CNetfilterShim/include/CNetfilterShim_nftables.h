// CNetfilterShim: The nf_tables part (nftables.c): libnftnl and libmnl.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
//
// Netlink primitives only: a batch (one transaction) of table, set, element and chain
// messages, and rules assembled one expression at a time (begin rule, one call per expression,
// end rule), then commit and ACK/error mapping. What the rules say is decided in Swift
// (Backends/Nftables/NftRule.swift). Every function returning int gives 0 or a negative errno
// and leaves a text in CNetfilterShim_nft_error().
#ifndef CNETFILTERSHIM_NFTABLES_H
#define CNETFILTERSHIM_NFTABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CNETFILTERSHIM_CLOSED_ENUM __attribute__((enum_extensibility(closed)))

/// A netfilter protocol family (`NFPROTO_*`): of a table, or of a set's address keys.
typedef enum CNETFILTERSHIM_CLOSED_ENUM CNetfilterShim_nft_family {
    CNetfilterShim_nft_family_inet = 1,   // NFPROTO_INET
    CNetfilterShim_nft_family_ipv4 = 2,   // NFPROTO_IPV4
    CNetfilterShim_nft_family_ipv6 = 10,  // NFPROTO_IPV6
} CNetfilterShim_nft_family;

/// The netfilter hook of a base chain (`NF_INET_*`).
typedef enum CNETFILTERSHIM_CLOSED_ENUM CNetfilterShim_nft_hook {
    CNetfilterShim_nft_hook_input = 1,    // NF_INET_LOCAL_IN
    CNetfilterShim_nft_hook_forward = 2,  // NF_INET_FORWARD
} CNetfilterShim_nft_hook;

/// A register of the nf_tables virtual machine (`NFT_REG_*`).
typedef enum CNETFILTERSHIM_CLOSED_ENUM CNetfilterShim_nft_register {
    CNetfilterShim_nft_register_verdict = 0,  // NFT_REG_VERDICT
    CNetfilterShim_nft_register_r1 = 1,       // NFT_REG_1 (16 bytes)
} CNetfilterShim_nft_register;

/// The operator of a `cmp` expression (`NFT_CMP_*`).
typedef enum CNETFILTERSHIM_CLOSED_ENUM CNetfilterShim_nft_cmp_op {
    CNetfilterShim_nft_cmp_op_eq = 0,   // NFT_CMP_EQ
    CNetfilterShim_nft_cmp_op_neq = 1,  // NFT_CMP_NEQ
    CNetfilterShim_nft_cmp_op_lt = 2,   // NFT_CMP_LT
    CNetfilterShim_nft_cmp_op_lte = 3,  // NFT_CMP_LTE
    CNetfilterShim_nft_cmp_op_gt = 4,   // NFT_CMP_GT
    CNetfilterShim_nft_cmp_op_gte = 5,  // NFT_CMP_GTE
} CNetfilterShim_nft_cmp_op;

/// What a `meta` expression loads (`NFT_META_*`).
typedef enum CNETFILTERSHIM_CLOSED_ENUM CNetfilterShim_nft_meta_key {
    CNetfilterShim_nft_meta_key_iifname = 6,   // NFT_META_IIFNAME: input interface name, 16 bytes
    CNetfilterShim_nft_meta_key_nfproto = 15,  // NFT_META_NFPROTO: 1 byte, NFPROTO_IPV4 or _IPV6
    CNetfilterShim_nft_meta_key_l4proto = 16,  // NFT_META_L4PROTO: 1 byte, IPPROTO_*
} CNetfilterShim_nft_meta_key;

/// What a `ct` expression loads (`NFT_CT_*`).
typedef enum CNETFILTERSHIM_CLOSED_ENUM CNetfilterShim_nft_ct_key {
    CNetfilterShim_nft_ct_key_state = 0,  // NFT_CT_STATE: 4 bytes, host order, NF_CT_STATE_BIT()s
} CNetfilterShim_nft_ct_key;

/// The header a `payload` expression reads from (`NFT_PAYLOAD_*_HEADER`).
typedef enum CNETFILTERSHIM_CLOSED_ENUM CNetfilterShim_nft_payload_base {
    CNetfilterShim_nft_payload_base_network = 1,    // NFT_PAYLOAD_NETWORK_HEADER
    CNetfilterShim_nft_payload_base_transport = 2,  // NFT_PAYLOAD_TRANSPORT_HEADER
} CNetfilterShim_nft_payload_base;

/// A verdict (`NF_ACCEPT`, `NF_DROP`, `NFT_*`).
typedef enum CNETFILTERSHIM_CLOSED_ENUM CNetfilterShim_nft_verdict {
    CNetfilterShim_nft_verdict_drop = 0,       // NF_DROP
    CNetfilterShim_nft_verdict_accept = 1,     // NF_ACCEPT
    CNetfilterShim_nft_verdict_jump = -3,      // NFT_JUMP (needs a chain)
} CNetfilterShim_nft_verdict;

/// An nf_tables netlink socket (or a recorder) plus the batch being built on it.
typedef struct CNetfilterShim_nft CNetfilterShim_nft;

// MARK: - Handle

/// Opens a NETLINK_NETFILTER socket. With `netns_path` (for example `/var/run/netns/NAME`) the
/// socket is opened in that network namespace, from a short-lived thread (setns is per thread);
/// the socket stays in that namespace afterwards. Returns NULL and sets `*error` to an errno.
CNetfilterShim_nft *_Nullable CNetfilterShim_nft_open(const char *_Nullable netns_path, int *_Nonnull error);

/// Opens a recorder: a handle without a socket whose commits keep the batch bytes (see
/// CNetfilterShim_nft_recorded) instead of sending them. Needs no privilege. NULL on ENOMEM.
CNetfilterShim_nft *_Nullable CNetfilterShim_nft_open_recorder(void);

/// Closes the socket and frees the batch, a rule being built, and any recording.
void CNetfilterShim_nft_close(CNetfilterShim_nft *_Nonnull nft);

/// The text of the last error (what failed, in which message), or "". It does not include the
/// errno's text (the caller has the number).
const char *_Nonnull CNetfilterShim_nft_error(const CNetfilterShim_nft *_Nonnull nft);

// MARK: - Batch

/// Starts a new batch (discarding any unsent one) and clears the error text.
int CNetfilterShim_nft_begin(CNetfilterShim_nft *_Nonnull nft);

/// Adds NEWTABLE for an inet table (create if absent), with an optional comment.
int CNetfilterShim_nft_add_table(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                 const char *_Nullable comment);

/// Adds DELTABLE for a table of `family`: our inet table, or an `ip`/`ip6` one (for example
/// the `filter` table iptables-nft created).
int CNetfilterShim_nft_delete_table(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_family family,
                                    const char *_Nonnull table);

/// Adds NEWSET: an interval set of `key` (ipv4 or ipv6) addresses with a comment; `set_id`
/// lets rules of the same batch refer to it.
int CNetfilterShim_nft_add_set(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table, const char *_Nonnull set,
                               CNetfilterShim_nft_family key, uint32_t set_id, const char *_Nullable comment);

/// Adds NEWSET for an interval verdict map from `key` (ipv4 or ipv6) addresses.
int CNetfilterShim_nft_add_verdict_map(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                       const char *_Nonnull map, CNetfilterShim_nft_family key, uint32_t set_id,
                                       const char *_Nullable comment);

/// Adds the ranges `bounds` (count pairs of big-endian first and last address, 4 or 16 bytes
/// each by `key`) to a set as interval elements, split over messages of at most 64 KiB.
int CNetfilterShim_nft_add_elements(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                    const char *_Nonnull set, CNetfilterShim_nft_family key,
                                    const uint8_t *_Nullable bounds, size_t count);

/// Deletes the interval elements `bounds` (as for CNetfilterShim_nft_add_elements) from a set
/// or map; each must match a stored interval exactly.
int CNetfilterShim_nft_delete_elements(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                       const char *_Nonnull set, CNetfilterShim_nft_family key,
                                       const uint8_t *_Nullable bounds, size_t count);

/// Adds map elements: each range of `bounds` (as for CNetfilterShim_nft_add_elements) maps to
/// `jump CHAIN`, where `chains` holds count NUL-terminated chain names back to back.
int CNetfilterShim_nft_add_map_elements(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                        const char *_Nonnull map, CNetfilterShim_nft_family key,
                                        const uint8_t *_Nullable bounds, const char *_Nullable chains, size_t count);

/// Adds NEWCHAIN: a filter base chain on `hook` with `priority`, policy accept.
int CNetfilterShim_nft_add_base_chain(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                      const char *_Nonnull chain, CNetfilterShim_nft_hook hook, int32_t priority);

/// Adds NEWCHAIN for a regular chain (no hook) of the table.
int CNetfilterShim_nft_add_regular_chain(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                         const char *_Nonnull chain);

/// Adds DELRULE for every rule of a chain (no handle: the kernel deletes them all).
int CNetfilterShim_nft_flush_chain(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                   const char *_Nonnull chain);

// MARK: - Rules, one expression at a time

/// Starts a rule to append to `chain` (discarding one begun and not ended), with an optional
/// comment (read back by CNetfilterShim_nft_rule_counters).
int CNetfilterShim_nft_rule_begin(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                  const char *_Nonnull chain, const char *_Nullable comment);

/// `payload load LENGTHb @ BASE header + OFFSET => DREG`.
int CNetfilterShim_nft_expr_payload(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_payload_base base,
                                    uint32_t offset, uint32_t length, CNetfilterShim_nft_register dreg);

/// `meta load KEY => DREG`.
int CNetfilterShim_nft_expr_meta(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_meta_key key,
                                 CNetfilterShim_nft_register dreg);

/// `ct load KEY => DREG`.
int CNetfilterShim_nft_expr_ct(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_ct_key key,
                               CNetfilterShim_nft_register dreg);

/// `cmp OP SREG DATA`: `length` bytes (1 to 16) as they are in the register.
int CNetfilterShim_nft_expr_cmp(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_register sreg,
                                CNetfilterShim_nft_cmp_op op, const uint8_t *_Nonnull data, uint32_t length);

/// `bitwise DREG = (SREG & MASK) ^ XOR` over `length` bytes (1 to 16).
int CNetfilterShim_nft_expr_bitwise(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_register sreg,
                                    CNetfilterShim_nft_register dreg, const uint8_t *_Nonnull mask,
                                    const uint8_t *_Nonnull xor_value, uint32_t length);

/// `lookup SREG set SET`: the rule goes on when SREG is in the set (not in it, when `inverted`).
/// `set_id` names a set added in the same batch (0: an existing set).
int CNetfilterShim_nft_expr_lookup(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_register sreg,
                                   const char *_Nonnull set, uint32_t set_id, bool inverted);

/// `lookup SREG set MAP dreg DREG`: SREG looked up in a verdict map (`vmap`); the element's
/// verdict is applied, no match goes on.
int CNetfilterShim_nft_expr_verdict_map(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_register sreg,
                                        CNetfilterShim_nft_register dreg, const char *_Nonnull map, uint32_t map_id);

/// `counter`: counts packets and bytes.
int CNetfilterShim_nft_expr_counter(CNetfilterShim_nft *_Nonnull nft);

/// `immediate reg 0 VERDICT [CHAIN]`: `chain` is required for jump, else ignored.
int CNetfilterShim_nft_expr_verdict(CNetfilterShim_nft *_Nonnull nft, CNetfilterShim_nft_verdict verdict,
                                    const char *_Nullable chain);

/// Ends the rule begun last and adds it (NEWRULE, create + append) to the batch.
int CNetfilterShim_nft_rule_end(CNetfilterShim_nft *_Nonnull nft);

// MARK: - Commit

/// Ends the batch, sends it as one transaction and reads every reply. Returns 0 when the kernel
/// committed it, else a negative errno (the kernel rolled everything back; the error text names
/// the first failing message). A recorder keeps the bytes instead and returns 0.
int CNetfilterShim_nft_commit(CNetfilterShim_nft *_Nonnull nft);

/// For tests: caps the socket buffers later commits size (bytes; 0: no cap), so a batch larger
/// than the send buffer fails before anything is sent (EMSGSIZE), and replies beyond the
/// receive buffer are lost after the kernel processed the batch (ENOBUFS).
void CNetfilterShim_nft_cap_buffers(CNetfilterShim_nft *_Nonnull nft, int send_size, int receive_size);

// MARK: - Reading back

/// Reads a table's comment into `buffer`. Returns 0, -ENOENT when the table does not exist, or
/// another negative errno.
int CNetfilterShim_nft_table_comment(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                     char *_Nonnull buffer, size_t capacity);

/// Called for each rule of a table that has a counter: chain, rule comment, packets, bytes.
typedef void (*CNetfilterShim_nft_counter_callback)(void *_Nullable context, const char *_Nonnull chain,
                                                      const char *_Nonnull comment, uint64_t packets, uint64_t bytes);

/// Dumps the rules of a table and reports their counters. Returns 0 or a negative errno.
int CNetfilterShim_nft_rule_counters(CNetfilterShim_nft *_Nonnull nft, const char *_Nonnull table,
                                     CNetfilterShim_nft_counter_callback _Nonnull callback, void *_Nullable context);

// MARK: - Recording

/// A recorder's committed batches, back to back; `*length` is their size in bytes.
const uint8_t *_Nullable CNetfilterShim_nft_recorded(const CNetfilterShim_nft *_Nonnull nft, size_t *_Nonnull length);

/// Receives one line (or block of lines) of printed text.
typedef void (*CNetfilterShim_nft_line_callback)(void *_Nullable context, const char *_Nonnull text);

/// Parses recorded batch bytes back, message by message, with libnftnl's parsers and prints each
/// with libnftnl's own printers: a header line (message type, family, flags, user data) and the
/// object's text. Returns 0, -ENOMEM, or -EBADMSG when a message is not an nf_tables one libnftnl
/// can parse or the bytes end inside one.
int CNetfilterShim_nft_print_batch(const uint8_t *_Nonnull bytes, size_t length,
                                   CNetfilterShim_nft_line_callback _Nonnull callback, void *_Nullable context);

#ifdef __cplusplus
}
#endif

#endif

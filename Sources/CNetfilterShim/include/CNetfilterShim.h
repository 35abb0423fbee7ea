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

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The absolute path of the shared object that provides libipset (loaded on first use, from
/// `libipset.so.13` or the path in the environment variable GEOFILTER_LIBIPSET), or NULL when it
/// cannot be loaded. The string is owned by the dynamic loader.
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

// MARK: - nftables (libnftnl + libmnl)

/// An nf_tables netlink socket plus the batch being built on it.
typedef struct CNetfilterShim_nft CNetfilterShim_nft;

/// Opens a NETLINK_NETFILTER socket. With `netns_path` (for example `/var/run/netns/NAME`) the
/// socket is opened in that network namespace, from a short-lived thread (setns is per thread);
/// the socket stays in that namespace afterwards. Returns NULL and sets `*error` to an errno.
CNetfilterShim_nft *_Nullable CNetfilterShim_nft_open(const char *_Nullable netns_path, int *_Nonnull error);

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

// MARK: - ipset (libipset)

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

// MARK: - Helper programs

/// Bytes a program printed (malloc'd, NUL-terminated; free with CNetfilterShim_output_free).
typedef struct CNetfilterShim_output {
    char *_Nullable bytes;
    size_t length;
    size_t capacity;
} CNetfilterShim_output;

/// Frees an output buffer's bytes.
void CNetfilterShim_output_free(CNetfilterShim_output *_Nonnull buffer);

/// Runs the program at `path` with `argv` (NULL-terminated, argv[0] first) to its end, writing
/// `input` to its standard input and collecting its standard output and error. Sets
/// `*exit_status` (128 + signal when killed). Returns 0, or a negative errno when the program
/// could not be started or read.
int CNetfilterShim_run_process(const char *_Nonnull path, char *_Nullable const *_Nonnull argv,
                               const uint8_t *_Nullable input, size_t input_length,
                               CNetfilterShim_output *_Nonnull output, CNetfilterShim_output *_Nonnull errors,
                               int *_Nonnull exit_status);

// MARK: - HTTP (libcurl, loaded on first use)

/// Results of CNetfilterShim_http_get besides 0 (a response arrived; see its status).
#define CNetfilterShim_HTTP_NO_LIBRARY (-1)
#define CNetfilterShim_HTTP_TRANSPORT (-2)
#define CNetfilterShim_HTTP_TIMEOUT (-3)
#define CNetfilterShim_HTTP_TOO_LARGE (-4)
#define CNetfilterShim_HTTP_WRITE (-5)
#define CNetfilterShim_HTTP_CANCELLED (-6)

/// Called as bytes arrive (total 0 when unknown); a non-zero return cancels the transfer.
typedef int (*CNetfilterShim_http_progress)(void *_Nullable context, uint64_t received, uint64_t total);

/// One GET: the body is written to `output_fd`.
typedef struct CNetfilterShim_http_request {
    const char *_Nonnull url;
    /// Extra request header lines ("If-None-Match: \"abc\"").
    const char *_Nullable const *_Nullable headers;
    size_t header_count;
    /// "user:password" for HTTP Basic authentication (not sent across redirects), or NULL.
    const char *_Nullable user_password;
    const char *_Nullable user_agent;
    int output_fd;
    long connect_timeout_ms;
    /// The whole transfer's limit (0: none).
    long total_timeout_ms;
    /// Fail when no byte arrives for this many seconds (0: no limit).
    long stall_seconds;
    /// Fail when the body grows past this many bytes (0: no limit).
    uint64_t max_bytes;
    CNetfilterShim_http_progress _Nullable progress;
    void *_Nullable context;
} CNetfilterShim_http_request;

/// What came back.
typedef struct CNetfilterShim_http_response {
    long status;
    uint64_t received;
    /// Content-Length of the last response, or -1.
    int64_t expected;
    char etag[256];
    char last_modified[128];
    char content_disposition[256];
    char error[512];
} CNetfilterShim_http_response;

/// Performs the GET, following up to 5 redirects (http and https only). Returns 0 when a
/// response arrived completely (any status), else a negative CNetfilterShim_HTTP_* code with
/// the reason in `response->error`.
int CNetfilterShim_http_get(const CNetfilterShim_http_request *_Nonnull request,
                            CNetfilterShim_http_response *_Nonnull response);

// MARK: - gzip (zlib), for compressed data files

/// A zlib inflate stream that reads gzip (one or more members) or zlib data.
typedef struct CNetfilterShim_inflater CNetfilterShim_inflater;

/// Creates an inflater, or returns NULL when zlib cannot allocate one.
CNetfilterShim_inflater *_Nullable CNetfilterShim_inflater_create(void);

/// Creates an inflater for raw deflate data (`raw` 1, as in zip entries) or, with 0, for gzip
/// or zlib data. Returns NULL when zlib cannot allocate one.
CNetfilterShim_inflater *_Nullable CNetfilterShim_inflater_create_format(int raw);

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

// The libnftnl/libmnl half of the shim. Never include libipset headers here (see CNetfilterShim.h).
// glibc's <netinet/in.h> must come before any <linux/...> header.
//
// Netlink primitives only: what the rules say is built in Swift, one expression per call here.
// Every libnftnl/libmnl call that can fail is checked; each failure returns a negative errno and
// leaves a text (without the errno's own text) in nft->error.
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "CNetfilterShim.h"
#include "loader.h"
#include "netns.h"

// The header's enums carry the kernel's values; the compiler checks them here.
#define SAME_VALUE(ours, kernel) _Static_assert((int)(ours) == (int)(kernel), #ours " is " #kernel)
SAME_VALUE(CNetfilterShim_nft_family_inet, NFPROTO_INET);
SAME_VALUE(CNetfilterShim_nft_family_ipv4, NFPROTO_IPV4);
SAME_VALUE(CNetfilterShim_nft_family_ipv6, NFPROTO_IPV6);
SAME_VALUE(CNetfilterShim_nft_hook_input, NF_INET_LOCAL_IN);
SAME_VALUE(CNetfilterShim_nft_hook_forward, NF_INET_FORWARD);
SAME_VALUE(CNetfilterShim_nft_register_verdict, NFT_REG_VERDICT);
SAME_VALUE(CNetfilterShim_nft_register_r1, NFT_REG_1);
SAME_VALUE(CNetfilterShim_nft_cmp_op_eq, NFT_CMP_EQ);
SAME_VALUE(CNetfilterShim_nft_cmp_op_neq, NFT_CMP_NEQ);
SAME_VALUE(CNetfilterShim_nft_cmp_op_lt, NFT_CMP_LT);
SAME_VALUE(CNetfilterShim_nft_cmp_op_lte, NFT_CMP_LTE);
SAME_VALUE(CNetfilterShim_nft_cmp_op_gt, NFT_CMP_GT);
SAME_VALUE(CNetfilterShim_nft_cmp_op_gte, NFT_CMP_GTE);
SAME_VALUE(CNetfilterShim_nft_meta_key_iifname, NFT_META_IIFNAME);
SAME_VALUE(CNetfilterShim_nft_meta_key_nfproto, NFT_META_NFPROTO);
SAME_VALUE(CNetfilterShim_nft_meta_key_l4proto, NFT_META_L4PROTO);
SAME_VALUE(CNetfilterShim_nft_ct_key_state, NFT_CT_STATE);
SAME_VALUE(CNetfilterShim_nft_payload_base_network, NFT_PAYLOAD_NETWORK_HEADER);
SAME_VALUE(CNetfilterShim_nft_payload_base_transport, NFT_PAYLOAD_TRANSPORT_HEADER);
SAME_VALUE(CNetfilterShim_nft_verdict_drop, NF_DROP);
SAME_VALUE(CNetfilterShim_nft_verdict_accept, NF_ACCEPT);
SAME_VALUE(CNetfilterShim_nft_verdict_jump, NFT_JUMP);
#undef SAME_VALUE

const char *CNetfilterShim_nftnl_library_path(void) {
    (void)&nftnl_batch_alloc;
    return CNetfilterShim_path_of_symbol("nftnl_batch_alloc");
}

const char *CNetfilterShim_mnl_library_path(void) {
    (void)&mnl_socket_open;
    return CNetfilterShim_path_of_symbol("mnl_socket_open");
}

int CNetfilterShim_nftables_subsystem_id(void) {
    return NFNL_SUBSYS_NFTABLES;
}

// MARK: - Handle

// nft's own batch sizes: 2 MiB pages, room for one 64 KiB message past a page's end.
enum { MAX_DESCRIBED = 4096, PAGE_BYTES = 2 * 1024 * 1024, PAGE_OVERRUN_BYTES = UINT16_MAX + 4096 };

struct CNetfilterShim_nft {
    struct mnl_socket *socket;  // NULL for a recorder
    uint32_t port_id;
    uint32_t seq;
    struct nftnl_batch *batch;
    const char *page;          // the start of the batch's current page
    uint32_t first_seq;        // seq of the first message with NLM_F_ACK in this batch
    int messages;              // messages with NLM_F_ACK in this batch
    char described[MAX_DESCRIBED][48];  // what each message was, for error texts
    char error[512];
    struct nftnl_rule *rule;   // the rule between rule_begin and rule_end
    char rule_chain[48];
    // A recorder: the bytes of every committed batch, back to back.
    uint8_t *recorded;
    size_t recorded_length;
    size_t recorded_capacity;
    // For tests: caps on the socket buffers a commit sizes (0: none).
    int cap_send;
    int cap_receive;
};

/// Records what failed (printf-style, without the errno text) and returns -code.
static int fail(CNetfilterShim_nft *nft, int code, const char *format, const char *detail) {
    snprintf(nft->error, sizeof nft->error, format, detail);
    return -code;
}

struct open_request {
    const char *netns_path;
    struct mnl_socket *socket;
    int error;
};

static void *open_socket(void *argument) {
    struct open_request *request = argument;
    if (request->netns_path != NULL) {
        request->error = CNetfilterShim_enter_netns(request->netns_path);
        if (request->error != 0) return NULL;
    }
    request->socket = mnl_socket_open(NETLINK_NETFILTER);
    if (request->socket == NULL) { request->error = errno; return NULL; }
    int one = 1;
    // Errors carry the offending attribute's offset; ACKs do not echo the (large) request.
    if (mnl_socket_bind(request->socket, 0, MNL_SOCKET_AUTOPID) < 0
        || mnl_socket_setsockopt(request->socket, NETLINK_EXT_ACK, &one, sizeof one) < 0
        || mnl_socket_setsockopt(request->socket, NETLINK_CAP_ACK, &one, sizeof one) < 0) {
        request->error = errno;
        mnl_socket_close(request->socket);
        request->socket = NULL;
    }
    return NULL;
}

CNetfilterShim_nft *CNetfilterShim_nft_open(const char *netns_path, int *error) {
    struct open_request request = { .netns_path = netns_path };
    if (netns_path != NULL) {
        pthread_t thread;
        int status = pthread_create(&thread, NULL, open_socket, &request);
        if (status != 0) { *error = status; return NULL; }
        status = pthread_join(thread, NULL);
        if (status != 0) { *error = status; return NULL; }
    } else {
        open_socket(&request);
    }
    if (request.socket == NULL) { *error = request.error ? request.error : EIO; return NULL; }
    CNetfilterShim_nft *nft = calloc(1, sizeof *nft);
    if (nft == NULL) { mnl_socket_close(request.socket); *error = ENOMEM; return NULL; }
    nft->socket = request.socket;
    nft->port_id = mnl_socket_get_portid(request.socket);
    nft->seq = (uint32_t)time(NULL);
    return nft;
}

CNetfilterShim_nft *CNetfilterShim_nft_open_recorder(void) {
    CNetfilterShim_nft *nft = calloc(1, sizeof *nft);
    if (nft == NULL) return NULL;
    nft->seq = 1;  // deterministic bytes
    return nft;
}

void CNetfilterShim_nft_close(CNetfilterShim_nft *nft) {
    if (nft->rule) nftnl_rule_free(nft->rule);
    if (nft->batch) nftnl_batch_free(nft->batch);
    if (nft->socket) mnl_socket_close(nft->socket);
    free(nft->recorded);
    free(nft);
}

const char *CNetfilterShim_nft_error(const CNetfilterShim_nft *nft) {
    return nft->error;
}

// MARK: - Batch

/// Zeroes the rest of the batch's page when it is a new one. libmnl 1.0.4 leaves attribute
/// padding unwritten and libnftnl does not clear its pages, so without this the batch would
/// carry stale heap bytes (ignored by the kernel) and differ from run to run.
static void zero_new_page(CNetfilterShim_nft *nft) {
    uint32_t used = nftnl_batch_buffer_len(nft->batch);
    char *tail = nftnl_batch_buffer(nft->batch);
    const char *page = tail - used;
    if (page == nft->page) return;
    nft->page = page;
    memset(tail, 0, (size_t)PAGE_BYTES + PAGE_OVERRUN_BYTES - used);
}

/// Ends a message: moves the batch on (a new page when this one is full).
static int end_message(CNetfilterShim_nft *nft, const char *what) {
    if (nftnl_batch_update(nft->batch) < 0) return fail(nft, ENOMEM, "cannot grow the batch after %s", what);
    zero_new_page(nft);
    return 0;
}

int CNetfilterShim_nft_begin(CNetfilterShim_nft *nft) {
    nft->error[0] = 0;  // no text of an earlier failure may describe this batch
    if (nft->rule) { nftnl_rule_free(nft->rule); nft->rule = NULL; }
    if (nft->batch) nftnl_batch_free(nft->batch);
    nft->messages = 0;
    nft->batch = nftnl_batch_alloc(PAGE_BYTES, PAGE_OVERRUN_BYTES);
    if (nft->batch == NULL) return fail(nft, ENOMEM, "cannot allocate a batch%s", "");
    nft->page = NULL;
    zero_new_page(nft);
    nftnl_batch_begin(nftnl_batch_buffer(nft->batch), nft->seq++);
    int status = end_message(nft, "the batch start");
    nft->first_seq = nft->seq;
    return status;
}

/// Starts a message with NLM_F_ACK and records what it is; NULL (with the error set) when no
/// batch was begun.
static struct nlmsghdr *start_message(CNetfilterShim_nft *nft, uint16_t type, uint16_t family, uint16_t flags,
                                      const char *what, const char *name) {
    if (nft->batch == NULL) {
        fail(nft, EINVAL, "%s outside a batch (no begin)", what);
        return NULL;
    }
    if (nft->messages < MAX_DESCRIBED)
        snprintf(nft->described[nft->messages], sizeof nft->described[0], "%s %s", what, name);
    nft->messages++;
    return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nft->batch), type, family, flags | NLM_F_ACK, nft->seq++);
}

/// A user data buffer holding `comment` (type 0 for tables and rules, the set comment type
/// for sets) after an optional u32 (the key byte order of sets).
static struct nftnl_udata_buf *comment_udata(uint8_t type, const char *comment, bool key_byte_order) {
    struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(512);
    if (ud == NULL) return NULL;
    // 2: big endian, as nft writes it for address keys.
    if ((key_byte_order && !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 2))
        || (comment != NULL && !nftnl_udata_put_strz(ud, type, comment))) {
        nftnl_udata_buf_free(ud);
        errno = ENAMETOOLONG;
        return NULL;
    }
    return ud;
}

int CNetfilterShim_nft_add_table(CNetfilterShim_nft *nft, const char *table, const char *comment) {
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL) return fail(nft, ENOMEM, "add table %s: out of memory", table);
    int status = 0;
    if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) < 0) { status = fail(nft, ENOMEM, "add table %s", table); goto out; }
    nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
    if (comment != NULL) {
        struct nftnl_udata_buf *ud = comment_udata(NFTNL_UDATA_TABLE_COMMENT, comment, false);
        if (ud == NULL) { status = fail(nft, errno, "add table %s: the comment does not fit", table); goto out; }
        int set = nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
        nftnl_udata_buf_free(ud);
        if (set < 0) { status = fail(nft, ENOMEM, "add table %s", table); goto out; }
    }
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE, "add table", table);
    if (nlh == NULL) { status = -EINVAL; goto out; }
    nftnl_table_nlmsg_build_payload(nlh, t);
    status = end_message(nft, "add table");
out:
    nftnl_table_free(t);
    return status;
}

int CNetfilterShim_nft_delete_table(CNetfilterShim_nft *nft, CNetfilterShim_nft_family family, const char *table) {
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL) return fail(nft, ENOMEM, "delete table %s: out of memory", table);
    int status = 0;
    if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) < 0) { status = fail(nft, ENOMEM, "delete table %s", table); goto out; }
    char what[32];
    snprintf(what, sizeof what, "delete table %s", family == CNetfilterShim_nft_family_inet ? "inet"
                                                   : family == CNetfilterShim_nft_family_ipv4 ? "ip" : "ip6");
    if (family == CNetfilterShim_nft_family_inet) nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_DELTABLE, (uint16_t)family, 0, what, table);
    if (nlh == NULL) { status = -EINVAL; goto out; }
    nftnl_table_nlmsg_build_payload(nlh, t);
    status = end_message(nft, what);
out:
    nftnl_table_free(t);
    return status;
}

/// The key length of an address family, or 0 when it is not ipv4 or ipv6.
static uint32_t key_length(CNetfilterShim_nft_family key) {
    return key == CNetfilterShim_nft_family_ipv4 ? 4 : key == CNetfilterShim_nft_family_ipv6 ? 16 : 0;
}

/// NEWSET for an interval set or (with `verdict_map`) an interval verdict map.
static int add_set(CNetfilterShim_nft *nft, const char *table, const char *set, CNetfilterShim_nft_family key,
                   uint32_t set_id, const char *comment, bool verdict_map) {
    const char *what = verdict_map ? "add map" : "add set";
    if (key_length(key) == 0) return fail(nft, EINVAL, "%s: the key is not ipv4 or ipv6 addresses", what);
    struct nftnl_set *s = nftnl_set_alloc();
    if (s == NULL) return fail(nft, ENOMEM, "%s: out of memory", what);
    int status = 0;
    if (nftnl_set_set_str(s, NFTNL_SET_TABLE, table) < 0 || nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0) {
        status = fail(nft, ENOMEM, "%s: out of memory", what);
        goto out;
    }
    nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
    nftnl_set_set_u32(s, NFTNL_SET_FLAGS, verdict_map ? NFT_SET_INTERVAL | NFT_SET_MAP : NFT_SET_INTERVAL);
    nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key == CNetfilterShim_nft_family_ipv6 ? 8 : 7);  // nft's ipv6_addr / ipv4_addr
    nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_length(key));
    if (verdict_map) {
        nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
        nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 0);
    }
    nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
    struct nftnl_udata_buf *ud = comment_udata(NFTNL_UDATA_SET_COMMENT, comment, true);
    if (ud == NULL) { status = fail(nft, errno, "%s: the comment does not fit", what); goto out; }
    int set_data = nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
    if (set_data < 0) { status = fail(nft, ENOMEM, "%s: out of memory", what); goto out; }
    // No NFTNL_SET_DESC_SIZE: it would be a hard cap (ENFILE) and rbtree sets do not need it.
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE, what, set);
    if (nlh == NULL) { status = -EINVAL; goto out; }
    nftnl_set_nlmsg_build_payload(nlh, s);
    status = end_message(nft, what);
out:
    nftnl_set_free(s);
    return status;
}

int CNetfilterShim_nft_add_set(CNetfilterShim_nft *nft, const char *table, const char *set, CNetfilterShim_nft_family key,
                               uint32_t set_id, const char *comment) {
    return add_set(nft, table, set, key, set_id, comment, false);
}

int CNetfilterShim_nft_add_verdict_map(CNetfilterShim_nft *nft, const char *table, const char *map,
                                       CNetfilterShim_nft_family key, uint32_t set_id, const char *comment) {
    return add_set(nft, table, map, key, set_id, comment, true);
}

/// Writes one element (a key, optionally flagged as an interval end, optionally mapped to
/// `jump chain`) into the open list nest, typed NFTA_LIST_ELEM as nft and libnftnl write it
/// (the kernel ignores the type; libnftnl's parser requires it).
static void put_element(struct nlmsghdr *nlh, const uint8_t *key, uint32_t length, bool interval_end,
                        const char *jump_chain) {
    struct nlattr *element = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    if (interval_end) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
    struct nlattr *key_nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
    mnl_attr_put(nlh, NFTA_DATA_VALUE, length, key);
    mnl_attr_nest_end(nlh, key_nest);
    if (jump_chain != NULL) {
        struct nlattr *data = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
        struct nlattr *verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
        mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl((uint32_t)NFT_JUMP));
        mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, jump_chain);
        mnl_attr_nest_end(nlh, verdict);
        mnl_attr_nest_end(nlh, data);
    }
    mnl_attr_nest_end(nlh, element);
}

/// Adds one to a big-endian number in place; returns true when it wrapped (it was all ones).
static bool increment(uint8_t *key, uint32_t length) {
    for (int i = (int)length - 1; i >= 0; i--) {
        if (++key[i] != 0) return false;
    }
    return true;
}

/// Adds or deletes interval elements, optionally each mapped to `jump CHAIN`.
static int interval_elements(CNetfilterShim_nft *nft, const char *table, const char *set, CNetfilterShim_nft_family key,
                             const uint8_t *bounds, const char *chains, size_t count, bool remove) {
    const char *what = remove ? "delete elements of" : "add elements to";
    const uint32_t length = key_length(key);
    if (length == 0) return fail(nft, EINVAL, "%s: the key is not ipv4 or ipv6 addresses", what);
    if (count > 0 && bounds == NULL) return fail(nft, EINVAL, "%s: no bounds", what);
    // The worst case of one range: two element nests with a key each, a flag and a verdict.
    const size_t per_range = 2 * (4 + 8 + 4 + 4 + length + 8) + 16 + 8 + 260;
    struct nlmsghdr *nlh = NULL;
    struct nlattr *list = NULL;
    const char *chain = chains;
    for (size_t i = 0; i < count; i++) {
        if (chain != NULL && strlen(chain) >= 256) return fail(nft, ENAMETOOLONG, "%s: a chain name is too long", what);
        if (nlh != NULL && (size_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)list) + per_range > UINT16_MAX) {
            mnl_attr_nest_end(nlh, list);
            int status = end_message(nft, what);
            if (status < 0) return status;
            nlh = NULL;
        }
        if (nlh == NULL) {
            nlh = remove ? start_message(nft, NFT_MSG_DELSETELEM, NFPROTO_INET, 0, what, set)
                         : start_message(nft, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE, what, set);
            if (nlh == NULL) return -EINVAL;
            mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
            mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
            list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
        }
        const uint8_t *first = bounds + i * 2 * length;
        uint8_t end[16];
        memcpy(end, first + length, length);
        put_element(nlh, first, length, false, chain);
        // The interval ends after the last address; a range up to the top needs no end element.
        if (!increment(end, length)) put_element(nlh, end, length, true, NULL);
        if (chain != NULL) chain += strlen(chain) + 1;
    }
    if (nlh != NULL) {
        mnl_attr_nest_end(nlh, list);
        return end_message(nft, what);
    }
    return 0;
}

int CNetfilterShim_nft_add_elements(CNetfilterShim_nft *nft, const char *table, const char *set,
                                    CNetfilterShim_nft_family key, const uint8_t *bounds, size_t count) {
    return interval_elements(nft, table, set, key, bounds, NULL, count, false);
}

int CNetfilterShim_nft_delete_elements(CNetfilterShim_nft *nft, const char *table, const char *set,
                                       CNetfilterShim_nft_family key, const uint8_t *bounds, size_t count) {
    return interval_elements(nft, table, set, key, bounds, NULL, count, true);
}

int CNetfilterShim_nft_add_map_elements(CNetfilterShim_nft *nft, const char *table, const char *map,
                                        CNetfilterShim_nft_family key, const uint8_t *bounds, const char *chains,
                                        size_t count) {
    if (count > 0 && chains == NULL) return fail(nft, EINVAL, "add elements to %s: no chains", map);
    return interval_elements(nft, table, map, key, bounds, chains, count, false);
}

/// NEWCHAIN: a base chain when `hook` is given, else a regular one.
static int add_chain(CNetfilterShim_nft *nft, const char *table, const char *chain, const CNetfilterShim_nft_hook *hook,
                     int32_t priority) {
    struct nftnl_chain *c = nftnl_chain_alloc();
    if (c == NULL) return fail(nft, ENOMEM, "add chain %s: out of memory", chain);
    int status = 0;
    if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) < 0 || nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain) < 0
        || (hook != NULL && nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") < 0)) {
        status = fail(nft, ENOMEM, "add chain %s: out of memory", chain);
        goto out;
    }
    nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
    if (hook != NULL) {
        nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)*hook);
        nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, priority);
        nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
    }
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE, "add chain", chain);
    if (nlh == NULL) { status = -EINVAL; goto out; }
    nftnl_chain_nlmsg_build_payload(nlh, c);
    status = end_message(nft, "add chain");
out:
    nftnl_chain_free(c);
    return status;
}

int CNetfilterShim_nft_add_base_chain(CNetfilterShim_nft *nft, const char *table, const char *chain,
                                      CNetfilterShim_nft_hook hook, int32_t priority) {
    return add_chain(nft, table, chain, &hook, priority);
}

int CNetfilterShim_nft_add_regular_chain(CNetfilterShim_nft *nft, const char *table, const char *chain) {
    return add_chain(nft, table, chain, NULL, 0);
}

/// A rule object naming table and chain (and family inet); NULL on ENOMEM.
static struct nftnl_rule *rule_in(const char *table, const char *chain) {
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (r == NULL) return NULL;
    if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0 || nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0) {
        nftnl_rule_free(r);
        return NULL;
    }
    nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
    return r;
}

int CNetfilterShim_nft_flush_chain(CNetfilterShim_nft *nft, const char *table, const char *chain) {
    struct nftnl_rule *r = rule_in(table, chain);
    if (r == NULL) return fail(nft, ENOMEM, "flush chain %s: out of memory", chain);
    int status = 0;
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_DELRULE, NFPROTO_INET, 0, "flush chain", chain);
    if (nlh == NULL) { status = -EINVAL; goto out; }
    nftnl_rule_nlmsg_build_payload(nlh, r);
    status = end_message(nft, "flush chain");
out:
    nftnl_rule_free(r);
    return status;
}

// MARK: - Rules

int CNetfilterShim_nft_rule_begin(CNetfilterShim_nft *nft, const char *table, const char *chain, const char *comment) {
    if (nft->rule) { nftnl_rule_free(nft->rule); nft->rule = NULL; }
    snprintf(nft->rule_chain, sizeof nft->rule_chain, "%s", chain);
    struct nftnl_rule *r = rule_in(table, chain);
    if (r == NULL) return fail(nft, ENOMEM, "add rule %s: out of memory", chain);
    if (comment != NULL) {
        struct nftnl_udata_buf *ud = comment_udata(NFTNL_UDATA_RULE_COMMENT, comment, false);
        if (ud == NULL) { nftnl_rule_free(r); return fail(nft, errno, "add rule %s: the comment does not fit", chain); }
        int status = nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
        nftnl_udata_buf_free(ud);
        if (status < 0) { nftnl_rule_free(r); return fail(nft, ENOMEM, "add rule %s: out of memory", chain); }
    }
    nft->rule = r;
    return 0;
}

/// A new expression of `kind` for the rule begun last; NULL (with the error set) when no rule
/// was begun or memory ran out.
static struct nftnl_expr *new_expression(CNetfilterShim_nft *nft, const char *kind) {
    if (nft->rule == NULL) {
        fail(nft, EINVAL, "a %s expression outside a rule (no rule_begin)", kind);
        return NULL;
    }
    struct nftnl_expr *e = nftnl_expr_alloc(kind);
    if (e == NULL) fail(nft, ENOMEM, "cannot allocate a %s expression", kind);
    return e;
}

/// Appends a complete expression to the rule.
static int add_expression(CNetfilterShim_nft *nft, struct nftnl_expr *e) {
    nftnl_rule_add_expr(nft->rule, e);
    return 0;
}

/// Frees an expression a setter failed on and reports it.
static int drop_expression(CNetfilterShim_nft *nft, struct nftnl_expr *e, int code, const char *kind) {
    nftnl_expr_free(e);
    return fail(nft, code, "cannot build a %s expression", kind);
}

int CNetfilterShim_nft_expr_payload(CNetfilterShim_nft *nft, CNetfilterShim_nft_payload_base base, uint32_t offset,
                                    uint32_t length, CNetfilterShim_nft_register dreg) {
    if (length == 0 || length > 16) return fail(nft, EINVAL, "a payload load of %s bytes", length == 0 ? "0" : "over 16");
    struct nftnl_expr *e = new_expression(nft, "payload");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, (uint32_t)base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, length);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, (uint32_t)dreg);
    return add_expression(nft, e);
}

int CNetfilterShim_nft_expr_meta(CNetfilterShim_nft *nft, CNetfilterShim_nft_meta_key key, CNetfilterShim_nft_register dreg) {
    struct nftnl_expr *e = new_expression(nft, "meta");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, (uint32_t)key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, (uint32_t)dreg);
    return add_expression(nft, e);
}

int CNetfilterShim_nft_expr_ct(CNetfilterShim_nft *nft, CNetfilterShim_nft_ct_key key, CNetfilterShim_nft_register dreg) {
    struct nftnl_expr *e = new_expression(nft, "ct");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, (uint32_t)key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, (uint32_t)dreg);
    return add_expression(nft, e);
}

int CNetfilterShim_nft_expr_cmp(CNetfilterShim_nft *nft, CNetfilterShim_nft_register sreg, CNetfilterShim_nft_cmp_op op,
                                const uint8_t *data, uint32_t length) {
    // libnftnl copies the data without a bound; a register holds 16 bytes.
    if (length == 0 || length > 16) return fail(nft, EINVAL, "a cmp of %s bytes", length == 0 ? "0" : "over 16");
    struct nftnl_expr *e = new_expression(nft, "cmp");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, (uint32_t)sreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, (uint32_t)op);
    if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, length) < 0) return drop_expression(nft, e, ENOMEM, "cmp");
    return add_expression(nft, e);
}

int CNetfilterShim_nft_expr_bitwise(CNetfilterShim_nft *nft, CNetfilterShim_nft_register sreg,
                                    CNetfilterShim_nft_register dreg, const uint8_t *mask, const uint8_t *xor_value,
                                    uint32_t length) {
    if (length == 0 || length > 16) return fail(nft, EINVAL, "a bitwise of %s bytes", length == 0 ? "0" : "over 16");
    struct nftnl_expr *e = new_expression(nft, "bitwise");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, (uint32_t)sreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, (uint32_t)dreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, length);
    if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, length) < 0
        || nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor_value, length) < 0)
        return drop_expression(nft, e, ENOMEM, "bitwise");
    return add_expression(nft, e);
}

int CNetfilterShim_nft_expr_lookup(CNetfilterShim_nft *nft, CNetfilterShim_nft_register sreg, const char *set,
                                   uint32_t set_id, bool inverted) {
    struct nftnl_expr *e = new_expression(nft, "lookup");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, (uint32_t)sreg);
    if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0) return drop_expression(nft, e, ENOMEM, "lookup");
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
    if (inverted) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
    return add_expression(nft, e);
}

int CNetfilterShim_nft_expr_verdict_map(CNetfilterShim_nft *nft, CNetfilterShim_nft_register sreg,
                                        CNetfilterShim_nft_register dreg, const char *map, uint32_t map_id) {
    struct nftnl_expr *e = new_expression(nft, "lookup");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, (uint32_t)sreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
    if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, map) < 0) return drop_expression(nft, e, ENOMEM, "lookup");
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, map_id);
    return add_expression(nft, e);
}

int CNetfilterShim_nft_expr_counter(CNetfilterShim_nft *nft) {
    struct nftnl_expr *e = new_expression(nft, "counter");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    return add_expression(nft, e);
}

int CNetfilterShim_nft_expr_verdict(CNetfilterShim_nft *nft, CNetfilterShim_nft_verdict verdict, const char *chain) {
    bool needs_chain = verdict == CNetfilterShim_nft_verdict_jump;
    if (needs_chain && chain == NULL) return fail(nft, EINVAL, "a %s verdict without a chain", "jump");
    struct nftnl_expr *e = new_expression(nft, "immediate");
    if (e == NULL) return nft->rule == NULL ? -EINVAL : -ENOMEM;
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
    if (needs_chain && nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
        return drop_expression(nft, e, ENOMEM, "immediate");
    return add_expression(nft, e);
}

int CNetfilterShim_nft_rule_end(CNetfilterShim_nft *nft) {
    if (nft->rule == NULL) return fail(nft, EINVAL, "rule_end without rule_begin%s", "");
    int status = 0;
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND, "add rule",
                                         nft->rule_chain);
    if (nlh == NULL) { status = -EINVAL; goto out; }
    nftnl_rule_nlmsg_build_payload(nlh, nft->rule);
    status = end_message(nft, "add rule");
out:
    nftnl_rule_free(nft->rule);
    nft->rule = NULL;
    return status;
}

// MARK: - Commit

struct ack_state {
    int replies;
    int first_error;
    uint32_t error_seq;
};

static int ack_callback(const struct nlmsghdr *nlh, void *data) {
    struct ack_state *state = data;
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr))) {
        errno = EBADMSG;
        return MNL_CB_ERROR;
    }
    const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
    state->replies++;
    if (err->error != 0 && state->first_error == 0) {
        state->first_error = err->error;
        state->error_seq = nlh->nlmsg_seq;
    }
    return MNL_CB_OK;
}

/// Keeps a recorder's batch bytes.
static int record_batch(CNetfilterShim_nft *nft, const struct iovec *iov, int pages, size_t total) {
    if (nft->recorded_length + total > nft->recorded_capacity) {
        size_t capacity = (nft->recorded_length + total) * 2;
        uint8_t *grown = realloc(nft->recorded, capacity);
        if (grown == NULL) return fail(nft, ENOMEM, "cannot keep the recorded batch%s", "");
        nft->recorded = grown;
        nft->recorded_capacity = capacity;
    }
    for (int i = 0; i < pages; i++) {
        memcpy(nft->recorded + nft->recorded_length, iov[i].iov_base, iov[i].iov_len);
        nft->recorded_length += iov[i].iov_len;
    }
    return 0;
}

/// Sets a socket buffer size, forced past the system limit where permitted.
static int size_buffer(int fd, int force_option, int option, int size) {
    if (setsockopt(fd, SOL_SOCKET, force_option, &size, sizeof size) == 0) return 0;
    return setsockopt(fd, SOL_SOCKET, option, &size, sizeof size) == 0 ? 0 : errno;
}

/// Ends the batch and sends it (a recorder keeps it), then reads every reply.
static int send_batch(CNetfilterShim_nft *nft) {
    nftnl_batch_end(nftnl_batch_buffer(nft->batch), nft->seq++);
    int ended = end_message(nft, "the batch end");
    if (ended < 0) return ended;
    int pages = nftnl_batch_iovec_len(nft->batch);
    struct iovec *iov = calloc((size_t)pages, sizeof *iov);
    if (iov == NULL) return fail(nft, ENOMEM, "cannot allocate the batch's page list%s", "");
    nftnl_batch_iovec(nft->batch, iov, (uint32_t)pages);
    size_t total = 0;
    for (int i = 0; i < pages; i++) total += iov[i].iov_len;
    if (nft->socket == NULL) {
        int status = record_batch(nft, iov, pages, total);
        free(iov);
        return status;
    }
    int fd = mnl_socket_get_fd(nft->socket);
    // The whole batch goes in one sendmsg (one transaction): the send buffer must hold it, and
    // the receive buffer every ACK (else EMSGSIZE / ENOBUFS, see the netfilter notes).
    int send_size = (int)(total + 65536), receive_size = nft->messages * 1024 + 65536;
    if (nft->cap_send > 0 && send_size > nft->cap_send) send_size = nft->cap_send;
    if (nft->cap_receive > 0 && receive_size > nft->cap_receive) receive_size = nft->cap_receive;
    int buffer_error = size_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, send_size);
    if (buffer_error == 0) buffer_error = size_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, receive_size);
    if (buffer_error != 0) {
        free(iov);
        return fail(nft, buffer_error, "cannot size the socket buffers for the batch%s", "");
    }
    struct sockaddr_nl address = { .nl_family = AF_NETLINK };
    struct msghdr message = { .msg_name = &address, .msg_namelen = sizeof address, .msg_iov = iov,
                              .msg_iovlen = (size_t)pages };
    ssize_t sent;
    do { sent = sendmsg(fd, &message, 0); } while (sent < 0 && errno == EINTR);
    int send_error = errno;
    free(iov);
    if (sent < 0) return fail(nft, send_error, "sending the batch (%s) failed", "one transaction");
    // nfnetlink processes the batch inside sendmsg, so every reply is queued now.
    static mnl_cb_t control[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = ack_callback };
    struct ack_state state = { 0 };
    char buffer[MNL_SOCKET_BUFFER_SIZE];
    while (state.replies < nft->messages) {
        ssize_t received = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (received < 0) {
            int receive_error = errno;
            if (receive_error == EINTR) continue;
            if (receive_error == EAGAIN || receive_error == EWOULDBLOCK) break;
            return fail(nft, receive_error, "reading the replies (%s) failed; the outcome is unknown", "recv");
        }
        if (mnl_cb_run2(buffer, (size_t)received, 0, nft->port_id, NULL, &state, control, NLMSG_MIN_TYPE) == MNL_CB_ERROR) {
            int parse_error = errno ? errno : EBADMSG;
            return fail(nft, parse_error, "a reply (%s) could not be parsed; the outcome is unknown", "ACK");
        }
    }
    if (state.first_error != 0) {
        int code = -state.first_error;
        int index = (int)(state.error_seq - nft->first_seq);
        char detail[96];
        if (index >= 0 && index < nft->messages && index < MAX_DESCRIBED)
            snprintf(detail, sizeof detail, "%s (message %d of %d)", nft->described[index], index + 1, nft->messages);
        else
            snprintf(detail, sizeof detail, "the start of the batch");
        return fail(nft, code, "the kernel rejected the transaction at %s, so nothing was changed", detail);
    }
    if (state.replies < nft->messages)
        return fail(nft, EAGAIN, "only part of the replies (%s) arrived; read the state back", "ACKs");
    return 0;
}

void CNetfilterShim_nft_cap_buffers(CNetfilterShim_nft *nft, int send_size, int receive_size) {
    nft->cap_send = send_size;
    nft->cap_receive = receive_size;
}

int CNetfilterShim_nft_commit(CNetfilterShim_nft *nft) {
    if (nft->batch == NULL) return fail(nft, EINVAL, "commit without a batch (no begin)%s", "");
    if (nft->rule != NULL) return fail(nft, EINVAL, "commit with a rule begun and not ended (%s)", nft->rule_chain);
    int status = send_batch(nft);
    // A batch is sent (or recorded) once; the next one starts with begin.
    nftnl_batch_free(nft->batch);
    nft->batch = NULL;
    return status;
}

// MARK: - Reading back

struct comment_request {
    char *buffer;
    size_t capacity;
};

static int comment_attribute(const struct nftnl_udata *attribute, void *data) {
    struct comment_request *request = data;
    // Table and rule comments both use type 0 in their own udata spaces.
    if (nftnl_udata_type(attribute) == 0 && nftnl_udata_len(attribute) > 0) {
        size_t length = nftnl_udata_len(attribute);
        if (length >= request->capacity) length = request->capacity - 1;
        memcpy(request->buffer, nftnl_udata_get(attribute), length);
        request->buffer[length] = 0;
    }
    return MNL_CB_OK;
}

/// Copies the comment out of user data; MNL_CB_ERROR (errno EBADMSG) when it is malformed.
static int read_comment(const void *udata, uint32_t length, struct comment_request *request) {
    if (nftnl_udata_parse(udata, length, comment_attribute, request) < 0) {
        errno = EBADMSG;
        return MNL_CB_ERROR;
    }
    return MNL_CB_OK;
}

static int table_callback(const struct nlmsghdr *nlh, void *data) {
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL) { errno = ENOMEM; return MNL_CB_ERROR; }
    int status = MNL_CB_OK;
    if (nftnl_table_nlmsg_parse(nlh, t) < 0) {
        errno = EBADMSG;
        status = MNL_CB_ERROR;
    } else if (nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) {
        uint32_t length = 0;
        const void *udata = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &length);
        if (udata != NULL) status = read_comment(udata, length, data);
    }
    nftnl_table_free(t);
    return status;
}

/// Sends one request and runs `callback` over the replies until the ACK or the end of a dump.
static int request(CNetfilterShim_nft *nft, struct nlmsghdr *nlh, mnl_cb_t callback, void *data, const char *what) {
    if (nft->socket == NULL) return fail(nft, ENOTCONN, "%s: a recorder cannot read the kernel", what);
    uint32_t seq = nlh->nlmsg_seq;
    if (mnl_socket_sendto(nft->socket, nlh, nlh->nlmsg_len) < 0) return fail(nft, errno, "%s: sending failed", what);
    char buffer[MNL_SOCKET_BUFFER_SIZE * 4];
    for (;;) {
        ssize_t received = mnl_socket_recvfrom(nft->socket, buffer, sizeof buffer);
        if (received < 0) {
            int receive_error = errno;
            if (receive_error == EINTR) continue;
            return fail(nft, receive_error, "%s: receiving failed", what);
        }
        errno = 0;
        int status = mnl_cb_run(buffer, (size_t)received, seq, nft->port_id, callback, data);
        if (status < 0) {
            int code = errno ? errno : EBADMSG;
            // ENOENT (no such table) is an answer, not a failure the caller needs text for.
            return code == ENOENT ? -ENOENT : fail(nft, code, "%s failed", what);
        }
        if (status == MNL_CB_STOP) return 0;
    }
}

int CNetfilterShim_nft_table_comment(CNetfilterShim_nft *nft, const char *table, char *buffer, size_t capacity) {
    nft->error[0] = 0;
    if (capacity == 0) return fail(nft, EINVAL, "reading table %s: no room for the comment", table);
    buffer[0] = 0;
    char message[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(message, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, nft->seq++);
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL) return fail(nft, ENOMEM, "reading table %s: out of memory", table);
    int set = nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
    if (set == 0) nftnl_table_nlmsg_build_payload(nlh, t);
    nftnl_table_free(t);
    if (set < 0) return fail(nft, ENOMEM, "reading table %s: out of memory", table);
    struct comment_request data = { .buffer = buffer, .capacity = capacity };
    return request(nft, nlh, table_callback, &data, "reading the table");
}

struct counter_request {
    CNetfilterShim_nft_counter_callback callback;
    void *context;
    const char *table;
};

static int rule_callback(const struct nlmsghdr *nlh, void *data) {
    struct counter_request *request = data;
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (r == NULL) { errno = ENOMEM; return MNL_CB_ERROR; }
    int status = MNL_CB_OK;
    if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
        errno = EBADMSG;
        status = MNL_CB_ERROR;
        goto out;
    }
    const char *table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
    const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
    if (table == NULL || chain == NULL || strcmp(table, request->table) != 0) goto out;
    char comment[256] = "";
    if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
        uint32_t length = 0;
        const void *udata = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &length);
        struct comment_request text = { .buffer = comment, .capacity = sizeof comment };
        if (udata != NULL && read_comment(udata, length, &text) != MNL_CB_OK) { status = MNL_CB_ERROR; goto out; }
    }
    struct nftnl_expr_iter *iterator = nftnl_expr_iter_create(r);
    if (iterator == NULL) { errno = ENOMEM; status = MNL_CB_ERROR; goto out; }
    struct nftnl_expr *e;
    while ((e = nftnl_expr_iter_next(iterator)) != NULL) {
        const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
        if (name != NULL && strcmp(name, "counter") == 0) {
            request->callback(request->context, chain, comment, nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS),
                              nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES));
        }
    }
    nftnl_expr_iter_destroy(iterator);
out:
    nftnl_rule_free(r);
    return status;
}

int CNetfilterShim_nft_rule_counters(CNetfilterShim_nft *nft, const char *table,
                                     CNetfilterShim_nft_counter_callback callback, void *context) {
    nft->error[0] = 0;
    char message[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(message, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, nft->seq++);
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (r == NULL) return fail(nft, ENOMEM, "reading the rules of %s: out of memory", table);
    int set = nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
    if (set == 0) nftnl_rule_nlmsg_build_payload(nlh, r);
    nftnl_rule_free(r);
    if (set < 0) return fail(nft, ENOMEM, "reading the rules of %s: out of memory", table);
    struct counter_request data = { .callback = callback, .context = context, .table = table };
    return request(nft, nlh, rule_callback, &data, "reading the rules");
}

// MARK: - Recording

const uint8_t *CNetfilterShim_nft_recorded(const CNetfilterShim_nft *nft, size_t *length) {
    *length = nft->recorded_length;
    return nft->recorded;
}

static const char *message_name(uint16_t type) {
    switch (type) {
    case NFT_MSG_NEWTABLE: return "NEWTABLE";
    case NFT_MSG_DELTABLE: return "DELTABLE";
    case NFT_MSG_NEWCHAIN: return "NEWCHAIN";
    case NFT_MSG_DELCHAIN: return "DELCHAIN";
    case NFT_MSG_NEWRULE: return "NEWRULE";
    case NFT_MSG_DELRULE: return "DELRULE";
    case NFT_MSG_NEWSET: return "NEWSET";
    case NFT_MSG_DELSET: return "DELSET";
    case NFT_MSG_NEWSETELEM: return "NEWSETELEM";
    case NFT_MSG_DELSETELEM: return "DELSETELEM";
    default: return NULL;
    }
}

/// Prints an object with its libnftnl printer into a buffer that grows as needed; NULL on ENOMEM.
typedef int (*object_printer)(char *buffer, size_t size, const void *object, uint32_t type, uint32_t flags);

// libnftnl's printers with the object as `const void *`, so one helper can call each.
static int print_table(char *b, size_t n, const void *o, uint32_t t, uint32_t f) { return nftnl_table_snprintf(b, n, o, t, f); }
static int print_chain(char *b, size_t n, const void *o, uint32_t t, uint32_t f) { return nftnl_chain_snprintf(b, n, o, t, f); }
static int print_rule(char *b, size_t n, const void *o, uint32_t t, uint32_t f) { return nftnl_rule_snprintf(b, n, o, t, f); }
static int print_set(char *b, size_t n, const void *o, uint32_t t, uint32_t f) { return nftnl_set_snprintf(b, n, o, t, f); }

static char *print_object(object_printer printer, const void *object) {
    size_t size = 4096;
    for (;;) {
        char *text = malloc(size);
        if (text == NULL) return NULL;
        int needed = printer(text, size, object, NFTNL_OUTPUT_DEFAULT, 0);
        if (needed < 0) { free(text); errno = EINVAL; return NULL; }
        if ((size_t)needed < size) return text;
        free(text);
        size = (size_t)needed + 1;
    }
}

/// Appends formatted text to `out` (of `size` bytes, `*used` taken), truncating at the end.
static void append(char *out, size_t size, size_t *used, const char *format, unsigned value) {
    if (*used + 1 >= size) return;
    int written = snprintf(out + *used, size - *used, format, value);
    if (written < 0) return;
    *used += (size_t)written < size - *used ? (size_t)written : size - *used - 1;
}

/// The type-length-value user data (comments) as `type:"text"` items, non-printable bytes as \xNN.
static void print_udata(char *out, size_t size, const void *udata, uint32_t length) {
    size_t used = 0;
    const uint8_t *bytes = udata;
    uint32_t offset = 0;
    out[0] = 0;
    while (offset + 2 <= length) {
        uint8_t type = bytes[offset], item = bytes[offset + 1];
        if (offset + 2 + item > length) break;
        append(out, size, &used, used ? " %u:\"" : "%u:\"", type);
        for (uint8_t i = 0; i < item; i++) {
            uint8_t c = bytes[offset + 2 + i];
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') append(out, size, &used, "%c", c);
            else append(out, size, &used, "\\x%02x", c);
        }
        append(out, size, &used, "\"", 0);
        offset += 2 + item;
    }
}

int CNetfilterShim_nft_print_batch(const uint8_t *bytes, size_t length, CNetfilterShim_nft_line_callback callback,
                                   void *context) {
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)bytes;
    int remaining = (int)length;
    char line[1024];
    while (mnl_nlmsg_ok(nlh, remaining)) {
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg))) return -EBADMSG;
        uint16_t subsystem = NFNL_SUBSYS_ID(nlh->nlmsg_type), type = NFNL_MSG_TYPE(nlh->nlmsg_type);
        const struct nfgenmsg *generic = mnl_nlmsg_get_payload(nlh);
        char flags[96];
        snprintf(flags, sizeof flags, "%s%s%s%s%s", (nlh->nlmsg_flags & NLM_F_CREATE) ? " create" : "",
                 (nlh->nlmsg_flags & NLM_F_EXCL) ? " excl" : "", (nlh->nlmsg_flags & NLM_F_APPEND) ? " append" : "",
                 (nlh->nlmsg_flags & NLM_F_REPLACE) ? " replace" : "", (nlh->nlmsg_flags & NLM_F_ACK) ? " ack" : "");
        if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
            snprintf(line, sizeof line, "%s subsystem %u%s", nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ? "BATCH_BEGIN" : "BATCH_END",
                     ntohs(generic->res_id), flags);
            callback(context, line);
            nlh = mnl_nlmsg_next(nlh, &remaining);
            continue;
        }
        const char *name = subsystem == NFNL_SUBSYS_NFTABLES ? message_name(type) : NULL;
        if (name == NULL) return -EBADMSG;  // not a message this shim writes
        char *text = NULL;
        char udata[1024] = "";
        int status = 0;
        switch (type) {
        case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE: {
            struct nftnl_table *t = nftnl_table_alloc();
            if (t == NULL) return -ENOMEM;
            status = nftnl_table_nlmsg_parse(nlh, t);
            if (status == 0) {
                text = print_object(print_table, t);
                if (nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) {
                    uint32_t size = 0;
                    const void *data = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &size);
                    print_udata(udata, sizeof udata, data, size);
                }
            }
            nftnl_table_free(t);
            break;
        }
        case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN: {
            struct nftnl_chain *c = nftnl_chain_alloc();
            if (c == NULL) return -ENOMEM;
            status = nftnl_chain_nlmsg_parse(nlh, c);
            if (status == 0) text = print_object(print_chain, c);
            nftnl_chain_free(c);
            break;
        }
        case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE: {
            struct nftnl_rule *r = nftnl_rule_alloc();
            if (r == NULL) return -ENOMEM;
            status = nftnl_rule_nlmsg_parse(nlh, r);
            if (status == 0) {
                text = print_object(print_rule, r);
                if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
                    uint32_t size = 0;
                    const void *data = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &size);
                    print_udata(udata, sizeof udata, data, size);
                }
            }
            nftnl_rule_free(r);
            break;
        }
        case NFT_MSG_NEWSET: case NFT_MSG_DELSET: {
            struct nftnl_set *s = nftnl_set_alloc();
            if (s == NULL) return -ENOMEM;
            status = nftnl_set_nlmsg_parse(nlh, s);
            if (status == 0) {
                text = print_object(print_set, s);
                if (nftnl_set_is_set(s, NFTNL_SET_USERDATA)) {
                    uint32_t size = 0;
                    const void *data = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &size);
                    print_udata(udata, sizeof udata, data, size);
                }
            }
            nftnl_set_free(s);
            break;
        }
        default: {  // NEWSETELEM, DELSETELEM
            struct nftnl_set *s = nftnl_set_alloc();
            if (s == NULL) return -ENOMEM;
            status = nftnl_set_elems_nlmsg_parse(nlh, s);
            if (status == 0) text = print_object(print_set, s);
            nftnl_set_free(s);
            break;
        }
        }
        if (status < 0) {
            free(text);
            return -EBADMSG;
        } else if (text == NULL) {
            return -ENOMEM;
        } else {
            snprintf(line, sizeof line, "%s family %u%s%s%s", name, generic->nfgen_family, flags, udata[0] ? " udata " : "", udata);
            callback(context, line);
            callback(context, text);
            free(text);
        }
        nlh = mnl_nlmsg_next(nlh, &remaining);
    }
    return remaining == 0 ? 0 : -EBADMSG;
}

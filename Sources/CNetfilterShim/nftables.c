// The libnftnl/libmnl half of the shim. Never include libipset headers here (see CNetfilterShim.h).
// glibc's <netinet/in.h> must come before any <linux/...> header.
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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

enum { MAX_DESCRIBED = 4096 };

struct CNetfilterShim_nft {
    struct mnl_socket *socket;
    uint32_t port_id;
    uint32_t seq;
    struct nftnl_batch *batch;
    uint32_t first_seq;        // seq of the first message with NLM_F_ACK in this batch
    int messages;              // messages with NLM_F_ACK in this batch
    char described[MAX_DESCRIBED][48];  // what each message was, for error texts
    char error[512];
    // A recorder (socket NULL): the bytes of every committed batch, back to back.
    uint8_t *recorded;
    size_t recorded_length;
    size_t recorded_capacity;
};

static void set_error(CNetfilterShim_nft *nft, const char *format, const char *detail, int code) {
    snprintf(nft->error, sizeof nft->error, format, detail, strerror(code));
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
    if (mnl_socket_bind(request->socket, 0, MNL_SOCKET_AUTOPID) < 0) {
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
        pthread_join(thread, NULL);
    } else {
        open_socket(&request);
    }
    if (request.socket == NULL) { *error = request.error ? request.error : EIO; return NULL; }
    CNetfilterShim_nft *nft = calloc(1, sizeof *nft);
    if (nft == NULL) { mnl_socket_close(request.socket); *error = ENOMEM; return NULL; }
    nft->socket = request.socket;
    nft->port_id = mnl_socket_get_portid(request.socket);
    nft->seq = (uint32_t)time(NULL);
    int one = 1;
    mnl_socket_setsockopt(nft->socket, NETLINK_EXT_ACK, &one, sizeof one);
    mnl_socket_setsockopt(nft->socket, NETLINK_CAP_ACK, &one, sizeof one);
    return nft;
}

CNetfilterShim_nft *CNetfilterShim_nft_open_recorder(void) {
    CNetfilterShim_nft *nft = calloc(1, sizeof *nft);
    if (nft == NULL) return NULL;
    nft->seq = 1;
    return nft;
}

void CNetfilterShim_nft_close(CNetfilterShim_nft *nft) {
    if (nft->batch) nftnl_batch_free(nft->batch);
    if (nft->socket) mnl_socket_close(nft->socket);
    free(nft->recorded);
    free(nft);
}

const char *CNetfilterShim_nft_error(const CNetfilterShim_nft *nft) {
    return nft->error;
}

int CNetfilterShim_nft_message_count(const CNetfilterShim_nft *nft) {
    return nft->messages;
}

// MARK: - Batch

int CNetfilterShim_nft_begin(CNetfilterShim_nft *nft) {
    if (nft->batch) nftnl_batch_free(nft->batch);
    // nft's own sizes: 2 MiB pages, room for one 64 KiB message past a page's end.
    nft->batch = nftnl_batch_alloc(2 * 1024 * 1024, UINT16_MAX + 4096);
    if (nft->batch == NULL) return -ENOMEM;
    nft->error[0] = 0;
    nft->messages = 0;
    nftnl_batch_begin(nftnl_batch_buffer(nft->batch), nft->seq++);
    nftnl_batch_update(nft->batch);
    nft->first_seq = nft->seq;
    return 0;
}

/// Starts a message with NLM_F_ACK and records what it is.
static struct nlmsghdr *start_message(CNetfilterShim_nft *nft, uint16_t type, uint16_t flags, const char *what,
                                      const char *name) {
    if (nft->messages < MAX_DESCRIBED)
        snprintf(nft->described[nft->messages], sizeof nft->described[0], "%s %s", what, name);
    nft->messages++;
    return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nft->batch), type, NFPROTO_INET, flags | NLM_F_ACK, nft->seq++);
}

int CNetfilterShim_nft_table(CNetfilterShim_nft *nft, int op, const char *table, const char *comment) {
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL) return -ENOMEM;
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
    nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
    if (op == 0 && comment != NULL) {
        struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(512);
        if (ud == NULL) { nftnl_table_free(t); return -ENOMEM; }
        nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, comment);
        nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
        nftnl_udata_buf_free(ud);
    }
    struct nlmsghdr *nlh = op == 0
        ? start_message(nft, NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table", table)
        : start_message(nft, NFT_MSG_DELTABLE, 0, "delete table", table);
    nftnl_table_nlmsg_build_payload(nlh, t);
    nftnl_table_free(t);
    nftnl_batch_update(nft->batch);
    return 0;
}

int CNetfilterShim_nft_delete_family_table(CNetfilterShim_nft *nft, int ipv6, const char *table) {
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL) return -ENOMEM;
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
    if (nft->messages < MAX_DESCRIBED)
        snprintf(nft->described[nft->messages], sizeof nft->described[0], "delete table %s %s", ipv6 ? "ip6" : "ip", table);
    nft->messages++;
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nft->batch), NFT_MSG_DELTABLE,
                                                 ipv6 ? NFPROTO_IPV6 : NFPROTO_IPV4, NLM_F_ACK, nft->seq++);
    nftnl_table_nlmsg_build_payload(nlh, t);
    nftnl_table_free(t);
    nftnl_batch_update(nft->batch);
    return 0;
}

int CNetfilterShim_nft_set(CNetfilterShim_nft *nft, const char *table, const char *set, int ipv6, uint32_t set_id,
                           const char *comment) {
    struct nftnl_set *s = nftnl_set_alloc();
    if (s == NULL) return -ENOMEM;
    nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
    nftnl_set_set_str(s, NFTNL_SET_NAME, set);
    nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
    nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
    nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ipv6 ? 8 : 7);  // nft's ipv6_addr / ipv4_addr
    nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, ipv6 ? 16 : 4);
    nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
    struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(512);
    if (ud == NULL) { nftnl_set_free(s); return -ENOMEM; }
    nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 2);  // big endian, as nft writes it
    if (comment != NULL) nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_COMMENT, comment);
    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
    // No NFTNL_SET_DESC_SIZE: it would be a hard cap (ENFILE) and rbtree sets do not need it.
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWSET, NLM_F_CREATE, "add set", set);
    nftnl_set_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
    nftnl_batch_update(nft->batch);
    return 0;
}

/// Writes one element (a key, optionally flagged as an interval end, optionally mapped to
/// `jump chain`) into the open list nest.
static void put_element(struct nlmsghdr *nlh, int index, const uint8_t *key, int key_length, int interval_end,
                        const char *jump_chain) {
    struct nlattr *element = mnl_attr_nest_start(nlh, index);
    if (interval_end) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
    struct nlattr *key_nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
    mnl_attr_put(nlh, NFTA_DATA_VALUE, key_length, key);
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

/// Adds one to a big-endian number in place; returns 1 when it wrapped (it was all ones).
static int increment(uint8_t *key, int length) {
    for (int i = length - 1; i >= 0; i--) {
        if (++key[i] != 0) return 0;
    }
    return 1;
}

/// Adds or deletes interval elements, optionally each mapped to `jump CHAIN`.
static int interval_elements(CNetfilterShim_nft *nft, const char *table, const char *set, int ipv6, const uint8_t *bounds,
                             const char *chains, size_t count, int remove) {
    const int key_length = ipv6 ? 16 : 4;
    // The worst case of one range: two element nests with a key each, a flag and a verdict.
    const size_t per_range = 2 * (4 + 8 + 4 + 4 + key_length + 8) + 16 + 8 + 260;
    struct nlmsghdr *nlh = NULL;
    struct nlattr *list = NULL;
    int index = 0;
    const char *chain = chains;
    for (size_t i = 0; i < count; i++) {
        if (nlh != NULL && (size_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)list) + per_range > UINT16_MAX) {
            mnl_attr_nest_end(nlh, list);
            nftnl_batch_update(nft->batch);
            nlh = NULL;
        }
        if (nlh == NULL) {
            nlh = remove ? start_message(nft, NFT_MSG_DELSETELEM, 0, "delete elements of", set)
                         : start_message(nft, NFT_MSG_NEWSETELEM, NLM_F_CREATE, "add elements to", set);
            mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
            mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
            list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
            index = 0;
        }
        const uint8_t *first = bounds + i * 2 * key_length;
        uint8_t end[16];
        memcpy(end, first + key_length, key_length);
        put_element(nlh, ++index, first, key_length, 0, chain);
        // The interval ends after the last address; a range up to the top needs no end element.
        if (!increment(end, key_length)) put_element(nlh, ++index, end, key_length, 1, NULL);
        if (chain != NULL) chain += strlen(chain) + 1;
    }
    if (nlh != NULL) {
        mnl_attr_nest_end(nlh, list);
        nftnl_batch_update(nft->batch);
    }
    return 0;
}

int CNetfilterShim_nft_elements(CNetfilterShim_nft *nft, const char *table, const char *set, int ipv6,
                                const uint8_t *bounds, size_t count, int remove) {
    return interval_elements(nft, table, set, ipv6, bounds, NULL, count, remove);
}

int CNetfilterShim_nft_map_elements(CNetfilterShim_nft *nft, const char *table, const char *map, int ipv6,
                                    const uint8_t *bounds, const char *chains, size_t count) {
    return interval_elements(nft, table, map, ipv6, bounds, chains, count, 0);
}

int CNetfilterShim_nft_verdict_map(CNetfilterShim_nft *nft, const char *table, const char *map, int ipv6, uint32_t set_id,
                                   const char *comment) {
    struct nftnl_set *s = nftnl_set_alloc();
    if (s == NULL) return -ENOMEM;
    nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
    nftnl_set_set_str(s, NFTNL_SET_NAME, map);
    nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
    nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_MAP);
    nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ipv6 ? 8 : 7);
    nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, ipv6 ? 16 : 4);
    nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
    nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 0);
    nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
    struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(512);
    if (ud == NULL) { nftnl_set_free(s); return -ENOMEM; }
    nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 2);
    if (comment != NULL) nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_COMMENT, comment);
    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWSET, NLM_F_CREATE, "add map", map);
    nftnl_set_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
    nftnl_batch_update(nft->batch);
    return 0;
}

int CNetfilterShim_nft_chain(CNetfilterShim_nft *nft, const char *table, const char *chain, int hook, int priority) {
    struct nftnl_chain *c = nftnl_chain_alloc();
    if (c == NULL) return -ENOMEM;
    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook == 0 ? NF_INET_LOCAL_IN : NF_INET_FORWARD);
    nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, priority);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain", chain);
    nftnl_chain_nlmsg_build_payload(nlh, c);
    nftnl_chain_free(c);
    nftnl_batch_update(nft->batch);
    return 0;
}

int CNetfilterShim_nft_regular_chain(CNetfilterShim_nft *nft, const char *table, const char *chain) {
    struct nftnl_chain *c = nftnl_chain_alloc();
    if (c == NULL) return -ENOMEM;
    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
    nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain", chain);
    nftnl_chain_nlmsg_build_payload(nlh, c);
    nftnl_chain_free(c);
    nftnl_batch_update(nft->batch);
    return 0;
}

int CNetfilterShim_nft_flush_chain(CNetfilterShim_nft *nft, const char *table, const char *chain) {
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (r == NULL) return -ENOMEM;
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
    nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_DELRULE, 0, "flush chain", chain);
    nftnl_rule_nlmsg_build_payload(nlh, r);
    nftnl_rule_free(r);
    nftnl_batch_update(nft->batch);
    return 0;
}

// MARK: - Rules

static void add_meta(struct nftnl_rule *r, uint32_t key) {
    struct nftnl_expr *e = nftnl_expr_alloc("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
    nftnl_rule_add_expr(r, e);
}

static void add_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t length) {
    struct nftnl_expr *e = nftnl_expr_alloc("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, length);
    nftnl_rule_add_expr(r, e);
}

static void add_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t length) {
    struct nftnl_expr *e = nftnl_expr_alloc("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, length);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_rule_add_expr(r, e);
}

static void add_verdict(struct nftnl_rule *r, int verdict) {
    struct nftnl_expr *e = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
    nftnl_rule_add_expr(r, e);
}

/// The family guard, the optional protocol and destination port range, then the source
/// address loaded into register 1.
static void add_source_load(struct nftnl_rule *r, const CNetfilterShim_nft_rule_spec *spec) {
    uint8_t family = spec->ipv6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
    add_meta(r, NFT_META_NFPROTO);
    add_cmp(r, NFT_CMP_EQ, &family, sizeof family);
    if (spec->l4proto != 0) {
        uint8_t proto = (uint8_t)spec->l4proto;
        uint16_t low = htons(spec->port_low), high = htons(spec->port_high);
        add_meta(r, NFT_META_L4PROTO);
        add_cmp(r, NFT_CMP_EQ, &proto, sizeof proto);
        add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);  // destination port
        add_cmp(r, NFT_CMP_GTE, &low, sizeof low);
        add_cmp(r, NFT_CMP_LTE, &high, sizeof high);
    }
    add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, spec->ipv6 ? 8 : 12, spec->ipv6 ? 16 : 4);
}

int CNetfilterShim_nft_rule(CNetfilterShim_nft *nft, const char *table, const char *chain,
                            const CNetfilterShim_nft_rule_spec *spec) {
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (r == NULL) return -ENOMEM;
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
    nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
    switch (spec->kind) {
    case 0: {  // ct state established,related
        struct nftnl_expr *ct = nftnl_expr_alloc("ct");
        nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
        nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
        nftnl_rule_add_expr(r, ct);
        struct nftnl_expr *bitwise = nftnl_expr_alloc("bitwise");
        uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED), zero = 0;
        nftnl_expr_set_u32(bitwise, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        nftnl_expr_set_u32(bitwise, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        nftnl_expr_set_u32(bitwise, NFTNL_EXPR_BITWISE_LEN, sizeof mask);
        nftnl_expr_set(bitwise, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof mask);
        nftnl_expr_set(bitwise, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero);
        nftnl_rule_add_expr(r, bitwise);
        add_cmp(r, NFT_CMP_NEQ, &zero, sizeof zero);
        break;
    }
    case 1: {  // iifname "lo"
        char name[16] = "lo";
        add_meta(r, NFT_META_IIFNAME);
        add_cmp(r, NFT_CMP_EQ, name, sizeof name);
        break;
    }
    case 3:  // a record: the counter and comment below only
    case 5:  // every packet: the counter and verdict below only
        break;
    case 4: {  // [l4proto + dport range] saddr vmap @map
        add_source_load(r, spec);
        struct nftnl_expr *lookup = nftnl_expr_alloc("lookup");
        nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_str(lookup, NFTNL_EXPR_LOOKUP_SET, spec->set ? spec->set : "");
        nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_SET_ID, spec->set_id);
        nftnl_rule_add_expr(r, lookup);
        break;
    }
    default: {  // [l4proto + dport range] saddr [!=] @set [then saddr vmap @map]
        add_source_load(r, spec);
        struct nftnl_expr *lookup = nftnl_expr_alloc("lookup");
        nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
        nftnl_expr_set_str(lookup, NFTNL_EXPR_LOOKUP_SET, spec->set ? spec->set : "");
        nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_SET_ID, spec->set_id);
        if (spec->negate) nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
        nftnl_rule_add_expr(r, lookup);
        if (spec->kind == 6) {
            // The set lookup leaves the source address in register 1.
            struct nftnl_expr *map = nftnl_expr_alloc("lookup");
            nftnl_expr_set_u32(map, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
            nftnl_expr_set_u32(map, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
            nftnl_expr_set_str(map, NFTNL_EXPR_LOOKUP_SET, spec->map ? spec->map : "");
            nftnl_expr_set_u32(map, NFTNL_EXPR_LOOKUP_SET_ID, spec->map_id);
            nftnl_rule_add_expr(r, map);
        }
        break;
    }
    }
    if (spec->counter) nftnl_rule_add_expr(r, nftnl_expr_alloc("counter"));
    if (spec->kind != 3 && spec->kind != 4 && spec->kind != 6) add_verdict(r, spec->accept ? NF_ACCEPT : NF_DROP);
    if (spec->comment != NULL) {
        struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(256);
        if (ud != NULL) {
            nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, spec->comment);
            nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
            nftnl_udata_buf_free(ud);
        }
    }
    struct nlmsghdr *nlh = start_message(nft, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "add rule", chain);
    nftnl_rule_nlmsg_build_payload(nlh, r);
    nftnl_rule_free(r);
    nftnl_batch_update(nft->batch);
    return 0;
}

// MARK: - Commit

struct ack_state {
    CNetfilterShim_nft *nft;
    int replies;
    int first_error;
    uint32_t error_seq;
};

static int ack_callback(const struct nlmsghdr *nlh, void *data) {
    struct ack_state *state = data;
    const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
    state->replies++;
    if (err->error != 0 && state->first_error == 0) {
        state->first_error = err->error;
        state->error_seq = nlh->nlmsg_seq;
    }
    return MNL_CB_OK;
}

int CNetfilterShim_nft_commit(CNetfilterShim_nft *nft) {
    nftnl_batch_end(nftnl_batch_buffer(nft->batch), nft->seq++);
    nftnl_batch_update(nft->batch);
    int pages = nftnl_batch_iovec_len(nft->batch);
    struct iovec *iov = calloc((size_t)pages, sizeof *iov);
    if (iov == NULL) return -ENOMEM;
    nftnl_batch_iovec(nft->batch, iov, (uint32_t)pages);
    size_t total = 0;
    for (int i = 0; i < pages; i++) total += iov[i].iov_len;
    if (nft->socket == NULL) {
        if (nft->recorded_length + total > nft->recorded_capacity) {
            size_t capacity = (nft->recorded_length + total) * 2;
            uint8_t *grown = realloc(nft->recorded, capacity);
            if (grown == NULL) { free(iov); return -ENOMEM; }
            nft->recorded = grown;
            nft->recorded_capacity = capacity;
        }
        for (int i = 0; i < pages; i++) {
            memcpy(nft->recorded + nft->recorded_length, iov[i].iov_base, iov[i].iov_len);
            nft->recorded_length += iov[i].iov_len;
        }
        free(iov);
        return 0;
    }
    int fd = mnl_socket_get_fd(nft->socket);
    // The whole batch goes in one sendmsg (one transaction): the send buffer must hold it, and
    // the receive buffer every ACK (else EMSGSIZE / ENOBUFS, see the netfilter notes).
    int send_size = (int)(total + 65536), receive_size = nft->messages * 1024 + 65536;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &send_size, sizeof send_size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_size, sizeof send_size);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_size, sizeof receive_size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_size, sizeof receive_size);
    struct sockaddr_nl address = { .nl_family = AF_NETLINK };
    struct msghdr message = { .msg_name = &address, .msg_namelen = sizeof address, .msg_iov = iov,
                              .msg_iovlen = (size_t)pages };
    ssize_t sent = sendmsg(fd, &message, 0);
    int send_error = errno;
    free(iov);
    if (sent < 0) {
        set_error(nft, "sending the batch failed (%s): %s", "one transaction", send_error);
        return -send_error;
    }
    // nfnetlink processes the batch inside sendmsg, so every reply is queued now.
    static mnl_cb_t control[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = ack_callback };
    struct ack_state state = { .nft = nft };
    char buffer[MNL_SOCKET_BUFFER_SIZE];
    while (state.replies < nft->messages) {
        ssize_t received = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (received < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN && state.first_error != 0) break;
            if (errno == EAGAIN) break;
            set_error(nft, "reading the replies failed (%s): %s; the outcome is unknown", "recv", errno);
            return -errno;
        }
        mnl_cb_run2(buffer, (size_t)received, 0, nft->port_id, NULL, &state, control, NLMSG_MIN_TYPE);
    }
    if (state.first_error != 0) {
        int code = -state.first_error;
        int index = (int)(state.error_seq - nft->first_seq);
        char detail[96];
        if (index >= 0 && index < nft->messages && index < MAX_DESCRIBED)
            snprintf(detail, sizeof detail, "%s (message %d of %d)", nft->described[index], index + 1, nft->messages);
        else
            snprintf(detail, sizeof detail, "the start of the batch");
        set_error(nft, "the kernel rejected the transaction at %s: %s; nothing was changed", detail, code);
        return -code;
    }
    if (state.replies < nft->messages) {
        set_error(nft, "only part of the replies arrived (%s): %s; read the state back", "ACKs", EAGAIN);
        return -EAGAIN;
    }
    return 0;
}

// MARK: - Reading back

struct comment_request {
    char *buffer;
    size_t capacity;
    int found;
};

static int comment_attribute(const struct nftnl_udata *attribute, void *data) {
    struct comment_request *request = data;
    // Table, set and rule comments all use type 0 in their own udata spaces.
    if (nftnl_udata_type(attribute) == 0 && nftnl_udata_len(attribute) > 0) {
        size_t length = nftnl_udata_len(attribute);
        if (length >= request->capacity) length = request->capacity - 1;
        memcpy(request->buffer, nftnl_udata_get(attribute), length);
        request->buffer[length] = 0;
        request->found = 1;
    }
    return MNL_CB_OK;
}

static int table_callback(const struct nlmsghdr *nlh, void *data) {
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL) return MNL_CB_ERROR;
    if (nftnl_table_nlmsg_parse(nlh, t) == 0 && nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) {
        uint32_t length = 0;
        const void *udata = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &length);
        nftnl_udata_parse(udata, length, comment_attribute, data);
    }
    nftnl_table_free(t);
    return MNL_CB_OK;
}

static int set_callback(const struct nlmsghdr *nlh, void *data) {
    struct nftnl_set *s = nftnl_set_alloc();
    if (s == NULL) return MNL_CB_ERROR;
    if (nftnl_set_nlmsg_parse(nlh, s) == 0 && nftnl_set_is_set(s, NFTNL_SET_USERDATA)) {
        uint32_t length = 0;
        const void *udata = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &length);
        // Set userdata holds the key byte order (type 0) and the comment (NFTNL_UDATA_SET_COMMENT).
        struct comment_request *request = data;
        const struct nftnl_udata *attribute;
        nftnl_udata_for_each_data(udata, length, attribute) {
            if (nftnl_udata_type(attribute) == NFTNL_UDATA_SET_COMMENT) {
                size_t size = nftnl_udata_len(attribute);
                if (size >= request->capacity) size = request->capacity - 1;
                memcpy(request->buffer, nftnl_udata_get(attribute), size);
                request->buffer[size] = 0;
                request->found = 1;
            }
        }
    }
    nftnl_set_free(s);
    return MNL_CB_OK;
}

/// Sends one request and runs `callback` over the replies until the ACK or the end of a dump.
static int request(CNetfilterShim_nft *nft, struct nlmsghdr *nlh, mnl_cb_t callback, void *data) {
    uint32_t seq = nlh->nlmsg_seq;
    if (mnl_socket_sendto(nft->socket, nlh, nlh->nlmsg_len) < 0) return -errno;
    char buffer[MNL_SOCKET_BUFFER_SIZE * 4];
    for (;;) {
        ssize_t received = mnl_socket_recvfrom(nft->socket, buffer, sizeof buffer);
        if (received < 0) return -errno;
        int status = mnl_cb_run(buffer, (size_t)received, seq, nft->port_id, callback, data);
        if (status < 0) return -errno;
        if (status == MNL_CB_STOP) return 0;
    }
}

int CNetfilterShim_nft_table_comment(CNetfilterShim_nft *nft, const char *table, char *buffer, size_t capacity) {
    char message[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(message, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, nft->seq++);
    struct nftnl_table *t = nftnl_table_alloc();
    if (t == NULL) return -ENOMEM;
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
    nftnl_table_nlmsg_build_payload(nlh, t);
    nftnl_table_free(t);
    struct comment_request data = { .buffer = buffer, .capacity = capacity };
    buffer[0] = 0;
    int status = request(nft, nlh, table_callback, &data);
    return status;
}

int CNetfilterShim_nft_set_comment(CNetfilterShim_nft *nft, const char *table, const char *set, char *buffer,
                                   size_t capacity) {
    char message[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(message, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_ACK, nft->seq++);
    struct nftnl_set *s = nftnl_set_alloc();
    if (s == NULL) return -ENOMEM;
    nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
    nftnl_set_set_str(s, NFTNL_SET_NAME, set);
    nftnl_set_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
    struct comment_request data = { .buffer = buffer, .capacity = capacity };
    buffer[0] = 0;
    return request(nft, nlh, set_callback, &data);
}

struct counter_request {
    CNetfilterShim_nft_counter_callback callback;
    void *context;
    const char *table;
};

static int rule_callback(const struct nlmsghdr *nlh, void *data) {
    struct counter_request *request = data;
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (r == NULL) return MNL_CB_ERROR;
    if (nftnl_rule_nlmsg_parse(nlh, r) == 0 && strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), request->table) == 0) {
        char comment[256] = "";
        if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
            uint32_t length = 0;
            const void *udata = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &length);
            struct comment_request text = { .buffer = comment, .capacity = sizeof comment };
            nftnl_udata_parse(udata, length, comment_attribute, &text);
        }
        struct nftnl_expr_iter *iterator = nftnl_expr_iter_create(r);
        struct nftnl_expr *e;
        while (iterator != NULL && (e = nftnl_expr_iter_next(iterator)) != NULL) {
            if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter") == 0) {
                request->callback(request->context, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), comment,
                                  nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS), nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES));
            }
        }
        if (iterator) nftnl_expr_iter_destroy(iterator);
    }
    nftnl_rule_free(r);
    return MNL_CB_OK;
}

int CNetfilterShim_nft_rule_counters(CNetfilterShim_nft *nft, const char *table,
                                     CNetfilterShim_nft_counter_callback callback, void *context) {
    char message[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(message, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, nft->seq++);
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (r == NULL) return -ENOMEM;
    nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
    nftnl_rule_nlmsg_build_payload(nlh, r);
    nftnl_rule_free(r);
    struct counter_request data = { .callback = callback, .context = context, .table = table };
    return request(nft, nlh, rule_callback, &data);
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

/// The type-length-value user data (comments) as `type:"text"` items, non-printable bytes as \xNN.
static int print_udata(char *out, size_t size, const void *udata, uint32_t length) {
    size_t used = 0;
    const uint8_t *bytes = udata;
    uint32_t offset = 0;
    while (offset + 2 <= length && used + 1 < size) {
        uint8_t type = bytes[offset], item = bytes[offset + 1];
        if (offset + 2 + item > length) break;
        used += (size_t)snprintf(out + used, size - used, "%s%u:\"", used ? " " : "", type);
        for (uint8_t i = 0; i < item && used + 5 < size; i++) {
            uint8_t c = bytes[offset + 2 + i];
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out[used++] = (char)c;
            else used += (size_t)snprintf(out + used, size - used, "\\x%02x", c);
        }
        if (used + 2 < size) { out[used++] = '"'; out[used] = 0; }
        offset += 2 + item;
    }
    if (used < size) out[used] = 0;
    return 0;
}

int CNetfilterShim_nft_print_batch(const uint8_t *bytes, size_t length, CNetfilterShim_nft_line_callback callback,
                                   void *context) {
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)bytes;
    int remaining = (int)length;
    char line[1024];
    while (mnl_nlmsg_ok(nlh, remaining)) {
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
        if (name == NULL) {
            snprintf(line, sizeof line, "unknown message type 0x%04x (%u bytes)", nlh->nlmsg_type, nlh->nlmsg_len);
            callback(context, line);
            nlh = mnl_nlmsg_next(nlh, &remaining);
            continue;
        }
        char *text = NULL;
        char udata[1024] = "";
        int status = 0;
        switch (type) {
        case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE: {
            struct nftnl_table *t = nftnl_table_alloc();
            if (t == NULL) return -ENOMEM;
            status = nftnl_table_nlmsg_parse(nlh, t);
            if (status == 0) {
                text = print_object((object_printer)nftnl_table_snprintf, t);
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
            if (status == 0) text = print_object((object_printer)nftnl_chain_snprintf, c);
            nftnl_chain_free(c);
            break;
        }
        case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE: {
            struct nftnl_rule *r = nftnl_rule_alloc();
            if (r == NULL) return -ENOMEM;
            status = nftnl_rule_nlmsg_parse(nlh, r);
            if (status == 0) {
                text = print_object((object_printer)nftnl_rule_snprintf, r);
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
                text = print_object((object_printer)nftnl_set_snprintf, s);
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
            if (status == 0) text = print_object((object_printer)nftnl_set_snprintf, s);
            nftnl_set_free(s);
            break;
        }
        }
        if (status < 0) {
            snprintf(line, sizeof line, "%s: libnftnl cannot parse it (%s)", name, strerror(errno));
            callback(context, line);
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

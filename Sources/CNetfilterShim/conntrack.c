// The ctnetlink part of the shim: dump the conntrack table and delete entries, over libmnl and
// the uapi headers (no libnetfilter_conntrack). Never include libipset headers here (see
// CNetfilterShim.h). glibc's <netinet/in.h> must come before any <linux/...> header.
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libmnl/libmnl.h>

#include "CNetfilterShim.h"
#include "netns.h"

// A dump message is at most 32 KiB (the kernel caps a dump skb there); reading into less
// truncates it.
enum { RECEIVE_SIZE = 64 * 1024 };
// Delete requests per sendto. Each acknowledgement costs about 1 KiB of receive buffer until it
// is read; the buffer is set to RECEIVE_BUFFER below.
enum { DELETES_PER_SEND = 256, SEND_SIZE = DELETES_PER_SEND * 256 };
enum { RECEIVE_BUFFER = 4 * 1024 * 1024 };

struct local_address {
    CNetfilterShim_ct_family family;
    uint8_t bytes[16];
};

struct CNetfilterShim_ct {
    struct mnl_socket *socket;
    struct local_address *local;
    size_t local_count;
    uint32_t port_id;
    uint32_t seq;
    int error_number;
    char error[160];
    char receive[RECEIVE_SIZE];
    char send[SEND_SIZE];
};

static CNetfilterShim_ct_result classify(int code) {
    switch (code) {
    case 0: return CNetfilterShim_CT_OK;
    case EPERM:
    case EACCES: return CNetfilterShim_CT_PERMISSION;
    case EPROTONOSUPPORT:
    case EOPNOTSUPP:
    case EAFNOSUPPORT: return CNetfilterShim_CT_UNSUPPORTED;
    case ENOMEM: return CNetfilterShim_CT_OUT_OF_MEMORY;
    default: return CNetfilterShim_CT_SYSTEM_ERROR;
    }
}

static CNetfilterShim_ct_result fail(CNetfilterShim_ct *ct, CNetfilterShim_ct_result result, int code, const char *what) {
    ct->error_number = code;
    snprintf(ct->error, sizeof ct->error, "%s", what);
    return result;
}

static CNetfilterShim_ct_result fail_errno(CNetfilterShim_ct *ct, int code, const char *what) {
    return fail(ct, classify(code), code, what);
}

// MARK: - Handle

struct open_request {
    const char *netns_path;
    struct mnl_socket *socket;
    struct local_address *local;
    size_t local_count;
    CNetfilterShim_ct_result result;
    int error;
};

/// Appends an interface address (sockaddr_in or sockaddr_in6) to the request's list.
static int add_local(struct open_request *request, const struct sockaddr *address, size_t *capacity) {
    if (address == NULL || (address->sa_family != AF_INET && address->sa_family != AF_INET6)) return 0;
    if (request->local_count == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 16;
        struct local_address *list = realloc(request->local, grown * sizeof *list);
        if (list == NULL) return ENOMEM;
        request->local = list;
        *capacity = grown;
    }
    struct local_address *entry = &request->local[request->local_count++];
    memset(entry->bytes, 0, sizeof entry->bytes);
    if (address->sa_family == AF_INET) {
        entry->family = CNetfilterShim_CT_IPV4;
        memcpy(entry->bytes, &((const struct sockaddr_in *)address)->sin_addr, 4);
    } else {
        entry->family = CNetfilterShim_CT_IPV6;
        memcpy(entry->bytes, &((const struct sockaddr_in6 *)address)->sin6_addr, 16);
    }
    return 0;
}

/// Reads the interface addresses of the calling thread's namespace. Returns 0 or an errno.
static int read_local_addresses(struct open_request *request) {
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0) return errno;
    size_t capacity = 0;
    int status = 0;
    for (struct ifaddrs *item = list; item != NULL && status == 0; item = item->ifa_next) {
        status = add_local(request, item->ifa_addr, &capacity);
        // An IPv4 subnet broadcast address, when the interface has one (not 0.0.0.0).
        const struct sockaddr *broadcast = item->ifa_broadaddr;
        if (status == 0 && item->ifa_addr != NULL && item->ifa_addr->sa_family == AF_INET && (item->ifa_flags & IFF_BROADCAST) &&
            broadcast != NULL && broadcast->sa_family == AF_INET && ((const struct sockaddr_in *)broadcast)->sin_addr.s_addr != 0)
            status = add_local(request, broadcast, &capacity);
    }
    freeifaddrs(list);
    return status;
}

static void *open_socket(void *argument) {
    struct open_request *request = argument;
    if (request->netns_path != NULL) {
        request->error = CNetfilterShim_enter_netns(request->netns_path);
        if (request->error != 0) { request->result = CNetfilterShim_CT_NAMESPACE; return NULL; }
    }
    request->socket = mnl_socket_open(NETLINK_NETFILTER);
    if (request->socket == NULL) { request->error = errno; request->result = classify(errno); return NULL; }
    int status = mnl_socket_bind(request->socket, 0, MNL_SOCKET_AUTOPID) < 0 ? errno : read_local_addresses(request);
    if (status != 0) {
        request->error = status;
        request->result = classify(status);
        (void)mnl_socket_close(request->socket);  // the error reported is the one above
        request->socket = NULL;
    }
    return NULL;
}

CNetfilterShim_ct *CNetfilterShim_ct_open(const char *netns_path, CNetfilterShim_ct_result *result, int *error) {
    struct open_request request = { .netns_path = netns_path, .result = CNetfilterShim_CT_OK };
    if (netns_path != NULL) {
        pthread_t thread;
        int status = pthread_create(&thread, NULL, open_socket, &request);
        if (status != 0) { *error = status; *result = classify(status); return NULL; }
        status = pthread_join(thread, NULL);
        if (status != 0) {
            // Cannot happen for a joinable thread of ours; the socket would be lost, so report it.
            *error = status;
            *result = CNetfilterShim_CT_SYSTEM_ERROR;
            return NULL;
        }
    } else {
        open_socket(&request);
    }
    if (request.socket == NULL) {
        free(request.local);
        *error = request.error ? request.error : EIO;
        *result = request.result != CNetfilterShim_CT_OK ? request.result : CNetfilterShim_CT_SYSTEM_ERROR;
        return NULL;
    }
    CNetfilterShim_ct *ct = malloc(sizeof *ct);
    if (ct == NULL) {
        free(request.local);
        (void)mnl_socket_close(request.socket);  // out of memory is the error reported
        *error = ENOMEM;
        *result = CNetfilterShim_CT_OUT_OF_MEMORY;
        return NULL;
    }
    ct->socket = request.socket;
    ct->local = request.local;
    ct->local_count = request.local_count;
    ct->port_id = mnl_socket_get_portid(request.socket);
    ct->seq = (uint32_t)time(NULL);
    ct->error_number = 0;
    ct->error[0] = 0;
    int fd = mnl_socket_get_fd(ct->socket);
    int one = 1;
    // Short acknowledgements: no copy of each delete request in its reply.
    if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) != 0) {
        *error = errno;
        *result = classify(errno);
        CNetfilterShim_ct_close(ct);
        return NULL;
    }
    int size = RECEIVE_BUFFER;
    // FORCE needs CAP_NET_ADMIN (which every call needs anyway); without it the plain option
    // gives what rmem_max allows, and the deletes then check every acknowledgement arrived.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
        *error = errno;
        *result = classify(errno);
        CNetfilterShim_ct_close(ct);
        return NULL;
    }
    *error = 0;
    *result = CNetfilterShim_CT_OK;
    return ct;
}

void CNetfilterShim_ct_close(CNetfilterShim_ct *ct) {
    (void)mnl_socket_close(ct->socket);  // close(2) of a netlink socket has nothing to flush
    free(ct->local);
    free(ct);
}

int CNetfilterShim_ct_errno(const CNetfilterShim_ct *ct) {
    return ct->error_number;
}

const char *CNetfilterShim_ct_error(const CNetfilterShim_ct *ct) {
    return ct->error;
}

void CNetfilterShim_ct_local_addresses(const CNetfilterShim_ct *ct, CNetfilterShim_ct_address_callback callback,
                                       void *context) {
    for (size_t i = 0; i < ct->local_count; i++) callback(context, ct->local[i].family, ct->local[i].bytes);
}

// MARK: - Parsing

/// Fills `table` (indexed by attribute type, up to `max`) with the attributes nested in `nest`.
/// Returns 0, or -1 when an attribute overruns the nest.
static int parse_nested(const struct nlattr *nest, const struct nlattr **table, int max) {
    memset(table, 0, sizeof(*table) * (size_t)(max + 1));
    const struct nlattr *attribute;
    mnl_attr_for_each_nested(attribute, nest) {
        int type = mnl_attr_get_type(attribute);
        if (type <= max) table[type] = attribute;
    }
    // The loop stops at the first attribute that does not fit: check it reached the end.
    const char *end = (const char *)mnl_attr_get_payload(nest) + mnl_attr_get_payload_len(nest);
    return (const char *)attribute >= end ? 0 : -1;
}

static int parse_message(const struct nlmsghdr *nlh, const struct nlattr **table, int max) {
    memset(table, 0, sizeof(*table) * (size_t)(max + 1));
    const struct nlattr *attribute;
    mnl_attr_for_each(attribute, nlh, sizeof(struct nfgenmsg)) {
        int type = mnl_attr_get_type(attribute);
        if (type <= max) table[type] = attribute;
    }
    // mnl_attr_for_each stops at the first attribute that does not fit: check it reached the end.
    return (const char *)attribute == (const char *)mnl_nlmsg_get_payload_tail(nlh) ? 0 : -1;
}

static uint8_t has_length(const struct nlattr *attribute, uint16_t length) {
    return attribute != NULL && mnl_attr_get_payload_len(attribute) == length;
}

static CNetfilterShim_ct_protocol protocol_of(uint8_t number) {
    switch (number) {
    case IPPROTO_TCP: return CNetfilterShim_CT_TCP;
    case IPPROTO_UDP: return CNetfilterShim_CT_UDP;
    case IPPROTO_ICMP: return CNetfilterShim_CT_ICMP;
    case IPPROTO_ICMPV6: return CNetfilterShim_CT_ICMPV6;
    case IPPROTO_SCTP: return CNetfilterShim_CT_SCTP;
    case IPPROTO_DCCP: return CNetfilterShim_CT_DCCP;
    case IPPROTO_UDPLITE: return CNetfilterShim_CT_UDPLITE;
    case IPPROTO_GRE: return CNetfilterShim_CT_GRE;
    default: return CNetfilterShim_CT_OTHER;
    }
}

/// Reads one IPCTNL_MSG_CT_NEW message of a dump into `entry`. Returns 1 for an entry, 0 for a
/// message to skip (a family other than IPv4/IPv6), -1 for a malformed one.
static int read_entry(const struct nlmsghdr *nlh, CNetfilterShim_ct_entry *entry) {
    if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg)) return -1;
    const struct nfgenmsg *header = mnl_nlmsg_get_payload(nlh);
    size_t address_length;
    int source_type, destination_type;
    if (header->nfgen_family == AF_INET) {
        entry->family = CNetfilterShim_CT_IPV4;
        address_length = 4;
        source_type = CTA_IP_V4_SRC;
        destination_type = CTA_IP_V4_DST;
    } else if (header->nfgen_family == AF_INET6) {
        entry->family = CNetfilterShim_CT_IPV6;
        address_length = 16;
        source_type = CTA_IP_V6_SRC;
        destination_type = CTA_IP_V6_DST;
    } else {
        return 0;
    }
    const struct nlattr *top[CTA_MAX + 1];
    const struct nlattr *tuple[CTA_TUPLE_MAX + 1];
    const struct nlattr *ip[CTA_IP_MAX + 1];
    const struct nlattr *proto[CTA_PROTO_MAX + 1];
    if (parse_message(nlh, top, CTA_MAX) != 0 || top[CTA_TUPLE_ORIG] == NULL) return -1;
    if (parse_nested(top[CTA_TUPLE_ORIG], tuple, CTA_TUPLE_MAX) != 0) return -1;
    if (tuple[CTA_TUPLE_IP] == NULL || tuple[CTA_TUPLE_PROTO] == NULL) return -1;
    if (parse_nested(tuple[CTA_TUPLE_IP], ip, CTA_IP_MAX) != 0) return -1;
    if (parse_nested(tuple[CTA_TUPLE_PROTO], proto, CTA_PROTO_MAX) != 0) return -1;
    if (!has_length(ip[source_type], (uint16_t)address_length) || !has_length(ip[destination_type], (uint16_t)address_length))
        return -1;
    if (!has_length(proto[CTA_PROTO_NUM], 1)) return -1;

    memset(entry->source, 0, sizeof entry->source);
    memset(entry->destination, 0, sizeof entry->destination);
    memcpy(entry->source, mnl_attr_get_payload(ip[source_type]), address_length);
    memcpy(entry->destination, mnl_attr_get_payload(ip[destination_type]), address_length);
    entry->protocol_number = mnl_attr_get_u8(proto[CTA_PROTO_NUM]);
    entry->protocol = protocol_of(entry->protocol_number);
    entry->has_ports = 0;
    entry->source_port = 0;
    entry->destination_port = 0;
    switch (entry->protocol) {
    case CNetfilterShim_CT_TCP:
    case CNetfilterShim_CT_UDP:
    case CNetfilterShim_CT_SCTP:
    case CNetfilterShim_CT_DCCP:
    case CNetfilterShim_CT_UDPLITE:
        if (has_length(proto[CTA_PROTO_SRC_PORT], 2) && has_length(proto[CTA_PROTO_DST_PORT], 2)) {
            entry->has_ports = 1;
            entry->source_port = ntohs(mnl_attr_get_u16(proto[CTA_PROTO_SRC_PORT]));
            entry->destination_port = ntohs(mnl_attr_get_u16(proto[CTA_PROTO_DST_PORT]));
        }
        break;
    default:
        break;
    }
    entry->has_reply = 0;
    memset(entry->reply_source, 0, sizeof entry->reply_source);
    if (top[CTA_TUPLE_REPLY] != NULL) {
        const struct nlattr *reply[CTA_TUPLE_MAX + 1];
        const struct nlattr *reply_ip[CTA_IP_MAX + 1];
        if (parse_nested(top[CTA_TUPLE_REPLY], reply, CTA_TUPLE_MAX) != 0 || reply[CTA_TUPLE_IP] == NULL) return -1;
        if (parse_nested(reply[CTA_TUPLE_IP], reply_ip, CTA_IP_MAX) != 0) return -1;
        if (!has_length(reply_ip[source_type], (uint16_t)address_length)) return -1;
        memcpy(entry->reply_source, mnl_attr_get_payload(reply_ip[source_type]), address_length);
        entry->has_reply = 1;
    }
    entry->has_id = has_length(top[CTA_ID], 4);
    entry->id = entry->has_id ? ntohl(mnl_attr_get_u32(top[CTA_ID])) : 0;
    entry->has_zone = has_length(top[CTA_ZONE], 2);
    entry->zone = entry->has_zone ? ntohs(mnl_attr_get_u16(top[CTA_ZONE])) : 0;
    uint16_t key_length = mnl_attr_get_payload_len(top[CTA_TUPLE_ORIG]);
    if (key_length == 0 || key_length > CNetfilterShim_CT_KEY_CAPACITY) return -1;
    entry->key_length = key_length;
    memcpy(entry->key, mnl_attr_get_payload(top[CTA_TUPLE_ORIG]), key_length);
    return 1;
}

// MARK: - Dump

static uint16_t message_type(uint8_t command) {
    return (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | command);
}

/// Receives one datagram; retries EINTR. Returns its length, or -1 with errno set.
static ssize_t receive(CNetfilterShim_ct *ct, int flags) {
    for (;;) {
        ssize_t received = recv(mnl_socket_get_fd(ct->socket), ct->receive, sizeof ct->receive, flags | MSG_TRUNC);
        if (received < 0 && errno == EINTR) continue;
        if (received > (ssize_t)sizeof ct->receive) { errno = EMSGSIZE; return -1; }
        return received;
    }
}

/// Sends a buffer; retries EINTR. Returns 0 or an errno.
static int send_all(CNetfilterShim_ct *ct, const void *buffer, size_t length) {
    for (;;) {
        ssize_t sent = mnl_socket_sendto(ct->socket, buffer, length);
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0) return errno;
        return (size_t)sent == length ? 0 : EMSGSIZE;
    }
}

CNetfilterShim_ct_result CNetfilterShim_ct_dump(CNetfilterShim_ct *ct, CNetfilterShim_ct_entry_callback callback,
                                                void *context, size_t *count) {
    *count = 0;
    ct->error_number = 0;
    ct->error[0] = 0;
    char request[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(request);
    nlh->nlmsg_type = message_type(IPCTNL_MSG_CT_GET);
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++ct->seq;
    struct nfgenmsg *header = mnl_nlmsg_put_extra_header(nlh, sizeof *header);
    header->nfgen_family = AF_UNSPEC;  // both families
    header->version = NFNETLINK_V0;
    header->res_id = 0;
    int status = send_all(ct, nlh, nlh->nlmsg_len);
    if (status != 0) return fail_errno(ct, status, "sending the conntrack dump request");

    CNetfilterShim_ct_entry entry;
    for (;;) {
        ssize_t received = receive(ct, 0);
        if (received < 0) return fail_errno(ct, errno, "reading the conntrack dump");
        if (received == 0) return fail(ct, CNetfilterShim_CT_MALFORMED, EIO, "the conntrack dump ended without NLMSG_DONE");
        const struct nlmsghdr *message = (const struct nlmsghdr *)ct->receive;
        int remaining = (int)received;
        for (; mnl_nlmsg_ok(message, remaining); message = mnl_nlmsg_next(message, &remaining)) {
            // Other messages (a late acknowledgement of an earlier request) are not ours.
            if (message->nlmsg_seq != ct->seq || message->nlmsg_pid != ct->port_id) continue;
            if (message->nlmsg_type == NLMSG_DONE) return CNetfilterShim_CT_OK;
            if (message->nlmsg_type == NLMSG_ERROR) {
                if (mnl_nlmsg_get_payload_len(message) < sizeof(struct nlmsgerr))
                    return fail(ct, CNetfilterShim_CT_MALFORMED, EIO, "a truncated error in the conntrack dump");
                const struct nlmsgerr *error = mnl_nlmsg_get_payload(message);
                if (error->error == 0) continue;
                return fail_errno(ct, -error->error, "dumping the conntrack table");
            }
            if (message->nlmsg_type != message_type(IPCTNL_MSG_CT_NEW)) continue;
            int read = read_entry(message, &entry);
            if (read < 0) return fail(ct, CNetfilterShim_CT_MALFORMED, EIO, "a malformed entry in the conntrack dump");
            if (read == 0) continue;
            callback(context, &entry);
            *count += 1;
        }
        if (remaining != 0) return fail(ct, CNetfilterShim_CT_MALFORMED, EIO, "a truncated message in the conntrack dump");
    }
}

// MARK: - Delete

/// Reads the acknowledgements of `sent` delete requests numbered first_seq, first_seq + 1, ...
/// The kernel handles a sendto's requests before the call returns, so every reply is queued
/// already: a missing one is an error, never a wait.
static CNetfilterShim_ct_result read_acknowledgements(CNetfilterShim_ct *ct, uint32_t first_seq, size_t sent,
                                                      size_t *deleted, size_t *missing) {
    size_t answered = 0;
    CNetfilterShim_ct_result result = CNetfilterShim_CT_OK;
    while (answered < sent) {
        ssize_t received = receive(ct, MSG_DONTWAIT);
        if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return fail(ct, CNetfilterShim_CT_MALFORMED, EIO, "acknowledgements of conntrack deletes are missing");
        if (received < 0) return fail_errno(ct, errno, "reading the acknowledgements of conntrack deletes");
        const struct nlmsghdr *message = (const struct nlmsghdr *)ct->receive;
        int remaining = (int)received;
        for (; mnl_nlmsg_ok(message, remaining); message = mnl_nlmsg_next(message, &remaining)) {
            if (message->nlmsg_type != NLMSG_ERROR || message->nlmsg_pid != ct->port_id) continue;
            if (message->nlmsg_seq - first_seq >= sent) continue;  // not one of these requests
            if (mnl_nlmsg_get_payload_len(message) < sizeof(struct nlmsgerr))
                return fail(ct, CNetfilterShim_CT_MALFORMED, EIO, "a truncated acknowledgement of a conntrack delete");
            const struct nlmsgerr *error = mnl_nlmsg_get_payload(message);
            answered += 1;
            if (error->error == 0) {
                *deleted += 1;
            } else if (error->error == -ENOENT) {
                *missing += 1;
            } else if (result == CNetfilterShim_CT_OK) {
                result = fail_errno(ct, -error->error, "deleting a conntrack entry");
            }
        }
        if (remaining != 0) return fail(ct, CNetfilterShim_CT_MALFORMED, EIO, "a truncated acknowledgement of a conntrack delete");
    }
    return result;
}

CNetfilterShim_ct_result CNetfilterShim_ct_delete(CNetfilterShim_ct *ct, const CNetfilterShim_ct_entry *entries, size_t count,
                                                  size_t *deleted, size_t *missing) {
    *deleted = 0;
    *missing = 0;
    ct->error_number = 0;
    ct->error[0] = 0;
    if (count > 0 && entries == NULL) return fail(ct, CNetfilterShim_CT_INVALID_ENTRY, EINVAL, "no entries to delete");
    // Refuse the whole call before sending anything: a delete without a tuple flushes the table.
    for (size_t i = 0; i < count; i++) {
        const CNetfilterShim_ct_entry *entry = &entries[i];
        if (entry->key_length == 0 || entry->key_length > CNetfilterShim_CT_KEY_CAPACITY ||
            (entry->family != CNetfilterShim_CT_IPV4 && entry->family != CNetfilterShim_CT_IPV6))
            return fail(ct, CNetfilterShim_CT_INVALID_ENTRY, EINVAL, "an entry to delete has no tuple");
    }
    size_t next = 0;
    while (next < count) {
        size_t length = 0;
        size_t batch = 0;
        uint32_t first_seq = ct->seq + 1;
        while (next + batch < count && batch < DELETES_PER_SEND) {
            const CNetfilterShim_ct_entry *entry = &entries[next + batch];
            // Header, nfgenmsg, the tuple nest, id and zone: at most 16 + 4 + 4 + 128 + 8 + 8.
            if (length + MNL_ALIGN(sizeof(struct nlmsghdr)) + 4 + 4 + MNL_ALIGN(entry->key_length) + 16 > sizeof ct->send) break;
            struct nlmsghdr *nlh = mnl_nlmsg_put_header(ct->send + length);
            nlh->nlmsg_type = message_type(IPCTNL_MSG_CT_DELETE);
            nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
            nlh->nlmsg_seq = ++ct->seq;
            struct nfgenmsg *header = mnl_nlmsg_put_extra_header(nlh, sizeof *header);
            header->nfgen_family = entry->family == CNetfilterShim_CT_IPV6 ? AF_INET6 : AF_INET;
            header->version = NFNETLINK_V0;
            header->res_id = 0;
            mnl_attr_put(nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, entry->key_length, entry->key);
            if (entry->has_zone) mnl_attr_put_u16(nlh, CTA_ZONE, htons(entry->zone));
            if (entry->has_id) mnl_attr_put_u32(nlh, CTA_ID, htonl(entry->id));
            length += nlh->nlmsg_len;
            batch += 1;
        }
        int status = send_all(ct, ct->send, length);
        if (status != 0) return fail_errno(ct, status, "sending conntrack deletes");
        CNetfilterShim_ct_result result = read_acknowledgements(ct, first_seq, batch, deleted, missing);
        if (result != CNetfilterShim_CT_OK) return result;
        next += batch;
    }
    return CNetfilterShim_CT_OK;
}

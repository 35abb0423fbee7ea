// The libipset half of the shim. Never include nf_tables headers here (see CNetfilterShim.h).
//
// libipset keeps its type list and set cache in globals and is not thread-safe: the Swift
// wrapper serialises every call made through these functions.
#include <libipset/ipset.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "CNetfilterShim.h"
#include "loader.h"
#include "netns.h"

// libipset is opened with dlopen on first use, so a host without it (an nftables-only system)
// still starts, and the ipset backend reports "libipset is not installed" instead.
static struct {
    void *library;
    char error[256];
    __typeof__(&ipset_load_types) load_types;
    __typeof__(&ipset_session_init) session_init;
    __typeof__(&ipset_session_fini) session_fini;
    __typeof__(&ipset_session_data) session_data;
    __typeof__(&ipset_session_report_msg) session_report_msg;
    __typeof__(&ipset_session_report_reset) session_report_reset;
    __typeof__(&ipset_session_output) session_output;
    __typeof__(&ipset_envopt_set) envopt_set;
    __typeof__(&ipset_envopt_unset) envopt_unset;
    __typeof__(&ipset_cmd) cmd;
    __typeof__(&ipset_commit) commit;
    __typeof__(&ipset_type_get) type_get;
    __typeof__(&ipset_data_set) data_set;
    __typeof__(&ipset_data_family) data_family;
    __typeof__(&ipset_data_reset) data_reset;
    __typeof__(&ipset_cache_fini) cache_fini;
} lib;

static pthread_once_t library_loaded = PTHREAD_ONCE_INIT;

static void load_library(void) {
    const char *name = getenv("GEOFILTER_LIBIPSET");
    lib.library = dlopen(name != NULL && *name ? name : "libipset.so.13", RTLD_NOW | RTLD_LOCAL);
    if (lib.library == NULL) {
        snprintf(lib.error, sizeof lib.error, "libipset is not installed (Debian: apt-get install libipset13): %s", dlerror());
        return;
    }
#define RESOLVE(field, symbol) \
    if ((lib.field = (__typeof__(lib.field))dlsym(lib.library, #symbol)) == NULL) { \
        snprintf(lib.error, sizeof lib.error, "the libipset found lacks %s (version 7 or later is needed)", #symbol); \
        lib.library = NULL; return; }
    RESOLVE(load_types, ipset_load_types)
    RESOLVE(session_init, ipset_session_init)
    RESOLVE(session_fini, ipset_session_fini)
    RESOLVE(session_data, ipset_session_data)
    RESOLVE(session_report_msg, ipset_session_report_msg)
    RESOLVE(session_report_reset, ipset_session_report_reset)
    RESOLVE(session_output, ipset_session_output)
    RESOLVE(envopt_set, ipset_envopt_set)
    RESOLVE(envopt_unset, ipset_envopt_unset)
    RESOLVE(cmd, ipset_cmd)
    RESOLVE(commit, ipset_commit)
    RESOLVE(type_get, ipset_type_get)
    RESOLVE(data_set, ipset_data_set)
    RESOLVE(data_family, ipset_data_family)
    RESOLVE(data_reset, ipset_data_reset)
    RESOLVE(cache_fini, ipset_cache_fini)
#undef RESOLVE
    lib.load_types();
}

const char *CNetfilterShim_ipset_library_error(void) {
    pthread_once(&library_loaded, load_library);
    return lib.library == NULL ? lib.error : NULL;
}

const char *CNetfilterShim_ipset_library_path(void) {
    if (CNetfilterShim_ipset_library_error() != NULL) return NULL;
    Dl_info info;
    return dladdr((void *)lib.session_init, &info) != 0 ? info.dli_fname : NULL;
}

int CNetfilterShim_ipset_protocol_version(void) {
    return IPSET_PROTOCOL;
}

// From here on, libipset's functions are called through the loaded library.
#define ipset_session_init(...) lib.session_init(__VA_ARGS__)
#define ipset_session_fini(...) lib.session_fini(__VA_ARGS__)
#define ipset_session_data(...) lib.session_data(__VA_ARGS__)
#define ipset_session_report_msg(...) lib.session_report_msg(__VA_ARGS__)
#define ipset_session_report_reset(...) lib.session_report_reset(__VA_ARGS__)
#define ipset_session_output(...) lib.session_output(__VA_ARGS__)
#define ipset_envopt_set(...) lib.envopt_set(__VA_ARGS__)
#define ipset_envopt_unset(...) lib.envopt_unset(__VA_ARGS__)
#define ipset_cmd(...) lib.cmd(__VA_ARGS__)
#define ipset_commit(...) lib.commit(__VA_ARGS__)
#define ipset_type_get(...) lib.type_get(__VA_ARGS__)
#define ipset_data_set(...) lib.data_set(__VA_ARGS__)
#define ipset_data_family(...) lib.data_family(__VA_ARGS__)
#define ipset_data_reset(...) lib.data_reset(__VA_ARGS__)
#define ipset_cache_fini(...) lib.cache_fini(__VA_ARGS__)

// MARK: - Session

struct CNetfilterShim_ipset {
    struct ipset_session *session;
    char *output;              // what libipset printed (list output), NUL-terminated
    size_t output_length;
    size_t output_capacity;
    int output_failed;         // an allocation for the output failed
    char error[1024];
};

/// libipset's print function (variadic, so it lives here): appends to the handle's output.
static int collect_output(struct ipset_session *session, void *context, const char *format, ...) {
    (void)session;
    CNetfilterShim_ipset *handle = context;
    for (;;) {
        size_t room = handle->output_capacity - handle->output_length;
        va_list arguments;
        va_start(arguments, format);
        int written = vsnprintf(handle->output + handle->output_length, room, format, arguments);
        va_end(arguments);
        if (written < 0) return -1;
        if ((size_t)written < room) {
            handle->output_length += (size_t)written;
            return written;
        }
        size_t capacity = handle->output_capacity * 2 + (size_t)written + 1;
        char *grown = realloc(handle->output, capacity);
        if (grown == NULL) { handle->output_failed = 1; return -1; }
        handle->output = grown;
        handle->output_capacity = capacity;
    }
}

/// Copies libipset's report (without its trailing newline) into the handle and clears it.
static int take_report(CNetfilterShim_ipset *handle) {
    const char *message = ipset_session_report_msg(handle->session);
    snprintf(handle->error, sizeof handle->error, "%s", message != NULL && *message ? message : "unknown ipset error");
    size_t length = strlen(handle->error);
    while (length > 0 && (handle->error[length - 1] == '\n' || handle->error[length - 1] == ' ')) handle->error[--length] = 0;
    ipset_session_report_reset(handle->session);
    return strstr(handle->error, "does not exist") != NULL ? CNetfilterShim_IPSET_NO_SUCH_SET : -1;
}

/// Runs a command; on failure keeps the report as the error text.
static int run(CNetfilterShim_ipset *handle, enum ipset_cmd command) {
    int status = ipset_cmd(handle->session, command, 0);
    if (status < 0) return take_report(handle);
    ipset_session_report_reset(handle->session);
    return 0;
}

struct open_request {
    const char *netns_path;
    CNetfilterShim_ipset *handle;
    int error;
};

/// Creates the session and does the protocol handshake, which opens the netlink socket:
/// inside the namespace when one is given (the socket keeps it afterwards).
static void *open_session(void *argument) {
    struct open_request *request = argument;
    if (request->netns_path != NULL) {
        request->error = CNetfilterShim_enter_netns(request->netns_path);
        if (request->error != 0) return NULL;
    }
    CNetfilterShim_ipset *handle = request->handle;
    handle->session = ipset_session_init(collect_output, handle);
    if (handle->session == NULL) { request->error = ENOMEM; return NULL; }
    if (run(handle, IPSET_CMD_NONE) < 0) request->error = EPROTO;
    return NULL;
}

CNetfilterShim_ipset *CNetfilterShim_ipset_open(const char *netns_path, int *error) {
    if (CNetfilterShim_ipset_library_error() != NULL) { *error = ELIBACC; return NULL; }
    // Sets of another namespace (or another process) may have the same names: start each
    // session with an empty set cache.
    ipset_cache_fini();
    CNetfilterShim_ipset *handle = calloc(1, sizeof *handle);
    if (handle == NULL) { *error = ENOMEM; return NULL; }
    handle->output_capacity = 64 * 1024;
    handle->output = malloc(handle->output_capacity);
    if (handle->output == NULL) { free(handle); *error = ENOMEM; return NULL; }
    handle->output[0] = 0;
    struct open_request request = { .netns_path = netns_path, .handle = handle };
    if (netns_path != NULL) {
        pthread_t thread;
        int status = pthread_create(&thread, NULL, open_session, &request);
        if (status != 0) request.error = status;
        else pthread_join(thread, NULL);
    } else {
        open_session(&request);
    }
    *error = request.error;
    return handle;
}

void CNetfilterShim_ipset_close(CNetfilterShim_ipset *handle) {
    if (handle->session != NULL) ipset_session_fini(handle->session);
    free(handle->output);
    free(handle);
}

const char *CNetfilterShim_ipset_error(const CNetfilterShim_ipset *handle) {
    return handle->error;
}

const char *CNetfilterShim_ipset_output(const CNetfilterShim_ipset *handle, size_t *length) {
    *length = handle->output_length;
    return handle->output;
}

// MARK: - Commands

static struct ipset_data *data_of(CNetfilterShim_ipset *handle) {
    handle->error[0] = 0;
    return ipset_session_data(handle->session);
}

int CNetfilterShim_ipset_create(CNetfilterShim_ipset *handle, const char *name, int ipv6, uint32_t hash_size,
                                uint32_t max_elements, int comments) {
    struct ipset_data *data = data_of(handle);
    uint8_t family = ipv6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
    ipset_data_set(data, IPSET_SETNAME, name);
    ipset_data_set(data, IPSET_OPT_TYPENAME, "hash:net");
    ipset_data_set(data, IPSET_OPT_FAMILY, &family);
    // Resolves the newest revision the kernel supports and sets IPSET_OPT_TYPE.
    if (ipset_type_get(handle->session, IPSET_CMD_CREATE) == NULL) return take_report(handle);
    ipset_data_set(data, IPSET_OPT_HASHSIZE, &hash_size);
    ipset_data_set(data, IPSET_OPT_MAXELEM, &max_elements);
    if (comments) {
        // A flag option: the value is not read.
        int on = 1;
        ipset_data_set(data, IPSET_OPT_CREATE_COMMENT, &on);
    }
    return run(handle, IPSET_CMD_CREATE);
}

int CNetfilterShim_ipset_add(CNetfilterShim_ipset *handle, const char *name, int ipv6, const uint8_t *addresses,
                             const uint8_t *lengths, size_t count, const char *comment) {
    struct ipset_data *data = data_of(handle);
    ipset_data_set(data, IPSET_SETNAME, name);
    // One header query resolves the set's type; every element then reuses it.
    const struct ipset_type *type = ipset_type_get(handle->session, IPSET_CMD_ADD);
    if (type == NULL) return take_report(handle);
    uint8_t family = ipset_data_family(data);
    if (family != (ipv6 ? NFPROTO_IPV6 : NFPROTO_IPV4)) {
        snprintf(handle->error, sizeof handle->error, "set %s is not of the expected family", name);
        return -1;
    }
    ipset_data_reset(data);
    size_t width = ipv6 ? 16 : 4;
    for (size_t index = 0; index < count; index++) {
        union nf_inet_addr address;
        memset(&address, 0, sizeof address);
        memcpy(&address, addresses + index * width, width);
        ipset_data_set(data, IPSET_SETNAME, name);
        ipset_data_set(data, IPSET_OPT_TYPE, type);
        ipset_data_set(data, IPSET_OPT_FAMILY, &family);
        ipset_data_set(data, IPSET_OPT_IP, &address);
        ipset_data_set(data, IPSET_OPT_CIDR, &lengths[index]);
        if (comment != NULL) ipset_data_set(data, IPSET_OPT_ADT_COMMENT, comment);
        // A non-zero line number appends the element to the current message (sent when full).
        if (ipset_cmd(handle->session, IPSET_CMD_ADD, (uint32_t)index + 1) < 0) return take_report(handle);
    }
    if (ipset_commit(handle->session) < 0) return take_report(handle);
    ipset_session_report_reset(handle->session);
    return 0;
}

int CNetfilterShim_ipset_swap(CNetfilterShim_ipset *handle, const char *name, const char *other) {
    struct ipset_data *data = data_of(handle);
    ipset_data_set(data, IPSET_SETNAME, name);
    ipset_data_set(data, IPSET_OPT_SETNAME2, other);
    return run(handle, IPSET_CMD_SWAP);
}

int CNetfilterShim_ipset_destroy(CNetfilterShim_ipset *handle, const char *name) {
    struct ipset_data *data = data_of(handle);
    ipset_data_set(data, IPSET_SETNAME, name);
    return run(handle, IPSET_CMD_DESTROY);
}

int CNetfilterShim_ipset_list(CNetfilterShim_ipset *handle, const char *name, int headers_only) {
    struct ipset_data *data = data_of(handle);
    handle->output_length = 0;
    handle->output[0] = 0;
    handle->output_failed = 0;
    if (name != NULL) {
        // A dump of a set that does not exist leaves libipset 7.17's session unusable (every
        // later command fails with "Internal protocol error"); a header query fails cleanly.
        ipset_data_set(data, IPSET_SETNAME, name);
        int status = run(handle, IPSET_CMD_HEADER);
        if (status < 0) return status;
        ipset_data_set(data, IPSET_SETNAME, name);
    }
    if (headers_only) ipset_envopt_set(handle->session, IPSET_ENV_LIST_HEADER);
    else ipset_envopt_unset(handle->session, IPSET_ENV_LIST_HEADER);
    ipset_session_output(handle->session, headers_only ? IPSET_LIST_PLAIN : IPSET_LIST_SAVE);
    int status = run(handle, headers_only ? IPSET_CMD_LIST : IPSET_CMD_SAVE);
    if (status == 0 && handle->output_failed) {
        snprintf(handle->error, sizeof handle->error, "out of memory while listing");
        return -1;
    }
    return status;
}

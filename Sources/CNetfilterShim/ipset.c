// The libipset half of the shim. Never include nf_tables headers here (see CNetfilterShim.h).
//
// libipset keeps its type list and set cache in globals and is not thread-safe: every exported
// function takes `library_lock` for its own duration, so the lock is never held while the
// caller does anything else (iptables-restore, ...).
//
// Error classes come from the kernel's code, not from libipset's text: libipset 7.x exposes
// only the text (ipset_session_report_msg) and its type, so the shim interposes on the netlink
// error callback of the session's transport and records `-nlmsgerr.error` (see
// record_kernel_error and watch_transport).
#include <libipset/ipset.h>
#include <libipset/linux_ip_set_hash.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "CNetfilterShim.h"
#include "netns.h"

// MARK: - Loading

/// Serialises every use of libipset and of the state below.
static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;

// libipset is opened with dlopen on first use, so a host without it (an nftables-only system)
// still starts, and the ipset backend reports "libipset is not installed" instead.
static struct {
    void *library;
    _Bool attempted;          // a load was tried (and failed when `library` is NULL)
    char error[256];
    unsigned open_sessions;   // sessions not yet closed: the library stays loaded
    unsigned long long next_session_id;
    unsigned long long cache_owner;  // the session whose sets the set cache describes
    mnl_cb_t transport_error_callback;  // libipset's own NLMSG_ERROR callback
    __typeof__(&ipset_load_types) load_types;
    __typeof__(&ipset_session_init) session_init;
    __typeof__(&ipset_session_fini) session_fini;
    __typeof__(&ipset_session_data) session_data;
    __typeof__(&ipset_session_handle) session_handle;
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

/// Loads libipset unless it is loaded or failed to load. Called with the lock held.
static void load_library(void) {
    if (lib.attempted) return;
    lib.attempted = 1;
    const char *name = getenv("GEOFILTER_LIBIPSET");
    void *library = dlopen(name != NULL && *name ? name : "libipset.so.13", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(lib.error, sizeof lib.error, "libipset is not installed (Debian: apt-get install libipset13): %s", dlerror());
        return;
    }
#define RESOLVE(field, symbol) \
    if ((lib.field = (__typeof__(lib.field))dlsym(library, #symbol)) == NULL) { \
        snprintf(lib.error, sizeof lib.error, "the libipset found lacks %s (version 7 or later is needed)", #symbol); \
        if (dlclose(library) != 0) snprintf(lib.error, sizeof lib.error, "the libipset found lacks %s and cannot be closed: %s", #symbol, dlerror()); \
        return; }
    RESOLVE(load_types, ipset_load_types)
    RESOLVE(session_init, ipset_session_init)
    RESOLVE(session_fini, ipset_session_fini)
    RESOLVE(session_data, ipset_session_data)
    RESOLVE(session_handle, ipset_session_handle)
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
    lib.library = library;
    lib.cache_owner = 0;
}

/// Takes the lock. Fails only if the lock is corrupt: then nothing may touch libipset.
static _Bool lock(void) {
    return pthread_mutex_lock(&library_lock) == 0;
}

static void unlock(void) {
    // Fails only when this thread does not hold it, which the callers rule out.
    (void)pthread_mutex_unlock(&library_lock);
}

/// Closes the library. Called with the lock held and no session open.
static _Bool unload_locked(void) {
    if (lib.open_sessions > 0) return 0;
    if (lib.library != NULL) {
        lib.cache_fini();   // frees the set cache libipset allocated
        if (dlclose(lib.library) != 0) return 0;
    }
    memset(&lib, 0, sizeof lib);
    return 1;
}

_Bool CNetfilterShim_ipset_unload(void) {
    if (!lock()) return 0;
    _Bool unloaded = unload_locked();
    unlock();
    return unloaded;
}

/// Releases libipset when the program ends (a session still open keeps it: its thread may
/// still be inside libipset).
__attribute__((destructor)) static void unload_at_exit(void) {
    if (pthread_mutex_trylock(&library_lock) != 0) return;
    (void)unload_locked();
    unlock();
}

const char *CNetfilterShim_ipset_library_error(void) {
    if (!lock()) return "the libipset lock is unusable";
    load_library();
    const char *error = lib.library == NULL ? lib.error : NULL;
    unlock();
    return error;
}

const char *CNetfilterShim_ipset_library_path(void) {
    // A copy: the loader's string goes away with the library (CNetfilterShim_ipset_unload).
    static char path[4096];
    if (!lock()) return NULL;
    load_library();
    Dl_info info;
    _Bool found = lib.library != NULL && dladdr((void *)lib.session_init, &info) != 0 && info.dli_fname != NULL
        && (size_t)snprintf(path, sizeof path, "%s", info.dli_fname) < sizeof path;
    unlock();
    return found ? path : NULL;
}

int CNetfilterShim_ipset_protocol_version(void) {
    return IPSET_PROTOCOL;
}

// From here on, libipset's functions are called through the loaded library.
#define ipset_session_init(...) lib.session_init(__VA_ARGS__)
#define ipset_session_fini(...) lib.session_fini(__VA_ARGS__)
#define ipset_session_data(...) lib.session_data(__VA_ARGS__)
#define ipset_session_handle(...) lib.session_handle(__VA_ARGS__)
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
    unsigned long long id;
    /// The session's own copy of libipset's netlink callbacks, with NLMSG_ERROR recorded.
    mnl_cb_t callbacks[NLMSG_MIN_TYPE + 1];
    int kernel_error;          // -nlmsgerr.error of the last failed request, or 0
    int kernel_command;        // the ipset command that request carried
    int system_error;          // an errno from outside the kernel, or 0
    char *output;              // what libipset printed (list output), NUL-terminated
    size_t output_length;
    size_t output_capacity;
    _Bool output_failed;       // an allocation for the output failed
    char error[1024];
};

/// The handle whose call is running (set with the lock held, for the netlink callback, which
/// runs inside that call: on the caller's thread, or on the thread that opens a session).
static CNetfilterShim_ipset *calling;

/// libipset's transport handle (`struct ipset_handle`, lib/mnl.c; the same from ipset 6.0 to
/// 7.24). Only its layout is relied on, and watch_transport checks it against the session.
struct transport_handle {
    struct mnl_socket *socket;
    unsigned int sequence;
    unsigned int port;
    mnl_cb_t *callbacks;       // indexed by netlink message type, NLMSG_MIN_TYPE included
    void *data;                // the session
};

/// The NLMSG_ERROR callback: notes the kernel's code, then lets libipset report it.
static int record_kernel_error(const struct nlmsghdr *message, void *data) {
    const struct nlmsgerr *error = mnl_nlmsg_get_payload(message);
    if (calling != NULL && message->nlmsg_len >= mnl_nlmsg_size(sizeof *error) && error->error != 0) {
        calling->kernel_error = -error->error;
        calling->kernel_command = error->msg.nlmsg_type & 0xff;   // the ipset command (low byte)
    }
    return lib.transport_error_callback(message, data);
}

/// Routes the session's netlink errors through record_kernel_error. Returns false when the
/// transport is not the one expected (then error classes cannot be known).
static _Bool watch_transport(CNetfilterShim_ipset *handle) {
    struct transport_handle *transport = (struct transport_handle *)ipset_session_handle(handle->session);
    if (transport == NULL || transport->data != handle->session || transport->callbacks == NULL
        || transport->socket == NULL || mnl_socket_get_portid(transport->socket) != transport->port)
        return 0;
    mnl_cb_t original = transport->callbacks[NLMSG_ERROR];
    if (original == NULL || original == record_kernel_error) return 0;
    if (lib.transport_error_callback != NULL && lib.transport_error_callback != original) return 0;
    lib.transport_error_callback = original;
    memcpy(handle->callbacks, transport->callbacks, sizeof handle->callbacks);
    handle->callbacks[NLMSG_ERROR] = record_kernel_error;
    transport->callbacks = handle->callbacks;
    return 1;
}

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
        if (written < 0) { handle->output_failed = 1; return -1; }
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

/// The class of a kernel error code for a command.
static CNetfilterShim_ipset_result classify(int code, int command) {
    switch (code) {
    case 0: return CNetfilterShim_IPSET_LIBRARY_ERROR;
    case ENOENT: case IPSET_ERR_EXIST_SETNAME2: return CNetfilterShim_IPSET_NO_SUCH_SET;
    // EEXIST answers a TYPE query when the kernel lacks the set type (lib/errcode.c).
    case EEXIST: return command == IPSET_CMD_TYPE ? CNetfilterShim_IPSET_UNSUPPORTED : CNetfilterShim_IPSET_EXISTS;
    case IPSET_ERR_EXIST: return CNetfilterShim_IPSET_EXISTS;
    case IPSET_ERR_HASH_FULL: return CNetfilterShim_IPSET_HASH_FULL;   // hash:* sets only (type-specific code)
    case IPSET_ERR_BUSY: case IPSET_ERR_REFERENCED: return CNetfilterShim_IPSET_IN_USE;
    case IPSET_ERR_TYPE_MISMATCH: case IPSET_ERR_INVALID_FAMILY: return CNetfilterShim_IPSET_TYPE_MISMATCH;
    case EPERM: case EACCES: return CNetfilterShim_IPSET_PERMISSION;
    case IPSET_ERR_FIND_TYPE: case IPSET_ERR_PROTOCOL: case EPROTONOSUPPORT: case EAFNOSUPPORT:
        return CNetfilterShim_IPSET_UNSUPPORTED;
    case ENOMEM: return CNetfilterShim_IPSET_OUT_OF_MEMORY;
    default: return CNetfilterShim_IPSET_KERNEL_ERROR;
    }
}

/// Copies libipset's report (without its trailing newline) into the handle, clears it, and
/// returns the class of the kernel's code.
static CNetfilterShim_ipset_result take_report(CNetfilterShim_ipset *handle) {
    const char *message = ipset_session_report_msg(handle->session);
    snprintf(handle->error, sizeof handle->error, "%s", message != NULL && *message ? message : "unknown ipset error");
    size_t length = strlen(handle->error);
    while (length > 0 && (handle->error[length - 1] == '\n' || handle->error[length - 1] == ' ')) handle->error[--length] = 0;
    ipset_session_report_reset(handle->session);
    return classify(handle->kernel_error, handle->kernel_command);
}

/// A failure found by the shim itself.
static CNetfilterShim_ipset_result fail(CNetfilterShim_ipset *handle, CNetfilterShim_ipset_result result, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static CNetfilterShim_ipset_result fail(CNetfilterShim_ipset *handle, CNetfilterShim_ipset_result result, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(handle->error, sizeof handle->error, format, arguments);
    va_end(arguments);
    return result;
}

/// Runs a command; on failure keeps the report as the error text.
static CNetfilterShim_ipset_result run(CNetfilterShim_ipset *handle, enum ipset_cmd command) {
    if (ipset_cmd(handle->session, command, 0) < 0) return take_report(handle);
    ipset_session_report_reset(handle->session);
    return CNetfilterShim_IPSET_OK;
}

/// Sets one option of the session's data; false (with the error set) when libipset refuses it.
static _Bool set_option(CNetfilterShim_ipset *handle, enum ipset_opt option, const void *value, const char *what) {
    if (ipset_data_set(ipset_session_data(handle->session), option, value) == 0) return 1;
    fail(handle, CNetfilterShim_IPSET_LIBRARY_ERROR, "libipset refused the %s: %s", what, strerror(errno));
    return 0;
}

/// Takes the lock for one call on `handle` and clears its last error. Returns OK, or why the
/// call cannot start.
static CNetfilterShim_ipset_result begin(CNetfilterShim_ipset *handle) {
    handle->error[0] = 0;
    handle->kernel_error = handle->kernel_command = handle->system_error = 0;
    if (handle->session == NULL) return fail(handle, CNetfilterShim_IPSET_LIBRARY_ERROR, "the ipset session was not opened");
    if (!lock()) return fail(handle, CNetfilterShim_IPSET_LIBRARY_ERROR, "the libipset lock is unusable");
    calling = handle;
    // Nothing of an earlier call (one that failed before its command ran) carries over.
    ipset_data_reset(ipset_session_data(handle->session));
    ipset_session_report_reset(handle->session);
    // The set cache (types of sets seen) is global: it must describe this session's
    // namespace, not another session's.
    if (lib.cache_owner != handle->id) {
        ipset_cache_fini();
        lib.cache_owner = handle->id;
    }
    return CNetfilterShim_IPSET_OK;
}

static CNetfilterShim_ipset_result end(CNetfilterShim_ipset_result result) {
    calling = NULL;
    unlock();
    return result;
}

struct open_request {
    const char *netns_path;
    CNetfilterShim_ipset *handle;
    CNetfilterShim_ipset_result result;
};

/// Creates the session and does the protocol handshake, which opens the netlink socket:
/// inside the namespace when one is given (the socket keeps it afterwards).
static void *open_session(void *argument) {
    struct open_request *request = argument;
    CNetfilterShim_ipset *handle = request->handle;
    if (request->netns_path != NULL) {
        int status = CNetfilterShim_enter_netns(request->netns_path);
        if (status != 0) {
            handle->system_error = status;
            request->result = fail(handle, CNetfilterShim_IPSET_NAMESPACE, "cannot enter the network namespace %s: %s",
                                   request->netns_path, strerror(status));
            return NULL;
        }
    }
    handle->session = ipset_session_init(collect_output, handle);
    if (handle->session == NULL) {
        handle->system_error = ENOMEM;
        request->result = fail(handle, CNetfilterShim_IPSET_OUT_OF_MEMORY, "libipset cannot start a session (out of memory)");
        return NULL;
    }
    // The handshake creates libipset's transport (the netlink socket), so the first one runs
    // before its errors can be watched; a failed one is repeated to learn the kernel's code.
    int status = ipset_cmd(handle->session, IPSET_CMD_NONE, 0);
    int socket_error = errno;
    if (ipset_session_handle(handle->session) == NULL) {
        // No netlink socket: the kernel has no netfilter netlink at all (EPROTONOSUPPORT), or
        // the process is out of descriptors or memory.
        (void)take_report(handle);
        handle->system_error = socket_error;
        request->result = socket_error == ENOMEM || socket_error == ENOBUFS ? CNetfilterShim_IPSET_OUT_OF_MEMORY
            : socket_error == EMFILE || socket_error == ENFILE ? CNetfilterShim_IPSET_LIBRARY_ERROR
            : CNetfilterShim_IPSET_UNSUPPORTED;
        return NULL;
    }
    if (!watch_transport(handle)) {
        request->result = fail(handle, CNetfilterShim_IPSET_UNSUPPORTED,
                               "this libipset's netlink transport is not the one GeoFilter knows (ipset 6 or 7)");
        return NULL;
    }
    ipset_session_report_reset(handle->session);
    if (status < 0 && ipset_cmd(handle->session, IPSET_CMD_NONE, 0) < 0) {
        CNetfilterShim_ipset_result result = take_report(handle);
        // nfnetlink answers EINVAL for a subsystem (ip_set) the kernel lacks; a failure without
        // a kernel code here is libipset refusing the kernel's protocol version.
        if (result == CNetfilterShim_IPSET_LIBRARY_ERROR || handle->kernel_error == EINVAL) result = CNetfilterShim_IPSET_UNSUPPORTED;
        request->result = result;
        return NULL;
    }
    ipset_session_report_reset(handle->session);
    request->result = CNetfilterShim_IPSET_OK;
    return NULL;
}

CNetfilterShim_ipset *CNetfilterShim_ipset_open(const char *netns_path, CNetfilterShim_ipset_result *result) {
    CNetfilterShim_ipset *handle = calloc(1, sizeof *handle);
    if (handle == NULL) { *result = CNetfilterShim_IPSET_OUT_OF_MEMORY; return NULL; }
    handle->output_capacity = 64 * 1024;
    handle->output = malloc(handle->output_capacity);
    if (handle->output == NULL) { free(handle); *result = CNetfilterShim_IPSET_OUT_OF_MEMORY; return NULL; }
    handle->output[0] = 0;
    if (!lock()) { free(handle->output); free(handle); *result = CNetfilterShim_IPSET_LIBRARY_ERROR; return NULL; }
    load_library();
    if (lib.library == NULL) {
        unlock();
        free(handle->output);
        free(handle);
        *result = CNetfilterShim_IPSET_NO_LIBRARY;
        return NULL;
    }
    lib.open_sessions++;
    handle->id = ++lib.next_session_id;
    // A new session starts with an empty set cache: sets of another namespace (or process)
    // may have the same names.
    ipset_cache_fini();
    lib.cache_owner = handle->id;
    calling = handle;
    struct open_request request = { .netns_path = netns_path, .handle = handle, .result = CNetfilterShim_IPSET_OK };
    if (netns_path != NULL) {
        // setns changes the calling thread only: do it on a thread of its own.
        pthread_t thread;
        int status = pthread_create(&thread, NULL, open_session, &request);
        if (status == 0) status = pthread_join(thread, NULL);
        if (status != 0) {
            handle->system_error = status;
            request.result = fail(handle, status == ENOMEM || status == EAGAIN ? CNetfilterShim_IPSET_OUT_OF_MEMORY : CNetfilterShim_IPSET_LIBRARY_ERROR,
                                  "cannot start the thread that enters the namespace: %s", strerror(status));
        }
    } else {
        (void)open_session(&request);
    }
    *result = end(request.result);
    return handle;
}

void CNetfilterShim_ipset_close(CNetfilterShim_ipset *handle) {
    if (lock()) {
        if (handle->session != NULL) {
            // Fails only when the session was never initialised.
            (void)ipset_session_fini(handle->session);
        }
        if (lib.cache_owner == handle->id) lib.cache_owner = 0;
        lib.open_sessions--;
        unlock();
    }
    free(handle->output);
    free(handle);
}

const char *CNetfilterShim_ipset_error(const CNetfilterShim_ipset *handle) {
    return handle->error;
}

int CNetfilterShim_ipset_kernel_error(const CNetfilterShim_ipset *handle) {
    return handle->kernel_error;
}

int CNetfilterShim_ipset_system_error(const CNetfilterShim_ipset *handle) {
    return handle->system_error;
}

const char *CNetfilterShim_ipset_output(const CNetfilterShim_ipset *handle, size_t *length) {
    *length = handle->output_length;
    return handle->output;
}

// MARK: - Commands

static uint8_t nfproto(CNetfilterShim_ipset_family family) {
    return family == CNetfilterShim_IPSET_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

static CNetfilterShim_ipset_result create(CNetfilterShim_ipset *handle, const char *name, CNetfilterShim_ipset_family family,
                                          uint32_t hash_size, uint32_t max_elements, _Bool comments) {
    uint8_t protocol_family = nfproto(family);
    if (!set_option(handle, IPSET_SETNAME, name, "set name") || !set_option(handle, IPSET_OPT_TYPENAME, "hash:net", "type name")
        || !set_option(handle, IPSET_OPT_FAMILY, &protocol_family, "family"))
        return CNetfilterShim_IPSET_LIBRARY_ERROR;
    // Resolves the newest revision the kernel supports and sets IPSET_OPT_TYPE.
    if (ipset_type_get(handle->session, IPSET_CMD_CREATE) == NULL) return take_report(handle);
    if (!set_option(handle, IPSET_OPT_HASHSIZE, &hash_size, "hash size") || !set_option(handle, IPSET_OPT_MAXELEM, &max_elements, "maxelem"))
        return CNetfilterShim_IPSET_LIBRARY_ERROR;
    // A flag option: the value is not read.
    static const uint8_t on = 1;
    if (comments && !set_option(handle, IPSET_OPT_CREATE_COMMENT, &on, "comment flag")) return CNetfilterShim_IPSET_LIBRARY_ERROR;
    return run(handle, IPSET_CMD_CREATE);
}

CNetfilterShim_ipset_result CNetfilterShim_ipset_create(CNetfilterShim_ipset *handle, const char *name,
                                                        CNetfilterShim_ipset_family family, uint32_t hash_size,
                                                        uint32_t max_elements, _Bool comments) {
    CNetfilterShim_ipset_result result = begin(handle);
    if (result != CNetfilterShim_IPSET_OK) return result;
    return end(create(handle, name, family, hash_size, max_elements, comments));
}

static CNetfilterShim_ipset_result add(CNetfilterShim_ipset *handle, const char *name, CNetfilterShim_ipset_family family,
                                       const uint8_t *addresses, const uint8_t *lengths, size_t count, const char *comment) {
    struct ipset_data *data = ipset_session_data(handle->session);
    if (!set_option(handle, IPSET_SETNAME, name, "set name")) return CNetfilterShim_IPSET_LIBRARY_ERROR;
    // One header query resolves the set's type; every element then reuses it.
    const struct ipset_type *type = ipset_type_get(handle->session, IPSET_CMD_ADD);
    if (type == NULL) return take_report(handle);
    uint8_t protocol_family = ipset_data_family(data);
    ipset_data_reset(data);
    if (protocol_family != nfproto(family))
        return fail(handle, CNetfilterShim_IPSET_TYPE_MISMATCH, "set %s is not of the expected family", name);
    if (count > UINT32_MAX)
        return fail(handle, CNetfilterShim_IPSET_LIBRARY_ERROR, "%zu entries are more than one call can add", count);
    size_t width = family == CNetfilterShim_IPSET_IPV6 ? 16 : 4;
    for (size_t index = 0; index < count; index++) {
        union nf_inet_addr address;
        memset(&address, 0, sizeof address);
        memcpy(&address, addresses + index * width, width);
        if (!set_option(handle, IPSET_SETNAME, name, "set name") || !set_option(handle, IPSET_OPT_TYPE, type, "set type")
            || !set_option(handle, IPSET_OPT_FAMILY, &protocol_family, "family")
            || !set_option(handle, IPSET_OPT_IP, &address, "address") || !set_option(handle, IPSET_OPT_CIDR, &lengths[index], "prefix length")
            || (comment != NULL && !set_option(handle, IPSET_OPT_ADT_COMMENT, comment, "comment")))
            return CNetfilterShim_IPSET_LIBRARY_ERROR;
        // A non-zero line number appends the element to the current message (sent when full).
        if (ipset_cmd(handle->session, IPSET_CMD_ADD, (uint32_t)index + 1) < 0) return take_report(handle);
    }
    if (ipset_commit(handle->session) < 0) return take_report(handle);
    ipset_session_report_reset(handle->session);
    return CNetfilterShim_IPSET_OK;
}

CNetfilterShim_ipset_result CNetfilterShim_ipset_add(CNetfilterShim_ipset *handle, const char *name,
                                                     CNetfilterShim_ipset_family family, const uint8_t *addresses,
                                                     const uint8_t *lengths, size_t count, const char *comment) {
    if (count > 0 && (addresses == NULL || lengths == NULL)) {
        handle->kernel_error = handle->kernel_command = handle->system_error = 0;
        return fail(handle, CNetfilterShim_IPSET_LIBRARY_ERROR, "no entries were passed for set %s", name);
    }
    CNetfilterShim_ipset_result result = begin(handle);
    if (result != CNetfilterShim_IPSET_OK) return result;
    return end(add(handle, name, family, addresses, lengths, count, comment));
}

CNetfilterShim_ipset_result CNetfilterShim_ipset_swap(CNetfilterShim_ipset *handle, const char *name, const char *other) {
    CNetfilterShim_ipset_result result = begin(handle);
    if (result != CNetfilterShim_IPSET_OK) return result;
    if (!set_option(handle, IPSET_SETNAME, name, "set name") || !set_option(handle, IPSET_OPT_SETNAME2, other, "second set name"))
        return end(CNetfilterShim_IPSET_LIBRARY_ERROR);
    return end(run(handle, IPSET_CMD_SWAP));
}

CNetfilterShim_ipset_result CNetfilterShim_ipset_destroy(CNetfilterShim_ipset *handle, const char *name) {
    CNetfilterShim_ipset_result result = begin(handle);
    if (result != CNetfilterShim_IPSET_OK) return result;
    if (!set_option(handle, IPSET_SETNAME, name, "set name")) return end(CNetfilterShim_IPSET_LIBRARY_ERROR);
    return end(run(handle, IPSET_CMD_DESTROY));
}

static CNetfilterShim_ipset_result list(CNetfilterShim_ipset *handle, const char *name, CNetfilterShim_ipset_listing listing) {
    handle->output_length = 0;
    handle->output[0] = 0;
    handle->output_failed = 0;
    if (name != NULL) {
        // A dump of a set that does not exist leaves libipset 7.17's session unusable (every
        // later command fails with "Internal protocol error"); a header query fails cleanly.
        if (!set_option(handle, IPSET_SETNAME, name, "set name")) return CNetfilterShim_IPSET_LIBRARY_ERROR;
        CNetfilterShim_ipset_result result = run(handle, IPSET_CMD_HEADER);
        if (result != CNetfilterShim_IPSET_OK) return result;
        if (!set_option(handle, IPSET_SETNAME, name, "set name")) return CNetfilterShim_IPSET_LIBRARY_ERROR;
    }
    _Bool header = listing == CNetfilterShim_IPSET_LIST_HEADER;
    if (header) ipset_envopt_set(handle->session, IPSET_ENV_LIST_HEADER);
    else ipset_envopt_unset(handle->session, IPSET_ENV_LIST_HEADER);
    if (ipset_session_output(handle->session, header ? IPSET_LIST_PLAIN : IPSET_LIST_SAVE) != 0)
        return fail(handle, CNetfilterShim_IPSET_LIBRARY_ERROR, "libipset refused the output mode");
    CNetfilterShim_ipset_result result = run(handle, header ? IPSET_CMD_LIST : IPSET_CMD_SAVE);
    if (result == CNetfilterShim_IPSET_OK && handle->output_failed) {
        handle->system_error = ENOMEM;
        return fail(handle, CNetfilterShim_IPSET_OUT_OF_MEMORY, "out of memory while listing");
    }
    return result;
}

CNetfilterShim_ipset_result CNetfilterShim_ipset_list(CNetfilterShim_ipset *handle, const char *name,
                                                      CNetfilterShim_ipset_listing listing) {
    CNetfilterShim_ipset_result result = begin(handle);
    if (result != CNetfilterShim_IPSET_OK) return result;
    return end(list(handle, name, listing));
}

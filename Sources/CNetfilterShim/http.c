// HTTP(S) downloads through libcurl, loaded with dlopen on first use: linking libcurl (and its
// TLS, GSSAPI and LDAP dependencies) would add about 8 ms to the start of every program that
// links GeoFilterCore, and only the updater needs it.
//
// The loaded libcurl may be older than the headers: CURLOPT_PROTOCOLS and
// CURLOPT_REDIR_PROTOCOLS (deprecated in 7.85, still honoured) are used when it predates
// 7.85, so the deprecation warnings for them are turned off here.
#define CURL_DISABLE_DEPRECATION 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "CNetfilterShim.h"

/// The first libcurl with CURLOPT_PROTOCOLS_STR and CURLOPT_REDIR_PROTOCOLS_STR (CURL_VERSION_BITS(7, 85, 0)).
#define PROTOCOLS_STR_VERSION 0x075500

static struct {
    void *library;
    char error[256];
    __typeof__(&curl_global_init) global_init;
    __typeof__(&curl_easy_init) easy_init;
    __typeof__(&curl_easy_setopt) easy_setopt;
    __typeof__(&curl_easy_perform) easy_perform;
    __typeof__(&curl_easy_getinfo) easy_getinfo;
    __typeof__(&curl_easy_cleanup) easy_cleanup;
    __typeof__(&curl_easy_strerror) easy_strerror;
    __typeof__(&curl_slist_append) slist_append;
    __typeof__(&curl_slist_free_all) slist_free_all;
    __typeof__(&curl_version_info) version_info;
    /// The loaded libcurl's version (0xXXYYZZ).
    unsigned int version;
} curl;

static pthread_once_t curl_loaded = PTHREAD_ONCE_INIT;

/// Closes a libcurl that cannot be used; the reason is in curl.error.
static void reject_curl(void) {
    if (dlclose(curl.library) != 0) {
        size_t length = strlen(curl.error);
        snprintf(curl.error + length, sizeof curl.error - length, " (and closing it failed: %s)", dlerror());
    }
    curl.library = NULL;
}

static void load_curl(void) {
    curl.library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (curl.library == NULL) {
        snprintf(curl.error, sizeof curl.error, "libcurl is not installed (Debian: apt-get install libcurl4): %s", dlerror());
        return;
    }
#define RESOLVE(field, symbol) \
    if ((curl.field = (__typeof__(curl.field))dlsym(curl.library, #symbol)) == NULL) { \
        snprintf(curl.error, sizeof curl.error, "libcurl lacks %s", #symbol); reject_curl(); return; }
    RESOLVE(global_init, curl_global_init)
    RESOLVE(easy_init, curl_easy_init)
    RESOLVE(easy_setopt, curl_easy_setopt)
    RESOLVE(easy_perform, curl_easy_perform)
    RESOLVE(easy_getinfo, curl_easy_getinfo)
    RESOLVE(easy_cleanup, curl_easy_cleanup)
    RESOLVE(easy_strerror, curl_easy_strerror)
    RESOLVE(slist_append, curl_slist_append)
    RESOLVE(slist_free_all, curl_slist_free_all)
    RESOLVE(version_info, curl_version_info)
#undef RESOLVE
    const curl_version_info_data *info = curl.version_info(CURLVERSION_NOW);
    if (info == NULL) {
        snprintf(curl.error, sizeof curl.error, "libcurl does not report its version");
        reject_curl();
        return;
    }
    curl.version = info->version_num;
    CURLcode code = curl.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(curl.error, sizeof curl.error, "libcurl failed to initialise: %s", curl.easy_strerror(code));
        reject_curl();
    }
}

struct transfer {
    const CNetfilterShim_http_request *request;
    CNetfilterShim_http_response *response;
    int write_failed;
    int too_large;
};

static size_t write_body(char *data, size_t size, size_t count, void *context) {
    struct transfer *transfer = context;
    size_t length = size * count;
    if (transfer->request->max_bytes > 0 && transfer->response->received + length > transfer->request->max_bytes) {
        transfer->too_large = 1;
        return 0;
    }
    size_t done = 0;
    while (done < length) {
        ssize_t n = write(transfer->request->output_fd, data + done, length - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            transfer->write_failed = errno;
            return 0;
        }
        done += (size_t)n;
    }
    transfer->response->received += length;
    return length;
}

/// Copies a header's value (trimmed) when the line starts with `name:`, case-insensitively.
static void capture(const char *line, size_t length, const char *name, char *target, size_t capacity) {
    size_t name_length = strlen(name);
    if (length <= name_length || strncasecmp(line, name, name_length) != 0 || line[name_length] != ':') return;
    const char *value = line + name_length + 1;
    const char *end = line + length;
    while (value < end && (*value == ' ' || *value == '\t')) value++;
    while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    size_t n = (size_t)(end - value) < capacity - 1 ? (size_t)(end - value) : capacity - 1;
    memcpy(target, value, n);
    target[n] = 0;
}

static size_t read_header(char *data, size_t size, size_t count, void *context) {
    struct transfer *transfer = context;
    size_t length = size * count;
    CNetfilterShim_http_response *response = transfer->response;
    if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        // A new response (after a redirect): forget the previous one's headers.
        response->etag[0] = response->last_modified[0] = 0;
    }
    capture(data, length, "ETag", response->etag, sizeof response->etag);
    capture(data, length, "Last-Modified", response->last_modified, sizeof response->last_modified);
    return length;
}

static int report_progress(void *context, curl_off_t total, curl_off_t now, curl_off_t upload_total, curl_off_t uploaded) {
    (void)upload_total;
    (void)uploaded;
    struct transfer *transfer = context;
    if (transfer->request->progress == NULL) return 0;
    return transfer->request->progress(transfer->request->context, (uint64_t)now, (uint64_t)total);
}

/// Limits the request and its redirects to http and https, with the options the loaded libcurl has.
static CURLcode restrict_protocols(CURL *handle, CNetfilterShim_http_protocol_options options, const char **option) {
    CURLcode code;
    if (options == CNetfilterShim_HTTP_PROTOCOLS_AUTOMATIC && curl.version >= PROTOCOLS_STR_VERSION) {
        *option = "CURLOPT_PROTOCOLS_STR";
        if ((code = curl.easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https")) != CURLE_OK) return code;
        *option = "CURLOPT_REDIR_PROTOCOLS_STR";
        return curl.easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }
    *option = "CURLOPT_PROTOCOLS";
    if ((code = curl.easy_setopt(handle, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS))) != CURLE_OK) return code;
    *option = "CURLOPT_REDIR_PROTOCOLS";
    return curl.easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
}

/// The result for a failed transfer.
static CNetfilterShim_http_result result_of(CURLcode code) {
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL: return CNetfilterShim_HTTP_REFUSED_PROTOCOL;
    case CURLE_OPERATION_TIMEDOUT: return CNetfilterShim_HTTP_TIMEOUT;
    case CURLE_OUT_OF_MEMORY: return CNetfilterShim_HTTP_OUT_OF_MEMORY;
    case CURLE_ABORTED_BY_CALLBACK: return CNetfilterShim_HTTP_CANCELLED;
    default: return CNetfilterShim_HTTP_TRANSPORT;
    }
}

CNetfilterShim_http_result CNetfilterShim_http_get(const CNetfilterShim_http_request *request,
                                                   CNetfilterShim_http_response *response) {
    memset(response, 0, sizeof *response);
    int once = pthread_once(&curl_loaded, load_curl);
    if (once != 0) {
        snprintf(response->error, sizeof response->error, "cannot load libcurl: %s", strerror(once));
        return CNetfilterShim_HTTP_NO_LIBRARY;
    }
    if (curl.library == NULL) {
        snprintf(response->error, sizeof response->error, "%s", curl.error);
        return CNetfilterShim_HTTP_NO_LIBRARY;
    }
    CURL *handle = curl.easy_init();
    if (handle == NULL) {
        snprintf(response->error, sizeof response->error, "libcurl could not create a transfer (out of memory)");
        return CNetfilterShim_HTTP_OUT_OF_MEMORY;
    }
    struct transfer transfer = { .request = request, .response = response };
    CNetfilterShim_http_result result = CNetfilterShim_HTTP_OK;
    struct curl_slist *headers = NULL;
    for (size_t i = 0; i < request->header_count; i++) {
        struct curl_slist *longer = curl.slist_append(headers, request->headers[i]);
        if (longer == NULL) {
            snprintf(response->error, sizeof response->error, "cannot build the request headers (out of memory)");
            result = CNetfilterShim_HTTP_OUT_OF_MEMORY;
            goto done;
        }
        headers = longer;
    }
    char curl_error[CURL_ERROR_SIZE] = "";
    const char *option = "";
    CURLcode code;
    // Every option is checked: a libcurl that ignores one would run a transfer other than the
    // one asked for (another protocol, credentials sent elsewhere, no time limit).
#define SET(name, value) \
    if ((code = curl.easy_setopt(handle, name, value)) != CURLE_OK) { option = #name; goto refused; }
    SET(CURLOPT_ERRORBUFFER, curl_error)
    SET(CURLOPT_URL, request->url)
    if ((code = restrict_protocols(handle, request->protocol_options, &option)) != CURLE_OK) goto refused;
    SET(CURLOPT_FOLLOWLOCATION, 1L)
    SET(CURLOPT_MAXREDIRS, 5L)
    // Credentials go to the named host only, never to a redirect's (MaxMind redirects to storage).
    SET(CURLOPT_UNRESTRICTED_AUTH, 0L)
    if (request->user_password != NULL) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC)
        SET(CURLOPT_USERPWD, request->user_password)
    }
    SET(CURLOPT_HTTPHEADER, headers)
    SET(CURLOPT_USERAGENT, "GeoFilter")
    SET(CURLOPT_WRITEFUNCTION, write_body)
    SET(CURLOPT_WRITEDATA, &transfer)
    SET(CURLOPT_HEADERFUNCTION, read_header)
    SET(CURLOPT_HEADERDATA, &transfer)
    SET(CURLOPT_XFERINFOFUNCTION, report_progress)
    SET(CURLOPT_XFERINFODATA, &transfer)
    SET(CURLOPT_NOPROGRESS, 0L)
    SET(CURLOPT_NOSIGNAL, 1L)
    SET(CURLOPT_CONNECTTIMEOUT_MS, request->connect_timeout_ms)
    SET(CURLOPT_TIMEOUT_MS, request->total_timeout_ms)
    if (request->stall_seconds > 0) {
        // Fewer than 1 byte per second for that long: the transfer has stalled.
        SET(CURLOPT_LOW_SPEED_LIMIT, 1L)
        SET(CURLOPT_LOW_SPEED_TIME, request->stall_seconds)
    }
#undef SET

    code = curl.easy_perform(handle);
    if (transfer.too_large) {
        snprintf(response->error, sizeof response->error, "the download exceeds the limit of %llu bytes",
                 (unsigned long long)request->max_bytes);
        result = CNetfilterShim_HTTP_TOO_LARGE;
    } else if (transfer.write_failed) {
        response->error_number = transfer.write_failed;
        snprintf(response->error, sizeof response->error, "cannot write the download: %s", strerror(transfer.write_failed));
        result = CNetfilterShim_HTTP_WRITE;
    } else if (code == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(response->error, sizeof response->error, "cancelled");
        result = CNetfilterShim_HTTP_CANCELLED;
    } else if (code != CURLE_OK) {
        result = result_of(code);
        snprintf(response->error, sizeof response->error, "%s%s", result == CNetfilterShim_HTTP_TIMEOUT ? "timed out: " : "",
                 curl_error[0] ? curl_error : curl.easy_strerror(code));
    } else {
        long status = 0;
        if ((code = curl.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status)) != CURLE_OK) {
            snprintf(response->error, sizeof response->error, "libcurl does not report the response status: %s",
                     curl.easy_strerror(code));
            result = CNetfilterShim_HTTP_TRANSPORT;
            goto done;
        }
        response->status = status;
    }
    goto done;

refused:
    snprintf(response->error, sizeof response->error, "libcurl %u.%u.%u refused %s: %s", curl.version >> 16,
             (curl.version >> 8) & 0xff, curl.version & 0xff, option, curl.easy_strerror(code));
    result = code == CURLE_OUT_OF_MEMORY ? CNetfilterShim_HTTP_OUT_OF_MEMORY : CNetfilterShim_HTTP_SETUP;

done:
    curl.slist_free_all(headers);
    curl.easy_cleanup(handle);
    return result;
}

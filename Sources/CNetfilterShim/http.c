// HTTP(S) downloads through libcurl, loaded with dlopen on first use: linking libcurl (and its
// TLS, GSSAPI and LDAP dependencies) would add about 8 ms to the start of every program that
// links GeoFilterCore, and only the updater needs it.
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "CNetfilterShim.h"

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
} curl;

static pthread_once_t curl_loaded = PTHREAD_ONCE_INIT;

static void load_curl(void) {
    curl.library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (curl.library == NULL) {
        snprintf(curl.error, sizeof curl.error, "libcurl is not installed (Debian: apt-get install libcurl4): %s", dlerror());
        return;
    }
#define RESOLVE(field, symbol) \
    if ((curl.field = (__typeof__(curl.field))dlsym(curl.library, #symbol)) == NULL) { \
        snprintf(curl.error, sizeof curl.error, "libcurl lacks %s", #symbol); curl.library = NULL; return; }
    RESOLVE(global_init, curl_global_init)
    RESOLVE(easy_init, curl_easy_init)
    RESOLVE(easy_setopt, curl_easy_setopt)
    RESOLVE(easy_perform, curl_easy_perform)
    RESOLVE(easy_getinfo, curl_easy_getinfo)
    RESOLVE(easy_cleanup, curl_easy_cleanup)
    RESOLVE(easy_strerror, curl_easy_strerror)
    RESOLVE(slist_append, curl_slist_append)
    RESOLVE(slist_free_all, curl_slist_free_all)
#undef RESOLVE
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(curl.error, sizeof curl.error, "libcurl failed to initialise");
        curl.library = NULL;
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
        response->etag[0] = response->last_modified[0] = response->content_disposition[0] = 0;
    }
    capture(data, length, "ETag", response->etag, sizeof response->etag);
    capture(data, length, "Last-Modified", response->last_modified, sizeof response->last_modified);
    capture(data, length, "Content-Disposition", response->content_disposition, sizeof response->content_disposition);
    return length;
}

static int report_progress(void *context, curl_off_t total, curl_off_t now, curl_off_t upload_total, curl_off_t uploaded) {
    (void)upload_total;
    (void)uploaded;
    struct transfer *transfer = context;
    if (transfer->request->progress == NULL) return 0;
    return transfer->request->progress(transfer->request->context, (uint64_t)now, (uint64_t)total);
}

int CNetfilterShim_http_get(const CNetfilterShim_http_request *request, CNetfilterShim_http_response *response) {
    memset(response, 0, sizeof *response);
    pthread_once(&curl_loaded, load_curl);
    if (curl.library == NULL) {
        snprintf(response->error, sizeof response->error, "%s", curl.error);
        return CNetfilterShim_HTTP_NO_LIBRARY;
    }
    CURL *handle = curl.easy_init();
    if (handle == NULL) {
        snprintf(response->error, sizeof response->error, "libcurl could not create a transfer");
        return CNetfilterShim_HTTP_TRANSPORT;
    }
    struct transfer transfer = { .request = request, .response = response };
    struct curl_slist *headers = NULL;
    for (size_t i = 0; i < request->header_count; i++) headers = curl.slist_append(headers, request->headers[i]);
    char curl_error[CURL_ERROR_SIZE] = "";
    curl.easy_setopt(handle, CURLOPT_URL, request->url);
    curl.easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
    curl.easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
    // Credentials go to the named host only, never to a redirect's (MaxMind redirects to storage).
    curl.easy_setopt(handle, CURLOPT_UNRESTRICTED_AUTH, 0L);
    if (request->user_password != NULL) {
        curl.easy_setopt(handle, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl.easy_setopt(handle, CURLOPT_USERPWD, request->user_password);
    }
    curl.easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    curl.easy_setopt(handle, CURLOPT_USERAGENT, request->user_agent != NULL ? request->user_agent : "GeoFilter");
    curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_body);
    curl.easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
    curl.easy_setopt(handle, CURLOPT_HEADERFUNCTION, read_header);
    curl.easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
    curl.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, report_progress);
    curl.easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
    curl.easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    curl.easy_setopt(handle, CURLOPT_ERRORBUFFER, curl_error);
    curl.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, request->connect_timeout_ms);
    curl.easy_setopt(handle, CURLOPT_TIMEOUT_MS, request->total_timeout_ms);
    if (request->stall_seconds > 0) {
        // Fewer than 1 byte per second for that long: the transfer has stalled.
        curl.easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl.easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, request->stall_seconds);
    }
    CURLcode code = curl.easy_perform(handle);
    long status = 0;
    curl.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    response->status = status;
    curl_off_t expected = -1;
    curl.easy_getinfo(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
    response->expected = expected;
    int result = 0;
    if (transfer.too_large) {
        snprintf(response->error, sizeof response->error, "the download exceeds the limit of %llu bytes",
                 (unsigned long long)request->max_bytes);
        result = CNetfilterShim_HTTP_TOO_LARGE;
    } else if (transfer.write_failed) {
        snprintf(response->error, sizeof response->error, "cannot write the download: %s", strerror(transfer.write_failed));
        result = CNetfilterShim_HTTP_WRITE;
    } else if (code == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(response->error, sizeof response->error, "cancelled");
        result = CNetfilterShim_HTTP_CANCELLED;
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
        snprintf(response->error, sizeof response->error, "timed out: %s", curl_error[0] ? curl_error : curl.easy_strerror(code));
        result = CNetfilterShim_HTTP_TIMEOUT;
    } else if (code != CURLE_OK) {
        snprintf(response->error, sizeof response->error, "%s", curl_error[0] ? curl_error : curl.easy_strerror(code));
        result = CNetfilterShim_HTTP_TRANSPORT;
    }
    curl.slist_free_all(headers);
    curl.easy_cleanup(handle);
    return result;
}

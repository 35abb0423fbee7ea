// CNetfilterShim: HTTP (http.c): libcurl, loaded on first use.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_HTTP_H
#define CNETFILTERSHIM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif

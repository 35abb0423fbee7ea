// CNetfilterShim: HTTP (http.c): libcurl, loaded on first use.
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_HTTP_H
#define CNETFILTERSHIM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How CNetfilterShim_http_get ended; the reason is in `response->error` unless OK.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_http_result {
    /// A response arrived completely (any status: see `response->status`).
    CNetfilterShim_HTTP_OK __attribute__((swift_name("ok"))) = 0,
    /// libcurl cannot be loaded or initialised.
    CNetfilterShim_HTTP_NO_LIBRARY __attribute__((swift_name("noLibrary"))) = 1,
    /// libcurl refused an option the transfer needs (a libcurl built without it).
    CNetfilterShim_HTTP_SETUP __attribute__((swift_name("setup"))) = 2,
    /// Memory ran out (libcurl's handle or the header list).
    CNetfilterShim_HTTP_OUT_OF_MEMORY __attribute__((swift_name("outOfMemory"))) = 3,
    /// The URL, or a redirect, uses a scheme other than http and https (file://, ftp://, ...).
    CNetfilterShim_HTTP_REFUSED_PROTOCOL __attribute__((swift_name("refusedProtocol"))) = 4,
    /// Connecting, TLS, or the transfer failed (worth retrying).
    CNetfilterShim_HTTP_TRANSPORT __attribute__((swift_name("transport"))) = 5,
    /// The connect, stall or total time limit passed (worth retrying).
    CNetfilterShim_HTTP_TIMEOUT __attribute__((swift_name("timeout"))) = 6,
    /// The body grew past `max_bytes`.
    CNetfilterShim_HTTP_TOO_LARGE __attribute__((swift_name("tooLarge"))) = 7,
    /// Writing the body to `output_fd` failed (`response->error_number`).
    CNetfilterShim_HTTP_WRITE __attribute__((swift_name("write"))) = 8,
    /// The progress callback asked to stop.
    CNetfilterShim_HTTP_CANCELLED __attribute__((swift_name("cancelled"))) = 9,
} CNetfilterShim_http_result;

/// How the transfer is limited to http and https.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_http_protocol_options {
    /// CURLOPT_PROTOCOLS_STR and CURLOPT_REDIR_PROTOCOLS_STR when the loaded libcurl is 7.85 or
    /// later, else the bitmask options.
    CNetfilterShim_HTTP_PROTOCOLS_AUTOMATIC __attribute__((swift_name("automatic"))) = 0,
    /// CURLOPT_PROTOCOLS and CURLOPT_REDIR_PROTOCOLS (CURLPROTO_HTTP | CURLPROTO_HTTPS), as
    /// libcurl before 7.85 needs; still accepted later (for tests of that path).
    CNetfilterShim_HTTP_PROTOCOLS_BITMASK __attribute__((swift_name("bitmask"))) = 1,
} CNetfilterShim_http_protocol_options;

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
    int output_fd;
    long connect_timeout_ms;
    /// The whole transfer's limit (0: none).
    long total_timeout_ms;
    /// Fail when no byte arrives for this many seconds (0: no limit).
    long stall_seconds;
    /// Fail when the body grows past this many bytes (0: no limit).
    uint64_t max_bytes;
    CNetfilterShim_http_protocol_options protocol_options;
    CNetfilterShim_http_progress _Nullable progress;
    void *_Nullable context;
} CNetfilterShim_http_request;

/// What came back.
typedef struct CNetfilterShim_http_response {
    long status;
    /// The body's bytes written so far.
    uint64_t received;
    /// The errno of a failed write (CNetfilterShim_HTTP_WRITE), else 0.
    int error_number;
    char etag[256];
    char last_modified[128];
    char error[512];
} CNetfilterShim_http_response;

/// Performs the GET (User-Agent "GeoFilter"), following up to 5 redirects, over http and https
/// only (for the request and every redirect).
CNetfilterShim_http_result CNetfilterShim_http_get(const CNetfilterShim_http_request *_Nonnull request,
                                                   CNetfilterShim_http_response *_Nonnull response);

#ifdef __cplusplus
}
#endif

#endif

// CNetfilterShim: gzip, zlib and raw deflate (gzip.c).
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_ZLIB_H
#define CNETFILTERSHIM_ZLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A zlib inflate stream (see CNetfilterShim_inflate_format).
typedef struct CNetfilterShim_inflater CNetfilterShim_inflater;

/// What an inflater reads.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_inflate_format {
    /// gzip (one or more members back to back) or zlib data, told apart by the header.
    CNetfilterShim_INFLATE_GZIP_OR_ZLIB __attribute__((swift_name("gzipOrZlib"))) = 0,
    /// A bare deflate stream without header or trailer, as in zip entries.
    CNetfilterShim_INFLATE_RAW __attribute__((swift_name("raw"))) = 1,
} CNetfilterShim_inflate_format;

/// How CNetfilterShim_inflate and CNetfilterShim_deflate ended.
typedef enum __attribute__((enum_extensibility(closed))) CNetfilterShim_zlib_result {
    /// Done, or (inflate) more input or output space is needed.
    CNetfilterShim_ZLIB_OK __attribute__((swift_name("ok"))) = 0,
    /// The data is corrupt (Z_DATA_ERROR, or a stream that needs a preset dictionary).
    CNetfilterShim_ZLIB_DATA_ERROR __attribute__((swift_name("dataError"))) = 1,
    /// zlib could not allocate memory (Z_MEM_ERROR).
    CNetfilterShim_ZLIB_OUT_OF_MEMORY __attribute__((swift_name("outOfMemory"))) = 2,
    /// The output buffer is too small (deflate: Z_BUF_ERROR).
    CNetfilterShim_ZLIB_BUFFER_TOO_SMALL __attribute__((swift_name("bufferTooSmall"))) = 3,
    /// zlib reported an inconsistent stream or a bad parameter (Z_STREAM_ERROR, Z_VERSION_ERROR,
    /// or a length zlib cannot take in one call): a bug, not bad data.
    CNetfilterShim_ZLIB_INTERNAL_ERROR __attribute__((swift_name("internalError"))) = 4,
} CNetfilterShim_zlib_result;

/// Creates an inflater for `format`, or returns NULL when zlib cannot allocate one.
CNetfilterShim_inflater *_Nullable CNetfilterShim_inflater_create_format(CNetfilterShim_inflate_format format);

/// Frees an inflater.
void CNetfilterShim_inflater_destroy(CNetfilterShim_inflater *_Nonnull inflater);

/// Inflates from `input` into `output`. Sets `*consumed` and `*produced` to the bytes used.
/// Returns CNetfilterShim_ZLIB_OK when more input or output space is needed or the input is used
/// up (see CNetfilterShim_inflater_at_member_end for whether the data ended cleanly), else the
/// failure (the message in CNetfilterShim_inflater_message).
CNetfilterShim_zlib_result CNetfilterShim_inflate(CNetfilterShim_inflater *_Nonnull inflater,
                                                  const uint8_t *_Nullable input, size_t input_length,
                                                  size_t *_Nonnull consumed, uint8_t *_Nonnull output,
                                                  size_t output_length, size_t *_Nonnull produced);

/// Whether the inflater is between gzip members (a clean place for the input to end).
_Bool CNetfilterShim_inflater_at_member_end(const CNetfilterShim_inflater *_Nonnull inflater);

/// zlib's message for the last error, or NULL.
const char *_Nullable CNetfilterShim_inflater_message(const CNetfilterShim_inflater *_Nonnull inflater);

/// The largest size CNetfilterShim_deflate can produce for `length` input bytes.
size_t CNetfilterShim_deflate_bound(size_t length);

/// Compresses `input` into `output` as one zlib stream at the given level (0-9).
/// Sets `*produced`.
CNetfilterShim_zlib_result CNetfilterShim_deflate(const uint8_t *_Nullable input, size_t input_length,
                                                  uint8_t *_Nonnull output, size_t output_capacity,
                                                  size_t *_Nonnull produced, int level);

#ifdef __cplusplus
}
#endif

#endif

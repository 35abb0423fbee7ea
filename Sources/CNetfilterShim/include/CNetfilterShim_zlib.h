// CNetfilterShim: gzip, zlib and raw deflate (gzip.c).
// Part of the umbrella header CNetfilterShim.h; includes none of the libraries' headers.
#ifndef CNETFILTERSHIM_ZLIB_H
#define CNETFILTERSHIM_ZLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A zlib inflate stream that reads gzip (one or more members) or zlib data.
typedef struct CNetfilterShim_inflater CNetfilterShim_inflater;

/// Creates an inflater, or returns NULL when zlib cannot allocate one.
CNetfilterShim_inflater *_Nullable CNetfilterShim_inflater_create(void);

/// Creates an inflater for raw deflate data (`raw` 1, as in zip entries) or, with 0, for gzip
/// or zlib data. Returns NULL when zlib cannot allocate one.
CNetfilterShim_inflater *_Nullable CNetfilterShim_inflater_create_format(int raw);

/// Frees an inflater.
void CNetfilterShim_inflater_destroy(CNetfilterShim_inflater *_Nonnull inflater);

/// Inflates from `input` into `output`. Sets `*consumed` and `*produced` to the bytes used.
/// Returns 0 when more input or output space is needed, 1 at the end of the last complete
/// member when the input is used up, or a negative zlib error (Z_DATA_ERROR for corrupt data).
int CNetfilterShim_inflate(CNetfilterShim_inflater *_Nonnull inflater,
                           const uint8_t *_Nullable input, size_t input_length, size_t *_Nonnull consumed,
                           uint8_t *_Nonnull output, size_t output_length, size_t *_Nonnull produced);

/// Whether the inflater is between gzip members (a clean place for the input to end).
int CNetfilterShim_inflater_at_member_end(const CNetfilterShim_inflater *_Nonnull inflater);

/// zlib's message for the last error, or NULL.
const char *_Nullable CNetfilterShim_inflater_message(const CNetfilterShim_inflater *_Nonnull inflater);

/// The largest size `CNetfilterShim_deflate` can produce for `length` input bytes.
size_t CNetfilterShim_deflate_bound(size_t length);

/// Compresses `input` into `output` as one zlib stream at the given level (0-9).
/// Sets `*produced`. Returns 0, or a negative zlib error.
int CNetfilterShim_deflate(const uint8_t *_Nullable input, size_t input_length,
                           uint8_t *_Nonnull output, size_t output_capacity, size_t *_Nonnull produced,
                           int level);

#ifdef __cplusplus
}
#endif

#endif

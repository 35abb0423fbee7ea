// zlib inflate for gzip-compressed data files (DB-IP .csv.gz, RIR archives, ...) and raw
// deflate (zip entries); deflate for GeoFilter's own snapshots.
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "CNetfilterShim.h"

struct CNetfilterShim_inflater {
    z_stream stream;
    _Bool member_end;   // before the first byte and after each complete member
};

static CNetfilterShim_zlib_result result_of(int status) {
    switch (status) {
    case Z_OK: case Z_STREAM_END: return CNetfilterShim_ZLIB_OK;
    case Z_DATA_ERROR: case Z_NEED_DICT: return CNetfilterShim_ZLIB_DATA_ERROR;
    case Z_MEM_ERROR: return CNetfilterShim_ZLIB_OUT_OF_MEMORY;
    case Z_BUF_ERROR: return CNetfilterShim_ZLIB_BUFFER_TOO_SMALL;
    default: return CNetfilterShim_ZLIB_INTERNAL_ERROR;
    }
}

CNetfilterShim_inflater *CNetfilterShim_inflater_create_format(CNetfilterShim_inflate_format format) {
    CNetfilterShim_inflater *inflater = calloc(1, sizeof *inflater);
    if (inflater == NULL) return NULL;
    // 15 + 32: window of 32 KiB, detect a gzip or zlib header automatically; -15: raw deflate.
    int window_bits = format == CNetfilterShim_INFLATE_RAW ? -15 : 15 + 32;
    if (inflateInit2(&inflater->stream, window_bits) != Z_OK) {
        free(inflater);
        return NULL;
    }
    inflater->member_end = 1;
    return inflater;
}

void CNetfilterShim_inflater_destroy(CNetfilterShim_inflater *inflater) {
    // Z_STREAM_ERROR only for a stream that was never initialised, which cannot happen here.
    (void)inflateEnd(&inflater->stream);
    free(inflater);
}

CNetfilterShim_zlib_result CNetfilterShim_inflate(CNetfilterShim_inflater *inflater,
                                                  const uint8_t *input, size_t input_length, size_t *consumed,
                                                  uint8_t *output, size_t output_length, size_t *produced) {
    *consumed = 0;
    *produced = 0;
    // zlib counts in uInt: take at most that much per call (the caller loops).
    if (input_length > UINT_MAX) input_length = UINT_MAX;
    if (output_length > UINT_MAX) output_length = UINT_MAX;
    z_stream *stream = &inflater->stream;
    stream->next_in = (Bytef *)input;
    stream->avail_in = (uInt)input_length;
    stream->next_out = output;
    stream->avail_out = (uInt)output_length;
    int status = Z_OK;
    while (stream->avail_out > 0 && stream->avail_in > 0) {
        inflater->member_end = 0;
        status = inflate(stream, Z_NO_FLUSH);
        if (status == Z_STREAM_END) {
            // gzip allows several members back to back: start the next one.
            inflater->member_end = 1;
            status = inflateReset(stream);
            if (status != Z_OK) break;
            continue;
        }
        // Z_BUF_ERROR: no progress was possible with what is left; the caller supplies more.
        if (status == Z_BUF_ERROR) { status = Z_OK; break; }
        if (status != Z_OK) break;
    }
    *consumed = input_length - stream->avail_in;
    *produced = output_length - stream->avail_out;
    return result_of(status);
}

_Bool CNetfilterShim_inflater_at_member_end(const CNetfilterShim_inflater *inflater) {
    return inflater->member_end;
}

const char *CNetfilterShim_inflater_message(const CNetfilterShim_inflater *inflater) {
    return inflater->stream.msg;
}

size_t CNetfilterShim_deflate_bound(size_t length) {
    return compressBound((uLong)length);
}

CNetfilterShim_zlib_result CNetfilterShim_deflate(const uint8_t *input, size_t input_length,
                                                  uint8_t *output, size_t output_capacity, size_t *produced,
                                                  int level) {
    uLongf length = (uLongf)output_capacity;
    int status = compress2(output, &length, input, (uLong)input_length, level);
    *produced = status == Z_OK ? (size_t)length : 0;
    return result_of(status);
}

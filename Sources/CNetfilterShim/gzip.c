// zlib inflate for gzip-compressed data files (DB-IP .csv.gz, RIR archives, ...).
#include <stdlib.h>
#include <zlib.h>

#include "CNetfilterShim.h"

struct CNetfilterShim_inflater {
    z_stream stream;
    int member_end;   // 1 before the first byte and after each complete member
};

CNetfilterShim_inflater *CNetfilterShim_inflater_create(void) {
    return CNetfilterShim_inflater_create_format(0);
}

CNetfilterShim_inflater *CNetfilterShim_inflater_create_format(int raw) {
    CNetfilterShim_inflater *inflater = calloc(1, sizeof *inflater);
    if (inflater == NULL) return NULL;
    // 15 + 32: window of 32 KiB, detect a gzip or zlib header automatically; -15: raw deflate.
    if (inflateInit2(&inflater->stream, raw ? -15 : 15 + 32) != Z_OK) {
        free(inflater);
        return NULL;
    }
    inflater->member_end = 1;
    return inflater;
}

void CNetfilterShim_inflater_destroy(CNetfilterShim_inflater *inflater) {
    inflateEnd(&inflater->stream);
    free(inflater);
}

int CNetfilterShim_inflate(CNetfilterShim_inflater *inflater,
                           const uint8_t *input, size_t input_length, size_t *consumed,
                           uint8_t *output, size_t output_length, size_t *produced) {
    z_stream *stream = &inflater->stream;
    stream->next_in = (Bytef *)input;
    stream->avail_in = (uInt)input_length;
    stream->next_out = output;
    stream->avail_out = (uInt)output_length;
    int status = Z_OK;
    while (stream->avail_out > 0 && stream->avail_in > 0) {
        if (inflater->member_end) inflater->member_end = 0;
        status = inflate(stream, Z_NO_FLUSH);
        if (status == Z_STREAM_END) {
            // gzip allows several members back to back: start the next one.
            inflater->member_end = 1;
            if (inflateReset(stream) != Z_OK) { status = Z_STREAM_ERROR; break; }
            status = Z_OK;
            continue;
        }
        if (status == Z_BUF_ERROR) { status = Z_OK; break; }
        if (status != Z_OK) break;
    }
    *consumed = input_length - stream->avail_in;
    *produced = output_length - stream->avail_out;
    if (status < 0 || status == Z_NEED_DICT) return status == Z_NEED_DICT ? Z_DATA_ERROR : status;
    return 0;
}

int CNetfilterShim_inflater_at_member_end(const CNetfilterShim_inflater *inflater) {
    return inflater->member_end;
}

const char *CNetfilterShim_inflater_message(const CNetfilterShim_inflater *inflater) {
    return inflater->stream.msg;
}

size_t CNetfilterShim_deflate_bound(size_t length) {
    return compressBound((uLong)length);
}

int CNetfilterShim_deflate(const uint8_t *input, size_t input_length,
                           uint8_t *output, size_t output_capacity, size_t *produced, int level) {
    uLongf length = (uLongf)output_capacity;
    int status = compress2(output, &length, input, (uLong)input_length, level);
    *produced = (size_t)length;
    return status == Z_OK ? 0 : status;
}

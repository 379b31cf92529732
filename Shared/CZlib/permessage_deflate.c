#include "CZlib.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct sb_deflater {
    z_stream stream;
};

struct sb_inflater {
    z_stream stream;
    int window_bits;
    /// A final block ended the stream: the next message starts a new one (keeping the window when asked).
    int ended;
};

sb_deflater *sb_deflater_new(int window_bits, int level) {
    if (window_bits < 8 || window_bits > 15 || level < 0 || level > 9) return NULL;
    if (window_bits == 8) window_bits = 9;
    sb_deflater *deflater = calloc(1, sizeof(sb_deflater));
    if (deflater == NULL) return NULL;
    if (deflateInit2(&deflater->stream, level, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(deflater);
        return NULL;
    }
    return deflater;
}

void sb_deflater_free(sb_deflater *deflater) {
    if (deflater == NULL) return;
    deflateEnd(&deflater->stream);
    free(deflater);
}

size_t sb_deflater_bound(sb_deflater *deflater, size_t length) {
    // deflateBound covers the data; the sync flush adds an empty stored block (at most 5 bytes plus the pending bits).
    return (size_t)deflateBound(&deflater->stream, (uLong)length) + 16;
}

long sb_deflater_message(sb_deflater *deflater, const uint8_t *input, size_t length, uint8_t *output, size_t capacity,
                         int keep_context) {
    z_stream *stream = &deflater->stream;
    if (length > (size_t)UINT32_MAX || capacity > (size_t)UINT32_MAX || capacity < 4) {
        deflateReset(stream);
        return -1;
    }
    stream->next_in = (Bytef *)input;
    stream->avail_in = (uInt)length;
    stream->next_out = output;
    stream->avail_out = (uInt)capacity;
    int status = deflate(stream, Z_SYNC_FLUSH);
    // All output was flushed only when room was left over; otherwise the caller's buffer was too small.
    int complete = (status == Z_OK || status == Z_BUF_ERROR) && stream->avail_in == 0 && stream->avail_out > 0;
    size_t written = capacity - stream->avail_out;
    const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    int ok = complete && written >= 4 && memcmp(output + written - 4, tail, 4) == 0;
    if (!ok || !keep_context) deflateReset(stream);
    return ok ? (long)(written - 4) : -1;
}

sb_inflater *sb_inflater_new(int window_bits) {
    if (window_bits < 8 || window_bits > 15) return NULL;
    sb_inflater *inflater = calloc(1, sizeof(sb_inflater));
    if (inflater == NULL) return NULL;
    inflater->window_bits = window_bits;
    if (inflateInit2(&inflater->stream, -window_bits) != Z_OK) {
        free(inflater);
        return NULL;
    }
    return inflater;
}

void sb_inflater_free(sb_inflater *inflater) {
    if (inflater == NULL) return;
    inflateEnd(&inflater->stream);
    free(inflater);
}

int sb_inflater_begin(sb_inflater *inflater, int keep_context) {
    z_stream *stream = &inflater->stream;
    if (!keep_context) {
        inflater->ended = 0;
        return inflateReset(stream) == Z_OK ? 0 : -1;
    }
    if (!inflater->ended) return 0;
    // A new DEFLATE stream that may still refer back into the previous messages: carry the window over.
    inflater->ended = 0;
    uInt size = 1u << inflater->window_bits;
    Bytef *window = malloc(size);
    if (window == NULL) return -1;
    uInt have = 0;
    int ok = inflateGetDictionary(stream, window, &have) == Z_OK && inflateReset(stream) == Z_OK &&
             (have == 0 || inflateSetDictionary(stream, window, have) == Z_OK);
    free(window);
    return ok ? 0 : -1;
}

int sb_inflater_run(sb_inflater *inflater, const uint8_t *input, size_t length, size_t *consumed, uint8_t *output,
                    size_t capacity, size_t *produced) {
    z_stream *stream = &inflater->stream;
    *consumed = 0;
    *produced = 0;
    if (inflater->ended) {
        // Nothing after a final block belongs to the message (the 00 00 ff ff tail included): skip it.
        *consumed = length;
        return SB_INFLATE_STREAM_END;
    }
    if (length > (size_t)UINT32_MAX) length = (size_t)UINT32_MAX;
    if (capacity > (size_t)UINT32_MAX) capacity = (size_t)UINT32_MAX;
    stream->next_in = (Bytef *)input;
    stream->avail_in = (uInt)length;
    stream->next_out = output;
    stream->avail_out = (uInt)capacity;
    int status = inflate(stream, Z_SYNC_FLUSH);
    *consumed = length - stream->avail_in;
    *produced = capacity - stream->avail_out;
    switch (status) {
    case Z_OK:
    case Z_BUF_ERROR:
        return SB_INFLATE_OK;
    case Z_STREAM_END:
        inflater->ended = 1;
        return SB_INFLATE_STREAM_END;
    default:
        return SB_INFLATE_DATA_ERROR;
    }
}

// permessage-deflate (RFC 7692) over the system zlib: the few calls the edge, its tests and benchmarks need, with the
// z_stream kept on the C side (zlib's init functions are macros, which Swift does not import).
#ifndef SWITCHBOARD_CZLIB_H
#define SWITCHBOARD_CZLIB_H

#include <stddef.h>
#include <stdint.h>

/// A raw-DEFLATE compressor for whole messages.
typedef struct sb_deflater sb_deflater;

/// `window_bits` 8...15 (8 is compressed with 9, which zlib requires for raw DEFLATE; a 9-bit window never reaches
/// back more than 250 bytes, so an 8-bit inflater reads it), `level` 0...9. NULL when zlib refuses or memory is out.
sb_deflater *sb_deflater_new(int window_bits, int level);
void sb_deflater_free(sb_deflater *deflater);
/// The most bytes `sb_deflater_message` may write for `length` input bytes.
size_t sb_deflater_bound(sb_deflater *deflater, size_t length);
/// Compresses one whole message: raw DEFLATE, sync-flushed, the trailing 00 00 ff ff removed (RFC 7692 §7.2.1). With
/// `keep_context` 0 it then resets (the next message is compressed alone: what the edge always does); 1 keeps the
/// window, as a client taking context over does. Returns the length written, or -1 when `capacity` was too small or
/// zlib failed (the deflater is reset then).
long sb_deflater_message(sb_deflater *deflater, const uint8_t *input, size_t length, uint8_t *output, size_t capacity,
                         int keep_context);

/// A raw-DEFLATE decompressor for one peer's messages; its window persists across messages unless reset.
typedef struct sb_inflater sb_inflater;

enum {
    /// Progress made; call again while input remains or the output was filled.
    SB_INFLATE_OK = 0,
    /// A final block ended the DEFLATE stream; input after it belongs to no message.
    SB_INFLATE_STREAM_END = 1,
    /// The data is not valid DEFLATE (or reaches back further than the window).
    SB_INFLATE_DATA_ERROR = -1,
};

/// `window_bits` 8...15: the largest window the peer may use. NULL when zlib refuses or memory is out.
sb_inflater *sb_inflater_new(int window_bits);
void sb_inflater_free(sb_inflater *inflater);
/// Begins a message. `keep_context` 0 forgets the previous messages' window (no context takeover); 1 keeps it, also
/// across a DEFLATE stream a final block ended. Returns 0, or -1 when zlib failed.
int sb_inflater_begin(sb_inflater *inflater, int keep_context);
/// Inflates from `input` into `output` (at most `capacity` bytes): `*consumed` and `*produced` say how much of each.
int sb_inflater_run(sb_inflater *inflater, const uint8_t *input, size_t length, size_t *consumed, uint8_t *output,
                    size_t capacity, size_t *produced);

#endif

// Renderings of raw bytes for text output: a multi-line text block and a
// tcpdump-style hex + ASCII dump (one-line escaping is LineWriter's escape_to). All append to an
// OutputBuffer without allocating.
#pragma once

#include "core/bytes.h"
#include "output/output_buffer.h"

namespace netsift {

// Multi-line text for transcripts: newlines and tabs kept (CR LF shown as a line break),
// other non-printable bytes as \xNN; always ends with a newline.
void append_text_block(OutputBuffer& out, ByteView bytes);
// Lines of "\t0x0010:  4500 0034 1a2b 4000 4006 0000 7f00 0001  E..4.+@.@......."
void append_hexdump(OutputBuffer& out, ByteView bytes);

}  // namespace netsift

// Renderings of raw bytes for text output: escaped text, plain hex, and a
// tcpdump-style hex + ASCII dump. All append to an OutputBuffer without allocating.
#pragma once

#include "core/bytes.h"
#include "output/output_buffer.h"

namespace netsift {

// Printable ASCII as is; \\, \r, \n, \t escaped; anything else as \xNN. One line.
void append_escaped(OutputBuffer& out, ByteView bytes);
// Multi-line text for transcripts: newlines and tabs kept (CR LF shown as a line break),
// other non-printable bytes as \xNN; always ends with a newline.
void append_text_block(OutputBuffer& out, ByteView bytes);
// "47 45 54" (space separated) like the ancestor's DATA_BINARY.
void append_hex(OutputBuffer& out, ByteView bytes);
// Lines of "\t0x0010:  4500 0034 1a2b 4000 4006 0000 7f00 0001  E..4.+@.@......."
void append_hexdump(OutputBuffer& out, ByteView bytes);

}  // namespace netsift

// DNS message parsing (RFC 1035 section 4, with EDNS0 from RFC 6891 and the RR types of
// later RFCs), into the `dns` event fields of docs/events.md: `header`, `questions`,
// `answers`, `authority`, `additional`. Record data is rendered in the zone-file
// presentation form (`10 mail.example.com` for MX, `"text" "more"` for TXT, RFC 3597
// `\# len hex` for types without a dedicated form).
#pragma once

#include <string>

#include "core/bytes.h"
#include "events/event.h"

namespace netsift::dns {

// Adds the message's fields to `event`. Returns false when not even the 12-byte header
// is there; otherwise true, with `error` set (and the fields parsed so far kept) when the
// message ends or breaks inside a section.
bool add_message(ByteView message, Event& event);

// One possibly compressed domain name starting at `pos` in `message`, in presentation
// form without the trailing dot ("." for the root); `pos` moves past the name's own
// bytes. Compression pointers must go back before the current segment (no loops), the
// name is at most 255 bytes. Exposed for tests.
bool read_name(ByteView message, size_t& pos, std::string& out);

// True when `message` is a well-formed DNS message with the counts a resolver or server
// would send: a known opcode, one question (queries), no answers in a query, every name
// valid and the question's printable (and not a NetBIOS-encoded name: NBNS shares the
// format), known classes, and the records ending exactly at the end. Used to claim DNS
// on ports other than 53 without claiming other UDP protocols. Allocates nothing.
bool plausible_message(ByteView message);
// The header checks of plausible_message alone (the first 12 bytes).
bool plausible_header(ByteView message);

// "A", "AAAA", ... or "TYPE65534"; "IN", "CH", ... or "CLASS7".
std::string type_name(uint16_t type);
std::string class_name(uint16_t cls);

}  // namespace netsift::dns

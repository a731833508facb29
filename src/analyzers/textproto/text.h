// Small text helpers shared by the line-based login analyzers: case-insensitive
// keywords, words of a command line, base64 (SASL), and wire bytes made safe for events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace netsift::textproto {

// ASCII case-insensitive equality (protocol keywords are ASCII).
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// Splits off the first space-delimited word of `line` (runs of spaces skipped); `rest`
// gets what follows the spaces after it.
std::string_view first_word(std::string_view line, std::string_view& rest);
std::string_view trim(std::string_view s);

// Base64 (RFC 4648, padding optional, no other characters allowed but surrounding
// spaces); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

// Bytes from the wire as event text: kept when they are clean UTF-8 without control
// characters, else printable ASCII kept and the rest written \xNN. At most `max` bytes
// of input are used.
std::string wire_text(std::string_view bytes, size_t max = 256);

// Lower-case hex of `bytes`.
std::string hex(std::string_view bytes);

// A decimal count at the start of `s` (digits only, no sign); nullopt when absent or
// above `max`.
std::optional<uint64_t> parse_count(std::string_view s, uint64_t max);

// What can be trusted of a command line whose end a capture gap took: its verb, and for
// AUTH the mechanism, with "=" (an empty initial response) standing for one that was
// sent but cut, so that the attempt is still reported without the cut credentials and
// the next SASL answer is not taken for the first (a LOGIN password for the user name).
std::string cut_command(std::string_view line);

// A line that can only start where a line starts (LineReader's test after a gap): a
// command verb (3 to 12 capitals, then a space or the line end), as FTP, SMTP, POP3 and
// (after the tag) IMAP clients send them.
bool looks_like_command(std::string_view line);

}  // namespace netsift::textproto

// Header fields from a raw header block, in order, repeated fields kept (libhtp's own
// table joins repeats into one value).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace netsift::http {

struct Header {
  std::string name;  // lower case
  std::string value;
};

// Lines "Name: value" separated by LF or CRLF; continuation lines (starting with space or
// tab, obsolete folding) join the previous value with one space. A first line without a
// colon (a request or status line) and lines without a colon are skipped.
std::vector<Header> parse_header_block(std::string_view block);

// The first value of `name` (lower case), or "".
std::string_view find_header(const std::vector<Header>& headers, std::string_view name);

}  // namespace netsift::http

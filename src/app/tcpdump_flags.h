// tcpdump flags netsift does not take, with what to do instead: said when the command
// line fails to parse, so a tcpdump user learns why rather than just "unknown option".
#pragma once

#include <string>
#include <string_view>

namespace netsift {

// Empty when `arg` is not such a flag.
std::string tcpdump_flag_hint(std::string_view arg);

}  // namespace netsift

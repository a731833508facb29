// Dropping root after the capture device is open (tcpdump's -Z): a parser bug in
// netsift then runs as an unprivileged user, not as root.
#pragma once

#include <string>

namespace netsift {

// Switches the process to `user` (its uid, primary gid and supplementary groups) and
// checks that root cannot be regained; false with `error` set otherwise. Does nothing
// (true) when the process is not root, as tcpdump does.
bool drop_privileges(const std::string& user, std::string& error);

}  // namespace netsift

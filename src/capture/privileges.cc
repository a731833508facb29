#include "capture/privileges.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace netsift {

bool drop_privileges(const std::string& user, std::string& error) {
  if (geteuid() != 0 && getuid() != 0) return true;
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
    error = fmt::format("-Z {}: no such user", user);
    return false;
  }
  // Groups first: once the uid is gone, they can no longer be changed.
  if (initgroups(found->pw_name, found->pw_gid) != 0 || setgid(found->pw_gid) != 0 ||
      setuid(found->pw_uid) != 0) {
    error = fmt::format("-Z {}: cannot switch to this user: {}", user, std::strerror(errno));
    return false;
  }
  if (found->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
    error = fmt::format("-Z {}: root could be regained after switching user", user);
    return false;
  }
  return true;
}

}  // namespace netsift

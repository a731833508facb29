#include "output/safe_file.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace netsift {
namespace {

mode_t file_mode(FileSecrecy s) {
  return s == FileSecrecy::Secret ? 0600 : 0644;
}

// The directory holding `name`: `dir_fd` itself, or the parent named by a path.
bool parent_of(int dir_fd, const std::string& name, struct stat& st) {
  size_t slash = name.rfind('/');
  if (slash == std::string::npos) return fstatat(dir_fd, ".", &st, 0) == 0;
  std::string parent = slash == 0 ? "/" : name.substr(0, slash);
  return fstatat(dir_fd, parent.c_str(), &st, 0) == 0;
}

// Others can add or swap names there (e.g. /tmp): an existing entry may be planted.
bool shared(const struct stat& dir) {
  return (dir.st_mode & S_IWOTH) != 0;
}

// An existing file we may write to: ours, or in a directory only trusted users write to.
bool check_existing(int dir_fd, const std::string& name, const struct stat& st,
                    const std::string& shown, std::string& error) {
  if (S_ISDIR(st.st_mode)) {
    error = fmt::format("{}: is a directory", shown);
    return false;
  }
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
    error = fmt::format("{}: exists and is not a regular file", shown);
    return false;
  }
  struct stat dir {};
  if (S_ISREG(st.st_mode) && parent_of(dir_fd, name, dir) && shared(dir) &&
      (st.st_uid != geteuid() || st.st_nlink != 1)) {
    error = fmt::format(
        "{}: refused: an existing file {} in a directory every user can write to (it may "
        "have been planted there); remove it or choose another name",
        shown, st.st_uid != geteuid() ? "of another user" : "with several links");
    return false;
  }
  return true;
}

std::string link_or_cause(int dir_fd, const std::string& name, int err) {
  struct stat st {};
  if ((err == ELOOP || err == ENOTDIR || err == EMLINK) &&
      fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    return "is a symbolic link (refused: it could send the output elsewhere)";
  }
  return std::strerror(err);
}

}  // namespace

int open_output_file(int dir_fd, const std::string& name, IfExists existing, FileSecrecy secrecy,
                     std::string& error, const std::string& shown_name) {
  const std::string& shown = shown_name.empty() ? name : shown_name;
  const int append = existing == IfExists::Append ? O_APPEND : 0;
  // Append files are also read back (hash deduplication); the others are write-only.
  const int access = existing == IfExists::Append ? O_RDWR : O_WRONLY;
  // A name removed between the two opens below is created on the next turn.
  for (int attempt = 0; attempt < 3; ++attempt) {
    // O_EXCL fails on any existing name, a dangling link included: what is created is new.
    int fd =
        ::openat(dir_fd, name.c_str(), access | append | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 file_mode(secrecy));
    if (fd >= 0) return fd;
    if (errno != EEXIST) {
      error = fmt::format("{}: cannot create: {}", shown, link_or_cause(dir_fd, name, errno));
      return -1;
    }
    if (existing == IfExists::Refuse) {
      struct stat st {};
      bool link =
          fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      error = link ? fmt::format("{}: is a symbolic link (refused: a new file is expected)", shown)
                   : fmt::format("{}: already exists (a new file is expected)", shown);
      return -1;
    }
    fd = ::openat(dir_fd, name.c_str(), access | append | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      error = fmt::format("{}: cannot open: {}", shown, link_or_cause(dir_fd, name, errno));
      return -1;
    }
    // Checked on what was opened, not on the name: nothing can change in between.
    struct stat st {};
    if (fstat(fd, &st) != 0) {
      error = fmt::format("{}: {}", shown, std::strerror(errno));
      ::close(fd);
      return -1;
    }
    if (!check_existing(dir_fd, name, st, shown, error)) {
      ::close(fd);
      return -1;
    }
    if (existing == IfExists::Replace && S_ISREG(st.st_mode) && ftruncate(fd, 0) != 0) {
      error = fmt::format("{}: cannot truncate: {}", shown, std::strerror(errno));
      ::close(fd);
      return -1;
    }
    return fd;
  }
  error = fmt::format("{}: keeps disappearing while being opened", shown);
  return -1;
}

int open_output_dir(const std::string& path, FileSecrecy secrecy, std::string& error) {
  bool made = ::mkdir(path.c_str(), secrecy == FileSecrecy::Secret ? 0700 : 0755) == 0;
  if (!made && errno != EEXIST) {
    error = fmt::format("{}: cannot create directory: {}", path, std::strerror(errno));
    return -1;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat parent {};
  const bool in_shared = parent_of(AT_FDCWD, path, parent) && shared(parent);
  if (fd < 0) {
    int err = errno;
    struct stat link {};
    if (lstat(path.c_str(), &link) != 0 || !S_ISLNK(link.st_mode)) {
      error = fmt::format("{}: {}", path,
                          err == ENOTDIR ? "exists and is not a directory" : std::strerror(err));
      return -1;
    }
    // A link of one's own (~/out -> /data/out) is followed; one another user made in a
    // shared directory is not (as the kernel's protected_symlinks).
    if (in_shared && link.st_uid != geteuid()) {
      error = fmt::format(
          "{}: is a symbolic link of another user in a directory every user can write to "
          "(refused: it could send the output elsewhere)",
          path);
      return -1;
    }
    fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      error =
          fmt::format("{}: {}", path,
                      errno == ENOTDIR ? "exists and is not a directory" : std::strerror(errno));
      return -1;
    }
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    error = fmt::format("{}: {}", path, std::strerror(errno));
    ::close(fd);
    return -1;
  }
  if (!made && in_shared && st.st_uid != geteuid()) {
    error = fmt::format(
        "{}: refused: an existing directory of another user in a directory every user can "
        "write to (it may have been planted there)",
        path);
    ::close(fd);
    return -1;
  }
  if (shared(st) && !(st.st_mode & S_ISVTX)) {
    error = fmt::format(
        "{}: every user can write there and it is not sticky: others could swap the files "
        "written there (chmod o-w or +t)",
        path);
    ::close(fd);
    return -1;
  }
  if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
    error = fmt::format("{}: cannot write there: {}", path, std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

bool prepare_database_file(const std::string& path, FileSecrecy secrecy, std::string& open_path,
                           std::string& error) {
  int fd = open_output_file(AT_FDCWD, path, IfExists::Append, secrecy, error);
  if (fd < 0) return false;
  struct stat st {};
  bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular) {
    error = fmt::format("{}: a database must be a regular file", path);
    return false;
  }
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    std::string companion = path + suffix;
    struct stat c {};
    if (lstat(companion.c_str(), &c) != 0) continue;  // SQLite creates it with O_NOFOLLOW
    if (S_ISLNK(c.st_mode)) {
      error = fmt::format("{}: is a symbolic link (refused: it could send the output elsewhere)",
                          companion);
      return false;
    }
    if (!check_existing(AT_FDCWD, companion, c, companion, error)) return false;
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  char* real = ::realpath(dir.c_str(), nullptr);
  if (!real) {
    error = fmt::format("{}: {}", dir, std::strerror(errno));
    return false;
  }
  open_path = std::string(real) + (std::string_view(real) == "/" ? "" : "/") +
              path.substr(slash == std::string::npos ? 0 : slash + 1);
  std::free(real);
  return true;
}

}  // namespace netsift

// Every file netsift writes is opened here, so that one set of rules holds for all of
// them (event files, SQLite databases, -w captures, extracted bodies, hash files):
// - the last name is never followed when it is a symbolic link (O_NOFOLLOW: a link
//   planted in a shared directory such as /tmp cannot redirect the write);
// - a new file is created with O_EXCL where one is expected, so nothing planted in
//   between a check and the open is used (there is no separate check: the open is it);
// - an existing file is written only when it is a regular file (or a FIFO/device for a
//   stream), and, in a directory other users can write to, only when it is ours and has
//   one link (a planted file or hard link is refused);
// - a created file gets rw-r--r-- (Public) or rw------- (Secret), narrowed by the umask,
//   never more.
// Errors are "PATH: cause" for the caller to print; the exit status is the caller's.
#pragma once

#include <fcntl.h>

#include <cstdint>
#include <string>

namespace netsift {

enum class FileSecrecy : uint8_t {
  Public,  // 0644 before the umask
  Secret,  // 0600: credentials, hashes
};

enum class IfExists : uint8_t {
  Refuse,   // a new file is expected: any existing name, a link included, is an error
  Replace,  // truncate an existing regular file (-w, as tcpdump)
  Append,   // write after what an existing regular file holds
};

// Opens `name` (relative to `dir_fd`, or AT_FDCWD) for writing. Returns the descriptor,
// or -1 with `error` set. `shown` names the file in messages (default: `name`).
int open_output_file(int dir_fd, const std::string& name, IfExists existing, FileSecrecy secrecy,
                     std::string& error, const std::string& shown = {});
inline int open_output_file(const std::string& path, IfExists existing, FileSecrecy secrecy,
                            std::string& error) {
  return open_output_file(AT_FDCWD, path, existing, secrecy, error);
}

// Creates directory `path` when missing (0755, 0700 for Secret, before the umask) and
// opens it for *at() calls; a symbolic link or anything but a directory is refused.
// Returns the descriptor, or -1 with `error` set.
int open_output_dir(const std::string& path, FileSecrecy secrecy, std::string& error);

// Before SQLite opens a database: creates `path` empty when missing, with the mode SQLite
// then gives its -wal and -shm files too, and checks an existing one and its -wal, -shm
// and -journal companions by the rules above (SQLite opens those with O_NOFOLLOW itself,
// but says only "unable to open database file"). `open_path` is what to give SQLite
// with SQLITE_OPEN_NOFOLLOW: the same file with its directory resolved, since that flag
// refuses a link anywhere in the path (a linked home directory) and only the last name
// is at stake. false with `error` set.
bool prepare_database_file(const std::string& path, FileSecrecy secrecy, std::string& open_path,
                           std::string& error);

}  // namespace netsift

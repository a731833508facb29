#include "output/hash_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "output/safe_file.h"

namespace netsift {

std::unique_ptr<HashFile> HashFile::open(const std::string& path, bool append, std::string& error) {
  int fd = open_output_file(path, append ? IfExists::Append : IfExists::Refuse, FileSecrecy::Secret,
                            error);
  if (fd < 0) {
    if (!append && error.find("already exists") != std::string::npos) {
      error = fmt::format("{}: already exists (remove it, or add to it with --append)", path);
    }
    return nullptr;
  }
  // An existing file is added to only when it already was private and ours.
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ::close(fd);
    error = fmt::format("{}: not a regular file readable by its owner only (0600, ours)", path);
    return nullptr;
  }
  std::unique_ptr<HashFile> file(new HashFile(path, fd));
  if (st.st_size > 0) file->load_existing();
  return file;
}

HashFile::~HashFile() {
  close();
}

void HashFile::load_existing() {
  std::string text, line;
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::pread(fd_, buf, sizeof buf, off_t(text.size()))) > 0) {
    text.append(buf, size_t(n));
    if (text.size() > (64u << 20)) break;  // remember the start of a huge file only
  }
  size_t start = 0;
  while (start < text.size() && seen_.size() < kMaxRemembered) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) seen_.emplace(text, start, end - start);
    start = end + 1;
  }
}

void HashFile::add(std::string_view line) {
  if (fd_ < 0) return;
  for (unsigned char c : line) {
    if (c < 0x20 || c == 0x7f) {
      ++refused_;
      return;
    }
  }
  if (line.empty()) return;
  if (seen_.count(std::string(line))) {
    ++duplicates_;
    return;
  }
  if (seen_.size() < kMaxRemembered) seen_.emplace(line);
  // One write per new line: logins are rare next to packets, and a live capture's
  // file is then complete at every moment.
  std::string out;
  out.reserve(line.size() + 1);
  out.append(line).push_back('\n');
  size_t done = 0;
  while (done < out.size() && error_.empty()) {
    ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = fmt::format("{}: write failed: {}", path_, std::strerror(errno));
      return;
    }
    done += size_t(n);
  }
  ++written_;
}

bool HashFile::close() {
  if (fd_ >= 0) {
    if (::close(fd_) != 0 && error_.empty()) {
      error_ = fmt::format("{}: close failed: {}", path_, std::strerror(errno));
    }
    fd_ = -1;
  }
  return error_.empty();
}

}  // namespace netsift

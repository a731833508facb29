#include "analyzers/http/file_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "output/safe_file.h"

namespace netsift::http {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= size_t(w);
  }
  return true;
}

}  // namespace

class FileWriter final : public BodyConsumer {
 public:
  FileWriter(FileStore& store, FileMeta meta) : store_(store), meta_(std::move(meta)) {
    // A temporary name no one else uses: pid, a counter, and a retry on collision.
    for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
      // The store's address tells the stores of different workers apart.
      tmp_ = fmt::format(".tmp-{}-{:x}-{}", getpid(), reinterpret_cast<uintptr_t>(&store_),
                         store_.counter_++);
      std::string error;
      fd_ = open_output_file(store_.dir_fd_, tmp_, IfExists::Refuse, FileSecrecy::Public, error);
    }
    if (fd_ < 0) failed();
  }
  ~FileWriter() override { discard(); }

  // Counted for the store and for the flow the file belongs to.
  void failed() {
    ++store_.failures_;
    if (meta_.failures) ++*meta_.failures;
  }

  void data(ByteView bytes) override {
    if (fd_ < 0) return;
    size_ += bytes.size();
    if (size_ > store_.max_size_ || !write_all(fd_, bytes.data(), bytes.size())) {
      failed();
      discard();
    }
  }

  void end(bool complete, std::string_view sha256_hex) override {
    if (fd_ < 0) return;
    if (size_ == 0 || !complete || ::close(fd_) != 0) {  // an empty body is no file
      if (complete && size_ != 0) failed();
      fd_ = -1;
      discard();
      return;
    }
    fd_ = -1;
    std::string name(sha256_hex);
    // linkat never replaces nor follows what is there: the first copy of a body wins.
    if (::linkat(store_.dir_fd_, tmp_.c_str(), store_.dir_fd_, name.c_str(), 0) == 0) {
      ++store_.written_;
      write_sidecar(name, sha256_hex);
    } else if (errno != EEXIST) {
      failed();
    }
    ::unlinkat(store_.dir_fd_, tmp_.c_str(), 0);
    tmp_.clear();
  }

 private:
  void discard() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!tmp_.empty()) ::unlinkat(store_.dir_fd_, tmp_.c_str(), 0);
    tmp_.clear();
  }

  void write_sidecar(const std::string& name, std::string_view sha) {
    std::string json = "{";
    json += "\"sha256\":" + json_string(sha);
    json += ",\"size\":" + std::to_string(size_);
    json += ",\"ts\":" + fmt::format("{:.6f}", meta_.ts);
    json += ",\"flow\":" + json_string(meta_.flow);
    if (!meta_.community_id.empty()) json += ",\"community_id\":" + json_string(meta_.community_id);
    json += ",\"direction\":" + json_string(meta_.direction);
    if (!meta_.method.empty()) json += ",\"method\":" + json_string(meta_.method);
    if (!meta_.host.empty()) json += ",\"host\":" + json_string(meta_.host);
    json += ",\"uri\":" + json_string(meta_.uri);
    json += ",\"content_type\":" + json_string(meta_.content_type);
    if (!meta_.part_name.empty()) json += ",\"part_name\":" + json_string(meta_.part_name);
    if (!meta_.filename.empty()) json += ",\"filename\":" + json_string(meta_.filename);
    json += "}\n";
    std::string side = name + ".json";
    std::string error;
    int fd = open_output_file(store_.dir_fd_, side, IfExists::Refuse, FileSecrecy::Public, error);
    if (fd < 0) {
      failed();
      return;
    }
    if (!write_all(fd, reinterpret_cast<const uint8_t*>(json.data()), json.size())) failed();
    ::close(fd);
  }

  FileStore& store_;
  FileMeta meta_;
  std::string tmp_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

FileStore::FileStore(std::string dir, uint64_t max_size)
    : dir_(std::move(dir)), max_size_(max_size) {
  dir_fd_ = open_output_dir(dir_, FileSecrecy::Public, error_);
}

FileStore::~FileStore() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::unique_ptr<BodyConsumer> FileStore::open(FileMeta meta) {
  if (dir_fd_ < 0) return nullptr;
  return std::make_unique<FileWriter>(*this, std::move(meta));
}

}  // namespace netsift::http

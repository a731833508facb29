#include "output/event_sinks.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <rapidjson/prettywriter.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <map>
#include <stdexcept>

#include "output/json_text.h"

namespace netsift {
namespace {

// Renders into a reused string (see json_text.h), then one append.
class JsonlSink final : public EventSink {
 public:
  explicit JsonlSink(OutputBuffer& out) : out_(out) {}
  void emit(const Event& e) override {
    line_.clear();
    append_json(e.doc(), line_);
    line_.push('\n');
    out_.append(line_.view());
    out_.end_record();
  }
  void flush() override { out_.flush(); }

 private:
  OutputBuffer& out_;
  TextBuffer line_;
};

class PrettyJsonSink final : public EventSink {
 public:
  explicit PrettyJsonSink(OutputBuffer& out) : out_(out), stream_(out) {}
  void emit(const Event& e) override {
    rapidjson::PrettyWriter<JsonStream> w(stream_);
    w.SetIndent(' ', 2);
    w.SetMaxDecimalPlaces(6);
    e.doc().Accept(w);
    out_.push('\n');
    out_.end_record();
  }
  void flush() override { out_.flush(); }

 private:
  OutputBuffer& out_;
  JsonStream stream_;
};

class DirectorySink final : public EventSink {
 public:
  explicit DirectorySink(std::string dir) : dir_(std::move(dir)) {
    if (mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
      throw std::runtime_error(
          fmt::format("{}: cannot create output directory: {}", dir_, std::strerror(errno)));
    }
  }
  ~DirectorySink() override {
    for (auto& [kind, f] : files_) {
      f.buffer->flush();
      ::close(f.fd);
    }
  }
  void emit(const Event& e) override {
    auto it = files_.find(e.kind());
    if (it == files_.end()) {
      std::string path = fmt::format("{}/{}.jsonl", dir_, e.kind());
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) {
        throw std::runtime_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
      }
      File f{fd, std::make_unique<OutputBuffer>(fd), nullptr};
      f.sink = make_jsonl_sink(*f.buffer);
      it = files_.emplace(e.kind(), std::move(f)).first;
    }
    it->second.sink->emit(e);
  }
  void flush() override {
    for (auto& [kind, f] : files_) f.buffer->flush();
  }

 private:
  struct File {
    int fd;
    std::unique_ptr<OutputBuffer> buffer;
    std::unique_ptr<EventSink> sink;
  };
  std::string dir_;
  std::map<std::string, File> files_;
};

class SqliteSink final : public EventSink {
 public:
  explicit SqliteSink(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error(fmt::format("{}: cannot open SQLite database: {}", path, msg));
    }
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec(
        "CREATE TABLE IF NOT EXISTS events (ts REAL, event TEXT, src_ip TEXT, src_port INTEGER,"
        " dst_ip TEXT, dst_port INTEGER, proto TEXT, community_id TEXT, json TEXT)");
    exec("CREATE INDEX IF NOT EXISTS events_by_kind ON events(event, ts)");
    sqlite3_prepare_v2(db_, "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1,
                       &insert_, nullptr);
    exec("BEGIN");
  }
  ~SqliteSink() override {
    exec("COMMIT");
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  void emit(const Event& e) override {
    const auto& d = e.doc();
    json_.clear();
    append_json(d, json_);
    sqlite3_bind_double(insert_, 1, double(e.ts()) / 1e9);
    sqlite3_bind_text(insert_, 2, e.kind(), -1, SQLITE_STATIC);
    bind_text(3, d, "src_ip");
    bind_int(4, d, "src_port");
    bind_text(5, d, "dst_ip");
    bind_int(6, d, "dst_port");
    bind_text(7, d, "proto");
    bind_text(8, d, "community_id");
    sqlite3_bind_text(insert_, 9, json_.view().data(), int(json_.view().size()), SQLITE_TRANSIENT);
    sqlite3_step(insert_);
    sqlite3_reset(insert_);
    if (++pending_ >= 10000) flush();
  }
  void flush() override {
    exec("COMMIT");
    exec("BEGIN");
    pending_ = 0;
  }

 private:
  void exec(const char* sql) { sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }
  void bind_text(int col, const rapidjson::Document& d, const char* key) {
    auto it = d.FindMember(key);
    if (it != d.MemberEnd() && it->value.IsString()) {
      sqlite3_bind_text(insert_, col, it->value.GetString(), int(it->value.GetStringLength()),
                        SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(insert_, col);
    }
  }
  void bind_int(int col, const rapidjson::Document& d, const char* key) {
    auto it = d.FindMember(key);
    if (it != d.MemberEnd() && it->value.IsUint64()) {
      sqlite3_bind_int64(insert_, col, int64_t(it->value.GetUint64()));
    } else {
      sqlite3_bind_null(insert_, col);
    }
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  TextBuffer json_;  // reused
  size_t pending_ = 0;
};

}  // namespace

std::unique_ptr<EventSink> make_jsonl_sink(OutputBuffer& out) {
  return std::make_unique<JsonlSink>(out);
}
std::unique_ptr<EventSink> make_pretty_json_sink(OutputBuffer& out) {
  return std::make_unique<PrettyJsonSink>(out);
}
std::unique_ptr<EventSink> make_directory_sink(const std::string& dir) {
  return std::make_unique<DirectorySink>(dir);
}
std::unique_ptr<EventSink> make_sqlite_sink(const std::string& path) {
  return std::make_unique<SqliteSink>(path);
}

}  // namespace netsift

#include "output/event_sinks.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <rapidjson/prettywriter.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "output/json_text.h"
#include "output/safe_file.h"

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

// Numbers as the JSON Lines sink prints them (write_json_double: exact microseconds).
class PrettyWriter : public rapidjson::PrettyWriter<JsonStream> {
 public:
  using rapidjson::PrettyWriter<JsonStream>::PrettyWriter;
  bool Double(double d) {
    if (rapidjson::internal::Double(d).IsNanOrInf()) return Null();
    char text[32];
    return RawValue(text, size_t(write_json_double(d, text) - text), rapidjson::kNumberType);
  }
};

class PrettyJsonSink final : public EventSink {
 public:
  explicit PrettyJsonSink(OutputBuffer& out) : out_(out), stream_(out) {}
  void emit(const Event& e) override {
    PrettyWriter w(stream_);
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

class DirectorySink final : public OutputSink {
 public:
  DirectorySink(std::string dir, int dir_fd, ExistingOutput existing, FileSecrecy secrecy)
      : dir_(std::move(dir)), dir_fd_(dir_fd), existing_(existing), secrecy_(secrecy) {}
  ~DirectorySink() override {
    close();
    ::close(dir_fd_);
  }
  void emit(const Event& e) override {
    if (failed()) return;
    auto it = files_.find(e.kind());
    if (it == files_.end()) {
      std::string name = fmt::format("{}.jsonl", e.kind());
      std::string path = fmt::format("{}/{}", dir_, name);
      // Refuse: the directory held no event file when checked, so one there now was
      // put there by someone else.
      std::string error;
      int fd = open_output_file(
          dir_fd_, name, existing_ == ExistingOutput::Append ? IfExists::Append : IfExists::Refuse,
          secrecy_, error, path);
      if (fd < 0) {
        fail(std::move(error));
        return;
      }
      File f{fd, path, std::make_unique<OutputBuffer>(fd), nullptr};
      f.sink = make_jsonl_sink(*f.buffer);
      it = files_.emplace(e.kind(), std::move(f)).first;
    }
    it->second.sink->emit(e);
    check(it->second);
  }
  void flush() override {
    for (auto& [kind, f] : files_) {
      f.buffer->flush();
      check(f);
    }
  }
  bool close() override {
    for (auto& [kind, f] : files_) {
      f.buffer->flush();
      check(f);
      if (::close(f.fd) != 0) fail(fmt::format("{}: {}", f.path, std::strerror(errno)));
    }
    files_.clear();
    return !failed();
  }

 private:
  struct File {
    int fd;
    std::string path;
    std::unique_ptr<OutputBuffer> buffer;
    std::unique_ptr<EventSink> sink;
  };
  void check(const File& f) {
    if (f.buffer->failed()) {
      fail(fmt::format("{}: write failed: {}", f.path, std::strerror(f.buffer->error())));
    }
  }
  std::string dir_;
  int dir_fd_;  // opened once: the files go where the directory was checked
  ExistingOutput existing_;
  FileSecrecy secrecy_;
  std::map<std::string, File> files_;
};

class SqliteSink final : public OutputSink {
 public:
  explicit SqliteSink(std::string path) : path_(std::move(path)) {}
  ~SqliteSink() override { close(); }

  bool open(ExistingOutput existing, FileSecrecy secrecy, std::string& error) {
    std::string open_path;
    if (!prepare_database_file(path_, secrecy, open_path, error)) return false;
    int rc =
        sqlite3_open_v2(open_path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, nullptr);
    if (rc != SQLITE_OK) {
      error = fmt::format("{}: cannot open SQLite database: {}", path_,
                          db_ ? sqlite3_errmsg(db_) : "out of memory");
      return false;
    }
    // The first statement reads the file: a file that is not a database fails here.
    if (!exec("PRAGMA journal_mode=WAL") || !exec("PRAGMA synchronous=NORMAL") ||
        !exec(
            "CREATE TABLE IF NOT EXISTS events (ts REAL, event TEXT, src_ip TEXT, src_port "
            "INTEGER, dst_ip TEXT, dst_port INTEGER, proto TEXT, community_id TEXT, json TEXT)") ||
        !exec("CREATE INDEX IF NOT EXISTS events_by_kind ON events(event, ts)") ||
        // The end-of-run login summary as a table to query (its rows stay in `events`).
        !exec("CREATE VIEW IF NOT EXISTS auth_summary AS SELECT json_extract(json, '$.src_ip') "
              "AS src_ip, json_extract(json, '$.dst_ip') AS dst_ip, json_extract(json, "
              "'$.service') AS service, json_extract(json, '$.user') AS user, "
              "json_extract(json, '$.result') AS result, json_extract(json, '$.count') AS "
              "count, json_extract(json, '$.first') AS first, json_extract(json, '$.last') AS "
              "last FROM events WHERE event = 'auth_summary'")) {
      error = this->error();
      return false;
    }
    if (existing == ExistingOutput::Refuse) {
      int64_t rows = count_rows();
      if (rows < 0) {
        error = this->error();
        return false;
      }
      if (rows > 0) {
        error = fmt::format(
            "{}: already holds {} events from an earlier run; give --append to add to them, "
            "or another file",
            path_, rows);
        return false;
      }
    }
    if (sqlite3_prepare_v2(db_, "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, &insert_, nullptr) != SQLITE_OK) {
      error = fmt::format("{}: table 'events' has another layout: {}", path_, sqlite3_errmsg(db_));
      return false;
    }
    if (!exec("BEGIN")) {
      error = this->error();
      return false;
    }
    in_transaction_ = true;
    return true;
  }

  bool close() override {
    if (!db_) return !failed();
    if (in_transaction_) {
      if (failed()) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      } else {
        exec("COMMIT");
      }
      in_transaction_ = false;
    }
    sqlite3_finalize(insert_);
    insert_ = nullptr;
    if (sqlite3_close(db_) != SQLITE_OK) fail(fmt::format("{}: cannot close database", path_));
    db_ = nullptr;
    return !failed();
  }

  void emit(const Event& e) override {
    if (failed() || !insert_) return;
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
    int rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    if (rc != SQLITE_DONE) {
      fail(fmt::format("{}: cannot store event: {}", path_, sqlite3_errstr(rc)));
      return;
    }
    if (++pending_ >= 10000) flush();
  }

  // Commits: what is committed survives a later failure.
  void flush() override {
    if (failed() || !in_transaction_ || pending_ == 0) return;
    if (exec("COMMIT")) {
      in_transaction_ = exec("BEGIN");
    } else {
      in_transaction_ = sqlite3_get_autocommit(db_) == 0;
    }
    pending_ = 0;
  }

 private:
  bool exec(const char* sql) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
      fail(fmt::format("{}: {}", path_, msg ? msg : sqlite3_errstr(rc)));
      sqlite3_free(msg);
      return false;
    }
    return true;
  }
  int64_t count_rows() {
    sqlite3_stmt* st = nullptr;
    int64_t rows = -1;
    if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM events", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      rows = sqlite3_column_int64(st, 0);
    } else {
      fail(fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
    }
    sqlite3_finalize(st);
    return rows;
  }
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

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  bool in_transaction_ = false;
  TextBuffer json_;  // reused
  size_t pending_ = 0;
};

// Event files an earlier run left in `dir` (sorted, at most a few named).
std::vector<std::string> existing_event_files(int dir_fd) {
  std::vector<std::string> found;
  int fd = ::dup(dir_fd);  // closedir closes what fdopendir was given
  DIR* d = fd < 0 ? nullptr : fdopendir(fd);
  if (!d) {
    if (fd >= 0) ::close(fd);
    return found;
  }
  while (dirent* entry = readdir(d)) {
    std::string_view name = entry->d_name;
    if (name.size() > 6 && name.substr(name.size() - 6) == ".jsonl") found.emplace_back(name);
  }
  closedir(d);
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

std::unique_ptr<EventSink> make_jsonl_sink(OutputBuffer& out) {
  return std::make_unique<JsonlSink>(out);
}
std::unique_ptr<EventSink> make_pretty_json_sink(OutputBuffer& out) {
  return std::make_unique<PrettyJsonSink>(out);
}
std::unique_ptr<OutputSink> open_directory_sink(const std::string& dir, ExistingOutput existing,
                                                FileSecrecy secrecy, std::string& error) {
  int fd = open_output_dir(dir, FileSecrecy::Public, error);
  if (fd < 0) return nullptr;
  if (existing == ExistingOutput::Refuse) {
    auto found = existing_event_files(fd);
    if (!found.empty()) {
      std::string names;
      for (size_t i = 0; i < found.size() && i < 3; ++i) names += (i ? ", " : "") + found[i];
      if (found.size() > 3) names += ", ...";
      error = fmt::format(
          "{}: already holds event files from an earlier run ({}); give --append to add to "
          "them, or another directory",
          dir, names);
      ::close(fd);
      return nullptr;
    }
  }
  return std::make_unique<DirectorySink>(dir, fd, existing, secrecy);
}

std::unique_ptr<OutputSink> open_sqlite_sink(const std::string& path, ExistingOutput existing,
                                             FileSecrecy secrecy, std::string& error) {
  auto sink = std::make_unique<SqliteSink>(path);
  if (!sink->open(existing, secrecy, error)) return nullptr;
  return sink;
}

}  // namespace netsift

#include "stats/stats_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <stdexcept>

#include "output/safe_file.h"

namespace netsift {
namespace {

// Bumped when a table changes shape; a database made by another version is refused
// rather than written inconsistently.
constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS stats_meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS stats_runs(
  run_id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL, input TEXT, version TEXT, bucket_seconds REAL,
  home TEXT, geoip TEXT, first_ts REAL, last_ts REAL, packets INTEGER,
  complete INTEGER NOT NULL DEFAULT 0, summary TEXT);
CREATE TABLE IF NOT EXISTS host_stats(
  run_id INTEGER, bucket REAL, ip TEXT, country TEXT, location TEXT, home INTEGER,
  packets_in INTEGER, bytes_in INTEGER, packets_out INTEGER, bytes_out INTEGER,
  flows INTEGER, peers INTEGER, ports INTEGER);
CREATE INDEX IF NOT EXISTS host_stats_ip ON host_stats(ip, bucket);
CREATE INDEX IF NOT EXISTS host_stats_bucket ON host_stats(bucket);
CREATE INDEX IF NOT EXISTS host_stats_country ON host_stats(country, bucket);
CREATE TABLE IF NOT EXISTS service_stats(
  run_id INTEGER, bucket REAL, proto TEXT, port INTEGER, service TEXT,
  packets INTEGER, bytes INTEGER, flows INTEGER);
CREATE INDEX IF NOT EXISTS service_stats_bucket ON service_stats(bucket);
CREATE TABLE IF NOT EXISTS country_stats(
  run_id INTEGER, bucket REAL, country TEXT, packets INTEGER, bytes INTEGER, flows INTEGER);
CREATE INDEX IF NOT EXISTS country_stats_country ON country_stats(country, bucket);
CREATE TABLE IF NOT EXISTS protocol_stats(
  run_id INTEGER, bucket REAL, proto TEXT, packets INTEGER, bytes INTEGER, flows INTEGER);
CREATE TABLE IF NOT EXISTS tcp_flag_stats(
  run_id INTEGER, bucket REAL, packets INTEGER, syn INTEGER, synack INTEGER, fin INTEGER,
  rst INTEGER);
CREATE TABLE IF NOT EXISTS flows(
  run_id INTEGER, proto TEXT, client_ip TEXT, client_port INTEGER, server_ip TEXT,
  server_port INTEGER, first_ts REAL, last_ts REAL, packets_to_server INTEGER,
  bytes_to_server INTEGER, packets_to_client INTEGER, bytes_to_client INTEGER, service TEXT,
  app TEXT, client_country TEXT, server_country TEXT, tcp_state TEXT, end_reason TEXT);
CREATE INDEX IF NOT EXISTS flows_client ON flows(client_ip, first_ts);
CREATE INDEX IF NOT EXISTS flows_server ON flows(server_ip, first_ts);
CREATE INDEX IF NOT EXISTS flows_first ON flows(first_ts);
CREATE TABLE IF NOT EXISTS alerts(
  run_id INTEGER, ts REAL, kind TEXT, src_ip TEXT, dst_ip TEXT, port INTEGER, count INTEGER,
  window REAL, detail TEXT);
CREATE INDEX IF NOT EXISTS alerts_kind ON alerts(kind, ts);
)sql";

constexpr const char* kPacketSchema = R"sql(
CREATE TABLE IF NOT EXISTS ip_statistic_tuple(
  run_id INTEGER, direct TEXT, ts REAL, protocol TEXT, src_ip TEXT, src_port INTEGER,
  src_ip_geo TEXT, src_port_service TEXT, dst_ip TEXT, dst_port INTEGER, dst_ip_geo TEXT,
  dst_port_service TEXT, packet_length INTEGER, data_length INTEGER, tcp_flags TEXT);
CREATE INDEX IF NOT EXISTS ip_statistic_tuple_ts ON ip_statistic_tuple(ts);
CREATE INDEX IF NOT EXISTS ip_statistic_tuple_src ON ip_statistic_tuple(src_ip, ts);
CREATE INDEX IF NOT EXISTS ip_statistic_tuple_dst ON ip_statistic_tuple(dst_ip, ts);
)sql";

double secs(TimestampNs ts) {
  return double(ts) / 1e9;
}

void bind_text(sqlite3_stmt* s, int col, std::string_view v) {
  if (v.empty()) {
    sqlite3_bind_null(s, col);
  } else {
    sqlite3_bind_text(s, col, v.data(), int(v.size()), SQLITE_TRANSIENT);
  }
}

void bind_ip(sqlite3_stmt* s, int col, const IpAddress* a) {
  if (!a || a->empty()) {
    sqlite3_bind_null(s, col);
    return;
  }
  char buf[kMaxAddressText];
  sqlite3_bind_text(s, col, buf, int(format_address(*a, buf)), SQLITE_TRANSIENT);
}

void bind_u64(sqlite3_stmt* s, int col, uint64_t v) {
  sqlite3_bind_int64(s, col, int64_t(v));
}

// One side of a packet row, from column `col` on: address, port (null when the packet
// has none), location, service.
void bind_side(sqlite3_stmt* s, int col, const IpAddress* ip, bool has_port, uint16_t port,
               std::string_view geo, std::string_view service) {
  bind_ip(s, col, ip);
  if (has_port) {
    sqlite3_bind_int(s, col + 1, port);
  } else {
    sqlite3_bind_null(s, col + 1);
  }
  bind_text(s, col + 2, geo);
  bind_text(s, col + 3, service);
}

// One overload per column kind, so a row's values bind by position (bucket_row).
void bind_value(sqlite3_stmt* s, int col, std::string_view v) {
  bind_text(s, col, v);
}
void bind_value(sqlite3_stmt* s, int col, const IpAddress& v) {
  bind_ip(s, col, &v);
}
void bind_value(sqlite3_stmt* s, int col, int v) {  // ports, flags (promoted)
  sqlite3_bind_int(s, col, v);
}
void bind_value(sqlite3_stmt* s, int col, uint64_t v) {
  bind_u64(s, col, v);
}

}  // namespace

template <typename... Values>
void StatsStore::bucket_row(sqlite3_stmt* s, TimestampNs bucket, const Values&... values) {
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_double(s, 2, secs(bucket));
  int col = 3;
  (bind_value(s, col++, values), ...);
  step(s);
  row_done();
}

StatsStore::StatsStore(const std::string& path, const StoreRun& run)
    : path_(path), batch_rows_(run.batch_rows ? run.batch_rows : 1) {
  std::string open_path, unsafe;
  if (!prepare_database_file(path, FileSecrecy::Public, open_path, unsafe)) {
    throw std::runtime_error(unsafe);
  }
  if (sqlite3_open_v2(open_path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(fmt::format("cannot open SQLite database {}: {}", path, msg));
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    // Reading the schema first proves the file is a database before anything is written.
    exec("SELECT count(*) FROM sqlite_master");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA cache_size=-65536");  // 64 MiB: index pages of bulk inserts stay in memory
    exec("BEGIN IMMEDIATE");
    in_txn_ = true;
    exec(kSchema);
    if (run.per_packet) exec(kPacketSchema);
    sqlite3_stmt* v = prepare("SELECT value FROM stats_meta WHERE key='schema_version'");
    int have = 0;
    if (sqlite3_step(v) == SQLITE_ROW) have = sqlite3_column_int(v, 0);
    sqlite3_finalize(v);
    if (have != 0 && have != kSchemaVersion) {
      throw std::runtime_error(
          fmt::format("schema version {} (this netsift writes {})", have, kSchemaVersion));
    }
    exec(fmt::format("INSERT OR REPLACE INTO stats_meta VALUES('schema_version','{}')",
                     kSchemaVersion)
             .c_str());
    if (run.replace) {
      for (const char* t : {"stats_runs", "host_stats", "service_stats", "country_stats",
                            "protocol_stats", "tcp_flag_stats", "flows", "alerts"}) {
        exec(fmt::format("DELETE FROM {}", t).c_str());
      }
      if (run.per_packet) exec("DELETE FROM ip_statistic_tuple");
    }
    sqlite3_stmt* r = prepare(
        "INSERT INTO stats_runs(started, input, version, bucket_seconds, home, geoip) "
        "VALUES(julianday('now') * 86400 - 210866760000, ?1, ?2, ?3, ?4, ?5)");
    bind_text(r, 1, run.input);
    bind_text(r, 2, run.version);
    sqlite3_bind_double(r, 3, run.bucket_seconds);
    bind_text(r, 4, run.home);
    bind_text(r, 5, run.geoip);
    step(r);
    sqlite3_finalize(r);
    run_id_ = sqlite3_last_insert_rowid(db_);
    commit();  // the run row exists even if the run is killed before its first batch
    if (run.per_packet) {
      packet_ = prepare(
          "INSERT INTO ip_statistic_tuple "
          "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)");
    }
    host_ = prepare("INSERT INTO host_stats VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)");
    service_ = prepare("INSERT INTO service_stats VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
    country_ = prepare("INSERT INTO country_stats VALUES(?1,?2,?3,?4,?5,?6)");
    protocol_ = prepare("INSERT INTO protocol_stats VALUES(?1,?2,?3,?4,?5,?6)");
    flags_ = prepare("INSERT INTO tcp_flag_stats VALUES(?1,?2,?3,?4,?5,?6,?7)");
    flow_ = prepare(
        "INSERT INTO flows VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)");
    alert_ = prepare("INSERT INTO alerts VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    finish_ = prepare(
        "UPDATE stats_runs SET first_ts=?1, last_ts=?2, packets=?3, complete=?6, summary=?4 "
        "WHERE run_id=?5");
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    if (in_txn_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    for (sqlite3_stmt* s :
         {packet_, host_, service_, country_, protocol_, flags_, flow_, alert_, finish_}) {
      sqlite3_finalize(s);
    }
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(fmt::format("SQLite database {}: {}", path, msg));
  }
}

StatsStore::~StatsStore() {
  if (!db_) return;
  if (in_txn_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  for (sqlite3_stmt* s :
       {packet_, host_, service_, country_, protocol_, flags_, flow_, alert_, finish_}) {
    sqlite3_finalize(s);
  }
  sqlite3_close(db_);
}

void StatsStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw std::runtime_error(msg);
  }
}

sqlite3_stmt* StatsStore::prepare(const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db_));
  }
  return s;
}

void StatsStore::step(sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE)
    throw std::runtime_error(fmt::format("{}: {}", path_, sqlite3_errmsg(db_)));
}

void StatsStore::row_done() {
  ++rows_;
  if (++pending_ >= batch_rows_) commit();
}

void StatsStore::commit() {
  if (in_txn_) exec("COMMIT");
  exec("BEGIN");
  in_txn_ = true;
  pending_ = 0;
}

void StatsStore::packet(const PacketRow& r) {
  sqlite3_stmt* s = packet_;
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_text(s, 2, r.direct, -1, SQLITE_STATIC);
  sqlite3_bind_double(s, 3, secs(r.ts));
  bind_text(s, 4, r.protocol);
  bind_side(s, 5, r.src, r.has_ports, r.src_port, r.src_geo, r.src_service);
  bind_side(s, 9, r.dst, r.has_ports, r.dst_port, r.dst_geo, r.dst_service);
  sqlite3_bind_int64(s, 13, r.packet_length);
  sqlite3_bind_int64(s, 14, r.data_length);
  bind_text(s, 15, r.tcp_flags);
  step(s);
  row_done();
}

void StatsStore::host(TimestampNs bucket, const IpAddress& ip, std::string_view country,
                      std::string_view location, bool home, uint64_t packets_in, uint64_t bytes_in,
                      uint64_t packets_out, uint64_t bytes_out, uint64_t flows, uint64_t peers,
                      uint64_t ports) {
  bucket_row(host_, bucket, ip, country, location, int(home), packets_in, bytes_in, packets_out,
             bytes_out, flows, peers, ports);
}

void StatsStore::service(TimestampNs bucket, std::string_view proto, uint16_t port,
                         std::string_view name, uint64_t packets, uint64_t bytes, uint64_t flows) {
  bucket_row(service_, bucket, proto, int(port), name, packets, bytes, flows);
}

void StatsStore::country(TimestampNs bucket, std::string_view country, uint64_t packets,
                         uint64_t bytes, uint64_t flows) {
  bucket_row(country_, bucket, country, packets, bytes, flows);
}

void StatsStore::protocol(TimestampNs bucket, std::string_view proto, uint64_t packets,
                          uint64_t bytes, uint64_t flows) {
  bucket_row(protocol_, bucket, proto, packets, bytes, flows);
}

void StatsStore::tcp_flags(TimestampNs bucket, uint64_t packets, uint64_t syn, uint64_t synack,
                           uint64_t fin, uint64_t rst) {
  bucket_row(flags_, bucket, packets, syn, synack, fin, rst);
}

void StatsStore::flow(const FlowRow& f) {
  sqlite3_stmt* s = flow_;
  sqlite3_bind_int64(s, 1, run_id_);
  bind_text(s, 2, f.proto);
  bind_ip(s, 3, f.client);
  sqlite3_bind_int(s, 4, f.client_port);
  bind_ip(s, 5, f.server);
  sqlite3_bind_int(s, 6, f.server_port);
  sqlite3_bind_double(s, 7, secs(f.first));
  sqlite3_bind_double(s, 8, secs(f.last));
  bind_u64(s, 9, f.packets_to_server);
  bind_u64(s, 10, f.bytes_to_server);
  bind_u64(s, 11, f.packets_to_client);
  bind_u64(s, 12, f.bytes_to_client);
  bind_text(s, 13, f.service);
  bind_text(s, 14, f.app);
  bind_text(s, 15, f.client_country);
  bind_text(s, 16, f.server_country);
  bind_text(s, 17, f.tcp_state);
  bind_text(s, 18, f.end);
  step(s);
  row_done();
}

void StatsStore::alert(TimestampNs ts, std::string_view kind, const IpAddress* src,
                       const IpAddress* dst, uint16_t port, uint64_t count, TimestampNs window,
                       std::string_view detail) {
  sqlite3_stmt* s = alert_;
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_double(s, 2, secs(ts));
  bind_text(s, 3, kind);
  bind_ip(s, 4, src);
  bind_ip(s, 5, dst);
  if (port)
    sqlite3_bind_int(s, 6, port);
  else
    sqlite3_bind_null(s, 6);
  bind_u64(s, 7, count);
  sqlite3_bind_double(s, 8, secs(window));
  bind_text(s, 9, detail);
  step(s);
  row_done();
}

void StatsStore::finish(TimestampNs first_ts, TimestampNs last_ts, uint64_t packets,
                        std::string_view summary, bool complete) {
  sqlite3_stmt* s = finish_;
  sqlite3_bind_double(s, 1, secs(first_ts));
  sqlite3_bind_double(s, 2, secs(last_ts));
  bind_u64(s, 3, packets);
  bind_text(s, 4, summary);
  sqlite3_bind_int64(s, 5, run_id_);
  sqlite3_bind_int(s, 6, complete ? 1 : 0);
  step(s);
  commit();
}

}  // namespace netsift

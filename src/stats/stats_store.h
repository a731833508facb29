// The SQLite store of `netsift stats` (schema: docs/stats.md). One row in stats_runs
// per run; buckets, flows, alerts and (with --per-packet) the ancestor's
// ip_statistic_tuple rows refer to it by run_id. WAL journal; rows go in batched
// transactions, committed every `batch_rows` rows and at the end of every bucket, so a
// run killed midway leaves a readable database holding every committed batch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/ip_address.h"
#include "core/timestamp.h"

struct sqlite3;
struct sqlite3_stmt;

namespace netsift {

struct StoreRun {
  std::string input, version, home, geoip;
  double bucket_seconds = 60;
  bool per_packet = false;
  bool replace = false;  // delete every earlier run's rows first (default: append)
  size_t batch_rows = 10000;
};

struct PacketRow {
  const char* direct;
  TimestampNs ts;
  std::string_view protocol;
  const IpAddress* src;
  uint16_t src_port;
  bool has_ports;
  std::string_view src_geo, src_service;
  const IpAddress* dst;
  uint16_t dst_port;
  std::string_view dst_geo, dst_service;
  uint32_t packet_length, data_length;
  std::string_view tcp_flags;
};

class StatsStore {
 public:
  // Opens or creates the database; throws std::runtime_error naming the file and the
  // reason (not a database, a newer schema, locked, ...), leaving the file as it was.
  StatsStore(const std::string& path, const StoreRun& run);
  ~StatsStore();
  StatsStore(const StatsStore&) = delete;
  StatsStore& operator=(const StatsStore&) = delete;

  int64_t run_id() const { return run_id_; }
  void packet(const PacketRow& r);
  void host(TimestampNs bucket, const IpAddress& ip, std::string_view country,
            std::string_view location, bool home, uint64_t packets_in, uint64_t bytes_in,
            uint64_t packets_out, uint64_t bytes_out, uint64_t flows, uint64_t peers,
            uint64_t ports);
  void service(TimestampNs bucket, std::string_view proto, uint16_t port, std::string_view name,
               uint64_t packets, uint64_t bytes, uint64_t flows);
  void country(TimestampNs bucket, std::string_view country, uint64_t packets, uint64_t bytes,
               uint64_t flows);
  void protocol(TimestampNs bucket, std::string_view proto, uint64_t packets, uint64_t bytes,
                uint64_t flows);
  void tcp_flags(TimestampNs bucket, uint64_t packets, uint64_t syn, uint64_t synack, uint64_t fin,
                 uint64_t rst);
  struct FlowRow {
    std::string_view proto;
    const IpAddress *client, *server;
    uint16_t client_port, server_port;
    TimestampNs first, last;
    uint64_t packets_to_server, bytes_to_server, packets_to_client, bytes_to_client;
    std::string_view service, app, client_country, server_country, tcp_state, end;
  };
  void flow(const FlowRow& f);
  void alert(TimestampNs ts, std::string_view kind, const IpAddress* src, const IpAddress* dst,
             uint16_t port, uint64_t count, TimestampNs window, std::string_view detail);
  // Commits the open batch (end of a bucket).
  void commit();
  // Writes the run's summary (JSON), marks it complete when `complete` (the whole input
  // was read; a signal stopping a file early leaves it 0) and commits.
  void finish(TimestampNs first_ts, TimestampNs last_ts, uint64_t packets, std::string_view summary,
              bool complete);
  uint64_t rows() const { return rows_; }

 private:
  void exec(const char* sql);
  sqlite3_stmt* prepare(const char* sql);
  void step(sqlite3_stmt* s);
  void row_done();
  // A per-bucket aggregate row: run, bucket time, then `values` in column order.
  template <typename... Values>
  void bucket_row(sqlite3_stmt* s, TimestampNs bucket, const Values&... values);

  sqlite3* db_ = nullptr;
  std::string path_;
  size_t batch_rows_;
  size_t pending_ = 0;
  uint64_t rows_ = 0;
  int64_t run_id_ = 0;
  bool in_txn_ = false;
  sqlite3_stmt *packet_ = nullptr, *host_ = nullptr, *service_ = nullptr, *country_ = nullptr,
               *protocol_ = nullptr, *flags_ = nullptr, *flow_ = nullptr, *alert_ = nullptr,
               *finish_ = nullptr;
};

}  // namespace netsift

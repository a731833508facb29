// `netsift stats`: IP traffic statistics over the input — whole-capture counters,
// per-bucket aggregates, flow records, anomaly alerts — stored in SQLite (by default),
// reported as text at the end, or written as JSON Lines events ending with
// `stats_summary`.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <stdexcept>

#include "app/capture_options.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/option_values.h"
#include "app/packet_pump.h"
#include "app/run_outputs.h"
#include "app/sharded_sessions.h"
#include "app/stats_config.h"
#include "app/stats_job.h"
#include "output/event_sinks.h"
#include "output/output_buffer.h"
#include "stats/stats_engine.h"

namespace netsift {
namespace {

struct StatsCli {
  CaptureOptions capture;
  StatsOptions stats;
  std::string config_path;
  uint64_t top = 10, sqlite_batch = 10000, max_flows = 1u << 20, max_addresses = 1u << 20,
           max_set_entries = 1u << 20;
  TimestampNs bucket = 60 * kNsPerSec, flow_timeout = 120 * kNsPerSec;
  bool no_dpi = false, no_alerts = false;
  std::vector<std::function<void(StatsOptions&)>> overrides;  // flags given on the command line
};

int run_stats(StatsCli& cli, const std::atomic<bool>& stop) {
  StatsOptions o;
  CaptureOptions capture = cli.capture;
  if (!cli.config_path.empty()) {
    std::string error;
    CaptureOptions file_capture;
    if (!load_stats_config(cli.config_path, file_capture, o, error)) {
      std::fprintf(stderr, "netsift: %s\n", error.c_str());
      return kExitError;
    }
    if (capture.read_files.empty() && capture.interface.empty()) {
      capture.read_files = file_capture.read_files;
      capture.interface = file_capture.interface;
    }
    if (capture.filter_words.empty()) capture.filter_words = file_capture.filter_words;
  }
  for (auto& apply : cli.overrides) apply(o);
  if (std::string usage = check_capture_options(capture); !usage.empty()) {
    std::fprintf(stderr, "netsift: %s\n", usage.c_str());
    return kExitUsage;
  }
  std::string error;
  // Workers on every core leave none for reading the file ahead (capture/read_ahead.h).
  if (uint32_t workers = resolve_workers(o.workers); workers > 1) capture.worker_threads = workers;
  PacketPump pump(capture, stop);
  if (!pump.prepare(error)) {
    std::fprintf(stderr, "netsift: %s\n", error.c_str());
    return kExitError;
  }
  OutputBuffer out(STDOUT_FILENO);
  int code = kExitOk;
  std::unique_ptr<StatsJob> job = StatsJob::open(o, capture, out, nullptr, code);
  if (!job) return code;
  code = pump.run(*job);
  code = job->finish(code, pump.interrupted());
  job.reset();
  code = finish_stdout(out, pump, code);
  if (pump.broken_pipe()) return code;  // the reader went away: stop quietly
  pump.print_summary(stderr);
  return code;
}

}  // namespace

void register_stats_command(CLI::App& root, const std::atomic<bool>& stop, int& exit_code) {
  auto cli = std::make_shared<StatsCli>();
  StatsCli* c = cli.get();
  StatsOptions& s = cli->stats;
  CLI::App* cmd = root.add_subcommand(
      "stats", "IP traffic statistics: counters, top talkers, flows, anomaly alerts (SQLite)");
  add_capture_options(*cmd, cli->capture);
  // Each flag is applied over the config file only when given.
  auto over = [c](CLI::Option* opt, std::function<void(StatsOptions&)> apply) {
    c->overrides.push_back([opt, apply](StatsOptions& o) {
      if (opt->count()) apply(o);
    });
    return opt;
  };
  over(cmd->add_flag("--json", s.json, "JSON Lines events, ending with one stats_summary"),
       [c](auto& o) { o.json = c->stats.json; });
  over(cmd->add_flag("--utc", s.utc, "Text: calendar time in UTC"),
       [c](auto& o) { o.utc = c->stats.utc; });
  over(cmd->add_flag("--per-packet", s.per_packet,
                     "One record per IP packet (text line, `ip` event, SQLite ip_statistic_tuple)"),
       [c](auto& o) { o.per_packet = c->stats.per_packet; });
  over(values::add_positive(*cmd, "--top", c->top, "Entries in each top list (default 10)"),
       [c](auto& o) { o.top = c->top; });
  over(values::add_seconds(*cmd, "--bucket", c->bucket, "Aggregation bucket, seconds (default 60)"),
       [c](auto& o) { o.bucket = c->bucket; });
  over(cmd->add_option("--home", s.home,
                       "Home networks for IN/OUT (default: private ranges; live: the "
                       "interface's networks)")
           ->delimiter(',')
           ->type_name("CIDR[,CIDR]")
           ->allow_extra_args(false),
       [c](auto& o) { o.home = c->stats.home; });
  over(cmd->add_option("--geoip-db", s.geoip_db,
                       "MaxMind-format database (GeoLite2/GeoIP2/DB-IP); repeatable")
           ->type_name("FILE")
           ->allow_extra_args(false),
       [c](auto& o) { o.geoip_db = c->stats.geoip_db; });
  over(cmd->add_flag("--no-geoip", s.no_geoip, "No geolocation"),
       [c](auto& o) { o.no_geoip = c->stats.no_geoip; });
  over(cmd->add_flag("--no-dpi", c->no_dpi, "Do not name application protocols with nDPI"),
       [](auto& o) { o.dpi = false; });
  over(cmd->add_option("--sqlite", s.sqlite_path,
                       "SQLite database (default: INPUT.stats.sqlite in the current directory)")
           ->type_name("FILE"),
       [c](auto& o) { o.sqlite_path = c->stats.sqlite_path; });
  over(cmd->add_flag("--no-sqlite", s.no_sqlite, "Do not write SQLite"),
       [c](auto& o) { o.no_sqlite = c->stats.no_sqlite; });
  over(cmd->add_flag("--sqlite-replace", s.sqlite_replace,
                     "Delete the database's earlier runs first (default: append a run)"),
       [c](auto& o) { o.sqlite_replace = c->stats.sqlite_replace; });
  over(values::add_positive(*cmd, "--sqlite-batch", c->sqlite_batch,
                            "Rows per SQLite transaction (default 10000)"),
       [c](auto& o) { o.sqlite_batch = c->sqlite_batch; });
  over(values::add_positive(*cmd, "--max-flows", c->max_flows,
                            "Flows tracked at once (default 1048576)"),
       [c](auto& o) { o.max_flows = c->max_flows; });
  over(values::add_positive(
           *cmd, "--max-addresses", c->max_addresses,
           "Addresses with counters of their own, run and bucket (default 1048576)"),
       [c](auto& o) { o.max_addresses = c->max_addresses; });
  over(values::add_positive(
           *cmd, "--max-set-entries", c->max_set_entries,
           "Entries in each per-bucket set: peers, ports, probes (default 1048576)"),
       [c](auto& o) { o.max_set_entries = c->max_set_entries; });
  over(values::add_seconds(*cmd, "--flow-timeout", c->flow_timeout,
                           "Idle flow timeout, seconds (default 120)"),
       [c](auto& o) { o.flow_timeout = c->flow_timeout; });
  DetectorConfig& d = s.detectors;
  over(cmd->add_flag("--no-alerts", c->no_alerts, "Do not run the anomaly detectors"),
       [](auto& o) { o.detectors.enabled = false; });
  over(cmd->add_option("--scan-ports", d.scan_ports,
                       "Unanswered SYN (or UDP) ports of one host: vertical scan")
           ->type_name("N"),
       [c](auto& o) { o.detectors.scan_ports = c->stats.detectors.scan_ports; });
  over(cmd->add_option(
              "--scan-hosts", d.scan_hosts,
              "Hosts probed on one port (or pinged) without answer: horizontal scan, ping sweep")
           ->type_name("N"),
       [c](auto& o) { o.detectors.scan_hosts = c->stats.detectors.scan_hosts; });
  over(cmd->add_option("--syn-flood-rate", d.syn_flood_rate, "SYNs/s to one host:port")
           ->type_name("N"),
       [c](auto& o) { o.detectors.syn_flood_rate = c->stats.detectors.syn_flood_rate; });
  over(cmd->add_option("--conn-burst-rate", d.conn_burst_rate,
                       "Connections/s from one source to one login service of one host")
           ->type_name("N"),
       [c](auto& o) { o.detectors.conn_burst_rate = c->stats.detectors.conn_burst_rate; });
  over(values::add_port_list(*cmd, "--conn-burst-ports", d.conn_burst_ports,
                             "Ports --conn-burst-rate watches (default "
                             "21,22,23,110,143,465,587,993,995,3389,5900; none: off)",
                             true),
       [c](auto& o) { o.detectors.conn_burst_ports = c->stats.detectors.conn_burst_ports; });
  over(cmd->add_option("--icmp-flood-rate", d.icmp_flood_rate, "ICMP packets/s to one host")
           ->type_name("N"),
       [c](auto& o) { o.detectors.icmp_flood_rate = c->stats.detectors.icmp_flood_rate; });
  over(cmd->add_option("--udp-flood-rate", d.udp_flood_rate, "Unanswered UDP packets/s to one host")
           ->type_name("N"),
       [c](auto& o) { o.detectors.udp_flood_rate = c->stats.detectors.udp_flood_rate; });
  over(cmd->add_option("--volume-factor", d.volume_factor,
                       "Bucket bytes over the host's average for a volume spike")
           ->type_name("N"),
       [c](auto& o) { o.detectors.volume_factor = c->stats.detectors.volume_factor; });
  over(cmd->add_option("--volume-min-bytes", d.volume_min_bytes,
                       "Smallest bucket volume that can be a spike")
           ->type_name("N"),
       [c](auto& o) { o.detectors.volume_min_bytes = c->stats.detectors.volume_min_bytes; });
  over(cmd->add_option("--nxdomain-count", d.nxdomain_count, "NXDOMAIN answers to one client")
           ->type_name("N"),
       [c](auto& o) { o.detectors.nxdomain_count = c->stats.detectors.nxdomain_count; });
  over(cmd->add_option("--dns-tunnel-queries", d.dns_tunnel_queries,
                       "Long encoded-looking queries under one domain")
           ->type_name("N"),
       [c](auto& o) { o.detectors.dns_tunnel_queries = c->stats.detectors.dns_tunnel_queries; });
  auto* workers = cmd->add_option_function<std::string>(
      "--workers",
      [c](const std::string& v) {
        std::string err = values::workers(v, c->stats.workers);
        if (!err.empty()) throw CLI::ValidationError("--workers", err);
      },
      "Threads the flows are sharded over: N, or auto (one per core, at most 16); the "
      "default 1 is one thread, no queues. The results are the same for any number");
  workers->type_name("N|auto");
  over(workers, [c](auto& o) { o.workers = c->stats.workers; });
  cmd->add_option("--config", cli->config_path,
                  "YAML config file (its stats: section; command-line flags override it)")
      ->type_name("FILE");
  cmd->callback([cli, &stop, &exit_code] { exit_code = run_stats(*cli, stop); });
}

}  // namespace netsift

// `netsift sessions` (TCP sessions and UDP datagrams with protocol analysis) and
// `netsift run --config FILE` (every job the config file enables, in one pass).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

#include "analyzers/registry.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/fanout_sessions.h"
#include "app/option_values.h"
#include "app/packet_pump.h"
#include "app/run_outputs.h"
#include "app/session_filter.h"
#include "app/session_output.h"
#include "app/session_pipeline.h"
#include "app/sharded_sessions.h"
#include "app/stats_config.h"
#include "app/stats_job.h"
#include "detect/auth_monitor.h"
#include "output/event_sinks.h"
#include "output/hash_file.h"
#include "output/packet_printer.h"
#include "output/safe_file.h"

namespace netsift {
namespace {

// Feeds one pass over the input to several consumers, and answers for the outputs.
class TeeConsumer final : public PacketConsumer {
 public:
  void add(PacketConsumer* c) { consumers_.push_back(c); }
  void watch(OutputSink* s) { sinks_.push_back(s); }
  void watch(OutputBuffer* b) { buffers_.push_back(b); }
  void add_flushable(EventSink* s) { flushables_.push_back(s); }
  void on_packet(const PacketView& v, uint64_t frame) override {
    for (auto* c : consumers_) c->on_packet(v, frame);
  }
  void on_input_end(bool last) override {
    for (auto* c : consumers_) c->on_input_end(last);
  }
  void on_idle(TimestampNs now) override {
    for (auto* c : consumers_) c->on_idle(now);
  }
  void flush() override {
    for (auto* c : consumers_) c->flush();
    for (auto* s : flushables_) s->flush();
    for (auto* b : buffers_) b->flush();
  }
  bool output_failed() const override {
    for (auto* s : sinks_) {
      if (s->failed()) return true;
    }
    for (auto* b : buffers_) {
      if (b->failed()) return true;
    }
    return false;
  }

 private:
  std::vector<PacketConsumer*> consumers_;
  std::vector<OutputSink*> sinks_;
  std::vector<OutputBuffer*> buffers_;
  std::vector<EventSink*> flushables_;
};

class PacketPrintConsumer final : public PacketConsumer {
 public:
  explicit PacketPrintConsumer(PacketPrinter& p) : printer_(p) {}
  void on_packet(const PacketView& v, uint64_t frame) override { printer_.print(v, frame); }

 private:
  PacketPrinter& printer_;
};

// `stats`: the stats job's options when the config asks for it (run --config), else null.
int run_jobs(const CaptureOptions& capture, SessionOptions s, const StatsOptions* stats,
             const std::atomic<bool>& stop) {
  // Someone watching a live capture sees each TCP session when it closes, not a linger
  // later (docs/config.md, limits.tcp_closed_linger).
  s.flow.report_at_close = !capture.interface.empty();
  // Workers on every core leave none for reading the file ahead.
  CaptureOptions reading = capture;
  if ((s.tcp || s.udp) && !(s.packets && s.stdout_output)) {
    uint32_t planned = resolve_workers(s.workers);
    reading.worker_threads = planned > 1 ? planned : 0;
    reading.workers_hold_blocks = planned > 1 && !capture.fanout;
  }
  PacketPump pump(reading, stop);
  std::string error;
  // --fanout: one socket per worker, all opened (and privileges dropped) here.
  uint32_t fanout_sockets = capture.fanout ? resolve_workers(s.workers) : 0;
  if (!pump.prepare(error, fanout_sockets)) {
    std::fprintf(stderr, "netsift: %s\n", error.c_str());
    return kExitError;
  }
  // -w -: standard output carries the capture only.
  if (pump.capture_on_stdout()) s.stdout_output = false;
  OutputBuffer out(STDOUT_FILENO);
  // Session records go to `records` (JSON Lines on stdout, directory, SQLite); analyzer
  // events to `analyzer_events` (the same, or indented JSON in text mode), through the
  // session filters.
  FanoutSink records, analyzer_events, file_events;
  std::unique_ptr<HashFile> hashes;
  if (!s.hashes_path.empty()) {
    if (s.flow.app.redact) {
      // --redact promises no secret in any output; the hash lines are nothing else.
      std::fprintf(stderr, "netsift: --hashes writes the secrets --redact hides: use one\n");
      return kExitUsage;
    }
    hashes = HashFile::open(s.hashes_path, s.append, error);
    if (!hashes) {
      std::fprintf(stderr, "netsift: %s\n", error.c_str());
      return kExitError;
    }
  }
  // The extraction directory is checked once here, so that a bad one (a planted link, a
  // file, no permission) ends the run by name rather than as a count of failed files.
  if (auto http = s.flow.app.options.find("http"); http != s.flow.app.options.end()) {
    if (std::string dir(http->second.get_string("extract_dir")); !dir.empty()) {
      int fd = open_output_dir(dir, FileSecrecy::Public, error);
      if (fd < 0) {
        std::fprintf(stderr, "netsift: --extract-files %s\n", error.c_str());
        return kExitError;
      }
      ::close(fd);
    }
  }
  // Analyzer events pass the session filters, then the login detectors, on their way to
  // the outputs.
  AuthMonitor auth(s.auth, analyzer_events, hashes.get());
  SessionFilter filter(s.filters);
  FilteringSink filtered_events(filter, auth);
  std::unique_ptr<EventSink> stdout_sink;
  std::vector<std::unique_ptr<OutputSink>> files;
  TeeConsumer tee;
  ExistingOutput existing = s.append ? ExistingOutput::Append : ExistingOutput::Refuse;
  if (s.stdout_output) {
    stdout_sink = s.json ? make_jsonl_sink(out) : make_pretty_json_sink(out);
    analyzer_events.add(stdout_sink.get());
    if (s.json) records.add(stdout_sink.get());
  }
  for (int kind = 0; kind < 2; ++kind) {
    const std::string& path = kind == 0 ? s.output_dir : s.sqlite_path;
    if (path.empty()) continue;
    // Auth events and HTTP headers carry credentials unless --redact took them out.
    FileSecrecy secrecy = s.flow.app.redact ? FileSecrecy::Public : FileSecrecy::Secret;
    auto sink = kind == 0 ? open_directory_sink(path, existing, secrecy, error)
                          : open_sqlite_sink(path, existing, secrecy, error);
    if (!sink) {
      std::fprintf(stderr, "netsift: %s\n", error.c_str());
      return kExitError;
    }
    records.add(sink.get());
    analyzer_events.add(sink.get());
    file_events.add(sink.get());
    tee.watch(sink.get());
    files.push_back(std::move(sink));
  }
  tee.add_flushable(&records);
  tee.add_flushable(&analyzer_events);
  tee.watch(&out);
  OutputBuffer* text = s.stdout_output && !s.json ? &out : nullptr;
  SessionOutput observer(s, records.empty() ? nullptr : &records, text);
  std::unique_ptr<SessionPipeline> sessions;
  std::unique_ptr<ShardedSessions> sharded;
  std::unique_ptr<FanoutSessions> fanout;
  uint32_t workers = resolve_workers(s.workers);
  // Packet lines interleave with the sessions' output packet by packet: one engine.
  if (s.packets && s.stdout_output) workers = 1;
  // Text is read by a person: in time order unless asked otherwise. JSON Lines keep
  // each flow's events in order and need no merge.
  if (!s.ordered_given && s.stdout_output && !s.json) s.ordered = true;
  ShardedOutputs outputs;
  outputs.out = s.stdout_output ? &out : nullptr;
  outputs.files = file_events.empty() ? nullptr : &file_events;
  outputs.auth = &auth;
  if (fanout_sockets) {
    fanout = std::make_unique<FanoutSessions>(s, capture, pump, outputs, stop);
  } else if ((s.tcp || s.udp) && workers > 1) {
    sharded =
        std::make_unique<ShardedSessions>(s, workers, outputs, capture.one_capture, pump.live());
    tee.add(sharded.get());
  } else if (s.tcp || s.udp) {
    sessions = std::make_unique<SessionPipeline>(s, observer, filtered_events, capture.one_capture);
    tee.add(sessions.get());
  }
  // The stats job sees every packet of the same pass; its report follows the sessions'.
  std::unique_ptr<StatsJob> stats_job;
  if (stats) {
    int code = kExitOk;
    StatsOptions o = *stats;
    if (s.workers_given) o.workers = s.workers;  // --workers or engine.workers: both jobs
    if (!s.stdout_output) {
      // Standard output is off (output.stdout: false, or -w - carries the capture): the
      // job keeps to its database, and its report goes to stderr.
      o.json = false;
      o.per_packet = false;
    }
    stats_job = StatsJob::open(std::move(o), capture, out, s.stdout_output ? stdout : stderr, code);
    if (!stats_job) return code;
    tee.add(stats_job.get());
  }
  std::unique_ptr<PacketPrinter> printer;
  std::unique_ptr<PacketPrintConsumer> packets;
  if (s.packets && s.stdout_output) {
    printer =
        s.json ? make_json_packet_printer(out, {})
               : make_text_packet_printer(out, TextPacketOptions{s.utc, false, false, false, 64});
    packets = std::make_unique<PacketPrintConsumer>(*printer);
    tee.add(packets.get());
  }
  int code = fanout ? fanout->run(tee) : pump.run(tee);
  // Flows still open end now (unless the run stopped on a failed output: the rest would
  // be lost anyway, and the failed sink drops it).
  if (sessions) sessions->finish();
  if (sharded) sharded->finish();
  // The login summary: events to every output in JSON mode (the table to stderr); in
  // text mode the table on stdout and the events to the directory and database only.
  std::string auth_table;
  bool table_on_stdout = s.stdout_output && !s.json;
  auth.finish(table_on_stdout ? &file_events : &analyzer_events, &auth_table, s.utc);
  if (table_on_stdout) out.append(auth_table);
  if (stats_job) {
    analyzer_events.flush();
    code = stats_job->finish(code, pump.interrupted());
    stats_job.reset();
  }
  analyzer_events.flush();
  records.flush();
  for (auto& f : files) code = finish_sink(*f, code);
  if (hashes && !hashes->close()) {
    std::fprintf(stderr, "netsift: %s\n", hashes->error().c_str());
    code = kExitError;
  }
  code = finish_stdout(out, pump, code);
  if (pump.broken_pipe()) return code;  // the reader went away: stop quietly
  pump.print_summary(stderr);
  if (sessions) sessions->print_summary(stderr);
  if (sharded) sharded->print_summary(stderr);
  if (fanout) fanout->print_summary(stderr);
  auth.print_summary(stderr);
  if (!table_on_stdout) std::fputs(auth_table.c_str(), stderr);
  return code;
}

// Command-line values, applied over the config file only where given.
struct SessionCli {
  CaptureOptions capture;
  SessionOptions session;
  std::string config_path;
  bool no_tcp = false, no_udp = false;
  bool no_auth_alerts = false, no_auth_summary = false;
  bool run_command = false;  // `netsift run`: every job the config enables, stats too
  std::vector<std::function<void(CaptureOptions&, SessionOptions&)>> overrides;
};

// --extract-files DIR: the HTTP analyzer's `extract_dir` option (protocols.http).
void add_extract_option(CLI::App* cmd, SessionCli& c) {
  auto dir = std::make_shared<std::string>();
  CLI::Option* opt = cmd->add_option(
      "--extract-files", *dir, "Write each HTTP body once as DIR/<sha256> with a .json sidecar");
  opt->type_name("DIR");
  c.overrides.push_back([opt, dir](CaptureOptions&, SessionOptions& o) {
    if (!opt->count()) return;
    const AnalyzerSpec* http = find_analyzer("http");
    if (http == nullptr) return;
    auto it = o.flow.app.options.try_emplace("http", AnalyzerOptions(http->options)).first;
    std::string error;
    it->second.set("extract_dir", *dir, error);
  });
}

// Login detectors (detect.auth in the config file).
void add_auth_detect_options(CLI::App* cmd, const std::shared_ptr<SessionCli>& cli) {
  SessionCli* p = cli.get();
  // Copies one member from the command line over the config file's, when given.
  auto over = [p](CLI::Option* opt, auto member) {
    p->overrides.push_back([opt, member, p](CaptureOptions&, SessionOptions& ses) {
      if (opt->count()) ses.auth.*member = p->session.auth.*member;
    });
  };
  auto count = [&](const std::string& name, uint32_t AuthDetectConfig::*member, uint32_t max,
                   const std::string& help) {
    auto* opt = cmd->add_option_function<std::string>(
        name,
        [p, name, member, max](const std::string& v) {
          uint64_t n = 0;
          std::string err = values::whole_number(v, 1, max, n);
          if (!err.empty()) throw CLI::ValidationError(name, err);
          p->session.auth.*member = uint32_t(n);
        },
        help);
    over(opt->type_name("N"), member);
  };
  count("--brute-force-failures", &AuthDetectConfig::brute_force_failures, kMaxAuthThreshold,
        "Alert when one source fails N logins to a service within the window (default 10)");
  count("--spray-users", &AuthDetectConfig::spray_users, kMaxAuthThreshold,
        "Alert when one source fails logins to a service as N distinct users within the window "
        "(default 5)");
  count("--compromise-failures", &AuthDetectConfig::compromise_failures, kMaxAuthThreshold,
        "Alert when one source logs in after N failures within the window (default 10)");
  count("--auth-max-sources", &AuthDetectConfig::max_sources, kMaxAuthSources,
        "(source, service) pairs the login detectors track; the least recent is forgotten "
        "(default 10000)");
  over(values::add_seconds(*cmd, "--auth-window", p->session.auth.window,
                           "Sliding window of the login detectors, seconds (default 600)"),
       &AuthDetectConfig::window);
  auto* no_alerts = cmd->add_flag("--no-auth-alerts", p->no_auth_alerts,
                                  "No brute-force, spraying or compromise alerts");
  auto* no_summary = cmd->add_flag("--no-auth-summary", p->no_auth_summary,
                                   "No end-of-run summary of login attempts");
  p->overrides.push_back([no_alerts, no_summary, p](CaptureOptions&, SessionOptions& ses) {
    if (no_alerts->count()) ses.auth.alerts = !p->no_auth_alerts;
    if (no_summary->count()) ses.auth.summary = !p->no_auth_summary;
  });
}

// What analyzers put in events; `run` takes these too, over its config file.
void add_analyzer_flags(CLI::App* cmd, const std::shared_ptr<SessionCli>& cli) {
  SessionCli* p = cli.get();
  CLI::Option* redact = cmd->add_flag("--redact", p->session.flow.app.redact,
                                      "Mask passwords, credentials and hashes in events");
  p->overrides.push_back([redact, p](CaptureOptions&, SessionOptions& o) {
    if (redact->count()) o.flow.app.redact = p->session.flow.app.redact;
  });
  CLI::Option* weird = cmd->add_flag("--weird", p->session.flow.app.weird_events,
                                     "Emit a `weird` event for each analyzer anomaly");
  p->overrides.push_back([weird, p](CaptureOptions&, SessionOptions& o) {
    if (weird->count()) o.flow.app.weird_events = p->session.flow.app.weird_events;
  });
}

// Worker threads and output order; `run` takes these too, over its config file.
void add_engine_options(CLI::App* cmd, const std::shared_ptr<SessionCli>& cli) {
  SessionCli* p = cli.get();
  auto* workers = cmd->add_option_function<std::string>(
      "--workers",
      [p](const std::string& v) {
        std::string err = values::workers(v, p->session.workers);
        if (!err.empty()) throw CLI::ValidationError("--workers", err);
      },
      "Worker threads flows are sharded over: N, or auto (the default: one per core, at most "
      "16); 1 = no threads. Events of one flow stay in order");
  workers->type_name("N|auto");
  p->overrides.push_back([workers, p](CaptureOptions&, SessionOptions& o) {
    if (workers->count()) {
      o.workers = p->session.workers;
      o.workers_given = true;
    }
  });
  cmd->add_flag("--fanout", p->capture.fanout,
                "Live capture (-i, Linux): one AF_PACKET socket per worker in a PACKET_FANOUT "
                "group; the kernel hashes each flow to one of them, and every worker runs its "
                "own engine (no reader thread). -c counts over all workers");
  CLI::Option* ordered =
      cmd->add_flag("--ordered", p->session.ordered,
                    "Write events in the order one worker would, whatever --workers (waits for "
                    "the slowest worker; open flows end by idle order). The default for text "
                    "output with several workers");
  p->overrides.push_back([ordered, p](CaptureOptions&, SessionOptions& o) {
    if (ordered->count()) {
      o.ordered = p->session.ordered;
      o.ordered_given = true;
    }
  });
}

void add_session_options(CLI::App* cmd, const std::shared_ptr<SessionCli>& cli) {
  SessionCli& c = *cli;
  SessionOptions& s = c.session;
  auto over = [&](CLI::Option* opt, std::function<void(CaptureOptions&, SessionOptions&)> apply) {
    c.overrides.push_back([opt, apply](CaptureOptions& cap, SessionOptions& ses) {
      if (opt->count()) apply(cap, ses);
    });
  };
  SessionCli* p = cli.get();
  over(cmd->add_flag("--json", s.json,
                     "JSON Lines output (tcp_session, tcp_data, udp, protocol events)"),
       [p](auto&, auto& o) { o.json = p->session.json; });
  over(cmd->add_flag("--utc", s.utc, "Text: calendar time in UTC"),
       [p](auto&, auto& o) { o.utc = p->session.utc; });
  over(cmd->add_flag("--stream", s.stream,
                     "Print data as it arrives, per direction (default: whole session at close)"),
       [p](auto&, auto& o) { o.stream = p->session.stream; });
  over(cmd->add_option_function<std::string>(
              "--data-level",
              [p](const std::string& v) {
                std::string err = values::one_of(v, {"0", "1", "2"});
                if (!err.empty()) throw CLI::ValidationError("--data-level", err);
                p->session.data_level = v[0] - '0';
              },
              "0 = no data, 1 = escaped text (default), 2 = hex + ASCII dump")
           ->type_name("0|1|2"),
       [p](auto&, auto& o) { o.data_level = p->session.data_level; });
  over(cmd->add_flag("--base64", s.base64, "JSON: data as base64 instead of escaped text"),
       [p](auto&, auto& o) { o.base64 = p->session.base64; });
  over(cmd->add_flag("--no-tcp", c.no_tcp, "Do not report TCP sessions"),
       [p](auto&, auto& o) { o.tcp = !p->no_tcp; });
  over(cmd->add_flag("--no-udp", c.no_udp, "Do not report UDP datagrams"),
       [p](auto&, auto& o) { o.udp = !p->no_udp; });
  over(values::add_positive(*cmd, "--max-session-data", s.max_session_data,
                            "Whole-session text: bytes kept per direction (default 1 MiB)"),
       [p](auto&, auto& o) { o.max_session_data = p->session.max_session_data; });
  over(values::add_positive(*cmd, "--max-session-data-total", s.max_session_data_total,
                            "Whole-session text: bytes kept in all open sessions together "
                            "(default 256 MiB)"),
       [p](auto&, auto& o) { o.max_session_data_total = p->session.max_session_data_total; });
  over(cmd->add_option("--output-dir", s.output_dir,
                       "Also write one JSON Lines file per event kind into DIR")
           ->type_name("DIR"),
       [p](auto&, auto& o) { o.output_dir = p->session.output_dir; });
  over(cmd->add_option("--sqlite", s.sqlite_path, "Also store events in this SQLite database")
           ->type_name("FILE"),
       [p](auto&, auto& o) { o.sqlite_path = p->session.sqlite_path; });
  over(cmd->add_flag("--append", s.append,
                     "Add to the events an earlier run left in --output-dir/--sqlite (without "
                     "it, existing events there are an error)"),
       [p](auto&, auto& o) { o.append = p->session.append; });
  over(cmd->add_option("--hashes", s.hashes_path,
                       "Write the hash lines of login attempts to FILE, for hashcat (a new file, "
                       "mode 0600; with --append, added to)")
           ->type_name("FILE"),
       [p](auto&, auto& o) { o.hashes_path = p->session.hashes_path; });
  add_auth_detect_options(cmd, cli);
  over(values::add_port_list(*cmd, "--tcp-src-port", s.filters.tcp_src_ports,
                             "Only TCP sessions from these client ports"),
       [p](auto&, auto& o) { o.filters.tcp_src_ports = p->session.filters.tcp_src_ports; });
  over(values::add_port_list(*cmd, "--tcp-dst-port", s.filters.tcp_dst_ports,
                             "Only TCP sessions to these server ports"),
       [p](auto&, auto& o) { o.filters.tcp_dst_ports = p->session.filters.tcp_dst_ports; });
  over(values::add_ip_list(*cmd, "--tcp-src-ip", s.filters.tcp_src_ips,
                           "Only TCP sessions from these client IPs"),
       [p](auto&, auto& o) { o.filters.tcp_src_ips = p->session.filters.tcp_src_ips; });
  over(values::add_ip_list(*cmd, "--tcp-dst-ip", s.filters.tcp_dst_ips,
                           "Only TCP sessions to these server IPs"),
       [p](auto&, auto& o) { o.filters.tcp_dst_ips = p->session.filters.tcp_dst_ips; });
  over(values::add_port_list(*cmd, "--udp-port", s.filters.udp_ports,
                             "Only UDP flows with one of these ports"),
       [p](auto&, auto& o) { o.filters.udp_ports = p->session.filters.udp_ports; });
  over(values::add_ip_list(*cmd, "--udp-ip", s.filters.udp_ips,
                           "Only UDP flows with one of these IPs"),
       [p](auto&, auto& o) { o.filters.udp_ips = p->session.filters.udp_ips; });
  over(values::add_positive(*cmd, "--max-flows", s.flow.max_flows,
                            "Cap on concurrent flows (default 1000000)"),
       [p](auto&, auto& o) { o.flow.max_flows = p->session.flow.max_flows; });
  over(values::add_positive(*cmd, "--max-buffer-per-direction", s.flow.max_buffer_per_direction,
                            "Cap on out-of-order bytes held per TCP direction (default 4 MiB)"),
       [p](auto&, auto& o) {
         o.flow.max_buffer_per_direction = p->session.flow.max_buffer_per_direction;
       });
  over(values::add_positive(*cmd, "--max-buffer-total", s.flow.max_buffer_total,
                            "Cap on out-of-order bytes held in all flows (default 512 MiB)"),
       [p](auto&, auto& o) { o.flow.max_buffer_total = p->session.flow.max_buffer_total; });
  over(values::add_seconds(*cmd, "--tcp-timeout", s.flow.tcp_timeout,
                           "Idle TCP session timeout, seconds (default 3600)"),
       [p](auto&, auto& o) { o.flow.tcp_timeout = p->session.flow.tcp_timeout; });
  over(values::add_seconds(*cmd, "--udp-timeout", s.flow.udp_timeout,
                           "Idle UDP flow timeout, seconds (default 60)"),
       [p](auto&, auto& o) { o.flow.udp_timeout = p->session.flow.udp_timeout; });
  add_extract_option(cmd, c);
  add_analyzer_flags(cmd, cli);
  add_engine_options(cmd, cli);
  cmd->add_option("--config", c.config_path, "YAML config file (command-line flags override it)")
      ->type_name("FILE");
}

int run_with_config(SessionCli& cli, const std::atomic<bool>& stop) {
  CaptureOptions capture;
  SessionOptions session;
  if (!cli.config_path.empty()) {
    std::string error;
    if (!load_config(cli.config_path, capture, session, error)) {
      std::fprintf(stderr, "netsift: %s\n", error.c_str());
      return kExitError;
    }
  }
  // Capture flags given on the command line replace the file's input section.
  const CaptureOptions& c = cli.capture;
  if (!c.read_files.empty() || !c.interface.empty()) {
    capture.read_files = c.read_files;
    capture.interface = c.interface;
  }
  if (!c.filter_words.empty()) capture.filter_words = c.filter_words;
  if (c.count) capture.count = c.count;
  if (!c.write_file.empty()) capture.write_file = c.write_file;
  if (!c.hosts.empty()) capture.hosts = c.hosts;
  if (!c.ports.empty()) capture.ports = c.ports;
  if (!c.drop_user.empty()) capture.drop_user = c.drop_user;
  if (c.snaplen != CaptureOptions{}.snaplen) capture.snaplen = c.snaplen;
  if (c.buffer_size_mb != CaptureOptions{}.buffer_size_mb)
    capture.buffer_size_mb = c.buffer_size_mb;
  capture.verify_checksums |= c.verify_checksums;
  capture.no_progress |= c.no_progress;
  capture.immediate |= c.immediate;
  capture.no_promiscuous |= c.no_promiscuous;
  capture.line_buffered |= c.line_buffered;
  capture.one_capture |= c.one_capture;
  capture.fanout |= c.fanout;
  for (auto& apply : cli.overrides) apply(capture, session);
  std::string usage = check_capture_options(capture);
  if (!usage.empty()) {
    std::fprintf(stderr, "netsift: %s%s\n", usage.c_str(),
                 cli.config_path.empty() ? "" : " (on the command line or in the config file)");
    return cli.config_path.empty() ? kExitUsage : kExitError;
  }
  if (capture.fanout) {
    // Each worker reads its own socket: nothing sees every packet in order.
    if (session.packets) usage = "--fanout: the packets job (jobs.packets) needs one reader";
    if (cli.run_command && session.stats) {
      usage = "--fanout: the stats job needs one reader (run `netsift stats -i` beside it)";
    }
    if (session.ordered) usage = "--ordered needs one reader: not with --fanout";
    if (!session.tcp && !session.udp) usage = "--fanout with --no-tcp and --no-udp does nothing";
    if (!usage.empty()) {
      std::fprintf(stderr, "netsift: %s\n", usage.c_str());
      return cli.config_path.empty() ? kExitUsage : kExitError;
    }
  }
  std::optional<StatsOptions> stats;
  if (cli.run_command && session.stats) {
    CaptureOptions unused;
    std::string error;
    stats.emplace();
    if (!load_stats_config(cli.config_path, unused, *stats, error)) {
      std::fprintf(stderr, "netsift: %s\n", error.c_str());
      return kExitError;
    }
  }
  return run_jobs(capture, session, stats ? &*stats : nullptr, stop);
}

}  // namespace

void register_sessions_command(CLI::App& root, const std::atomic<bool>& stop, int& exit_code) {
  auto cli = std::make_shared<SessionCli>();
  CLI::App* cmd = root.add_subcommand(
      "sessions",
      "Reassemble TCP sessions (both directions, streamed) and UDP datagrams; analyze protocols");
  add_capture_options(*cmd, cli->capture);
  add_session_options(cmd, cli);
  cmd->callback([cli, &stop, &exit_code] { exit_code = run_with_config(*cli, stop); });

  auto run_cli = std::make_shared<SessionCli>();
  run_cli->run_command = true;
  CLI::App* run =
      root.add_subcommand("run", "Run every job a YAML config file enables, in one pass");
  run->add_option("--config", run_cli->config_path, "YAML config file")
      ->required()
      ->type_name("FILE");
  add_capture_options(*run, run_cli->capture);
  add_extract_option(run, *run_cli);
  add_analyzer_flags(run, run_cli);
  add_engine_options(run, run_cli);
  run->callback([run_cli, &stop, &exit_code] { exit_code = run_with_config(*run_cli, stop); });
}

}  // namespace netsift

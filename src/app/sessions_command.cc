// `netsift sessions` (TCP sessions and UDP datagrams with protocol analysis) and
// `netsift run --config FILE` (every job the config file enables, in one pass).
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <stdexcept>

#include "app/commands.h"
#include "app/config.h"
#include "app/packet_pump.h"
#include "app/session_output.h"
#include "app/session_pipeline.h"
#include "output/event_sinks.h"
#include "output/packet_printer.h"

namespace netsift {
namespace {

// Feeds one pass over the input to several consumers.
class TeeConsumer final : public PacketConsumer {
 public:
  void add(PacketConsumer* c) { consumers_.push_back(c); }
  void on_packet(const PacketView& v, uint64_t frame) override {
    for (auto* c : consumers_) c->on_packet(v, frame);
  }
  void on_input_end() override {
    for (auto* c : consumers_) c->on_input_end();
  }
  void on_idle(TimestampNs now) override {
    for (auto* c : consumers_) c->on_idle(now);
  }

 private:
  std::vector<PacketConsumer*> consumers_;
};

class PacketPrintConsumer final : public PacketConsumer {
 public:
  explicit PacketPrintConsumer(PacketPrinter& p) : printer_(p) {}
  void on_packet(const PacketView& v, uint64_t frame) override { printer_.print(v, frame); }

 private:
  PacketPrinter& printer_;
};

int run_jobs(const CaptureOptions& capture, const SessionOptions& s,
             const std::atomic<bool>& stop) {
  PacketPump pump(capture, stop);
  std::string error;
  if (!pump.prepare(error)) {
    std::fprintf(stderr, "netsift: %s\n", error.c_str());
    return kExitError;
  }
  OutputBuffer out(STDOUT_FILENO);
  // Session records go to `records` (JSON Lines on stdout, directory, SQLite); analyzer
  // events to `analyzer_events` (the same, or indented JSON in text mode).
  FanoutSink records, analyzer_events;
  std::vector<std::unique_ptr<EventSink>> owned;
  try {
    if (s.stdout_output) {
      owned.push_back(s.json ? make_jsonl_sink(out) : make_pretty_json_sink(out));
      analyzer_events.add(owned.back().get());
      if (s.json) records.add(owned.back().get());
    }
    if (!s.output_dir.empty()) {
      owned.push_back(make_directory_sink(s.output_dir));
      records.add(owned.back().get());
      analyzer_events.add(owned.back().get());
    }
    if (!s.sqlite_path.empty()) {
      owned.push_back(make_sqlite_sink(s.sqlite_path));
      records.add(owned.back().get());
      analyzer_events.add(owned.back().get());
    }
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "netsift: %s\n", e.what());
    return kExitError;
  }
  OutputBuffer* text = s.stdout_output && !s.json ? &out : nullptr;
  SessionOutput observer(s, records.empty() ? nullptr : &records, text);
  std::unique_ptr<SessionPipeline> sessions;
  TeeConsumer tee;
  if (s.tcp || s.udp) {
    sessions = std::make_unique<SessionPipeline>(s, observer, analyzer_events);
    tee.add(sessions.get());
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
  int code = pump.run(tee);
  if (sessions) sessions->finish();
  analyzer_events.flush();
  records.flush();
  owned.clear();  // closes files and the database
  if (!out.flush()) {
    std::fprintf(stderr, "netsift: writing output failed\n");
    code = kExitError;
  }
  pump.print_summary(stderr);
  if (sessions) sessions->print_summary(stderr);
  return code;
}

// Command-line values, applied over the config file only where given.
struct SessionCli {
  CaptureOptions capture;
  SessionOptions session;
  std::string config_path;
  std::vector<std::function<void(CaptureOptions&, SessionOptions&)>> overrides;
};

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
  over(cmd->add_option("--data-level", s.data_level,
                       "0 = no data, 1 = escaped text, 2 = hex + ASCII dump")
           ->check(CLI::Range(0, 2)),
       [p](auto&, auto& o) { o.data_level = p->session.data_level; });
  over(cmd->add_flag("--base64", s.base64, "JSON: data as base64 instead of escaped text"),
       [p](auto&, auto& o) { o.base64 = p->session.base64; });
  over(cmd->add_flag("--no-tcp{false}", s.tcp, "Do not report TCP sessions"),
       [p](auto&, auto& o) { o.tcp = p->session.tcp; });
  over(cmd->add_flag("--no-udp{false}", s.udp, "Do not report UDP datagrams"),
       [p](auto&, auto& o) { o.udp = p->session.udp; });
  over(cmd->add_option("--max-session-data", s.max_session_data,
                       "Whole-session text: bytes kept per direction"),
       [p](auto&, auto& o) { o.max_session_data = p->session.max_session_data; });
  over(cmd->add_option("--max-session-data-total", s.max_session_data_total,
                       "Whole-session text: bytes kept in all open sessions together"),
       [p](auto&, auto& o) { o.max_session_data_total = p->session.max_session_data_total; });
  over(cmd->add_option("--output-dir", s.output_dir,
                       "Also write one JSON Lines file per event kind here"),
       [p](auto&, auto& o) { o.output_dir = p->session.output_dir; });
  over(cmd->add_option("--sqlite", s.sqlite_path, "Also store events in this SQLite database"),
       [p](auto&, auto& o) { o.sqlite_path = p->session.sqlite_path; });
  over(cmd->add_option("--tcp-src-port", s.filters.tcp_src_ports,
                       "Only TCP sessions from these client ports")
           ->delimiter(',')
           ->allow_extra_args(false),
       [p](auto&, auto& o) { o.filters.tcp_src_ports = p->session.filters.tcp_src_ports; });
  over(cmd->add_option("--tcp-dst-port", s.filters.tcp_dst_ports,
                       "Only TCP sessions to these server ports")
           ->delimiter(',')
           ->allow_extra_args(false),
       [p](auto&, auto& o) { o.filters.tcp_dst_ports = p->session.filters.tcp_dst_ports; });
  over(cmd->add_option("--tcp-src-ip", s.filters.tcp_src_ips,
                       "Only TCP sessions from these client IPs")
           ->delimiter(',')
           ->allow_extra_args(false),
       [p](auto&, auto& o) { o.filters.tcp_src_ips = p->session.filters.tcp_src_ips; });
  over(cmd->add_option("--tcp-dst-ip", s.filters.tcp_dst_ips,
                       "Only TCP sessions to these server IPs")
           ->delimiter(',')
           ->allow_extra_args(false),
       [p](auto&, auto& o) { o.filters.tcp_dst_ips = p->session.filters.tcp_dst_ips; });
  over(cmd->add_option("--udp-port", s.filters.udp_ports, "Only UDP flows with one of these ports")
           ->delimiter(',')
           ->allow_extra_args(false),
       [p](auto&, auto& o) { o.filters.udp_ports = p->session.filters.udp_ports; });
  over(cmd->add_option("--udp-ip", s.filters.udp_ips, "Only UDP flows with one of these IPs")
           ->delimiter(',')
           ->allow_extra_args(false),
       [p](auto&, auto& o) { o.filters.udp_ips = p->session.filters.udp_ips; });
  over(cmd->add_option("--max-flows", s.flow.max_flows, "Cap on concurrent flows"),
       [p](auto&, auto& o) { o.flow.max_flows = p->session.flow.max_flows; });
  over(cmd->add_option("--max-buffer-per-direction", s.flow.max_buffer_per_direction,
                       "Cap on out-of-order bytes held per TCP direction"),
       [p](auto&, auto& o) {
         o.flow.max_buffer_per_direction = p->session.flow.max_buffer_per_direction;
       });
  over(cmd->add_option("--max-buffer-total", s.flow.max_buffer_total,
                       "Cap on out-of-order bytes held in all flows"),
       [p](auto&, auto& o) { o.flow.max_buffer_total = p->session.flow.max_buffer_total; });
  static double tcp_timeout = 3600, udp_timeout = 60;
  over(cmd->add_option("--tcp-timeout", tcp_timeout, "Idle TCP session timeout, seconds")
           ->capture_default_str(),
       [](auto&, auto& o) { o.flow.tcp_timeout = TimestampNs(tcp_timeout * 1e9); });
  over(cmd->add_option("--udp-timeout", udp_timeout, "Idle UDP flow timeout, seconds")
           ->capture_default_str(),
       [](auto&, auto& o) { o.flow.udp_timeout = TimestampNs(udp_timeout * 1e9); });
  cmd->add_option("--config", c.config_path, "YAML config file (command-line flags override it)");
}

int run_with_config(SessionCli& cli, const std::atomic<bool>& stop, bool capture_from_cli) {
  CaptureOptions capture;
  SessionOptions session;
  if (!cli.config_path.empty()) {
    std::string error;
    if (!load_config(cli.config_path, capture, session, error)) {
      std::fprintf(stderr, "netsift: %s\n", error.c_str());
      return kExitError;
    }
  }
  if (capture_from_cli) {
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
    capture.verify_checksums |= c.verify_checksums;
    capture.no_progress |= c.no_progress;
    capture.immediate |= c.immediate;
    capture.no_promiscuous |= c.no_promiscuous;
  }
  for (auto& apply : cli.overrides) apply(capture, session);
  return run_jobs(capture, session, stop);
}

}  // namespace

void register_sessions_command(CLI::App& root, const std::atomic<bool>& stop, int& exit_code) {
  auto cli = std::make_shared<SessionCli>();
  CLI::App* cmd = root.add_subcommand(
      "sessions",
      "Reassemble TCP sessions (both directions, streamed) and UDP datagrams; analyze protocols");
  add_capture_options(*cmd, cli->capture);
  add_session_options(cmd, cli);
  cmd->callback([cli, &stop, &exit_code] { exit_code = run_with_config(*cli, stop, true); });

  auto run_cli = std::make_shared<SessionCli>();
  CLI::App* run =
      root.add_subcommand("run", "Run every job a YAML config file enables, in one pass");
  run->add_option("--config", run_cli->config_path, "YAML config file")->required();
  add_capture_options(*run, run_cli->capture);
  run->callback(
      [run_cli, &stop, &exit_code] { exit_code = run_with_config(*run_cli, stop, true); });
}

}  // namespace netsift

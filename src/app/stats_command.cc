// `netsift stats`: IP traffic statistics over the input — whole-capture counters,
// per-bucket aggregates, flow records, anomaly alerts — as a text report or JSON
// Lines events ending with `stats_summary`.
#include <CLI/CLI.hpp>
#include <memory>

#include "app/capture_options.h"
#include "app/commands.h"
#include "app/option_values.h"
#include "app/packet_pump.h"
#include "app/run_outputs.h"
#include "output/event_sinks.h"
#include "output/output_buffer.h"
#include "stats/stats_engine.h"

namespace netsift {
namespace {

struct StatsCli {
  CaptureOptions capture;
  StatsOptions stats;
};

class StatsConsumer final : public PacketConsumer {
 public:
  StatsConsumer(StatsEngine& engine, OutputBuffer& out) : engine_(engine), out_(out) {}
  void on_packet(const PacketView& v, uint64_t) override { engine_.on_packet(v); }
  void flush() override { out_.flush(); }
  bool output_failed() const override { return out_.failed(); }

 private:
  StatsEngine& engine_;
  OutputBuffer& out_;
};

int run_stats(const StatsCli& cli, const std::atomic<bool>& stop) {
  const StatsOptions& o = cli.stats;
  std::string usage = check_capture_options(cli.capture);
  if (!usage.empty()) {
    std::fprintf(stderr, "netsift: %s\n", usage.c_str());
    return kExitUsage;
  }
  PacketPump pump(cli.capture, stop);
  std::string error;
  if (!pump.prepare(error)) {
    std::fprintf(stderr, "netsift: %s\n", error.c_str());
    return kExitError;
  }
  OutputBuffer out(STDOUT_FILENO);
  std::unique_ptr<EventSink> jsonl;
  if (o.json) jsonl = make_jsonl_sink(out);
  StatsEngine engine(o, jsonl.get());
  StatsConsumer consumer(engine, out);
  int code = pump.run(consumer);
  engine.finish();
  jsonl.reset();
  if (!o.json) {
    out.flush();
    engine.print_report(stdout);
    std::fflush(stdout);
  }
  code = finish_stdout(out, pump, code);
  if (pump.broken_pipe()) return code;  // the reader went away: stop quietly
  pump.print_summary(stderr);
  return code;
}

}  // namespace

void register_stats_command(CLI::App& root, const std::atomic<bool>& stop, int& exit_code) {
  auto cli = std::make_shared<StatsCli>();
  StatsOptions& s = cli->stats;
  CLI::App* cmd = root.add_subcommand(
      "stats", "IP traffic statistics: counters, top talkers, flows, anomaly alerts");
  add_capture_options(*cmd, cli->capture);
  cmd->add_flag("--json", s.json, "JSON Lines events, ending with one stats_summary");
  cmd->add_flag("--utc", s.utc, "Text: calendar time in UTC");
  values::add_positive(*cmd, "--top", s.top, "Entries in each top list (default 10)");
  cmd->callback([cli, &stop, &exit_code] { exit_code = run_stats(*cli, stop); });
}

}  // namespace netsift

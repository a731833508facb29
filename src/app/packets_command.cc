// `netsift packets`: one record per frame, text or JSON Lines.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "app/capture_options.h"
#include "app/commands.h"
#include "app/option_values.h"
#include "app/packet_pump.h"
#include "app/run_outputs.h"
#include "output/output_buffer.h"
#include "output/packet_printer.h"

namespace netsift {
namespace {

struct PacketsOptions {
  CaptureOptions capture;
  bool json = false;
  bool utc = false;
  bool quiet = false;
  bool hexdump = false;
  bool data_binary = false;
  uint64_t data_max = 64;
  bool payload = false;
  bool ascii = false;     // -A: the whole payload as text
  bool link = false;      // -e: link-level addresses (always shown; accepted)
  bool no_time = false;   // -t
  bool calendar = false;  // -tttt
};

class PrintingConsumer final : public PacketConsumer {
 public:
  PrintingConsumer(PacketPrinter* printer, OutputBuffer& out) : printer_(printer), out_(out) {}
  void on_packet(const PacketView& view, uint64_t frame) override {
    if (printer_) printer_->print(view, frame);
  }
  void flush() override { out_.flush(); }
  bool output_failed() const override { return out_.failed(); }

 private:
  PacketPrinter* printer_;
  OutputBuffer& out_;
};

int run_packets(const PacketsOptions& o, const std::atomic<bool>& stop) {
  std::string usage = check_capture_options(o.capture);
  if (!usage.empty()) {
    std::fprintf(stderr, "netsift: %s\n", usage.c_str());
    return kExitUsage;
  }
  PacketPump pump(o.capture, stop);
  std::string error;
  if (!pump.prepare(error)) {
    std::fprintf(stderr, "netsift: %s\n", error.c_str());
    return kExitError;
  }
  OutputBuffer out(STDOUT_FILENO);
  std::unique_ptr<PacketPrinter> printer;
  if (pump.capture_on_stdout()) {
    // -w -: standard output carries the capture only, as with tcpdump.
  } else if (o.json) {
    printer = make_json_packet_printer(out, JsonPacketOptions{o.payload});
  } else {
    TextPacketOptions text{o.utc, o.quiet, o.hexdump, o.data_binary, o.data_max};
    if (o.ascii) text.data_max = 0;
    text.no_time = o.no_time;
    text.calendar = o.calendar;
    printer = make_text_packet_printer(out, text);
  }
  PrintingConsumer consumer(printer.get(), out);
  int code = pump.run(consumer);
  code = finish_stdout(out, pump, code);
  if (pump.broken_pipe()) return code;  // the reader went away: stop quietly
  pump.print_summary(stderr);
  return code;
}

}  // namespace

void register_packets_command(CLI::App& root, const std::atomic<bool>& stop, int& exit_code) {
  auto options = std::make_shared<PacketsOptions>();
  CLI::App* cmd =
      root.add_subcommand("packets", "Print every packet in detail (text or JSON Lines)");
  add_capture_options(*cmd, options->capture);
  cmd->add_flag("--json", options->json, "JSON Lines output, one object per frame");
  cmd->add_flag("--utc", options->utc, "Text: show calendar time in UTC (default: local time)");
  cmd->add_flag("-q,--quiet", options->quiet, "Text: one short line per packet");
  cmd->add_flag("--hex,-X", options->hexdump,
                "Text: add a hex + ASCII dump of each frame (-X as in tcpdump)");
  cmd->add_flag("-x,--data-binary", options->data_binary, "Text: add DATA_BINARY=<hex of payload>");
  values::add_whole_number(*cmd, "--data-max", 0, uint64_t(INT64_MAX), options->data_max,
                           "Text: show at most N payload bytes in DATA= (default 64, 0 = all)");
  cmd->add_flag("-A", options->ascii, "Text: show the whole payload in DATA= (as --data-max 0)");
  cmd->add_flag("-e", options->link,
                "Text: link-level addresses (accepted for tcpdump habits: MAC addresses are "
                "always shown)");
  // tcpdump's -t family, counted: -t no timestamp; -tt (epoch) and -tttt (calendar) are
  // what the text form shows anyway (-q shows the epoch, or with -tttt the calendar
  // time); -ttt and -ttttt (deltas) are refused.
  cmd->add_flag_function(
      "-t",
      [options](int64_t count) {
        if (count == 3 || count >= 5) {
          throw CLI::ValidationError(
              fmt::format("tcpdump's -{} (time between packets) does not apply: "
                          "netsift prints absolute times (epoch and calendar)",
                          std::string(size_t(count), 't')));
        }
        options->no_time = count == 1;
        options->calendar = count == 4;
      },
      "Text: no timestamp on each line (-tt, -tttt: the usual epoch and calendar time; "
      "with -q, -tttt shows the calendar time instead of the epoch)");
  cmd->add_flag("--payload", options->payload, "JSON: add the payload as escaped text");
  cmd->callback([options, &stop, &exit_code] { exit_code = run_packets(*options, stop); });
}

}  // namespace netsift

// `netsift packets`: one record per frame, text or JSON Lines.
#include <CLI/CLI.hpp>
#include <memory>

#include "app/capture_options.h"
#include "app/commands.h"
#include "app/packet_pump.h"
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
  size_t data_max = 64;
  bool payload = false;
};

class PrintingConsumer final : public PacketConsumer {
 public:
  explicit PrintingConsumer(PacketPrinter& printer) : printer_(printer) {}
  void on_packet(const PacketView& view, uint64_t frame) override { printer_.print(view, frame); }

 private:
  PacketPrinter& printer_;
};

int run_packets(const PacketsOptions& o, const std::atomic<bool>& stop) {
  PacketPump pump(o.capture, stop);
  std::string error;
  if (!pump.prepare(error)) {
    std::fprintf(stderr, "netsift: %s\n", error.c_str());
    return kExitError;
  }
  OutputBuffer out(STDOUT_FILENO);
  std::unique_ptr<PacketPrinter> printer;
  if (o.json) {
    printer = make_json_packet_printer(out, JsonPacketOptions{o.payload});
  } else {
    printer = make_text_packet_printer(
        out, TextPacketOptions{o.utc, o.quiet, o.hexdump, o.data_binary, o.data_max});
  }
  PrintingConsumer consumer(*printer);
  int code = pump.run(consumer);
  if (!out.flush()) {
    std::fprintf(stderr, "netsift: writing output failed\n");
    code = kExitError;
  }
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
  cmd->add_flag("--hex", options->hexdump, "Text: add a hex + ASCII dump of each frame");
  cmd->add_flag("-x,--data-binary", options->data_binary, "Text: add DATA_BINARY=<hex of payload>");
  cmd->add_option("--data-max", options->data_max,
                  "Text: show at most N payload bytes in DATA= (0 = all)")
      ->capture_default_str()
      ->type_name("N");
  cmd->add_flag("--payload", options->payload, "JSON: add the payload as escaped text");
  cmd->callback([options, &stop, &exit_code] { exit_code = run_packets(*options, stop); });
}

}  // namespace netsift

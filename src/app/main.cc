// netsift entry point: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>
#include <csignal>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "app/packet_pump.h"
#include "app/tcpdump_flags.h"
#include "app/usage_errors.h"

#ifndef NETSIFT_VERSION
#define NETSIFT_VERSION "0.1.0"
#endif

namespace {

// The only process-wide state: set from the signal handler, polled by the pipeline.
std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{
      "netsift - fast network traffic analyzer (packets, sessions, protocols, statistics)"};
  app.set_version_flag(
      "-V,--version", "netsift " NETSIFT_VERSION
                      "\nIP geolocation in `netsift stats` by DB-IP (https://db-ip.com), IP to City"
                      " Lite, CC BY 4.0, when the database scripts/setup.sh installs is used");
  app.require_subcommand(1);
  app.footer(
      "With no command and a tcpdump flag first (-r, -i, -c, -n, ...), netsift runs "
      "`packets`, as tcpdump would: netsift -r file.pcap [-c N] [expression].");
  int exit_code = netsift::kExitOk;
  netsift::register_packets_command(app, g_stop, exit_code);
  netsift::register_sessions_command(app, g_stop, exit_code);
  netsift::register_stats_command(app, g_stop, exit_code);
  // No command, a tcpdump flag first (`netsift -r file.pcap port 80`, `netsift -nn -i
  // eth0`): a tcpdump habit, so it prints packets as tcpdump would. Other options first
  // (`--workers`, `--config`) more likely mean a forgotten command: CLI11 says so.
  std::vector<char*> args(argv, argv + argc);
  char packets[] = "packets";
  if (argc > 1 && argv[1][0] == '-' && argv[1][1] != '\0' && argv[1][1] != '-' &&
      std::string_view("ricwsBpleqtAxXvnZ").find(argv[1][1]) != std::string_view::npos) {
    args.insert(args.begin() + 1, packets);
    argc = int(args.size());
    argv = args.data();
  }
  // A first word that is no option and no subcommand: name it (CLI11 would only say that
  // a subcommand is required).
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      found |= sub->get_name() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::fprintf(stderr, "netsift: unknown command '%s' (commands: %s; see --help)\n", argv[1],
                   known.c_str());
      return netsift::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    for (int i = 1; i < argc; ++i) {
      std::string hint = netsift::tcpdump_flag_hint(argv[i]);
      if (!hint.empty()) {
        std::fprintf(stderr, "netsift: %s\n", hint.c_str());
        return netsift::kExitUsage;
      }
    }
    std::fprintf(stderr, "netsift: %s\n", netsift::usage_error_line(app, e, argc, argv).c_str());
    return netsift::kExitUsage;
  }
  return exit_code;
}

#include "app/capture_options.h"

#include <CLI/CLI.hpp>

namespace netsift {

std::string CaptureOptions::bpf() const {
  std::string expr;
  for (const auto& w : filter_words) {
    if (!expr.empty()) expr += ' ';
    expr += w;
  }
  return expr;
}

void add_capture_options(CLI::App& app, CaptureOptions& o) {
  app.add_option("-r,--read", o.read_files,
                 "Read packets from pcap/pcapng FILE ('-' = stdin); repeatable")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("-i,--interface", o.interface, "Capture live from interface IFACE")
      ->type_name("IFACE");
  app.add_option("-c,--count", o.count, "Stop after N packets (after filtering)")->type_name("N");
  app.add_option("-w,--write", o.write_file, "Also write accepted packets to a pcap FILE")
      ->type_name("FILE");
  app.add_option("-s,--snaplen", o.snaplen, "Live capture: bytes kept per packet")
      ->capture_default_str();
  app.add_flag("-p,--no-promiscuous-mode", o.no_promiscuous,
               "Live capture: do not use promiscuous mode");
  app.add_option("-B,--buffer-size", o.buffer_size_mb, "Live capture: kernel buffer in MiB")
      ->capture_default_str();
  app.add_flag("--immediate", o.immediate, "Live capture: deliver packets at once (no batching)");
  app.add_flag("-n", o.no_resolve,
               "Do not resolve names (always the case; accepted for tcpdump habits)");
  app.add_flag("--verify-checksums", o.verify_checksums,
               "Check TCP/UDP/ICMP checksums (flag bad ones)");
  app.add_flag("--no-progress", o.no_progress, "Never print progress on stderr");
  app.add_option("-Z,--relinquish-privileges", o.drop_user,
                 "As root: become USER once the inputs are open; outputs are then created as USER")
      ->type_name("USER");
  app.add_option("--host", o.hosts, "Only packets from or to these IPs")
      ->delimiter(',')
      ->type_name("IP[,IP]")
      ->allow_extra_args(false);
  app.add_option("--port", o.ports, "Only packets from or to these TCP/UDP ports")
      ->delimiter(',')
      ->type_name("N[,N]")
      ->allow_extra_args(false);
  app.add_option("filter", o.filter_words, "BPF filter expression (tcpdump syntax)")
      ->type_name("EXPRESSION");
}

}  // namespace netsift

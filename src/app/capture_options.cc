#include "app/capture_options.h"

#include <CLI/CLI.hpp>

#include "app/option_values.h"

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
                 "Read packets from pcap/pcapng FILE, also gzip-compressed ('-' = stdin); "
                 "repeatable")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("-i,--interface", o.interface, "Capture live from interface IFACE")
      ->type_name("IFACE");
  values::add_positive(app, "-c,--count", o.count, "Stop after N packets (after filtering)");
  app.add_option("-w,--write", o.write_file,
                 "Also write accepted packets to FILE ('-' = stdout, then nothing else goes "
                 "there): pcap, or pcapng when the input is pcapng or FILE ends in .pcapng")
      ->type_name("FILE");
  app.add_option_function<std::string>(
         "-s,--snaplen,--snapshot-length",
         [&o](const std::string& v) {
           std::string err = values::whole_number(v, 0, 262144, o.snaplen);
           if (!err.empty()) throw CLI::ValidationError("--snaplen", err);
           if (o.snaplen == 0) o.snaplen = 262144;
         },
         "Live capture: bytes kept per packet (0 = 262144, the default)")
      ->type_name("N");
  app.add_flag("-p,--no-promiscuous-mode", o.no_promiscuous,
               "Live capture: do not use promiscuous mode");
  values::add_whole_number(app, "-B,--buffer-size", 1, 4096, o.buffer_size_mb,
                           "Live capture: kernel buffer in MiB (default 64)")
      ->type_name("MIB");
  app.add_flag("--immediate,--immediate-mode", o.immediate,
               "Live capture: deliver packets at once (no batching)");
  app.add_flag("-l,--line-buffered", o.line_buffered,
               "Write output after every packet (live capture writes at least every 200 ms)");
  app.add_flag("-n", o.no_resolve,
               "Do not resolve names (always the case; accepted for tcpdump habits)");
  app.add_flag("--verify-checksums,-v", o.verify_checksums,
               "Check TCP/UDP/ICMP checksums and flag bad ones (-v as in tcpdump)");
  app.add_flag("--no-progress", o.no_progress, "Never print progress on stderr");
  app.add_option("-Z,--relinquish-privileges", o.drop_user,
                 "As root: become USER once the inputs are open; outputs are then created as USER")
      ->type_name("USER");
  app.add_flag("--one-capture", o.one_capture,
               "The -r files are consecutive parts of one capture (tcpdump -C/-G rotation): "
               "flows continue from one file to the next (default: each file is a capture "
               "of its own)");
  values::add_ip_list(app, "--host", o.hosts, "Only packets from or to these IPs");
  values::add_port_list(app, "--port", o.ports, "Only packets from or to these TCP/UDP ports");
  app.add_option("filter", o.filter_words, "BPF filter expression (tcpdump syntax)")
      ->type_name("EXPRESSION");
}

std::string check_capture_options(const CaptureOptions& o) {
  if (o.read_files.empty() && o.interface.empty()) {
    return "no input: give -r FILE (one or more) or -i INTERFACE";
  }
  if (!o.read_files.empty() && !o.interface.empty()) {
    return "give either -r FILE or -i INTERFACE, not both";
  }
  if (o.fanout) {
#ifndef __linux__
    return "--fanout needs Linux (AF_PACKET fanout groups)";
#endif
    if (o.interface.empty()) {
      return "--fanout spreads a live capture over one socket per worker: it needs -i IFACE, "
             "not -r FILE (files are sharded by --workers alone)";
    }
    // A packet crossing several interfaces is seen once on each, and its copies would be
    // hashed apart: one device, as Suricata and Zeek require.
    if (o.interface == "any") return "--fanout needs one device, not 'any'";
    if (!o.write_file.empty()) {
      return "-w does not combine with --fanout (each worker reads its own socket): record "
             "with a separate `netsift packets -i IFACE -w FILE`";
    }
  }
  return {};
}

}  // namespace netsift

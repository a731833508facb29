// Which worker each flow goes to (`sessions --workers N`): the reader places a flow
// when its first packet comes, on the worker with the least recent work, and every
// later packet of the flow (both directions: the key is the symmetric flow hash,
// flow/flow_hash.h) follows it there.
//
// Hashing flows straight onto workers leaves them unevenly loaded whenever a few flows
// carry most of the work: clients open connections in parallel (browsers, wrk -c,
// dnsperf -c, iperf -P) and a hash puts two of four on one worker as often as not.
// Measured on the 1 GB bench capture with 4 workers, the busiest worker did 1.5x its
// share (docs/performance.md). Placing by recent work splits flows that start together
// and steers new flows away from a worker that is busy with a large one.
//
// Work is counted in units of the reader's own deterministic measure (a packet and its
// bytes), never in time, so the placement, and with it every output, is the same on
// every run. A flow's place is kept while the flow may live in its worker: idle less
// than its protocol's timeout (TCP: tcp_timeout plus the linger after close; UDP:
// udp_timeout) and a margin, measured as the workers measure it (from the flow's last
// stamp, against the capture's progress time, which an unconfirmed jump does not move).
// Places therefore number about the flows the workers hold; the table holds at most
// twice `max_flows`, and only then forgets the longest idle sixteenth (by then the
// workers, at their cap, have ended those flows too). Each worker's flow table holds
// max_flows / N flows: a
// worker that holds its share of places gets no new flow while another has room, so a
// worker busy with one large flow does not fill up with the small ones steered away.
//
// FTP: a control connection announces its data connections to its own worker's engine
// (AnalyzerHost::expect), so a data connection must go where its control connection
// is. A new TCP flow between two hosts that have a control connection open (a flow to
// one of the FTP ports, set_control_ports) goes to that connection's worker, whatever
// the load: passive and active data connections both run between those two hosts. A
// control connection on another port (found by content by its worker) is known here by
// the client's PASV, EPSV, PORT or EPRT, which comes before the data connection it
// announces. Not covered: data connections to a third host (FXP) or to an address NAT
// rewrote.
#pragma once

#include <tsl/robin_map.h>

#include <cstdint>
#include <vector>

#include "core/timestamp.h"
#include "decode/packet_view.h"

namespace netsift {

class FlowPlacer {
 public:
  // `keep_tcp`, `keep_other`: how long an idle TCP / other flow keeps its place (longer
  // than its worker keeps the idle flow, so a flow never moves while a worker holds it).
  FlowPlacer(uint32_t workers, size_t max_flows, TimestampNs keep_tcp, TimestampNs keep_other);

  // The key a whole packet (not a fragment: defragmented first) is placed by: the same
  // for both directions of a flow, from its innermost addresses, ports and protocol. Not
  // flow_hash() (flow/flow_hash.h): the reader computes one per packet, and a key that
  // two flows share only sends both to one worker, so a third of its instructions do.
  static uint64_t key(const PacketView& v);
  // The worker of the packet with key `hash` and `bytes` captured, stamped `stamp`
  // (CaptureClock::stamp, the flow's idle time counts from it) at progress time `now`.
  // `v` (may be null) is the packet, read only for a new TCP flow when control ports are set.
  uint32_t place(uint64_t hash, uint32_t bytes, bool tcp, TimestampNs stamp, TimestampNs now,
                 const PacketView* v = nullptr);
  // Server ports of FTP control connections (the FTP analyzer's, or those configured).
  // Also watches every TCP flow for a client's PASV/EPSV/PORT/EPRT, which makes it a
  // control connection from then on (FTP found by content on another port).
  void set_control_ports(std::vector<uint16_t> ports) {
    control_ports_ = std::move(ports);
    watch_commands_ = true;
  }
  // Symmetric key of a packet's two addresses (ports left out).
  static uint64_t host_pair(const PacketView& v);
  // Every flow ended (the end of an input that is a capture of its own).
  void clear();
  size_t size() const { return places_.size(); }

 private:
  struct Place {
    uint32_t worker;
    bool tcp;
    TimestampNs last;  // stamp of the flow's last packet
  };
  struct Mix {
    size_t operator()(uint64_t h) const { return size_t(h ^ (h >> 29) ^ (h >> 47)); }
  };
  uint32_t least_loaded();
  // The worker of the open control connection between the packet's hosts, or -1; a new
  // control connection is remembered under its hosts.
  int64_t control_worker(const PacketView& v);
  void note_control(const PacketView& v, uint64_t hash);
  void forget_idle(TimestampNs now);
  void forget_oldest();

  const size_t max_flows_;
  const TimestampNs keep_tcp_, keep_other_;
  tsl::robin_map<uint64_t, Place, Mix> places_;
  // The last packet's place: packets of one flow often come in runs (a body, a burst).
  // Valid until the table changes (an insert may move places).
  uint64_t last_hash_ = 0;
  Place* last_ = nullptr;
  const size_t share_;          // flows each worker's table holds (max_flows / workers)
  std::vector<uint64_t> load_;  // recent work per worker, halved every kDecayPackets
  std::vector<size_t> flows_;   // places held per worker
  uint32_t next_ = 0;           // where a tie starts looking, so ties rotate
  uint64_t packets_ = 0;
  TimestampNs swept_ = 0;  // when idle places were last forgotten
  std::vector<uint16_t> control_ports_;
  bool watch_commands_ = false;
  // Host pair -> the place key of the latest control connection between them (looked up
  // in places_: gone with it). Swept with the idle places, capped like places_.
  tsl::robin_map<uint64_t, uint64_t, Mix> controls_;
};

}  // namespace netsift

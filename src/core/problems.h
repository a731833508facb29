// Stable names for everything that can be wrong with a packet or a stream. A name is
// part of the output contract (JSON `problems`, the run summary): never rename one.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace netsift {

#define NETSIFT_PROBLEMS(X)                               \
  X(LinkTruncated, "link.truncated")                      \
  X(LinkUnsupported, "link.unsupported_linktype")         \
  X(LinkTooDeep, "link.too_many_encapsulations")          \
  X(EthernetTruncated, "ethernet.truncated")              \
  X(VlanTruncated, "vlan.truncated")                      \
  X(VlanTooDeep, "vlan.too_deep")                         \
  X(LlcTruncated, "llc.truncated")                        \
  X(MplsTruncated, "mpls.truncated")                      \
  X(MplsTooDeep, "mpls.too_deep")                         \
  X(PppoeTruncated, "pppoe.truncated")                    \
  X(SllTruncated, "sll.truncated")                        \
  X(NullTruncated, "null.truncated")                      \
  X(NflogTruncated, "nflog.truncated")                    \
  X(NflogBadTlv, "nflog.bad_tlv")                         \
  X(ArpTruncated, "arp.truncated")                        \
  X(Ipv4Truncated, "ipv4.truncated_header")               \
  X(Ipv4BadVersion, "ipv4.bad_version")                   \
  X(Ipv4BadHeaderLength, "ipv4.bad_header_length")        \
  X(Ipv4BadTotalLength, "ipv4.bad_total_length")          \
  X(Ipv4TruncatedPayload, "ipv4.truncated_payload")       \
  X(Ipv4BadChecksum, "ipv4.bad_checksum")                 \
  X(Ipv4BadOption, "ipv4.bad_option")                     \
  X(Ipv6Truncated, "ipv6.truncated_header")               \
  X(Ipv6BadVersion, "ipv6.bad_version")                   \
  X(Ipv6TruncatedPayload, "ipv6.truncated_payload")       \
  X(Ipv6ExtTruncated, "ipv6.truncated_extension_header")  \
  X(Ipv6ExtTooMany, "ipv6.too_many_extension_headers")    \
  X(IpUnknownVersion, "ip.unknown_version")               \
  X(GreTruncated, "gre.truncated_header")                 \
  X(GreUnsupported, "gre.unsupported_version")            \
  X(UdpTunnelTruncated, "udp_tunnel.truncated_header")    \
  X(TcpTruncated, "tcp.truncated_header")                 \
  X(TcpBadHeaderLength, "tcp.bad_header_length")          \
  X(TcpBadOption, "tcp.bad_option_length")                \
  X(TcpBadChecksum, "tcp.bad_checksum")                   \
  X(UdpTruncated, "udp.truncated_header")                 \
  X(UdpBadLength, "udp.bad_length")                       \
  X(UdpBadChecksum, "udp.bad_checksum")                   \
  X(IcmpTruncated, "icmp.truncated_header")               \
  X(IcmpBadChecksum, "icmp.bad_checksum")                 \
  X(IcmpInnerTruncated, "icmp.truncated_quoted_header")   \
  X(Icmp6Truncated, "icmp6.truncated_header")             \
  X(Icmp6BadChecksum, "icmp6.bad_checksum")               \
  X(Icmp6InnerTruncated, "icmp6.truncated_quoted_header") \
  X(TransportTruncated, "transport.truncated")            \
  X(CaptureTruncated, "capture.snaplen_cut")              \
  X(FragmentOverlap, "ipfrag.conflicting_overlap")        \
  X(FragmentTimeout, "ipfrag.timeout")                    \
  X(FragmentCapDrop, "ipfrag.cap_dropped")                \
  X(FragmentTooLarge, "ipfrag.too_large")                 \
  X(TcpConflictingOverlap, "tcp.conflicting_overlap")     \
  X(TcpGap, "tcp.gap")                                    \
  X(TcpSegmentCapDrop, "tcp.buffer_cap_dropped")          \
  X(FlowCapDrop, "flow.cap_dropped")                      \
  X(AnalyzerError, "analyzer.protocol_error")

enum class Problem : uint8_t {
#define NETSIFT_PROBLEM_ENUM(id, name) id,
  NETSIFT_PROBLEMS(NETSIFT_PROBLEM_ENUM)
#undef NETSIFT_PROBLEM_ENUM
      kCount
};

constexpr size_t kProblemCount = size_t(Problem::kCount);

constexpr std::array<std::string_view, kProblemCount> kProblemNames = {
#define NETSIFT_PROBLEM_NAME(id, name) name,
    NETSIFT_PROBLEMS(NETSIFT_PROBLEM_NAME)
#undef NETSIFT_PROBLEM_NAME
};

inline std::string_view problem_name(Problem p) {
  return kProblemNames[size_t(p)];
}

// Run-wide counters, one per problem name. Plain integers: each pipeline owns its own.
struct ProblemCounters {
  std::array<uint64_t, kProblemCount> counts{};
  void add(Problem p, uint64_t n = 1) { counts[size_t(p)] += n; }
  uint64_t operator[](Problem p) const { return counts[size_t(p)]; }
};

}  // namespace netsift

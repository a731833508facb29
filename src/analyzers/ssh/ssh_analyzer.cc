#include "analyzers/ssh/ssh_analyzer.h"

#include <array>
#include <string>

namespace netsift {
namespace {

constexpr uint16_t kSshPorts[] = {22};
constexpr size_t kMaxBannerLine = 255;  // RFC 4253: at most 255 characters incl. CR LF

Confidence probe_ssh(Dir, ByteView first) {
  static constexpr std::string_view kPrefix = "SSH-";
  std::string_view s = as_chars(first);
  if (s.size() >= kPrefix.size()) return s.starts_with(kPrefix) ? Confidence::Yes : Confidence::No;
  return kPrefix.starts_with(s) ? Confidence::Maybe : Confidence::No;
}

// Anomalies (docs/events.md, `weird`).
constexpr std::string_view kSshAnomalies[] = {"ssh.bad_identification"};
enum SshAnomaly : size_t {
  kBadIdentification,  // no identification line where one must be (RFC 4253 4.2)
};

class SshAnalyzer final : public Analyzer {
 public:
  explicit SshAnalyzer(const AnalyzerContext& context) : context_(context), flow_(*context.flow) {}

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    Side& side = sides_[size_t(dir)];
    if (side.done) return ParseResult::ok();
    // Servers may send other lines before the identification (RFC 4253 4.2); clients not.
    size_t start = 0;
    for (;;) {
      std::string_view rest = as_chars(data.subspan(start));
      size_t eol = rest.find('\n');
      if (eol == std::string_view::npos) {
        if (rest.size() > kMaxBannerLine) return fail(out);
        return ParseResult::need_more(uint32_t(start));
      }
      std::string_view line = rest.substr(0, eol);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      start += eol + 1;
      if (line.starts_with("SSH-")) {
        side.banner.assign(line.substr(0, kMaxBannerLine));
        side.done = true;
        if (sides_[0].done && sides_[1].done) emit(out);
        return ParseResult::ok();
      }
      if (dir == Dir::ToServer || ++side.preamble_lines > 16) return fail(out);
    }
  }

  void on_close(EventSink& out) override {
    if (!emitted_ && (sides_[0].done || sides_[1].done)) emit(out);
  }

 private:
  struct Side {
    std::string banner;
    bool done = false;
    int preamble_lines = 0;
  };

  // The engine calls on_close after an Error, which reports a banner already seen.
  ParseResult fail(EventSink& out) {
    context_.anomaly(kBadIdentification, out);
    return ParseResult::error();
  }

  static void split(const std::string& banner, std::string& proto, std::string& software,
                    std::string& comments) {
    // SSH-protoversion-softwareversion[ SP comments]
    std::string_view b = banner;
    b.remove_prefix(4);
    size_t dash = b.find('-');
    proto = std::string(b.substr(0, dash));
    if (dash == std::string_view::npos) return;
    std::string_view rest = b.substr(dash + 1);
    size_t sp = rest.find(' ');
    software = std::string(rest.substr(0, sp));
    if (sp != std::string_view::npos) comments = std::string(rest.substr(sp + 1));
  }

  void emit(EventSink& out) {
    emitted_ = true;
    Event e = make_flow_event("ssh", flow_);
    static constexpr const char* kKeys[2][4] = {
        {"client_version", "client_proto", "client_software", "client_comments"},
        {"server_version", "server_proto", "server_software", "server_comments"}};
    for (size_t i = 0; i < 2; ++i) {
      if (!sides_[i].done) continue;
      std::string proto, software, comments;
      split(sides_[i].banner, proto, software, comments);
      e.set(kKeys[i][0], sides_[i].banner);
      e.set(kKeys[i][1], proto);
      e.set(kKeys[i][2], software);
      if (!comments.empty()) e.set(kKeys[i][3], comments);
    }
    out.emit(e);
  }

  AnalyzerContext context_;
  const FlowInfo& flow_;
  std::array<Side, 2> sides_;
  bool emitted_ = false;
};

std::unique_ptr<Analyzer> make_ssh(const AnalyzerContext& context) {
  return std::make_unique<SshAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kSshAnalyzer = {"ssh",     Transport::Tcp, kSshPorts,
                                   probe_ssh, make_ssh,       kSshAnomalies};

}  // namespace netsift

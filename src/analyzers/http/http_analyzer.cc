#include "analyzers/http/http_analyzer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "analyzers/auth_event.h"
#include "analyzers/http/body.h"
#include "analyzers/http/file_store.h"
#include "analyzers/http/headers.h"
#include "analyzers/http/htp_parser.h"
#include "analyzers/http/http_auth.h"
#include "analyzers/http/multipart.h"

namespace netsift {
namespace {

using http::Transaction;

constexpr uint16_t kHttpPorts[] = {80, 8000, 8080, 3128};
constexpr size_t kMaxMethod = 24;
constexpr size_t kLongTarget = 1024;  // an unfinished target this long claims (see request_line)
constexpr size_t kMaxLine = 8192;     // a request/status line searched for when resyncing
constexpr size_t kMaxPending = 256 * 1024;  // bytes libhtp asked us to hold for later

// Anomaly names; the first fifteen follow http::ParserFlag bit order.
enum Anomaly : size_t {
  kSmuggling,
  kInvalidFolding,
  kInvalidTransferEncoding,
  kInvalidContentLength,
  kHostMissing,
  kHostAmbiguous,
  kInvalidRequestLine,
  kInvalidStatusLine,
  kTooManyHeaders,
  kInvalidHeader,
  kLongHeader,
  kNulByte,
  kInvalidPathEncoding,
  kInvalidHost,
  kInvalidAuthorization,
  kDecompressionBomb,
  kDecompressionError,
  kUnsupportedEncoding,
  kBodyGap,
  kGapResync,
  kMidstream,
  kResponseWithoutRequest,
  kParseError,
  kPendingOverflow,
  kHeadersTruncated,
  kExtractFailed,
  kDecompressionMemory,
  kAnomalyCount
};
constexpr size_t kParserFlagCount = 15;

constexpr std::string_view kAnomalies[kAnomalyCount] = {
    "http.request_smuggling",
    "http.invalid_folding",
    "http.invalid_transfer_encoding",
    "http.invalid_content_length",
    "http.host_missing",
    "http.host_ambiguous",
    "http.invalid_request_line",
    "http.invalid_status_line",
    "http.too_many_headers",
    "http.invalid_header",
    "http.header_too_long",
    "http.nul_byte",
    "http.invalid_path_encoding",
    "http.invalid_host",
    "http.invalid_authorization",
    "http.decompression_bomb",
    "http.decompression_error",
    "http.unsupported_encoding",
    "http.body_gap",
    "http.gap_resync",
    "http.midstream",
    "http.response_without_request",
    "http.parse_error",
    "http.pending_overflow",
    "http.headers_truncated",
    "http.extract_failed",
    "http.decompression_memory",
};

constexpr AnalyzerOptionSpec kOptions[] = {
    {"enabled", AnalyzerOptionSpec::Kind::Bool, "true",
     "false: HTTP is recognised but not analysed (no http events; for measuring its cost)"},
    {"max_body", AnalyzerOptionSpec::Kind::Uint, "4096",
     "decoded body bytes kept in each http event (req_body, resp_body)"},
    {"max_decoded_body", AnalyzerOptionSpec::Kind::Uint, "67108864",
     "decoded bytes per body past which decompression stops (reported as a bomb)"},
    {"max_decompression_ratio", AnalyzerOptionSpec::Kind::Uint, "100",
     "decoded/encoded size ratio past which decompression stops, once 1 MiB is decoded"},
    {"extract_dir", AnalyzerOptionSpec::Kind::String, "",
     "directory where each decoded body is written once under its sha256 (--extract-files)"},
    {"extract_max_size", AnalyzerOptionSpec::Kind::Uint, "104857600",
     "bodies larger than this many bytes are not extracted"},
};

bool is_version(std::string_view v) {
  // HTTP/d.d
  return v.size() == 8 && v.starts_with("HTTP/") &&
         std::isdigit(static_cast<unsigned char>(v[5])) && v[6] == '.' &&
         std::isdigit(static_cast<unsigned char>(v[7]));
}

// How a request line (without its line end) looks: Yes, No, or Maybe while it may still
// turn into one (`complete`: the line end was seen).
Confidence request_line(std::string_view line, bool complete) {
  size_t i = 0;
  while (i < line.size() && i <= kMaxMethod && line[i] != ' ') {
    // Methods are upper-case tokens in practice; lower case would be other protocols.
    char c = line[i];
    if (!(std::isupper(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      return Confidence::No;
    ++i;
  }
  if (i > kMaxMethod || (i == 0 && !line.empty())) return Confidence::No;
  if (i == line.size()) return complete ? Confidence::No : Confidence::Maybe;
  std::string_view method = line.substr(0, i);
  std::string_view rest = line.substr(i + 1);
  if (!complete) {
    // Claim early on the target's first bytes only for the usual methods.
    bool usual = method == "GET" || method == "POST" || method == "HEAD" || method == "PUT" ||
                 method == "DELETE" || method == "PATCH" || method == "CONNECT";
    size_t sp = rest.find(' ');
    if (sp != std::string_view::npos) {
      std::string_view version = rest.substr(sp + 1);
      std::string_view want = "HTTP/";
      if (version.size() < want.size())
        return want.starts_with(version) ? Confidence::Maybe : Confidence::No;
      if (!version.starts_with(want)) return Confidence::No;
      return version.size() >= 8
                 ? (is_version(version.substr(0, 8)) ? Confidence::Yes : Confidence::No)
                 : Confidence::Maybe;
    }
    // A long target with no end in sight (an over-long URI: an attack, or a client that
    // a 414 will answer): probing keeps only its first bytes (4 KiB), so a usual method
    // is claimed on those, as long as nothing in them could not be in a request line.
    if (usual && rest.starts_with('/') && rest.size() >= kLongTarget &&
        rest.find_first_of(std::string_view("\0\r", 2)) == std::string_view::npos)
      return Confidence::Yes;
    return rest.size() > kMaxLine ? Confidence::No : Confidence::Maybe;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1), rest = line.substr(i + 1);
  size_t sp = rest.rfind(' ');
  if (sp == std::string_view::npos) {
    // HTTP/0.9: "GET /path"
    return method == "GET" && rest.starts_with('/') &&
                   rest.find_first_of(" \t") == std::string_view::npos
               ? Confidence::Yes
               : Confidence::No;
  }
  std::string_view target = rest.substr(0, sp);
  while (!target.empty() && target.back() == ' ') target.remove_suffix(1);
  if (target.empty() || !is_version(rest.substr(sp + 1))) return Confidence::No;
  return Confidence::Yes;
}

// "HTTP/d.d SP" starts a status line.
Confidence status_line(std::string_view s) {
  static constexpr std::string_view kHttp = "HTTP/";
  if (s.size() < kHttp.size()) return kHttp.starts_with(s) ? Confidence::Maybe : Confidence::No;
  if (!s.starts_with(kHttp)) return Confidence::No;
  if (s.size() < 9) {
    for (size_t i = 5; i < s.size(); ++i) {
      if (i == 6 ? s[i] != '.' : !std::isdigit(static_cast<unsigned char>(s[i])))
        return Confidence::No;
    }
    return Confidence::Maybe;
  }
  return is_version(s.substr(0, 8)) && s[8] == ' ' ? Confidence::Yes : Confidence::No;
}

// An upper-case token then a space or the line end: what a request on a connection's first
// bytes needs to look like to go to the parser (which judges the rest).
Confidence method_start(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && i <= kMaxMethod &&
         (std::isupper(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '_'))
    ++i;
  if (i == s.size()) return i <= kMaxMethod ? Confidence::Maybe : Confidence::No;
  if (i == 0 || i > kMaxMethod) return Confidence::No;
  return s[i] == ' ' || s[i] == '\r' || s[i] == '\n' ? Confidence::Yes : Confidence::No;
}

Confidence probe_http(Dir dir, ByteView first) {
  std::string_view s = as_chars(first);
  if (dir == Dir::ToClient) return status_line(s);
  size_t eol = s.find('\n');
  return request_line(s.substr(0, eol), eol != std::string_view::npos);
}

// Per-transaction state the analyzer keeps next to libhtp's.
struct TxState {
  std::array<http::Body, 2> body;
  std::array<std::vector<http::Header>, 2> headers;
};

class HttpAnalyzer final : public Analyzer, private http::ParserListener {
 public:
  explicit HttpAnalyzer(const AnalyzerContext& context)
      : context_(context), flow_(*context.flow), parser_(*this, context.flow->now) {
    const AnalyzerOptions& o = *context.options;
    limits_.keep = size_t(std::min<uint64_t>(o.get_uint("max_body"), 64ull << 20));
    limits_.max_decoded = o.get_uint("max_decoded_body");
    limits_.max_ratio = std::max<uint64_t>(o.get_uint("max_decompression_ratio"), 1);
    limits_.memory = context.host ? context.host->memory_budget() : nullptr;
    std::string_view dir = o.get_string("extract_dir");
    if (!dir.empty()) {
      // One store per engine, opened by its first HTTP flow: the directory is opened
      // (and checked) once, not per flow.
      std::shared_ptr<void>* shared =
          context.host ? context.host->shared_state(*context.spec) : nullptr;
      if (shared && *shared) {
        store_ = std::static_pointer_cast<http::FileStore>(*shared);
      } else {
        store_ =
            std::make_shared<http::FileStore>(std::string(dir), o.get_uint("extract_max_size"));
        if (shared) *shared = store_;
      }
    }
  }

  ParseResult on_data(Dir dir, ByteView data, EventSink& out) override {
    out_ = &out;
    if (tunnel_) return ParseResult::done();
    if (!oriented_ && !orient(dir, data)) return ParseResult::need_more(0);
    if (flipped_) dir = other(dir);
    size_t d = size_t(dir);
    if (sync_[d] != Sync::Synced) {
      size_t skip = 0;
      switch (find_start(dir, data, skip)) {
        case Confidence::Maybe:
          note_skip(dir, skip);
          return ParseResult::need_more(uint32_t(skip));
        case Confidence::No:
          note_skip(dir, data.size());
          return ParseResult::ok();
        case Confidence::Yes:
          note_skip(dir, skip);
          data = data.subspan(skip);
          sync_[d] = Sync::Synced;
          break;
      }
    }
    if (!pending_[d].empty()) {
      if (pending_[d].size() + data.size() > kMaxPending) {
        anomaly(kPendingOverflow);
        restart(kPendingOverflow);
        return ParseResult::ok();
      }
      pending_[d].insert(pending_[d].end(), data.begin(), data.end());
    } else {
      push(dir, data);
    }
    drain();
    // --redact: bytes of a request whose header block is not complete may hold an
    // Authorization value not yet known: they are not written until it is.
    context_.hold(engine_dir(Dir::ToServer),
                  !tunnel_ && (parser_.in_headers(Dir::ToServer) || !pending_[0].empty()));
    return tunnel_ ? ParseResult::done() : ParseResult::ok();
  }

  void on_gap(Dir dir, uint64_t missing, EventSink& out) override {
    out_ = &out;
    if (tunnel_) return;
    if (flipped_) dir = other(dir);
    size_t d = size_t(dir);
    if (sync_[d] == Sync::Synced && pending_[d].empty() && parser_.fill_gap(dir, missing)) return;
    // Lost where the framing cannot bridge it: report what is open, start afresh on the
    // next message that can be recognised in each direction.
    anomaly(kGapResync);
    restart(kGapResync);
    sync_[d] = Sync::Hunting;
  }

  void on_close(EventSink& out) override {
    out_ = &out;
    for (size_t d = 0; d < 2; ++d) {
      if (!pending_[d].empty() && !tunnel_) {
        // What libhtp held back for the other side can go now: the other side is done.
        std::vector<uint8_t> rest = std::move(pending_[d]);
        pending_[d].clear();
        parser_.feed(Dir(d), rest);
      }
    }
    parser_.close();
  }

 private:
  enum class Sync : uint8_t { Start, Synced, Hunting };

  static Dir other(Dir d) { return d == Dir::ToServer ? Dir::ToClient : Dir::ToServer; }
  // The engine's name for one of this analyzer's directions (they differ when flipped).
  Dir engine_dir(Dir d) const { return flipped_ ? other(d) : d; }

  // A capture that starts mid-connection may have made the server the flow's "client"
  // (its packet came first). The first bytes tell: a status line going to the "server",
  // or a request line coming from it, turns the connection round for good.
  // False while the first bytes could still go either way.
  bool orient(Dir dir, ByteView data) {
    std::string_view s = as_chars(data);
    size_t eol = s.find('\n');
    Confidence c = dir == Dir::ToServer ? status_line(s)
                   : eol == std::string_view::npos
                       ? (s.size() > kMaxLine ? Confidence::No : request_line(s, false))
                       : request_line(s.substr(0, eol), true);
    if (dir == Dir::ToClient && eol == std::string_view::npos && c == Confidence::Yes)
      c = Confidence::Maybe;  // a request line is only sure at its end
    if (c == Confidence::Maybe) return false;
    oriented_ = true;
    flipped_ = c == Confidence::Yes;
    if (c == Confidence::No && serves_http(flow_.client_port) && !serves_http(flow_.server_port)) {
      // The first bytes are neither (the middle of a body: the capture began there): the
      // side on an HTTP port is the server, whichever spoke first.
      flipped_ = true;
    }
    if (flipped_) {
      swapped_ = flow_;
      std::swap(swapped_.client_ip, swapped_.server_ip);
      std::swap(swapped_.client_port, swapped_.server_port);
      swapped_context_ = context_;
      swapped_context_.flow = &swapped_;
    }
    return true;
  }

  bool serves_http(uint16_t port) const {
    const auto& ports = context_.spec ? context_.spec->ports : std::span<const uint16_t>();
    return std::find(ports.begin(), ports.end(), port) != ports.end();
  }

  // The flow as events describe it: client first, turned round when the capture had it
  // the wrong way.
  const FlowInfo& event_flow() {
    if (!flipped_) return flow_;
    swapped_.now = flow_.now;
    return swapped_;
  }

  void anomaly(size_t index, std::string_view detail = {}) {
    if (out_) context_.anomaly(index, *out_, detail);
  }

  void note_skip(Dir dir, size_t n) {
    if (n == 0 || skipped_reported_[size_t(dir)]) return;
    skipped_reported_[size_t(dir)] = true;
    anomaly(kMidstream, dir == Dir::ToServer ? "request side" : "response side");
  }

  // Where the next message starts in a direction being resynchronised: Yes with `skip`
  // bytes before it, Maybe when more bytes are needed (skip: what can go already), No
  // when none is here (all can go).
  Confidence find_start(Dir dir, ByteView data, size_t& skip) {
    std::string_view s = as_chars(data);
    if (dir == Dir::ToClient && sync_[1] == Sync::Start) {
      // A reply that is not a status line answers an HTTP/0.9 request (or is broken,
      // which libhtp reports); with no request seen, it is the middle of something.
      Confidence c = status_line(s);
      if (c != Confidence::No || parser_.awaiting_response()) {
        skip = 0;
        return c == Confidence::Maybe ? Confidence::Maybe : Confidence::Yes;
      }
    }
    if (dir == Dir::ToServer && sync_[0] == Sync::Start) {
      // The connection's first bytes: anything shaped like a method is given to the
      // parser, which reports malformed request lines itself.
      Confidence c = method_start(s);
      if (c != Confidence::No) {
        skip = 0;
        return c;
      }
    }
    size_t pos = 0;
    // A reply chunk that starts while a request waits for its answer may start the answer
    // even when the bytes hunted through before (a body picked up midstream) did not end
    // a line.
    bool at_line_start = sync_[size_t(dir)] == Sync::Start || line_start_[size_t(dir)] ||
                         (dir == Dir::ToClient && parser_.awaiting_response());
    sync_[size_t(dir)] = Sync::Hunting;
    while (pos <= s.size()) {
      if (!at_line_start) {
        size_t nl = s.find('\n', pos);
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
      }
      at_line_start = false;
      std::string_view rest = s.substr(pos);
      Confidence c;
      if (dir == Dir::ToClient) {
        c = status_line(rest);
      } else {
        size_t eol = rest.find('\n');
        c = request_line(rest.substr(0, std::min(eol, kMaxLine + 64)),
                         eol != std::string_view::npos);
      }
      if (c == Confidence::Yes || c == Confidence::Maybe) {
        skip = pos;
        line_start_[size_t(dir)] = true;
        return c;
      }
    }
    // Every line start here was looked at (a partial last line too): none can begin a
    // message. The next bytes start a line only if these end one.
    skip = s.size();
    line_start_[size_t(dir)] = !s.empty() && s.back() == '\n';
    return Confidence::No;
  }

  // Gives bytes to the parser; keeps what it defers.
  void push(Dir dir, ByteView data) {
    size_t d = size_t(dir);
    while (!data.empty() && !tunnel_) {
      http::HtpParser::Fed fed = parser_.feed(dir, data);
      switch (fed.status) {
        case http::HtpParser::Status::Ok:
          return;
        case http::HtpParser::Status::Tunnel:
          // libhtp saw the switch before completing the exchange: report it now.
          parser_.stop();
          tunnel_ = true;
          return;
        case http::HtpParser::Status::Error:
          anomaly(kParseError);
          restart(kParseError);
          return;
        case http::HtpParser::Status::LineTooLong:
          anomaly(kLongHeader);
          restart(kLongHeader);
          return;
        case http::HtpParser::Status::WaitOther:
          if (fed.consumed == 0 && !pending_[d].empty()) return;
          pending_[d].assign(data.begin() + long(fed.consumed), data.end());
          return;
      }
    }
  }

  // Re-feeds deferred bytes while that makes progress.
  void drain() {
    for (int round = 0; round < 8 && !tunnel_; ++round) {
      bool progress = false;
      for (size_t d = 0; d < 2; ++d) {
        if (pending_[d].empty()) continue;
        std::vector<uint8_t> held = std::move(pending_[d]);
        pending_[d].clear();
        push(Dir(d), held);
        if (pending_[d].size() != held.size()) progress = true;
        if (pending_[d].empty()) {
          held.clear();
          pending_[d].swap(held);  // keep the capacity for next time
        }
      }
      if (!progress) return;
    }
  }

  // After a hole that framing cannot bridge: open exchanges are reported, and each
  // direction looks for the next message start (a direction that sat between messages
  // goes on from there; the damaged one may resume at any byte, so every offset is a
  // candidate, which the strict request/status line checks keep safe).
  void restart(size_t why) {
    std::array<bool, 2> idle = {parser_.idle(Dir::ToServer), parser_.idle(Dir::ToClient)};
    pending_[0].clear();
    pending_[1].clear();
    cut_short_ = why;  // the exchanges reported now end unfinished, for this reason
    parser_.restart();
    cut_short_ = kAnomalyCount;
    for (size_t d = 0; d < 2; ++d) sync_[d] = idle[d] ? Sync::Synced : Sync::Hunting;
    line_start_ = {true, true};
  }

  // --- parser events ---
  TxState& state(Transaction& tx) {
    if (tx.user == nullptr) tx.user = new TxState;
    return *static_cast<TxState*>(tx.user);
  }

  void headers(Transaction& tx, Dir dir) override {
    if (dir == Dir::ToServer && context_.redact) {
      // --redact: the header block is complete; its credential values are masked in the
      // payload by value (libhtp hands copies, not places in the stream).
      for (const auto& h : http::parse_header_block(tx.req_header_block)) {
        if (!is_credential_field(h.name)) continue;
        context_.secret(engine_dir(Dir::ToServer), h.value);
        // Also the token alone, in case folding or spacing differ on the wire.
        std::string_view v = h.value;
        size_t sp = v.find(' ');
        if (sp != std::string_view::npos && sp + 1 < v.size())
          context_.secret(engine_dir(Dir::ToServer), v.substr(sp + 1));
      }
    }
    TxState& st = state(tx);
    size_t d = size_t(dir);
    http::Body& body = st.body[d];
    if (body.started()) return;
    std::unique_ptr<http::BodyConsumer> file;
    if (store_ && store_->ok()) {
      http::FileMeta meta;
      meta.flow = flow_text();
      meta.community_id = event_flow().community_id;
      meta.uri = tx.uri;
      meta.method = tx.method;
      meta.direction = dir == Dir::ToServer ? "request" : "response";
      meta.content_type = dir == Dir::ToServer ? tx.req_content_type : tx.resp_content_type;
      meta.ts = double(flow_.now) / 1e9;
      meta.failures = &extract_failed_;
      std::string boundary =
          dir == Dir::ToServer ? http::multipart_boundary(tx.req_content_type) : std::string();
      if (boundary.empty()) {
        file = store_->open(std::move(meta));
      } else {
        // Each part as its own file, the whole body as well.
        auto open_part = [store = store_.get(), meta](const http::PartInfo& part) {
          http::FileMeta m = meta;
          m.content_type = part.content_type;
          m.part_name = part.name;
          m.filename = part.filename;
          return store->open(std::move(m));
        };
        file = std::make_unique<http::MultipartSplitter>(std::move(boundary), open_part,
                                                         store_->open(meta));
      }
    }
    body.start(dir == Dir::ToServer ? tx.req_content_encoding : tx.resp_content_encoding, limits_,
               std::move(file));
  }

  void body(Transaction& tx, Dir dir, ByteView data, bool gap) override {
    TxState& st = state(tx);
    http::Body& b = st.body[size_t(dir)];
    if (!b.started()) headers(tx, dir);
    b.add(data, gap);
  }

  void complete(Transaction& tx) override {
    TxState& st = state(tx);
    // After an accepted CONNECT or a protocol switch nothing is HTTP any more: what
    // libhtp made of the bytes that followed in the same segment is dropped.
    if (out_ && !tunnel_ && (tx.has_request || tx.has_response)) emit(tx, st);
    if (tx.status_number == 101 ||
        (tx.method == "CONNECT" && tx.status_number >= 200 && tx.status_number < 300))
      tunnel_ = true;
    delete &st;
    tx.user = nullptr;
  }

  std::string flow_text() {
    char a[kMaxAddressText], b[kMaxAddressText];
    const FlowInfo& f = event_flow();
    std::string s = f.proto == 6 ? "tcp " : "udp ";
    s.append(a, format_address(f.client_ip, a));
    s += ':' + std::to_string(f.client_port) + " -> ";
    s.append(b, format_address(f.server_ip, b));
    s += ':' + std::to_string(f.server_port);
    return s;
  }

  // Fields whose value is a credential (--redact masks them everywhere).
  static bool is_credential_field(std::string_view lower_name) {
    return lower_name == "authorization" || lower_name == "proxy-authorization";
  }

  void set_headers(Event& e, const char* key, const std::vector<http::Header>& list) {
    auto& alloc = e.alloc();
    rapidjson::Value obj(rapidjson::kObjectType);
    for (const auto& h : list) {
      std::string_view shown =
          context_.redact && is_credential_field(h.name) ? kRedacted : std::string_view(h.value);
      rapidjson::Value value(shown.data(), rapidjson::SizeType(shown.size()), alloc);
      const rapidjson::Value name(rapidjson::StringRef(h.name.data(), h.name.size()));
      // HasMember, not FindMember() == MemberEnd(): rapidjson's iterator comparison is
      // ambiguous under C++20's reversed operators (clang's warning).
      if (!obj.HasMember(name)) {
        obj.AddMember(rapidjson::Value(h.name.data(), rapidjson::SizeType(h.name.size()), alloc),
                      value, alloc);
      } else {
        // Repeated field: the value becomes a list, in order.
        auto it = obj.FindMember(name);
        if (!it->value.IsArray()) {
          rapidjson::Value first(std::move(it->value));
          it->value.SetArray();
          it->value.PushBack(first, alloc);
        }
        it->value.PushBack(value, alloc);
      }
    }
    e.set(key, std::move(obj));
  }

  void set_body(Event& e, const char* body_key, const char* len_key, const char* cut_key,
                const char* sha_key, const http::Body& b) {
    e.set_escaped(body_key,
                  ByteView(reinterpret_cast<const uint8_t*>(b.kept().data()), b.kept().size()));
    e.set(len_key, b.decoded_length());
    e.set(cut_key, b.truncated());
    if (b.decoded_length() > 0 && b.hash_valid()) e.set(sha_key, b.sha256_hex());
  }

  static std::string media_type(std::string_view ct) {
    ct = ct.substr(0, ct.find(';'));
    while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
    while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
    std::string out(ct);
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }

  void emit(Transaction& tx, TxState& st) {
    st.body[0].finish(tx.request_complete && !tx.request_cut);
    st.body[1].finish(tx.response_complete && !tx.response_cut);
    st.headers[0] = http::parse_header_block(tx.req_header_block);
    st.headers[1] = http::parse_header_block(tx.resp_header_block);
    std::vector<std::string_view> names;
    auto note = [&](size_t index) {
      if (std::find(names.begin(), names.end(), kAnomalies[index]) != names.end()) return;
      names.push_back(kAnomalies[index]);
      anomaly(index);
    };
    for (size_t bit = 0; bit < kParserFlagCount; ++bit) {
      if (tx.flags & (1u << bit)) note(bit);
    }
    if (tx.req_headers_cut || tx.resp_headers_cut) note(kHeadersTruncated);
    if (!tx.has_request && tx.has_response) note(kResponseWithoutRequest);
    if (cut_short_ != kAnomalyCount) note(cut_short_);
    if (extract_failed_ != extract_failures_) {
      extract_failures_ = extract_failed_;
      note(kExtractFailed);
    }
    for (auto& b : st.body) {
      if (!b.take_problem_report()) continue;
      switch (b.problem()) {
        case http::Body::Problem::Bomb:
          note(kDecompressionBomb);
          break;
        case http::Body::Problem::DecodeError:
          note(kDecompressionError);
          break;
        case http::Body::Problem::Unsupported:
          note(kUnsupportedEncoding);
          break;
        case http::Body::Problem::Gap:
          note(kBodyGap);
          break;
        case http::Body::Problem::Memory:
          note(kDecompressionMemory);
          break;
        case http::Body::Problem::None:
          break;
      }
    }

    Event e = make_flow_event("http", event_flow(), tx.ts_start);
    e.set_time("ts_start", tx.ts_start);
    e.set_time("ts_end", tx.ts_end ? tx.ts_end : flow_.now);
    e.set("trans_depth", tx.index + 1);
    if (tx.has_request) {
      e.set("req_method", tx.method);
      e.set("req_uri", tx.uri);
      e.set("req_version", tx.req_version);
      set_headers(e, "req_headers", st.headers[0]);
      set_body(e, "req_body", "req_body_len", "req_body_truncated", "req_body_sha256", st.body[0]);
      std::string_view host = find_header(st.headers[0], "host");
      if (!host.empty()) e.set("host", host);
      std::string_view ua = find_header(st.headers[0], "user-agent");
      if (!ua.empty()) e.set("user_agent", ua);
      if (!tx.req_content_type.empty()) e.set("req_content_type", media_type(tx.req_content_type));
    }
    if (tx.has_response) {
      if (!tx.resp_version.empty()) e.set("resp_version", tx.resp_version);
      if (!tx.status.empty()) e.set("resp_status", tx.status);
      if (!tx.status.empty()) e.set("resp_reason", tx.reason);
      set_headers(e, "resp_headers", st.headers[1]);
      set_body(e, "resp_body", "resp_body_len", "resp_body_truncated", "resp_body_sha256",
               st.body[1]);
      if (!st.body[1].encoding().empty()) e.set("resp_content_encoding", st.body[1].encoding());
      if (!tx.resp_content_type.empty()) e.set("content_type", media_type(tx.resp_content_type));
      if (tx.continued) e.set("continued", true);
    }
    if (tx.tunnel || (tx.status_number == 101) ||
        (tx.method == "CONNECT" && tx.status_number >= 200 && tx.status_number < 300)) {
      std::string_view upgrade = find_header(st.headers[1], "upgrade");
      e.set("upgrade", tx.method == "CONNECT" ? std::string_view("connect")
                       : tx.method == "PRI"   ? std::string_view("h2c")
                       : upgrade.empty()      ? std::string_view("unknown")
                                              : upgrade);
    }
    if (!names.empty()) {
      rapidjson::Value list(rapidjson::kArrayType);
      for (auto n : names) list.PushBack(rapidjson::StringRef(n.data(), n.size()), e.alloc());
      e.set("anomalies", std::move(list));
    }
    out_->emit(e);
    if (tx.has_request) emit_auth(tx, st);
  }

  // One `auth` event per request carrying credentials (Authorization, or
  // Proxy-Authorization towards a proxy); the status tells the result.
  void emit_auth(const Transaction& tx, const TxState& st) {
    for (const char* field : {"authorization", "proxy-authorization"}) {
      std::string_view value = find_header(st.headers[0], field);
      if (value.empty()) continue;
      auto cred = http::parse_authorization(value);
      if (!cred) continue;
      AuthAttempt a;
      a.user = cred->user;
      a.password = cred->password;
      a.mechanism = cred->scheme;
      a.credential = cred->credential;
      a.ts = tx.ts_start;
      bool proxy = field[0] == 'p';
      int refused = proxy ? 407 : 401;
      if (!tx.has_response || tx.status_number == 0) {
        a.result = AuthResult::Unknown;
      } else if (tx.status_number == refused || tx.status_number == 403) {
        a.result = AuthResult::Failure;
        a.reason = tx.status + (tx.reason.empty() ? "" : " " + tx.reason);
      } else if (tx.status_number >= 200) {
        a.result = AuthResult::Success;
      }
      if (!cred->valid) anomaly(kInvalidAuthorization);
      event_flow();
      Event e = make_auth_event(flipped_ ? swapped_context_ : context_, "http", a);
      if (!tx.uri.empty()) e.set("uri", tx.uri);
      out_->emit(e);
    }
  }

  AnalyzerContext context_;
  const FlowInfo& flow_;
  bool oriented_ = false, flipped_ = false;
  FlowInfo swapped_;                 // flow_ turned round, when flipped_
  AnalyzerContext swapped_context_;  // context_ pointing at swapped_
  http::BodyLimits limits_;
  uint64_t extract_failed_ = 0;  // this flow's files that failed (before store_: outlives it)
  std::shared_ptr<http::FileStore> store_;
  http::HtpParser parser_;
  EventSink* out_ = nullptr;
  std::array<Sync, 2> sync_{Sync::Start, Sync::Start};
  std::array<bool, 2> skipped_reported_{};
  std::array<bool, 2> line_start_{};  // a resynchronising direction's next byte starts a line
  std::array<std::vector<uint8_t>, 2> pending_;
  bool tunnel_ = false;
  uint64_t extract_failures_ = 0;
  size_t cut_short_ = kAnomalyCount;  // while restarting: why open exchanges end early
};

std::unique_ptr<Analyzer> make_http(const AnalyzerContext& context) {
  if (context.options && !context.options->get_bool("enabled")) return nullptr;
  return std::make_unique<HttpAnalyzer>(context);
}

}  // namespace

const AnalyzerSpec kHttpAnalyzer = {"http",    Transport::Tcp, kHttpPorts, probe_http,
                                    make_http, kAnomalies,     kOptions};

}  // namespace netsift

// The only file that sees libhtp (see htp_parser.h).
#include "analyzers/http/htp_parser.h"

#include <htp/htp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace netsift::http {
namespace {

constexpr size_t kMaxHeaderBlock = 64 * 1024;  // raw header bytes kept per message
constexpr size_t kGapChunk = 16 * 1024;        // placeholder bytes per libhtp call
constexpr uint64_t kMaxGapFill = 64ull << 20;  // larger holes restart the parser instead
constexpr size_t kMaxHeldLine = 16 * 1024;     // a longer Content-Type line is not held

std::string_view view(const bstr* b) {
  if (b == nullptr) return {};
  return {reinterpret_cast<const char*>(bstr_ptr(b)), bstr_len(b)};
}

std::string_view header(const htp_table_t* table, const char* name) {
  if (table == nullptr) return {};
  const auto* h = static_cast<const htp_header_t*>(htp_table_get_c(table, name));
  return h ? view(h->value) : std::string_view();
}

std::string version_of(const bstr* protocol) {
  std::string_view p = view(protocol);
  if (p.size() > 5 && (p.starts_with("HTTP/") || p.starts_with("http/"))) p.remove_prefix(5);
  return std::string(p.substr(0, 16));
}

uint32_t translate_flags(uint64_t f) {
  struct Map {
    uint64_t htp;
    uint32_t ours;
  };
  static constexpr Map kMap[] = {
      {HTP_REQUEST_SMUGGLING, kFlagSmuggling},
      {HTP_INVALID_FOLDING, kFlagInvalidFolding},
      {HTP_REQUEST_INVALID_T_E, kFlagInvalidTransferEncoding},
      {HTP_REQUEST_INVALID_C_L, kFlagInvalidContentLength},
      {HTP_HOST_MISSING, kFlagHostMissing},
      {HTP_HOST_AMBIGUOUS, kFlagHostAmbiguous},
      {HTP_REQUEST_INVALID, kFlagInvalidRequestLine},
      {HTP_STATUS_LINE_INVALID, kFlagInvalidStatusLine},
      {HTP_HEADERS_TOO_MANY, kFlagTooManyHeaders},
      {HTP_FIELD_UNPARSEABLE | HTP_FIELD_INVALID, kFlagInvalidHeader},
      {HTP_FIELD_LONG, kFlagLongHeader},
      {HTP_FIELD_RAW_NUL | HTP_PATH_RAW_NUL | HTP_PATH_ENCODED_NUL, kFlagRawNul},
      {HTP_PATH_INVALID_ENCODING | HTP_PATH_INVALID, kFlagInvalidPathEncoding},
      {HTP_HOST_INVALID, kFlagInvalidHost},
      {HTP_AUTH_INVALID, kFlagInvalidAuth},
  };
  uint32_t out = 0;
  for (const auto& m : kMap) {
    if (f & m.htp) out |= m.ours;
  }
  return out;
}

bool iequal_prefix(std::string_view s, std::string_view lower) {
  if (s.size() < lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    if (char(std::tolower(static_cast<unsigned char>(s[i]))) != lower[i]) return false;
  }
  return true;
}

// `lower` starts with a lowercase letter (the cheap first test relies on it: this runs
// over chunked response bodies).
size_t ifind(std::string_view s, std::string_view lower) {
  for (size_t i = 0; i + lower.size() <= s.size(); ++i) {
    if ((s[i] | 0x20) == lower[0] && iequal_prefix(s.substr(i), lower)) return i;
  }
  return std::string_view::npos;
}

// libhtp 0.5 refuses a response whose Content-Type is multipart/byteranges when neither
// Transfer-Encoding nor Content-Length frames it ("not supported", a parse error), after
// RFC 2616 4.4 called that type self-delimiting. RFC 9112 6.3 dropped that rule: such a
// response is read until the server closes the connection, which is what libhtp does
// for any other type. So the '/' of that media type is hidden from libhtp (the feed
// rewrites it to ';' in the header lines it hands over), and put back in what is
// reported. Framing by Transfer-Encoding or Content-Length is checked before the type,
// so hiding it changes nothing else.
constexpr std::string_view kByteranges = "multipart/byteranges";
constexpr char kHiddenSlash = ';';

void unhide_byteranges(std::string& s) {
  size_t from = 0;
  while (true) {
    size_t i = ifind(std::string_view(s).substr(from), "multipart;byteranges");
    if (i == std::string_view::npos) return;
    s[from + i + 9] = '/';
    from += i + kByteranges.size();
  }
}

}  // namespace

struct HtpParser::Impl {
  ParserListener& listener;
  const TimestampNs& now;
  htp_cfg_t* cfg = nullptr;
  htp_connp_t* connp = nullptr;
  // Entity bytes still expected in the current body of each direction: UINT64_MAX for a
  // response read until the connection closes, 0 when no length-delimited body is open.
  std::array<uint64_t, 2> body_left{};
  std::array<htp_tx_t*, 2> body_tx{};
  std::array<bool, 2> in_message{};    // a request / response started and not complete
  std::array<bool, 2> headers_done{};  // ... and its header block is complete
  bool filling_gap = false;
  bool closed = false;
  bool tunnel = false;  // CONNECT accepted or protocol switched: no more parsing
  // Response header lines as fed (see kByteranges): whether the next byte starts a line,
  // a Content-Type line held back until its end arrives, the rewritten copy, and
  // whether the current response had its type hidden.
  bool res_line_start = true;
  bool res_interim = false;  // the header block under way follows a 1xx status line
  // An informational response libhtp would take for the final one (see skip_interim):
  // being skipped, and whether the line under way has bytes other than CR yet.
  bool skipping_interim = false;
  bool skip_line_has_text = false;
  size_t preface_seen = 0;    // bytes of an HTTP/2 preface fed so far (feed_request)
  htp_tx_t* h2_tx = nullptr;  // the HTTP/2 preface's exchange, its answer not yet seen
  bool h2_client = false;     // the client sent the HTTP/2 preface: its frames follow
  std::string res_held, res_scratch;
  bool byteranges_hidden = false;

  Impl(ParserListener& l, const TimestampNs& n) : listener(l), now(n) { open(); }
  ~Impl() { shut(); }

  static Impl& of(htp_tx_t* tx) { return *static_cast<Impl*>(htp_connp_get_user_data(tx->connp)); }

  Transaction& txn(htp_tx_t* tx) {
    auto* t = static_cast<Transaction*>(htp_tx_get_user_data(tx));
    if (t == nullptr) {
      t = new Transaction;
      t->index = tx->index;
      t->ts_start = now;
      htp_tx_set_user_data(tx, t);
    }
    return *t;
  }

  void open() {
    cfg = htp_config_create();
    htp_config_set_server_personality(cfg, HTP_SERVER_IDS);
    // Anomalies come from tx flags; ERROR-level messages are the reasons parsing stops
    // (kept by libhtp until the parser is destroyed: one per connection at most).
    htp_config_set_log_level(cfg, HTP_LOG_ERROR);
    htp_config_set_tx_auto_destroy(cfg, 1);
    htp_config_set_response_decompression(cfg, 0);  // decoded by the analyzer
    htp_config_set_request_decompression(cfg, 0);
    htp_config_set_parse_request_auth(cfg, 0);  // the analyzer parses Authorization
    htp_config_register_request_start(cfg, on_request_start);
    htp_config_register_request_line(cfg, on_request_line);
    htp_config_register_request_header_data(cfg, on_request_header_data);
    htp_config_register_request_headers(cfg, on_request_headers);
    htp_config_register_request_body_data(cfg, on_request_body);
    htp_config_register_request_complete(cfg, on_request_complete);
    htp_config_register_response_start(cfg, on_response_start);
    htp_config_register_response_line(cfg, on_response_line);
    htp_config_register_response_header_data(cfg, on_response_header_data);
    htp_config_register_response_headers(cfg, on_response_headers);
    htp_config_register_response_body_data(cfg, on_response_body);
    htp_config_register_response_complete(cfg, on_response_complete);
    htp_config_register_transaction_complete(cfg, on_transaction_complete);
    connp = htp_connp_create(cfg);
    htp_connp_set_user_data(connp, this);
    htp_time_t tv = timeval_of(now);
    htp_connp_open(connp, nullptr, 0, nullptr, 0, &tv);
    body_left = {};
    body_tx = {};
    in_message = {};
    headers_done = {};
    res_line_start = true;
    res_interim = false;
    skipping_interim = false;
    preface_seen = 0;
    h2_tx = nullptr;
    h2_client = false;
    res_held.clear();
    byteranges_hidden = false;
  }

  // Reports what is unfinished and frees libhtp's state.
  void shut() {
    h2_tx = nullptr;  // freed below
    if (connp == nullptr) return;
    if (htp_conn_t* conn = htp_connp_get_connection(connp)) {
      for (size_t i = 0; i < htp_list_size(conn->transactions); ++i) {
        auto* tx = static_cast<htp_tx_t*>(htp_list_get(conn->transactions, i));
        if (tx == nullptr) continue;
        auto* t = static_cast<Transaction*>(htp_tx_get_user_data(tx));
        if (t == nullptr) continue;
        htp_tx_set_user_data(tx, nullptr);
        // Every transaction goes to the listener, which frees its own state with it
        // (one with neither a request nor a response line is not reported).
        t->flags |= translate_flags(tx->flags);
        t->ts_end = now;
        listener.complete(*t);
        delete t;
      }
    }
    htp_connp_destroy_all(connp);
    htp_config_destroy(cfg);
    connp = nullptr;
    cfg = nullptr;
  }

  static htp_time_t timeval_of(TimestampNs ns) {
    htp_time_t tv;
    tv.tv_sec = time_t(ns / 1000000000);
    tv.tv_usec = suseconds_t((ns % 1000000000) / 1000);
    return tv;
  }

  // --- libhtp hooks ---
  static int on_request_start(htp_tx_t* tx) {
    Impl& self = of(tx);
    self.txn(tx);
    self.in_message[0] = true;
    self.headers_done[0] = false;
    return HTP_OK;
  }
  static int on_request_line(htp_tx_t* tx) {
    Transaction& t = of(tx).txn(tx);
    t.has_request = true;
    t.method.assign(view(tx->request_method).substr(0, 256));
    t.uri.assign(view(tx->request_uri).substr(0, kMaxHeaderBlock));
    t.req_version = tx->is_protocol_0_9 ? std::string("0.9") : version_of(tx->request_protocol);
    return HTP_OK;
  }
  static void append(std::string& block, bool& cut, const htp_tx_data_t* d) {
    if (d->data == nullptr || d->len == 0) return;
    size_t room = kMaxHeaderBlock - std::min(kMaxHeaderBlock, block.size());
    if (d->len > room) cut = true;
    block.append(reinterpret_cast<const char*>(d->data), std::min(room, d->len));
  }
  static int on_request_header_data(htp_tx_data_t* d) {
    Transaction& t = of(d->tx).txn(d->tx);
    append(t.req_header_block, t.req_headers_cut, d);
    return HTP_OK;
  }
  static int on_request_headers(htp_tx_t* tx) {
    Impl& self = of(tx);
    Transaction& t = self.txn(tx);
    t.req_content_encoding.assign(header(tx->request_headers, "content-encoding").substr(0, 256));
    // The field as sent: libhtp's request_content_type drops the parameters (boundary).
    t.req_content_type.assign(header(tx->request_headers, "content-type").substr(0, 512));
    t.flags |= translate_flags(tx->flags);
    self.headers_done[0] = true;
    self.body_tx[0] = tx;
    self.body_left[0] =
        tx->request_transfer_coding == HTP_CODING_IDENTITY && tx->request_content_length > 0
            ? uint64_t(tx->request_content_length)
            : 0;
    self.listener.headers(t, Dir::ToServer);
    return HTP_OK;
  }
  void body(htp_tx_data_t* d, Dir dir) {
    if (d->data == nullptr || d->len == 0) return;
    size_t i = size_t(dir);
    if (body_tx[i] == d->tx && body_left[i] != UINT64_MAX)
      body_left[i] -= std::min<uint64_t>(body_left[i], d->len);
    listener.body(txn(d->tx), dir, ByteView(d->data, d->len), filling_gap);
  }
  static int on_request_body(htp_tx_data_t* d) {
    of(d->tx).body(d, Dir::ToServer);
    return HTP_OK;
  }
  static int on_request_complete(htp_tx_t* tx) {
    Impl& self = of(tx);
    Transaction& t = self.txn(tx);
    t.request_complete = true;
    t.flags |= translate_flags(tx->flags);
    self.in_message[0] = false;
    if (self.body_tx[0] == tx) self.body_tx[0] = nullptr, self.body_left[0] = 0;
    if (t.method == "PRI" && t.uri == "*" && t.req_version == "2.0") {
      // HTTP/2 with prior knowledge (h2c, as gRPC in the clear speaks it): binary frames
      // follow (feed_request drops them). The server's first bytes tell whether it
      // switched too, or answered in HTTP/1 (a 400 from a server that speaks no HTTP/2).
      t.tunnel = true;
      self.h2_tx = tx;
      self.h2_client = true;
    }
    return HTP_OK;
  }
  static int on_response_start(htp_tx_t* tx) {
    Impl& self = of(tx);
    self.txn(tx);
    self.in_message[1] = true;
    self.headers_done[1] = false;
    return HTP_OK;
  }
  static int on_response_line(htp_tx_t* tx) {
    Transaction& t = of(tx).txn(tx);
    if (of(tx).h2_tx == tx) {
      of(tx).h2_tx = nullptr;  // answered in HTTP/1: no switch
      t.tunnel = false;
    }
    t.has_response = true;
    t.resp_version = version_of(tx->response_protocol);
    t.status.assign(view(tx->response_status).substr(0, 64));
    t.status_number = tx->response_status_number;
    t.reason.assign(view(tx->response_message).substr(0, 1024));
    if (t.status_number >= 100 && t.status_number < 200 && t.status_number != 101)
      t.continued = true;
    t.resp_header_block.clear();  // the interim response's headers are not the final ones
    // RFC 9112 6.3: 204 and 304 never have a body, whatever Content-Length says (a 304
    // may repeat the cached representation's length). libhtp 0.5.42 reads a body when
    // the field is there, which swallows the next response; its HEAD rule is the one
    // that ends the message at the header block, so it is applied here.
    if ((t.status_number == 204 || t.status_number == 304) &&
        tx->request_method_number != HTP_M_CONNECT)
      tx->request_method_number = HTP_M_HEAD;
    t.resp_headers_cut = false;
    return HTP_OK;
  }
  static int on_response_header_data(htp_tx_data_t* d) {
    Transaction& t = of(d->tx).txn(d->tx);
    append(t.resp_header_block, t.resp_headers_cut, d);
    return HTP_OK;
  }
  static int on_response_headers(htp_tx_t* tx) {
    Impl& self = of(tx);
    Transaction& t = self.txn(tx);
    // A response with no status line (HTTP/0.9 reply) still carries a body.
    t.has_response = true;
    t.resp_content_encoding.assign(header(tx->response_headers, "content-encoding").substr(0, 256));
    t.resp_content_type.assign(header(tx->response_headers, "content-type").substr(0, 512));
    if (self.byteranges_hidden) {
      self.byteranges_hidden = false;
      unhide_byteranges(t.resp_content_type);
      unhide_byteranges(t.resp_header_block);
    }
    t.flags |= translate_flags(tx->flags);
    // Body bytes are not header lines: feed() stops looking at them line by line (a 1xx
    // block is followed by the final one, which prepare_headers still has to see).
    if (t.status_number < 100 || t.status_number >= 200) self.headers_done[1] = true;
    self.body_tx[1] = tx;
    if (tx->response_transfer_coding == HTP_CODING_IDENTITY) {
      self.body_left[1] =
          tx->response_content_length >= 0 ? uint64_t(tx->response_content_length) : UINT64_MAX;
    } else {
      self.body_left[1] = 0;
    }
    self.listener.headers(t, Dir::ToClient);
    return HTP_OK;
  }
  static int on_response_body(htp_tx_data_t* d) {
    Impl& self = of(d->tx);
    Transaction& t = self.txn(d->tx);
    if (!t.has_response) {
      // HTTP/0.9: the reply is all body, no headers hook ran.
      t.has_response = true;
      self.body_tx[1] = d->tx;
      self.body_left[1] = UINT64_MAX;
      self.listener.headers(t, Dir::ToClient);
    }
    self.body(d, Dir::ToClient);
    return HTP_OK;
  }
  static int on_response_complete(htp_tx_t* tx) {
    Impl& self = of(tx);
    Transaction& t = self.txn(tx);
    t.response_complete = true;
    t.flags |= translate_flags(tx->flags);
    self.in_message[1] = false;
    if (self.body_tx[1] == tx) self.body_tx[1] = nullptr, self.body_left[1] = 0;
    if (t.status_number == 101 || (tx->request_method_number == HTP_M_CONNECT &&
                                   t.status_number >= 200 && t.status_number < 300)) {
      // The connection becomes a tunnel: the exchange is over now (libhtp would wait
      // for the request side), and nothing after it is given to libhtp.
      self.tunnel = true;
      on_transaction_complete(tx);
    }
    return HTP_OK;
  }
  static int on_transaction_complete(htp_tx_t* tx) {
    Impl& self = of(tx);
    auto* t = static_cast<Transaction*>(htp_tx_get_user_data(tx));
    if (self.h2_tx == tx) self.h2_tx = nullptr;
    if (t == nullptr) return HTP_OK;
    htp_tx_set_user_data(tx, nullptr);
    t->request_complete = true;
    t->response_complete = true;
    t->flags |= translate_flags(tx->flags);
    t->ts_end = self.now;
    for (size_t i = 0; i < 2; ++i) {
      if (self.body_tx[i] == tx) self.body_tx[i] = nullptr, self.body_left[i] = 0;
    }
    self.listener.complete(*t);
    delete t;
    return HTP_OK;
  }

  // libhtp 0.5.42 garbles a status line when one call holds the end of a response and
  // only the start of the next status line (the partial line is buffered twice). So a
  // response-side call never goes past its last line end, nor past the end of an
  // identity body, unless what follows is fed as a call of its own. Responses go one
  // at a time: every header block is looked at (see kByteranges), also one that begins
  // after an earlier response in the same call (pipelining, keep-alive).
  Fed feed(Dir dir, ByteView data) {
    if (dir == Dir::ToServer) return feed_request(data);
    if (h2_tx != nullptr && !in_message[1] && res_held.empty()) {
      std::string_view s = as_chars(data).substr(0, 5);
      if (s != std::string_view("HTTP/").substr(0, s.size())) {
        // HTTP/2 frames: the connection switched; the preface was the exchange.
        tunnel = true;
        htp_tx_t* tx = h2_tx;
        h2_tx = nullptr;
        on_transaction_complete(tx);
        return {Status::Tunnel, data.size()};
      }
    }
    size_t done = 0;
    while (done < data.size()) {
      if (tunnel) return {Status::Tunnel, data.size()};
      ByteView rest = data.subspan(done);
      Fed fed = skipping_interim                      ? skip_interim(rest)
                : res_held.empty() && !headers_next() ? feed_body(rest)
                                                      : feed_headers(rest);
      if (fed.status != Status::Ok) return {fed.status, done + fed.consumed};
      done += fed.consumed;
    }
    return {Status::Ok, data.size()};
  }

  // The HTTP/2 connection preface (RFC 9113 3.4) is the request line and blank line
  // "PRI * HTTP/2.0", then "SM" and binary frames: libhtp is given the preface up to its
  // blank line, however it is split, and nothing after it.
  Fed feed_request(ByteView data) {
    static constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\n";
    if (h2_client) return {Status::Ok, data.size()};  // HTTP/2 frames
    if (preface_seen == 0 && in_message[0]) return feed_call(Dir::ToServer, data);
    std::string_view want = kH2Preface.substr(preface_seen);
    std::string_view s = as_chars(data);
    size_t n = std::min(want.size(), s.size());
    if (s.substr(0, n) != want.substr(0, n)) {
      preface_seen = 0;
      return feed_call(Dir::ToServer, data);
    }
    Fed fed = feed_call(Dir::ToServer, data.subspan(0, n));
    if (fed.status != Status::Ok) {
      preface_seen = 0;
      return fed;
    }
    if (n < want.size()) {
      preface_seen += n;
      return {Status::Ok, data.size()};
    }
    preface_seen = 0;
    if (h2_client) return {Status::Ok, data.size()};  // the rest is HTTP/2 frames
    fed = feed_call(Dir::ToServer, data.subspan(n));
    return {fed.status, n + fed.consumed};
  }

  // Header lines up to the end of the final header block: a Content-Type line is handed
  // over whole, multipart/byteranges hidden; the rest as it came. Returns the bytes of
  // `data` used (at least one, when Ok).
  Fed feed_headers(ByteView data) {
    size_t held = res_held.size();
    std::string_view in = as_chars(data);
    if (held) {
      res_scratch.assign(res_held);
      res_scratch.append(in);
      res_held.clear();
      in = res_scratch;
    }
    std::string_view out = prepare_headers(in);  // `in` or its rewritten copy, maybe cut
    Fed fed = feed_response(ByteView(reinterpret_cast<const uint8_t*>(out.data()), out.size()));
    if (fed.status == Status::Ok && skipping_interim) {
      // Cut before an informational status line: skip_interim takes it from there (a
      // held start of it is dropped, so the line is then under way).
      res_line_start = true;
      skip_line_has_text = out.size() < held;
      return {Status::Ok, out.size() > held ? out.size() - held : 0};
    }
    if (fed.status == Status::Ok) {
      if (!out.empty()) res_line_start = out.back() == '\n';
      // Cut at a partial line now held: all of `data` is taken. Cut at the block's end
      // (held bytes never hold a line end, so the cut is past them): the rest waits.
      if (!res_held.empty() || out.size() == in.size()) return {Status::Ok, data.size()};
      return {Status::Ok, out.size() - held};
    }
    // Stopped early (waiting for the request, or an error): the caller gives the rest
    // again, so nothing of its bytes stays held; earlier held bytes not used yet are.
    res_held.clear();
    size_t used = fed.consumed;
    if (used < held) {
      res_held.assign(out.substr(used, held - used));
      return {fed.status, 0};
    }
    return {fed.status, std::min(used - held, data.size())};
  }

  // libhtp 0.5 knows one informational response, 100 Continue; any other 1xx (102
  // Processing, 103 Early Hints, RFC 8297, several of them) it takes for the final
  // response, and the real one after it for a response without a request. Such a block
  // (status line to blank line) is not given to it: the final response follows.
  Fed skip_interim(ByteView data) {
    std::string_view s = as_chars(data);
    size_t pos = 0;
    while (pos < s.size()) {
      size_t eol = s.find('\n', pos);
      std::string_view part = s.substr(pos, eol == std::string_view::npos ? s.npos : eol - pos);
      if (part.find_first_not_of('\r') != std::string_view::npos) skip_line_has_text = true;
      if (eol == std::string_view::npos) return {Status::Ok, s.size()};
      pos = eol + 1;
      if (!skip_line_has_text) {
        skipping_interim = false;  // the blank line: the block is over
        res_line_start = true;
        return {Status::Ok, pos};
      }
      skip_line_has_text = false;
    }
    return {Status::Ok, s.size()};
  }

  // Body bytes of the response under way, up to where it ends: what follows starts the
  // next response, whose header lines feed_headers has to see.
  Fed feed_body(ByteView data) {
    size_t done = 0;
    // A chunked body, which ends where only libhtp knows, goes line by line while a
    // byteranges type may follow it in this call (rare; whole lines otherwise).
    size_t mark = std::string_view::npos;
    bool looked = false;
    while (done < data.size() && !headers_next()) {
      if (tunnel) return {Status::Tunnel, data.size()};
      ByteView rest = data.subspan(done);
      size_t n = rest.size();
      uint64_t left = body_tx[1] ? body_left[1] : 0;
      if (left != 0 && left != UINT64_MAX) {
        if (left < n) n = size_t(left);
      } else if (left == 0) {
        std::string_view text = as_chars(rest);
        if (!looked || (mark != std::string_view::npos && done > mark)) {
          looked = true;
          mark = ifind(text, kByteranges);
          if (mark != std::string_view::npos) mark += done;
        }
        size_t lf = mark != std::string_view::npos ? text.find('\n') : text.rfind('\n');
        if (lf != std::string_view::npos) n = lf + 1;
      }
      Fed fed = feed_call(Dir::ToClient, rest.subspan(0, n));
      if (fed.status != Status::Ok) return {fed.status, done + fed.consumed};
      done += n;
    }
    if (done > 0) res_line_start = data[done - 1] == '\n';
    return {Status::Ok, done};
  }

  // The next response byte belongs to a header block (or starts a response).
  bool headers_next() const { return !in_message[1] || !headers_done[1]; }

  // Looks at the header lines `in` begins with; returns `in` itself, or a copy in
  // res_scratch with multipart/byteranges hidden in Content-Type lines, cut after the
  // line that ends the final header block. A last partial line that may be a
  // Content-Type line is moved to res_held (the rest is returned).
  std::string_view prepare_headers(std::string_view in) {
    size_t pos = 0;
    // After a complete response the next byte starts a message, whatever ended the last.
    bool first_line = res_line_start || !in_message[1];
    bool copied = in.data() == res_scratch.data();
    while (pos < in.size()) {
      size_t eol = in.find('\n', pos);
      std::string_view line = in.substr(pos, eol == std::string_view::npos ? in.npos : eol - pos);
      if (!first_line) {
        first_line = true;  // the tail of a line begun earlier
      } else if (eol == std::string_view::npos) {
        // Partial last line: hold it back while it may be a Content-Type or status line
        // (a 1xx one says another header block follows), or when it ends in CR (libhtp
        // 0.5 misreads a header line whose CR and LF come in separate calls: it takes the
        // next line for a folded continuation).
        if (line.size() < kMaxHeldLine && (maybe_field(line, "content-type:") ||
                                           maybe_field(line, "http/") || line.back() == '\r')) {
          res_held.assign(line);
          return in.substr(0, pos);
        }
      } else if (line == "\r" || line.empty()) {
        if (!res_interim) return in.substr(0, eol + 1);
        res_interim = false;  // 1xx: the final response's header block follows
      } else if (iequal_prefix(line, "http/") && line.size() > 12) {
        if (line[9] == '1' && !(line[10] == '0' && (line[11] == '0' || line[11] == '1'))) {
          skipping_interim = true;  // not for libhtp (skip_interim)
          return in.substr(0, pos);
        }
        res_interim = line[9] == '1';
      } else if (iequal_prefix(line, "content-type:")) {
        size_t at = ifind(line, kByteranges);
        if (at != std::string_view::npos) {
          if (!copied) {
            res_scratch.assign(in);
            copied = true;
          }
          res_scratch[pos + at + 9] = kHiddenSlash;
          in = res_scratch;
          byteranges_hidden = true;
        }
      }
      if (eol == std::string_view::npos) break;
      pos = eol + 1;
    }
    return in;
  }

  // `partial` (a line without its end yet) starts, or may come to start, with `lower`.
  static bool maybe_field(std::string_view partial, std::string_view lower) {
    return iequal_prefix(partial, lower.substr(0, std::min(partial.size(), lower.size())));
  }

  Fed feed_response(ByteView data) {
    size_t done = 0;
    while (done < data.size()) {
      if (tunnel) return {Status::Tunnel, data.size()};
      ByteView rest = data.subspan(done);
      size_t n = rest.size();
      uint64_t left = body_tx[1] ? body_left[1] : 0;
      if (left != 0 && left != UINT64_MAX) {
        if (left < n) n = size_t(left);
      } else if (left == 0) {
        std::string_view text = as_chars(rest);
        size_t lf = text.rfind('\n');
        if (lf != std::string_view::npos) n = lf + 1;
      }
      Fed fed = feed_call(Dir::ToClient, rest.subspan(0, n));
      if (fed.status != Status::Ok) return {fed.status, done + fed.consumed};
      done += n;
    }
    return {Status::Ok, data.size()};
  }

  Fed feed_call(Dir dir, ByteView data) {
    if (tunnel) return {Status::Tunnel, data.size()};
    if (connp == nullptr || closed || data.empty()) return {Status::Ok, data.size()};
    htp_time_t tv = timeval_of(now);
    int rc = dir == Dir::ToServer ? htp_connp_req_data(connp, &tv, data.data(), data.size())
                                  : htp_connp_res_data(connp, &tv, data.data(), data.size());
    switch (rc) {
      case HTP_STREAM_DATA_OTHER: {
        size_t used = dir == Dir::ToServer ? htp_connp_req_data_consumed(connp)
                                           : htp_connp_res_data_consumed(connp);
        return {Status::WaitOther, std::min(used, data.size())};
      }
      case HTP_STREAM_TUNNEL:
        return {Status::Tunnel, data.size()};
      case HTP_STREAM_ERROR: {
        // Its reason is only in the log (level ERROR: the messages that end parsing).
        // A line longer than the hard field limit, which libhtp cannot buffer. libhtp
        // 0.5.42 words it differently per side: "Request buffer over the limit: ..." and
        // "Response the buffer limit: ...".
        const htp_log_t* log = htp_connp_get_last_error(connp);
        if (log != nullptr && log->msg != nullptr) {
          std::string_view msg(log->msg);
          if (msg.find("buffer over the limit") != std::string_view::npos ||
              msg.find("the buffer limit") != std::string_view::npos)
            return {Status::LineTooLong, data.size()};
        }
        return {Status::Error, data.size()};
      }
      default:
        return {Status::Ok, data.size()};
    }
  }

  bool fill_gap(Dir dir, uint64_t missing) {
    size_t i = size_t(dir);
    if (connp == nullptr || body_tx[i] == nullptr || missing > kMaxGapFill) return false;
    if (body_left[i] != UINT64_MAX && body_left[i] < missing) return false;
    static constexpr std::array<uint8_t, kGapChunk> kZeros{};
    filling_gap = true;
    bool ok = true;
    while (missing > 0 && ok) {
      size_t n = size_t(std::min<uint64_t>(missing, kZeros.size()));
      ok = feed(dir, ByteView(kZeros.data(), n)).status == Status::Ok;
      missing -= n;
    }
    filling_gap = false;
    return ok;
  }
};

HtpParser::HtpParser(ParserListener& listener, const TimestampNs& now)
    : impl_(std::make_unique<Impl>(listener, now)) {}

HtpParser::~HtpParser() = default;

HtpParser::Fed HtpParser::feed(Dir dir, ByteView data) {
  return impl_->feed(dir, data);
}

bool HtpParser::fill_gap(Dir dir, uint64_t missing) {
  return impl_->fill_gap(dir, missing);
}

void HtpParser::close() {
  if (impl_->closed || impl_->connp == nullptr) return;
  if (!impl_->res_held.empty()) {
    // A Content-Type line held back for its end, which never came: libhtp has it now.
    std::string held = std::move(impl_->res_held);
    impl_->res_held.clear();
    impl_->feed_response(ByteView(reinterpret_cast<const uint8_t*>(held.data()), held.size()));
  }
  for (size_t i = 0; i < 2; ++i) {
    htp_tx_t* tx = impl_->body_tx[i];
    uint64_t left = impl_->body_left[i];
    if (tx == nullptr || left == 0 || left == UINT64_MAX) continue;
    if (auto* t = static_cast<Transaction*>(htp_tx_get_user_data(tx)))
      (i == 0 ? t->request_cut : t->response_cut) = true;
  }
  htp_time_t tv = Impl::timeval_of(impl_->now);
  htp_connp_close(impl_->connp, &tv);
  impl_->closed = true;
  impl_->shut();
}

void HtpParser::stop() {
  impl_->tunnel = true;
  impl_->shut();
}

void HtpParser::restart() {
  impl_->shut();
  impl_->open();
}

bool HtpParser::idle(Dir dir) const {
  return !impl_->in_message[size_t(dir)];
}

bool HtpParser::in_headers(Dir dir) const {
  return impl_->in_message[size_t(dir)] && !impl_->headers_done[size_t(dir)];
}

bool HtpParser::awaiting_response() const {
  if (impl_->connp == nullptr) return false;
  htp_conn_t* conn = htp_connp_get_connection(impl_->connp);
  if (conn == nullptr) return false;
  for (size_t i = 0; i < htp_list_size(conn->transactions); ++i) {
    auto* tx = static_cast<htp_tx_t*>(htp_list_get(conn->transactions, i));
    if (tx != nullptr && tx->request_progress >= HTP_REQUEST_LINE &&
        tx->response_progress <= HTP_RESPONSE_NOT_STARTED)
      return true;
  }
  return false;
}

}  // namespace netsift::http

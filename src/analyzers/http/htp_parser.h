// The HTTP/1.x message parser behind the analyzer: libhtp (0.5) does request and status
// lines, header blocks, framing (Content-Length, chunked, close-delimited, HEAD, 1xx,
// 204/304, HTTP/0.9, CONNECT and 101) and pairs responses with requests in order. Only
// this wrapper's .cc includes libhtp, so the library can be replaced: its upstream is
// archived. What libhtp does not do is done around it by the analyzer: header lists that
// keep repeated fields (from the raw header bytes given here), content decoding (its
// gzip/deflate is switched off; brotli it lacks), and capture gaps (it has no notion of
// missing bytes: fill_gap feeds placeholder bytes where the framing allows, else the
// analyzer restarts the parser).
#pragma once

#include <cstdint>
#include <list>
#include <memory>

#include "analyzers/analyzer.h"
#include "analyzers/http/http_transaction.h"

namespace netsift::http {

class ParserListener {
 public:
  virtual ~ParserListener() = default;
  // A header block ended (request or response): the body, if any, follows.
  virtual void headers(Transaction& tx, Dir dir) = 0;
  // Entity bytes, de-chunked, still content-encoded. `gap`: placeholder bytes standing
  // for `data.size()` bytes the capture lost.
  virtual void body(Transaction& tx, Dir dir, ByteView data, bool gap) = 0;
  // The exchange is over: both sides complete, or the connection ended (or the parser
  // was restarted) with this transaction unfinished. The transaction is freed after.
  virtual void complete(Transaction& tx) = 0;
};

class HtpParser {
 public:
  enum class Status : uint8_t {
    Ok,           // everything consumed
    WaitOther,    // parsing of this direction waits for the other one: re-feed the rest
    Tunnel,       // CONNECT/Upgrade accepted: the rest of the connection is not HTTP
    Error,        // the parser gave up on this connection
    LineTooLong,  // ... because a line outgrew libhtp's field limit (it cannot buffer it)
  };
  struct Fed {
    Status status;
    size_t consumed;
  };

  // `now` is read whenever a message starts or ends (the flow's current packet time).
  HtpParser(ParserListener& listener, const TimestampNs& now);
  ~HtpParser();
  HtpParser(const HtpParser&) = delete;
  HtpParser& operator=(const HtpParser&) = delete;

  Fed feed(Dir dir, ByteView data);
  // `missing` bytes of `dir` were lost. True when they fell inside a body whose framing
  // tells where it ends (a Content-Length with that much left, or a response read until
  // close): they were replaced by placeholders and parsing continues. False: the parser
  // cannot know where the next message starts; the caller restarts it.
  bool fill_gap(Dir dir, uint64_t missing);
  // The connection ended: close-delimited responses complete, the rest is reported
  // unfinished. No feed after this.
  void close();
  // Reports every unfinished transaction and starts a fresh parser (after a gap).
  void restart();
  // Reports every unfinished transaction and parses nothing more (a tunnel).
  void stop();
  // A request was parsed that no response has answered yet.
  bool awaiting_response() const;
  // No message of `dir` is under way: its next byte starts one.
  bool idle(Dir dir) const;
  // A message of `dir` has started and its header block is not complete yet.
  bool in_headers(Dir dir) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netsift::http

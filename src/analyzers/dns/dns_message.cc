#include "analyzers/dns/dns_message.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "core/base64.h"

namespace netsift::dns {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr size_t kMaxName = 255;
constexpr int kMaxPointers = 64;
// A hostile message can claim 65535 records per section; parsing stops at the message's
// end anyway, but events stay readable: past this many, the message is reported cut.
constexpr size_t kMaxRecordsPerSection = 1024;

// False (with `error` set) when a section claims more records than are shown: the
// sections after it could not be found.
bool within_cap(unsigned count, const char* section, std::string& error) {
  if (count <= kMaxRecordsPerSection) return true;
  error = fmt::format("{}: {} records claimed, only the first {} shown", section, count,
                      kMaxRecordsPerSection);
  return false;
}

std::string_view opcode_name(unsigned op) {
  switch (op) {
    case 0:
      return "QUERY";
    case 1:
      return "IQUERY";
    case 2:
      return "STATUS";
    case 4:
      return "NOTIFY";
    case 5:
      return "UPDATE";
    case 6:
      return "DSO";
    default:
      return {};
  }
}

std::string_view rcode_name(unsigned rc) {
  static constexpr std::string_view kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI"};
  if (rc < std::size(kNames)) return kNames[rc];
  switch (rc) {
    case 16:
      return "BADVERS";
    case 23:
      return "BADCOOKIE";
    default:
      return {};
  }
}

Value str(std::string_view s, Alloc& a) {
  return Value(s.data(), rapidjson::SizeType(s.size()), a);
}

// Printable ASCII as is; '.' and '\\' escaped inside labels, everything else \DDD (RFC
// 1035 section 5.1), so a name always reads back unambiguously.
void append_label_char(std::string& out, uint8_t c, bool in_label) {
  if ((in_label && (c == '.' || c == '\\')) || (!in_label && (c == '"' || c == '\\'))) {
    out += '\\';
    out += char(c);
  } else if (c > 0x20 && c < 0x7f) {
    out += char(c);
  } else if (c == ' ' && !in_label) {
    out += ' ';
  } else {
    out += fmt::format("\\{:03}", c);
  }
}

std::string hex(ByteView b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(b.size() * 2);
  for (uint8_t c : b) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string base64(ByteView b) {
  std::string out(base64_length(b.size()), '\0');
  base64_encode(b, out.data());
  return out;
}

// Reads the fields of one record's data, [start, start + len) of `message` (whose whole
// bytes are needed for compressed names), appending each in presentation form; every
// read fails rather than pass the data's end.
class RdataReader {
 public:
  RdataReader(ByteView message, size_t start, size_t len)
      : message_(message), pos_(start), end_(start + len) {}

  bool name(std::string& out) {
    std::string n;
    if (pos_ >= end_ || !read_name(message_.first(end_), pos_, n)) return false;
    append(out, n);
    return true;
  }
  bool u8(std::string& out) { return number(out, 1); }
  bool u16(std::string& out) { return number(out, 2); }
  bool u32(std::string& out) { return number(out, 4); }
  bool raw_u16(uint16_t& v) {
    if (end_ - pos_ < 2) return false;
    v = load_be16(message_.data() + pos_);
    pos_ += 2;
    return true;
  }
  // <character-string>: a length byte and that many bytes, shown quoted.
  bool text(std::string& out) {
    if (pos_ >= end_) return false;
    size_t n = message_[pos_];
    if (end_ - pos_ - 1 < n) return false;
    if (!out.empty()) out += ' ';
    out += '"';
    for (size_t i = 0; i < n; ++i) append_label_char(out, message_[pos_ + 1 + i], false);
    out += '"';
    pos_ += 1 + n;
    return true;
  }
  bool address(std::string& out, int family, size_t size) {
    if (end_ - pos_ < size) return false;
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(family, message_.data() + pos_, buf, sizeof buf)) return false;
    append(out, buf);
    pos_ += size;
    return true;
  }
  ByteView rest() {
    ByteView r = message_.subspan(pos_, end_ - pos_);
    pos_ = end_;
    return r;
  }
  bool at_end() const { return pos_ == end_; }

  static void append(std::string& out, std::string_view piece) {
    if (!out.empty()) out += ' ';
    out += piece;
  }

 private:
  bool number(std::string& out, size_t size) {
    if (end_ - pos_ < size) return false;
    const uint8_t* p = message_.data() + pos_;
    uint64_t v = size == 1 ? *p : size == 2 ? load_be16(p) : load_be32(p);
    append(out, fmt::format_int(v).str());
    pos_ += size;
    return true;
  }

  ByteView message_;
  size_t pos_, end_;
};

// Type bitmaps of NSEC/NSEC3 (RFC 4034 section 4.1.2): the types present, by name.
bool type_bitmaps(ByteView maps, std::string& out) {
  size_t i = 0;
  while (i < maps.size()) {
    if (maps.size() - i < 2) return false;
    unsigned window = maps[i], len = maps[i + 1];
    if (len == 0 || len > 32 || maps.size() - i - 2 < len) return false;
    for (unsigned byte = 0; byte < len; ++byte) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        if (maps[i + 2 + byte] & (0x80 >> bit)) {
          RdataReader::append(out, type_name(uint16_t(window * 256 + byte * 8 + bit)));
        }
      }
    }
    i += 2 + len;
  }
  return true;
}

// One record's data in presentation form; data that does not match its type's layout
// is shown in the RFC 3597 form.
void render_rdata(uint16_t type, ByteView message, size_t start, size_t len, std::string& out) {
  RdataReader r(message, start, len);
  bool ok = true;
  switch (type) {
    case 1:  // A
      ok = r.address(out, AF_INET, 4);
      break;
    case 28:  // AAAA
      ok = r.address(out, AF_INET6, 16);
      break;
    case 2:   // NS
    case 5:   // CNAME
    case 12:  // PTR
    case 39:  // DNAME
      ok = r.name(out);
      break;
    case 6:  // SOA
      ok = r.name(out) && r.name(out) && r.u32(out) && r.u32(out) && r.u32(out) && r.u32(out) &&
           r.u32(out);
      break;
    case 15:  // MX
      ok = r.u16(out) && r.name(out);
      break;
    case 13:  // HINFO
      ok = r.text(out) && r.text(out);
      break;
    case 16:  // TXT
    case 99:  // SPF
      while (ok && !r.at_end()) ok = r.text(out);
      break;
    case 33:  // SRV
      ok = r.u16(out) && r.u16(out) && r.u16(out) && r.name(out);
      break;
    case 35:  // NAPTR
      ok = r.u16(out) && r.u16(out) && r.text(out) && r.text(out) && r.text(out) && r.name(out);
      break;
    case 43:       // DS
    case 32769: {  // DLV
      ok = r.u16(out) && r.u8(out) && r.u8(out);
      if (ok) RdataReader::append(out, hex(r.rest()));
      break;
    }
    case 48: {  // DNSKEY
      ok = r.u16(out) && r.u8(out) && r.u8(out);
      if (ok) RdataReader::append(out, base64(r.rest()));
      break;
    }
    case 46: {  // RRSIG
      uint16_t covered = 0;
      ok = r.raw_u16(covered);
      if (ok) RdataReader::append(out, type_name(covered));
      ok = ok && r.u8(out) && r.u8(out) && r.u32(out) && r.u32(out) && r.u32(out) && r.u16(out) &&
           r.name(out);
      if (ok) RdataReader::append(out, base64(r.rest()));
      break;
    }
    case 47: {  // NSEC
      ok = r.name(out);
      if (ok) ok = type_bitmaps(r.rest(), out);
      break;
    }
    case 257: {  // CAA
      std::string flags;
      ok = r.u8(out) && r.text(flags);
      if (ok) {
        // The tag is shown bare, the value quoted.
        RdataReader::append(out, flags.substr(1, flags.size() - 2));
        ByteView value = r.rest();
        std::string v = "\"";
        for (uint8_t c : value) append_label_char(v, c, false);
        v += '"';
        RdataReader::append(out, v);
      }
      break;
    }
    default:
      ok = false;
  }
  if (ok && r.at_end()) return;
  // RFC 3597 unknown-type form, also for data that does not fit its type.
  out = fmt::format("\\# {}", len);
  if (len) {
    out += ' ';
    out += hex(message.subspan(start, len));
  }
}

// Parses `count` records of one section into an array. False when the message breaks.
bool parse_records(ByteView msg, size_t& pos, unsigned count, const char* key, Alloc& a,
                   Value& list, std::string& error, int& ext_rcode) {
  bool ok = true;
  std::string name, rdata;
  for (unsigned i = 0; i < count && i < kMaxRecordsPerSection; ++i) {
    if (!read_name(msg, pos, name)) {
      error = fmt::format("{}: bad owner name in record {}", key, i + 1);
      ok = false;
      break;
    }
    if (msg.size() - pos < 10) {
      error = fmt::format("{}: record {} truncated", key, i + 1);
      ok = false;
      break;
    }
    const uint8_t* h = msg.data() + pos;
    uint16_t type = load_be16(h), cls = load_be16(h + 2);
    uint32_t ttl = load_be32(h + 4);
    uint16_t rdlen = load_be16(h + 8);
    pos += 10;
    if (msg.size() - pos < rdlen) {
      error = fmt::format("{}: record {} data truncated ({} of {} bytes)", key, i + 1,
                          msg.size() - pos, rdlen);
      ok = false;
      break;
    }
    Value rr(rapidjson::kObjectType);
    rr.AddMember("rname", str(name, a), a);
    rr.AddMember("rtype", str(type_name(type), a), a);
    if (type == 41) {
      // EDNS0 OPT pseudo-record: class = UDP payload size, TTL = extended RCODE, version,
      // DO flag.
      ext_rcode = int(ttl >> 24);
      rr.AddMember("udp_payload_size", cls, a);
      rr.AddMember("edns_version", (ttl >> 16) & 0xff, a);
      rr.AddMember("dnssec_ok", bool(ttl & 0x8000), a);
      rdata = rdlen ? hex(msg.subspan(pos, rdlen)) : "";
    } else {
      rr.AddMember("rclass", str(class_name(cls & 0x7fff), a), a);
      if (cls & 0x8000) rr.AddMember("cache_flush", true, a);  // mDNS (RFC 6762)
      rr.AddMember("ttl", ttl, a);
      rdata.clear();
      render_rdata(type, msg, pos, rdlen, rdata);
    }
    rr.AddMember("rdata", str(rdata, a), a);
    list.PushBack(rr, a);
    pos += rdlen;
  }
  return ok && within_cap(count, key, error);
}

}  // namespace

std::string type_name(uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 13:
      return "HINFO";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 39:
      return "DNAME";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 50:
      return "NSEC3";
    case 51:
      return "NSEC3PARAM";
    case 52:
      return "TLSA";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 99:
      return "SPF";
    case 249:
      return "TKEY";
    case 250:
      return "TSIG";
    case 251:
      return "IXFR";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
    case 257:
      return "CAA";
    case 32769:
      return "DLV";
    default:
      return fmt::format("TYPE{}", type);
  }
}

std::string class_name(uint16_t cls) {
  switch (cls) {
    case 1:
      return "IN";
    case 3:
      return "CH";
    case 4:
      return "HS";
    case 254:
      return "NONE";
    case 255:
      return "ANY";
    default:
      return fmt::format("CLASS{}", cls);
  }
}

namespace {

// Walks one (possibly compressed) name from `pos`, handing each label to `on_label`
// (false from it: refuse the name), and leaves `pos` after the name's bytes at `pos`.
// Pointers may only go back, before where the current run of labels began: every jump
// lands lower, so a chain of pointers cannot loop.
template <typename OnLabel>
bool walk_name(ByteView msg, size_t& pos, OnLabel&& on_label) {
  size_t p = pos, segment_start = pos, wire_len = 1;
  bool jumped = false;
  int pointers = 0;
  for (;;) {
    if (p >= msg.size()) return false;
    uint8_t len = msg[p];
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= msg.size()) return false;
      size_t target = size_t(len & 0x3f) << 8 | msg[p + 1];
      if (target >= segment_start || ++pointers > kMaxPointers) return false;
      if (!jumped) pos = p + 2;
      jumped = true;
      p = segment_start = target;
      continue;
    }
    if (len & 0xc0) return false;  // extended label types (RFC 6891: obsolete)
    if (len == 0) {
      if (!jumped) pos = p + 1;
      return true;
    }
    if (msg.size() - p - 1 < len) return false;
    wire_len += len + 1;
    if (wire_len > kMaxName) return false;
    if (!on_label(msg.subspan(p + 1, len))) return false;
    p += 1 + len;
  }
}

}  // namespace

bool read_name(ByteView msg, size_t& pos, std::string& out) {
  out.clear();
  bool ok = walk_name(msg, pos, [&](ByteView label) {
    if (!out.empty()) out += '.';
    // Most labels need no escape: appended whole.
    bool plain = std::all_of(label.begin(), label.end(), [](uint8_t c) {
      return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
    });
    if (plain) {
      out.append(reinterpret_cast<const char*>(label.data()), label.size());
    } else {
      for (uint8_t c : label) append_label_char(out, c, true);
    }
    return true;
  });
  if (!ok) return false;
  if (out.empty()) out.push_back('.');  // the root
  return true;
}

namespace {

// Walks one name (see read_name) without building it. A first label of 32 letters A-P
// (NetBIOS first-level encoding: NBNS on port 137 shares DNS's format) is refused; with
// `question`, every label must also be printable ASCII.
bool skip_name(ByteView msg, size_t& pos, bool question) {
  bool first = true;
  return walk_name(msg, pos, [&](ByteView label) {
    bool netbios = first && label.size() == 32;
    first = false;
    for (uint8_t c : label) {
      if (question && (c <= 0x20 || c >= 0x7f)) return false;
      netbios &= c >= 'A' && c <= 'P';
    }
    return !netbios;
  });
}

bool known_class(uint16_t cls) {
  cls &= 0x7fff;  // mDNS: unicast-response / cache-flush bit
  return cls == 1 || cls == 3 || cls == 4 || cls == 254 || cls == 255;
}

}  // namespace

bool plausible_header(ByteView msg) {
  if (msg.size() < 12) return false;
  const uint8_t* h = msg.data();
  bool response = h[2] & 0x80;
  unsigned opcode = (h[2] >> 3) & 15;
  unsigned rcode = h[3] & 15;
  unsigned qd = load_be16(h + 4), an = load_be16(h + 6), ns = load_be16(h + 8),
           ar = load_be16(h + 10);
  if (h[3] & 0x40) return false;  // Z: must be zero
  // QUERY, STATUS, NOTIFY (RFC 1996), UPDATE (RFC 2136); all carry one question/zone.
  if (opcode != 0 && opcode != 2 && opcode != 4 && opcode != 5) return false;
  if (qd != 1 && !(response && qd == 0)) return false;
  if (!response && (rcode != 0 || ar > 2 || (opcode == 0 && (an != 0 || ns != 0)))) return false;
  return true;
}

bool plausible_message(ByteView msg) {
  if (msg.size() < 12 + 5 || !plausible_header(msg)) return false;  // + the smallest question
  unsigned qd = load_be16(msg.data() + 4), an = load_be16(msg.data() + 6),
           ns = load_be16(msg.data() + 8), ar = load_be16(msg.data() + 10);
  // Every record takes at least 11 bytes: counts that cannot fit are not DNS.
  if (uint64_t(an) + ns + ar > (msg.size() - 12) / 11) return false;
  size_t pos = 12;
  if (qd) {
    if (!skip_name(msg, pos, true) || msg.size() - pos < 4) return false;
    uint16_t type = load_be16(msg.data() + pos), cls = load_be16(msg.data() + pos + 2);
    if (type == 0 || !known_class(cls)) return false;
    pos += 4;
  }
  unsigned records = an + ns + ar;
  for (unsigned i = 0; i < records; ++i) {
    if (!skip_name(msg, pos, false) || msg.size() - pos < 10) return false;
    uint16_t type = load_be16(msg.data() + pos), cls = load_be16(msg.data() + pos + 2);
    size_t rdlength = load_be16(msg.data() + pos + 8);
    if (type == 0) return false;
    // OPT (RFC 6891) carries the payload size in its class, only in the additional section.
    if (type == 41 ? i < an + ns : !known_class(cls)) return false;
    pos += 10;
    if (msg.size() - pos < rdlength) return false;
    pos += rdlength;
  }
  return pos == msg.size();
}

bool add_message(ByteView msg, Event& e) {
  if (msg.size() < 12) return false;
  Alloc& a = e.alloc();
  const uint8_t* h = msg.data();
  const uint16_t id = load_be16(h), flags = load_be16(h + 2);
  const unsigned counts[4] = {load_be16(h + 4), load_be16(h + 6), load_be16(h + 8),
                              load_be16(h + 10)};
  const unsigned opcode = (flags >> 11) & 15;
  const bool update = opcode == 5;

  size_t pos = 12;
  std::string error, name;
  // Questions (for UPDATE, the zone section: RFC 2136).
  Value questions(rapidjson::kArrayType);
  bool ok = true;
  for (unsigned i = 0; i < counts[0] && i < kMaxRecordsPerSection; ++i) {
    if (!read_name(msg, pos, name) || msg.size() - pos < 4) {
      error = fmt::format("questions: question {} truncated or malformed", i + 1);
      ok = false;
      break;
    }
    uint16_t type = load_be16(msg.data() + pos), cls = load_be16(msg.data() + pos + 2);
    pos += 4;
    Value q(rapidjson::kObjectType);
    q.AddMember("qname", str(name, a), a);
    q.AddMember("qtype", str(type_name(type), a), a);
    q.AddMember("qclass", str(class_name(cls & 0x7fff), a), a);
    if (cls & 0x8000) q.AddMember("unicast_response", true, a);  // mDNS QU bit
    questions.PushBack(q, a);
  }
  ok = ok && within_cap(counts[0], "questions", error);
  // RFC 2136 names the sections zone/prerequisite/update/additional; the keys stay the
  // same so that one jq filter serves both.
  int ext_rcode = 0;
  static constexpr const char* kSections[3] = {"answers", "authority", "additional"};
  Value sections[3] = {Value(rapidjson::kArrayType), Value(rapidjson::kArrayType),
                       Value(rapidjson::kArrayType)};
  for (int s = 0; s < 3 && ok; ++s) {
    ok = parse_records(msg, pos, counts[s + 1], kSections[s], a, sections[s], error, ext_rcode);
  }

  Value header(rapidjson::kObjectType);
  header.AddMember("id", id, a);
  header.AddMember("qr", bool(flags & 0x8000), a);
  std::string_view op = opcode_name(opcode);
  if (op.empty()) {
    header.AddMember("opcode", opcode, a);
  } else {
    header.AddMember("opcode", str(op, a), a);
  }
  header.AddMember("aa", bool(flags & 0x0400), a);
  header.AddMember("tc", bool(flags & 0x0200), a);
  header.AddMember("rd", bool(flags & 0x0100), a);
  header.AddMember("ra", bool(flags & 0x0080), a);
  header.AddMember("z", bool(flags & 0x0040), a);
  header.AddMember("ad", bool(flags & 0x0020), a);
  header.AddMember("cd", bool(flags & 0x0010), a);
  // With EDNS0 the RCODE has 8 more high bits in the OPT record (e.g. 16 = BADVERS).
  unsigned rcode = unsigned(ext_rcode) << 4 | (flags & 15);
  std::string_view rc = rcode_name(rcode);
  if (rc.empty()) {
    header.AddMember("rcode", rcode, a);
  } else {
    header.AddMember("rcode", str(rc, a), a);
  }
  header.AddMember("num_of_questions", counts[0], a);
  header.AddMember("num_of_answers", counts[1], a);
  header.AddMember("num_of_authority", counts[2], a);
  header.AddMember("num_of_additional", counts[3], a);
  e.set("header", std::move(header));
  e.set("questions", std::move(questions));
  for (int s = 0; s < 3; ++s) e.set(kSections[s], std::move(sections[s]));
  if (update) e.set("update", true);
  if (ok && pos < msg.size()) {
    error = fmt::format("{} bytes after the last record", msg.size() - pos);
  }
  if (!error.empty()) e.set("error", error);
  return true;
}

}  // namespace netsift::dns

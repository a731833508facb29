// A quick look at a DNS message for the statistics (no analyzer, no allocation): is it
// a response and with which RCODE, and for a query, its first question's name — copied
// into a fixed buffer in lower case — and where its registered domain starts.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/bytes.h"

namespace netsift {

struct DnsPeek {
  bool response = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;  // header RCODE (4 bits)
  // First question name in dotted form without the final dot ("" for the root or when
  // unreadable); `domain_start` indexes the last two labels ("example.com").
  char name_buf[256];
  uint16_t name_len = 0;
  uint16_t domain_start = 0;
  std::string_view name() const { return {name_buf, name_len}; }
  std::string_view domain() const { return name().substr(domain_start); }
  // The labels left of the registered domain, with their dots ("" if none).
  std::string_view subdomain() const {
    return domain_start ? name().substr(0, domain_start - 1) : std::string_view();
  }
};

// False when `msg` is shorter than a DNS header. A name that is compressed, too long or
// cut leaves name_len 0.
bool peek_dns(ByteView msg, DnsPeek& out);

}  // namespace netsift

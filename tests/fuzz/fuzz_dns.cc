// libFuzzer target: the DNS message parser over arbitrary bytes (one whole message, as
// a UDP datagram gives it), names read from every early offset, and the event written
// out as JSON.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>

#include "analyzers/dns/dns_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::ByteView msg(data, size);
  netsift::Event e("dns", 0);
  netsift::dns::add_message(msg, e);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  e.doc().Accept(writer);
  std::string name;
  for (size_t i = 0; i < size && i < 64; ++i) {
    size_t pos = i;
    if (netsift::dns::read_name(msg, pos, name) && (pos <= i || pos > size)) __builtin_trap();
  }
  return 0;
}

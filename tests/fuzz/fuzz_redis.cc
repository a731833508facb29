// libFuzzer target: the Redis analyzer over an arbitrary conversation in the app-layer
// engine (conversation_fuzz.h), then the RESP reader over the whole input as one stream
// (inline commands on, then off).
#include <cstdint>
#include <vector>

#include "analyzers/redis/redis_analyzer.h"
#include "analyzers/redis/resp_reader.h"
#include "conversation_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::fuzz::play_conversation(netsift::kRedisAnalyzer, data, size);
  for (bool inline_commands : {true, false}) {
    netsift::redis::RespReader reader(inline_commands);
    size_t at = 0;
    for (;;) {
      auto r = reader.next(netsift::ByteView(data + at, size - at));
      if (r.consumed > size - at) __builtin_trap();
      at += r.consumed;
      if (r.status != netsift::redis::RespReader::Status::Message) break;
    }
  }
  return 0;
}

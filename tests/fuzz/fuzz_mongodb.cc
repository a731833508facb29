// libFuzzer target: the MongoDB analyzer over an arbitrary conversation in the app-layer
// engine (conversation_fuzz.h), then the BSON reader and the wire parser over the whole
// input.
#include <cstdint>
#include <vector>

#include "analyzers/mongodb/bson.h"
#include "analyzers/mongodb/mongodb_analyzer.h"
#include "analyzers/mongodb/mongodb_wire.h"
#include "conversation_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::fuzz::play_conversation(netsift::kMongodbAnalyzer, data, size);
  // The whole input as one BSON document and as one wire message.
  netsift::ByteView all(data, size);
  netsift::bson::validate(all);
  netsift::bson::Document doc;
  if (netsift::bson::Document::view(all, doc)) {
    auto it = doc.elements();
    netsift::bson::Element e;
    while (it.next(e)) {
      if (e.value.data() < data || e.value.data() + e.value.size() > data + size) __builtin_trap();
    }
  }
  if (size >= netsift::mongodb::kHeaderSize && netsift::mongodb::read_header(data).length == size) {
    netsift::mongodb::Message m;
    std::vector<uint8_t> scratch;
    netsift::mongodb::parse_message(all, m, scratch);
  }
  return 0;
}

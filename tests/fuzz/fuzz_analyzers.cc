// libFuzzer target: every registered analyzer through the real app-layer engine. The
// first byte picks the analyzer; the rest is a conversation as conversation_fuzz.h reads it.
#include <cstdint>

#include "analyzers/registry.h"
#include "conversation_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto registry = netsift::analyzer_registry();
  if (size < 2 || registry.empty()) return 0;
  netsift::fuzz::play_conversation(registry[data[0] % registry.size()], data + 1, size - 1);
  return 0;
}

// libFuzzer target: the PostgreSQL login analyzer over an arbitrary conversation (see
// conversation_fuzz.h), claimed by port or by probing.
#include "analyzers/pgsql/pgsql_analyzer.h"
#include "conversation_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::fuzz::play_conversation(netsift::kPgsqlAnalyzer, data, size);
  return 0;
}

// libFuzzer target: the MySQL/MariaDB login analyzer over an arbitrary conversation
// (see conversation_fuzz.h), claimed by port or by probing.
#include "analyzers/mysql/mysql_analyzer.h"
#include "conversation_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::fuzz::play_conversation(netsift::kMysqlAnalyzer, data, size);
  return 0;
}

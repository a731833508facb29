// libFuzzer target: the IMAP analyzer alone in the app-layer engine (conversation_fuzz.h
// gives the input format); seeds and dictionary in tests/fuzz/seeds/.
#include "analyzers/imap/imap_analyzer.h"
#include "conversation_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::fuzz::play_conversation(netsift::kImapAnalyzer, data, size);
  return 0;
}

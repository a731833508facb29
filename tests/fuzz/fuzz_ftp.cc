// libFuzzer target: the FTP analyzer alone in the app-layer engine (text_analyzer_fuzz.h
// gives the input format); seeds and dictionary in tests/fuzz/seeds/.
#include "text_analyzer_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return netsift::fuzz::run_text_analyzer("ftp", data, size);
}

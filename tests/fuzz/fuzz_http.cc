// libFuzzer target: the HTTP analyzer (libhtp wrapper, resynchronisation, gap bridging,
// content decoding, header lists, credentials) through the real app-layer engine
// (conversation_fuzz.h gives the input format), with small body limits so that cutting
// and decoding caps are reached.
#include <cstdint>
#include <string>

#include "analyzers/http/http_analyzer.h"
#include "conversation_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsift::AppLayerConfig config;
  netsift::AnalyzerOptions options(netsift::kHttpAnalyzer.options);
  std::string error;
  options.set("max_body", "64", error);
  options.set("max_decoded_body", "1000000", error);
  config.options.emplace("http", options);
  netsift::fuzz::play_conversation(netsift::kHttpAnalyzer, data, size, std::move(config));
  return 0;
}

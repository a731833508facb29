// libFuzzer target: every registered analyzer over arbitrary conversations, through the
// real app-layer engine (app_layer_driver.h). The first byte picks the analyzer and how
// it is chosen: even multiples of the registry's size, by its default port; odd ones, on
// an unlisted port, so the probes of all analyzers decide.
#include <cstdint>

#include "analyzers/registry.h"
#include "app_layer_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netsift;
  auto registry = analyzer_registry();
  if (size < 2 || registry.empty()) return 0;
  const AnalyzerSpec& spec = registry[data[0] % registry.size()];
  bool by_port = (data[0] / registry.size()) % 2 == 0 && !spec.ports.empty();
  fuzz::drive_app_layer(registry, spec.transport, by_port ? spec.ports[0] : 1, data + 1, size - 1);
  return 0;
}

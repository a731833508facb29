// The list of protocol analyzers. Adding one: its folder, one line in registry.cc.
#pragma once

#include <span>
#include <string_view>

#include "analyzers/analyzer.h"

namespace netsift {

std::span<const AnalyzerSpec> analyzer_registry();
const AnalyzerSpec* find_analyzer(std::string_view name);

}  // namespace netsift

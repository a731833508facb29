// One line for a command line CLI11 could not parse: what is wrong and where the help is,
// in tcpdump's "netsift: ..." form (the caller adds the prefix and exits 64).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace netsift {

std::string usage_error_line(CLI::App& app, const CLI::ParseError& e, int argc, char** argv);

}  // namespace netsift

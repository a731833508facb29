// Subcommands. Each registers its options on a CLI11 subcommand and runs when chosen.
#pragma once

#include <atomic>

namespace CLI {
class App;
}

namespace netsift {

void register_packets_command(CLI::App& root, const std::atomic<bool>& stop, int& exit_code);
void register_sessions_command(CLI::App& root, const std::atomic<bool>& stop, int& exit_code);
void register_stats_command(CLI::App& root, const std::atomic<bool>& stop, int& exit_code);

}  // namespace netsift

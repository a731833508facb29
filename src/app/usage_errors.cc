#include "app/usage_errors.h"

#include <fmt/format.h>

#include <string_view>

namespace netsift {

std::string usage_error_line(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  std::string command;
  std::string commands;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (argc > 1 && sub->get_name() == argv[1]) command = sub->get_name();
    commands += (commands.empty() ? "" : ", ") + sub->get_name();
  }
  if (command.empty()) {
    // Only options came (`netsift --workers 2 -r f.pcap`): the command was forgotten.
    if (argc > 1) {
      return fmt::format(
          "a command comes first: netsift COMMAND [options] (commands: {}; got "
          "'{}'; see netsift --help)",
          commands, argv[1]);
    }
    return fmt::format("a command is required (commands: {}; see netsift --help)", commands);
  }
  std::string what = e.what();
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  // CLI11 says "The following argument(s) was/were not expected: X": for a flag, it is
  // an option this command does not have.
  for (std::string_view lead : {"The following argument was not expected: ",
                                "The following arguments were not expected: "}) {
    if (what.rfind(lead, 0) == 0) {
      std::string rest = what.substr(lead.size());
      what =
          (rest.size() > 1 && rest[0] == '-' ? "unknown option " : "unexpected argument ") + rest;
    }
  }
  if (!what.empty() && what[0] >= 'A' && what[0] <= 'Z' && what.size() > 1 && what[1] >= 'a' &&
      what[1] <= 'z')
    what[0] = char(what[0] - 'A' + 'a');
  return fmt::format("{} (see netsift {} --help)", what, command);
}

}  // namespace netsift

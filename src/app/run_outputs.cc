#include "app/run_outputs.h"

#include <cerrno>
#include <cstring>

namespace netsift {

int finish_stdout(OutputBuffer& out, PacketPump& pump, int code) {
  out.flush();
  if (!out.failed()) return code;
  if (out.error() == EPIPE) {
    pump.note_broken_pipe();
    return code;
  }
  std::fprintf(stderr, "netsift: standard output: write failed: %s\n", std::strerror(out.error()));
  return kExitError;
}

int finish_sink(OutputSink& sink, int code) {
  if (sink.close()) return code;
  std::fprintf(stderr, "netsift: %s\n", sink.error().c_str());
  return kExitError;
}

}  // namespace netsift

// How a run ends with respect to its outputs: a closed standard output (EPIPE) stops
// it quietly, as tcpdump; any other write error is named with its cause and makes the
// exit status non-zero. Shared by every subcommand.
#pragma once

#include <cstdio>

#include "app/packet_pump.h"
#include "output/event_sinks.h"
#include "output/output_buffer.h"

namespace netsift {

// Flushes standard output's buffer and reports its failure; returns the exit code to
// use given the run's `code`.
int finish_stdout(OutputBuffer& out, PacketPump& pump, int code);

// Closes a sink and reports its failure; returns the exit code to use.
int finish_sink(OutputSink& sink, int code);

}  // namespace netsift

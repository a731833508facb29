// Redis logins over RESP2/RESP3 and inline commands: AUTH password, AUTH user password
// and HELLO protover AUTH user password. Commands are matched to replies in order (Redis
// answers a pipeline in order), so each login gets the reply meant for it; one `auth`
// event per attempt when its reply arrives (docs/events.md, "auth: redis").
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kRedisAnalyzer;

}  // namespace netsift

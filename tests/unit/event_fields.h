// Reading fields back from the compact JSON the analyzer harness records, for tests
// that assert on events.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "analyzer_harness.h"

namespace netsift::test {

struct EventFields {
  rapidjson::Document doc;
  std::string str(const char* key) const {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd()) return "<absent>";
    if (it->value.IsString()) return it->value.GetString();
    if (it->value.IsBool()) return it->value.GetBool() ? "true" : "false";
    if (it->value.IsUint64()) return std::to_string(it->value.GetUint64());
    return "<other>";
  }
  bool has(const char* key) const { return doc.HasMember(key); }
  std::string cred(const char* key) const {
    auto it = doc.FindMember("credential");
    if (it == doc.MemberEnd() || !it->value.HasMember(key)) return "<absent>";
    return it->value[key].GetString();
  }
};

// The events of `kind` in order.
inline std::vector<EventFields> events_of(const EventLog& log, const std::string& kind) {
  std::vector<EventFields> out;
  for (size_t i = 0; i < log.lines.size(); ++i) {
    if (log.kinds[i] != kind) continue;
    out.emplace_back();
    // RapidJSON's SSE2 scan reads whole 16-byte blocks: give it padding to read.
    std::string padded = log.lines[i];
    padded.append(16, '\0');
    out.back().doc.Parse(padded.c_str());
  }
  return out;
}

}  // namespace netsift::test

#include "analyzers/registry.h"

#include <array>

#include "analyzers/dns/dns_analyzer.h"
#include "analyzers/ftp/ftp_analyzer.h"
#include "analyzers/http/http_analyzer.h"
#include "analyzers/imap/imap_analyzer.h"
#include "analyzers/mongodb/mongodb_analyzer.h"
#include "analyzers/mysql/mysql_analyzer.h"
#include "analyzers/pgsql/pgsql_analyzer.h"
#include "analyzers/pop3/pop3_analyzer.h"
#include "analyzers/rdp/rdp_analyzer.h"
#include "analyzers/redis/redis_analyzer.h"
#include "analyzers/smtp/smtp_analyzer.h"
#include "analyzers/ssh/ssh_analyzer.h"

namespace netsift {

std::span<const AnalyzerSpec> analyzer_registry() {
  // One name may appear twice, once per transport (DNS over UDP and over TCP).
  static const auto kRegistry = std::to_array<AnalyzerSpec>({
      kSshAnalyzer,
      kDnsUdpAnalyzer,
      kDnsTcpAnalyzer,
      kRedisAnalyzer,
      kSmtpAnalyzer,
      kFtpAnalyzer,
      kFtpDataAnalyzer,
      kPop3Analyzer,
      kImapAnalyzer,
      kHttpAnalyzer,
      kMongodbAnalyzer,
      kRdpAnalyzer,
      kMysqlAnalyzer,
      kPgsqlAnalyzer,
  });
  return kRegistry;
}

const AnalyzerSpec* find_analyzer(std::string_view name) {
  for (const auto& spec : analyzer_registry()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace netsift

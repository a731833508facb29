// FTP control connections (RFC 959, RFC 2228 AUTH TLS): one `auth` event per login
// attempt, when the server answers it — USER/PASS (and ACCT), several attempts on one
// connection, anonymous logins (the password, an e-mail address by convention, is
// reported) — from the 230 / 331 / 332 / 530 reply sequences, multi-line replies
// included. AUTH TLS (234) ends what can be seen: an attempt inside is reported with
// tls:true and result unknown.
#pragma once

#include "analyzers/analyzer.h"

namespace netsift {

extern const AnalyzerSpec kFtpAnalyzer;
// FTP data connections: flows a control connection announced (227/229 replies to
// PASV/EPSV, 200 to PORT/EPRT), labelled `ftp-data`; their bytes are not read.
extern const AnalyzerSpec kFtpDataAnalyzer;

}  // namespace netsift

// Login detectors and summary: synthetic `auth` events built by the analyzers' own
// builder (make_auth_event) go through AuthMonitor, and the alerts and summary rows that
// come out are checked exactly: thresholds, window edges, sliding, re-arming, caps.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "analyzers/auth_event.h"
#include "detect/auth_monitor.h"
#include "output/event_sinks.h"
#include "output/json_text.h"

namespace netsift {
namespace {

constexpr TimestampNs kSec = 1'000'000'000;
constexpr TimestampNs kT0 = TimestampNs(1'700'000'000) * kSec;

struct Collect final : EventSink {
  void emit(const Event& e) override {
    TextBuffer text;
    append_json(e.doc(), text);
    json.emplace_back(text.view());
    kinds.emplace_back(e.kind());
  }
  std::vector<std::string> alerts() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < json.size(); ++i) {
      if (kinds[i] == "alert") out.push_back(json[i]);
    }
    return out;
  }
  std::vector<std::string> json, kinds;
};

class AuthDetectorTest : public ::testing::Test {
 protected:
  // One attempt from `src` to `dst` (port 3306 unless given) at kT0 + seconds.
  void attempt(double seconds, const char* user, AuthResult result, const char* src = "10.0.0.5",
               const char* service = "mysql", const char* dst = "10.0.0.9",
               bool credential_accepted = false) {
    FlowInfo flow;
    ASSERT_TRUE(parse_address(src, flow.client_ip));
    ASSERT_TRUE(parse_address(dst, flow.server_ip));
    flow.client_port = 50000;
    flow.server_port = 3306;
    flow.proto = 6;
    flow.now = kT0 + TimestampNs(seconds * 1e9);
    AnalyzerContext context;
    context.flow = &flow;
    AuthAttempt a;
    a.user = user;
    a.mechanism = "mysql_native_password";
    a.result = result;
    a.credential_accepted = credential_accepted;
    monitor().emit(make_auth_event(context, service, a));
  }
  AuthMonitor& monitor() {
    if (!monitor_) monitor_ = std::make_unique<AuthMonitor>(config, out, nullptr);
    return *monitor_;
  }
  void fail_n(int n, double start, double step, const char* user = "root",
              const char* src = "10.0.0.5") {
    for (int i = 0; i < n; ++i) attempt(start + i * step, user, AuthResult::Failure, src);
  }

  AuthDetectConfig config;
  Collect out;
  std::unique_ptr<AuthMonitor> monitor_;
};

TEST_F(AuthDetectorTest, PassesEveryEventOnUnchanged) {
  attempt(0, "root", AuthResult::Failure);
  Event other("dns", kT0);
  monitor().emit(other);
  ASSERT_EQ(out.kinds, (std::vector<std::string>{"auth", "dns"}));
}

TEST_F(AuthDetectorTest, BruteForceExactlyAtTheThreshold) {
  config.brute_force_failures = 5;
  config.spray_users = 100;
  fail_n(4, 0, 10);
  EXPECT_TRUE(out.alerts().empty());
  attempt(40, "admin", AuthResult::Failure);
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_EQ(out.alerts()[0],
            "{\"event\":\"alert\",\"ts\":1700000040.0,\"kind\":\"brute_force\","
            "\"src_ip\":\"10.0.0.5\",\"dst_ip\":\"10.0.0.9\",\"count\":5,\"window\":600.0,"
            "\"detail\":\"10.0.0.5 failed 5 mysql logins within 600 s\",\"service\":\"mysql\","
            "\"users\":[\"admin\",\"root\"],\"distinct_users\":2,\"first\":1700000000.0}");
  // The alert follows the attempt that raised it.
  EXPECT_EQ(out.kinds.back(), "alert");
  EXPECT_EQ(out.kinds[out.kinds.size() - 2], "auth");
}

TEST_F(AuthDetectorTest, OneAlertPerWaveThenReArms) {
  config.brute_force_failures = 3;
  config.spray_users = 100;
  config.window = 60 * kSec;
  fail_n(10, 0, 1);  // one wave: 10 failures in 10 s
  EXPECT_EQ(out.alerts().size(), 1u);
  // A lone failure long after: fewer than 3 in the window, re-armed, no alert.
  attempt(500, "root", AuthResult::Failure);
  EXPECT_EQ(out.alerts().size(), 1u);
  fail_n(2, 501, 1);  // second wave reaches 3
  ASSERT_EQ(out.alerts().size(), 2u);
  EXPECT_NE(out.alerts()[1].find("\"count\":3,"), std::string::npos);
  EXPECT_NE(out.alerts()[1].find("\"first\":1700000500.0"), std::string::npos);
}

TEST_F(AuthDetectorTest, TimeSteppingBackPastTheWindowStartsAfresh) {
  // Captures concatenated (`mergecap -a`): a brute force from a day before comes after
  // today's attempts, and alerts as it does in its own capture.
  config.brute_force_failures = 3;
  config.spray_users = 100;
  config.window = 60 * kSec;
  fail_n(3, 86400, 1);
  ASSERT_EQ(out.alerts().size(), 1u);
  fail_n(3, 0, 1);
  ASSERT_EQ(out.alerts().size(), 2u);
  EXPECT_NE(out.alerts()[1].find("\"first\":1700000000.0"), std::string::npos);
  // Within the window, a late attempt still counts in the wave (no new alert).
  attempt(1.5, "root", AuthResult::Failure);
  EXPECT_EQ(out.alerts().size(), 2u);
}

TEST_F(AuthDetectorTest, WindowSlidesAndItsEdgeCounts) {
  config.brute_force_failures = 3;
  config.spray_users = 100;
  config.window = 60 * kSec;
  // 0, 30, 61: the first has left the window (61 s before the third).
  attempt(0, "a", AuthResult::Failure);
  attempt(30, "a", AuthResult::Failure);
  attempt(61, "a", AuthResult::Failure);
  EXPECT_TRUE(out.alerts().empty());
  // 90: exactly 60 s after 30 — the edge is inside the window.
  attempt(90, "a", AuthResult::Failure);
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_NE(out.alerts()[0].find("\"first\":1700000030.0"), std::string::npos);
}

TEST_F(AuthDetectorTest, SourcesAndServicesCountApart) {
  config.brute_force_failures = 3;
  config.spray_users = 100;
  fail_n(2, 0, 1, "root", "10.0.0.5");
  fail_n(2, 0, 1, "root", "10.0.0.6");
  attempt(3, "root", AuthResult::Failure, "10.0.0.5", "pgsql");
  attempt(4, "root", AuthResult::Failure, "2001:db8::1", "mysql");
  EXPECT_TRUE(out.alerts().empty());
  attempt(5, "root", AuthResult::Failure, "10.0.0.6");
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_NE(out.alerts()[0].find("\"src_ip\":\"10.0.0.6\""), std::string::npos);
}

TEST_F(AuthDetectorTest, SuccessesAndUnansweredAttemptsAreNoFailures) {
  config.brute_force_failures = 2;
  config.compromise_failures = 5;
  attempt(0, "root", AuthResult::Success);
  attempt(1, "root", AuthResult::Unknown);
  attempt(2, "root", AuthResult::Success);
  attempt(3, "root", AuthResult::Failure);
  EXPECT_TRUE(out.alerts().empty());
}

TEST_F(AuthDetectorTest, PasswordSprayCountsDistinctFailedUsers) {
  config.brute_force_failures = 1000;
  config.spray_users = 3;
  attempt(0, "alice", AuthResult::Failure);
  attempt(1, "alice", AuthResult::Failure);
  attempt(2, "bob", AuthResult::Success);  // a success is no spraying
  attempt(3, "bob", AuthResult::Failure);
  EXPECT_TRUE(out.alerts().empty());
  attempt(4, "carol", AuthResult::Failure);
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_EQ(out.alerts()[0],
            "{\"event\":\"alert\",\"ts\":1700000004.0,\"kind\":\"password_spray\","
            "\"src_ip\":\"10.0.0.5\",\"dst_ip\":\"10.0.0.9\",\"count\":3,\"window\":600.0,"
            "\"detail\":\"10.0.0.5 failed mysql logins as 3 distinct users within 600 s\","
            "\"service\":\"mysql\",\"users\":[\"carol\",\"bob\",\"alice\"],"
            "\"distinct_users\":3,\"first\":1700000001.0}");
  attempt(5, "dave", AuthResult::Failure);  // same wave
  EXPECT_EQ(out.alerts().size(), 1u);
}

TEST_F(AuthDetectorTest, SprayUsersLeaveTheWindow) {
  config.brute_force_failures = 1000;
  config.spray_users = 3;
  config.window = 10 * kSec;
  attempt(0, "u1", AuthResult::Failure);
  attempt(5, "u2", AuthResult::Failure);
  attempt(11, "u3", AuthResult::Failure);  // u1 is 11 s old
  EXPECT_TRUE(out.alerts().empty());
  attempt(12, "u1", AuthResult::Failure);  // u1 again: u2, u3, u1 within 10 s
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_NE(out.alerts()[0].find("\"users\":[\"u1\",\"u3\",\"u2\"]"), std::string::npos);
}

TEST_F(AuthDetectorTest, LoginAfterFailures) {
  config.brute_force_failures = 1000;
  config.spray_users = 1000;
  config.compromise_failures = 4;
  fail_n(3, 0, 1);
  attempt(3, "root", AuthResult::Success);  // after 3: nothing
  EXPECT_TRUE(out.alerts().empty());
  attempt(4, "root", AuthResult::Failure);
  attempt(5, "root", AuthResult::Success);  // after 4
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_EQ(out.alerts()[0],
            "{\"event\":\"alert\",\"ts\":1700000005.0,\"kind\":\"login_after_failures\","
            "\"src_ip\":\"10.0.0.5\",\"dst_ip\":\"10.0.0.9\",\"count\":4,\"window\":600.0,"
            "\"detail\":\"10.0.0.5 logged in to mysql as root after 4 failed logins within 600 "
            "s\",\"service\":\"mysql\",\"user\":\"root\",\"users\":[\"root\"],"
            "\"distinct_users\":1,\"first\":1700000000.0}");
  // Logging in again with the found password: no new failures, no new alert.
  attempt(6, "root", AuthResult::Success);
  EXPECT_EQ(out.alerts().size(), 1u);
  // Four fresh failures, then a success: a new alert counting only those four.
  fail_n(4, 7, 1, "admin");
  attempt(11, "admin", AuthResult::Success);
  ASSERT_EQ(out.alerts().size(), 2u);
  EXPECT_NE(out.alerts()[1].find("\"count\":4,"), std::string::npos);
  EXPECT_NE(out.alerts()[1].find("\"users\":[\"admin\"]"), std::string::npos);
}

// A failure after the server accepted the password (PostgreSQL AuthenticationOk then
// FATAL, MySQL 1044): the guess was right. It is no failure for brute force or spraying,
// and it is the correct password that likely compromise looks for.
TEST_F(AuthDetectorTest, FailureAfterAcceptedCredentialIsTheRightPassword) {
  config.brute_force_failures = 5;
  config.spray_users = 2;
  config.compromise_failures = 4;
  auto accepted = [&](double t, const char* user) {
    attempt(t, user, AuthResult::Failure, "10.0.0.5", "pgsql", "10.0.0.9", true);
  };
  fail_n(4, 0, 1);  // on mysql: 8 failures, one user
  out.json.clear();
  out.kinds.clear();
  for (int i = 0; i < 4; ++i) attempt(10 + i, "root", AuthResult::Failure, "10.0.0.5", "pgsql");
  accepted(14, "postgres");  // would be the 5th failure and the 2nd user
  auto alerts = out.alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0],
            "{\"event\":\"alert\",\"ts\":1700000014.0,\"kind\":\"login_after_failures\","
            "\"src_ip\":\"10.0.0.5\",\"dst_ip\":\"10.0.0.9\",\"count\":4,\"window\":600.0,"
            "\"detail\":\"10.0.0.5 gave pgsql the right password for postgres (accepted, then the "
            "session was refused) after 4 failed logins within 600 s\",\"service\":\"pgsql\","
            "\"user\":\"postgres\",\"users\":[\"root\"],\"distinct_users\":1,"
            "\"first\":1700000010.0}");
  EXPECT_NE(out.json[4].find("\"credential_accepted\":true"), std::string::npos) << out.json[4];
  // The same event without the field is a fifth failure as a second user: both alerts.
  attempt(15, "postgres", AuthResult::Failure, "10.0.0.5", "pgsql");
  alerts = out.alerts();
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_NE(alerts[1].find("\"kind\":\"brute_force\""), std::string::npos);
  EXPECT_NE(alerts[2].find("\"kind\":\"password_spray\""), std::string::npos);
}

TEST_F(AuthDetectorTest, LoginAfterFailuresOutsideTheWindowIsQuiet) {
  config.brute_force_failures = 1000;
  config.compromise_failures = 3;
  config.window = 60 * kSec;
  fail_n(3, 0, 1);
  attempt(200, "root", AuthResult::Success);
  EXPECT_TRUE(out.alerts().empty());
}

TEST_F(AuthDetectorTest, AlertUserListIsBounded) {
  config.brute_force_failures = 1000;
  config.spray_users = 30;
  config.max_alert_users = 4;
  for (int i = 0; i < 30; ++i) {
    attempt(i, ("user" + std::to_string(i)).c_str(), AuthResult::Failure);
  }
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_NE(out.alerts()[0].find("\"users\":[\"user29\",\"user28\",\"user27\",\"user26\"],"
                                 "\"distinct_users\":30"),
            std::string::npos);
}

TEST_F(AuthDetectorTest, SourceCapForgetsTheLeastRecent) {
  config.brute_force_failures = 3;
  config.spray_users = 100;
  config.max_sources = 2;
  fail_n(2, 0, 1, "root", "10.0.0.1");
  fail_n(2, 2, 1, "root", "10.0.0.2");
  fail_n(1, 4, 1, "root", "10.0.0.3");  // 10.0.0.1 forgotten
  EXPECT_EQ(monitor().detector().tracked_sources(), 2u);
  EXPECT_EQ(monitor().detector().stats().sources_evicted, 1u);
  attempt(5, "root", AuthResult::Failure, "10.0.0.1");  // starts again from one
  EXPECT_TRUE(out.alerts().empty());
  EXPECT_EQ(monitor().detector().stats().sources_evicted, 2u);  // 10.0.0.2 now
  attempt(6, "root", AuthResult::Failure, "10.0.0.3");
  attempt(7, "root", AuthResult::Failure, "10.0.0.3");
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_NE(out.alerts()[0].find("\"src_ip\":\"10.0.0.3\""), std::string::npos);
  EXPECT_EQ(monitor().detector().tracked_sources(), 2u);
}

TEST_F(AuthDetectorTest, LateAttemptFromAnotherWorkerStillCounts) {
  config.brute_force_failures = 3;
  config.spray_users = 100;
  config.window = 60 * kSec;
  attempt(10, "root", AuthResult::Failure);
  attempt(30, "root", AuthResult::Failure);
  attempt(20, "root", AuthResult::Failure);  // merged late, still within the window
  ASSERT_EQ(out.alerts().size(), 1u);
  EXPECT_NE(out.alerts()[0].find("\"first\":1700000010.0"), std::string::npos);
}

TEST_F(AuthDetectorTest, AlertsCanBeTurnedOff) {
  config.alerts = false;
  config.brute_force_failures = 1;
  fail_n(5, 0, 1);
  EXPECT_TRUE(out.alerts().empty());
  EXPECT_EQ(monitor().detector().stats().attempts, 5u);
}

TEST_F(AuthDetectorTest, SummaryRowsPerSourceServiceUserResult) {
  attempt(0, "root", AuthResult::Failure);
  attempt(5, "root", AuthResult::Failure, "10.0.0.5", "mysql", "10.0.0.10");
  attempt(7, "root", AuthResult::Success);
  attempt(8, "app", AuthResult::Unknown, "10.0.0.7", "pgsql");
  Collect summary;
  std::string table;
  monitor().finish(&summary, &table, true);
  ASSERT_EQ(summary.json.size(), 3u);
  EXPECT_EQ(summary.json[0],
            "{\"event\":\"auth_summary\",\"ts\":1700000007.0,\"src_ip\":\"10.0.0.5\","
            "\"dst_ip\":\"10.0.0.9\",\"service\":\"mysql\",\"user\":\"root\","
            "\"result\":\"success\",\"count\":1,"
            "\"first\":1700000007.0,\"last\":1700000007.0}");
  // Sorted by source, service, user, result (unknown < success < failure by enum);
  // dst_ip only where every attempt of the row went to one server.
  EXPECT_EQ(summary.json[1],
            "{\"event\":\"auth_summary\",\"ts\":1700000005.0,\"src_ip\":\"10.0.0.5\","
            "\"service\":\"mysql\",\"user\":\"root\",\"result\":\"failure\",\"count\":2,"
            "\"first\":1700000000.0,\"last\":1700000005.0}");
  EXPECT_EQ(summary.json[2],
            "{\"event\":\"auth_summary\",\"ts\":1700000008.0,\"src_ip\":\"10.0.0.7\","
            "\"dst_ip\":\"10.0.0.9\",\"service\":\"pgsql\",\"user\":\"app\","
            "\"result\":\"unknown\",\"count\":1,\"first\":1700000008.0,\"last\":1700000008.0}");
  EXPECT_EQ(table,
            "Login attempts by source, service, user and result:\n"
            "  SOURCE   SERVICE USER RESULT  COUNT FIRST               LAST\n"
            "  10.0.0.5 mysql   root success     1 2023-11-14 22:13:27 2023-11-14 22:13:27\n"
            "  10.0.0.5 mysql   root failure     2 2023-11-14 22:13:20 2023-11-14 22:13:25\n"
            "  10.0.0.7 pgsql   app  unknown     1 2023-11-14 22:13:28 2023-11-14 22:13:28\n");
}

// The table is for people: names that look alike must not read alike (a Cyrillic a, a
// zero-width space, a literal backslash-u), while accented Latin names stay readable.
TEST_F(AuthDetectorTest, SummaryTableTellsLookAlikeNamesApart) {
  attempt(0, "admin", AuthResult::Failure, "10.0.0.1");
  attempt(1,
          "\xd0\xb0"
          "dmin",
          AuthResult::Success, "10.0.0.2");
  attempt(2, "admin\xe2\x80\x8b", AuthResult::Success, "10.0.0.3");
  attempt(3, "\\u0430dmin", AuthResult::Success, "10.0.0.4");
  attempt(4, "j\xc3\xbcrgen", AuthResult::Success, "10.0.0.5");
  attempt(5, "bad\xff\x01", AuthResult::Failure, "10.0.0.6");
  Collect summary;
  std::string table;
  monitor().finish(&summary, &table, true);
  for (const char* cell : {" admin ", " \\u0430dmin ", " admin\\u200b ", " \\\\u0430dmin ",
                           " j\xc3\xbcrgen ", " bad\\xff\\x01 "}) {
    EXPECT_NE(table.find(cell), std::string::npos) << cell << "\n" << table;
  }
}

TEST_F(AuthDetectorTest, SummaryIsATableInSqlite) {
  attempt(0, "root", AuthResult::Failure);
  attempt(5, "root", AuthResult::Failure);
  attempt(7, "o'brien", AuthResult::Success, "2001:db8::7", "pgsql");
  char path[] = "/tmp/auth-summary-XXXXXX.db";
  int fd = mkstemps(path, 3);
  ASSERT_GE(fd, 0);
  close(fd);
  std::string error;
  auto db = open_sqlite_sink(path, ExistingOutput::Append, FileSecrecy::Secret, error);
  ASSERT_TRUE(db) << error;
  monitor().finish(db.get(), nullptr, true);
  ASSERT_TRUE(db->close()) << db->error();
  sqlite3* conn = nullptr;
  ASSERT_EQ(sqlite3_open(path, &conn), SQLITE_OK);
  std::vector<std::string> rows;
  auto collect = [](void* out, int n, char** values, char**) {
    std::string row;
    for (int i = 0; i < n; ++i) row += std::string(i ? "|" : "") + (values[i] ? values[i] : "-");
    static_cast<std::vector<std::string>*>(out)->push_back(row);
    return 0;
  };
  ASSERT_EQ(sqlite3_exec(conn,
                         "SELECT src_ip, dst_ip, service, user, result, count, first, last "
                         "FROM auth_summary ORDER BY src_ip",
                         collect, &rows, nullptr),
            SQLITE_OK);
  sqlite3_close(conn);
  unlink(path);
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "10.0.0.5|10.0.0.9|mysql|root|failure|2|1700000000.0|1700000005.0",
                      "2001:db8::7|10.0.0.9|pgsql|o'brien|success|1|1700000007.0|1700000007.0"}));
}

TEST_F(AuthDetectorTest, SummaryRowCapCountsTheRest) {
  config.summary_max_rows = 2;
  attempt(0, "a", AuthResult::Failure);
  attempt(1, "b", AuthResult::Failure);
  attempt(2, "c", AuthResult::Failure);
  attempt(3, "a", AuthResult::Failure);
  Collect summary;
  std::string table;
  monitor().finish(&summary, &table, true);
  ASSERT_EQ(summary.json.size(), 2u);
  EXPECT_NE(summary.json[0].find("\"user\":\"a\",\"result\":\"failure\",\"count\":2"),
            std::string::npos);
  EXPECT_NE(table.find("(1 more attempts not itemized: the summary holds at most 2 rows)"),
            std::string::npos);
}

TEST_F(AuthDetectorTest, NoAttemptsNoSummary) {
  Event other("dns", kT0);
  monitor().emit(other);
  Collect summary;
  std::string table;
  monitor().finish(&summary, &table, true);
  EXPECT_TRUE(summary.json.empty());
  EXPECT_TRUE(table.empty());
}

TEST_F(AuthDetectorTest, SummaryTableShowsUtf8NamesAndEscapesControls) {
  attempt(0, "j\xc3\xbcrgen m\xc3\xbcller", AuthResult::Failure);  // "jürgen müller"
  attempt(1, "ab", AuthResult::Failure);
  attempt(2, "a\x1b[2Jb", AuthResult::Failure);  // ESC: a terminal would obey it
  attempt(3,
          "c\xc2\x9b"
          "1m",
          AuthResult::Failure);                          // U+009B, C1 CSI
  attempt(4, "d\xe2\x80\xaeroot", AuthResult::Failure);  // U+202E right-to-left override
  attempt(5, "\xff\xfe", AuthResult::Failure);           // not UTF-8
  Collect summary;
  std::string table;
  monitor().finish(&summary, &table, true);
  // Control bytes and invalid UTF-8 as \\xNN; C1 controls and bidi overrides, like every
  // character but ASCII and accented Latin letters, as \\uXXXX.
  EXPECT_EQ(table,
            "Login attempts by source, service, user and result:\n"
            "  SOURCE   SERVICE USER          RESULT  COUNT FIRST               LAST\n"
            "  10.0.0.5 mysql   a\\x1b[2Jb     failure     1 2023-11-14 22:13:22 "
            "2023-11-14 22:13:22\n"
            "  10.0.0.5 mysql   ab            failure     1 2023-11-14 22:13:21 "
            "2023-11-14 22:13:21\n"
            "  10.0.0.5 mysql   c\\u009b1m     failure     1 2023-11-14 22:13:23 "
            "2023-11-14 22:13:23\n"
            "  10.0.0.5 mysql   d\\u202eroot   failure     1 2023-11-14 22:13:24 "
            "2023-11-14 22:13:24\n"
            "  10.0.0.5 mysql   j\xc3\xbcrgen m\xc3\xbcller failure     1 2023-11-14 22:13:20 "
            "2023-11-14 22:13:20\n"
            "  10.0.0.5 mysql   \\xff\\xfe      failure     1 2023-11-14 22:13:25 "
            "2023-11-14 22:13:25\n");
}

}  // namespace
}  // namespace netsift

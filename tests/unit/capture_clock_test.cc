#include "flow/capture_clock.h"

#include <gtest/gtest.h>

namespace netsift {
namespace {

constexpr TimestampNs kSec = kNsPerSec;

TEST(CaptureClock, FollowsPacketsInOrder) {
  CaptureClock c;
  EXPECT_EQ(c.on_packet(100 * kSec), 100 * kSec);
  EXPECT_EQ(c.on_packet(100 * kSec + 5), 100 * kSec + 5);
  EXPECT_EQ(c.on_packet(101 * kSec), 101 * kSec);
}

// Issue 7 item 10: a step back (a file spliced from an earlier capture) re-bases.
TEST(CaptureClock, StepBackDoesNotRewindAndProgressContinues) {
  CaptureClock c;
  c.on_packet(1000 * kSec);
  EXPECT_EQ(c.on_packet(10 * kSec), 1000 * kSec);
  EXPECT_EQ(c.on_packet(11 * kSec), 1001 * kSec);
}

TEST(CaptureClock, LoneJumpAheadIsIgnored) {
  CaptureClock c;
  c.on_packet(100 * kSec);
  EXPECT_EQ(c.on_packet(900000 * kSec), 100 * kSec);  // one packet stamped days ahead
  EXPECT_EQ(c.on_packet(100 * kSec + 10), 100 * kSec + 10);
}

TEST(CaptureClock, ConfirmedJumpAheadCounts) {
  CaptureClock c;
  c.on_packet(100 * kSec);
  EXPECT_EQ(c.on_packet(5000 * kSec), 100 * kSec);
  EXPECT_EQ(c.on_packet(5000 * kSec + 1), 5000 * kSec + 1);  // the capture stayed there
}

TEST(CaptureClock, WallTimeMovesItWhenQuiet) {
  CaptureClock c;
  c.on_packet(100 * kSec);
  EXPECT_EQ(c.on_wall_time(200 * kSec), 200 * kSec);
  EXPECT_EQ(c.on_packet(199 * kSec), 200 * kSec);  // a late packet does not rewind
  c.reset();
  EXPECT_EQ(c.on_packet(7 * kSec), 7 * kSec);
}

}  // namespace
}  // namespace netsift

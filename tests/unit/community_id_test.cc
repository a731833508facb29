#include "enrich/community_id.h"

#include <gtest/gtest.h>

namespace netsift {
namespace {

IpAddress ip(const char* s) {
  IpAddress a;
  EXPECT_TRUE(parse_address(s, a));
  return a;
}

// Expected values computed by tshark's communityid post-dissector on the bundled captures.
TEST(CommunityId, TcpBothDirectionsAgree) {
  auto a = ip("141.142.228.5"), b = ip("192.150.187.43");
  EXPECT_EQ(community_id(a, b, 6, 59856, 80), "1:yvyB8h+3dnggTZW0UEITWCst97w=");
  EXPECT_EQ(community_id(b, a, 6, 80, 59856), "1:yvyB8h+3dnggTZW0UEITWCst97w=");
}

TEST(CommunityId, IcmpEchoPairsAndOneWayErrors) {
  auto a = ip("10.0.0.1"), b = ip("74.125.225.99");
  EXPECT_EQ(community_id(a, b, 1, 8, 0), "1:LnS/fUc+hw1T2zN/m20+7GR06eY=");
  EXPECT_EQ(community_id(b, a, 1, 0, 0), "1:LnS/fUc+hw1T2zN/m20+7GR06eY=");
  EXPECT_EQ(community_id(ip("192.168.1.102"), ip("192.168.1.1"), 1, 3, 3),
            "1:GGvyj18dEx42K7edkkcDklsnKqs=");
}

}  // namespace
}  // namespace netsift

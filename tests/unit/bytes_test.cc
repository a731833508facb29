#include "core/bytes.h"

#include <gtest/gtest.h>

#include "core/base64.h"

namespace netsift {
namespace {

TEST(Cursor, ReadsInOrderAndFailsStickyPastTheEnd) {
  const uint8_t data[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde};
  Cursor c(ByteView(data, sizeof data));
  EXPECT_EQ(c.u8(), 0x12);
  EXPECT_EQ(c.be16(), 0x3456);
  EXPECT_EQ(c.le16(), 0x9a78);
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(c.remaining(), 2u);
  EXPECT_EQ(c.be32(), 0u);  // only 2 bytes left: fails, returns 0
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.u8(), 0) << "stays failed";
  EXPECT_TRUE(c.rest().empty());
}

TEST(Base64, Rfc4648Vectors) {
  auto enc = [](const char* s) {
    return base64_encode(ByteView(reinterpret_cast<const uint8_t*>(s), std::strlen(s)));
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("f"), "Zg==");
  EXPECT_EQ(enc("fo"), "Zm8=");
  EXPECT_EQ(enc("foo"), "Zm9v");
  EXPECT_EQ(enc("foob"), "Zm9vYg==");
  EXPECT_EQ(enc("fooba"), "Zm9vYmE=");
  EXPECT_EQ(enc("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace netsift

// append_json must write what rapidjson::Writer (six decimal places) writes for numbers
// and structure, and JSON-escape strings as the spec says (RapidJSON's choices:
// \b \t \n \f \r, other control characters \u00XX, UTF-8 as is). Strings are checked
// against a plain reference rather than RapidJSON's SSE2 writer, which was seen to leave
// a control character (0x1a) unescaped in a 16-byte key.
#include "output/json_text.h"

#include <gtest/gtest.h>
#include <rapidjson/internal/dtoa.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

namespace netsift {
namespace {

// A whole number of microseconds as exact decimal text with trailing zeros dropped (at
// least one decimal), by printf; nullopt for other doubles.
std::optional<std::string> exact_micros(double d) {
  if (!(std::fabs(d) < 8e9)) return std::nullopt;
  if (d == 0 && std::signbit(d)) return std::nullopt;
  long long m = std::llround(d * 1e6);
  if (double(m) / 1e6 != d) m = double(m - 1) / 1e6 == d ? m - 1 : m + 1;
  if (double(m) / 1e6 != d) return std::nullopt;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%lld.%06lld", m < 0 ? "-" : "", std::llabs(m) / 1000000,
                std::llabs(m) % 1000000);
  std::string s = buf;
  while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

// rapidjson's writer, but whole microseconds exact (its Grisu2 + six-place cut prints
// some one microsecond low: see TimestampsAreExact).
class ReferenceWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
 public:
  using rapidjson::Writer<rapidjson::StringBuffer>::Writer;
  bool Double(double d) {
    if (auto exact = exact_micros(d))
      return RawValue(exact->data(), exact->size(), rapidjson::kNumberType);
    return rapidjson::Writer<rapidjson::StringBuffer>::Double(d);
  }
};

std::string reference(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  ReferenceWriter w(buf);
  w.SetMaxDecimalPlaces(6);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string escaped(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string ours(const rapidjson::Value& v) {
  TextBuffer out;
  append_json(v, out);
  return std::string(out.view());
}

TEST(JsonText, EveryByteInStringsAndKeys) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  for (int c = 0; c < 256; ++c) {
    for (size_t len = 1; len <= 40; ++len) {
      // The byte at the start, in the middle and at the end of strings of every length
      // up to 40: the 16-byte scan, and the 4- and 8-byte pairs that test short tails.
      for (size_t at : {size_t(0), len / 2, len - 1}) {
        std::string s(len, 'a');
        s[at] = char(c);
        rapidjson::Value doc(rapidjson::kObjectType);
        doc.AddMember(rapidjson::Value(s.c_str(), rapidjson::SizeType(s.size()), a),
                      rapidjson::Value(s.c_str(), rapidjson::SizeType(s.size()), a), a);
        std::string want(1, '{');
        want += escaped(s);
        want += ':';
        want += escaped(s);
        want += '}';
        ASSERT_EQ(ours(doc), want) << "byte " << c << " at " << at << " of " << len;
      }
    }
  }
  (void)d;
}

TEST(JsonText, StringsDenseWithEscapes) {
  // Bytes already escaped as \xNN (a backslash every 4 bytes), quotes and control
  // characters next to each other, and random mixes: the scan resumes after each one.
  std::mt19937_64 rng(7);
  const std::string alphabet = std::string("ab\\\"\n\x01\x1f\x7f\xc3\xa9 \0", 12);  // NUL included
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    size_t len = rng() % 90;
    if (i % 3 == 0) {
      for (size_t k = 0; k < len / 4; ++k) s += "\\x0" + std::string(1, char('0' + rng() % 10));
    } else {
      for (size_t k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    }
    rapidjson::Value v(s.c_str(), rapidjson::SizeType(s.size()), a);
    ASSERT_EQ(ours(v), escaped(s)) << "case " << i;
  }
}

TEST(JsonText, NumbersNestedContainersAndLiterals) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  std::mt19937_64 rng(5);
  rapidjson::Value list(rapidjson::kArrayType);
  for (int i = 0; i < 2000; ++i) {
    uint64_t r = rng();
    list.PushBack(rapidjson::Value(r >> (r % 64)), a);
    list.PushBack(rapidjson::Value(-int64_t(r >> (1 + r % 63))), a);
    list.PushBack(rapidjson::Value(int(r % 1000) - 500), a);
    // Timestamps as events carry them: seconds with microseconds, and other doubles.
    double ts = double(1'000'000'000 + int64_t(r % 900'000'000)) + double(r % 1'000'000) / 1e6;
    list.PushBack(rapidjson::Value(ts), a);
    list.PushBack(rapidjson::Value(double(int64_t(r % 20000) - 10000) / 7.0), a);
  }
  list.PushBack(rapidjson::Value(0.0), a);
  list.PushBack(rapidjson::Value(-0.5), a);
  list.PushBack(rapidjson::Value(1e21), a);
  list.PushBack(rapidjson::Value(uint64_t(UINT64_MAX)), a);
  list.PushBack(rapidjson::Value(int64_t(INT64_MIN)), a);
  d.AddMember("numbers", list, a);
  rapidjson::Value nested(rapidjson::kObjectType);
  nested.AddMember("t", true, a);
  nested.AddMember("f", false, a);
  nested.AddMember("n", rapidjson::Value(), a);
  nested.AddMember("empty_object", rapidjson::Value(rapidjson::kObjectType), a);
  nested.AddMember("empty_array", rapidjson::Value(rapidjson::kArrayType), a);
  nested.AddMember("s", "a \"quoted\" \\ line\n\ttab", a);
  d.AddMember("nested", nested, a);
  EXPECT_EQ(ours(d), reference(d));
}

std::string number_text(double d) {
  char buf[32];
  return std::string(buf, write_json_double(d, buf));
}

TEST(JsonText, TimestampsAreExact) {
  // Whole microseconds (Event::set_time) print exactly: capture times, durations, zero,
  // negatives. 16.839283 and 1796036808.368276 (a packet time in the bench capture) are
  // values rapidjson's writer printed one microsecond low.
  EXPECT_EQ(number_text(16839283 / 1e6), "16.839283");
  EXPECT_EQ(number_text(1796036808368276 / 1e6), "1796036808.368276");
  EXPECT_EQ(number_text(649 / 1e6), "0.000649");
  EXPECT_EQ(number_text(1 / 1e6), "0.000001");
  EXPECT_EQ(number_text(0.0), "0.0");
  EXPECT_EQ(number_text(-0.0), "-0.0");
  EXPECT_EQ(number_text(5.0), "5.0");
  EXPECT_EQ(number_text(-1.5), "-1.5");
  EXPECT_EQ(number_text(-517696474510 / 1e6), "-517696.47451");
  EXPECT_EQ(number_text(7999999999.999999), "7999999999.999999");
  std::mt19937_64 rng(11);
  int rapidjson_low = 0;
  for (int i = 0; i < 200000; ++i) {
    int64_t m = i % 3 == 0   ? 1'700'000'000'000'000 + int64_t(rng() % 200'000'000'000'000)
                : i % 3 == 1 ? int64_t(rng() % 100'000'000)
                             : -int64_t(rng() % 8'000'000'000'000'000);
    double d = double(m) / 1e6;
    ASSERT_TRUE(exact_micros(d)) << m;
    std::string want = *exact_micros(d);
    ASSERT_EQ(number_text(d), want) << m;
    // Where rapidjson's text differs, it is the one microsecond low (the bug fixed here).
    char buf[32];
    std::string rj(buf, rapidjson::internal::dtoa(d, buf, 6));
    if (rj != want) {
      ++rapidjson_low;
      ASSERT_EQ(std::llround(std::stod(rj) * 1e6), m + (m < 0 ? 1 : -1)) << m;
    }
  }
  EXPECT_GT(rapidjson_low, 0);
  // Other doubles go the rapidjson way.
  for (double d : {1.0 / 3, 2.5e-7, 1e21, 123456789012.5, -7.123456789}) {
    char buf[32];
    EXPECT_EQ(number_text(d), std::string(buf, rapidjson::internal::dtoa(d, buf, 6))) << d;
  }
}

TEST(JsonText, LongStringsOfQuotesAndBackslashes) {
  // The shuffle path: blocks whose only escapes are '"' and '\\', in every density and
  // position, next to blocks with control characters (which take the other path).
  std::mt19937_64 rng(3);
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  for (int i = 0; i < 4000; ++i) {
    std::string s;
    size_t len = 16 + rng() % 200;
    unsigned density = unsigned(rng() % 17);  // 0: none, 16: every byte
    for (size_t k = 0; k < len; ++k) {
      if (rng() % 16 < density) {
        s += rng() % 2 ? '\\' : '"';
      } else if (i % 5 == 0 && rng() % 64 == 0) {
        s += char(rng() % 32);  // a control character now and then
      } else {
        s += char(0x20 + rng() % 0x60);
      }
    }
    rapidjson::Value v(s.c_str(), rapidjson::SizeType(s.size()), a);
    ASSERT_EQ(ours(v), escaped(s)) << "case " << i;
  }
}

}  // namespace
}  // namespace netsift

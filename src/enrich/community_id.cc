#include "enrich/community_id.h"

#include <nettle/sha1.h>

#include <cstring>

#include "core/base64.h"

namespace netsift {
namespace {

// ICMP message types that have a counterpart (request/reply); the counterpart plays
// the role of the destination port so that both directions hash alike.
int icmp_counterpart(uint8_t type, bool v6) {
  if (v6) {
    switch (type) {
      case 128:
        return 129;
      case 129:
        return 128;
      case 133:
        return 134;
      case 134:
        return 133;
      case 135:
        return 136;
      case 136:
        return 135;
      case 130:
        return 131;
      case 131:
        return 130;
      case 144:
        return 145;
      case 145:
        return 144;
      default:
        return -1;
    }
  }
  switch (type) {
    case 8:
      return 0;
    case 0:
      return 8;
    case 13:
      return 14;
    case 14:
      return 13;
    case 15:
      return 16;
    case 16:
      return 15;
    case 10:
      return 9;
    case 9:
      return 10;
    case 17:
      return 18;
    case 18:
      return 17;
    default:
      return -1;
  }
}

}  // namespace

void community_id(const IpAddress& src, const IpAddress& dst, uint8_t proto, uint16_t src_port,
                  uint16_t dst_port, char* out, uint16_t seed) {
  bool has_ports = proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
  bool one_way = false;
  if (proto == 1 || proto == 58) {
    uint8_t type = uint8_t(src_port), code = uint8_t(dst_port);
    int counterpart = icmp_counterpart(type, proto == 58);
    if (counterpart >= 0) {
      dst_port = uint16_t(counterpart);
    } else {
      one_way = true;
      dst_port = code;
    }
    src_port = type;
  }
  const IpAddress* a = &src;
  const IpAddress* b = &dst;
  int order = std::memcmp(src.bytes.data(), dst.bytes.data(), src.size());
  if (!one_way && (order > 0 || (order == 0 && src_port > dst_port))) {
    std::swap(a, b);
    std::swap(src_port, dst_port);
  }
  uint8_t buf[2 + 16 + 16 + 2 + 4];
  size_t n = 0;
  buf[n++] = uint8_t(seed >> 8);
  buf[n++] = uint8_t(seed);
  std::memcpy(buf + n, a->bytes.data(), a->size());
  n += a->size();
  std::memcpy(buf + n, b->bytes.data(), b->size());
  n += b->size();
  buf[n++] = proto;
  buf[n++] = 0;
  if (has_ports) {
    buf[n++] = uint8_t(src_port >> 8);
    buf[n++] = uint8_t(src_port);
    buf[n++] = uint8_t(dst_port >> 8);
    buf[n++] = uint8_t(dst_port);
  }
  sha1_ctx ctx;
  sha1_init(&ctx);
  sha1_update(&ctx, n, buf);
  uint8_t digest[SHA1_DIGEST_SIZE];
  sha1_digest(&ctx, SHA1_DIGEST_SIZE, digest);
  out[0] = '1';
  out[1] = ':';
  base64_encode(ByteView(digest, SHA1_DIGEST_SIZE), out + 2);
}

std::string community_id(const IpAddress& src, const IpAddress& dst, uint8_t proto,
                         uint16_t src_port, uint16_t dst_port, uint16_t seed) {
  std::string s(kCommunityIdLength, '\0');
  community_id(src, dst, proto, src_port, dst_port, s.data(), seed);
  return s;
}

}  // namespace netsift

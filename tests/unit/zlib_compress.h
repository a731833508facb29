// zlib's deflate for the tests and benchmarks that need compressed HTTP bodies.
// `window_bits` as zlib takes them: 31 gzip, 15 zlib-wrapped, -15 raw deflate.
#pragma once

#include <zlib.h>

#include <string>

namespace netsift {

inline std::string compress_with_zlib(const std::string& in, int window_bits = 31, int level = 9) {
  z_stream z{};
  deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, uLong(in.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace netsift

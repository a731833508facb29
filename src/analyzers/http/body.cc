#include "analyzers/http/body.h"

#include <brotli/decode.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_customMem: the decoder's memory is charged
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace netsift::http {
namespace {

constexpr size_t kOutChunk = 16 * 1024;
// RFC 9659 (zstd in HTTP): a decoder need not accept windows over 8 MiB, and one that
// does not bounds its memory per body to about that.
constexpr int kZstdWindowLogMax = 23;

std::string lower_trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s.substr(0, 32));
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The decoder libraries' allocations, charged to a memory budget: thousands of
// concurrent encoded bodies could otherwise hold a window each (brotli's up to 16 MiB)
// with nothing counting them. Each block carries its size in front (the libraries'
// free functions do not pass it), 16 bytes to keep malloc's alignment.
struct ChargedMemory {
  BudgetShare* budget = nullptr;
  bool refused = false;  // an allocation was refused: the decoder failed for memory

  static void* alloc(void* opaque, size_t n) {
    auto& self = *static_cast<ChargedMemory*>(opaque);
    const size_t total = n + 16;
    if (self.budget && !self.budget->take(total)) {
      self.refused = true;
      return nullptr;
    }
    auto* block = static_cast<uint64_t*>(std::malloc(total));
    if (!block) {
      if (self.budget) self.budget->give(total);
      return nullptr;
    }
    block[0] = total;
    return block + 2;
  }
  static void free(void* opaque, void* p) {
    if (!p) return;
    auto& self = *static_cast<ChargedMemory*>(opaque);
    auto* block = static_cast<uint64_t*>(p) - 2;
    if (self.budget) self.budget->give(block[0]);
    std::free(block);
  }
  // zlib's signature.
  static voidpf zalloc(voidpf opaque, uInt items, uInt size) {
    return alloc(opaque, size_t(items) * size);
  }
  static void zfree(voidpf opaque, voidpf p) { free(opaque, p); }
};

}  // namespace

// Streaming decoder for one content coding. Output goes out in kOutChunk pieces so the
// caller can stop a bomb after one piece.
struct Body::Decoder {
  enum class Kind : uint8_t { Gzip, Deflate, Brotli, Zstd } kind;
  enum class Result : uint8_t { Ok, End, Error, Stopped };
  z_stream z{};
  bool z_ready = false;
  BrotliDecoderState* br = nullptr;
  ZSTD_DStream* zs = nullptr;
  // deflate: zlib-wrapped (RFC 1950) or raw (RFC 1951), told from the first two bytes.
  std::array<uint8_t, 2> head{};
  size_t head_len = 0;
  bool ended = false;
  ChargedMemory memory;
  std::array<uint8_t, kOutChunk> out;  // not zeroed: only what zlib or brotli wrote is read

  Decoder(Kind k, BudgetShare* budget) : kind(k) {
    memory.budget = budget;
    z.zalloc = ChargedMemory::zalloc;
    z.zfree = ChargedMemory::zfree;
    z.opaque = &memory;
    if (kind == Kind::Gzip) {
      z_ready = inflateInit2(&z, 15 + 16) == Z_OK;
    } else if (kind == Kind::Brotli) {
      br = BrotliDecoderCreateInstance(ChargedMemory::alloc, ChargedMemory::free, &memory);
    } else if (kind == Kind::Zstd) {
      zs = ZSTD_createDStream_advanced(
          ZSTD_customMem{ChargedMemory::alloc, ChargedMemory::free, &memory});
      if (zs && ZSTD_isError(ZSTD_DCtx_setParameter(zs, ZSTD_d_windowLogMax, kZstdWindowLogMax))) {
        ZSTD_freeDStream(zs);
        zs = nullptr;
      }
    }
  }
  ~Decoder() {
    if (z_ready) inflateEnd(&z);
    if (br) BrotliDecoderDestroyInstance(br);
    if (zs) ZSTD_freeDStream(zs);
  }

  // `emit` returns false to stop (bomb): decoding ends there.
  template <class Emit>
  Result decode(ByteView in, Emit&& emit) {
    if (ended) return in.empty() ? Result::End : Result::Error;
    if (kind == Kind::Brotli) return brotli(in, emit);
    if (kind == Kind::Zstd) return zstd(in, emit);
    if (kind == Kind::Deflate && !z_ready) {
      // Wait for two bytes to tell a zlib header from raw deflate.
      while (head_len < 2 && !in.empty()) {
        head[head_len++] = in[0];
        in = in.subspan(1);
      }
      if (head_len < 2) return Result::Ok;
      bool zlib_header = (head[0] & 0x0f) == 8 && (head[0] << 8 | head[1]) % 31 == 0;
      if (inflateInit2(&z, zlib_header ? 15 : -15) != Z_OK) return Result::Error;
      z_ready = true;
      Result r = inflate_some(ByteView(head.data(), 2), emit);
      if (r != Result::Ok) return r;
    }
    if (!z_ready) return Result::Error;
    return inflate_some(in, emit);
  }

  template <class Emit>
  Result inflate_some(ByteView in, Emit& emit) {
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = uInt(in.size());
    for (;;) {
      z.next_out = out.data();
      z.avail_out = uInt(out.size());
      int rc = inflate(&z, Z_NO_FLUSH);
      size_t produced = out.size() - z.avail_out;
      if (produced && !emit(ByteView(out.data(), produced))) return Result::Stopped;
      if (rc == Z_STREAM_END) {
        // gzip allows several members back to back; anything else after the end is junk.
        if (kind == Kind::Gzip && z.avail_in > 0) {
          if (inflateReset(&z) != Z_OK) return Result::Error;
          continue;
        }
        if (z.avail_in > 0) return Result::Error;
        if (kind != Kind::Gzip) ended = true;
        return Result::Ok;
      }
      if (rc == Z_BUF_ERROR && z.avail_in == 0) return Result::Ok;  // needs more input
      if (rc != Z_OK && rc != Z_BUF_ERROR) return Result::Error;
      if (z.avail_in == 0 && z.avail_out != 0) return Result::Ok;
    }
  }

  // Frames may follow one another (RFC 8878 3): each ends, the next begins.
  template <class Emit>
  Result zstd(ByteView in, Emit& emit) {
    if (zs == nullptr) return Result::Error;
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    for (;;) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      size_t rc = ZSTD_decompressStream(zs, &output, &input);
      if (ZSTD_isError(rc)) return Result::Error;
      if (output.pos && !emit(ByteView(out.data(), output.pos))) return Result::Stopped;
      // All input taken and the output not full: nothing is held back for later.
      if (input.pos == input.size && output.pos < output.size) return Result::Ok;
    }
  }

  template <class Emit>
  Result brotli(ByteView in, Emit& emit) {
    if (br == nullptr) return Result::Error;
    size_t avail_in = in.size();
    const uint8_t* next_in = in.data();
    for (;;) {
      size_t avail_out = out.size();
      uint8_t* next_out = out.data();
      BrotliDecoderResult rc =
          BrotliDecoderDecompressStream(br, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      size_t produced = out.size() - avail_out;
      if (produced && !emit(ByteView(out.data(), produced))) return Result::Stopped;
      switch (rc) {
        case BROTLI_DECODER_RESULT_SUCCESS:
          ended = true;
          return avail_in ? Result::Error : Result::Ok;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
          return Result::Ok;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
          continue;
        default:
          return Result::Error;
      }
    }
  }
};

Body::Body() {
  sha256_init(&sha_);
}

Body::~Body() = default;

void Body::start(std::string_view content_encoding, const BodyLimits& limits,
                 std::unique_ptr<BodyConsumer> consumer) {
  started_ = true;
  limits_ = limits;
  consumer_ = std::move(consumer);
  // Codings are listed in the order applied; only one real coding is undone here.
  std::string coding;
  int real = 0;
  size_t pos = 0;
  while (pos <= content_encoding.size()) {
    size_t comma = content_encoding.find(',', pos);
    if (comma == std::string_view::npos) comma = content_encoding.size();
    std::string c = lower_trim(content_encoding.substr(pos, comma - pos));
    pos = comma + 1;
    if (c.empty() || c == "identity") continue;
    coding = c;
    ++real;
  }
  if (real == 0) return;
  encoding_ = coding;
  if (real > 1) return stop(Problem::Unsupported);
  if (coding == "gzip" || coding == "x-gzip") {
    decoder_ = std::make_unique<Decoder>(Decoder::Kind::Gzip, limits_.memory);
  } else if (coding == "deflate") {
    decoder_ = std::make_unique<Decoder>(Decoder::Kind::Deflate, limits_.memory);
  } else if (coding == "br") {
    decoder_ = std::make_unique<Decoder>(Decoder::Kind::Brotli, limits_.memory);
  } else if (coding == "zstd") {
    decoder_ = std::make_unique<Decoder>(Decoder::Kind::Zstd, limits_.memory);
  } else {
    stop(Problem::Unsupported);
  }
}

void Body::stop(Problem p) {
  if (problem_ == Problem::None) problem_ = p;
  decoder_.reset();
}

void Body::output(ByteView decoded) {
  decoded_len_ += decoded.size();
  sha256_update(&sha_, decoded.size(), decoded.data());
  if (kept_.size() < limits_.keep) {
    size_t n = std::min(decoded.size(), limits_.keep - kept_.size());
    kept_.append(reinterpret_cast<const char*>(decoded.data()), n);
    if (n < decoded.size()) truncated_ = true;
  } else if (!decoded.empty()) {
    truncated_ = true;
  }
  if (consumer_) consumer_->data(decoded);
}

void Body::add(ByteView raw, bool gap) {
  if (!started_ || finished_ || raw.empty()) return;
  raw_len_ += raw.size();
  if (gap) {
    // Lost bytes: the hash and any file are void; an encoded stream cannot go on.
    incomplete_ = true;
    truncated_ = true;
    if (problem_ == Problem::None) problem_ = Problem::Gap;
    if (consumer_) {
      consumer_->end(false, {});  // a file with a hole in it is no copy of the body
      consumer_.reset();
    }
    if (decoder_) {
      decoder_.reset();
    } else if (encoding_.empty()) {
      decoded_len_ += raw.size();
    }
    return;
  }
  if (problem_ == Problem::Gap && encoding_.empty()) {
    decoded_len_ += raw.size();  // counted; neither kept nor hashed after the hole
    return;
  }
  if (problem_ != Problem::None) {
    // Undecodable: the raw bytes still count; the event shows them as they came.
    if (problem_ == Problem::Unsupported) output(raw);
    return;
  }
  if (!decoder_) return output(raw);
  auto emit = [this](ByteView out) {
    uint64_t after = decoded_len_ + out.size();
    if (after > limits_.max_decoded ||
        (after > limits_.ratio_floor &&
         after / std::max<uint64_t>(raw_len_, 1) > limits_.max_ratio)) {
      return false;
    }
    output(out);
    return true;
  };
  switch (decoder_->decode(raw, emit)) {
    case Decoder::Result::Ok:
    case Decoder::Result::End:
      break;
    case Decoder::Result::Stopped:
      truncated_ = true;
      stop(Problem::Bomb);
      break;
    case Decoder::Result::Error:
      truncated_ = true;
      stop(decoder_->memory.refused ? Problem::Memory : Problem::DecodeError);
      break;
  }
}

void Body::finish(bool message_complete) {
  if (!started_ || finished_) return;
  finished_ = true;
  if (!message_complete) incomplete_ = true;
  std::array<uint8_t, SHA256_DIGEST_SIZE> digest;
  sha256_digest(&sha_, digest.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  sha_hex_.clear();
  for (uint8_t b : digest) {
    sha_hex_ += kHex[b >> 4];
    sha_hex_ += kHex[b & 15];
  }
  decoder_.reset();
  if (consumer_) {
    consumer_->end(hash_valid(), sha_hex_);
    consumer_.reset();
  }
}

}  // namespace netsift::http

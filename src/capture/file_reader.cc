#include "capture/file_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace netsift {
namespace {

constexpr size_t kReadChunk = 256u << 10;
constexpr size_t kBlockSize = 2 * kReadChunk;
// Regular files are read through a sliding memory map of this size: the kernel then
// copies nothing, and only the window counts towards RSS, whatever the file size.
constexpr size_t kMapWindow = 32u << 20;

constexpr uint32_t kPcapMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kPcapMagicNano = 0xa1b23c4d;
constexpr uint32_t kPcapMagicKuznetsov = 0xa1b2cd34;  // extended per-record header
constexpr uint32_t kPcapngShb = 0x0A0D0D0A;
constexpr uint32_t kPcapngBom = 0x1A2B3C4D;

constexpr uint32_t kBlockIdb = 1;
constexpr uint32_t kBlockPb = 2;  // obsolete Packet Block
constexpr uint32_t kBlockSpb = 3;
constexpr uint32_t kBlockEpb = 6;

constexpr uint32_t kNetmon2Magic = 0x55424d47;  // "GMBU"
constexpr size_t kNetmonHeader = 128;
constexpr size_t kNetmonFrameHeader = 16;

uint32_t bswap32(uint32_t v) {
  return __builtin_bswap32(v);
}

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

}  // namespace

// gzip-compressed input (RFC 1952, members one after another): inflated as read.
struct FileReader::Gunzip {
  z_stream zs{};
  std::vector<uint8_t> in = std::vector<uint8_t>(kReadChunk);
  bool member_done = false;  // the last member ended (more may follow)
  bool input_done = false;   // read() returned the end of the compressed input
  std::string error;
  Gunzip() { inflateInit2(&zs, 16 + MAX_WBITS); }
  ~Gunzip() { inflateEnd(&zs); }
};

FileReader::FileReader(std::string path, ReadAheadPolicy read_ahead)
    : path_(std::move(path)), read_ahead_(read_ahead) {}

FileReader::~FileReader() {
  ahead_.reset();  // its thread reads fd_ and gz_: stop it first
  if (map_) munmap(map_, map_len_);
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

bool FileReader::remap(size_t n) {
  // Keep the unread part [pos_, end_) plus at least n bytes in view.
  uint64_t want_from = map_offset_ + pos_;
  struct stat st {};
  if (fstat(fd_, &st) == 0 && uint64_t(st.st_size) > file_size_) file_size_ = uint64_t(st.st_size);
  if (want_from >= file_size_) return false;
  static const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
  uint64_t start = want_from & ~(page - 1);
  uint64_t len = std::max<uint64_t>(kMapWindow, (want_from - start) + n);
  len = std::min(len, file_size_ - start);
  void* m = mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_, off_t(start));
  if (m == MAP_FAILED) return false;
  madvise(m, len, MADV_SEQUENTIAL);
  if (map_) munmap(map_, map_len_);
  map_ = m;
  map_len_ = len;
  map_offset_ = start;
  data_ = static_cast<const uint8_t*>(m);
  pos_ = want_from - start;
  end_ = len;
  return end_ - pos_ >= n;
}

bool FileReader::open() {
  if (path_ == "-") {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = fmt::format("{}: cannot open: {}", path_, std::strerror(errno));
      return false;
    }
    owns_fd_ = true;
    struct stat st {};
    if (fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      error_ = fmt::format("{}: is a directory (give the capture files in it, e.g. {}/*.pcap)",
                           path_, path_);
      return false;
    }
    uint8_t magic[2] = {};
    if (fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) &&
        !(pread(fd_, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)) {
      file_size_ = uint64_t(st.st_size);
      // Regular files are read() into one recycled buffer: on VMs where page faults are
      // expensive, walking a file through mmap costs several times a read() walk
      // (bench/README.md). NetMon files jump between frames through a table at the
      // end: those alone are mapped.
      uint8_t magic[4];
      mapped_ = pread(fd_, magic, 4, 0) == 4 && load_le32(magic) == kNetmon2Magic;
    }
    posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  if (!mapped_) {
    cur_ = blocks_.emplace_back(std::make_unique<Block>()).get();
    cur_->bytes.reset(new uint8_t[kBlockSize]);
    cur_->size = kBlockSize;
    data_ = cur_->bytes.get();
    // Compressed? The bytes already read become the inflater's first input.
    if (fill(2) && data_[pos_] == 0x1f && data_[pos_ + 1] == 0x8b) {
      gz_ = std::make_unique<Gunzip>();
      std::memcpy(gz_->in.data(), data_ + pos_, end_ - pos_);
      gz_->zs.next_in = gz_->in.data();
      gz_->zs.avail_in = uInt(end_ - pos_);
      pos_ = end_ = 0;
      eof_ = false;
    }
    struct stat st {};
    // Started by the first next(): files given together are all opened first, and only
    // the one being read needs a thread and its blocks.
    ahead_wanted_ = owns_fd_ && fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) &&
                    want_read_ahead(uint64_t(st.st_size), gz_ != nullptr);
  }
  if (!fill(4)) {
    // ^C on a quiet `-r -` before the capture header came: an input with no packets
    // that a stop request ended (next() says End), not an empty or unreadable one.
    if (interrupted_) return true;
    if (gz_ && !gz_->error.empty()) {
      error_ = fmt::format("{}: {}", path_, gz_->error);
      return false;
    }
    error_ = fmt::format("{}: empty or unreadable file (no capture header)", path_);
    return false;
  }
  uint32_t magic = load_le32(data_ + pos_);
  if (magic == kNetmon2Magic) return read_netmon_header();
  if (magic == kPcapngShb) {
    format_ = Format::Pcapng;
    return true;  // the SHB is parsed as the first block by next()
  }
  return read_pcap_header();
}

bool FileReader::want_read_ahead(uint64_t size, bool compressed) const {
  using Mode = ReadAheadPolicy::Mode;
  if (read_ahead_.mode != Mode::Auto) return read_ahead_.mode == Mode::On;
  // A thread costs about 100 us and 5 MiB; below a few MiB it cannot pay, and without a
  // core of its own (one core, or the run's workers on all of them) it only adds switches.
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return false;
  // Workers that take the reader's blocks (sessions) are as fast as the reader lets them
  // be once there are a few cores: the reader is then what bounds the run, and taking
  // the page-cache copy off it pays even with a worker on every core.
  const uint64_t cores = uint64_t(CPU_COUNT(&set));
  if (cores < 2 + uint64_t(read_ahead_.other_threads) && !(read_ahead_.lending && cores >= 4))
    return false;
  return size >= (compressed ? (1u << 20) : (8u << 20));
}

bool FileReader::fill(size_t n) {
  if (end_ - pos_ >= n) return true;
  if (n > kMaxRecord + 64) return false;
  if (mapped_) return remap(n);
  if (ahead_) return fill_ahead(n);
  if (cur_->holds == 0) {
    // Nobody holds the block: the unread tail moves to its start (and it grows).
    if (pos_ > 0) {
      std::memmove(cur_->bytes.get(), cur_->bytes.get() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    if (cur_->size < n) grow_block(n);
  } else if (cur_->size - pos_ < n || cur_->size - end_ < kReadChunk / 2) {
    // A consumer still uses the packets before pos_: read on in another block.
    move_to_spare(n);
  }  // else room after end_: read there, the held bytes stay as they are
  while (end_ - pos_ < n && !eof_) {
    size_t want = std::min(cur_->size - end_, std::max(kReadChunk, n - (end_ - pos_)));
    ssize_t got = read_some(cur_->bytes.get() + end_, want);
    if (got < 0) {
      if (errno == EINTR && stop_ && stop_->load(std::memory_order_relaxed)) interrupted_ = true;
      if (errno == EINTR && !interrupted_) continue;
      eof_ = true;
      break;
    }
    if (got == 0) {
      eof_ = true;
      break;
    }
    end_ += size_t(got);
  }
  return end_ - pos_ >= n;
}

void FileReader::grow_block(size_t n) {
  // Not zero-filled: read() writes every byte before it is used (a vector's resize()
  // cleared 2 MiB at every start, 4 % of the instructions of a 20,000-packet run).
  size_t size = std::max(n, cur_->size * 2);
  std::unique_ptr<uint8_t[]> bigger(new uint8_t[size]);
  if (end_) std::memcpy(bigger.get(), cur_->bytes.get(), end_);  // the data starts at 0
  cur_->bytes = std::move(bigger);
  cur_->size = size;
  data_ = cur_->bytes.get();
}

void FileReader::retire(ReadAhead::Block* b) {
  if (b->holds == 0) {
    ahead_->release(b);
  } else {
    retired_.push_back(b);
  }
}

void FileReader::release_unheld() {
  auto held = std::partition(retired_.begin(), retired_.end(),
                             [](const ReadAhead::Block* b) { return b->holds != 0; });
  // Back to the thread while it reads; after the end they are only forgotten.
  if (ahead_) {
    for (auto it = held; it != retired_.end(); ++it) ahead_->release(*it);
  }
  retired_.erase(held, retired_.end());
}

void FileReader::trim() {
  if (ahead_) {
    // Read no further (an error, -c or a stop ended the input early): the threads go;
    // blocks a consumer holds keep their bytes until it lets go.
    eof_ = true;
    data_ = cur_->bytes.get();
    pos_ = end_ = 0;
    end_read_ahead();
  }
  release_unheld();
  if (ended_ahead_ && retired_.empty()) ended_ahead_.reset();
}

bool FileReader::fill_ahead(size_t n) {
  // Packets in a read-ahead block are lent while the consumer holds blocks and enough
  // stay free for the thread (lend_ahead_); the reader's own block cur_ only gathers
  // records larger than the headroom, and is not lent meanwhile.
  const size_t headroom = ahead_->headroom();
  while (end_ - pos_ < n && !eof_) {
    release_unheld();
    ReadAhead::Block* b = ahead_->next();
    if (b->len == 0) {  // the end, or a read error, which ends the input as inline
      eof_ = true;
      ahead_->release(b);
      stop_read_ahead();
      break;
    }
    size_t left = end_ - pos_;
    if (left <= headroom && left + b->len >= n) {
      // The usual case: the unread tail moves in front of the new block's data.
      std::memcpy(b->base + headroom - left, data_ + pos_, left);
      if (ahead_block_) retire(ahead_block_);
      ahead_block_ = b;
      // At most all blocks but three held: the thread always has one to read into.
      lend_ahead_ = read_ahead_.lending && retired_.size() + 4 <= ahead_->blocks();
      data_ = b->base;
      pos_ = headroom - left;
      end_ = headroom + b->len;
      return true;
    }
    // A record larger than the headroom (or than a block): gathered in cur_.
    if (data_ != cur_->bytes.get()) {  // the tail is in a read-ahead block (still ours)
      const uint8_t* tail = data_ + pos_;
      pos_ = end_ = 0;
      if (cur_->size < left) grow_block(left);
      std::memcpy(cur_->bytes.get(), tail, left);
      data_ = cur_->bytes.get();
      end_ = left;
    } else if (pos_ > 0) {
      std::memmove(cur_->bytes.get(), cur_->bytes.get() + pos_, left);
      pos_ = 0;
      end_ = left;
    }
    if (ahead_block_) {
      retire(ahead_block_);
      ahead_block_ = nullptr;
    }
    if (cur_->size < end_ + b->len) grow_block(end_ + b->len);
    std::memcpy(cur_->bytes.get() + end_, b->base + headroom, b->len);
    end_ += b->len;
    ahead_->release(b);
  }
  return end_ - pos_ >= n;
}

void FileReader::move_to_spare(size_t n) {
  size_t want = std::max(n, kBlockSize);
  Block* spare = nullptr;
  for (auto& b : blocks_) {
    if (b.get() == cur_ || b->holds != 0) continue;
    spare = b.get();
    if (b->size >= want) break;
  }
  if (spare == nullptr) spare = blocks_.emplace_back(std::make_unique<Block>()).get();
  // One huge record must not leave every spare huge.
  if (spare->size < want || spare->size > std::max(want, 4 * kBlockSize)) {
    spare->bytes.reset(new uint8_t[want]);
    spare->size = want;
  }
  if (end_ > pos_) std::memcpy(spare->bytes.get(), data_ + pos_, end_ - pos_);
  end_ -= pos_;
  pos_ = 0;
  cur_ = spare;
  data_ = spare->bytes.get();
}

ssize_t FileReader::read_some(uint8_t* dst, size_t n) {
  if (!gz_) return ::read(fd_, dst, n);
  z_stream& z = gz_->zs;
  z.next_out = dst;
  z.avail_out = uInt(n);
  while (z.avail_out == n) {
    if (z.avail_in == 0 && !gz_->input_done) {
      ssize_t got = ::read(fd_, gz_->in.data(), gz_->in.size());
      if (got < 0) {
        if (errno == EINTR && !(stop_ && stop_->load(std::memory_order_relaxed))) continue;
        return -1;  // errno stays EINTR for fill() when a stop was requested
      }
      if (got == 0) {
        gz_->input_done = true;
      } else {
        z.next_in = gz_->in.data();
        z.avail_in = uInt(got);
      }
    }
    if (gz_->member_done) {
      if (z.avail_in == 0) return 0;  // the input ended after a whole member
      inflateReset(&z);               // another member follows
      gz_->member_done = false;
    }
    // Called even when the input has ended: a match cut by a full output buffer still
    // has bytes to give without more input.
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      gz_->member_done = true;
    } else if (rc == Z_BUF_ERROR) {
      if (gz_->input_done && z.avail_out == n) {  // no progress and no more input
        gz_->error = "gzip data ends early";
        return 0;
      }
    } else if (rc != Z_OK) {
      gz_->error = fmt::format("corrupt gzip data: {}", z.msg ? z.msg : "inflate failed");
      return 0;
    }
  }
  return ssize_t(n - z.avail_out);
}

int FileReader::fixed_linktype() const {
  switch (format_) {
    case Format::Pcap:
      return pcap_linktype_;
    case Format::Netmon:
      return linktype::kEthernet;
    default:
      return -1;
  }
}

PacketSource::Status FileReader::fail(const std::string& what, uint64_t at) {
  if (interrupted_) return Status::End;  // cut short by a stop request, not damaged
  // gz_ belongs to the read-ahead thread until it has delivered the end.
  if (gz_ && (!ahead_ || eof_) && !gz_->error.empty()) {
    error_ = fmt::format("{}: {} at byte offset {} of the decompressed data ({})", path_, what, at,
                         gz_->error);
  } else {
    error_ = fmt::format("{}: {} at byte offset {}", path_, what, at);
  }
  return Status::Error;
}

bool FileReader::native_pcap_magic(uint32_t m) {
  return m == kPcapMagicMicro || m == kPcapMagicNano || m == kPcapMagicKuznetsov;
}

bool FileReader::is_pcap_magic(uint32_t le) {
  return native_pcap_magic(le) || native_pcap_magic(bswap32(le));
}

bool FileReader::pcap_header_follows() const {
  // A record whose seconds are a pcap magic (the year 2055) and whose fraction is
  // version 2.4 is no capture's: it is a file header. (At least 16 bytes are there.)
  const uint8_t* h = data_ + pos_;
  const bool big = !native_pcap_magic(load_le32(h));
  return (big ? load_be16(h + 4) : load_le16(h + 4)) == 2 &&
         (big ? load_be16(h + 6) : load_le16(h + 6)) == 4;
}

bool FileReader::read_pcap_header() {
  // The magic first (open() read 4 bytes): a short text file is "not a capture", not a
  // truncated one.
  uint32_t magic = load_le32(data_ + pos_);
  uint32_t swapped = bswap32(magic);
  if (native_pcap_magic(magic)) {
    swapped_ = false;
  } else if (native_pcap_magic(swapped)) {
    swapped_ = true;
    magic = swapped;
  } else {
    // Show what it starts with when that is text (a log, an HTML error page saved as
    // .pcap), which says more than the magic number.
    fill(16);
    std::string text;
    for (size_t i = 0; i < std::min<size_t>(end_ - pos_, 16); ++i) {
      uint8_t c = data_[pos_ + i];
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      if (c < 0x20 || c > 0x7e) {
        text.clear();
        break;
      }
      text += char(c);
    }
    error_ = text.size() >= 4
                 ? fmt::format("{}: not a pcap or pcapng file (it starts with text: \"{}\")", path_,
                               text)
                 : fmt::format("{}: not a pcap or pcapng file (magic 0x{:08x})", path_,
                               load_le32(data_ + pos_));
    return false;
  }
  if (!fill(24)) {
    if (interrupted_) return true;  // as above: stopped, no packets
    error_ = fmt::format("{}: truncated pcap file header ({} of 24 bytes)", path_, end_ - pos_);
    return false;
  }
  const uint8_t* h = data_ + pos_;
  nanos_ = magic == kPcapMagicNano;
  kuznetsov_ = magic == kPcapMagicKuznetsov;
  uint32_t network = swapped_ ? load_be32(h + 20) : load_le32(h + 20);
  pcap_linktype_ = uint16_t(network & 0xffff);  // upper bits carry FCS information
  format_ = Format::Pcap;
  pos_ += 24;
  file_offset_ += 24;
  return true;
}

// Microsoft Network Monitor 2.x: a 128-byte header (capture start as SYSTEMTIME, media
// type, offset and size of a table of frame offsets), frames of [8-byte microsecond
// offset from the start][wire length][captured length][data]. The table sits at the end
// of the file, so this format needs a seekable (memory-mapped) file.
bool FileReader::read_netmon_header() {
  if (!mapped_) {
    error_ = fmt::format("{}: NetMon captures can only be read from a regular file", path_);
    return false;
  }
  if (!fill(kNetmonHeader)) {
    error_ = fmt::format("{}: truncated NetMon file header", path_);
    return false;
  }
  const uint8_t* h = data_ + pos_;
  uint8_t major = h[5];
  uint16_t media = load_le16(h + 6);
  if (major != 2) {
    error_ = fmt::format("{}: NetMon version {} files are not supported (only 2.x)", path_, major);
    return false;
  }
  if (media != 1) {
    error_ = fmt::format("{}: NetMon media type {} is not supported (only Ethernet)", path_, media);
    return false;
  }
  int64_t days = days_from_civil(load_le16(h + 8), load_le16(h + 10), load_le16(h + 14));
  netmon_start_ =
      ((days * 24 + load_le16(h + 16)) * 60 + load_le16(h + 18)) * 60 + load_le16(h + 20);
  netmon_start_ = netmon_start_ * kNsPerSec + int64_t(load_le16(h + 22)) * 1'000'000;
  uint32_t table = load_le32(h + 24), table_len = load_le32(h + 28);
  if (uint64_t(table) + table_len > file_size_ || table_len % 4 != 0) {
    error_ = fmt::format("{}: corrupt NetMon frame table (offset {}, length {})", path_, table,
                         table_len);
    return false;
  }
  if (!seek(table, table_len)) {
    error_ = fmt::format("{}: cannot read the NetMon frame table", path_);
    return false;
  }
  netmon_frames_.resize(table_len / 4);
  for (size_t i = 0; i < netmon_frames_.size(); ++i)
    netmon_frames_[i] = load_le32(data_ + pos_ + i * 4);
  format_ = Format::Netmon;
  return true;
}

bool FileReader::seek(uint64_t offset, size_t n) {
  if (offset + n > file_size_) return false;
  if (offset >= map_offset_ && offset + n <= map_offset_ + end_) {
    pos_ = size_t(offset - map_offset_);
  } else {
    map_offset_ = offset;  // remap() keeps [map_offset_ + pos_, ...) in view
    pos_ = 0;
    end_ = 0;
    if (!remap(n)) return false;
  }
  file_offset_ = offset;
  return true;
}

PacketSource::Status FileReader::next_netmon(RawPacket& out) {
  if (netmon_next_ >= netmon_frames_.size()) return Status::End;
  uint64_t at = netmon_frames_[netmon_next_++];
  if (!seek(at, kNetmonFrameHeader)) return fail("NetMon frame outside the file", at);
  const uint8_t* h = data_ + pos_;
  uint64_t micros = load_le64(h);
  uint32_t wirelen = load_le32(h + 8), caplen = load_le32(h + 12);
  if (caplen > kMaxRecord || !seek(at, kNetmonFrameHeader + caplen)) {
    return fail(fmt::format("truncated NetMon frame (captured length {})", caplen), at);
  }
  out.ts = netmon_start_ + int64_t(micros) * 1000;
  out.caplen = caplen;
  out.wirelen = std::max(wirelen, caplen);
  out.linktype = linktype::kEthernet;
  out.interface_id = 0;
  out.data = ByteView(data_ + pos_ + kNetmonFrameHeader, caplen);
  out.block = nullptr;  // the map moves on: nothing to lend
  return Status::Packet;
}

void FileReader::start_read_ahead() {
  ahead_wanted_ = false;
  if (eof_) return;
  const size_t blocks = read_ahead_.lending ? read_ahead_.lending_blocks : read_ahead_.blocks;
  const uint32_t threads = read_ahead_threads();
  off_t start = gz_ || threads < 2 ? -1 : ::lseek(fd_, 0, SEEK_CUR);
  if (start >= 0) {
    // Blocks read side by side at their own offsets; fd_'s position no longer moves.
    ahead_ = std::make_unique<ReadAhead>(
        [fd = fd_](uint8_t* dst, size_t n, uint64_t at) { return ::pread(fd, dst, n, off_t(at)); },
        uint64_t(start), threads, read_ahead_.block, read_ahead_.headroom, blocks);
    return;
  }
  // From here on only the thread calls read_some() (and touches gz_) until the end.
  ahead_ = std::make_unique<ReadAhead>([this](uint8_t* dst, size_t n) { return read_some(dst, n); },
                                       read_ahead_.block, read_ahead_.headroom, blocks);
}

uint32_t FileReader::read_ahead_threads() const {
  if (read_ahead_.threads) return read_ahead_.threads;
  if (gz_ || !read_ahead_.lending) return 1;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::min<uint32_t>(4, 1 + uint32_t(CPU_COUNT(&set)) / 8);
}

void FileReader::stop_read_ahead() {
  // The thread has delivered the end and returned: the unread tail (a cut record, for
  // the error message) moves to cur_, the blocks and the thread go.
  size_t left = end_ - pos_;
  if (data_ != cur_->bytes.get()) {
    const uint8_t* tail = data_ + pos_;  // in ahead_block_, still ours
    if (cur_->size < left) {
      pos_ = end_ = 0;
      grow_block(left);
    }
    std::memcpy(cur_->bytes.get(), tail, left);
    data_ = cur_->bytes.get();
    pos_ = 0;
    end_ = left;
  }
  end_read_ahead();
}

void FileReader::end_read_ahead() {
  // Every thread returns from its read first (several may still be reading past the
  // end): none reads into a block given back below, or touches fd_, which the
  // destructor closes.
  if (ahead_) ahead_->stop();
  if (ahead_block_) retire(ahead_block_);
  ahead_block_ = nullptr;
  release_unheld();
  // Blocks a consumer still holds keep their memory (the threads have ended) until trim().
  if (retired_.empty()) {
    ahead_.reset();
  } else {
    ended_ahead_ = std::move(ahead_);
  }
}

PacketSource::Status FileReader::next(RawPacket& out) {
  if (ahead_wanted_) start_read_ahead();
  if (format_ == Format::Netmon) return next_netmon(out);
  if (format_ != Format::Pcap && format_ != Format::Pcapng) return Status::End;
  // A pcap file and a pcapng file joined with cat: the reader of one meets the other's
  // header, switches format_ and returns; read on in the other (a loop: no recursion
  // whatever the number of switches).
  for (;;) {
    Format was = format_;
    Status status = was == Format::Pcap ? next_pcap(out) : next_pcapng(out);
    if (format_ == was) return status;
  }
}

bool FileReader::section_header_follows() const {
  // The SHB type, then (after the length) the byte-order magic in either order; no pcap
  // record has that captured length. (At least 12 bytes are there.)
  const uint8_t* h = data_ + pos_;
  uint32_t bom = load_le32(h + 8);
  return load_le32(h) == kPcapngShb && (bom == kPcapngBom || bswap32(bom) == kPcapngBom);
}

PacketSource::Status FileReader::next_pcap(RawPacket& out) {
  size_t header_len;
  // A loop, not a call to itself, past later file headers: a run of them (hostile input,
  // millions in a small .gz) must not grow the stack.
  for (;;) {
    header_len = kuznetsov_ ? 24 : 16;
    // fill() is a call; checking here first saves it for all but one record per block.
    if (end_ - pos_ < header_len && !fill(header_len)) {
      if (end_ == pos_) return Status::End;
      return fail(
          fmt::format("truncated packet record header ({} of {} bytes)", end_ - pos_, header_len),
          file_offset_);
    }
    if (section_header_follows()) {
      format_ = Format::Pcapng;  // `cat a.pcap b.pcapng`: next() reads on in pcapng
      return Status::End;
    }
    if (!is_pcap_magic(load_le32(data_ + pos_)) || !pcap_header_follows()) break;
    // `cat a.pcap b.pcap`: b's file header stands where a record header should. Read on
    // in b's byte order, resolution and link type, as after a pcapng section header.
    if (end_ - pos_ < 24 && !fill(24)) {
      return fail(
          fmt::format("truncated pcap file header ({} of 24 bytes) of a second file", end_ - pos_),
          file_offset_);
    }
    if (!read_pcap_header()) return fail("corrupt pcap file header", file_offset_);
  }
  const uint8_t* h = data_ + pos_;
  auto rd = [&](size_t off) { return swapped_ ? load_be32(h + off) : load_le32(h + off); };
  uint32_t sec = rd(0), frac = rd(4), caplen = rd(8), wirelen = rd(12);
  if (caplen > kMaxRecord) {
    return fail(fmt::format("corrupt packet record (captured length {} is implausible)", caplen),
                file_offset_);
  }
  if (end_ - pos_ < header_len + caplen && !fill(header_len + caplen)) {
    return fail(fmt::format("truncated packet record (captured length {}, only {} bytes left)",
                            caplen, end_ - pos_ - header_len),
                file_offset_);
  }
  out.ts = int64_t(sec) * kNsPerSec + int64_t(frac) * (nanos_ ? 1 : 1000);
  out.caplen = caplen;
  out.wirelen = std::max(wirelen, caplen);
  out.linktype = pcap_linktype_;
  out.interface_id = 0;
  out.data = ByteView(data_ + pos_ + header_len, caplen);
  out.block = lendable();
  pos_ += header_len + caplen;
  file_offset_ += header_len + caplen;
  // The next record header is a cache miss otherwise: its address is known now, and the
  // caller's work on this packet hides the load. Further ahead keeps memory streaming.
  __builtin_prefetch(data_ + pos_);
  __builtin_prefetch(data_ + pos_ + 64);
  __builtin_prefetch(data_ + pos_ + 2048);
  return Status::Packet;
}

TimestampNs FileReader::convert_ts(const Interface& ifc, uint64_t units) const {
  using u128 = unsigned __int128;
  u128 ns;
  if (ifc.tsresol_binary) {
    ns = (u128(units) * kNsPerSec) >> ifc.tsresol_exp;
  } else if (ifc.tsresol_exp <= 9) {
    u128 mul = 1;
    for (int i = ifc.tsresol_exp; i < 9; ++i) mul *= 10;
    ns = u128(units) * mul;
  } else {
    u128 div = 1;
    for (int i = 9; i < ifc.tsresol_exp && i < 40; ++i) div *= 10;
    ns = u128(units) / div;
  }
  return TimestampNs(ns) + ifc.tsoffset_sec * kNsPerSec;
}

bool FileReader::on_section_header(ByteView block) {
  // block: type, length, BOM, major, minor, section length, options
  (void)block;  // byte order was settled when the block header was read
  interfaces_.clear();
  return true;
}

bool FileReader::on_interface(ByteView body, uint64_t at) {
  auto r16 = [&](const uint8_t* p) { return ng_big_endian_ ? load_be16(p) : load_le16(p); };
  if (body.size() < 8) {
    fail("truncated pcapng interface description block", at);
    return false;
  }
  Interface ifc;
  ifc.linktype = r16(body.data());
  size_t off = 8;
  while (off + 4 <= body.size()) {
    uint16_t code = r16(body.data() + off), len = r16(body.data() + off + 2);
    off += 4;
    if (code == 0) break;
    if (off + len > body.size()) break;  // malformed option: keep what we have
    const uint8_t* v = body.data() + off;
    if (code == 9 && len >= 1) {
      ifc.tsresol_binary = (v[0] & 0x80) != 0;
      ifc.tsresol_exp = v[0] & 0x7f;
      if (!ifc.tsresol_binary && ifc.tsresol_exp > 19) ifc.tsresol_exp = 19;
      if (ifc.tsresol_binary && ifc.tsresol_exp > 63) ifc.tsresol_exp = 63;
    } else if (code == 14 && len >= 8) {
      ifc.tsoffset_sec = int64_t(ng_big_endian_ ? load_be64(v) : load_le64(v));
    }
    off += (len + 3u) & ~3u;
  }
  interfaces_.push_back(ifc);
  return true;
}

PacketSource::Status FileReader::next_pcapng(RawPacket& out) {
  for (;;) {
    if (!fill(12)) {
      if (end_ == pos_) return Status::End;
      return fail(fmt::format("truncated pcapng block header ({} of 12 bytes)", end_ - pos_),
                  file_offset_);
    }
    if (is_pcap_magic(load_le32(data_ + pos_)) && pcap_header_follows()) {
      // `cat a.pcapng b.pcap`: a pcap file header where a block should start.
      if (!fill(24)) {
        return fail(fmt::format("truncated pcap file header ({} of 24 bytes) after a pcapng file",
                                end_ - pos_),
                    file_offset_);
      }
      if (!read_pcap_header()) return fail("corrupt pcap file header", file_offset_);
      return Status::End;  // format_ is Pcap now: next() reads on
    }
    const uint8_t* h = data_ + pos_;
    uint32_t type = load_le32(h);  // the SHB type reads the same in both byte orders
    if (type == kPcapngShb) {
      uint32_t bom = load_le32(h + 8);
      if (bom != kPcapngBom && bswap32(bom) != kPcapngBom) {
        return fail("bad pcapng byte-order magic", file_offset_);
      }
      ng_big_endian_ = bom != kPcapngBom;
    }
    auto r32 = [&](const uint8_t* p) { return ng_big_endian_ ? load_be32(p) : load_le32(p); };
    if (type != kPcapngShb) type = r32(h);
    uint32_t total = r32(h + 4);
    if (total < 12 || total > kMaxRecord || (total & 3) != 0) {
      return fail(fmt::format("corrupt pcapng block (type 0x{:x}, length {})", type, total),
                  file_offset_);
    }
    if (!fill(total)) {
      return fail(fmt::format("truncated pcapng block (type 0x{:x}, length {}, only {} bytes left)",
                              type, total, end_ - pos_),
                  file_offset_);
    }
    h = data_ + pos_;
    if (r32(h + total - 4) != total) {
      return fail(fmt::format("corrupt pcapng block (type 0x{:x}: trailing length differs)", type),
                  file_offset_);
    }
    ByteView block(h, total);
    ByteView body = block.subspan(8, total - 12);
    uint64_t at = file_offset_;
    pos_ += total;
    file_offset_ += total;

    switch (type) {
      case kPcapngShb:
        if (total < 28) return fail("truncated pcapng section header block", at);
        on_section_header(block);
        continue;
      case kBlockIdb:
        if (!on_interface(body, at)) return Status::Error;
        continue;
      case kBlockEpb:
      case kBlockPb: {
        if (body.size() < 20) return fail("truncated pcapng packet block", at);
        const uint8_t* b = body.data();
        uint32_t ifc_id;
        if (type == kBlockEpb) {
          ifc_id = r32(b);
        } else {
          ifc_id = ng_big_endian_ ? load_be16(b) : load_le16(b);
        }
        uint64_t units = uint64_t(r32(b + 4)) << 32 | r32(b + 8);
        uint32_t caplen = r32(b + 12), wirelen = r32(b + 16);
        if (caplen > body.size() - 20) {
          return fail(
              fmt::format("corrupt pcapng packet block (captured length {} exceeds block)", caplen),
              at);
        }
        if (ifc_id >= interfaces_.size()) {
          return fail(fmt::format("pcapng packet block names undeclared interface {}", ifc_id), at);
        }
        const Interface& ifc = interfaces_[ifc_id];
        out.ts = convert_ts(ifc, units);
        out.caplen = caplen;
        out.wirelen = std::max(wirelen, caplen);
        out.linktype = ifc.linktype;
        out.interface_id = ifc_id;
        out.data = ByteView(b + 20, caplen);
        out.block = lendable();
        return Status::Packet;
      }
      case kBlockSpb: {
        if (body.size() < 4) return fail("truncated pcapng simple packet block", at);
        if (interfaces_.empty()) return fail("pcapng simple packet block before any interface", at);
        uint32_t wirelen = r32(body.data());
        uint32_t caplen = std::min<uint32_t>(wirelen, uint32_t(body.size() - 4));
        out.ts = 0;
        out.caplen = caplen;
        out.wirelen = std::max(wirelen, caplen);
        out.linktype = interfaces_[0].linktype;
        out.interface_id = 0;
        out.data = ByteView(body.data() + 4, caplen);
        out.block = lendable();
        return Status::Packet;
      }
      default:
        continue;  // statistics, name resolution, custom and unknown blocks
    }
  }
}

}  // namespace netsift

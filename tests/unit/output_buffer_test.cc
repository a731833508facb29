// OutputBuffer: records appended, and whole chunks handed over from elsewhere (a
// sharded worker's output, written with the buffered bytes in one writev), reach the
// descriptor in order, through a file and through a pipe read in small pieces.
#include "output/output_buffer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

namespace netsift {
namespace {

// Small records, chunks below and above kDirectAt, and the buffer's own flush points.
std::string write_all_kinds(int fd) {
  std::string expected;
  OutputBuffer out(fd);
  for (int i = 0; i < 2000; ++i) {
    std::string line = "record " + std::to_string(i) + "\n";
    out.append(line);
    out.end_record();
    expected += line;
    if (i % 97 == 0) {
      // A chunk of a size that varies around kDirectAt and up to a few buffers' worth.
      std::string chunk(size_t(i) * 211 % (3 * OutputBuffer::kFlushAt), char('a' + i % 26));
      chunk += "\n";
      out.append_records(chunk);
      expected += chunk;
    }
  }
  EXPECT_TRUE(out.flush());
  return expected;
}

TEST(OutputBuffer, ChunksAndRecordsInOrderToAFile) {
  char path[] = "/tmp/netsift-output-buffer-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string expected = write_all_kinds(fd);
  std::string got(expected.size() + 1, '\0');
  ASSERT_EQ(pread(fd, got.data(), got.size(), 0), ssize_t(expected.size()));
  got.resize(expected.size());
  EXPECT_EQ(got, expected);
  close(fd);
  unlink(path);
}

TEST(OutputBuffer, ChunksAndRecordsInOrderThroughAPipe) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::string got;
  std::thread reader([&] {
    char piece[1000];  // small reads: the writer's writev blocks and resumes
    for (ssize_t n; (n = read(p[0], piece, sizeof piece)) > 0;) got.append(piece, size_t(n));
  });
  std::string expected = write_all_kinds(p[1]);
  close(p[1]);
  reader.join();
  close(p[0]);
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace netsift

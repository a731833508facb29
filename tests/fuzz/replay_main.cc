// Replays saved inputs through a libFuzzer target without libFuzzer, so that a compiler
// and sanitizer build without -fsanitize=fuzzer (the gcc ASan preset) can run the crash
// inputs kept in tests/fuzz/regressions/fuzz_NAME/ as ordinary tests.
// Usage: replay_fuzz_NAME FILE_OR_DIR...
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read\n", file.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int failed = 0, done = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p)) {
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') {
          failed += replay(e.path());
          ++done;
        }
      }
    } else {
      failed += replay(p);
      ++done;
    }
  }
  std::fprintf(stderr, "%d inputs replayed\n", done);
  return failed || done == 0 ? 1 : 0;
}

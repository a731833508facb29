// --hashes FILE: created new with 0600, never through a symlink or over another file,
// lines deduplicated, forged line breaks refused.
#include "output/hash_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace netsift {
namespace {

class HashFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hash-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/hashes.txt";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  std::string dir_, path_;
};

TEST_F(HashFileTest, NewFileHoldsEachLineOnceReadableByOwnerOnly) {
  std::string error;
  auto f = HashFile::open(path_, false, error);
  ASSERT_TRUE(f) << error;
  f->add("$mysqlna$00*11");
  f->add("$postgres$u*0102*ab");
  f->add("$mysqlna$00*11");
  f->add("");
  ASSERT_TRUE(f->close()) << f->error();
  EXPECT_EQ(read(path_), "$mysqlna$00*11\n$postgres$u*0102*ab\n");
  EXPECT_EQ(f->written(), 2u);
  EXPECT_EQ(f->duplicates(), 1u);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(HashFileTest, ControlCharactersWouldForgeLinesAndAreRefused) {
  std::string error;
  auto f = HashFile::open(path_, false, error);
  ASSERT_TRUE(f) << error;
  f->add("$postgres$evil\n$postgres$forged*00*00");
  f->add(std::string("$cram_md5$a\0b", 13));
  f->add("$cram_md5$ok$ok");
  f->close();
  EXPECT_EQ(read(path_), "$cram_md5$ok$ok\n");
  EXPECT_EQ(f->refused(), 2u);
}

TEST_F(HashFileTest, ExistingFileIsAnErrorWithoutAppend) {
  write(path_, "old\n");
  std::string error;
  EXPECT_FALSE(HashFile::open(path_, false, error));
  EXPECT_NE(error.find("already exists"), std::string::npos) << error;
  EXPECT_EQ(read(path_), "old\n");
}

TEST_F(HashFileTest, PlantedSymlinkIsNeverFollowed) {
  std::string target = dir_ + "/victim";
  write(target, "precious\n");
  ASSERT_EQ(symlink(target.c_str(), path_.c_str()), 0);
  std::string error;
  EXPECT_FALSE(HashFile::open(path_, false, error));
  EXPECT_FALSE(HashFile::open(path_, true, error));
  EXPECT_EQ(read(target), "precious\n");
  // A dangling one would be created through by a plain open(O_CREAT): not here.
  std::string dangling = dir_ + "/dangling";
  ASSERT_EQ(symlink((dir_ + "/created-through").c_str(), dangling.c_str()), 0);
  EXPECT_FALSE(HashFile::open(dangling, false, error));
  EXPECT_NE(access((dir_ + "/created-through").c_str(), F_OK), 0);
}

TEST_F(HashFileTest, AppendAddsOnlyNewLinesToOurPrivateFile) {
  std::string error;
  {
    auto f = HashFile::open(path_, false, error);
    ASSERT_TRUE(f) << error;
    f->add("$mysqlna$aa*bb");
  }
  auto f = HashFile::open(path_, true, error);
  ASSERT_TRUE(f) << error;
  f->add("$mysqlna$aa*bb");
  f->add("$mysqlna$cc*dd");
  f->close();
  EXPECT_EQ(read(path_), "$mysqlna$aa*bb\n$mysqlna$cc*dd\n");
  // Appending to a file others may read would leak what is added.
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  EXPECT_FALSE(HashFile::open(path_, true, error));
}

TEST_F(HashFileTest, MissingDirectoryIsAnError) {
  std::string error;
  EXPECT_FALSE(HashFile::open(dir_ + "/no/such/dir/h.txt", false, error));
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
}

}  // namespace
}  // namespace netsift

// A directory tree built in code for edge cases (in the manner of oomd's Fixture.h): a temp
// dir created in the constructor and removed in the destructor.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace gt::collectors::testing {

class TempTree {
 public:
  TempTree() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gt-collectors-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  std::string Path(std::string_view relative) const { return root_ + "/" + std::string(relative); }

  void Dir(std::string_view relative) const { std::filesystem::create_directories(Path(relative)); }

  // Writes (truncating in place, so descriptors already open see the new content).
  void File(std::string_view relative, std::string_view content) const {
    std::filesystem::path p = Path(relative);
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
  }

  void Remove(std::string_view relative) const { std::filesystem::remove_all(Path(relative)); }

  // Copies a committed fixture host (tests/fixtures/<name>) so a test may alter it.
  void CopyFrom(const std::string& source) const {
    std::filesystem::copy(source, root_,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::copy_symlinks |
                              std::filesystem::copy_options::overwrite_existing);
  }

 private:
  std::string root_;
};

}  // namespace gt::collectors::testing

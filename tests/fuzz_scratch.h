// For fuzz targets whose parser takes a path: a private directory for the process's life
// (removed at exit) and a helper that writes the input there.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace gt::fuzz {

class Scratch {
 public:
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/gt-fuzz-scratch.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

  // Writes `text` to dir()/name (creating directories) and returns the path.
  std::string Write(const std::string& name, std::string_view text) const {
    const std::filesystem::path path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) std::abort();
    return path.string();
  }

 private:
  std::filesystem::path dir_;
};

// One per process: a function-local static is destroyed (and the directory removed) at exit.
inline const Scratch& ScratchDir() {
  static const Scratch scratch;
  return scratch;
}

}  // namespace gt::fuzz

#include "config/text_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace corral {

StatusOr<std::string> ReadTextFile(const std::string& path, size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) {
    return Status::NotFound(path + ": no such file");
  }
  if (ec) return Status::IoError(path + ": " + ec.message());
  if (st.type() == fs::file_type::directory) {
    return Status::IoError(path + ": is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char chunk[16 * 1024];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      return Status::IoError(path + ": larger than " + std::to_string(max_bytes) +
                             " bytes; not a config file");
    }
  }
  if (in.bad()) return Status::IoError(path + ": read failed: " + std::strerror(errno));
  return text;
}

}  // namespace corral

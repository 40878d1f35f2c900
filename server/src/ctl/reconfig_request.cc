#include "ctl/reconfig_request.h"

#include <charconv>
#include <sstream>

namespace corral::ctl {

std::string MembersFromDynamicConfig(const std::string& contents) {
  std::istringstream in(contents);
  std::string line;
  std::string members;
  while (std::getline(in, line)) {
    size_t begin = line.find_first_not_of(" \t");
    size_t end = line.find_last_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    line = line.substr(begin, end - begin + 1);
    if (!line.starts_with("server.") && !line.starts_with("group.") &&
        !line.starts_with("weight.")) {
      continue;
    }
    members += (members.empty() ? "" : ",") + line;
  }
  return members;
}

StatusOr<zk::ReconfigRequest> BuildReconfigRequest(const ReconfigOptions& o) {
  bool incremental = o.add || o.remove;
  bool bulk = o.members || o.file_contents;
  if (incremental && bulk) {
    return Status::InvalidArgument(
        "-add/-remove (incremental) and -members/-file (bulk) cannot be combined");
  }
  if (!incremental && !bulk) {
    return Status::InvalidArgument("reconfig needs -add, -remove, -members or -file");
  }
  if (o.members && o.file_contents) {
    return Status::InvalidArgument("-members and -file cannot be combined");
  }
  zk::ReconfigRequest req;
  req.joining_servers = o.add.value_or("");
  req.leaving_servers = o.remove.value_or("");
  if (o.members) req.new_members = *o.members;
  if (o.file_contents) {
    req.new_members = MembersFromDynamicConfig(*o.file_contents);
    if (req.new_members.empty()) {
      return Status::InvalidArgument("the file has no server.N lines");
    }
  }
  req.cur_config_id = -1;
  if (o.from_version_hex) {
    std::string text = *o.from_version_hex;
    if (text.starts_with("0x") || text.starts_with("0X")) text = text.substr(2);
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      return Status::InvalidArgument("-v takes the config version in hex, not \"" +
                                     *o.from_version_hex + "\"");
    }
    req.cur_config_id = static_cast<int64_t>(value);
  }
  return req;
}

}  // namespace corral::ctl

#include "runtime/reconfig_planner.h"

#include <algorithm>

#include "base/strings.h"
#include "jute/reader.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral {
namespace {

// "a, b\nc" -> {"a", "b", "c"}: zkCli and kazoo join server specs and ids with commas; the
// bulk form may come one per line.
std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  auto flush = [&] {
    std::string_view trimmed = TrimSpace(item);
    if (!trimmed.empty()) out.emplace_back(trimmed);
    item.clear();
  };
  for (char c : s) {
    if (c == ',' || c == '\n') {
      flush();
    } else {
      item += c;
    }
  }
  flush();
  return out;
}

void Upsert(DynamicConfig* config, ServerSpec spec) {
  for (ServerSpec& have : config->servers) {
    if (have.id == spec.id) {
      have = std::move(spec);
      return;
    }
  }
  config->servers.push_back(std::move(spec));
}

}  // namespace

std::string ErrorEntryOf(int32_t code) { return "error:" + std::to_string(code); }

std::string PlanReconfig(const ReconfigContext& context, const std::string& request) {
  if (!context.reconfig_enabled) return ErrorEntryOf(zk::kReconfigDisabled);
  jute::Reader r(request);
  zk::ReconfigRequest req;
  zk::Decode(r, &req);
  if (!r.ok()) return ErrorEntryOf(zk::kMarshallingError);
  // Only the super user, or a session with ADMIN on /zookeeper/config (ZooKeeper's rule).
  if (!acl::IsSuper(context.identities) &&
      !acl::Permits(context.config_acl, zk::kPermAdmin, context.identities)) {
    return ErrorEntryOf(zk::kNoAuth);
  }
  if (req.cur_config_id >= 0 && req.cur_config_id != context.current.version) {
    return ErrorEntryOf(zk::kBadVersion);
  }
  DynamicConfig next;
  if (!req.new_members.empty()) {
    if (!req.joining_servers.empty() || !req.leaving_servers.empty()) {
      return ErrorEntryOf(zk::kBadArguments);  // bulk and incremental at once
    }
    std::string text;
    for (const std::string& line : SplitList(req.new_members)) text += line + "\n";
    auto parsed = ParseDynamicConfig(text);
    if (!parsed.ok()) return ErrorEntryOf(zk::kBadArguments);
    next = std::move(parsed).value();
  } else {
    next = context.current;
    for (const std::string& id_text : SplitList(req.leaving_servers)) {
      char* end = nullptr;
      long long id = std::strtoll(id_text.c_str(), &end, 10);
      if (end == id_text.c_str() || *end != '\0') return ErrorEntryOf(zk::kBadArguments);
      std::erase_if(next.servers, [id](const ServerSpec& s) { return s.id == id; });
    }
    for (const std::string& line : SplitList(req.joining_servers)) {
      auto spec = ParseServerLine(line);
      if (!spec.ok()) return ErrorEntryOf(zk::kBadArguments);
      Upsert(&next, std::move(spec).value());
    }
  }
  next.version = 0;
  // Written and parsed back: the entry must parse on every member exactly as here.
  auto check = ParseDynamicConfig(FormatDynamicConfig(next));
  if (!check.ok()) return ErrorEntryOf(zk::kBadArguments);
  // A majority of the new voters must be live and caught up, or the ensemble would stop
  // committing the moment the entry is appended.
  consensus::Membership members = consensus::MembershipOf(*check);
  size_t ready = 0;
  for (consensus::MemberId id : members.voters) {
    ready += std::count(context.caught_up.begin(), context.caught_up.end(), id) > 0 ? 1 : 0;
  }
  if (ready < members.Quorum()) return ErrorEntryOf(zk::kNewConfigNoQuorum);
  return FormatDynamicConfig(*check);
}

}  // namespace corral

#include "runtime/admin_routes.h"

#include <algorithm>
#include <vector>

#include "node/admin_commands.h"

namespace corral {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

std::string DecodeQueryComponent(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

AdminRoute RouteAdminTarget(std::string_view target, std::string_view command_url) {
  AdminRoute route;
  std::string_view path = PathOf(target);
  if (path.substr(0, command_url.size()) != command_url) return route;
  std::string_view rest = path.substr(command_url.size());
  if (rest.empty() || rest == "/") {
    route.kind = AdminRoute::Kind::kCommandList;
    return route;
  }
  if (rest.front() != '/') return route;  // "/commandsfoo" is not under "/commands"
  rest.remove_prefix(1);
  if (rest.find('/') != std::string_view::npos) return route;
  route.kind = AdminRoute::Kind::kCommand;
  route.command = DecodeQueryComponent(rest);
  size_t question = target.find('?');
  if (question == std::string_view::npos) return route;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key = DecodeQueryComponent(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? "" : DecodeQueryComponent(pair.substr(eq + 1));
    if (!key.empty()) route.params.emplace(std::move(key), std::move(value));  // first wins
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return route;
}

bool IsMetricsTarget(std::string_view target) { return PathOf(target) == "/metrics"; }

std::string CommandListHtml(std::string_view command_url) {
  std::vector<std::string_view> names;
  for (const AdminCommand& c : AdminCommands()) names.push_back(c.name);
  std::sort(names.begin(), names.end());
  std::string out;
  for (std::string_view name : names) {
    std::string href = std::string(command_url) + "/" + std::string(name);
    out += "<a href=\"" + href + "\">" + std::string(name) + "</a>\n<br/>\n";
  }
  return out;
}

}  // namespace corral

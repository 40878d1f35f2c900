#include "ctl/completion.h"

#include <algorithm>

namespace corral::ctl {

CompletionTarget FindCompletionTarget(std::string_view line) {
  size_t word_start = line.find_last_of(" \t");
  word_start = word_start == std::string_view::npos ? 0 : word_start + 1;
  std::string_view before = line.substr(0, word_start);
  bool first_word = before.find_first_not_of(" \t") == std::string_view::npos;
  CompletionTarget target;
  target.word = std::string(line.substr(word_start));
  if (first_word) {
    target.kind = CompletionKind::kCommand;
  } else if (target.word.starts_with("/")) {
    target.kind = CompletionKind::kPath;
  }
  return target;
}

std::vector<std::string> CompleteCommand(std::string_view prefix,
                                         const std::vector<std::string>& commands) {
  std::vector<std::string> out;
  for (const auto& c : commands) {
    if (c.starts_with(prefix)) out.push_back(c);
  }
  std::sort(out.begin(), out.end());
  return out;
}

PathPrefix SplitPathPrefix(std::string_view word) {
  size_t slash = word.rfind('/');
  if (slash == std::string_view::npos) return {"/", std::string(word)};
  std::string parent(word.substr(0, slash));
  return {parent.empty() ? "/" : parent, std::string(word.substr(slash + 1))};
}

std::vector<std::string> CompletePath(std::string_view word, const ListChildren& list_children) {
  PathPrefix prefix = SplitPathPrefix(word);
  std::optional<std::vector<std::string>> children = list_children(prefix.parent);
  std::vector<std::string> out;
  if (!children) return out;
  std::string base = prefix.parent == "/" ? "/" : prefix.parent + "/";
  for (const auto& child : *children) {
    if (child.starts_with(prefix.leaf)) out.push_back(base + child);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace corral::ctl

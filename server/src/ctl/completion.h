#pragma once
// Tab completion in the interactive shell, as pure logic: what the word at the cursor is (a
// command name, a znode path, or something not completed) and which candidates fit it. The
// shell supplies the znode children through a callback, so this is testable without a server.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::ctl {

enum class CompletionKind { kCommand, kPath, kNone };

struct CompletionTarget {
  CompletionKind kind = CompletionKind::kNone;
  std::string word;  // the partial word being completed
};

// line_before_cursor: the shell line up to the cursor. The first word is a command; a later
// word that starts with '/' is a path; anything else (flags, data) is not completed.
CompletionTarget FindCompletionTarget(std::string_view line_before_cursor);

// Commands whose name starts with prefix, sorted.
std::vector<std::string> CompleteCommand(std::string_view prefix,
                                         const std::vector<std::string>& commands);

// The parent to list and the leaf prefix: "/a/b/c" -> ("/a/b", "c"), "/a" -> ("/", "a"),
// "/a/" -> ("/a", "").
struct PathPrefix {
  std::string parent;
  std::string leaf;
};
PathPrefix SplitPathPrefix(std::string_view word);

// Children of a parent, or nullopt if it cannot be listed (no such node, no permission).
using ListChildren = std::function<std::optional<std::vector<std::string>>(const std::string&)>;

// Full paths of the parent's children whose names start with the leaf prefix, sorted.
std::vector<std::string> CompletePath(std::string_view word, const ListChildren& list_children);

}  // namespace corral::ctl

#pragma once
// Znode path rules, as ZooKeeper's PathUtils.validatePath states them.
#include <string>
#include <string_view>

namespace corral::path {

// True for an absolute path with no empty, "." or ".." segment, no trailing slash (except "/"),
// and none of the characters ZooKeeper forbids (NUL, control characters, surrogates, U+FFF0+).
bool IsValid(std::string_view path);
// "/a/b" -> "/a"; "/a" -> "/". Only for valid paths other than "/".
std::string_view Parent(std::string_view path);
// "/a/b" -> "b".
std::string_view Basename(std::string_view path);
// The path of child `name` of `parent`: ("/", "a") -> "/a"; ("/a", "b") -> "/a/b".
std::string Join(std::string_view parent, std::string_view name);
// True when `path` equals `prefix` or lies under it ("/a" is under "/", "/ab" is not under "/a").
bool IsUnder(std::string_view path, std::string_view prefix);

}  // namespace corral::path

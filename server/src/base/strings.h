#pragma once
// Small text helpers shared by the config parsers, the dynamic config and the HTTP client.
#include <string>
#include <string_view>

namespace corral {

// Java's String.trim, which ZooKeeper applies to every config key and value: drops every
// character <= ' ' (spaces, tabs, CR, LF, other controls) at both ends. Also right for HTTP
// header values, whose surrounding whitespace is spaces and tabs.
std::string_view TrimSpace(std::string_view s);
// ASCII lower case (config keys and HTTP header names are ASCII).
std::string ToLowerAscii(std::string_view s);

}  // namespace corral

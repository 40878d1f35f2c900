#pragma once
// The Java properties syntax of zoo.cfg, read the way java.util.Properties.load reads it:
//   - natural lines end at \n, \r\n or \r;
//   - a line whose first non-blank character is '#' or '!' is a comment (and never continues);
//   - an odd number of backslashes at the end of a line joins the next line, whose leading
//     blanks are dropped;
//   - the key ends at the first unescaped '=', ':' or blank; blanks and at most one '=' or ':'
//     after it separate it from the value (`a=b`, `a: b`, `a b` are the same);
//   - \t \n \r \f and \uXXXX are escapes; a backslash before any other character keeps that
//     character (so `a\=b` is a key with an '=' in it).
// Keys and values are then trimmed, as ZooKeeper trims them. Duplicates are all returned, in file
// order; giving them meaning (the last wins) is BuildConfig's job.
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config_entry.h"

namespace corral {

// Fails only on a malformed \uXXXX escape, which Java rejects too.
StatusOr<std::vector<ConfigEntry>> ParsePropertiesEntries(std::string_view text);

}  // namespace corral

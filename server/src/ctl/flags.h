#pragma once
// The flags of one command ("-s", "-v 3"), in any order among its positional arguments, as
// zkCli.sh accepts them. "--" ends the flags: what follows is positional even if it starts
// with "-" (data such as "-1").
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace corral::ctl {

struct FlagSpec {
  std::string name;  // with its dash: "-v"
  bool takes_value = false;
  std::string help;  // "VERSION: the expected version"
};

struct ParsedArgs {
  std::map<std::string, std::string> flags;  // present flags; "" for boolean ones
  std::vector<std::string> positionals;

  bool Has(const std::string& flag) const { return flags.count(flag) != 0; }
  std::string Value(const std::string& flag, const std::string& fallback = "") const;
};

StatusOr<ParsedArgs> ParseFlags(const std::vector<std::string>& args,
                                const std::vector<FlagSpec>& specs);

// A decimal integer in [min, max]; the message names what it is for.
StatusOr<int64_t> ParseInteger(const std::string& text, const std::string& what, int64_t min,
                               int64_t max);

}  // namespace corral::ctl

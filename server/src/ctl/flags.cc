#include "ctl/flags.h"

#include <charconv>

namespace corral::ctl {

std::string ParsedArgs::Value(const std::string& flag, const std::string& fallback) const {
  auto it = flags.find(flag);
  return it == flags.end() ? fallback : it->second;
}

StatusOr<ParsedArgs> ParseFlags(const std::vector<std::string>& args,
                                const std::vector<FlagSpec>& specs) {
  ParsedArgs parsed;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || arg.size() < 2 || arg[0] != '-') {
      parsed.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    const FlagSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.name == arg) spec = &s;
    }
    if (spec == nullptr) {
      // A negative number is a value, not a flag ("set /a -1"); anything else is a typo.
      bool numeric = arg.find_first_not_of("0123456789", 1) == std::string::npos;
      if (numeric) {
        parsed.positionals.push_back(arg);
        continue;
      }
      return Status::InvalidArgument("unknown option " + arg);
    }
    if (!spec->takes_value) {
      parsed.flags[arg] = "";
      continue;
    }
    if (i + 1 == args.size()) return Status::InvalidArgument("option " + arg + " needs a value");
    parsed.flags[arg] = args[++i];
  }
  return parsed;
}

StatusOr<int64_t> ParseInteger(const std::string& text, const std::string& what, int64_t min,
                               int64_t max) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::InvalidArgument(what + " must be an integer, not \"" + text + "\"");
  }
  if (value < min || value > max) {
    return Status::InvalidArgument(what + " must be in [" + std::to_string(min) + ", " +
                                   std::to_string(max) + "], not " + text);
  }
  return value;
}

}  // namespace corral::ctl

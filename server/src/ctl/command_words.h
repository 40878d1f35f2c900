#pragma once
// Splits one shell line into words the way a POSIX shell would for simple cases, so data with
// spaces can be given in the interactive shell: 'single quotes' keep everything literally,
// "double quotes" allow \" and \\, a backslash outside quotes escapes the next character.
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace corral::ctl {

StatusOr<std::vector<std::string>> SplitCommandWords(std::string_view line);

}  // namespace corral::ctl

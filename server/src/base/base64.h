#pragma once
// Base64 (RFC 4648, the standard alphabet, with '=' padding): how ZooKeeper writes digest ids
// and how corralctl shows binary data in JSON.
#include <string>
#include <string_view>

namespace corral {

std::string Base64Encode(std::string_view bytes);

}  // namespace corral

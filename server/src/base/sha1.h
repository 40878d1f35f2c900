#pragma once
// SHA-1 (FIPS 180-4), for ZooKeeper's digest authentication, whose stored ids are
// "user:" + base64(SHA-1("user:password")) by definition. Not for anything that needs a secure
// hash: SHA-1 is broken for collisions; the digest scheme is ZooKeeper's, not our choice.
//
// Why our own and not libcrypto: this one hash was all the server used OpenSSL for, and loading
// libcrypto kept 1.4 MB of every member resident and 4.6 MB in the image.
#include <array>
#include <cstdint>
#include <string_view>

namespace corral {

using Sha1Digest = std::array<uint8_t, 20>;

Sha1Digest Sha1(std::string_view data);

}  // namespace corral

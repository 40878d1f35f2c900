#include "statemachine/acl.h"

#include <array>
#include <optional>
#include <string_view>

#include "base/assert.h"
#include "base/base64.h"
#include "base/sha1.h"

namespace corral::acl {
namespace {

constexpr std::string_view kWorld = "world";
constexpr std::string_view kAnyone = "anyone";
constexpr std::string_view kAuth = "auth";
constexpr std::string_view kDigest = "digest";
constexpr std::string_view kIp = "ip";
constexpr std::string_view kX509 = "x509";
constexpr std::string_view kSuper = "super";

// Java's String.split on a literal separator, because ZooKeeper's validity rules are defined by
// its quirks: limit > 0 caps the number of parts, limit == 0 drops trailing empty parts (so
// "a:b:".split(":") has two parts and ":".split(":") none), limit < 0 keeps everything, and an
// input without the separator is returned whole (even when empty).
std::vector<std::string_view> JavaSplit(std::string_view s, std::string_view sep, int limit) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (limit <= 0 || parts.size() + 1 < static_cast<size_t>(limit)) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) break;
    parts.push_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
  if (parts.empty()) return {s};
  parts.push_back(s.substr(start));
  if (limit == 0) {
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
  }
  return parts;
}

// Java's Integer.parseInt(s, radix) for ASCII input: one optional sign, at least one digit,
// int32 range. ZooKeeper accepts e.g. "+1" or "-0" in an ip ACL through it, so we do too.
std::optional<int32_t> JavaParseInt(std::string_view s, int radix) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : s) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'z') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'Z') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= radix) return std::nullopt;
    value = value * radix + digit;
    if (value > int64_t{INT32_MAX} + 1) return std::nullopt;
  }
  if (negative) value = -value;
  if (value > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(value);
}

using AddrBytes = std::vector<uint8_t>;

std::optional<AddrBytes> V4Bytes(std::string_view addr) {
  std::vector<std::string_view> parts = JavaSplit(addr, ".", -1);
  if (parts.size() != 4) return std::nullopt;
  AddrBytes b;
  for (std::string_view part : parts) {
    std::optional<int32_t> v = JavaParseInt(part, 10);
    if (!v || *v < 0 || *v > 255) return std::nullopt;
    b.push_back(static_cast<uint8_t>(*v));
  }
  return b;
}

// Writes the 16-bit groups in `segments` into b from byte offset i. Each group is 1-4 characters
// that Integer.parseInt(_, 16) accepts; a negative group ("-1") keeps its low 16 bits as in
// ZooKeeper.
bool V6Segments(const std::vector<std::string_view>& segments, size_t i, AddrBytes* b) {
  for (std::string_view segment : segments) {
    if (segment.empty() || segment.size() > 4) return false;
    std::optional<int32_t> v = JavaParseInt(segment, 16);
    if (!v) return false;
    (*b)[i++] = static_cast<uint8_t>((*v >> 8) & 0xFF);
    (*b)[i++] = static_cast<uint8_t>(*v & 0xFF);
  }
  return true;
}

std::optional<AddrBytes> V6Bytes(std::string_view addr) {
  std::vector<std::string_view> parts = JavaSplit(addr, "::", -1);
  std::vector<std::string_view> head;
  std::vector<std::string_view> tail;
  if (parts.size() == 1) {
    head = JavaSplit(parts[0], ":", -1);
    if (head.size() != 8) return std::nullopt;
  } else if (parts.size() == 2) {
    if (!parts[0].empty()) head = JavaSplit(parts[0], ":", -1);
    if (!parts[1].empty()) tail = JavaSplit(parts[1], ":", -1);
    // "::" must stand for at least one zero group.
    if (head.size() + tail.size() >= 8) return std::nullopt;
  } else {
    return std::nullopt;
  }
  AddrBytes b(16, 0);
  if (!V6Segments(head, 0, &b) || !V6Segments(tail, 16 - tail.size() * 2, &b)) {
    return std::nullopt;
  }
  return b;
}

// A ':' anywhere means IPv6 and otherwise a '.' means IPv4, as IPAuthenticationProvider decides.
std::optional<AddrBytes> ParseAddr(std::string_view addr) {
  if (addr.find(':') != std::string_view::npos) return V6Bytes(addr);
  if (addr.find('.') != std::string_view::npos) return V4Bytes(addr);
  return std::nullopt;
}

struct IpPattern {
  AddrBytes addr;
  int bits = 0;
};

// "addr" or "addr/bits" with 0 <= bits <= address width. Only the first '/' splits, so
// "1.2.3.4/8/9" is malformed, as is "1.2.3.4/".
std::optional<IpPattern> ParseIpPattern(std::string_view expr) {
  std::vector<std::string_view> parts = JavaSplit(expr, "/", 2);
  std::optional<AddrBytes> addr = ParseAddr(parts[0]);
  if (!addr) return std::nullopt;
  int width = static_cast<int>(addr->size()) * 8;
  int bits = width;
  if (parts.size() == 2) {
    std::optional<int32_t> v = JavaParseInt(parts[1], 10);
    if (!v || *v < 0 || *v > width) return std::nullopt;
    bits = *v;
  }
  return IpPattern{std::move(*addr), bits};
}

// Clears every bit after the first `bits`.
void MaskBits(AddrBytes* b, int bits) {
  size_t start = static_cast<size_t>(bits / 8);
  uint8_t keep = static_cast<uint8_t>(~((1u << (8 - bits % 8)) - 1));
  for (; start < b->size(); ++start) {
    (*b)[start] &= keep;
    keep = 0;
  }
}

bool IpMatches(std::string_view remote, std::string_view expr) {
  std::optional<IpPattern> pattern = ParseIpPattern(expr);
  if (!pattern) return false;
  std::optional<AddrBytes> addr = ParseAddr(remote);
  // An IPv4 pattern never matches an IPv6 client and vice versa.
  if (!addr || addr->size() != pattern->addr.size()) return false;
  MaskBits(&pattern->addr, pattern->bits);
  MaskBits(&*addr, pattern->bits);
  return *addr == pattern->addr;
}

// DigestAuthenticationProvider.isValid: id.split(":") has exactly two parts.
bool IsValidDigestId(std::string_view id) { return JavaSplit(id, ":", 0).size() == 2; }

// An approximation of ZooKeeper's check (new X500Principal(id) must parse): empty, or every
// relative name (split on unescaped, unquoted ',' ';' '+') is a non-empty "type=value".
bool IsValidX509Id(std::string_view id) {
  if (id.empty()) return true;
  bool in_quotes = false;
  bool escaped = false;
  bool seen_equals = false;
  bool seen_type = false;
  for (char c : id) {
    if (escaped) {
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == '"') {
      in_quotes = !in_quotes;
    } else if (!in_quotes && (c == ',' || c == ';' || c == '+')) {
      if (!seen_equals) return false;
      seen_equals = seen_type = false;
      continue;
    } else if (!in_quotes && c == '=' && !seen_equals) {
      if (!seen_type) return false;
      seen_equals = true;
      continue;
    }
    if (!seen_equals && c != ' ') seen_type = true;
  }
  return !in_quotes && !escaped && seen_equals;
}

// Schemes whose identities come from proving something (ZooKeeper's provider isAuthenticated()):
// the ones an "auth" ACL entry expands into.
bool IsAuthenticatingScheme(std::string_view scheme) {
  return scheme == kDigest || scheme == kX509;
}

// True when a UTF-8 line terminator, as Java's regex '.' refuses to match (\n, \r, U+0085,
// U+2028, U+2029), starts at s[i]; *len gets its byte length.
bool LineTerminatorAt(std::string_view s, size_t i, size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == '\n' || c == '\r') {
    *len = 1;
    return true;
  }
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
    *len = 2;
    return true;
  }
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
      (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
       static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
    *len = 3;
    return true;
  }
  return false;
}

// Java's id.replaceAll(":.*", ":x"), which is what getACL does: each ':' and the rest of its line
// become ":x". Valid digest ids are one line, so in practice "user:hash" -> "user:x".
std::string MaskDigestId(std::string_view id) {
  std::string out;
  size_t i = 0;
  while (i < id.size()) {
    if (id[i] != ':') {
      out.push_back(id[i++]);
      continue;
    }
    out += ":x";
    size_t len = 0;
    while (i < id.size() && !LineTerminatorAt(id, i, &len)) ++i;
    if (i < id.size()) {
      out.append(id.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace

zk::Id SuperId() { return zk::Id{std::string(kSuper), ""}; }

bool IsSuper(const Identities& ids) {
  for (const zk::Id& id : ids) {
    if (id.scheme == kSuper) return true;
  }
  return false;
}

bool Permits(const zk::AclList& acl, int32_t perm, const Identities& ids) {
  if (acl.empty() || IsSuper(ids)) return true;
  for (const zk::Acl& entry : acl) {
    if ((entry.perms & perm) == 0) continue;
    const zk::Id& want = entry.id;
    if (want.scheme == kWorld && want.id == kAnyone) return true;
    // Schemes without a provider (world with another id, auth, super, unknown) match nobody.
    bool exact = want.scheme == kDigest || want.scheme == kX509;
    if (!exact && want.scheme != kIp) continue;
    for (const zk::Id& have : ids) {
      if (have.scheme != want.scheme) continue;
      if (exact ? have.id == want.id : IpMatches(have.id, want.id)) return true;
    }
  }
  return false;
}

std::string GenerateDigest(const std::string& user_colon_password) {
  const Sha1Digest sha = Sha1(user_colon_password);
  std::string_view user = user_colon_password;
  user = user.substr(0, user.find(':'));
  std::string digest(user);
  digest.push_back(':');
  digest += Base64Encode(std::string_view(reinterpret_cast<const char*>(sha.data()), sha.size()));
  return digest;
}

zk::Err Authenticate(const std::string& scheme, const std::string& auth,
                     const std::string& super_digest, Identities* out) {
  // As ZooKeeper: "ip" authenticates as the connection's own address (the node fills it in),
  // and a digest credential without ':' is hashed whole, its user being the whole string.
  if (scheme == kIp) {
    out->push_back(zk::Id{std::string(kIp), ""});
    return zk::kOk;
  }
  if (scheme != kDigest) return zk::kAuthFailed;
  std::string digest = GenerateDigest(auth);
  if (!super_digest.empty() && digest == super_digest) out->push_back(SuperId());
  out->push_back(zk::Id{std::string(kDigest), std::move(digest)});
  return zk::kOk;
}

zk::Err FixupAcl(const zk::AclList& in, const Identities& ids, zk::AclList* out) {
  // Duplicates are removed before expansion (ZOOKEEPER-1877); the expansion may add new ones.
  zk::AclList unique;
  for (const zk::Acl& entry : in) {
    bool seen = false;
    for (const zk::Acl& kept : unique) seen = seen || kept == entry;
    if (!seen) unique.push_back(entry);
  }
  if (unique.empty()) return zk::kInvalidAcl;
  zk::AclList result;
  for (const zk::Acl& entry : unique) {
    // ZooKeeper stores perms as given (bits beyond ALL never match anything); so do we.
    const zk::Id& id = entry.id;
    if (id.scheme == kWorld && id.id == kAnyone) {
      result.push_back(entry);
    } else if (id.scheme == kAuth) {
      // The id part of "auth" is ignored; each authenticating identity of the session is used.
      bool expanded = false;
      for (const zk::Id& have : ids) {
        if (!IsAuthenticatingScheme(have.scheme)) continue;
        result.push_back(zk::Acl{entry.perms, have});
        expanded = true;
      }
      if (!expanded) return zk::kInvalidAcl;
    } else {
      bool valid = (id.scheme == kDigest && IsValidDigestId(id.id)) ||
                   (id.scheme == kIp && ParseIpPattern(id.id).has_value()) ||
                   (id.scheme == kX509 && IsValidX509Id(id.id));
      if (!valid) return zk::kInvalidAcl;
      result.push_back(entry);
    }
  }
  *out = std::move(result);
  return zk::kOk;
}

zk::AclList MaskDigests(const zk::AclList& acl) {
  zk::AclList masked = acl;
  for (zk::Acl& entry : masked) {
    if (entry.id.scheme == kDigest) entry.id.id = MaskDigestId(entry.id.id);
  }
  return masked;
}

std::vector<std::pair<std::string, std::string>> WhoAmI(const Identities& ids) {
  std::vector<std::pair<std::string, std::string>> infos;
  infos.reserve(ids.size());
  for (const zk::Id& id : ids) {
    std::string user;
    if (id.scheme == kDigest) {
      user = id.id.substr(0, id.id.find(':'));
    } else if (id.scheme == kIp || id.scheme == kX509) {
      user = id.id;  // these providers' ids are the user name
    }
    infos.emplace_back(id.scheme, std::move(user));
  }
  return infos;
}

}  // namespace corral::acl

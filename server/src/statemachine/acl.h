#pragma once
// ACL evaluation and authentication with ZooKeeper's semantics (ZooKeeperServer.checkACL,
// PrepRequestProcessor.fixupACL, the digest/ip/x509 providers, FinalRequestProcessor getACL and
// whoAmI). Pure functions: the state machine calls these while applying requests, so nothing here
// may read a clock, do I/O or keep global state; every input (including the configured super
// digest) is passed in.
//
// Schemes understood: world (only "anyone"), auth (only as an input to FixupAcl), digest, ip
// (IPv4 and, as ZooKeeper 3.9.4+ does, IPv6), and x509 (exact match, as ZooKeeper's
// X509AuthenticationProvider when a secure client port is configured). "super" is an identity,
// never an ACL scheme.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "zk/codes.h"
#include "zk/records.h"

namespace corral::acl {

using Identities = std::vector<zk::Id>;  // what a session has authenticated as

// The id ZooKeeper's super user gets (scheme "super", id ""); Permits() always allows it.
zk::Id SuperId();
// True when any identity has scheme "super" (ZooKeeper checks only the scheme: the x509 provider
// grants super with a non-empty id).
bool IsSuper(const Identities& ids);

// True when ids are granted `perm` (a bit mask of zk::Perm; any bit in common with an entry whose
// id matches grants it, as checkACL does) by acl. An empty acl allows all; super bypasses.
// Matching: world:anyone matches everyone; digest and x509 compare the id exactly against a
// session identity of the same scheme; ip matches "a.b.c.d", "a.b.c.d/bits" and IPv6 forms
// against the session's Id{"ip", addr}.
bool Permits(const zk::AclList& acl, int32_t perm, const Identities& ids);

// addauth. On success appends the identities to add to *out and returns zk::kOk; otherwise
// zk::kAuthFailed and *out is untouched. Like ZooKeeper's ServerCnxn.addAuthInfo, nothing is
// de-duplicated: authenticating twice yields the identity twice.
// digest: auth "user:password" -> Id{"digest", GenerateDigest(auth)}; when that equals
// super_digest (DigestAuthenticationProvider.superDigest, "super:base64hash"; empty = none),
// SuperId() is appended first, in ZooKeeper's order. auth without ':' -> kAuthFailed (stricter
// than ZooKeeper, which accepts it). ip and unknown schemes -> kAuthFailed.
zk::Err Authenticate(const std::string& scheme, const std::string& auth,
                     const std::string& super_digest, Identities* out);

// "user:" + base64(sha1("user:password")), as DigestAuthenticationProvider.generateDigest; user
// is everything before the first ':' (the whole input when there is none).
std::string GenerateDigest(const std::string& user_colon_password);

// create / setACL: validates acl and expands scheme "auth" into each session identity whose
// scheme is an authenticating one (digest, x509; not ip, not super), perms copied, in session
// order. Exact duplicates in the input are dropped first (first occurrence kept); the expansion
// itself is not de-duplicated, as in fixupACL. kInvalidAcl for: empty list, unknown scheme, world
// id other than "anyone", malformed digest id (must be user:hash), malformed ip/cidr, malformed
// x509 DN, "auth" with no usable identity, perms outside [0, kPermAll].
zk::Err FixupAcl(const zk::AclList& in, const Identities& ids, zk::AclList* out);

// getACL without ADMIN: digest ids become "user:x" (ZooKeeper's CVE-2019-0201 fix).
zk::AclList MaskDigests(const zk::AclList& acl);

// whoAmI's ClientInfo list: (scheme, user) per identity, in order. user is the part before ':'
// for digest, the id itself for ip and x509, and "" for schemes without a provider (super).
std::vector<std::pair<std::string, std::string>> WhoAmI(const Identities& ids);

}  // namespace corral::acl

#pragma once
// The operator's credential for reconfig. corral-server (as ZooKeeper) lets only the super user,
// or a session with ADMIN on /zookeeper/config, change the membership, and knows one super user:
// DigestAuthenticationProvider.superDigest = "super:" + base64(sha1("super:" + password)). The
// members get the digest from a Secret (env CORRAL_SUPER_DIGEST, put into zoo.cfg by the start
// script); the operator authenticates with the password (addauth digest super:<password>).
//
// Which Secret (docs/kubernetes.md, "The reconfig credential"):
// - no spec.auth.superDigest: `<name>-operator-auth`, made by the operator (random password,
//   owned by the Ensemble, never rewritten), keys `password` and `superDigest`;
// - spec.auth.superDigest.secretRef: the user's Secret, `key` holding the digest and
//   `passwordKey` the password. Without passwordKey the operator cannot authenticate: it
//   bootstraps and restarts members but changes no membership (NoReconfigCredential).
#include <cpprest/json.h>

#include <string>

namespace corral::kube {

inline constexpr const char* kSecretPasswordKey = "password";
inline constexpr const char* kSecretDigestKey = "superDigest";

// "super:" + base64(sha1("super:" + password)): ZooKeeper's DigestAuthenticationProvider
// digest of the super user, the form superDigest takes.
std::string SuperDigestOf(const std::string& password);

// 32 random bytes from OpenSSL's generator as 64 hex digits: no ':' (the digest scheme splits
// user from password at the first one) and nothing a shell or YAML would reinterpret.
std::string NewSuperPassword();

// What the operator can authenticate with, read from a Secret object.
struct Credential {
  std::string password;  // empty: none
  std::string problem;   // why there is none, for the Progressing condition and an Event
};

// The credential in `secret` (a v1 Secret as JSON, `data` base64): the password under
// `password_key`, checked against the digest under `digest_key` so that a Secret whose two
// keys disagree is reported rather than found out by a refused reconfig. `what` names the
// Secret in messages.
// Whether `secret` holds `key`: what a member's required secretKeyRef needs to start.
bool SecretHasKey(const web::json::value& secret, const std::string& key);

Credential CredentialFromSecret(const web::json::value& secret, const std::string& digest_key,
                                const std::string& password_key, const std::string& what);

}  // namespace corral::kube

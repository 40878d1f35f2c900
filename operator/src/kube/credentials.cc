#include "kube/credentials.h"

#include <cpprest/asyncrt_utils.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "base/assert.h"
#include "kube/json_path.h"
#include "statemachine/acl.h"

namespace corral::kube {
namespace {

// A key of a Secret's `data` (base64), decoded; false when absent or not base64.
bool SecretValue(const web::json::value& secret, const std::string& key, std::string* out) {
  const web::json::value* data = At(secret, {"data"});
  if (data == nullptr || !data->is_object() || !data->has_field(key) ||
      !data->at(key).is_string()) {
    return false;
  }
  try {
    std::vector<unsigned char> bytes = utility::conversions::from_base64(data->at(key).as_string());
    out->assign(bytes.begin(), bytes.end());
  } catch (const std::exception&) {
    return false;
  }
  // A value written with `echo` into a file and made a Secret ends in a newline.
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
  return true;
}

}  // namespace

std::string SuperDigestOf(const std::string& password) {
  return acl::GenerateDigest("super:" + password);
}

std::string NewSuperPassword() {
  unsigned char bytes[32];
  CORRAL_ASSERT(RAND_bytes(bytes, sizeof bytes) == 1, "OpenSSL's random generator failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

bool SecretHasKey(const web::json::value& secret, const std::string& key) {
  std::string ignored;
  return SecretValue(secret, key, &ignored);
}

Credential CredentialFromSecret(const web::json::value& secret, const std::string& digest_key,
                                const std::string& password_key, const std::string& what) {
  Credential c;
  std::string digest, password;
  if (!SecretValue(secret, password_key, &password) || password.empty()) {
    c.problem = what + " has no key " + password_key + " holding the super password";
    return c;
  }
  if (!SecretValue(secret, digest_key, &digest)) {
    c.problem = what + " has no key " + digest_key + " holding the super digest";
    return c;
  }
  if (SuperDigestOf(password) != digest) {
    c.problem = what + ": the password under " + password_key +
                " does not match the digest under " + digest_key +
                " (expected super:base64(sha1(\"super:\" + password)))";
    return c;
  }
  c.password = std::move(password);
  return c;
}

}  // namespace corral::kube

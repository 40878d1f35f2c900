// The reconfig credential: the digest the members are configured with, made from the password
// the operator authenticates with, exactly as ZooKeeper's DigestAuthenticationProvider makes it.
#include "kube/credentials.h"

#include <cpprest/asyncrt_utils.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace corral::kube {
namespace {

using web::json::value;

std::string B64(const std::string& s) {
  return utility::conversions::to_base64(std::vector<unsigned char>(s.begin(), s.end()));
}

value SecretWith(const std::map<std::string, std::string>& plain) {
  value data = value::object();
  for (const auto& [k, v] : plain) data[k] = value::string(B64(v));
  value secret = value::object();
  secret["data"] = data;
  return secret;
}

TEST(Credentials, DigestIsZooKeepersSuperDigest) {
  // python3: "super:" + base64(sha1(b"super:secret")) -- the value zoo.cfg's
  // DigestAuthenticationProvider.superDigest takes for the password "secret".
  EXPECT_EQ(SuperDigestOf("secret"), "super:lK75jTNcA+U9vtVEw5vB51mj/w4=");
}

TEST(Credentials, NewPasswordsAreLongHexAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) {
    std::string p = NewSuperPassword();
    EXPECT_EQ(p.size(), 64u);
    EXPECT_EQ(p.find_first_not_of("0123456789abcdef"), std::string::npos) << p;
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 16u);
}

TEST(Credentials, ReadFromASecretWhoseKeysAgree) {
  Credential c = CredentialFromSecret(
      SecretWith({{"password", "secret"}, {"superDigest", SuperDigestOf("secret")}}), "superDigest",
      "password", "Secret s");
  EXPECT_EQ(c.password, "secret");
  EXPECT_EQ(c.problem, "");
  // A trailing newline (a file made with echo) is not part of either value.
  c = CredentialFromSecret(SecretWith({{"pw", "secret\n"}, {"d", SuperDigestOf("secret") + "\n"}}),
                           "d", "pw", "s");
  EXPECT_EQ(c.password, "secret");
}

TEST(Credentials, ProblemsAreNamed) {
  struct Row {
    const char* what;
    std::map<std::string, std::string> data;
    const char* problem_part;
  };
  std::vector<Row> rows = {
      {"no password", {{"superDigest", SuperDigestOf("x")}}, "no key password"},
      {"empty password", {{"password", ""}, {"superDigest", "super:x"}}, "no key password"},
      {"no digest", {{"password", "x"}}, "no key superDigest"},
      {"mismatch", {{"password", "x"}, {"superDigest", SuperDigestOf("y")}}, "does not match"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Credential c =
        CredentialFromSecret(SecretWith(row.data), "superDigest", "password", "Secret s");
    EXPECT_EQ(c.password, "");
    EXPECT_NE(c.problem.find(row.problem_part), std::string::npos) << c.problem;
    EXPECT_EQ(c.problem.rfind("Secret s", 0), 0u) << c.problem;
  }
}

}  // namespace
}  // namespace corral::kube

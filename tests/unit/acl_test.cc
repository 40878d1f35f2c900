#include "statemachine/acl.h"

#include <gtest/gtest.h>

namespace corral::acl {
namespace {

zk::Acl A(int32_t perms, std::string scheme, std::string id) {
  return zk::Acl{perms, zk::Id{std::move(scheme), std::move(id)}};
}
zk::Id Ip(std::string addr) { return zk::Id{"ip", std::move(addr)}; }

// Whether a client at `addr` gets READ from a single ip ACL entry `expr`.
bool IpAllows(const std::string& expr, const std::string& addr) {
  return Permits({A(zk::kPermRead, "ip", expr)}, zk::kPermRead, {Ip(addr)});
}

// Whether FixupAcl accepts a single entry.
bool Valid(zk::Acl entry, const Identities& ids = {}) {
  zk::AclList out;
  return FixupAcl({std::move(entry)}, ids, &out) == zk::kOk;
}

// Known answers: the ZooKeeper docs' "super:test" example, checked independently with
//   printf 'super:test' | openssl dgst -binary -sha1 | base64
TEST(AclDigest, KnownAnswers) {
  EXPECT_EQ(GenerateDigest("super:test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  // printf 'bob:' | openssl dgst -binary -sha1 | base64
  EXPECT_EQ(GenerateDigest("bob:"), "bob:tK1fpNO1hB0F++FhHpSq0Fa4tv0=");
  // Only the first ':' separates the user; the whole input is hashed.
  // printf 'a:b:c' | openssl dgst -binary -sha1 | base64
  EXPECT_EQ(GenerateDigest("a:b:c"), "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0=");
}

TEST(AclAuthenticate, DigestAddsIdentity) {
  Identities ids = {Ip("10.0.0.1")};
  EXPECT_EQ(Authenticate("digest", "super:test", "", &ids), zk::kOk);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1], (zk::Id{"digest", "super:D/InIHSb7yEEbrWz8b9l71RjZJU="}));
  EXPECT_FALSE(IsSuper(ids));
  // Like ZooKeeper, a second addauth appends again rather than de-duplicating.
  EXPECT_EQ(Authenticate("digest", "super:test", "", &ids), zk::kOk);
  EXPECT_EQ(ids.size(), 3u);
}

TEST(AclAuthenticate, SuperDigestAddsSuperFirst) {
  const std::string super_digest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";
  Identities ids;
  EXPECT_EQ(Authenticate("digest", "super:test", super_digest, &ids), zk::kOk);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], SuperId());
  EXPECT_EQ(ids[1], (zk::Id{"digest", super_digest}));
  EXPECT_TRUE(IsSuper(ids));

  Identities wrong;
  EXPECT_EQ(Authenticate("digest", "super:nope", super_digest, &wrong), zk::kOk);
  EXPECT_FALSE(IsSuper(wrong));
  // The user name is part of the comparison.
  Identities other_user;
  EXPECT_EQ(Authenticate("digest", "admin:test", super_digest, &other_user), zk::kOk);
  EXPECT_FALSE(IsSuper(other_user));
}

TEST(AclAuthenticate, Failures) {
  Identities ids;
  // ZooKeeper accepts a digest credential without ':' and hashes it whole.
  EXPECT_EQ(Authenticate("digest", "nocolon", "", &ids), zk::kOk);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].id, GenerateDigest("nocolon"));
  EXPECT_EQ(ids[0].id.rfind("nocolon:", 0), 0u);
  ids.clear();
  EXPECT_EQ(Authenticate("world", "anyone", "", &ids), zk::kAuthFailed);
  EXPECT_EQ(Authenticate("super", "", "", &ids), zk::kAuthFailed);
  EXPECT_EQ(Authenticate("kerberos", "x:y", "", &ids), zk::kAuthFailed);
  EXPECT_TRUE(ids.empty());
}

TEST(AclPermits, EmptyAclAllowsAll) { EXPECT_TRUE(Permits({}, zk::kPermAdmin, {})); }

TEST(AclPermits, World) {
  zk::AclList acl = {A(zk::kPermRead, "world", "anyone")};
  EXPECT_TRUE(Permits(acl, zk::kPermRead, {}));
  EXPECT_FALSE(Permits(acl, zk::kPermWrite, {Ip("1.2.3.4")}));
  // world with any other id is nobody.
  EXPECT_FALSE(Permits({A(zk::kPermAll, "world", "everyone")}, zk::kPermRead, {}));
}

TEST(AclPermits, SuperBypasses) {
  zk::AclList acl = {A(zk::kPermRead, "digest", "bob:x")};
  EXPECT_TRUE(Permits(acl, zk::kPermAdmin, {SuperId()}));
  // Only the scheme counts (x509's super identity carries the client id).
  EXPECT_TRUE(Permits(acl, zk::kPermAdmin, {zk::Id{"super", "CN=admin"}}));
  EXPECT_FALSE(Permits(acl, zk::kPermAdmin, {zk::Id{"digest", "bob:x"}}));
}

TEST(AclPermits, DigestExact) {
  std::string bob = GenerateDigest("bob:secret");
  zk::AclList acl = {A(zk::kPermAll, "digest", bob)};
  EXPECT_TRUE(Permits(acl, zk::kPermWrite, {Ip("1.1.1.1"), zk::Id{"digest", bob}}));
  EXPECT_FALSE(Permits(acl, zk::kPermWrite, {zk::Id{"digest", GenerateDigest("bob:other")}}));
  // The scheme must match too.
  EXPECT_FALSE(Permits(acl, zk::kPermWrite, {zk::Id{"x509", bob}}));
  EXPECT_TRUE(Permits({A(zk::kPermRead, "x509", "CN=a")}, zk::kPermRead, {{"x509", "CN=a"}}));
  // Entries whose scheme has no provider grant nothing.
  EXPECT_FALSE(Permits({A(zk::kPermRead, "auth", "")}, zk::kPermRead, {{"auth", ""}}));
}

TEST(AclPermits, MultiBitPermsNeedOneBitInCommon) {
  zk::Id bob{"digest", "bob:h"};
  zk::AclList acl = {A(zk::kPermRead | zk::kPermWrite, "digest", "bob:h")};
  // getACL asks for READ|ADMIN: READ alone is enough.
  EXPECT_TRUE(Permits(acl, zk::kPermRead | zk::kPermAdmin, {bob}));
  EXPECT_TRUE(Permits(acl, zk::kPermWrite | zk::kPermDelete, {bob}));
  EXPECT_FALSE(Permits(acl, zk::kPermAdmin | zk::kPermCreate, {bob}));
  EXPECT_FALSE(Permits(acl, 0, {bob}));
  // Any entry may grant: a later one matches when an earlier one lacks the bit.
  zk::AclList two = {A(zk::kPermRead, "world", "anyone"), A(zk::kPermAdmin, "digest", "bob:h")};
  EXPECT_TRUE(Permits(two, zk::kPermAdmin, {bob}));
  EXPECT_FALSE(Permits(two, zk::kPermAdmin, {zk::Id{"digest", "eve:h"}}));
}

TEST(AclIp, V4ExactAndCidr) {
  EXPECT_TRUE(IpAllows("10.1.2.3", "10.1.2.3"));
  EXPECT_FALSE(IpAllows("10.1.2.3", "10.1.2.4"));
  EXPECT_TRUE(IpAllows("10.1.2.3/32", "10.1.2.3"));
  EXPECT_FALSE(IpAllows("10.1.2.3/32", "10.1.2.4"));
  EXPECT_TRUE(IpAllows("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(IpAllows("10.0.0.0/8", "11.0.0.0"));
  // The pattern's host bits are ignored, as ZooKeeper masks both sides.
  EXPECT_TRUE(IpAllows("10.9.9.9/8", "10.1.1.1"));
  EXPECT_TRUE(IpAllows("0.0.0.0/0", "203.0.113.7"));
  EXPECT_TRUE(IpAllows("192.168.1.1/0", "8.8.8.8"));
  EXPECT_TRUE(IpAllows("192.168.0.0/23", "192.168.1.200"));
  EXPECT_FALSE(IpAllows("192.168.0.0/23", "192.168.2.1"));
  EXPECT_TRUE(IpAllows("192.168.1.128/25", "192.168.1.255"));
  EXPECT_FALSE(IpAllows("192.168.1.128/25", "192.168.1.127"));
}

TEST(AclIp, Malformed) {
  EXPECT_FALSE(IpAllows("10.0.0.0/33", "10.0.0.0"));
  EXPECT_FALSE(IpAllows("10.0.0.0/-1", "10.0.0.0"));
  EXPECT_FALSE(IpAllows("10.0.0.0/", "10.0.0.0"));
  EXPECT_FALSE(IpAllows("10.0.0.0/8/9", "10.0.0.0"));
  EXPECT_FALSE(IpAllows("10.0.0", "10.0.0.0"));
  EXPECT_FALSE(IpAllows("256.0.0.0", "256.0.0.0"));
  EXPECT_FALSE(IpAllows("localhost", "localhost"));
  EXPECT_FALSE(IpAllows("10.0.0.1", "not-an-ip"));
  // Octets go through Java's Integer.parseInt in ZooKeeper, which takes a sign.
  EXPECT_TRUE(IpAllows("10.0.0.+1", "10.0.0.1"));
  EXPECT_TRUE(IpAllows("10.0.0.-0", "10.0.0.0"));
  EXPECT_FALSE(IpAllows("10.0.0.-1", "10.0.0.255"));
}

TEST(AclIp, V6) {
  EXPECT_TRUE(IpAllows("::1", "0:0:0:0:0:0:0:1"));
  EXPECT_TRUE(IpAllows("0:0:0:0:0:0:0:1", "::1"));
  EXPECT_FALSE(IpAllows("::1", "::2"));
  EXPECT_TRUE(IpAllows("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(IpAllows("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(IpAllows("2001:DB8::1/128", "2001:db8:0:0:0:0:0:1"));
  EXPECT_TRUE(IpAllows("fe80::/10", "febf::1"));
  EXPECT_FALSE(IpAllows("fe80::/10", "fec0::1"));
  EXPECT_TRUE(IpAllows("::/0", "1:2:3:4:5:6:7:8"));
  EXPECT_TRUE(IpAllows("1::", "1:0:0:0:0:0:0:0"));
  EXPECT_FALSE(IpAllows("::/129", "::"));
  // Families never match each other, even with /0.
  EXPECT_FALSE(IpAllows("0.0.0.0/0", "::1"));
  EXPECT_FALSE(IpAllows("::/0", "127.0.0.1"));
  // Malformed forms.
  EXPECT_FALSE(IpAllows("1:2:3:4:5:6:7", "1:2:3:4:5:6:7:0"));
  EXPECT_FALSE(IpAllows("1::2::3", "1:0:0:0:0:0:2:3"));
  EXPECT_FALSE(IpAllows("1:2:3:4::5:6:7:8", "1:2:3:4:5:6:7:8"));
  EXPECT_FALSE(IpAllows("12345::", "12345::"));
  EXPECT_FALSE(IpAllows("::g", "::g"));
  EXPECT_FALSE(IpAllows(":::", ":::"));
}

TEST(AclFixup, PassesValidEntries) {
  zk::AclList in = {A(zk::kPermAll, "world", "anyone"), A(zk::kPermRead, "ip", "10.0.0.0/8"),
                    A(zk::kPermRead, "ip", "::1"), A(0, "digest", "bob:hash"),
                    A(zk::kPermRead, "x509", "CN=client,O=Corp")};
  zk::AclList out;
  ASSERT_EQ(FixupAcl(in, {}, &out), zk::kOk);
  EXPECT_EQ(out, in);
}

TEST(AclFixup, ExpandsAuthInSessionOrder) {
  Identities ids = {Ip("10.0.0.1"), SuperId(), zk::Id{"digest", "alice:h1"}, zk::Id{"x509", "CN=a"},
                    zk::Id{"digest", "bob:h2"}};
  zk::AclList in = {A(zk::kPermRead, "world", "anyone"), A(zk::kPermAll, "auth", "ignored")};
  zk::AclList out;
  ASSERT_EQ(FixupAcl(in, ids, &out), zk::kOk);
  // ip and super identities are not authenticating ones, so they are skipped.
  zk::AclList want = {A(zk::kPermRead, "world", "anyone"), A(zk::kPermAll, "digest", "alice:h1"),
                      A(zk::kPermAll, "x509", "CN=a"), A(zk::kPermAll, "digest", "bob:h2")};
  EXPECT_EQ(out, want);
}

TEST(AclFixup, DuplicatesRemovedBeforeExpansionOnly) {
  Identities ids = {zk::Id{"digest", "bob:h"}};
  zk::AclList in = {A(zk::kPermRead, "digest", "bob:h"), A(zk::kPermRead, "auth", ""),
                    A(zk::kPermRead, "digest", "bob:h"), A(zk::kPermWrite, "digest", "bob:h")};
  zk::AclList out;
  ASSERT_EQ(FixupAcl(in, ids, &out), zk::kOk);
  // The exact repeat goes; the one the "auth" expansion creates stays, as in ZooKeeper.
  zk::AclList want = {A(zk::kPermRead, "digest", "bob:h"), A(zk::kPermRead, "digest", "bob:h"),
                      A(zk::kPermWrite, "digest", "bob:h")};
  EXPECT_EQ(out, want);
}

TEST(AclFixup, InvalidCases) {
  zk::AclList out = {A(1, "world", "anyone")};
  EXPECT_EQ(FixupAcl({}, {}, &out), zk::kInvalidAcl);
  EXPECT_EQ(out.size(), 1u);  // untouched on failure

  EXPECT_FALSE(Valid(A(zk::kPermRead, "foo", "bar")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "super", "")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "world", "everyone")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "world", "")));
  // digest ids must split on ':' into exactly two parts (Java split drops trailing empties).
  EXPECT_FALSE(Valid(A(zk::kPermRead, "digest", "bob")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "digest", "bob:")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "digest", "a:b:c")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "digest", ":")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "digest", "")));
  EXPECT_TRUE(Valid(A(zk::kPermRead, "digest", ":hash")));
  EXPECT_TRUE(Valid(A(zk::kPermRead, "digest", "bob:hash:")));
  // ip.
  EXPECT_FALSE(Valid(A(zk::kPermRead, "ip", "10.0.0.0/33")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "ip", "10.0.0")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "ip", "example.com")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "ip", "1::2::3")));
  EXPECT_TRUE(Valid(A(zk::kPermRead, "ip", "10.0.0.0/0")));
  EXPECT_TRUE(Valid(A(zk::kPermRead, "ip", "2001:db8::/128")));
  // x509.
  EXPECT_FALSE(Valid(A(zk::kPermRead, "x509", "not a dn")));
  // auth with nothing to expand into.
  EXPECT_FALSE(Valid(A(zk::kPermRead, "auth", "")));
  EXPECT_FALSE(Valid(A(zk::kPermRead, "auth", ""), {Ip("10.0.0.1"), SuperId()}));
  EXPECT_TRUE(Valid(A(zk::kPermRead, "auth", ""), {zk::Id{"digest", "bob:h"}}));
  // perms.
  // ZooKeeper does not range-check perms; neither do we.
  EXPECT_TRUE(Valid(A(-1, "world", "anyone")));
  EXPECT_TRUE(Valid(A(zk::kPermAll + 1, "world", "anyone")));
  EXPECT_TRUE(Valid(A(0, "world", "anyone")));
  // One bad entry fails the whole list.
  EXPECT_EQ(FixupAcl({A(1, "world", "anyone"), A(1, "ip", "bad")}, {}, &out), zk::kInvalidAcl);
}

TEST(AclMask, DigestsOnly) {
  zk::AclList acl = {A(zk::kPermAll, "digest", "bob:D/InIHSb7yEEbrWz8b9l71RjZJU="),
                     A(zk::kPermRead, "ip", "10.0.0.0/8"), A(zk::kPermRead, "world", "anyone"),
                     A(zk::kPermRead, "x509", "CN=a:b"), A(zk::kPermRead, "digest", "bob:h:")};
  zk::AclList want = acl;
  want[0].id.id = "bob:x";
  want[4].id.id = "bob:x";
  EXPECT_EQ(MaskDigests(acl), want);
  EXPECT_TRUE(MaskDigests({}).empty());
  // Java's ":.*" stops at a line end, and each later ':' is masked again.
  EXPECT_EQ(MaskDigests({A(1, "digest", "u:h\nv:w")})[0].id.id, "u:x\nv:x");
}

TEST(AclWhoAmI, UserNames) {
  Identities ids = {Ip("10.0.0.1"), SuperId(),
                    zk::Id{"digest", "super:D/InIHSb7yEEbrWz8b9l71RjZJU="}, zk::Id{"x509", "CN=a"}};
  std::vector<std::pair<std::string, std::string>> want = {
      {"ip", "10.0.0.1"}, {"super", ""}, {"digest", "super"}, {"x509", "CN=a"}};
  EXPECT_EQ(WhoAmI(ids), want);
  EXPECT_TRUE(WhoAmI({}).empty());
}

}  // namespace
}  // namespace corral::acl

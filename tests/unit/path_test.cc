// statemachine/path.h against ZooKeeper's PathUtils.validatePath. ZooKeeper validates the Java
// String that jute decoded from the wire bytes as UTF-8: malformed or non-shortest ("overlong")
// UTF-8 decodes to U+FFFD, which validatePath refuses (U+FFF0-U+FFFF), and a supplementary code
// point becomes a surrogate pair, which it refuses too (U+D800-U+F8FF).
#include "statemachine/path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace corral::path {
namespace {

using namespace std::string_literals;

TEST(PathIsValid, Root) { EXPECT_TRUE(IsValid("/")); }

TEST(PathIsValid, Simple) {
  EXPECT_TRUE(IsValid("/a"));
  EXPECT_TRUE(IsValid("/a/b/c"));
  EXPECT_TRUE(IsValid("/zookeeper/config"));
  EXPECT_TRUE(IsValid("/with space"));
  EXPECT_TRUE(IsValid("/sym!@#$%^&*()_+-=[]{};':\",<>?\\|`~"));
  EXPECT_TRUE(IsValid("/" + std::string(1000, 'x')));
}

TEST(PathIsValid, MustBeAbsoluteAndNonEmpty) {
  EXPECT_FALSE(IsValid(""));
  EXPECT_FALSE(IsValid("a"));
  EXPECT_FALSE(IsValid("a/b"));
  EXPECT_FALSE(IsValid(" /a"));
}

TEST(PathIsValid, TrailingSlash) {
  EXPECT_FALSE(IsValid("/a/"));
  EXPECT_FALSE(IsValid("/a/b/"));
  EXPECT_FALSE(IsValid("//"));
}

TEST(PathIsValid, EmptySegment) {
  EXPECT_FALSE(IsValid("//a"));
  EXPECT_FALSE(IsValid("/a//b"));
  EXPECT_FALSE(IsValid("/a///b"));
}

TEST(PathIsValid, DotSegments) {
  EXPECT_FALSE(IsValid("/."));
  EXPECT_FALSE(IsValid("/.."));
  EXPECT_FALSE(IsValid("/a/."));
  EXPECT_FALSE(IsValid("/a/.."));
  EXPECT_FALSE(IsValid("/./a"));
  EXPECT_FALSE(IsValid("/../a"));
  EXPECT_FALSE(IsValid("/a/./b"));
  EXPECT_FALSE(IsValid("/a/../b"));
  // Dots that are not a whole segment are ordinary characters.
  EXPECT_TRUE(IsValid("/.a"));
  EXPECT_TRUE(IsValid("/a."));
  EXPECT_TRUE(IsValid("/..a"));
  EXPECT_TRUE(IsValid("/a.."));
  EXPECT_TRUE(IsValid("/..."));
  EXPECT_TRUE(IsValid("/.../b"));
  EXPECT_TRUE(IsValid("/a/.b/c"));
  EXPECT_TRUE(IsValid("/a.b"));
}

TEST(PathIsValid, Nul) {
  EXPECT_FALSE(IsValid("/a\0b"s));
  EXPECT_FALSE(IsValid("/\0"s));
  EXPECT_FALSE(IsValid("/a\0"s));
  // "Modified UTF-8" NUL (C0 80) is an overlong form: refused either way.
  EXPECT_FALSE(IsValid("/a\xc0\x80"));
}

TEST(PathIsValid, AsciiControlCharacters) {
  for (int c = 1; c <= 0x1f; ++c) {
    std::string p = "/a";
    p.push_back(static_cast<char>(c));
    EXPECT_FALSE(IsValid(p)) << c;
  }
  EXPECT_FALSE(IsValid("/a\x7f"));  // DEL
  EXPECT_TRUE(IsValid("/a\x20"));
  EXPECT_TRUE(IsValid("/a\x7e"));
}

TEST(PathIsValid, C1ControlCharacters) {
  EXPECT_FALSE(IsValid("/a\xc2\x80"));   // U+0080
  EXPECT_FALSE(IsValid("/a\xc2\x9f"));   // U+009F
  EXPECT_TRUE(IsValid("/a\xc2\xa0"));    // U+00A0 NBSP is allowed
  EXPECT_TRUE(IsValid("/caf\xc3\xa9"));  // é
}

TEST(PathIsValid, BmpRanges) {
  EXPECT_TRUE(IsValid("/\xe4\xb8\xad\xe6\x96\x87"));  // 中文
  EXPECT_TRUE(IsValid("/\xed\x9f\xbf"));              // U+D7FF, just below the surrogates
  EXPECT_FALSE(IsValid("/\xed\xa0\x80"));             // U+D800 (an encoded surrogate)
  EXPECT_FALSE(IsValid("/\xed\xbf\xbf"));             // U+DFFF
  EXPECT_FALSE(IsValid("/\xee\x80\x80"));             // U+E000 private use
  EXPECT_FALSE(IsValid("/\xef\xa3\xbf"));             // U+F8FF
  EXPECT_TRUE(IsValid("/\xef\xa4\x80"));              // U+F900
  EXPECT_TRUE(IsValid("/\xef\xbf\xaf"));              // U+FFEF
  EXPECT_FALSE(IsValid("/\xef\xbf\xb0"));             // U+FFF0
  EXPECT_FALSE(IsValid("/\xef\xbf\xbd"));             // U+FFFD
  EXPECT_FALSE(IsValid("/\xef\xbf\xbe"));             // U+FFFE
  EXPECT_FALSE(IsValid("/\xef\xbf\xbf"));             // U+FFFF
}

TEST(PathIsValid, SupplementaryCodePointsAreRefused) {
  EXPECT_FALSE(IsValid("/\xf0\x90\x80\x80"));       // U+10000
  EXPECT_FALSE(IsValid("/emoji\xf0\x9f\x98\x80"));  // U+1F600 (ZooKeeper 3.8: BADARGUMENTS)
  EXPECT_FALSE(IsValid("/\xf4\x8f\xbf\xbf"));       // U+10FFFF
  EXPECT_FALSE(IsValid("/\xf4\x90\x80\x80"));       // beyond Unicode
}

TEST(PathIsValid, MalformedUtf8IsRefused) {
  EXPECT_FALSE(IsValid("/a\x80"));  // lone continuation byte
  EXPECT_FALSE(IsValid("/a\xbf"));
  EXPECT_FALSE(IsValid("/a\xc3"));       // truncated 2-byte sequence at the end
  EXPECT_FALSE(IsValid("/a\xc3/b"));     // truncated before a slash
  EXPECT_FALSE(IsValid("/a\xe4\xb8"));   // truncated 3-byte sequence
  EXPECT_FALSE(IsValid("/a\xe4\xb8x"));  // bad continuation
  EXPECT_FALSE(IsValid("/a\xff"));
  EXPECT_FALSE(IsValid("/a\xfe"));
  EXPECT_FALSE(IsValid("/a\xf8\x88\x80\x80\x80"));  // 5-byte form
}

// Java's UTF-8 decoder refuses non-shortest forms (they become U+FFFD, which validatePath
// refuses). Checked against ZooKeeper 3.8.0: create of each of these paths answers BADARGUMENTS
// (-8), while "/ok\xc3\xa9" is created.
TEST(PathIsValid, OverlongUtf8IsRefused) {
  EXPECT_FALSE(IsValid("/ov\xc1\x81"));  // 'A' in two bytes
  EXPECT_FALSE(
      IsValid("/a\xc0\xaf"
              "b"));                             // '/' in two bytes
  EXPECT_FALSE(IsValid("/ov\xe0\x81\x81"));      // 'A' in three bytes
  EXPECT_FALSE(IsValid("/ov\xe0\x80\xaf"));      // '/' in three bytes
  EXPECT_FALSE(IsValid("/ov\xf0\x80\x81\x81"));  // 'A' in four bytes
  EXPECT_FALSE(IsValid("/\xc0\xae"));            // '.' in two bytes: a hidden "/."
}

TEST(PathParent, Basics) {
  EXPECT_EQ(Parent("/a"), "/");
  EXPECT_EQ(Parent("/a/b"), "/a");
  EXPECT_EQ(Parent("/a/b/c"), "/a/b");
  EXPECT_EQ(Parent("/zookeeper/config"), "/zookeeper");
  EXPECT_EQ(Parent("/a.b/c.d"), "/a.b");
}

TEST(PathBasename, Basics) {
  EXPECT_EQ(Basename("/a"), "a");
  EXPECT_EQ(Basename("/a/b"), "b");
  EXPECT_EQ(Basename("/a/b/lock-0000000001"), "lock-0000000001");
  EXPECT_EQ(Basename("/"), "");
}

TEST(PathParentBasename, Recompose) {
  for (std::string p : {"/a", "/a/b", "/x/y/z", "/\xc3\xa9/\xe4\xb8\xad"}) {
    std::string parent(Parent(p));
    std::string recomposed =
        parent == "/" ? "/" + std::string(Basename(p)) : parent + "/" + std::string(Basename(p));
    EXPECT_EQ(recomposed, p);
  }
}

TEST(PathIsUnder, Basics) {
  EXPECT_TRUE(IsUnder("/a", "/a"));
  EXPECT_TRUE(IsUnder("/a/b", "/a"));
  EXPECT_TRUE(IsUnder("/a/b/c", "/a"));
  EXPECT_TRUE(IsUnder("/a/b/c", "/a/b"));
  EXPECT_FALSE(IsUnder("/ab", "/a"));
  EXPECT_FALSE(IsUnder("/a", "/a/b"));
  EXPECT_FALSE(IsUnder("/b", "/a"));
  EXPECT_FALSE(IsUnder("/", "/a"));
  EXPECT_FALSE(IsUnder("/a-b/c", "/a"));
}

TEST(PathIsUnder, Root) {
  EXPECT_TRUE(IsUnder("/", "/"));
  EXPECT_TRUE(IsUnder("/a", "/"));
  EXPECT_TRUE(IsUnder("/a/b", "/"));
  EXPECT_FALSE(IsUnder("", "/"));
}

}  // namespace
}  // namespace corral::path

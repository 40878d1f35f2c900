#include "config/properties_parser.h"

#include <cstdint>
#include <string>

namespace corral {
namespace {

// Properties.load treats only these as blanks; other control characters are content (and are
// later removed by the trim ZooKeeper applies to keys and values).
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Java's String.trim: everything at or below ' ' goes.
std::string_view TrimJava(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

std::string_view SkipBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  return s;
}

struct NaturalLine {
  std::string_view text;
  int number;
};

std::vector<NaturalLine> SplitNaturalLines(std::string_view text) {
  std::vector<NaturalLine> lines;
  size_t start = 0;
  int number = 1;
  while (start < text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) {
      lines.push_back({text.substr(start), number});
      break;
    }
    lines.push_back({text.substr(start, end - start), number});
    ++number;
    start = end + 1;
    if (text[end] == '\r' && start < text.size() && text[start] == '\n') ++start;
  }
  return lines;
}

size_t TrailingBackslashes(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && s[s.size() - 1 - n] == '\\') ++n;
  return n;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads the 4 hex digits of a \uXXXX escape starting at s[pos].
bool ReadHex4(std::string_view s, size_t pos, uint32_t* unit) {
  if (pos + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  *unit = v;
  return true;
}

// Java strings are UTF-16, so a character outside the BMP arrives as two \u escapes (a surrogate
// pair); they are joined here and the result written as UTF-8. A lone surrogate cannot be
// written as UTF-8 and becomes U+FFFD.
// Returns false on a malformed \uXXXX escape.
bool Unescape(std::string_view in, std::string* out) {
  constexpr uint32_t kReplacement = 0xFFFD;
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i == in.size()) break;  // a lone trailing backslash stands for nothing
    c = in[i];
    switch (c) {
      case 't':
        out->push_back('\t');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'u': {
        uint32_t unit = 0;
        if (!ReadHex4(in, i + 1, &unit)) return false;
        i += 4;
        uint32_t low = 0;
        if (unit >= 0xD800 && unit <= 0xDBFF && i + 2 < in.size() && in[i + 1] == '\\' &&
            in[i + 2] == 'u' && ReadHex4(in, i + 3, &low) && low >= 0xDC00 && low <= 0xDFFF) {
          i += 6;
          AppendUtf8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), out);
        } else if (unit >= 0xD800 && unit <= 0xDFFF) {
          AppendUtf8(kReplacement, out);
        } else {
          AppendUtf8(unit, out);
        }
        break;
      }
      default:
        out->push_back(c);
    }
  }
  return true;
}

}  // namespace

StatusOr<std::vector<ConfigEntry>> ParsePropertiesEntries(std::string_view text) {
  std::vector<NaturalLine> lines = SplitNaturalLines(text);
  std::vector<ConfigEntry> entries;
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string_view first = SkipBlanks(lines[n].text);
    if (first.empty() || first.front() == '#' || first.front() == '!') continue;

    // Join continuation lines. Only the backslashes ending each natural line count: an escaped
    // backslash carried over from the previous segment must not pair with this one's.
    int start_line = lines[n].number;
    std::string logical;
    std::string_view segment = first;
    while (true) {
      bool continues = TrailingBackslashes(segment) % 2 == 1;
      if (continues) segment.remove_suffix(1);
      logical.append(segment);
      if (!continues || n + 1 == lines.size()) break;
      ++n;
      segment = SkipBlanks(lines[n].text);
    }

    // Find where the key ends: the first unescaped '=', ':' or blank.
    size_t key_end = logical.size();
    size_t value_start = logical.size();
    bool has_separator = false;
    bool escaped = false;
    for (size_t i = 0; i < logical.size(); ++i) {
      char c = logical[i];
      if (!escaped && (c == '=' || c == ':' || IsBlank(c))) {
        key_end = i;
        value_start = i + 1;
        has_separator = c == '=' || c == ':';
        break;
      }
      escaped = c == '\\' ? !escaped : false;
    }
    // Blanks, and one '=' or ':' if the key did not end with one, separate key from value.
    while (value_start < logical.size()) {
      char c = logical[value_start];
      if (IsBlank(c)) {
        ++value_start;
      } else if (!has_separator && (c == '=' || c == ':')) {
        has_separator = true;
        ++value_start;
      } else {
        break;
      }
    }

    ConfigEntry entry;
    entry.line = start_line;
    std::string_view raw(logical);
    const std::string where = " (line " + std::to_string(start_line) + ")";
    if (!Unescape(raw.substr(0, key_end), &entry.key)) {
      return Status::InvalidArgument("malformed \\uXXXX escape in the key \"" +
                                     std::string(raw.substr(0, key_end)) + "\"" + where);
    }
    entry.key = std::string(TrimJava(entry.key));
    if (!Unescape(raw.substr(value_start), &entry.value)) {
      return Status::InvalidArgument(entry.key + ": malformed \\uXXXX escape in the value" + where);
    }
    entry.value = std::string(TrimJava(entry.value));
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace corral

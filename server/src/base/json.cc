#include "base/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/assert.h"

namespace corral {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
size_t Utf8SequenceLength(const std::string& s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

void Indent(std::string* out, int depth) {
  out->push_back('\n');
  out->append(static_cast<size_t>(depth) * 2, ' ');
}

}  // namespace

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
        continue;
      }
      out.append(s, i, n);
      i += n;
      continue;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
  return out;
}

Json& Json::Set(const std::string& key, Json value) {
  CORRAL_ASSERT(is_object(), "Json::Set on a value that is not an object");
  for (auto& [k, v] : std::get<Members>(value_)) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  std::get<Members>(value_).emplace_back(key, std::move(value));
  return *this;
}

Json& Json::Append(std::string key, Json value) {
  CORRAL_ASSERT(is_object(), "Json::Append on a value that is not an object");
  std::get<Members>(value_).emplace_back(std::move(key), std::move(value));
  return *this;
}

Json& Json::Push(Json value) {
  CORRAL_ASSERT(is_array(), "Json::Push on a value that is not an array");
  std::get<Elements>(value_).push_back(std::move(value));
  return *this;
}

const Json* Json::Find(const std::string& key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : members()) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string Json::Render() const {
  std::string out;
  RenderTo(&out, 0);
  return out;
}

void Json::RenderTo(std::string* out, int depth) const {
  if (std::holds_alternative<std::nullptr_t>(value_)) {
    *out += "null";
  } else if (const bool* b = std::get_if<bool>(&value_)) {
    *out += *b ? "true" : "false";
  } else if (const int64_t* n = std::get_if<int64_t>(&value_)) {
    *out += std::to_string(*n);
  } else if (const double* d = std::get_if<double>(&value_)) {
    if (!std::isfinite(*d)) {
      *out += "null";
      return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    CORRAL_ASSERT(ec == std::errc(), "a double always fits 32 characters");
    std::string text(buf, end);
    if (text.find_first_of(".eE") == std::string::npos) text += ".0";
    *out += text;
  } else if (const std::string* s = std::get_if<std::string>(&value_)) {
    *out += JsonQuote(*s);
  } else if (const Elements* e = std::get_if<Elements>(&value_)) {
    if (e->empty()) {
      *out += "[ ]";
      return;
    }
    *out += '[';
    for (size_t i = 0; i < e->size(); ++i) {
      if (i > 0) *out += ',';
      Indent(out, depth + 1);
      (*e)[i].RenderTo(out, depth + 1);
    }
    Indent(out, depth);
    *out += ']';
  } else {
    const Members& m = std::get<Members>(value_);
    if (m.empty()) {
      *out += "{ }";
      return;
    }
    *out += '{';
    for (size_t i = 0; i < m.size(); ++i) {
      if (i > 0) *out += ',';
      Indent(out, depth + 1);
      *out += JsonQuote(m[i].first);
      *out += " : ";
      m[i].second.RenderTo(out, depth + 1);
    }
    Indent(out, depth);
    *out += '}';
  }
}

}  // namespace corral

#pragma once
// Json: a JSON value built in code and rendered as text, for the admin API's answers. Objects
// keep their members in insertion order (ZooKeeper's answers list "command" and "error" in a
// fixed place, and people read them). Rendering is pretty-printed with two-space indents, as
// ZooKeeper's Jackson output is. Only what the server writes is here: there is no parser.
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace corral {

class Json {
 public:
  using Members = std::vector<std::pair<std::string, Json>>;
  using Elements = std::vector<Json>;

  Json() : value_(nullptr) {}
  Json(std::nullptr_t) : value_(nullptr) {}
  Json(bool b) : value_(b) {}
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Json(T n) : value_(static_cast<int64_t>(n)) {}
  Json(double d) : value_(d) {}
  Json(std::string s) : value_(std::move(s)) {}
  Json(const char* s) : value_(std::string(s)) {}

  static Json Object() { return Json(Members{}); }
  static Json Array() { return Json(Elements{}); }

  // Object: sets `key` (replacing an earlier value in its place). Asserts on a non-object.
  // Looks for the key among the members first, so it costs O(members): for the few fixed
  // fields of an answer, not for an object with one member per znode, watch or session.
  Json& Set(const std::string& key, Json value);
  // Object: appends `key` without looking for an earlier member of that name, so an object of
  // n members costs O(n) to build, not O(n^2) as with Set. The caller guarantees the key is
  // new (keys taken from a std::map or std::set are). Asserts on a non-object.
  Json& Append(std::string key, Json value);
  // Array: appends. Asserts on a non-array.
  Json& Push(Json value);
  // Object: the member's value, or null when absent (or not an object).
  const Json* Find(const std::string& key) const;

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(value_); }
  bool is_object() const { return std::holds_alternative<Members>(value_); }
  bool is_array() const { return std::holds_alternative<Elements>(value_); }
  const Members& members() const { return std::get<Members>(value_); }
  const Elements& elements() const { return std::get<Elements>(value_); }

  // The text, pretty-printed, no trailing newline. Doubles that are whole print with ".0" and
  // non-finite ones as null (JSON has no NaN).
  std::string Render() const;

 private:
  explicit Json(Members m) : value_(std::move(m)) {}
  explicit Json(Elements e) : value_(std::move(e)) {}
  void RenderTo(std::string* out, int depth) const;

  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Elements, Members> value_;
};

// The JSON string literal of `s`, quotes included: control characters, quotes and backslashes
// escaped; bytes that are not valid UTF-8 become U+FFFD so the output always parses.
std::string JsonQuote(const std::string& s);

}  // namespace corral

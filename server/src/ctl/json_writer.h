#pragma once
// A small JSON writer for corralctl's --json output: values are appended in order, commas and
// escaping are taken care of (base/json.h's JsonQuote, shared with the admin API). Binary data
// is base64-encoded before it gets here.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corral::ctl {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // An already serialized JSON value (a document the AdminServer sent).
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  std::string out_;
  // One entry per open object or array: whether it has a member yet.
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

}  // namespace corral::ctl

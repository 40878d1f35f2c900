#include "kube/json_path.h"

namespace corral::kube {

using web::json::value;

const value* At(const value& v, std::initializer_list<const char*> path) {
  const value* cur = &v;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->has_field(key)) return nullptr;
    cur = &cur->at(key);
  }
  return cur;
}

std::string Str(const value& v, std::initializer_list<const char*> path, const std::string& def) {
  const value* x = At(v, path);
  return x != nullptr && x->is_string() ? x->as_string() : def;
}

int Int(const value& v, std::initializer_list<const char*> path, int def) {
  const value* x = At(v, path);
  return x != nullptr && x->is_integer() ? x->as_integer() : def;
}

bool Bool(const value& v, std::initializer_list<const char*> path, bool def) {
  const value* x = At(v, path);
  return x != nullptr && x->is_boolean() ? x->as_bool() : def;
}

}  // namespace corral::kube

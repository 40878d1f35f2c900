#pragma once
// Reading fields of Kubernetes objects (cpprestsdk JSON) by path, with a default when a field is
// absent or of another type: objects from the API server omit empty fields, so every reader of
// an Ensemble, a StatefulSet or a pod needs the same care.
#include <cpprest/json.h>

#include <initializer_list>
#include <string>

namespace corral::kube {

// The member at `path` of `v` (object keys, outermost first), or null.
const web::json::value* At(const web::json::value& v, std::initializer_list<const char*> path);
std::string Str(const web::json::value& v, std::initializer_list<const char*> path,
                const std::string& def = "");
int Int(const web::json::value& v, std::initializer_list<const char*> path, int def);
bool Bool(const web::json::value& v, std::initializer_list<const char*> path, bool def);

}  // namespace corral::kube

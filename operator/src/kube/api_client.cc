#include "kube/api_client.h"

namespace corral::kube {

Status StatusForHttp(int http_code, const std::string& what, const std::string& body) {
  if (http_code >= 200 && http_code < 300) return Status::Ok();
  std::string msg = what + ": ";
  msg += http_code == 0 ? std::string("no answer") : "HTTP " + std::to_string(http_code);
  if (!body.empty()) msg += ": " + body.substr(0, 512);
  switch (http_code) {
    case 0:
      return Status::IoError(msg);
    case 400:
    case 422:
      return Status::InvalidArgument(msg);
    case 404:
      return Status::NotFound(msg);
    case 409:  // conflict, already exists
    case 410:  // gone: relist
    case 412:  // precondition (uid) failed
      return Status::FailedPrecondition(msg);
    case 429:
      return Status::ResourceExhausted(msg);
    default:
      return Status::IoError(msg);
  }
}

std::string ResourcePath(const Resource& r, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) path += "/namespaces/" + ns;
  path += "/" + r.plural;
  if (!name.empty()) path += "/" + name;
  if (!name.empty() && !subresource.empty()) path += "/" + subresource;
  return path;
}

}  // namespace corral::kube

#pragma once
// ApiClient: the operator's whole view of the Kubernetes API, as an interface so that the
// controller and its tests never see the HTTP library (cpprestsdk_client.h implements it).
// Bodies are JSON text in both directions; decoding is the caller's business.
#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"

namespace corral::kube {

// A resource type: /apis/<group>/<version>/namespaces/<ns>/<plural> (or /api/v1/... for the
// core group, whose group is empty).
struct Resource {
  std::string group;
  std::string version;
  std::string plural;
  bool namespaced = true;
};

inline const Resource kEnsembles{"corral.dev", "v1alpha1", "ensembles"};
inline const Resource kStatefulSets{"apps", "v1", "statefulsets"};
inline const Resource kServices{"", "v1", "services"};
inline const Resource kConfigMaps{"", "v1", "configmaps"};
inline const Resource kPods{"", "v1", "pods"};
inline const Resource kPvcs{"", "v1", "persistentvolumeclaims"};
inline const Resource kPdbs{"policy", "v1", "poddisruptionbudgets"};
inline const Resource kEvents{"", "v1", "events"};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases"};
inline const Resource kSecrets{"", "v1", "secrets"};

// The answer to one request: the HTTP code (0 when no answer came: connection refused, TLS,
// timeout), the body, and a Status derived from both (ok for 2xx).
struct Result {
  int http_code = 0;
  std::string body;
  Status status;

  bool ok() const { return status.ok(); }
  bool not_found() const { return http_code == 404; }
  bool conflict() const { return http_code == 409; }
  // 410 Gone: a watch or list continued from a resourceVersion etcd has compacted away.
  bool gone() const { return http_code == 410; }
};

// The Status an HTTP code stands for; `what` names the request for the message.
Status StatusForHttp(int http_code, const std::string& what, const std::string& body);

// One event of a watch stream: type ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, and the
// object as JSON text (for ERROR, a metav1.Status whose code may be 410).
struct WatchEvent {
  std::string type;
  std::string object;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // for a watch: resume after this version
  int timeout_seconds = 0;       // for a watch: the server ends the stream after this long
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;

  // `ns` is ignored for cluster-scoped resources; an empty `ns` lists across namespaces.
  virtual Result Get(const Resource& r, const std::string& ns, const std::string& name) = 0;
  virtual Result List(const Resource& r, const std::string& ns, const ListOptions& options) = 0;
  virtual Result Create(const Resource& r, const std::string& ns, const std::string& body) = 0;
  // Server-side apply (PATCH application/apply-patch+yaml, which JSON is a subset of) of the
  // fields in `body` as `field_manager`; `force` takes over fields other managers own.
  // `subresource` is "" or "status".
  virtual Result Apply(const Resource& r, const std::string& ns, const std::string& name,
                       const std::string& body, const std::string& field_manager, bool force,
                       const std::string& subresource = "") = 0;
  // PUT of a whole object (body carries metadata.resourceVersion: a conflict is 409). Only for
  // the Lease, whose compare-and-swap on resourceVersion is the point.
  virtual Result Replace(const Resource& r, const std::string& ns, const std::string& name,
                         const std::string& body) = 0;
  // JSON merge patch (for metadata.finalizers, which the operator shares with nobody).
  virtual Result MergePatch(const Resource& r, const std::string& ns, const std::string& name,
                            const std::string& body) = 0;
  // PUT of the status subresource (body carries metadata.resourceVersion: a conflict is 409).
  virtual Result UpdateStatus(const Resource& r, const std::string& ns, const std::string& name,
                              const std::string& body) = 0;
  // Delete; a non-empty `uid` is sent as a precondition so a recreated object is left alone.
  virtual Result Delete(const Resource& r, const std::string& ns, const std::string& name,
                        const std::string& uid = "") = 0;
  // Streams the events after options.resource_version to `on_event` until the server closes
  // the stream (timeout_seconds), `on_event` returns false, or an error. The Result is that of
  // opening the stream: 410 means relist.
  virtual Result Watch(const Resource& r, const std::string& ns, const ListOptions& options,
                       const std::function<bool(const WatchEvent&)>& on_event) = 0;
};

// The URL path of a collection (`name` empty) or an object, with an optional subresource.
std::string ResourcePath(const Resource& r, const std::string& ns, const std::string& name = "",
                         const std::string& subresource = "");

}  // namespace corral::kube

#pragma once
// Reconciler: one pass over one Ensemble: read it and what it owns, ask the plan, carry out the
// plan's actions in order (stopping at the first failure), write the status.
#include <functional>
#include <string>

#include "base/status.h"
#include "kube/api_client.h"
#include "kube/members.h"

namespace corral::kube {

struct ReconcileResult {
  Status status;
  bool requeue = false;  // the plan waits for the world: look again soon
  bool gone = false;     // the Ensemble no longer exists
};

class Reconciler {
 public:
  // `now` returns RFC 3339 UTC time (injected for tests).
  Reconciler(ApiClient* api, MemberAgent* members, std::function<std::string()> now);
  ReconcileResult Reconcile(const std::string& ns, const std::string& name);

 private:
  ApiClient* api_;
  MemberAgent* members_;
  std::function<std::string()> now_;
};

// The current time as RFC 3339 UTC with seconds (metav1.Time).
std::string NowRfc3339();

}  // namespace corral::kube

#pragma once
// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// holder renews renewTime; another candidate takes the Lease over only when it has seen the
// same record unchanged for leaseDurationSeconds of its own clock (no comparison of clocks
// across machines), and every write is a compare-and-swap on resourceVersion.
#include <chrono>
#include <functional>
#include <string>

#include "kube/api_client.h"

namespace corral::kube {

class LeaderElector {
 public:
  using Clock = std::chrono::steady_clock;
  // `now_micro`: the wall time as metav1.MicroTime text (for the record only).
  LeaderElector(ApiClient* api, std::string ns, std::string name, std::string identity,
                int lease_seconds, std::function<std::string()> now_micro,
                std::function<Clock::time_point()> now = Clock::now);

  // One attempt to acquire or renew. True when this candidate holds the Lease afterwards.
  bool TryAcquireOrRenew();
  const std::string& identity() const { return identity_; }
  const std::string& observed_holder() const { return observed_holder_; }

 private:
  ApiClient* api_;
  const std::string ns_, name_, identity_;
  const int lease_seconds_;
  std::function<std::string()> now_micro_;
  std::function<Clock::time_point()> now_;
  std::string observed_record_;  // holder + renewTime last seen
  std::string observed_holder_;
  Clock::time_point observed_at_{};
};

// metav1.MicroTime of the current wall time: 2026-03-01T10:00:00.000000Z.
std::string NowMicroTime();

}  // namespace corral::kube

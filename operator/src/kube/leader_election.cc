#include "kube/leader_election.h"

#include <cpprest/json.h>

#include <cstdio>
#include <ctime>

namespace corral::kube {
namespace {

using web::json::value;

std::string Field(const value& v, const char* a, const char* b) {
  if (!v.has_field(a) || !v.at(a).is_object() || !v.at(a).has_field(b)) return "";
  const value& x = v.at(a).at(b);
  return x.is_string() ? x.as_string() : x.serialize();
}

}  // namespace

std::string NowMicroTime() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros));
  return buf;
}

LeaderElector::LeaderElector(ApiClient* api, std::string ns, std::string name, std::string identity,
                             int lease_seconds, std::function<std::string()> now_micro,
                             std::function<Clock::time_point()> now)
    : api_(api),
      ns_(std::move(ns)),
      name_(std::move(name)),
      identity_(std::move(identity)),
      lease_seconds_(lease_seconds),
      now_micro_(std::move(now_micro)),
      now_(std::move(now)) {}

bool LeaderElector::TryAcquireOrRenew() {
  const std::string t = now_micro_();
  Result got = api_->Get(kLeases, ns_, name_);
  if (got.not_found()) {
    value lease = value::object();
    lease["apiVersion"] = value::string("coordination.k8s.io/v1");
    lease["kind"] = value::string("Lease");
    lease["metadata"]["name"] = value::string(name_);
    lease["metadata"]["namespace"] = value::string(ns_);
    lease["spec"]["holderIdentity"] = value::string(identity_);
    lease["spec"]["leaseDurationSeconds"] = value::number(lease_seconds_);
    lease["spec"]["acquireTime"] = value::string(t);
    lease["spec"]["renewTime"] = value::string(t);
    lease["spec"]["leaseTransitions"] = value::number(0);
    if (api_->Create(kLeases, ns_, lease.serialize()).ok()) {
      observed_holder_ = identity_;
      return true;
    }
    return false;  // someone else created it first (409), or an error: try again later
  }
  if (!got.ok()) return false;
  value lease;
  try {
    lease = value::parse(got.body);
  } catch (const std::exception&) {
    return false;
  }
  const std::string holder = Field(lease, "spec", "holderIdentity");
  const std::string record = holder + "@" + Field(lease, "spec", "renewTime");
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = now_();
  }
  observed_holder_ = holder;
  const bool expired = now_() - observed_at_ > std::chrono::seconds(lease_seconds_);
  if (holder != identity_ && !holder.empty() && !expired) return false;

  value& spec = lease["spec"];
  if (holder != identity_) {
    spec["acquireTime"] = value::string(t);
    const std::string transitions = Field(lease, "spec", "leaseTransitions");
    spec["leaseTransitions"] = value::number(transitions.empty() ? 1 : std::stoi(transitions) + 1);
  }
  spec["holderIdentity"] = value::string(identity_);
  spec["leaseDurationSeconds"] = value::number(lease_seconds_);
  spec["renewTime"] = value::string(t);
  // The PUT carries the resourceVersion read above: a concurrent taker makes it fail with 409.
  if (!api_->Replace(kLeases, ns_, name_, lease.serialize()).ok()) return false;
  observed_holder_ = identity_;
  observed_record_ = identity_ + "@" + t;
  observed_at_ = now_();
  return true;
}

}  // namespace corral::kube

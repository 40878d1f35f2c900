// Lease-based leader election against an in-memory Lease with resourceVersion checks.
#include "kube/leader_election.h"

#include <cpprest/json.h>
#include <gtest/gtest.h>

#include "fake_api.h"

namespace corral::kube {
namespace {

using web::json::value;
using Clock = LeaderElector::Clock;

// A Lease store with compare-and-swap on resourceVersion, as the API server keeps it.
class LeaseApi : public FakeApi {
 public:
  int version = 0;
  Result Create(const Resource& r, const std::string& ns, const std::string& body) override {
    if (objects.count("leases/l") != 0) return Fail(409);
    Store(body);
    return FakeApi::Create(r, ns, body);
  }
  Result Replace(const Resource& r, const std::string& ns, const std::string& name,
                 const std::string& body) override {
    value v = value::parse(body);
    value stored = value::parse(objects["leases/l"]);
    if (v.at("metadata").at("resourceVersion").as_string() !=
        stored.at("metadata").at("resourceVersion").as_string()) {
      return Fail(409);
    }
    Store(body);
    return FakeApi::Replace(r, ns, name, body);
  }
  std::string Holder() {
    return value::parse(objects["leases/l"]).at("spec").at("holderIdentity").as_string();
  }

 private:
  Result Fail(int code) {
    Result r;
    r.http_code = code;
    r.status = StatusForHttp(code, "lease", "");
    return r;
  }
  void Store(const std::string& body) {
    value v = value::parse(body);
    v["metadata"]["resourceVersion"] = value::string(std::to_string(++version));
    objects["leases/l"] = v.serialize();
  }
};

TEST(LeaderElection, OneHolderTheOtherTakesOverOnlyAfterTheLeaseGoesStale) {
  LeaseApi api;
  Clock::time_point now{};
  auto clock = [&now] { return now; };
  int tick = 0;
  auto micro = [&tick] { return "t" + std::to_string(++tick); };
  LeaderElector a(&api, "ns", "l", "a", 15, micro, clock);
  LeaderElector b(&api, "ns", "l", "b", 15, micro, clock);

  EXPECT_TRUE(a.TryAcquireOrRenew()) << "creates the Lease";
  EXPECT_FALSE(b.TryAcquireOrRenew());
  EXPECT_EQ(b.observed_holder(), "a");
  // a renews every few seconds: b never sees the record stale.
  for (int i = 0; i < 10; ++i) {
    now += std::chrono::seconds(5);
    EXPECT_TRUE(a.TryAcquireOrRenew());
    EXPECT_FALSE(b.TryAcquireOrRenew());
  }
  EXPECT_EQ(api.Holder(), "a");
  // a stops renewing: b takes over once the same record has been seen for 15 s.
  now += std::chrono::seconds(10);
  EXPECT_FALSE(b.TryAcquireOrRenew());
  now += std::chrono::seconds(6);
  EXPECT_TRUE(b.TryAcquireOrRenew());
  EXPECT_EQ(api.Holder(), "b");
  value lease = value::parse(api.objects["leases/l"]);
  EXPECT_EQ(lease.at("spec").at("leaseTransitions").as_integer(), 1);
  // a comes back: it sees b's fresh record and does not take it.
  EXPECT_FALSE(a.TryAcquireOrRenew());
}

TEST(LeaderElection, ConcurrentTakeoverLosesOnResourceVersion) {
  LeaseApi api;
  Clock::time_point now{};
  auto clock = [&now] { return now; };
  auto micro = [] { return std::string("t"); };
  LeaderElector a(&api, "ns", "l", "a", 15, micro, clock);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  // A stale write (the version read before someone else's write) is refused.
  value stale = value::parse(api.objects["leases/l"]);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  stale["spec"]["holderIdentity"] = value::string("intruder");
  EXPECT_FALSE(api.Replace(kLeases, "ns", "l", stale.serialize()).ok());
  EXPECT_EQ(api.Holder(), "a");
}

}  // namespace
}  // namespace corral::kube

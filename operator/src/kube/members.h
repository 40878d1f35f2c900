#pragma once
// MemberAgent: how the operator talks to the members themselves (by pod IP, never DNS): their
// admin API for role, zxid and readiness, and the live configuration; reconfig to change it.
#include <memory>
#include <string>

#include "base/status.h"
#include "plan/model.h"

namespace corral::kube {

class MemberAgent {
 public:
  virtual ~MemberAgent() = default;
  // What the member at `ip` says of itself (reachable=false when it does not answer).
  virtual op::ObservedMember Probe(int id, const std::string& ip, int admin_port) = 0;
  // The live configuration as the member at `ip` serves it.
  virtual op::ObservedConfig ReadConfig(const std::string& ip, int admin_port) = 0;
  // reconfig -add `server` as `id` / -remove `id`, through the member at `ip`.
  virtual Status Reconfig(const std::string& ip, int client_port, int id, const std::string& server,
                          bool add) = 0;
};

// The admin API over HTTP (cpprestsdk): /commands/ready for the member, /commands/voting_view
// for the configuration; reconfig over the ZooKeeper protocol (corral_client), authenticated as
// `super_auth` ("super:<password>", digest scheme) when given. A reconfig needs the super user
// or ADMIN on /zookeeper/config, so without it the server answers NOAUTH.
std::unique_ptr<MemberAgent> NewHttpMemberAgent(int timeout_seconds = 3,
                                                std::string super_auth = "");

}  // namespace corral::kube

#pragma once
// MemberAgent: how the operator talks to the members themselves (by pod IP, never DNS): their
// admin API for role, zxid and readiness, and the live configuration; reconfig to change it.
#include <memory>
#include <string>

#include "base/status.h"
#include "plan/model.h"

namespace corral::kube {

// One incremental reconfig: `add` joins `server` (the server.N value) as `id`, otherwise `id`
// leaves.
struct ReconfigChange {
  int id = 0;
  std::string server;
  bool add = true;
  std::string super_password;  // authenticates as "super" (digest scheme); empty: no addauth
  // The configuration version the change is made against (curConfigId): the server refuses it
  // with BADVERSION when the configuration changed since. -1: unchecked.
  int64_t cur_config_id = -1;
};

class MemberAgent {
 public:
  virtual ~MemberAgent() = default;
  // What the member at `ip` says of itself (reachable=false when it does not answer).
  virtual op::ObservedMember Probe(int id, const std::string& ip, int admin_port) = 0;
  // The live configuration as the member at `ip` (the leader, preferably) counts with it, and
  // the version of the newest configuration it committed (op::ObservedConfig).
  virtual op::ObservedConfig ReadConfig(const std::string& ip, int admin_port) = 0;
  // reconfig -add `server` as `id` / -remove `id`, through the member at `ip`, as the super
  // user with `super_password` (kube/credentials.h): a reconfig needs the super user or ADMIN
  // on /zookeeper/config, and the server answers NOAUTH otherwise.
  virtual Status Reconfig(const std::string& ip, int client_port, const ReconfigChange& change) = 0;
};

// The admin API over HTTP (cpprestsdk): /commands/ready for the member and the configuration
// versions, /commands/voting_view for the membership; reconfig over the ZooKeeper protocol
// (corral_client).
std::unique_ptr<MemberAgent> NewHttpMemberAgent(int timeout_seconds = 3);

}  // namespace corral::kube

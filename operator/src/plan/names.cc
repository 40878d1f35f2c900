#include "plan/names.h"

namespace corral::op {

std::string MemberHost(const std::string& ensemble, const std::string& ns, int id) {
  return PodName(ensemble, OrdinalOfId(id)) + "." + HeadlessServiceName(ensemble) + "." + ns +
         ".svc";
}

std::string ServerSpec(const std::string& ensemble, const std::string& ns, int id,
                       int client_port) {
  return MemberHost(ensemble, ns, id) + ":" + std::to_string(kQuorumPort) + ":" +
         std::to_string(kElectionPort) + ":participant;" + std::to_string(client_port);
}

}  // namespace corral::op

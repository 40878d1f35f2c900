#include "plan/names.h"

namespace corral::op {

std::string MemberHost(const std::string& ensemble, const std::string& ns, int id) {
  return PodName(ensemble, OrdinalOfId(id)) + "." + HeadlessServiceName(ensemble) + "." + ns +
         ".svc";
}

std::string ObserverMemberHost(const std::string& ensemble, const std::string& ns, int id) {
  return ObserverPodName(ensemble, ObserverOrdinalOfId(id)) + "." + HeadlessServiceName(ensemble) +
         "." + ns + ".svc";
}

namespace {

std::string SpecOf(const std::string& host, int client_port, const char* role) {
  return host + ":" + std::to_string(kQuorumPort) + ":" + std::to_string(kElectionPort) + ":" +
         role + ";" + std::to_string(client_port);
}

std::string Spec(const std::string& ensemble, const std::string& ns, int id, int client_port,
                 const char* role) {
  return SpecOf(MemberHost(ensemble, ns, id), client_port, role);
}

}  // namespace

std::string ObserverMemberSpec(const std::string& ensemble, const std::string& ns, int id,
                               int client_port) {
  return SpecOf(ObserverMemberHost(ensemble, ns, id), client_port, "observer");
}

std::string ServerSpec(const std::string& ensemble, const std::string& ns, int id,
                       int client_port) {
  return Spec(ensemble, ns, id, client_port, "participant");
}

std::string ObserverServerSpec(const std::string& ensemble, const std::string& ns, int id,
                               int client_port) {
  return Spec(ensemble, ns, id, client_port, "observer");
}

}  // namespace corral::op

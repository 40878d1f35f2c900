#pragma once
// The names and numbers every part of the operator derives from an Ensemble, in one place.
#include <string>

namespace corral::op {

// Voters are the StatefulSet <name>'s pods <name>-0 ... <name>-(n-1); member id = ordinal + 1
// (ids run 1..255, the ordinal from 0).
inline int IdOfOrdinal(int ordinal) { return ordinal + 1; }
inline int OrdinalOfId(int id) { return id - 1; }
inline std::string PodName(const std::string& ensemble, int ordinal) {
  return ensemble + "-" + std::to_string(ordinal);
}
inline std::string HeadlessServiceName(const std::string& ensemble) {
  return ensemble + "-headless";
}
inline std::string ClientServiceName(const std::string& ensemble) { return ensemble + "-client"; }
inline std::string ConfigMapName(const std::string& ensemble) { return ensemble + "-config"; }
inline std::string PdbName(const std::string& ensemble) { return ensemble + "-pdb"; }
// The operator's own Secret with the super password and digest (kube/credentials.h), made when
// the Ensemble names none.
inline std::string OperatorSecretName(const std::string& ensemble) {
  return ensemble + "-operator-auth";
}
// The claims of a voter: volumeClaimTemplate name + "-" + pod name, as StatefulSets name them.
inline std::string DataClaimName(const std::string& ensemble, int ordinal) {
  return "data-" + PodName(ensemble, ordinal);
}
inline std::string LogClaimName(const std::string& ensemble, int ordinal) {
  return "log-" + PodName(ensemble, ordinal);
}
// Observers are the StatefulSet <name>-observer's pods <name>-observer-0 ...; their ids count
// down from the top, id = 255 - ordinal, so neither set's ids move when the other is scaled and
// they meet only when replicas + observers > 255, which the CRD refuses.
constexpr int kMaxMemberId = 255;
inline int ObserverIdOfOrdinal(int ordinal) { return kMaxMemberId - ordinal; }
inline int ObserverOrdinalOfId(int id) { return kMaxMemberId - id; }
inline std::string ObserverStatefulSetName(const std::string& ensemble) {
  return ensemble + "-observer";
}
inline std::string ObserverPodName(const std::string& ensemble, int ordinal) {
  return ObserverStatefulSetName(ensemble) + "-" + std::to_string(ordinal);
}
inline std::string ObserverDataClaimName(const std::string& ensemble, int ordinal) {
  return "data-" + ObserverPodName(ensemble, ordinal);
}
inline std::string ObserverLogClaimName(const std::string& ensemble, int ordinal) {
  return "log-" + ObserverPodName(ensemble, ordinal);
}
// A majority of `voters`.
inline int Quorum(int voters) { return voters / 2 + 1; }

// The peer address of a member, stable across restarts (the pod IP is not):
// <pod>.<headless>.<ns>.svc.
std::string MemberHost(const std::string& ensemble, const std::string& ns, int id);
// The `server.N=` value of a participant: host:2888:3888:participant;<clientPort>.
std::string ServerSpec(const std::string& ensemble, const std::string& ns, int id, int client_port);
// The same with the observer role: how a joining voter is added first, to catch up.
std::string ObserverServerSpec(const std::string& ensemble, const std::string& ns, int id,
                               int client_port);
// The peer address of an observer of spec.observers (a pod of <name>-observer), and its
// `server.N=` value (always the observer role).
std::string ObserverMemberHost(const std::string& ensemble, const std::string& ns, int id);
std::string ObserverMemberSpec(const std::string& ensemble, const std::string& ns, int id,
                               int client_port);

constexpr int kQuorumPort = 2888;
constexpr int kElectionPort = 3888;
inline constexpr const char* kFieldManager = "corral-operator";
inline constexpr const char* kFinalizer = "corral.dev/pvc-cleanup";

}  // namespace corral::op

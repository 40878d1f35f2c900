#include "sim/digest.h"

#include <cstdio>

#include "consensus/message.h"
#include "sim/hasher.h"

namespace corral::sim {

uint64_t StateDigest(const StateMachine& state) {
  Hasher h;
  h.AddSigned(state.last_applied_zxid());
  state.tree().ForEach([&h](const std::string& path, const Znode& n) {
    h.Add(path).Add(n.data.view()).Add(n.data.is_null() ? 1 : 0);
    h.AddSigned(n.czxid).AddSigned(n.mzxid).AddSigned(n.ctime).AddSigned(n.mtime);
    h.AddSigned(n.pzxid()).AddSigned(n.version).AddSigned(n.aversion).AddSigned(n.cversion());
    h.AddSigned(n.ephemeral_owner).Add(n.children.size());
    if (n.acl == nullptr) {
      h.Add(~0ULL);
    } else {
      h.Add(n.acl->size());
      for (const zk::Acl& acl : *n.acl) h.AddSigned(acl.perms).Add(acl.id.scheme).Add(acl.id.id);
    }
  });
  h.Add(state.sessions().size());
  for (const auto& [id, info] : state.sessions()) {
    h.AddSigned(id).AddSigned(info.timeout_ms).Add(info.passwd);
  }
  return h.value();
}

uint64_t EntryHash(const Txn& txn) {
  Hasher h;
  h.AddSigned(txn.zxid).AddSigned(txn.session_id).AddSigned(txn.xid).AddSigned(txn.time_ms);
  h.AddSigned(txn.type).Add(*txn.request).Add(txn.identities->size());
  for (const zk::Id& id : *txn.identities) h.Add(id.scheme).Add(id.id);
  return h.value();
}

uint64_t ResultHash(const ApplyResult& result) {
  Hasher h;
  h.AddSigned(result.err).Add(result.body).Add(result.closed_sessions.size());
  for (int64_t s : result.closed_sessions) h.AddSigned(s);
  return h.value();
}

std::string ZxidString(int64_t zxid) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%lld:%lld", static_cast<long long>(consensus::EpochOf(zxid)),
                static_cast<long long>(consensus::CounterOf(zxid)));
  return buf;
}

}  // namespace corral::sim

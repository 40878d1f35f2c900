#pragma once
// Helpers shared by the storage tests: real Txns (as the node stamps them) and a field-by-field
// comparison of two state machines.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "env/file_system.h"
#include "jute/writer.h"
#include "statemachine/state_machine.h"
#include "statemachine/txn.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral::storage::testing {

// A ReadableFile over bytes in memory.
class StringFile : public env::ReadableFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}
  Status Read(uint64_t offset, size_t n, char* scratch, size_t* bytes_read) override {
    *bytes_read = 0;
    if (offset >= data_.size()) return Status::Ok();
    *bytes_read = std::min<size_t>(n, data_.size() - offset);
    std::memcpy(scratch, data_.data() + offset, *bytes_read);
    return Status::Ok();
  }
  uint64_t size() const override { return data_.size(); }

 private:
  std::string data_;
};

inline zk::AclList OpenAcl() { return {zk::Acl{zk::kPermAll, zk::Id{"world", "anyone"}}}; }

// Makes Txns with increasing zxids and times, as Node::Propose stamps them.
class TxnMaker {
 public:
  explicit TxnMaker(int64_t first_zxid = 1) : next_zxid_(first_zxid) {}

  Txn Make(int64_t session, int32_t type, std::string request, std::vector<zk::Id> ids = {}) {
    Txn t;
    t.zxid = next_zxid_++;
    t.session_id = session;
    t.xid = static_cast<int32_t>(t.zxid & 0x7fffffff);
    t.time_ms = now_ms_;
    now_ms_ += 7;
    t.type = type;
    t.request = std::move(request);
    t.identities = std::move(ids);
    return t;
  }
  Txn CreateSession(int64_t session, int32_t timeout_ms = 30000) {
    return Make(session, zk::kCreateSession,
                EncodeCreateSession({timeout_ms, "passwd-" + std::to_string(session)}));
  }
  Txn CloseSession(int64_t session) { return Make(session, zk::kCloseSession, ""); }
  Txn Create(int64_t session, const std::string& path, const std::string& data,
             int32_t flags = zk::kPersistent, zk::AclList acl = OpenAcl(),
             int32_t type = zk::kCreate2, int64_t ttl = -1, bool data_null = false) {
    zk::CreateRequest req;
    req.path = path;
    req.data = data;
    req.data_null = data_null;
    req.acl = std::move(acl);
    req.flags = flags;
    req.ttl = ttl;
    return Make(session, type, Encode(req, type == zk::kCreateTtl),
                {zk::Id{"digest", "alice:hash"}, zk::Id{"ip", "10.0.0.1"}});
  }
  Txn SetData(int64_t session, const std::string& path, const std::string& data,
              int32_t version = -1) {
    return Make(session, zk::kSetData, Encode(zk::SetDataRequest{path, data, false, version}));
  }
  Txn Delete(int64_t session, const std::string& path, int32_t version = -1) {
    return Make(session, zk::kDelete, Encode(zk::DeleteRequest{path, version}));
  }
  Txn SetAcl(int64_t session, const std::string& path, const zk::AclList& acl,
             int32_t version = -1) {
    return Make(session, zk::kSetAcl, Encode(zk::SetAclRequest{path, acl, version}));
  }

  int64_t next_zxid() const { return next_zxid_; }
  void set_next_zxid(int64_t zxid) { next_zxid_ = zxid; }

 private:
  template <typename T>
  static std::string Encode(const T& v) {
    std::string out;
    jute::Writer w(&out);
    zk::Encode(w, v);
    return out;
  }
  static std::string Encode(const zk::CreateRequest& v, bool ttl) {
    std::string out;
    jute::Writer w(&out);
    zk::Encode(w, v, ttl);
    return out;
  }
  int64_t next_zxid_;
  int64_t now_ms_ = 1'700'000'000'000LL;
};

// "" when the two state machines are indistinguishable (every stored field of every node, the
// sessions, the indexes, the size accounting, the last zxid); otherwise the first difference.
inline std::string StateDifference(const StateMachine& a, const StateMachine& b) {
  std::ostringstream out;
  if (a.last_applied_zxid() != b.last_applied_zxid()) {
    out << "last_applied_zxid " << a.last_applied_zxid() << " vs " << b.last_applied_zxid();
    return out.str();
  }
  if (a.sessions().size() != b.sessions().size()) {
    out << "session count " << a.sessions().size() << " vs " << b.sessions().size();
    return out.str();
  }
  for (const auto& [id, s] : a.sessions()) {
    auto it = b.sessions().find(id);
    if (it == b.sessions().end() || it->second.timeout_ms != s.timeout_ms ||
        it->second.passwd != s.passwd) {
      out << "session " << id << " differs";
      return out.str();
    }
  }
  const DataTree& ta = a.tree();
  const DataTree& tb = b.tree();
  if (ta.node_count() != tb.node_count()) {
    out << "node count " << ta.node_count() << " vs " << tb.node_count();
    return out.str();
  }
  if (ta.approximate_data_size() != tb.approximate_data_size()) {
    out << "approximate_data_size " << ta.approximate_data_size() << " vs "
        << tb.approximate_data_size();
    return out.str();
  }
  if (ta.ephemerals() != tb.ephemerals()) return "ephemeral index differs";
  if (ta.containers() != tb.containers()) return "container index differs";
  if (ta.ttl_nodes() != tb.ttl_nodes()) return "TTL index differs";
  std::vector<std::string> order_a, order_b;
  tb.ForEach([&](const std::string& p, const Znode&) { order_b.push_back(p); });
  ta.ForEach([&](const std::string& p, const Znode& n) {
    order_a.push_back(p);
    if (!out.str().empty()) return;
    const Znode* m = tb.Find(p);
    if (m == nullptr) {
      out << p << " missing";
      return;
    }
    bool same = n.data == m->data && n.data.is_null() == m->data.is_null() && n.czxid == m->czxid &&
                n.mzxid == m->mzxid && n.ctime == m->ctime && n.mtime == m->mtime &&
                n.pzxid() == m->pzxid() && n.version == m->version && n.aversion == m->aversion &&
                n.cversion() == m->cversion() && n.ephemeral_owner == m->ephemeral_owner &&
                n.children == m->children && (n.acl == nullptr) == (m->acl == nullptr) &&
                (n.acl == nullptr || *n.acl == *m->acl) && n.ToStat() == m->ToStat();
    if (!same) out << p << " differs";
  });
  if (out.str().empty() && order_a != order_b) return "ForEach order differs";
  return out.str();
}

}  // namespace corral::storage::testing

#include "sim/requests.h"

#include "jute/writer.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral::sim {
namespace {

Txn Base(int64_t session_id, int32_t xid, int32_t type) {
  Txn txn;
  txn.session_id = session_id;
  txn.xid = xid;
  txn.type = type;
  return txn;
}

}  // namespace

Txn CreateSessionTxn(int64_t session_id, int32_t xid, int32_t timeout_ms) {
  Txn txn = Base(session_id, xid, zk::kCreateSession);
  txn.request = EncodeCreateSession({timeout_ms, "pw-" + std::to_string(session_id)});
  return txn;
}

Txn CloseSessionTxn(int64_t session_id, int32_t xid) {
  return Base(session_id, xid, zk::kCloseSession);
}

Txn CreateTxn(int64_t session_id, int32_t xid, const std::string& path, const std::string& data,
              int32_t flags) {
  Txn txn = Base(session_id, xid, zk::kCreate2);
  zk::CreateRequest req;
  req.path = path;
  req.data = data;
  req.acl = {zk::Acl{zk::kPermAll, zk::Id{"world", "anyone"}}};
  req.flags = flags;
  std::string body;
  jute::Writer w(&body);
  zk::Encode(w, req, /*has_ttl=*/false);
  txn.request = std::move(body);
  return txn;
}

Txn SetDataTxn(int64_t session_id, int32_t xid, const std::string& path, const std::string& data,
               int32_t version) {
  Txn txn = Base(session_id, xid, zk::kSetData);
  std::string body;
  jute::Writer w(&body);
  zk::Encode(w, zk::SetDataRequest{path, data, false, version});
  txn.request = std::move(body);
  return txn;
}

Txn DeleteTxn(int64_t session_id, int32_t xid, const std::string& path, int32_t version) {
  Txn txn = Base(session_id, xid, zk::kDelete);
  std::string body;
  jute::Writer w(&body);
  zk::Encode(w, zk::DeleteRequest{path, version});
  txn.request = std::move(body);
  return txn;
}

}  // namespace corral::sim

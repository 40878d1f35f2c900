#include "statemachine/write_op.h"

#include "zk/codes.h"

namespace corral {

bool DecodeWriteOp(int32_t type, jute::Reader& r, WriteOp* op) {
  op->type = type;
  switch (type) {
    case zk::kCreate:
    case zk::kCreate2:
    case zk::kCreateContainer:
    case zk::kCreateTtl:
      zk::Decode(r, &op->create, type == zk::kCreateTtl);
      break;
    case zk::kDelete:
      zk::Decode(r, &op->del);
      break;
    case zk::kDeleteContainer:
      op->del.path = r.ReadString();
      break;
    case zk::kSetData:
      zk::Decode(r, &op->set_data);
      break;
    case zk::kSetAcl:
      zk::Decode(r, &op->set_acl);
      break;
    case zk::kCheck:
      zk::Decode(r, &op->check);
      break;
    default:
      return false;
  }
  return r.ok();
}

bool DecodeMulti(const std::string& request, std::vector<WriteOp>* ops) {
  jute::Reader r(request);
  ops->clear();
  while (true) {
    zk::MultiHeader h;
    zk::Decode(r, &h);
    if (!r.ok()) return false;
    if (h.done) return true;
    // setACL and deleteContainer are not multi ops in ZooKeeper.
    if (h.type == zk::kSetAcl || h.type == zk::kDeleteContainer) return false;
    WriteOp op;
    if (!DecodeWriteOp(h.type, r, &op)) return false;
    bool create_family = h.type == zk::kCreate || h.type == zk::kCreate2 ||
                         h.type == zk::kCreateContainer || h.type == zk::kCreateTtl;
    if (create_family) {
      // ZooKeeper rebuilds each create of a multi from its flags (Op.create): a container flag
      // makes it createContainer, a TTL flag createTTL, anything else a plain create — whatever
      // opcode the client put in the header.
      int32_t flags = op.create.flags;
      bool valid_flags = zk::IsValidCreateMode(flags);
      bool ttl_flags = zk::IsTtlMode(flags);
      if (!valid_flags) {
        // Left as sent: applying it answers BADARGUMENTS for this op alone.
      } else if (flags == zk::kContainer) {
        op.type = zk::kCreateContainer;
        op.create.ttl = -1;
      } else if (ttl_flags) {
        // A TTL mode sent in a record without a ttl cannot be turned into a request: ZooKeeper
        // fails the multi with MARSHALLINGERROR when it reaches the op.
        op.ttl_without_record = h.type != zk::kCreateTtl;
        op.type = zk::kCreateTtl;
      } else {
        op.type = zk::kCreate;
        op.create.ttl = -1;
      }
    }
    ops->push_back(std::move(op));
  }
}

bool DecodeMultiRead(const std::string& request,
                     std::vector<std::pair<int32_t, std::string>>* ops) {
  jute::Reader r(request);
  ops->clear();
  while (true) {
    zk::MultiHeader h;
    zk::Decode(r, &h);
    if (!r.ok()) return false;
    if (h.done) return true;
    if (h.type != zk::kGetChildren && h.type != zk::kGetData) return false;
    zk::PathWatchRequest req;
    zk::Decode(r, &req);
    if (!r.ok()) return false;
    ops->emplace_back(h.type, std::move(req.path));
  }
}

}  // namespace corral

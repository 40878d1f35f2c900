// StateMachine::Read: the read side, served by the member a client is connected to. Checks
// follow ZooKeeper's FinalRequestProcessor (NONODE before NOAUTH).
#include "statemachine/path.h"
#include "statemachine/state_machine.h"
#include "statemachine/write_op.h"
#include "zk/codes.h"

namespace corral {
namespace {

// GetDataResponse: data (null stays null) then Stat; used by getData and multiRead.
void EncodeData(jute::Writer& w, const Znode& n) {
  if (n.data.is_null()) {
    w.WriteNullBuffer();
  } else {
    w.WriteBuffer(n.data);
  }
  zk::Encode(w, n.ToStat());
}

void EncodeChildren(jute::Writer& w, const Znode& n) {
  w.WriteInt(static_cast<int32_t>(n.children.size()));
  for (const auto& c : n.children) w.WriteString(c);
}

}  // namespace

ReadResult StateMachine::Read(int32_t type, const std::string& request, const acl::Identities& ids,
                              int64_t session_id) const {
  ReadResult result;
  jute::Reader r(request);
  jute::Writer w(&result.body);
  auto fail = [&](int32_t err) {
    result.err = err;
    result.body.clear();
    return result;
  };
  switch (type) {
    case zk::kExists: {
      zk::PathWatchRequest req;
      zk::Decode(r, &req);
      if (!r.ok()) return fail(zk::kMarshallingError);
      if (req.path.find('\0') != std::string::npos) return fail(zk::kBadArguments);
      const Znode* n = tree_.Find(req.path);
      // ZOOKEEPER-2590 (3.8.4, 3.9.2+): an existing node needs READ, and a refused exists
      // leaves no watch. A missing node is NONODE with a watch (it waits for the creation).
      if (n != nullptr && !acl::Permits(*n->acl, zk::kPermRead, ids)) return fail(zk::kNoAuth);
      if (req.watch) {
        result.watch = WatchKind::kData;
        result.watch_path = req.path;
      }
      if (n == nullptr) return fail(zk::kNoNode);
      zk::Encode(w, n->ToStat());
      return result;
    }
    case zk::kGetData:
    case zk::kGetChildren:
    case zk::kGetChildren2: {
      zk::PathWatchRequest req;
      zk::Decode(r, &req);
      if (!r.ok()) return fail(zk::kMarshallingError);
      const Znode* n = tree_.Find(req.path);
      if (n == nullptr) return fail(zk::kNoNode);
      if (!acl::Permits(*n->acl, zk::kPermRead, ids)) return fail(zk::kNoAuth);
      if (type == zk::kGetData) {
        EncodeData(w, *n);
      } else {
        EncodeChildren(w, *n);
        if (type == zk::kGetChildren2) zk::Encode(w, n->ToStat());
      }
      if (req.watch) {
        result.watch = type == zk::kGetData ? WatchKind::kData : WatchKind::kChild;
        result.watch_path = req.path;
      }
      return result;
    }
    case zk::kGetAcl: {
      zk::PathRequest req;
      zk::Decode(r, &req);
      if (!r.ok()) return fail(zk::kMarshallingError);
      const Znode* n = tree_.Find(req.path);
      if (n == nullptr) return fail(zk::kNoNode);
      if (!acl::Permits(*n->acl, zk::kPermRead | zk::kPermAdmin, ids)) return fail(zk::kNoAuth);
      // Without ADMIN the digest hashes are masked (CVE-2019-0201).
      bool admin = acl::Permits(*n->acl, zk::kPermAdmin, ids);
      zk::Encode(w, admin ? *n->acl : acl::MaskDigests(*n->acl));
      zk::Encode(w, n->ToStat());
      return result;
    }
    case zk::kGetAllChildrenNumber: {
      zk::PathRequest req;
      zk::Decode(r, &req);
      if (!r.ok()) return fail(zk::kMarshallingError);
      const Znode* n = tree_.Find(req.path);
      if (n == nullptr) return fail(zk::kNoNode);
      if (!acl::Permits(*n->acl, zk::kPermRead, ids)) return fail(zk::kNoAuth);
      int64_t count = tree_.CountDescendants(req.path);
      // ZooKeeper counts the keys of its node map that start with path + "/". Its map files the
      // root under both "" and "/", so for "" the "/" key itself is counted too.
      if (req.path.empty()) count += 1;
      w.WriteInt(static_cast<int32_t>(count));
      return result;
    }
    case zk::kGetEphemerals: {
      // GetEphemeralsRequest: a prefix that may be null (unlike a path).
      std::string prefix = r.ReadString();
      if (!r.ok()) return fail(zk::kMarshallingError);
      // ZooKeeper filters by string prefix (not by path segment). A prefix that Java's trim()
      // (which strips every char <= ' ') leaves empty or "/" means all.
      size_t first = 0;
      size_t end = prefix.size();
      while (first < end && static_cast<uint8_t>(prefix[first]) <= ' ') ++first;
      while (end > first && static_cast<uint8_t>(prefix[end - 1]) <= ' ') --end;
      std::string_view trimmed(prefix.data() + first, end - first);
      bool all = trimmed.empty() || trimmed == "/";
      std::vector<std::string> out;
      for (const auto& p : tree_.EphemeralsOf(session_id)) {
        if (all || p.compare(0, prefix.size(), prefix) == 0) out.push_back(p);
      }
      zk::Encode(w, out);
      return result;
    }
    case zk::kMultiRead: {
      std::vector<std::pair<int32_t, std::string>> ops;
      if (!DecodeMultiRead(request, &ops)) {
        // As ZooKeeper 3.8 answers on the wire: a record of write ops only decodes there (as a
        // transaction) and fails on its first op, so the reply carries the empty result list;
        // a record that mixes reads and writes, or does not decode, gets no body at all.
        std::vector<WriteOp> writes;
        bool only_writes = DecodeMulti(request, &writes) && !writes.empty();
        result = fail(zk::kMarshallingError);
        if (only_writes) zk::Encode(w, zk::MultiHeader{-1, true, -1});
        return result;
      }
      for (const auto& [op_type, p] : ops) {
        const Znode* n = tree_.Find(p);
        int32_t err = n == nullptr                                 ? zk::kNoNode
                      : !acl::Permits(*n->acl, zk::kPermRead, ids) ? zk::kNoAuth
                                                                   : zk::kOk;
        if (err != zk::kOk) {
          zk::Encode(w, zk::MultiHeader{zk::kError, false, err});
          w.WriteInt(err);
          continue;
        }
        zk::Encode(w, zk::MultiHeader{op_type, false, zk::kOk});
        if (op_type == zk::kGetData) {
          EncodeData(w, *n);
        } else {
          EncodeChildren(w, *n);
        }
      }
      zk::Encode(w, zk::MultiHeader{-1, true, -1});
      return result;
    }
    default:
      return fail(zk::kUnimplemented);
  }
}

}  // namespace corral

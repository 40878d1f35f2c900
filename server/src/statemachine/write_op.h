#pragma once
// WriteOp: one decoded write request (alone or inside a multi). Decoding is separate from
// applying so the node can refuse a malformed request before it is ever logged.
#include <string>
#include <vector>

#include "jute/reader.h"
#include "zk/records.h"

namespace corral {

struct WriteOp {
  int32_t type = 0;
  zk::CreateRequest create;  // create, create2, createContainer, createTTL
  zk::DeleteRequest del;     // delete, deleteContainer (version unused)
  zk::SetDataRequest set_data;
  zk::SetAclRequest set_acl;
  zk::CheckVersionRequest check;
  // In a multi: a create whose flags ask for a TTL but whose record has none.
  bool ttl_without_record = false;
};

// Decodes the body of a single write request of `type`. False for a type that is not a single
// write or a body that does not decode.
bool DecodeWriteOp(int32_t type, jute::Reader& r, WriteOp* op);
// Decodes a multi (MultiHeader + op, ..., terminating header). Only write ops are allowed.
bool DecodeMulti(const std::string& request, std::vector<WriteOp>* ops);
// Decodes a multiRead: only getChildren and getData ops, returned as (type, path).
bool DecodeMultiRead(const std::string& request, std::vector<std::pair<int32_t, std::string>>* ops);

}  // namespace corral

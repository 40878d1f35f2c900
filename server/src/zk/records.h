#pragma once
// The jute records of ZooKeeper's client protocol (zookeeper.jute), as plain structs with a
// Decode (bounded, sticky-failure Reader) and an Encode. Field order is the wire order.
#include <cstdint>
#include <string>
#include <vector>

#include "jute/reader.h"
#include "jute/writer.h"

namespace corral::zk {

struct Id {
  std::string scheme;
  std::string id;
  bool operator==(const Id&) const = default;
};

struct Acl {
  int32_t perms = 0;
  Id id;
  bool operator==(const Acl&) const = default;
};
using AclList = std::vector<Acl>;

struct Stat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeral_owner = 0;
  int32_t data_length = 0;
  int32_t num_children = 0;
  int64_t pzxid = 0;
  bool operator==(const Stat&) const = default;
};

struct ConnectRequest {
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string passwd;
  bool read_only = false;
  bool has_read_only = false;  // old clients omit the trailing boolean
};

struct ConnectResponse {
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;
  int64_t session_id = 0;
  std::string passwd;
  bool read_only = false;
  bool has_read_only = true;  // answered only to clients that sent the flag themselves
};

struct RequestHeader {
  int32_t xid = 0;
  int32_t type = 0;
};

struct ReplyHeader {
  int32_t xid = 0;
  int64_t zxid = 0;
  int32_t err = 0;
};

struct MultiHeader {
  int32_t type = 0;
  bool done = false;
  int32_t err = 0;
};

struct WatcherEvent {
  int32_t type = 0;
  int32_t state = 0;
  std::string path;
};

// Requests.
struct PathWatchRequest {  // exists, getData, getChildren, getChildren2
  std::string path;
  bool watch = false;
};
struct PathRequest {  // getACL, sync, getAllChildrenNumber, getEphemerals, deleteContainer
  std::string path;
};
struct CreateRequest {  // create, create2, createContainer, createTTL (ttl only for createTTL)
  std::string path;
  std::string data;
  bool data_null = false;
  AclList acl;
  int32_t flags = 0;
  int64_t ttl = -1;
};
struct DeleteRequest {
  std::string path;
  int32_t version = -1;
};
struct SetDataRequest {
  std::string path;
  std::string data;
  bool data_null = false;
  int32_t version = -1;
};
struct SetAclRequest {
  std::string path;
  AclList acl;
  int32_t version = -1;
};
struct CheckVersionRequest {
  std::string path;
  int32_t version = -1;
};
struct AuthPacket {
  int32_t type = 0;
  std::string scheme;
  std::string auth;
};
struct SetWatchesRequest {  // setWatches (3 lists) and setWatches2 (5 lists)
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  std::vector<std::string> persistent_watches;
  std::vector<std::string> persistent_recursive_watches;
};
struct WatchesRequest {  // checkWatches, removeWatches: path + WatcherType
  std::string path;
  int32_t type = 0;
};
struct AddWatchRequest {
  std::string path;
  int32_t mode = 0;
};
struct ReconfigRequest {
  std::string joining_servers;
  std::string leaving_servers;
  std::string new_members;
  int64_t cur_config_id = -1;
};

// Decode/encode. Decode returns false when the frame is malformed (short, negative length...).
void Decode(jute::Reader& r, Id* v);
void Decode(jute::Reader& r, Acl* v);
void Decode(jute::Reader& r, AclList* v);
void Decode(jute::Reader& r, Stat* v);
void Decode(jute::Reader& r, RequestHeader* v);
void Decode(jute::Reader& r, ReplyHeader* v);
void Decode(jute::Reader& r, MultiHeader* v);
void Decode(jute::Reader& r, WatcherEvent* v);
void Decode(jute::Reader& r, PathWatchRequest* v);
void Decode(jute::Reader& r, PathRequest* v);
// has_ttl: the record is CreateTTLRequest (one more long at the end).
void Decode(jute::Reader& r, CreateRequest* v, bool has_ttl);
void Decode(jute::Reader& r, DeleteRequest* v);
void Decode(jute::Reader& r, SetDataRequest* v);
void Decode(jute::Reader& r, SetAclRequest* v);
void Decode(jute::Reader& r, CheckVersionRequest* v);
void Decode(jute::Reader& r, AuthPacket* v);
// v2: the record is SetWatches2 (five lists).
void Decode(jute::Reader& r, SetWatchesRequest* v, bool v2);
void Decode(jute::Reader& r, WatchesRequest* v);
void Decode(jute::Reader& r, AddWatchRequest* v);
void Decode(jute::Reader& r, ReconfigRequest* v);
void Decode(jute::Reader& r, std::vector<std::string>* v);
// The optional trailing readOnly flag is read if present.
void Decode(jute::Reader& r, ConnectRequest* v);
void Decode(jute::Reader& r, ConnectResponse* v);

void Encode(jute::Writer& w, const Id& v);
void Encode(jute::Writer& w, const Acl& v);
void Encode(jute::Writer& w, const AclList& v);
void Encode(jute::Writer& w, const Stat& v);
void Encode(jute::Writer& w, const RequestHeader& v);
void Encode(jute::Writer& w, const ReplyHeader& v);
void Encode(jute::Writer& w, const MultiHeader& v);
void Encode(jute::Writer& w, const WatcherEvent& v);
void Encode(jute::Writer& w, const PathWatchRequest& v);
void Encode(jute::Writer& w, const PathRequest& v);
void Encode(jute::Writer& w, const CreateRequest& v, bool has_ttl);
void Encode(jute::Writer& w, const DeleteRequest& v);
void Encode(jute::Writer& w, const SetDataRequest& v);
void Encode(jute::Writer& w, const SetAclRequest& v);
void Encode(jute::Writer& w, const CheckVersionRequest& v);
void Encode(jute::Writer& w, const AuthPacket& v);
void Encode(jute::Writer& w, const SetWatchesRequest& v, bool v2);
void Encode(jute::Writer& w, const WatchesRequest& v);
void Encode(jute::Writer& w, const AddWatchRequest& v);
void Encode(jute::Writer& w, const ReconfigRequest& v);
void Encode(jute::Writer& w, const std::vector<std::string>& v);
void Encode(jute::Writer& w, const ConnectRequest& v);
void Encode(jute::Writer& w, const ConnectResponse& v);

}  // namespace corral::zk

#include "zk/records.h"

namespace corral::zk {

using jute::Reader;
using jute::Writer;

// Smallest encodings, used to bound vector counts before allocating.
constexpr size_t kMinStringBytes = 4;
constexpr size_t kMinAclBytes = 4 + 4 + 4;

void Decode(Reader& r, Id* v) {
  v->scheme = r.ReadString();
  v->id = r.ReadString();
}
void Decode(Reader& r, Acl* v) {
  v->perms = r.ReadInt();
  Decode(r, &v->id);
}
void Decode(Reader& r, AclList* v) {
  int32_t n = r.ReadCount(kMinAclBytes);
  v->clear();
  v->reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    Acl a;
    Decode(r, &a);
    v->push_back(std::move(a));
  }
}
void Decode(Reader& r, std::vector<std::string>* v) {
  int32_t n = r.ReadCount(kMinStringBytes);
  v->clear();
  v->reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) v->push_back(r.ReadString());
}
void Decode(Reader& r, Stat* v) {
  v->czxid = r.ReadLong();
  v->mzxid = r.ReadLong();
  v->ctime = r.ReadLong();
  v->mtime = r.ReadLong();
  v->version = r.ReadInt();
  v->cversion = r.ReadInt();
  v->aversion = r.ReadInt();
  v->ephemeral_owner = r.ReadLong();
  v->data_length = r.ReadInt();
  v->num_children = r.ReadInt();
  v->pzxid = r.ReadLong();
}
void Decode(Reader& r, RequestHeader* v) {
  v->xid = r.ReadInt();
  v->type = r.ReadInt();
}
void Decode(Reader& r, ReplyHeader* v) {
  v->xid = r.ReadInt();
  v->zxid = r.ReadLong();
  v->err = r.ReadInt();
}
void Decode(Reader& r, MultiHeader* v) {
  v->type = r.ReadInt();
  v->done = r.ReadBool();
  v->err = r.ReadInt();
}
void Decode(Reader& r, WatcherEvent* v) {
  v->type = r.ReadInt();
  v->state = r.ReadInt();
  v->path = r.ReadNonNullString();
}
void Decode(Reader& r, PathWatchRequest* v) {
  v->path = r.ReadNonNullString();
  v->watch = r.ReadBool();
}
void Decode(Reader& r, PathRequest* v) { v->path = r.ReadNonNullString(); }
void Decode(Reader& r, CreateRequest* v, bool has_ttl) {
  v->path = r.ReadNonNullString();
  auto data = r.ReadNullableBuffer();
  v->data_null = !data.has_value();
  v->data = data ? std::move(*data) : std::string();
  Decode(r, &v->acl);
  v->flags = r.ReadInt();
  v->ttl = has_ttl ? r.ReadLong() : -1;
}
void Decode(Reader& r, DeleteRequest* v) {
  v->path = r.ReadNonNullString();
  v->version = r.ReadInt();
}
void Decode(Reader& r, SetDataRequest* v) {
  v->path = r.ReadNonNullString();
  auto data = r.ReadNullableBuffer();
  v->data_null = !data.has_value();
  v->data = data ? std::move(*data) : std::string();
  v->version = r.ReadInt();
}
void Decode(Reader& r, SetAclRequest* v) {
  v->path = r.ReadNonNullString();
  Decode(r, &v->acl);
  v->version = r.ReadInt();
}
void Decode(Reader& r, CheckVersionRequest* v) {
  v->path = r.ReadNonNullString();
  v->version = r.ReadInt();
}
void Decode(Reader& r, AuthPacket* v) {
  v->type = r.ReadInt();
  v->scheme = r.ReadString();
  v->auth = r.ReadBuffer();
}
void Decode(Reader& r, SetWatchesRequest* v, bool v2) {
  v->relative_zxid = r.ReadLong();
  Decode(r, &v->data_watches);
  Decode(r, &v->exist_watches);
  Decode(r, &v->child_watches);
  if (v2) {
    Decode(r, &v->persistent_watches);
    Decode(r, &v->persistent_recursive_watches);
  }
}
void Decode(Reader& r, WatchesRequest* v) {
  v->path = r.ReadNonNullString();
  v->type = r.ReadInt();
}
void Decode(Reader& r, AddWatchRequest* v) {
  v->path = r.ReadNonNullString();
  v->mode = r.ReadInt();
}
void Decode(Reader& r, ReconfigRequest* v) {
  v->joining_servers = r.ReadString();
  v->leaving_servers = r.ReadString();
  v->new_members = r.ReadString();
  v->cur_config_id = r.ReadLong();
}
void Decode(Reader& r, ConnectRequest* v) {
  v->protocol_version = r.ReadInt();
  v->last_zxid_seen = r.ReadLong();
  v->timeout_ms = r.ReadInt();
  v->session_id = r.ReadLong();
  v->passwd = r.ReadBuffer();
  v->has_read_only = r.remaining() >= 1;
  v->read_only = v->has_read_only ? r.ReadBool() : false;
}
void Decode(Reader& r, ConnectResponse* v) {
  v->protocol_version = r.ReadInt();
  v->timeout_ms = r.ReadInt();
  v->session_id = r.ReadLong();
  v->passwd = r.ReadBuffer();
  v->has_read_only = r.remaining() >= 1;
  v->read_only = v->has_read_only ? r.ReadBool() : false;
}

void Encode(Writer& w, const Id& v) {
  w.WriteString(v.scheme);
  w.WriteString(v.id);
}
void Encode(Writer& w, const Acl& v) {
  w.WriteInt(v.perms);
  Encode(w, v.id);
}
void Encode(Writer& w, const AclList& v) {
  w.WriteInt(static_cast<int32_t>(v.size()));
  for (const auto& a : v) Encode(w, a);
}
void Encode(Writer& w, const std::vector<std::string>& v) {
  w.WriteInt(static_cast<int32_t>(v.size()));
  for (const auto& s : v) w.WriteString(s);
}
void Encode(Writer& w, const Stat& v) {
  w.WriteLong(v.czxid);
  w.WriteLong(v.mzxid);
  w.WriteLong(v.ctime);
  w.WriteLong(v.mtime);
  w.WriteInt(v.version);
  w.WriteInt(v.cversion);
  w.WriteInt(v.aversion);
  w.WriteLong(v.ephemeral_owner);
  w.WriteInt(v.data_length);
  w.WriteInt(v.num_children);
  w.WriteLong(v.pzxid);
}
void Encode(Writer& w, const RequestHeader& v) {
  w.WriteInt(v.xid);
  w.WriteInt(v.type);
}
void Encode(Writer& w, const ReplyHeader& v) {
  w.WriteInt(v.xid);
  w.WriteLong(v.zxid);
  w.WriteInt(v.err);
}
void Encode(Writer& w, const MultiHeader& v) {
  w.WriteInt(v.type);
  w.WriteBool(v.done);
  w.WriteInt(v.err);
}
void Encode(Writer& w, const WatcherEvent& v) {
  w.WriteInt(v.type);
  w.WriteInt(v.state);
  w.WriteString(v.path);
}
void Encode(Writer& w, const PathWatchRequest& v) {
  w.WriteString(v.path);
  w.WriteBool(v.watch);
}
void Encode(Writer& w, const PathRequest& v) { w.WriteString(v.path); }
void Encode(Writer& w, const CreateRequest& v, bool has_ttl) {
  w.WriteString(v.path);
  if (v.data_null)
    w.WriteNullBuffer();
  else
    w.WriteBuffer(v.data);
  Encode(w, v.acl);
  w.WriteInt(v.flags);
  if (has_ttl) w.WriteLong(v.ttl);
}
void Encode(Writer& w, const DeleteRequest& v) {
  w.WriteString(v.path);
  w.WriteInt(v.version);
}
void Encode(Writer& w, const SetDataRequest& v) {
  w.WriteString(v.path);
  if (v.data_null)
    w.WriteNullBuffer();
  else
    w.WriteBuffer(v.data);
  w.WriteInt(v.version);
}
void Encode(Writer& w, const SetAclRequest& v) {
  w.WriteString(v.path);
  Encode(w, v.acl);
  w.WriteInt(v.version);
}
void Encode(Writer& w, const CheckVersionRequest& v) {
  w.WriteString(v.path);
  w.WriteInt(v.version);
}
void Encode(Writer& w, const AuthPacket& v) {
  w.WriteInt(v.type);
  w.WriteString(v.scheme);
  w.WriteBuffer(v.auth);
}
void Encode(Writer& w, const SetWatchesRequest& v, bool v2) {
  w.WriteLong(v.relative_zxid);
  Encode(w, v.data_watches);
  Encode(w, v.exist_watches);
  Encode(w, v.child_watches);
  if (v2) {
    Encode(w, v.persistent_watches);
    Encode(w, v.persistent_recursive_watches);
  }
}
void Encode(Writer& w, const WatchesRequest& v) {
  w.WriteString(v.path);
  w.WriteInt(v.type);
}
void Encode(Writer& w, const AddWatchRequest& v) {
  w.WriteString(v.path);
  w.WriteInt(v.mode);
}
void Encode(Writer& w, const ReconfigRequest& v) {
  w.WriteString(v.joining_servers);
  w.WriteString(v.leaving_servers);
  w.WriteString(v.new_members);
  w.WriteLong(v.cur_config_id);
}
void Encode(Writer& w, const ConnectRequest& v) {
  w.WriteInt(v.protocol_version);
  w.WriteLong(v.last_zxid_seen);
  w.WriteInt(v.timeout_ms);
  w.WriteLong(v.session_id);
  w.WriteBuffer(v.passwd);
  if (v.has_read_only) w.WriteBool(v.read_only);
}
void Encode(Writer& w, const ConnectResponse& v) {
  w.WriteInt(v.protocol_version);
  w.WriteInt(v.timeout_ms);
  w.WriteLong(v.session_id);
  w.WriteBuffer(v.passwd);
  if (v.has_read_only) w.WriteBool(v.read_only);
}

}  // namespace corral::zk

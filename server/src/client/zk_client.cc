#include "client/zk_client.h"

#include "jute/reader.h"
#include "jute/writer.h"
#include "zk/codes.h"

namespace corral::client {
namespace {

template <typename Request>
std::string Body(const Request& request) {
  std::string body;
  jute::Writer w(&body);
  zk::Encode(w, request);
  return body;
}

std::string PathWatchBody(const std::string& path, bool watch) {
  return Body(zk::PathWatchRequest{path, watch});
}

// The fields that come before a Stat in ZooKeeper's responses.
void DecodeField(jute::Reader& r, std::optional<std::string>* data) {  // GetDataResponse
  *data = r.ReadNullableBuffer();
}
void DecodeField(jute::Reader& r, std::string* path) { *path = r.ReadString(); }  // Create2
void DecodeField(jute::Reader& r, std::vector<std::string>* names) { zk::Decode(r, names); }
void DecodeField(jute::Reader& r, zk::AclList* acl) { zk::Decode(r, acl); }

// A response of one field then a Stat. A reply whose record does not decode is answered
// MARSHALLINGERROR, as ZooKeeper's client reports a garbled packet; the out-parameters are
// written only on success (either may be null).
template <typename Field>
int32_t DecodeWithStat(const std::string& body, Field* field, zk::Stat* stat) {
  jute::Reader r(body);
  Field value;
  DecodeField(r, &value);
  zk::Stat s;
  zk::Decode(r, &s);
  if (!r.ok()) return zk::kMarshallingError;
  if (field != nullptr) *field = std::move(value);
  if (stat != nullptr) *stat = s;
  return zk::kOk;
}

int32_t DecodeStat(const std::string& body, zk::Stat* stat) {
  jute::Reader r(body);
  zk::Stat s;
  zk::Decode(r, &s);
  if (!r.ok()) return zk::kMarshallingError;
  if (stat != nullptr) *stat = s;
  return zk::kOk;
}

}  // namespace

Reply ZkClient::Call(int32_t opcode, const std::string& body, WatchKind watch,
                     const std::string& watch_path) {
  return session_->Call(opcode, body, request_timeout_ms_, watch, watch_path);
}

int32_t ZkClient::Create(const std::string& path, std::optional<std::string_view> data,
                         const zk::AclList& acl, const CreateOptions& options,
                         std::string* created_path, zk::Stat* stat) {
  zk::CreateRequest req;
  req.path = path;
  req.data_null = !data.has_value();
  if (data) req.data = std::string(*data);
  req.acl = acl;
  req.flags = options.mode;
  int32_t opcode = zk::kCreate2;
  if (options.mode == zk::kContainer) opcode = zk::kCreateContainer;
  if (zk::IsTtlMode(options.mode)) {
    opcode = zk::kCreateTtl;
    req.ttl = options.ttl_ms;
  }
  std::string body;
  jute::Writer w(&body);
  zk::Encode(w, req, /*has_ttl=*/opcode == zk::kCreateTtl);
  Reply reply = Call(opcode, body);
  if (reply.err != zk::kOk) return reply.err;
  return DecodeWithStat(reply.body, created_path, stat);  // Create2Response
}

int32_t ZkClient::Delete(const std::string& path, int32_t version) {
  return Call(zk::kDelete, Body(zk::DeleteRequest{path, version})).err;
}

int32_t ZkClient::Exists(const std::string& path, bool watch, zk::Stat* stat) {
  Reply reply = Call(zk::kExists, PathWatchBody(path, watch),
                     watch ? WatchKind::kExists : WatchKind::kNone, path);
  if (reply.err != zk::kOk) return reply.err;
  return DecodeStat(reply.body, stat);
}

int32_t ZkClient::GetData(const std::string& path, bool watch, std::optional<std::string>* data,
                          zk::Stat* stat) {
  Reply reply = Call(zk::kGetData, PathWatchBody(path, watch),
                     watch ? WatchKind::kData : WatchKind::kNone, path);
  if (reply.err != zk::kOk) return reply.err;
  return DecodeWithStat(reply.body, data, stat);
}

int32_t ZkClient::SetData(const std::string& path, std::string_view data, int32_t version,
                          zk::Stat* stat) {
  zk::SetDataRequest req;
  req.path = path;
  req.data = std::string(data);
  req.version = version;
  Reply reply = Call(zk::kSetData, Body(req));
  if (reply.err != zk::kOk) return reply.err;
  return DecodeStat(reply.body, stat);
}

int32_t ZkClient::GetChildren(const std::string& path, bool watch,
                              std::vector<std::string>* children, zk::Stat* stat) {
  Reply reply = Call(zk::kGetChildren2, PathWatchBody(path, watch),
                     watch ? WatchKind::kChild : WatchKind::kNone, path);
  if (reply.err != zk::kOk) return reply.err;
  return DecodeWithStat(reply.body, children, stat);
}

int32_t ZkClient::GetAcl(const std::string& path, zk::AclList* acl, zk::Stat* stat) {
  Reply reply = Call(zk::kGetAcl, Body(zk::PathRequest{path}));
  if (reply.err != zk::kOk) return reply.err;
  return DecodeWithStat(reply.body, acl, stat);
}

int32_t ZkClient::SetAcl(const std::string& path, const zk::AclList& acl, int32_t aversion,
                         zk::Stat* stat) {
  Reply reply = Call(zk::kSetAcl, Body(zk::SetAclRequest{path, acl, aversion}));
  if (reply.err != zk::kOk) return reply.err;
  return DecodeStat(reply.body, stat);
}

int32_t ZkClient::Sync(const std::string& path) {
  return Call(zk::kSync, Body(zk::PathRequest{path})).err;
}

int32_t ZkClient::AddWatch(const std::string& path, int32_t mode) {
  WatchKind kind = mode == zk::kAddWatchPersistentRecursive ? WatchKind::kPersistentRecursive
                                                            : WatchKind::kPersistent;
  return Call(zk::kAddWatch, Body(zk::AddWatchRequest{path, mode}), kind, path).err;
}

int32_t ZkClient::RemoveAllWatches(const std::string& path) {
  return Call(zk::kRemoveWatches, Body(zk::WatchesRequest{path, zk::kWatcherAny}),
              WatchKind::kRemoved, path)
      .err;
}

int32_t ZkClient::AddAuth(const std::string& scheme, const std::string& auth) {
  return session_->AddAuth(scheme, auth, request_timeout_ms_);
}

int32_t ZkClient::Reconfig(const zk::ReconfigRequest& request, std::string* config,
                           zk::Stat* stat) {
  Reply reply = Call(zk::kReconfig, Body(request));
  if (reply.err != zk::kOk) return reply.err;
  std::optional<std::string> data;
  int32_t err = DecodeWithStat(reply.body, &data, stat);  // a GetDataResponse
  if (err == zk::kOk && config != nullptr) *config = data.value_or("");
  return err;
}

int32_t ZkClient::WhoAmI(std::vector<std::pair<std::string, std::string>>* identities) {
  Reply reply = Call(zk::kWhoAmI, "");
  if (reply.err != zk::kOk) return reply.err;
  // WhoAmIResponse: a vector of ClientInfo {ustring authScheme; ustring user}.
  jute::Reader r(reply.body);
  int32_t count = r.ReadCount(8);
  std::vector<std::pair<std::string, std::string>> out;
  for (int32_t i = 0; i < count && r.ok(); ++i) {
    std::string scheme = r.ReadString();
    std::string user = r.ReadString();
    out.emplace_back(std::move(scheme), std::move(user));
  }
  if (!r.ok()) return zk::kMarshallingError;
  if (identities != nullptr) *identities = std::move(out);
  return zk::kOk;
}

}  // namespace corral::client

#pragma once
// ZkClient: ZooKeeper's client operations, typed, over a Session. Each call blocks until the
// reply and returns ZooKeeper's error code (zk::Err; kOk on success) — NONODE, NODEEXISTS and
// the like are answers, not failures of the client. Results go to the out-parameters (any may
// be null), which are left untouched unless the call returns kOk.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/session.h"
#include "zk/records.h"

namespace corral::client {

struct CreateOptions {
  int32_t mode = 0;     // zk::CreateFlags
  int64_t ttl_ms = -1;  // only for the TTL modes
};

class ZkClient {
 public:
  // request_timeout_ms bounds every call.
  ZkClient(Session* session, int request_timeout_ms)
      : session_(session), request_timeout_ms_(request_timeout_ms) {}

  Session& session() { return *session_; }

  // create2 / createContainer / createTTL, whichever the mode needs. created_path: the name
  // the server gave (with the sequential suffix).
  [[nodiscard]] int32_t Create(const std::string& path, std::optional<std::string_view> data,
                               const zk::AclList& acl, const CreateOptions& options,
                               std::string* created_path, zk::Stat* stat);
  [[nodiscard]] int32_t Delete(const std::string& path, int32_t version);
  // watch: leaves a data watch if the node exists, an exist watch if it does not.
  [[nodiscard]] int32_t Exists(const std::string& path, bool watch, zk::Stat* stat);
  // data: nullopt when the znode's data is null.
  [[nodiscard]] int32_t GetData(const std::string& path, bool watch,
                                std::optional<std::string>* data, zk::Stat* stat);
  [[nodiscard]] int32_t SetData(const std::string& path, std::string_view data, int32_t version,
                                zk::Stat* stat);
  // getChildren2: the names (unsorted, as the server keeps them) and the parent's Stat.
  [[nodiscard]] int32_t GetChildren(const std::string& path, bool watch,
                                    std::vector<std::string>* children, zk::Stat* stat);
  [[nodiscard]] int32_t GetAcl(const std::string& path, zk::AclList* acl, zk::Stat* stat);
  [[nodiscard]] int32_t SetAcl(const std::string& path, const zk::AclList& acl, int32_t aversion,
                               zk::Stat* stat);
  [[nodiscard]] int32_t Sync(const std::string& path);
  // mode: zk::AddWatchMode.
  [[nodiscard]] int32_t AddWatch(const std::string& path, int32_t mode);
  // Removes this session's watches of every kind on path (NOWATCHER if there is none).
  [[nodiscard]] int32_t RemoveAllWatches(const std::string& path);
  [[nodiscard]] int32_t AddAuth(const std::string& scheme, const std::string& auth);
  // The new configuration (as /zookeeper/config holds it) and its Stat.
  [[nodiscard]] int32_t Reconfig(const zk::ReconfigRequest& request, std::string* config,
                                 zk::Stat* stat);
  // The identities of this connection: (scheme, id) pairs.
  [[nodiscard]] int32_t WhoAmI(std::vector<std::pair<std::string, std::string>>* identities);

 private:
  Reply Call(int32_t opcode, const std::string& body, WatchKind watch = WatchKind::kNone,
             const std::string& watch_path = "");

  Session* session_;
  int request_timeout_ms_;
};

}  // namespace corral::client

#pragma once
// How corralctl shows what ZooKeeper returns, as text and as JSON: data bytes, Stat, ACLs,
// watch events and error names. Pure functions, unit-tested.
//
// Data as text: printed as is when the bytes are valid UTF-8, otherwise every byte outside
// printable ASCII becomes \xNN (and a backslash \\), so binary data never garbles a terminal.
// Data as JSON: "data_base64" holds the exact bytes in base64 (null when the znode's data is
// null) and "data_text" the same bytes as a string when they are valid UTF-8 (else null).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/base64.h"
#include "base/hex.h"
#include "base/status.h"
#include "ctl/json_writer.h"
#include "zk/records.h"

namespace corral::ctl {

bool IsValidUtf8(std::string_view bytes);
std::string DataText(std::string_view bytes);
// Adds "data_base64" and "data_text" to the open JSON object.
void DataJson(JsonWriter& json, const std::optional<std::string>& data);

// zkCli.sh's Stat lines ("cZxid = 0x..."); times as ISO-8601 UTC with milliseconds.
std::string StatText(const zk::Stat& stat);
// The Stat as a JSON object with ZooKeeper's field names (czxid, mzxid, ctime, mtime, version,
// cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid), all numbers.
void StatJson(JsonWriter& json, const zk::Stat& stat);
std::string TimeText(int64_t epoch_ms);

// Permissions as zkCli writes them: a subset of "cdrwa" in that order.
std::string PermsText(int32_t perms);
StatusOr<int32_t> ParsePerms(std::string_view text);
// zkCli's ACL syntax: "scheme:id:perms[,scheme:id:perms...]", e.g. "world:anyone:cdrwa" or
// "digest:user:base64hash=:rw"; the id may itself contain ':'.
StatusOr<zk::AclList> ParseAclList(std::string_view text);
std::string AclText(const zk::Acl& acl);  // "scheme:id:perms", the same syntax
void AclJson(JsonWriter& json, const zk::AclList& acl);

// KeeperException.Code's names: "NoNode", "NodeExists", "BadVersion", "NoAuth", ...
std::string ZkErrorName(int32_t err);
// Watcher.Event.EventType and KeeperState names: "NodeDataChanged", "SyncConnected".
std::string EventTypeName(int32_t type);
std::string KeeperStateName(int32_t state);

}  // namespace corral::ctl

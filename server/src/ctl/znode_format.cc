#include "ctl/znode_format.h"

#include <ctime>

#include "zk/codes.h"

namespace corral::ctl {

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<unsigned char>(bytes[i]);
    size_t extra;
    uint32_t min;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= bytes.size()) return false;  // cut short
    for (size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(bytes[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string DataText(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void DataJson(JsonWriter& json, const std::optional<std::string>& data) {
  json.Key("data_base64");
  if (data) {
    json.String(Base64Encode(*data));
  } else {
    json.Null();
  }
  json.Key("data_text");
  if (data && IsValidUtf8(*data)) {
    json.String(*data);
  } else {
    json.Null();
  }
}

std::string TimeText(int64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(epoch_ms % 1000));
  return buf;
}

std::string StatText(const zk::Stat& s) {
  std::string out;
  out += "cZxid = " + Hex(s.czxid) + "\n";
  out += "ctime = " + TimeText(s.ctime) + "\n";
  out += "mZxid = " + Hex(s.mzxid) + "\n";
  out += "mtime = " + TimeText(s.mtime) + "\n";
  out += "pZxid = " + Hex(s.pzxid) + "\n";
  out += "cversion = " + std::to_string(s.cversion) + "\n";
  out += "dataVersion = " + std::to_string(s.version) + "\n";
  out += "aclVersion = " + std::to_string(s.aversion) + "\n";
  out += "ephemeralOwner = " + Hex(s.ephemeral_owner) + "\n";
  out += "dataLength = " + std::to_string(s.data_length) + "\n";
  out += "numChildren = " + std::to_string(s.num_children) + "\n";
  return out;
}

void StatJson(JsonWriter& json, const zk::Stat& s) {
  json.BeginObject()
      .Key("czxid")
      .Int(s.czxid)
      .Key("mzxid")
      .Int(s.mzxid)
      .Key("ctime")
      .Int(s.ctime)
      .Key("mtime")
      .Int(s.mtime)
      .Key("version")
      .Int(s.version)
      .Key("cversion")
      .Int(s.cversion)
      .Key("aversion")
      .Int(s.aversion)
      .Key("ephemeralOwner")
      .Int(s.ephemeral_owner)
      .Key("dataLength")
      .Int(s.data_length)
      .Key("numChildren")
      .Int(s.num_children)
      .Key("pzxid")
      .Int(s.pzxid)
      .EndObject();
}

namespace {
struct PermLetter {
  char letter;
  int32_t bit;
};
constexpr PermLetter kPermLetters[] = {{'c', zk::kPermCreate},
                                       {'d', zk::kPermDelete},
                                       {'r', zk::kPermRead},
                                       {'w', zk::kPermWrite},
                                       {'a', zk::kPermAdmin}};
}  // namespace

std::string PermsText(int32_t perms) {
  std::string out;
  for (const auto& p : kPermLetters) {
    if (perms & p.bit) out += p.letter;
  }
  return out;
}

StatusOr<int32_t> ParsePerms(std::string_view text) {
  int32_t perms = 0;
  for (char c : text) {
    bool known = false;
    for (const auto& p : kPermLetters) {
      if (p.letter == c) {
        perms |= p.bit;
        known = true;
      }
    }
    if (!known) {
      return Status::InvalidArgument("unknown permission '" + std::string(1, c) + "' in \"" +
                                     std::string(text) + "\" (use letters of cdrwa)");
    }
  }
  return perms;
}

StatusOr<zk::AclList> ParseAclList(std::string_view text) {
  zk::AclList acl;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t first = item.find(':');
    size_t last = item.rfind(':');
    if (first == std::string_view::npos || first == last) {
      return Status::InvalidArgument("\"" + std::string(item) +
                                     "\" is not an ACL of the form scheme:id:perms");
    }
    auto perms = ParsePerms(item.substr(last + 1));
    if (!perms.ok()) return perms.status();
    acl.push_back(zk::Acl{*perms, zk::Id{std::string(item.substr(0, first)),
                                         std::string(item.substr(first + 1, last - first - 1))}});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return acl;
}

std::string AclText(const zk::Acl& acl) {
  return acl.id.scheme + ":" + acl.id.id + ":" + PermsText(acl.perms);
}

void AclJson(JsonWriter& json, const zk::AclList& acl) {
  json.BeginArray();
  for (const auto& a : acl) {
    json.BeginObject()
        .Key("scheme")
        .String(a.id.scheme)
        .Key("id")
        .String(a.id.id)
        .Key("perms")
        .String(PermsText(a.perms))
        .Key("perms_bits")
        .Int(a.perms)
        .EndObject();
  }
  json.EndArray();
}

std::string ZkErrorName(int32_t err) {
  switch (err) {
    case zk::kOk:
      return "OK";
    case zk::kSystemError:
      return "SystemError";
    case zk::kRuntimeInconsistency:
      return "RuntimeInconsistency";
    case zk::kDataInconsistency:
      return "DataInconsistency";
    case zk::kConnectionLoss:
      return "ConnectionLoss";
    case zk::kMarshallingError:
      return "MarshallingError";
    case zk::kUnimplemented:
      return "Unimplemented";
    case zk::kOperationTimeout:
      return "OperationTimeout";
    case zk::kBadArguments:
      return "BadArguments";
    case zk::kUnknownSession:
      return "UnknownSession";
    case zk::kNewConfigNoQuorum:
      return "NewConfigNoQuorum";
    case zk::kReconfigInProgress:
      return "ReconfigInProgress";
    case zk::kApiError:
      return "APIError";
    case zk::kNoNode:
      return "NoNode";
    case zk::kNoAuth:
      return "NoAuth";
    case zk::kBadVersion:
      return "BadVersion";
    case zk::kNoChildrenForEphemerals:
      return "NoChildrenForEphemerals";
    case zk::kNodeExists:
      return "NodeExists";
    case zk::kNotEmpty:
      return "NotEmpty";
    case zk::kSessionExpired:
      return "SessionExpired";
    case zk::kInvalidCallback:
      return "InvalidCallback";
    case zk::kInvalidAcl:
      return "InvalidACL";
    case zk::kAuthFailed:
      return "AuthFailed";
    case zk::kSessionMoved:
      return "SessionMoved";
    case zk::kNotReadOnly:
      return "NotReadOnly";
    case zk::kEphemeralOnLocalSession:
      return "EphemeralOnLocalSession";
    case zk::kNoWatcher:
      return "NoWatcher";
    case zk::kRequestTimeout:
      return "RequestTimeout";
    case zk::kReconfigDisabled:
      return "ReconfigDisabled";
    case zk::kSessionClosedRequireSaslAuth:
      return "SessionClosedRequireSaslAuth";
    case zk::kQuotaExceeded:
      return "QuotaExceeded";
    case zk::kThrottledOp:
      return "ThrottledOp";
  }
  return "Error" + std::to_string(err);
}

std::string EventTypeName(int32_t type) {
  switch (type) {
    case zk::kEventNone:
      return "None";
    case zk::kEventNodeCreated:
      return "NodeCreated";
    case zk::kEventNodeDeleted:
      return "NodeDeleted";
    case zk::kEventNodeDataChanged:
      return "NodeDataChanged";
    case zk::kEventNodeChildrenChanged:
      return "NodeChildrenChanged";
    case zk::kEventDataWatchRemoved:
      return "DataWatchRemoved";
    case zk::kEventChildWatchRemoved:
      return "ChildWatchRemoved";
    case zk::kEventPersistentWatchRemoved:
      return "PersistentWatchRemoved";
  }
  return "Event" + std::to_string(type);
}

std::string KeeperStateName(int32_t state) {
  switch (state) {
    case 0:
      return "Disconnected";
    case 3:
      return "SyncConnected";
    case 4:
      return "AuthFailed";
    case 5:
      return "ConnectedReadOnly";
    case 6:
      return "SaslAuthenticated";
    case -112:
      return "Expired";
    case 7:
      return "Closed";
  }
  return "State" + std::to_string(state);
}

}  // namespace corral::ctl

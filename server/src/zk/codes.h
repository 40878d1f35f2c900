#pragma once
// ZooKeeper's wire constants: opcodes, error codes, create modes, permissions, watch event types.
// Values are facts from ZooDefs.java / KeeperException.java / Watcher.java.
#include <cstdint>

namespace corral::zk {

enum OpCode : int32_t {
  kNotification = 0,
  kCreate = 1,
  kDelete = 2,
  kExists = 3,
  kGetData = 4,
  kSetData = 5,
  kGetAcl = 6,
  kSetAcl = 7,
  kGetChildren = 8,
  kSync = 9,
  kPing = 11,
  kGetChildren2 = 12,
  kCheck = 13,
  kMulti = 14,
  kCreate2 = 15,
  kReconfig = 16,
  kCheckWatches = 17,
  kRemoveWatches = 18,
  kCreateContainer = 19,
  kDeleteContainer = 20,
  kCreateTtl = 21,
  kMultiRead = 22,
  kAuth = 100,
  kSetWatches = 101,
  kSasl = 102,
  kGetEphemerals = 103,
  kGetAllChildrenNumber = 104,
  kSetWatches2 = 105,
  kAddWatch = 106,
  kWhoAmI = 107,
  kCreateSession = -10,
  kCloseSession = -11,
  kError = -1,
};

enum Err : int32_t {
  kOk = 0,
  kSystemError = -1,
  kRuntimeInconsistency = -2,
  kDataInconsistency = -3,
  kConnectionLoss = -4,
  kMarshallingError = -5,
  kUnimplemented = -6,
  kOperationTimeout = -7,
  kBadArguments = -8,
  kUnknownSession = -12,
  kNewConfigNoQuorum = -13,
  kReconfigInProgress = -14,
  kApiError = -100,
  kNoNode = -101,
  kNoAuth = -102,
  kBadVersion = -103,
  kNoChildrenForEphemerals = -108,
  kNodeExists = -110,
  kNotEmpty = -111,
  kSessionExpired = -112,
  kInvalidCallback = -113,
  kInvalidAcl = -114,
  kAuthFailed = -115,
  kSessionMoved = -118,
  kNotReadOnly = -119,
  kEphemeralOnLocalSession = -120,
  kNoWatcher = -121,
  kRequestTimeout = -122,
  kReconfigDisabled = -123,
  kSessionClosedRequireSaslAuth = -124,
  kQuotaExceeded = -125,
  kThrottledOp = -127,
};

// Special xids.
constexpr int32_t kXidNotification = -1;
constexpr int32_t kXidPing = -2;
constexpr int32_t kXidAuth = -4;
constexpr int32_t kXidSetWatches = -8;

// CreateMode flags as sent in CreateRequest.flags.
enum CreateFlags : int32_t {
  kPersistent = 0,
  kEphemeral = 1,
  kPersistentSequential = 2,
  kEphemeralSequential = 3,
  kContainer = 4,
  kPersistentWithTtl = 5,
  kPersistentSequentialWithTtl = 6,
};

inline bool IsTtlMode(int32_t flags) {
  return flags == kPersistentWithTtl || flags == kPersistentSequentialWithTtl;
}
inline bool IsValidCreateMode(int32_t flags) {
  return flags >= kPersistent && flags <= kPersistentSequentialWithTtl;
}

enum Perm : int32_t {
  kPermRead = 1,
  kPermWrite = 2,
  kPermCreate = 4,
  kPermDelete = 8,
  kPermAdmin = 16,
  kPermAll = 31,
};

// WatchedEvent types (Watcher.Event.EventType) and states (KeeperState).
enum EventType : int32_t {
  kEventNone = -1,
  kEventNodeCreated = 1,
  kEventNodeDeleted = 2,
  kEventNodeDataChanged = 3,
  kEventNodeChildrenChanged = 4,
  kEventDataWatchRemoved = 5,
  kEventChildWatchRemoved = 6,
  kEventPersistentWatchRemoved = 7,
};
constexpr int32_t kStateSyncConnected = 3;

// WatcherType in checkWatches/removeWatches.
enum WatcherType : int32_t { kWatcherChildren = 1, kWatcherData = 2, kWatcherAny = 3 };
// AddWatchMode.
enum AddWatchMode : int32_t { kAddWatchPersistent = 0, kAddWatchPersistentRecursive = 1 };

// ephemeralOwner markers for container and TTL nodes (EphemeralType.java).
constexpr int64_t kContainerEphemeralOwner = static_cast<int64_t>(0x8000000000000000ULL);
constexpr int64_t kTtlMask = static_cast<int64_t>(0xFF00000000000000ULL);
// TTLs live in the low 40 bits; the bits between are reserved (EphemeralType.java).
constexpr int64_t kMaxTtlMs = 0x000000FFFFFFFFFFLL;

const char* ErrName(int32_t err);
const char* OpName(int32_t op);
bool IsWriteOp(int32_t op);
// Opcodes a server accepts after the handshake (Request.isValid): anything else is answered
// UNIMPLEMENTED and the connection is closed.
bool IsKnownOpcode(int32_t op);

}  // namespace corral::zk

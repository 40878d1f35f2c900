#include "zk/codes.h"

namespace corral::zk {

const char* ErrName(int32_t err) {
  switch (err) {
    case kOk:
      return "OK";
    case kSystemError:
      return "SYSTEMERROR";
    case kRuntimeInconsistency:
      return "RUNTIMEINCONSISTENCY";
    case kDataInconsistency:
      return "DATAINCONSISTENCY";
    case kConnectionLoss:
      return "CONNECTIONLOSS";
    case kMarshallingError:
      return "MARSHALLINGERROR";
    case kUnimplemented:
      return "UNIMPLEMENTED";
    case kOperationTimeout:
      return "OPERATIONTIMEOUT";
    case kBadArguments:
      return "BADARGUMENTS";
    case kUnknownSession:
      return "UNKNOWNSESSION";
    case kNewConfigNoQuorum:
      return "NEWCONFIGNOQUORUM";
    case kReconfigInProgress:
      return "RECONFIGINPROGRESS";
    case kApiError:
      return "APIERROR";
    case kNoNode:
      return "NONODE";
    case kNoAuth:
      return "NOAUTH";
    case kBadVersion:
      return "BADVERSION";
    case kNoChildrenForEphemerals:
      return "NOCHILDRENFOREPHEMERALS";
    case kNodeExists:
      return "NODEEXISTS";
    case kNotEmpty:
      return "NOTEMPTY";
    case kSessionExpired:
      return "SESSIONEXPIRED";
    case kInvalidCallback:
      return "INVALIDCALLBACK";
    case kInvalidAcl:
      return "INVALIDACL";
    case kAuthFailed:
      return "AUTHFAILED";
    case kSessionMoved:
      return "SESSIONMOVED";
    case kNotReadOnly:
      return "NOTREADONLY";
    case kEphemeralOnLocalSession:
      return "EPHEMERALONLOCALSESSION";
    case kNoWatcher:
      return "NOWATCHER";
    case kRequestTimeout:
      return "REQUESTTIMEOUT";
    case kReconfigDisabled:
      return "RECONFIGDISABLED";
    case kSessionClosedRequireSaslAuth:
      return "SESSIONCLOSEDREQUIRESASLAUTH";
    case kQuotaExceeded:
      return "QUOTAEXCEEDED";
    case kThrottledOp:
      return "THROTTLEDOP";
  }
  return "UNKNOWN";
}

const char* OpName(int32_t op) {
  switch (op) {
    case kNotification:
      return "notification";
    case kCreate:
      return "create";
    case kDelete:
      return "delete";
    case kExists:
      return "exists";
    case kGetData:
      return "getData";
    case kSetData:
      return "setData";
    case kGetAcl:
      return "getACL";
    case kSetAcl:
      return "setACL";
    case kGetChildren:
      return "getChildren";
    case kSync:
      return "sync";
    case kPing:
      return "ping";
    case kGetChildren2:
      return "getChildren2";
    case kCheck:
      return "check";
    case kMulti:
      return "multi";
    case kCreate2:
      return "create2";
    case kReconfig:
      return "reconfig";
    case kCheckWatches:
      return "checkWatches";
    case kRemoveWatches:
      return "removeWatches";
    case kCreateContainer:
      return "createContainer";
    case kDeleteContainer:
      return "deleteContainer";
    case kCreateTtl:
      return "createTTL";
    case kMultiRead:
      return "multiRead";
    case kAuth:
      return "auth";
    case kSetWatches:
      return "setWatches";
    case kSasl:
      return "sasl";
    case kGetEphemerals:
      return "getEphemerals";
    case kGetAllChildrenNumber:
      return "getAllChildrenNumber";
    case kSetWatches2:
      return "setWatches2";
    case kAddWatch:
      return "addWatch";
    case kWhoAmI:
      return "whoAmI";
    case kCreateSession:
      return "createSession";
    case kCloseSession:
      return "closeSession";
  }
  return "unknown";
}

bool IsWriteOp(int32_t op) {
  switch (op) {
    case kCreate:
    case kCreate2:
    case kCreateContainer:
    case kCreateTtl:
    case kDelete:
    case kDeleteContainer:
    case kSetData:
    case kSetAcl:
    case kCheck:
    case kMulti:
    case kReconfig:
    case kCreateSession:
    case kCloseSession:
      return true;
    default:
      return false;
  }
}

bool IsKnownOpcode(int32_t op) {
  if (IsWriteOp(op)) return true;
  switch (op) {
    case kExists:
    case kGetData:
    case kGetAcl:
    case kGetChildren:
    case kGetChildren2:
    case kGetAllChildrenNumber:
    case kGetEphemerals:
    case kMultiRead:
    case kSync:
    case kPing:
    case kAuth:
    case kSetWatches:
    case kSetWatches2:
    case kCheckWatches:
    case kRemoveWatches:
    case kAddWatch:
    case kWhoAmI:
      return true;
    default:
      return false;
  }
}

}  // namespace corral::zk

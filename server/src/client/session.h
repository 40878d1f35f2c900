#pragma once
// Session: one ZooKeeper client session over the members of a connect string, the way
// ZooKeeper's ClientCnxn keeps one. A background I/O thread owns the TCP connection: it does the
// handshake (ConnectRequest/ConnectResponse), matches replies to requests by xid, pings so the
// session stays alive while the caller is idle, and delivers watch events to a queue. When the
// connection breaks it connects to the next member with the same session id and password and
// lastZxidSeen, sends the credentials added so far again and re-registers the watches
// (setWatches2), as the Java client does.
//
// Thread-safety: every public method may be called from any thread; Call blocks the caller
// until its reply (or a failure) arrives. Errors are ZooKeeper's codes, as the Java client
// reports them: a request sent on a connection that broke fails with CONNECTIONLOSS (it may or
// may not have been applied), one that found no reply within its timeout fails with
// REQUESTTIMEOUT, and after the server declared the session expired every call fails with
// SESSIONEXPIRED.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "client/endpoint.h"

namespace corral::client {

enum class SessionState {
  kConnecting,  // no connection yet, or between connections
  kConnected,
  kClosed,      // closed by the caller
  kExpired,     // the server no longer knows the session: terminal
  kAuthFailed,  // a member refused credentials and closed the connection: terminal
};
const char* SessionStateName(SessionState state);

struct WatchEvent {
  int32_t type = 0;   // zk::EventType
  int32_t state = 0;  // KeeperState (3 = SyncConnected)
  std::string path;
  int64_t zxid = -1;  // the transaction that caused it; -1 when none (setWatches replays)
};

struct Reply {
  int32_t err = 0;  // zk::Err
  int64_t zxid = 0;
  std::string body;  // the response record, after the ReplyHeader
};

// Which watch a successful request leaves on the server, so it can be registered again after
// a reconnect. kExists: a data watch if the node exists, an exist watch if not. kRemoved: the
// request removed every watch on the path (removeWatches of any kind).
enum class WatchKind { kNone, kData, kExists, kChild, kPersistent, kPersistentRecursive, kRemoved };

struct SessionOptions {
  std::vector<Endpoint> servers;  // tried in order, round robin
  int session_timeout_ms = 30000;
  // A TCP connect plus handshake that takes longer than this is abandoned for the next member.
  int connect_timeout_ms = 5000;
  // A reply frame larger than this breaks the connection (jute.maxbuffer on the client side).
  size_t reply_bytes_max = 64u << 20;
  // Watch events kept for NextEvent before the oldest are dropped.
  size_t event_queue_max = 100000;
};

class Session {
 public:
  // Starts connecting in the background and returns at once.
  explicit Session(SessionOptions options);
  // Closes the session (closeSession, awaited up to a second) and stops the I/O thread.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Waits until connected. Fails on timeout, on expiry and after Close.
  Status AwaitConnected(int timeout_ms);

  // Sends one request and waits up to timeout_ms for its reply. Requests made while
  // disconnected wait for the next connection (within their timeout).
  Reply Call(int32_t opcode, std::string body, int timeout_ms, WatchKind watch = WatchKind::kNone,
             const std::string& watch_path = "");

  // Sends an AuthPacket and waits for the member's answer (OK or AUTHFAILED; a member closes
  // the connection after AUTHFAILED, and this session then stays in kAuthFailed). Accepted
  // credentials are sent again on every reconnect.
  int32_t AddAuth(const std::string& scheme, const std::string& auth, int timeout_ms);

  // Ends the session on the server (closeSession) and stops reconnecting.
  void Close(int timeout_ms);

  // The next watch event, waiting up to timeout_ms for one; nullopt on timeout.
  std::optional<WatchEvent> NextEvent(int timeout_ms);

  SessionState state() const;
  int64_t session_id() const;
  int negotiated_timeout_ms() const;
  // The member of the current connection, "" when there is none.
  std::string connected_server() const;

 private:
  class Impl;  // everything the I/O thread owns (session.cc)
  std::unique_ptr<Impl> impl_;
  std::thread io_thread_;
};

}  // namespace corral::client

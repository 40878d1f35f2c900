#include "client/session.h"

// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "jute/reader.h"
#include "jute/writer.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral::client {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

const char* SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kConnecting:
      return "CONNECTING";
    case SessionState::kConnected:
      return "CONNECTED";
    case SessionState::kClosed:
      return "CLOSED";
    case SessionState::kExpired:
      return "EXPIRED";
    case SessionState::kAuthFailed:
      return "AUTH_FAILED";
  }
  return "UNKNOWN";
}

namespace {

constexpr int32_t kPasswordBytes = 16;
// After every member of the connect string refused or failed once, wait this long before the
// next round, so a client of a stopped ensemble does not spin.
constexpr int kRetryRoundPauseMs = 250;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string RequestFrame(int32_t xid, int32_t opcode, const std::string& body) {
  std::string frame;
  jute::Writer w(&frame);
  size_t start = w.BeginFrame();
  zk::Encode(w, zk::RequestHeader{xid, opcode});
  frame += body;
  w.EndFrame(start);
  return frame;
}

bool IsTerminal(SessionState s) {
  return s == SessionState::kClosed || s == SessionState::kExpired ||
         s == SessionState::kAuthFailed;
}

int32_t TerminalError(SessionState s) {
  if (s == SessionState::kExpired) return zk::kSessionExpired;
  if (s == SessionState::kAuthFailed) return zk::kAuthFailed;
  return zk::kConnectionLoss;
}

// One TCP connection to one member. Completion handlers hold it by shared_ptr; a handler whose
// connection is no longer the current one does nothing.
class Connection {
 public:
  Connection(asio::io_context& io, Endpoint endpoint) : socket(io), endpoint(std::move(endpoint)) {}
  tcp::socket socket;
  Endpoint endpoint;
  bool handshaken = false;
  std::array<unsigned char, 4> length_bytes{};
  std::string frame;
  std::deque<std::string> write_queue;
  bool writing = false;
};

}  // namespace

class Session::Impl {
 public:
  explicit Impl(SessionOptions options)
      : options_(std::move(options)),
        work_(asio::make_work_guard(io_)),
        ping_timer_(io_),
        connect_timer_(io_),
        retry_timer_(io_) {
    CORRAL_ASSERT(!options_.servers.empty(), "a session needs at least one server");
  }

  void Run() { io_.run(); }
  void Start() {
    asio::post(io_, [this] { StartConnect(); });
  }
  void Stop() {
    work_.reset();
    io_.stop();
  }

  // --- called from any thread ---

  Reply Call(int32_t opcode, std::string body, int timeout_ms, WatchKind watch,
             std::string watch_path) {
    auto promise = std::make_shared<std::promise<Reply>>();
    std::future<Reply> future = promise->get_future();
    int32_t xid = next_xid_.fetch_add(1);
    asio::post(io_, [this, xid, opcode, body = std::move(body), watch,
                     watch_path = std::move(watch_path), promise]() mutable {
      Submit(Pending{xid, opcode, RequestFrame(xid, opcode, body), false, watch,
                     std::move(watch_path), promise});
    });
    if (future.wait_for(std::chrono::milliseconds(timeout_ms)) == std::future_status::ready) {
      return future.get();
    }
    // Give up on it: an unsent request is dropped, a late reply to a sent one is ignored.
    asio::post(io_, [this, xid] { pending_.erase(xid); });
    return Reply{zk::kRequestTimeout, 0, ""};
  }

  int32_t AddAuth(std::string scheme, std::string auth, int timeout_ms) {
    auto promise = std::make_shared<std::promise<int32_t>>();
    std::future<int32_t> future = promise->get_future();
    asio::post(io_, [this, scheme = std::move(scheme), auth = std::move(auth), promise] {
      if (IsTerminal(state_)) {
        promise->set_value(TerminalError(state_));
        return;
      }
      AuthWaiter waiter{scheme, auth, promise};
      if (Connected()) {
        SendAuth(std::move(waiter));
      } else {
        unsent_auths_.push_back(std::move(waiter));
      }
    });
    if (future.wait_for(std::chrono::milliseconds(timeout_ms)) == std::future_status::ready) {
      return future.get();
    }
    return zk::kRequestTimeout;
  }

  // Before closeSession is sent: the connection the server then closes is not replaced.
  void BeginClose() {
    asio::post(io_, [this] { closing_ = true; });
  }

  void MarkClosed() {
    std::promise<void> done;
    asio::post(io_, [this, &done] {
      SetState(SessionState::kClosed);
      Drop(conn_);
      FailAll(zk::kConnectionLoss);
      done.set_value();
    });
    done.get_future().wait();
  }

  Status AwaitConnected(int timeout_ms) {
    std::unique_lock lock(mu_);
    bool settled = changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] {
      return state_ == SessionState::kConnected || IsTerminal(state_);
    });
    if (state_ == SessionState::kConnected) return Status::Ok();
    std::string servers;
    for (const auto& e : options_.servers) servers += (servers.empty() ? "" : ",") + ToString(e);
    if (!settled) {
      return Status::IoError("could not connect to " + servers + " within " +
                             std::to_string(timeout_ms) + " ms" +
                             (last_failure_.empty() ? "" : " (last: " + last_failure_ + ")"));
    }
    return Status::FailedPrecondition(std::string("the session is ") +
                                      SessionStateName(state_.load()));
  }

  std::optional<WatchEvent> NextEvent(int timeout_ms) {
    std::unique_lock lock(mu_);
    if (!changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [this] { return !events_.empty(); })) {
      return std::nullopt;
    }
    WatchEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  std::string connected_server() const {
    std::lock_guard lock(mu_);
    return connected_server_;
  }

  std::atomic<SessionState> state_{SessionState::kConnecting};
  std::atomic<int64_t> session_id_{0};
  std::atomic<int> negotiated_timeout_ms_{0};

 private:
  struct Pending {
    int32_t xid;
    int32_t opcode;
    std::string frame;
    bool sent;
    WatchKind watch;
    std::string watch_path;
    std::shared_ptr<std::promise<Reply>> promise;
  };
  struct AuthWaiter {
    std::string scheme;
    std::string auth;
    std::shared_ptr<std::promise<int32_t>> promise;  // null for credentials sent again
  };

  // --- everything below runs on the I/O thread ---

  bool Connected() const { return conn_ != nullptr && conn_->handshaken; }

  void SetState(SessionState s) {
    {
      std::lock_guard lock(mu_);
      state_ = s;
      if (s != SessionState::kConnected) connected_server_.clear();
    }
    changed_.notify_all();
  }

  void StartConnect() {
    if (IsTerminal(state_)) return;
    auto conn = std::make_shared<Connection>(
        io_, options_.servers[next_server_++ % options_.servers.size()]);
    conn_ = conn;
    connect_timer_.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
    connect_timer_.async_wait([this, conn](error_code ec) {
      if (!ec && conn == conn_ && !conn->handshaken) Lost(conn, "connect timed out");
    });
    error_code ec;
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(conn->endpoint.host, std::to_string(conn->endpoint.port), ec);
    if (ec) {
      // Through the executor, not inline: Lost may start the next attempt.
      asio::post(io_, [this, conn, why = "resolving: " + ec.message()] { Lost(conn, why); });
      return;
    }
    asio::async_connect(conn->socket, results, [this, conn](error_code ec, const tcp::endpoint&) {
      if (conn != conn_) return;
      if (ec) return Lost(conn, "connecting: " + ec.message());
      error_code ignored;
      conn->socket.set_option(tcp::no_delay(true), ignored);
      zk::ConnectRequest req;
      req.protocol_version = 0;
      req.last_zxid_seen = last_zxid_seen_;
      req.timeout_ms = options_.session_timeout_ms;
      req.session_id = session_id_;
      req.passwd = passwd_.empty() ? std::string(kPasswordBytes, '\0') : passwd_;
      req.read_only = false;
      req.has_read_only = true;
      std::string frame;
      jute::Writer w(&frame);
      size_t start = w.BeginFrame();
      zk::Encode(w, req);
      w.EndFrame(start);
      Write(conn, std::move(frame));
      ReadFrame(conn);
    });
  }

  void Write(const std::shared_ptr<Connection>& conn, std::string frame) {
    conn->write_queue.push_back(std::move(frame));
    if (!conn->writing) WriteNext(conn);
  }

  void WriteNext(const std::shared_ptr<Connection>& conn) {
    if (conn->write_queue.empty() || conn != conn_) {
      conn->writing = false;
      return;
    }
    conn->writing = true;
    asio::async_write(conn->socket, asio::buffer(conn->write_queue.front()),
                      [this, conn](error_code ec, size_t) {
                        if (conn != conn_) return;
                        if (ec) return Lost(conn, "writing: " + ec.message());
                        conn->write_queue.pop_front();
                        WriteNext(conn);
                      });
  }

  void ReadFrame(const std::shared_ptr<Connection>& conn) {
    asio::async_read(
        conn->socket, asio::buffer(conn->length_bytes), [this, conn](error_code ec, size_t) {
          if (conn != conn_) return;
          if (ec) return Lost(conn, ec == asio::error::eof ? "closed by the server" : ec.message());
          uint32_t length = jute::FrameLength(conn->length_bytes.data());
          if (length > options_.reply_bytes_max) {
            return Lost(conn, "a reply of " + std::to_string(length) + " bytes exceeds the limit " +
                                  std::to_string(options_.reply_bytes_max));
          }
          conn->frame.resize(length);
          asio::async_read(conn->socket, asio::buffer(conn->frame),
                           [this, conn](error_code ec, size_t) {
                             if (conn != conn_) return;
                             if (ec) return Lost(conn, ec.message());
                             last_receive_ms_ = NowMs();
                             if (conn->handshaken) {
                               OnReply(conn, conn->frame);
                             } else {
                               OnConnectResponse(conn, conn->frame);
                             }
                             if (conn == conn_) ReadFrame(conn);
                           });
        });
  }

  void OnConnectResponse(const std::shared_ptr<Connection>& conn, const std::string& frame) {
    jute::Reader r(frame);
    zk::ConnectResponse resp;
    zk::Decode(r, &resp);
    if (!r.ok()) return Lost(conn, "malformed ConnectResponse");
    if (resp.timeout_ms <= 0) {
      // The member does not know the session (any more): it expired, or was closed.
      Drop(conn);
      SetState(SessionState::kExpired);
      FailAll(zk::kSessionExpired);
      return;
    }
    conn->handshaken = true;
    connect_timer_.cancel();
    failed_in_round_ = 0;
    session_id_ = resp.session_id;
    passwd_ = resp.passwd;
    negotiated_timeout_ms_ = resp.timeout_ms;
    {
      std::lock_guard lock(mu_);
      connected_server_ = ToString(conn->endpoint);
    }
    // Order as the Java client: credentials, then watches, then what waited for a connection.
    for (const auto& [scheme, auth] : auths_) SendAuth(AuthWaiter{scheme, auth, nullptr});
    while (!unsent_auths_.empty()) {
      SendAuth(std::move(unsent_auths_.front()));
      unsent_auths_.pop_front();
    }
    SendSetWatches(conn);
    for (auto& [xid, p] : pending_) {
      if (!p.sent) {
        Write(conn, p.frame);
        p.sent = true;
      }
    }
    SetState(SessionState::kConnected);
    SchedulePing(conn);
  }

  void SendAuth(AuthWaiter waiter) {
    zk::AuthPacket packet{0, waiter.scheme, waiter.auth};
    std::string body;
    jute::Writer w(&body);
    zk::Encode(w, packet);
    Write(conn_, RequestFrame(zk::kXidAuth, zk::kAuth, body));
    auth_waiters_.push_back(std::move(waiter));
  }

  void SendSetWatches(const std::shared_ptr<Connection>& conn) {
    if (data_watches_.empty() && exist_watches_.empty() && child_watches_.empty() &&
        persistent_watches_.empty() && persistent_recursive_watches_.empty()) {
      return;
    }
    zk::SetWatchesRequest req;
    req.relative_zxid = last_zxid_seen_;
    req.data_watches.assign(data_watches_.begin(), data_watches_.end());
    req.exist_watches.assign(exist_watches_.begin(), exist_watches_.end());
    req.child_watches.assign(child_watches_.begin(), child_watches_.end());
    req.persistent_watches.assign(persistent_watches_.begin(), persistent_watches_.end());
    req.persistent_recursive_watches.assign(persistent_recursive_watches_.begin(),
                                            persistent_recursive_watches_.end());
    std::string body;
    jute::Writer w(&body);
    zk::Encode(w, req, /*v2=*/true);
    Write(conn, RequestFrame(zk::kXidSetWatches, zk::kSetWatches2, body));
  }

  void SchedulePing(const std::shared_ptr<Connection>& conn) {
    int timeout = negotiated_timeout_ms_;
    ping_timer_.expires_after(std::chrono::milliseconds(std::max(1, timeout / 3)));
    ping_timer_.async_wait([this, conn, timeout](error_code ec) {
      if (ec || conn != conn_) return;
      // Java's read timeout: two thirds of the session timeout without a byte from the member.
      int64_t silent_ms = NowMs() - last_receive_ms_;
      if (silent_ms > timeout * 2 / 3) {
        return Lost(conn, "no answer for " + std::to_string(silent_ms) + " ms");
      }
      Write(conn, RequestFrame(zk::kXidPing, zk::kPing, ""));
      SchedulePing(conn);
    });
  }

  void OnReply(const std::shared_ptr<Connection>& conn, const std::string& frame) {
    jute::Reader r(frame);
    zk::ReplyHeader h;
    zk::Decode(r, &h);
    if (!r.ok()) return Lost(conn, "a reply shorter than its header");
    std::string body = frame.substr(16);
    switch (h.xid) {
      case zk::kXidNotification:
        return OnNotification(conn, h, body);
      case zk::kXidPing:
      case zk::kXidSetWatches:
        return;
      case zk::kXidAuth:
        return OnAuthReply(conn, h.err);
      default:
        break;
    }
    if (h.zxid > 0) last_zxid_seen_ = h.zxid;
    auto it = pending_.find(h.xid);
    if (it == pending_.end()) return;  // its caller gave up waiting
    Pending p = std::move(it->second);
    pending_.erase(it);
    RecordWatch(p.watch, p.watch_path, h.err);
    p.promise->set_value(Reply{h.err, h.zxid, std::move(body)});
  }

  void OnAuthReply(const std::shared_ptr<Connection>& conn, int32_t err) {
    if (auth_waiters_.empty()) return;
    AuthWaiter waiter = std::move(auth_waiters_.front());
    auth_waiters_.pop_front();
    if (err == zk::kOk) {
      auto credentials = std::make_pair(waiter.scheme, waiter.auth);
      if (std::find(auths_.begin(), auths_.end(), credentials) == auths_.end()) {
        auths_.push_back(std::move(credentials));
      }
    } else {
      // The member closes the connection after AUTHFAILED; like the Java client, the session
      // is not used any more.
      Drop(conn);
      SetState(SessionState::kAuthFailed);
      FailAll(zk::kAuthFailed);
    }
    if (waiter.promise) waiter.promise->set_value(err);
  }

  void OnNotification(const std::shared_ptr<Connection>& conn, const zk::ReplyHeader& h,
                      const std::string& body) {
    jute::Reader r(body);
    zk::WatcherEvent e;
    zk::Decode(r, &e);
    if (!r.ok()) return Lost(conn, "malformed watch event");
    // A one-shot watch is gone once it fired; persistent ones stay.
    switch (e.type) {
      case zk::kEventNodeCreated:
        exist_watches_.erase(e.path);
        break;
      case zk::kEventNodeDeleted:
        data_watches_.erase(e.path);
        exist_watches_.erase(e.path);
        child_watches_.erase(e.path);
        break;
      case zk::kEventNodeDataChanged:
        data_watches_.erase(e.path);
        exist_watches_.erase(e.path);
        break;
      case zk::kEventNodeChildrenChanged:
        child_watches_.erase(e.path);
        break;
      default:
        break;
    }
    {
      std::lock_guard lock(mu_);
      events_.push_back(WatchEvent{e.type, e.state, e.path, h.zxid});
      while (events_.size() > options_.event_queue_max) events_.pop_front();
    }
    changed_.notify_all();
  }

  void RecordWatch(WatchKind kind, const std::string& path, int32_t err) {
    if (err == zk::kOk) {
      switch (kind) {
        case WatchKind::kData:
        case WatchKind::kExists:
          data_watches_.insert(path);
          break;
        case WatchKind::kChild:
          child_watches_.insert(path);
          break;
        case WatchKind::kPersistent:
          persistent_watches_.insert(path);
          break;
        case WatchKind::kPersistentRecursive:
          persistent_recursive_watches_.insert(path);
          break;
        case WatchKind::kRemoved:
          for (auto* set : {&data_watches_, &exist_watches_, &child_watches_, &persistent_watches_,
                            &persistent_recursive_watches_}) {
            set->erase(path);
          }
          break;
        case WatchKind::kNone:
          break;
      }
    } else if (err == zk::kNoNode && kind == WatchKind::kExists) {
      exist_watches_.insert(path);
    }
  }

  void Submit(Pending p) {
    if (IsTerminal(state_)) {
      p.promise->set_value(Reply{TerminalError(state_), 0, ""});
      return;
    }
    bool send = Connected();
    if (send) {
      Write(conn_, p.frame);
      p.sent = true;
    }
    pending_.emplace(p.xid, std::move(p));
  }

  // Closes conn if it is the current connection; nothing else.
  void Drop(const std::shared_ptr<Connection>& conn) {
    if (conn == nullptr || conn != conn_) return;
    error_code ignored;
    conn->socket.close(ignored);
    conn_.reset();
    ping_timer_.cancel();
    connect_timer_.cancel();
  }

  void FailAll(int32_t err) {
    for (auto& [xid, p] : pending_) p.promise->set_value(Reply{err, 0, ""});
    pending_.clear();
    for (auto& w : auth_waiters_) {
      if (w.promise) w.promise->set_value(err);
    }
    auth_waiters_.clear();
    for (auto& w : unsent_auths_) w.promise->set_value(err);
    unsent_auths_.clear();
  }

  void Lost(const std::shared_ptr<Connection>& conn, const std::string& why) {
    if (conn != conn_) return;
    {
      std::lock_guard lock(mu_);
      last_failure_ = ToString(conn->endpoint) + ": " + why;
    }
    Drop(conn);
    // What was sent may or may not have been applied: CONNECTIONLOSS, as ZooKeeper reports.
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.sent) {
        it->second.promise->set_value(Reply{zk::kConnectionLoss, 0, ""});
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& w : auth_waiters_) {
      if (w.promise) w.promise->set_value(zk::kConnectionLoss);
    }
    auth_waiters_.clear();
    if (IsTerminal(state_) || closing_) return;
    SetState(SessionState::kConnecting);
    if (++failed_in_round_ < options_.servers.size()) {
      asio::post(io_, [this] { StartConnect(); });
      return;
    }
    failed_in_round_ = 0;
    retry_timer_.expires_after(std::chrono::milliseconds(kRetryRoundPauseMs));
    retry_timer_.async_wait([this](error_code ec) {
      if (!ec) StartConnect();
    });
  }

  SessionOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer ping_timer_;
  asio::steady_timer connect_timer_;
  asio::steady_timer retry_timer_;
  std::atomic<int32_t> next_xid_{1};

  // I/O thread only.
  std::shared_ptr<Connection> conn_;
  size_t next_server_ = 0;
  size_t failed_in_round_ = 0;
  std::map<int32_t, Pending> pending_;   // by xid: sent in xid order after a reconnect
  std::deque<AuthWaiter> auth_waiters_;  // sent on the current connection, answered in order
  std::deque<AuthWaiter> unsent_auths_;
  std::vector<std::pair<std::string, std::string>> auths_;  // accepted: sent on every reconnect
  std::string passwd_;
  int64_t last_zxid_seen_ = 0;
  int64_t last_receive_ms_ = 0;
  bool closing_ = false;
  std::set<std::string> data_watches_;
  std::set<std::string> exist_watches_;
  std::set<std::string> child_watches_;
  std::set<std::string> persistent_watches_;
  std::set<std::string> persistent_recursive_watches_;

  // Shared with callers, under mu_.
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<WatchEvent> events_;
  std::string connected_server_;
  std::string last_failure_;  // written on the I/O thread, read for error messages
};

Session::Session(SessionOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->Start();
  io_thread_ = std::thread([this] { impl_->Run(); });
}

Session::~Session() {
  if (!IsTerminal(state())) Close(1000);
  impl_->Stop();
  io_thread_.join();
}

Status Session::AwaitConnected(int timeout_ms) { return impl_->AwaitConnected(timeout_ms); }

Reply Session::Call(int32_t opcode, std::string body, int timeout_ms, WatchKind watch,
                    const std::string& watch_path) {
  return impl_->Call(opcode, std::move(body), timeout_ms, watch, watch_path);
}

int32_t Session::AddAuth(const std::string& scheme, const std::string& auth, int timeout_ms) {
  return impl_->AddAuth(scheme, auth, timeout_ms);
}

void Session::Close(int timeout_ms) {
  if (IsTerminal(state())) return;
  // Only a live connection can end the session on the server; otherwise it expires there.
  if (state() == SessionState::kConnected) {
    impl_->BeginClose();
    Reply ignored = Call(zk::kCloseSession, "", timeout_ms);
    (void)ignored;
  }
  impl_->MarkClosed();
}

std::optional<WatchEvent> Session::NextEvent(int timeout_ms) {
  return impl_->NextEvent(timeout_ms);
}

SessionState Session::state() const { return impl_->state_.load(); }
int64_t Session::session_id() const { return impl_->session_id_.load(); }
int Session::negotiated_timeout_ms() const { return impl_->negotiated_timeout_ms_.load(); }
std::string Session::connected_server() const { return impl_->connected_server(); }

}  // namespace corral::client

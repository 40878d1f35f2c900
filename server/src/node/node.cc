#include "node/node.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "base/hex.h"
#include "base/log.h"
#include "statemachine/acl.h"
#include "statemachine/write_op.h"
#include "zk/codes.h"

namespace corral {
namespace {

constexpr int32_t kPasswordBytes = 16;
// Bounds on a connection's identities (ip + addauth), which every write carries into the log.
constexpr size_t kIdentitiesMax = 64;
constexpr size_t kIdentitiesBytesMax = 64 << 10;
// A connect placeholder sits in the pending queue so requests pipelined behind the handshake
// are answered after it.
constexpr int32_t kConnectPlaceholderXid = 0x7fffffff;

std::string Frame(const std::string& body) {
  std::string out;
  jute::Writer w(&out);
  size_t start = w.BeginFrame();
  out += body;
  w.EndFrame(start);
  return out;
}

}  // namespace

StateMachineOptions StateMachineOptionsOf(const Config& config) {
  return StateMachineOptions{config.extended_types_enabled, config.super_digest,
                             config.enforce_quota};
}

const char* NodeRoleName(NodeRole role) {
  switch (role) {
    case NodeRole::kStandalone:
      return "standalone";
    case NodeRole::kLeader:
      return "leader";
    case NodeRole::kFollower:
      return "follower";
    case NodeRole::kObserver:
      return "observer";
    case NodeRole::kReadOnly:
      return "read-only";
    case NodeRole::kNotServing:
      return "not serving";
  }
  return "unknown";
}

Node::Node(Config config, env::Clock* clock, env::Random* random)
    : Node(config, clock, random, StateMachine(StateMachineOptionsOf(config))) {}

Node::Node(Config config, env::Clock* clock, env::Random* random, StateMachine state)
    : config_(std::move(config)),
      clock_(clock),
      random_(random),
      state_(std::move(state)),
      committer_(std::make_unique<ImmediateCommitter>([this](const Txn& t) { OnCommitted(t); })) {
  next_zxid_ = state_.last_applied_zxid();
  for (const auto& [id, info] : state_.sessions()) {
    session_deadline_ms_[id] = clock_->MonotonicMs() + info.timeout_ms;
  }
  stats_.start_ms = clock_->MonotonicMs();
  // Session ids as ZooKeeper builds them: the member id in the top byte, then the start time, so
  // ids stay unique across restarts and members.
  int64_t base = static_cast<int64_t>(static_cast<uint64_t>(clock_->WallMs()) << 24 >> 8);
  next_session_id_ = base | (config_.my_id << 56);
  last_reap_ms_ = clock_->MonotonicMs();
}

Node::~Node() = default;

void Node::SetCommitter(std::unique_ptr<Committer> committer) {
  CORRAL_ASSERT(next_zxid_ == state_.last_applied_zxid(), "committer replaced after a write");
  committer_ = std::move(committer);
}

void Node::OnAborted(const std::vector<Txn>& txns, const Status& why) {
  // None of these will ever commit, and none was applied: the zxids after the last applied
  // entry are free again. The clients get SYSTEMERROR (ZooKeeper has no code for a full disk);
  // they may retry, and nothing they were told succeeded is lost.
  // At most one line a second: while the disk is full every write comes through here.
  int64_t now_ms = clock_->MonotonicMs();
  aborted_since_log_ += static_cast<int64_t>(txns.size());
  if (now_ms - last_abort_log_ms_ >= 1000) {
    CORRAL_LOG(kError) << aborted_since_log_
                       << " write(s) failed and were not applied: " << why.ToString();
    aborted_since_log_ = 0;
    last_abort_log_ms_ = now_ms;
  }
  next_zxid_ = state_.last_applied_zxid();
  for (const Txn& txn : txns) {
    if (txn.type == zk::kCloseSession) session_closing_.erase(txn.session_id);  // expiry retries
    if (txn.type == zk::kCreateSession) {
      auto it = connecting_.find(txn.session_id);
      if (it == connecting_.end()) continue;
      ClientSession* s = it->second;
      connecting_.erase(it);
      session_owner_.erase(txn.session_id);
      CloseConnection(s, "the session could not be logged");
      continue;
    }
    auto owner_it = session_owner_.find(txn.session_id);
    if (owner_it == session_owner_.end()) continue;
    ClientSession* owner = owner_it->second;
    if (PendingRequest* p = PendingWriteOf(owner, txn)) {
      p->done = true;
      p->reply = ReplyFrame(txn.xid, zk::kSystemError, "");
    }
    Drain(owner);
  }
}

int64_t Node::outstanding_requests() const {
  int64_t n = 0;
  for (const auto& [id, s] : connections_) n += static_cast<int64_t>(s->pending.size());
  return n;
}

int32_t Node::NegotiateTimeout(int32_t requested_ms) const {
  int32_t min_ms = config_.min_session_timeout_ms > 0 ? config_.min_session_timeout_ms
                                                      : 2 * config_.tick_time_ms;
  int32_t max_ms = config_.max_session_timeout_ms > 0 ? config_.max_session_timeout_ms
                                                      : 20 * config_.tick_time_ms;
  return std::clamp(requested_ms, min_ms, max_ms);
}

ClientSession* Node::OnConnect(Transport* transport) {
  const std::string& ip = transport->remote_ip();
  if (config_.max_cnxns > 0 && static_cast<int>(connections_.size()) >= config_.max_cnxns) {
    CORRAL_LOG(kWarn) << "refusing connection from " << ip << ": maxCnxns (" << config_.max_cnxns
                      << ") reached";
    if (metrics_ != nullptr) metrics_->ConnectionRefused();
    return nullptr;
  }
  if (config_.max_client_cnxns > 0 && connections_per_ip_[ip] >= config_.max_client_cnxns) {
    CORRAL_LOG(kWarn) << "refusing connection from " << ip << ": maxClientCnxns ("
                      << config_.max_client_cnxns << ") reached for this address";
    if (metrics_ != nullptr) metrics_->ConnectionRefused();
    return nullptr;
  }
  if (metrics_ != nullptr) metrics_->ConnectionAccepted();
  auto s = std::make_unique<ClientSession>();
  s->id = next_connection_id_++;
  s->transport = transport;
  s->identities = std::vector<zk::Id>{zk::Id{"ip", ip}};
  s->established_ms = clock_->WallMs();
  ClientSession* raw = s.get();
  connections_.emplace(raw->id, std::move(s));
  connections_per_ip_[ip]++;
  return raw;
}

void Node::OnDisconnect(ClientSession* s) {
  watches_.RemoveWatcher(s->id);
  if (s->session_id != 0) {
    auto it = session_owner_.find(s->session_id);
    if (it != session_owner_.end() && it->second == s) session_owner_.erase(it);
    auto c = connecting_.find(s->session_id);
    if (c != connecting_.end() && c->second == s) connecting_.erase(c);
  }
  const std::string& ip = s->transport->remote_ip();
  if (--connections_per_ip_[ip] <= 0) connections_per_ip_.erase(ip);
  connections_.erase(s->id);
}

void Node::SendFrame(ClientSession* s, std::string frame) {
  s->packets_sent++;
  stats_.packets_sent++;
  s->transport->Send(std::move(frame));
}

void Node::CloseConnection(ClientSession* s, const std::string& reason) {
  if (s->state == ClientSession::State::kClosing) return;
  s->state = ClientSession::State::kClosing;
  s->transport->Close(reason);
}

std::string Node::ReplyFrame(int32_t xid, int32_t err, const std::string& body) const {
  return ReplyFrame(xid, err, body, state_.last_applied_zxid());
}

std::string Node::ReplyFrame(int32_t xid, int32_t err, const std::string& body,
                             int64_t zxid) const {
  std::string out;
  jute::Writer w(&out);
  size_t start = w.BeginFrame();
  zk::Encode(w, zk::ReplyHeader{xid, zxid, err});
  out += body;
  w.EndFrame(start);
  return out;
}

std::string Node::NotificationFrame(int32_t type, const std::string& path, int64_t zxid) {
  std::string out;
  jute::Writer w(&out);
  size_t start = w.BeginFrame();
  zk::Encode(w, zk::ReplyHeader{zk::kXidNotification, zxid, zk::kOk});
  zk::Encode(w, zk::WatcherEvent{type, zk::kStateSyncConnected, path});
  w.EndFrame(start);
  return out;
}

std::string Node::AuthReplyFrame(int32_t err) const {
  // Auth replies carry zxid 0 in ZooKeeper: they are answered outside the request pipeline.
  std::string out;
  jute::Writer w(&out);
  size_t start = w.BeginFrame();
  zk::Encode(w, zk::ReplyHeader{zk::kXidAuth, 0, err});
  w.EndFrame(start);
  return out;
}

void Node::TouchSession(int64_t session_id) {
  if (role_ == NodeRole::kFollower || role_ == NodeRole::kObserver) {
    touched_sessions_.insert(session_id);
    return;
  }
  if (role_ == NodeRole::kReadOnly) {  // off the request path of a serving member
    auto local = read_only_sessions_.find(session_id);
    if (local != read_only_sessions_.end()) {
      local->second.deadline_ms = clock_->MonotonicMs() + local->second.timeout_ms;
      return;
    }
  }
  auto it = session_deadline_ms_.find(session_id);
  if (it == session_deadline_ms_.end()) return;
  auto owner = session_owner_.find(session_id);
  int32_t timeout_ms = owner != session_owner_.end() ? owner->second->timeout_ms : 0;
  if (timeout_ms <= 0) {
    auto info = state_.sessions().find(session_id);
    timeout_ms = info != state_.sessions().end() ? info->second.timeout_ms : 0;
  }
  it->second = clock_->MonotonicMs() + timeout_ms;
}

void Node::OnFrame(ClientSession* s, std::string frame) {
  if (s->state == ClientSession::State::kClosing) return;
  s->packets_received++;
  stats_.packets_received++;
  if (s->state == ClientSession::State::kAwaitingConnect) {
    HandleConnect(s, frame);
    return;
  }
  jute::Reader r(frame);
  zk::RequestHeader h;
  zk::Decode(r, &h);
  if (!r.ok()) {
    CORRAL_LOG(kWarn) << "closing connection from " << s->transport->remote_ip()
                      << ": request shorter than its header";
    CloseConnection(s, "malformed request header");
    return;
  }
  TouchSession(s->session_id);
  HandleRequest(s, h, frame.substr(8));
}

void Node::HandleConnect(ClientSession* s, const std::string& frame) {
  jute::Reader r(frame);
  zk::ConnectRequest req;
  zk::Decode(r, &req);
  if (!r.ok()) {
    CORRAL_LOG(kWarn) << "closing connection from " << s->transport->remote_ip()
                      << ": malformed ConnectRequest (" << frame.size() << " bytes)";
    CloseConnection(s, "malformed ConnectRequest");
    return;
  }
  if (role_ == NodeRole::kNotServing) {
    // ZooKeeper's "not running" refusal: four-letter words still work on this connection's
    // kind, but a session needs a member that follows a leader. The client tries the next
    // member of its connect string.
    CORRAL_LOG(kDebug) << "refusing session request from " << s->transport->remote_ip()
                       << ": not serving (no leader)";
    CloseConnection(s, "not serving");
    return;
  }
  if (role_ == NodeRole::kReadOnly && !req.read_only) {
    // As ZooKeeper's read-only server: a client that did not ask for read-only service would
    // take it for a normal member and fail on its first write. It tries the next member.
    CORRAL_LOG(kInfo) << "refusing session request from " << s->transport->remote_ip()
                      << ": not a read-only client, and this member is read-only (cut off from "
                         "the quorum)";
    CloseConnection(s, "not a read-only client");
    return;
  }
  if (req.last_zxid_seen > state_.last_applied_zxid()) {
    // The client has seen a newer state than ours: serving it would go back in time.
    CORRAL_LOG(kInfo) << "refusing session request from " << s->transport->remote_ip()
                      << ": client has seen zxid " << Hex(req.last_zxid_seen)
                      << ", our last zxid is " << Hex(state_.last_applied_zxid());
    CloseConnection(s, "client is ahead of this member");
    return;
  }
  s->timeout_ms = NegotiateTimeout(req.timeout_ms);
  s->read_only = req.read_only;
  s->sent_read_only_flag = req.has_read_only;
  if (req.session_id == 0 && role_ == NodeRole::kReadOnly) {
    CreateReadOnlySession(s);
    return;
  }
  if (req.session_id == 0) {
    s->session_id = next_session_id_++;
    s->state = ClientSession::State::kConnecting;
    session_owner_[s->session_id] = s;
    connecting_[s->session_id] = s;
    PendingRequest placeholder;
    placeholder.xid = kConnectPlaceholderXid;
    placeholder.type = zk::kCreateSession;
    placeholder.is_write = true;
    placeholder.received_ms = clock_->MonotonicMs();
    s->pending.push_back(std::move(placeholder));
    Propose(s->session_id, kConnectPlaceholderXid, zk::kCreateSession,
            EncodeCreateSession({s->timeout_ms, random_->Bytes(kPasswordBytes)}), {});
    return;
  }
  // Reconnect. Like ZooKeeper, the session's current connection is closed first, before the
  // password is checked; then the session must be live and the password must match.
  s->session_id = req.session_id;
  auto old = session_owner_.find(req.session_id);
  if (old != session_owner_.end() && old->second != s) {
    CORRAL_LOG(kInfo) << "session " << Hex(req.session_id) << " reconnecting from "
                      << s->transport->remote_ip() << "; closing its previous connection";
    ClientSession* previous = old->second;
    session_owner_.erase(old);
    CloseConnection(previous, "session reconnected on another connection");
  }
  auto info = state_.sessions().find(req.session_id);
  bool valid = info != state_.sessions().end() && info->second.passwd == req.passwd &&
               !session_closing_.count(req.session_id);
  auto local = read_only_sessions_.find(req.session_id);
  if (local != read_only_sessions_.end()) valid = local->second.passwd == req.passwd;
  if (valid) session_owner_[req.session_id] = s;
  FinishConnect(s, valid);
}

void Node::CreateReadOnlySession(ClientSession* s) {
  // Ids come from the member's own sequence (its id in the top byte), so they never collide
  // with a logged session, and the client gets a fresh one from a read-write member later
  // (clients that never saw a read-write member reconnect with session id 0).
  s->session_id = next_session_id_++;
  read_only_sessions_[s->session_id] = {random_->Bytes(kPasswordBytes), s->timeout_ms, 0};
  session_owner_[s->session_id] = s;
  CORRAL_LOG(kInfo) << "read-only session " << Hex(s->session_id) << " for "
                    << s->transport->remote_ip();
  FinishConnect(s, /*valid=*/true);
}

void Node::FinishConnect(ClientSession* s, bool valid) {
  zk::ConnectResponse resp;
  resp.protocol_version = 0;
  resp.timeout_ms = valid ? s->timeout_ms : 0;
  resp.session_id = valid ? s->session_id : 0;
  auto local = read_only_sessions_.find(s->session_id);
  if (!valid) {
    resp.passwd.assign(kPasswordBytes, '\0');
  } else if (local != read_only_sessions_.end()) {
    resp.passwd = local->second.passwd;
  } else {
    resp.passwd = state_.sessions().at(s->session_id).passwd;
  }
  resp.read_only = role_ == NodeRole::kReadOnly;
  resp.has_read_only = s->sent_read_only_flag;
  std::string body;
  jute::Writer w(&body);
  zk::Encode(w, resp);
  SendFrame(s, Frame(body));
  if (!valid) {
    CORRAL_LOG(kInfo) << "session " << Hex(s->session_id) << " from " << s->transport->remote_ip()
                      << " is expired or has a wrong password; closing";
    s->session_id = 0;
    CloseConnection(s, "invalid session");
    return;
  }
  s->state = ClientSession::State::kConnected;
  int64_t deadline_ms = clock_->MonotonicMs() + s->timeout_ms;
  if (local != read_only_sessions_.end()) {
    local->second.deadline_ms = deadline_ms;
  } else {
    session_deadline_ms_[s->session_id] = deadline_ms;
  }
}

void Node::HandleRequest(ClientSession* s, const zk::RequestHeader& h, std::string body) {
  s->last_cxid = h.xid;
  s->last_op = zk::OpName(h.type);
  switch (h.type) {
    case zk::kAuth:
      HandleAuth(s, h, body);
      return;
    case zk::kCreateSession:
      CORRAL_LOG(kWarn) << "closing connection from " << s->transport->remote_ip()
                        << ": createSession after the handshake";
      CloseConnection(s, "protocol violation");
      return;
    default:
      break;
  }
  if (!zk::IsKnownOpcode(h.type)) {
    // ZooKeeper's UnimplementedRequestProcessor: UNIMPLEMENTED with zxid -1, then the connection
    // (not the session) is closed. Earlier replies on this connection still go out first.
    CORRAL_LOG(kWarn) << "closing connection from " << s->transport->remote_ip()
                      << ": unknown opcode " << h.type << " (session " << Hex(s->session_id) << ")";
    PendingRequest& req = Enqueue(s, h, "", /*waits=*/false);
    req.done = true;
    req.reply = ReplyFrame(h.xid, zk::kUnimplemented, "", /*zxid=*/-1);
    req.close_reason = "unknown opcode";
    Drain(s);
    return;
  }
  if (role_ == NodeRole::kReadOnly && (zk::IsWriteOp(h.type) || h.type == zk::kSync)) {
    RefuseChangeReadOnly(s, h);
    return;
  }
  if (zk::IsWriteOp(h.type)) {
    SubmitWrite(s, h, std::move(body));
    return;
  }
  if (h.type == zk::kSync && role_ != NodeRole::kStandalone) {
    HandleSync(s, h, std::move(body));
    return;
  }
  Enqueue(s, h, std::move(body), /*waits=*/false);
  Drain(s);
}

void Node::RefuseChangeReadOnly(ClientSession* s, const zk::RequestHeader& h) {
  // ZooKeeper's ReadOnlyRequestProcessor refuses sync too: a read-only member cannot catch up
  // with a leader it does not have.
  PendingRequest& req = Enqueue(s, h, "", /*waits=*/false);
  req.done = true;
  if (h.type == zk::kCloseSession && read_only_sessions_.erase(s->session_id) > 0) {
    req.reply = ReplyFrame(h.xid, zk::kOk, "");
    req.close_reason = "session closed";
  } else {
    req.reply = ReplyFrame(h.xid, zk::kNotReadOnly, "");
  }
  Drain(s);
}

PendingRequest& Node::Enqueue(ClientSession* s, const zk::RequestHeader& h, std::string body,
                              bool waits) {
  PendingRequest req;
  req.xid = h.xid;
  req.type = h.type;
  req.body = std::move(body);
  req.is_write = waits;
  req.received_ms = clock_->MonotonicMs();
  s->pending.push_back(std::move(req));
  return s->pending.back();
}

void Node::HandleAuth(ClientSession* s, const zk::RequestHeader& h, const std::string& body) {
  jute::Reader r(body);
  zk::AuthPacket auth;
  zk::Decode(r, &auth);
  if (!r.ok()) {
    CloseConnection(s, "malformed AuthPacket");
    return;
  }
  std::vector<zk::Id> added;
  int32_t err = acl::Authenticate(auth.scheme, auth.auth, config_.super_digest, &added);
  if (err == zk::kOk) {
    if (auth.scheme == "ip") added = {zk::Id{"ip", s->transport->remote_ip()}};
    // Every write logs the connection's identities, so they are bounded: past the limit the
    // auth fails like a bad credential (ZooKeeper has no limit; a log entry must have one).
    size_t count = s->identities->size();
    size_t bytes = 0;
    for (const auto& id : *s->identities) bytes += id.scheme.size() + id.id.size();
    for (const auto& id : added) {
      count++;
      bytes += id.scheme.size() + id.id.size();
    }
    if (count > kIdentitiesMax || bytes > kIdentitiesBytesMax) {
      CORRAL_LOG(kWarn) << "authentication from " << s->transport->remote_ip()
                        << " refused: the connection would hold " << count << " identities of "
                        << bytes << " bytes (limits " << kIdentitiesMax << ", "
                        << kIdentitiesBytesMax << "); closing the connection";
      SendFrame(s, AuthReplyFrame(zk::kAuthFailed));
      CloseConnection(s, "too many identities");
      return;
    }
    // A connection holds each identity once (ZooKeeper's ServerCnxn.addAuthInfo); the Java
    // client may send the same credentials again when it (re)connects.
    std::vector<zk::Id> identities = s->identities;
    for (auto& id : added) {
      if (std::find(identities.begin(), identities.end(), id) == identities.end()) {
        identities.push_back(std::move(id));
      }
    }
    s->identities = std::move(identities);
    SendFrame(s, AuthReplyFrame(zk::kOk));
    return;
  }
  // ZooKeeper answers AUTHFAILED and closes: the client enters its AUTH_FAILED state.
  auth_failed_count_++;
  CORRAL_LOG(kInfo) << "authentication with scheme " << auth.scheme << " failed for "
                    << s->transport->remote_ip() << "; closing the connection";
  SendFrame(s, AuthReplyFrame(zk::kAuthFailed));
  CloseConnection(s, "authentication failed");
}

void Node::SubmitWrite(ClientSession* s, const zk::RequestHeader& h, std::string body) {
  // A body that does not decode is still logged, as ZooKeeper does: Apply answers
  // MARSHALLINGERROR and the zxid is used up. Only broken framing closes a connection.
  Enqueue(s, h, "", /*waits=*/true);
  if (h.type == zk::kCloseSession) session_closing_[s->session_id] = true;
  // A standalone member has no ensemble to change (the leader of an ensemble plans the entry:
  // runtime/reconfig_planner.h); the entry carries the answer, as a refused plan does.
  if (h.type == zk::kReconfig && role_ == NodeRole::kStandalone) {
    body = "error:" + std::to_string(zk::kReconfigDisabled);
  }
  Propose(s->session_id, h.xid, h.type, std::move(body), s->identities);
}

void Node::Propose(int64_t session_id, int32_t xid, int32_t type, std::string body,
                   SharedValue<std::vector<zk::Id>> identities) {
  Txn txn;
  txn.zxid = ++next_zxid_;
  txn.session_id = session_id;
  txn.xid = xid;
  txn.time_ms = clock_->WallMs();
  txn.type = type;
  txn.request = std::move(body);
  txn.identities = std::move(identities);
  committer_->Submit(std::move(txn));
}

void Node::HandleSync(ClientSession* s, const zk::RequestHeader& h, std::string body) {
  // Waits like a write: later requests of the session queue behind it. The leader says which
  // zxid it had proposed when it saw the sync; the answer goes out once this member applied it.
  Enqueue(s, h, std::move(body), /*waits=*/true);
  WatcherId connection = s->id;
  int32_t xid = h.xid;
  committer_->Sync([this, connection, xid](int64_t zxid) {
    sync_waiters_.push_back({zxid, connection, xid});
    AnswerSyncs();
  });
}

void Node::AnswerSyncs() {
  int64_t applied = state_.last_applied_zxid();
  auto ready = std::stable_partition(sync_waiters_.begin(), sync_waiters_.end(),
                                     [applied](const SyncWaiter& w) { return w.zxid > applied; });
  std::vector<SyncWaiter> answer(ready, sync_waiters_.end());
  sync_waiters_.erase(ready, sync_waiters_.end());
  for (const SyncWaiter& w : answer) {
    auto it = connections_.find(w.connection);
    if (it == connections_.end()) continue;
    ClientSession* s = it->second.get();
    for (auto& p : s->pending) {
      if (p.is_write && !p.done && p.type == zk::kSync && p.xid == w.xid) {
        p.is_write = false;  // caught up: Drain answers it like a read (ExecuteLocal)
        break;
      }
    }
    Drain(s);
  }
}

void Node::OnCommitted(const Txn& txn) {
  ApplyResult result = state_.Apply(txn);
  DeliverTriggers(result.triggers, txn.zxid);
  if (txn.type == zk::kCreateSession && txn.session_id != 0) {
    // Every member tracks every session, so whichever becomes leader can expire it.
    auto info = state_.sessions().find(txn.session_id);
    if (info != state_.sessions().end()) {
      session_deadline_ms_[txn.session_id] = clock_->MonotonicMs() + info->second.timeout_ms;
    }
  }
  if (!sync_waiters_.empty()) AnswerSyncs();

  if (txn.type == zk::kCreateSession) {
    auto it = connecting_.find(txn.session_id);
    if (it == connecting_.end()) return;  // the client went away before its session existed
    ClientSession* s = it->second;
    connecting_.erase(it);
    zk::ConnectResponse resp;
    resp.timeout_ms = s->timeout_ms;
    resp.session_id = s->session_id;
    resp.passwd = state_.sessions().at(s->session_id).passwd;
    resp.has_read_only = s->sent_read_only_flag;
    std::string body;
    jute::Writer w(&body);
    zk::Encode(w, resp);
    s->state = ClientSession::State::kConnected;
    for (auto& p : s->pending) {
      if (p.xid == kConnectPlaceholderXid && p.type == zk::kCreateSession && !p.done) {
        p.done = true;
        p.reply = Frame(body);
        break;
      }
    }
    Drain(s);
    return;
  }

  auto owner_it = session_owner_.find(txn.session_id);
  ClientSession* owner = owner_it == session_owner_.end() ? nullptr : owner_it->second;
  if (owner != nullptr) {
    if (PendingRequest* p = PendingWriteOf(owner, txn)) {
      p->done = true;
      p->reply = ReplyFrame(txn.xid, result.err, result.body);
    }
    owner->last_zxid = txn.zxid;
    Drain(owner);
  }
  for (int64_t closed : result.closed_sessions) {
    session_deadline_ms_.erase(closed);
    session_closing_.erase(closed);
    auto it = session_owner_.find(closed);
    if (it != session_owner_.end()) {
      ClientSession* s = it->second;
      session_owner_.erase(it);
      CloseConnection(s, txn.xid == 0 ? "session expired" : "session closed");
    }
  }
}

PendingRequest* Node::PendingWriteOf(ClientSession* s, const Txn& txn) {
  for (auto& p : s->pending) {
    if (p.is_write && !p.done && p.xid == txn.xid && p.type == txn.type) return &p;
  }
  return nullptr;
}

void Node::DeliverTriggers(const std::vector<WatchTrigger>& triggers, int64_t zxid) {
  for (const auto& t : triggers) {
    for (const WatchDelivery& d : watches_.Trigger(t.path, t.type)) {
      auto it = connections_.find(d.watcher);
      if (it == connections_.end()) continue;
      ClientSession* s = it->second.get();
      if (d.needs_acl_check && t.acl && !acl::Permits(*t.acl, zk::kPermRead, s->identities)) {
        continue;
      }
      SendFrame(s, NotificationFrame(d.type, t.path, zxid));
    }
  }
}

void Node::Drain(ClientSession* s) {
  while (!s->pending.empty() && s->state != ClientSession::State::kClosing) {
    PendingRequest& front = s->pending.front();
    if (front.is_write && !front.done) return;
    if (!front.done) {
      front.reply = ExecuteLocal(s, front);
      front.done = true;
    }
    int64_t latency_ms = clock_->MonotonicMs() - front.received_ms;
    s->RecordLatency(latency_ms);
    stats_.total_latency_ms += latency_ms;
    stats_.latency_count++;
    stats_.max_latency_ms = std::max(stats_.max_latency_ms, latency_ms);
    if (stats_.min_latency_ms < 0 || latency_ms < stats_.min_latency_ms) {
      stats_.min_latency_ms = latency_ms;
    }
    if (metrics_ != nullptr) metrics_->RequestAnswered(front.type, front.is_write, latency_ms);
    s->last_response_ms = clock_->WallMs();
    const char* close_reason =
        front.type == zk::kCloseSession ? "client closed its session" : front.close_reason;
    if (!front.reply.empty()) SendFrame(s, std::move(front.reply));
    s->pending.pop_front();
    if (close_reason != nullptr) {
      CloseConnection(s, close_reason);
      return;
    }
  }
}

std::string Node::ExecuteLocal(ClientSession* s, const PendingRequest& req) {
  // A record that does not decode is answered MARSHALLINGERROR and the connection stays, as in
  // ZooKeeper's FinalRequestProcessor; only broken framing closes a connection.
  switch (req.type) {
    case zk::kPing:
      return ReplyFrame(zk::kXidPing, zk::kOk, "");
    case zk::kExists:
    case zk::kGetData:
    case zk::kGetAcl:
    case zk::kGetChildren:
    case zk::kGetChildren2:
    case zk::kGetAllChildrenNumber:
    case zk::kGetEphemerals:
    case zk::kMultiRead: {
      ReadResult r = state_.Read(req.type, req.body, s->identities, s->session_id);
      if (r.watch == WatchKind::kData) watches_.AddData(r.watch_path, s->id);
      if (r.watch == WatchKind::kChild) watches_.AddChild(r.watch_path, s->id);
      return ReplyFrame(req.xid, r.err, r.body);
    }
    case zk::kSync: {
      // Standalone this member is the leader, so it is always caught up; in an ensemble this
      // runs once the member has applied what the leader had proposed (HandleSync).
      jute::Reader r(req.body);
      zk::PathRequest sync;
      zk::Decode(r, &sync);
      if (!r.ok()) return ReplyFrame(req.xid, zk::kMarshallingError, "");
      std::string body;
      jute::Writer w(&body);
      w.WriteString(sync.path);
      return ReplyFrame(req.xid, zk::kOk, body);
    }
    case zk::kSetWatches:
    case zk::kSetWatches2: {
      jute::Reader r(req.body);
      zk::SetWatchesRequest sw;
      zk::Decode(r, &sw, req.type == zk::kSetWatches2);
      if (!r.ok()) return ReplyFrame(req.xid, zk::kMarshallingError, "");
      // Re-registration after a reconnect: anything that changed since relativeZxid fires now,
      // the rest is registered (ZooKeeper's DataTree.setWatches).
      auto send_event = [&](int32_t type, const std::string& p) {
        // Not caused by one transaction: no zxid, as ZooKeeper's setWatches events carry none.
        SendFrame(s, NotificationFrame(type, p, -1));
      };
      const DataTree& tree = state_.tree();
      for (const auto& p : sw.data_watches) {
        const Znode* n = tree.Find(p);
        if (n == nullptr)
          send_event(zk::kEventNodeDeleted, p);
        else if (n->mzxid > sw.relative_zxid)
          send_event(zk::kEventNodeDataChanged, p);
        else
          watches_.AddData(p, s->id);
      }
      for (const auto& p : sw.exist_watches) {
        if (tree.Find(p) != nullptr)
          send_event(zk::kEventNodeCreated, p);
        else
          watches_.AddData(p, s->id);
      }
      for (const auto& p : sw.child_watches) {
        const Znode* n = tree.Find(p);
        if (n == nullptr)
          send_event(zk::kEventNodeDeleted, p);
        else if (n->pzxid() > sw.relative_zxid)
          send_event(zk::kEventNodeChildrenChanged, p);
        else
          watches_.AddChild(p, s->id);
      }
      for (const auto& p : sw.persistent_watches) watches_.AddPersistent(p, s->id, false);
      for (const auto& p : sw.persistent_recursive_watches) watches_.AddPersistent(p, s->id, true);
      return ReplyFrame(req.xid, zk::kOk, "");  // clients use xid -8; echo whatever came
    }
    case zk::kAddWatch: {
      jute::Reader r(req.body);
      zk::AddWatchRequest add;
      zk::Decode(r, &add);
      if (!r.ok()) return ReplyFrame(req.xid, zk::kMarshallingError, "");
      if (add.mode != zk::kAddWatchPersistent && add.mode != zk::kAddWatchPersistentRecursive) {
        return ReplyFrame(req.xid, zk::kBadArguments, "");
      }
      watches_.AddPersistent(add.path, s->id, add.mode == zk::kAddWatchPersistentRecursive);
      std::string body;
      jute::Writer w(&body);
      w.WriteInt(zk::kOk);  // ErrorResponse(0), as ZooKeeper answers
      return ReplyFrame(req.xid, zk::kOk, body);
    }
    case zk::kCheckWatches:
    case zk::kRemoveWatches: {
      jute::Reader r(req.body);
      zk::WatchesRequest wr;
      zk::Decode(r, &wr);
      if (!r.ok()) return ReplyFrame(req.xid, zk::kMarshallingError, "");
      bool found = req.type == zk::kCheckWatches ? watches_.Contains(wr.path, s->id, wr.type)
                                                 : watches_.Remove(wr.path, s->id, wr.type);
      return ReplyFrame(req.xid, found ? zk::kOk : zk::kNoWatcher, "");
    }
    case zk::kWhoAmI: {
      std::string body;
      jute::Writer w(&body);
      auto infos = acl::WhoAmI(s->identities);
      w.WriteInt(static_cast<int32_t>(infos.size()));
      for (const auto& [scheme, user] : infos) {
        w.WriteString(scheme);
        w.WriteString(user);
      }
      return ReplyFrame(req.xid, zk::kOk, body);
    }
    default:
      CORRAL_LOG(kDebug) << "unimplemented opcode " << req.type << " from session "
                         << Hex(s->session_id);
      return ReplyFrame(req.xid, zk::kUnimplemented, "");
  }
}

void Node::SetRole(NodeRole role) {
  if (role == role_) return;
  CORRAL_LOG(kInfo) << "serving as " << NodeRoleName(role) << " (was " << NodeRoleName(role_)
                    << ") at zxid " << Hex(state_.last_applied_zxid());
  NodeRole was = role_;
  role_ = role;
  read_only_sessions_.clear();  // they live only while the member is read-only
  if (role == NodeRole::kNotServing) {
    CloseAllConnections("this member lost its leader");
    sync_waiters_.clear();
    touched_sessions_.clear();
    return;
  }
  if (role == NodeRole::kLeader && was != NodeRole::kLeader) {
    int64_t now_ms = clock_->MonotonicMs();
    session_deadline_ms_.clear();
    session_closing_.clear();
    for (const auto& [id, info] : state_.sessions()) {
      session_deadline_ms_[id] = now_ms + info.timeout_ms;
    }
    last_reap_ms_ = now_ms;
  }
}

void Node::TouchSessions(const std::vector<int64_t>& session_ids) {
  for (int64_t id : session_ids) TouchSession(id);
}

std::vector<int64_t> Node::TakeTouchedSessions() {
  std::vector<int64_t> ids(touched_sessions_.begin(), touched_sessions_.end());
  touched_sessions_.clear();
  std::sort(ids.begin(), ids.end());
  return ids;
}

void Node::ReplaceState(StateMachine state) {
  CloseAllConnections("this member is loading a snapshot from its leader");
  sync_waiters_.clear();
  state_ = std::move(state);
  int64_t now_ms = clock_->MonotonicMs();
  session_deadline_ms_.clear();
  session_closing_.clear();
  for (const auto& [id, info] : state_.sessions()) {
    session_deadline_ms_[id] = now_ms + info.timeout_ms;
  }
  next_zxid_ = state_.last_applied_zxid();
}

void Node::CloseAllConnections(const std::string& reason) {
  std::vector<ClientSession*> all;
  for (auto& [id, s] : connections_) all.push_back(s.get());
  for (ClientSession* s : all) CloseConnection(s, reason);
}

void Node::CloseConnectionsWithPendingWrites(const std::string& reason) {
  std::vector<ClientSession*> waiting;
  for (auto& [id, s] : connections_) {
    for (const PendingRequest& p : s->pending) {
      if (p.is_write && !p.done) {
        waiting.push_back(s.get());
        break;
      }
    }
  }
  for (ClientSession* s : waiting) CloseConnection(s, reason);
}

void Node::CloseStalledConnections() {
  int64_t limit_ms = 2 * static_cast<int64_t>(config_.sync_limit_ticks) * config_.tick_time_ms;
  int64_t now_ms = clock_->MonotonicMs();
  std::vector<ClientSession*> stalled;
  for (auto& [id, s] : connections_) {
    if (s->pending.empty()) continue;
    const PendingRequest& front = s->pending.front();
    if (front.is_write && !front.done && now_ms - front.received_ms > limit_ms) {
      stalled.push_back(s.get());
    }
  }
  for (ClientSession* s : stalled) {
    CORRAL_LOG(kWarn) << "closing the connection of session " << Hex(s->session_id)
                      << ": its request was not committed within " << limit_ms << " ms";
    CloseConnection(s, "request not committed in time");
  }
}

void Node::Tick() {
  if (role_ == NodeRole::kFollower || role_ == NodeRole::kObserver) CloseStalledConnections();
  if (role_ == NodeRole::kReadOnly) ExpireReadOnlySessions();
  if (!ExpiresSessions()) return;
  ExpireSessions();
  int64_t now_ms = clock_->MonotonicMs();
  if (now_ms - last_reap_ms_ >= config_.container_check_interval_ms) {
    last_reap_ms_ = now_ms;
    ReapContainers();
  }
}

void Node::ExpireSessions() {
  int64_t now_ms = clock_->MonotonicMs();
  std::vector<int64_t> expired;
  for (const auto& [id, deadline_ms] : session_deadline_ms_) {
    if (deadline_ms <= now_ms && !session_closing_.count(id)) expired.push_back(id);
  }
  std::sort(expired.begin(), expired.end());  // deterministic proposal order
  for (int64_t id : expired) {
    CORRAL_LOG(kInfo) << "expiring session " << Hex(id) << " at zxid "
                      << Hex(state_.last_applied_zxid());
    if (metrics_ != nullptr) metrics_->SessionExpired();
    session_closing_[id] = true;
    Propose(id, 0, zk::kCloseSession, "", {});
  }
}

void Node::ExpireReadOnlySessions() {
  int64_t now_ms = clock_->MonotonicMs();
  for (auto it = read_only_sessions_.begin(); it != read_only_sessions_.end();) {
    if (it->second.deadline_ms > now_ms) {
      ++it;
      continue;
    }
    CORRAL_LOG(kInfo) << "expiring read-only session " << Hex(it->first);
    auto owner = session_owner_.find(it->first);
    if (owner != session_owner_.end()) CloseConnection(owner->second, "session expired");
    it = read_only_sessions_.erase(it);
  }
}

void Node::ReapContainers() {
  // Candidates are decided here with the wall clock; Apply re-checks them against the entry's
  // own timestamp, so a node that changed in between is left alone.
  int64_t now_ms = clock_->WallMs();
  std::vector<std::string> doomed;
  const DataTree& tree = state_.tree();
  for (const auto& p : tree.containers()) {
    const Znode* n = tree.Find(p);
    if (n != nullptr && n->cversion() > 0 && n->children.empty()) doomed.push_back(p);
  }
  if (config_.extended_types_enabled) {
    for (const auto& p : tree.ttl_nodes()) {
      const Znode* n = tree.Find(p);
      if (n != nullptr && n->children.empty() && now_ms - n->mtime > TtlOf(n->ephemeral_owner)) {
        doomed.push_back(p);
      }
    }
  }
  int64_t budget = std::max<int64_t>(
      1, config_.container_max_per_minute * config_.container_check_interval_ms / 60000);
  for (const auto& p : doomed) {
    if (budget-- <= 0) break;
    std::string body;
    jute::Writer w(&body);
    w.WriteString(p);
    Propose(0, 0, zk::kDeleteContainer, std::move(body), {});
  }
}

}  // namespace corral

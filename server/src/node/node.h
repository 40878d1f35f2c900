#pragma once
// Node: the driver. It takes decoded client frames and clock ticks, stamps writes into log
// entries and hands them to the Committer, applies committed entries to the StateMachine,
// delivers watch events and replies in order, and expires sessions and reaps containers and TTL
// nodes by proposing entries (Apply never reads a clock). Single-threaded: every method runs on
// the core thread.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "config/config.h"
#include "env/clock.h"
#include "env/random.h"
#include "node/admin_commands.h"
#include "node/committer.h"
#include "node/monitor_values.h"
#include "session/client_session.h"
#include "session/watch_manager.h"
#include "statemachine/state_machine.h"

namespace corral {

struct ServerStats {
  int64_t packets_received = 0;
  int64_t packets_sent = 0;
  int64_t min_latency_ms = -1;
  int64_t max_latency_ms = 0;
  int64_t total_latency_ms = 0;
  int64_t latency_count = 0;
  int64_t start_ms = 0;
};

// The figures srvr/stat, the admin API's server_stats and mntr share, computed in one place.
struct ServerSummary {
  std::string version;
  std::string state;  // standalone, leader, follower, or "looking" while not serving
  int64_t packets_received = 0;
  int64_t packets_sent = 0;
  int64_t min_latency_ms = 0;
  double avg_latency_ms = 0;
  int64_t max_latency_ms = 0;
  int64_t connections = 0;
  int64_t outstanding_requests = 0;
  int64_t last_zxid = 0;
  int64_t node_count = 0;
  int64_t uptime_ms = 0;
  int64_t auth_failed_count = 0;
};

// The version srvr, stat, envi and the admin API report: 3.9-compatible, as clients gate
// features on it.
std::string ServerVersion();
// Bytes in the regular files below `dir` (dirs, conf and the admin API's dirs).
int64_t DirectoryBytes(const std::string& dir);

// How this member serves. Standalone is the single-member mode of ZooKeeper. In an ensemble the
// replication driver sets the role as the consensus core's changes: only a synced leader,
// follower or observer (a follower that never votes) serves; the leader alone expires sessions
// and reaps containers and TTL nodes. With readonlymode.enabled a member cut off from the quorum
// serves read-only (ZooKeeper's ReadOnlyZooKeeperServer): only clients that asked for it may
// connect, reads answer from the local state, and every change (and sync) gets NOTREADONLY.
enum class NodeRole { kStandalone, kLeader, kFollower, kObserver, kReadOnly, kNotServing };
const char* NodeRoleName(NodeRole role);

// The state machine options a config asks for (recovery builds its state machine with them).
StateMachineOptions StateMachineOptionsOf(const Config& config);

class Node {
 public:
  // A node over a fresh state machine, committing at once (no log): for tests.
  Node(Config config, env::Clock* clock, env::Random* random);
  // A node over a recovered state: zxids continue after its last entry, and its sessions get a
  // full timeout from now to reconnect before they expire (as ZooKeeper does after a restart).
  Node(Config config, env::Clock* clock, env::Random* random, StateMachine state);
  ~Node();

  // Replaces the committer (the default commits at once). The new one must call OnCommitted and
  // OnAborted on the core thread. Only before the first write.
  void SetCommitter(std::unique_ptr<Committer> committer);
  // Committer callbacks (see node/committer.h).
  void OnCommitted(const Txn& txn);
  void OnAborted(const std::vector<Txn>& txns, const Status& why);

  // Replication. SetRole(kNotServing) closes every client connection (their pending requests
  // get no answer: the clients see a connection loss and retry elsewhere) and refuses new ones
  // until the member serves again; becoming leader gives every session a full timeout to be
  // heard from again, as ZooKeeper's new leaders do.
  void SetRole(NodeRole role);
  NodeRole role() const { return role_; }
  // Leader: sessions a follower heard from. Follower: the sessions heard from since the last
  // call, to report to the leader.
  void TouchSessions(const std::vector<int64_t>& session_ids);
  std::vector<int64_t> TakeTouchedSessions();
  // Replaces the state with one received from the leader (a follower too far behind). Every
  // client connection is closed first: their watches were set on the old state, and on
  // reconnect setWatches fires what changed.
  void ReplaceState(StateMachine state);
  // Closes every connection with a write still waiting (a follower whose forwarded writes the
  // leader may not have): their clients see a connection loss, ZooKeeper's "outcome unknown".
  void CloseConnectionsWithPendingWrites(const std::string& reason);

  // Transport events. OnConnect returns null when a connection limit refuses the client (the
  // caller closes it).
  ClientSession* OnConnect(Transport* transport);
  void OnFrame(ClientSession* session, std::string frame);
  void OnDisconnect(ClientSession* session);
  // Periodic work: session expiry and the container/TTL reaper. Call at least every tickTime/2.
  void Tick();

  // Four-letter words. Returns true and the text when `word` names one; a word not in the
  // whitelist answers with ZooKeeper's refusal text.
  static bool IsFourLetterWord(const std::string& word);
  std::string FourLetterWord(const std::string& word);

  // Statistics (node/node_stats.cc). Metrics of events go to `metrics` (null: none kept); it
  // must outlive the node.
  void SetMetrics(NodeMetrics* metrics) { metrics_ = metrics; }
  ServerSummary Summary() const;
  // mntr's values of the node and its committer (not the event metrics of NodeMetrics).
  MonitorValues Monitor() const;
  EnsembleStatus ensemble_status() const { return committer_->ensemble_status(); }
  // True when the member serves clients: standalone, a leader or follower in sync, or cut off
  // and serving read-only.
  bool serving() const { return role_ != NodeRole::kNotServing; }
  // Ready for the readiness probe: serving and in sync with the leader (read-only is not).
  bool ready() const { return serving() && role_ != NodeRole::kReadOnly; }

  // The admin API (node/admin_commands.cc): runs request.command (after AdminRefusal) and
  // answers with ZooKeeper's JSON fields.
  AdminResponse RunAdminCommand(const AdminRequest& request);
  // The refusal a command gets before it runs: not serving (for those that need it), or
  // authentication missing, wrong (401) or short of ALL on "/" (403). nullopt: it may run.
  std::optional<AdminResponse> AdminRefusal(const AdminRequest& request) const;

  const Config& config() const { return config_; }
  const StateMachine& state() const { return state_; }
  size_t connection_count() const { return connections_.size(); }
  int64_t outstanding_requests() const;

 private:
  void HandleConnect(ClientSession* s, const std::string& frame);
  void HandleRequest(ClientSession* s, const zk::RequestHeader& h, std::string body);
  void HandleAuth(ClientSession* s, const zk::RequestHeader& h, const std::string& body);
  void HandleSetWatches(ClientSession* s, const zk::RequestHeader& h, const std::string& body);
  // Runs a read (or any request answered locally) and returns the reply frame.
  std::string ExecuteLocal(ClientSession* s, const PendingRequest& req);
  void SubmitWrite(ClientSession* s, const zk::RequestHeader& h, std::string body);
  void Propose(int64_t session_id, int32_t xid, int32_t type, std::string body,
               SharedValue<std::vector<zk::Id>> identities);
  // The queued slot of the session's write that `txn` logs (null if the session gave it up).
  static PendingRequest* PendingWriteOf(ClientSession* s, const Txn& txn);
  void DeliverTriggers(const std::vector<WatchTrigger>& triggers, int64_t zxid);
  // Sends every reply at the head of the queue that is ready, running queued local requests
  // once nothing before them is still waiting.
  void Drain(ClientSession* s);
  void SendFrame(ClientSession* s, std::string frame);
  void CloseConnection(ClientSession* s, const std::string& reason);
  void FinishConnect(ClientSession* s, bool valid);
  std::string ReplyFrame(int32_t xid, int32_t err, const std::string& body) const;
  std::string ReplyFrame(int32_t xid, int32_t err, const std::string& body, int64_t zxid) const;
  std::string AuthReplyFrame(int32_t err) const;
  static std::string NotificationFrame(int32_t type, const std::string& path, int64_t zxid);
  void TouchSession(int64_t session_id);
  // Queues a request in the session's reply order. waits: it is answered when something
  // applies (a write's entry, a sync's catch-up), not by running it locally.
  PendingRequest& Enqueue(ClientSession* s, const zk::RequestHeader& h, std::string body,
                          bool waits);
  void HandleSync(ClientSession* s, const zk::RequestHeader& h, std::string body);
  void AnswerSyncs();
  void CloseAllConnections(const std::string& reason);
  // A follower's write that its leader never committed (the forward was lost with the leader
  // connection): the connection is closed so the client learns the outcome is unknown.
  void CloseStalledConnections();
  bool ExpiresSessions() const {
    return role_ == NodeRole::kStandalone || role_ == NodeRole::kLeader;
  }
  void ExpireSessions();
  // Read-only mode: sessions created while cut off are never logged (nothing can be); they live
  // here, are expired here, and are gone when the member serves again.
  struct ReadOnlySession {
    std::string passwd;
    int32_t timeout_ms;
    int64_t deadline_ms;
  };
  void CreateReadOnlySession(ClientSession* s);
  // A change (or sync) asked of a read-only member: NOTREADONLY, or for a session of its own
  // a closeSession that it answers itself.
  void RefuseChangeReadOnly(ClientSession* s, const zk::RequestHeader& h);
  void ExpireReadOnlySessions();
  void ReapContainers();
  int32_t NegotiateTimeout(int32_t requested_ms) const;

  Config config_;
  env::Clock* clock_;
  env::Random* random_;
  StateMachine state_;
  std::unique_ptr<Committer> committer_;
  WatchManager watches_;
  ServerStats stats_;
  NodeMetrics* metrics_ = nullptr;
  int64_t auth_failed_count_ = 0;

  int64_t last_abort_log_ms_ = INT64_MIN / 2;
  int64_t aborted_since_log_ = 0;
  int64_t next_zxid_ = 0;  // last zxid handed out; the epoch is 0 until replication lands
  int64_t next_session_id_ = 0;
  WatcherId next_connection_id_ = 1;

  std::unordered_map<WatcherId, std::unique_ptr<ClientSession>> connections_;
  std::unordered_map<int64_t, ClientSession*> session_owner_;  // session id -> its connection
  std::map<std::string, int> connections_per_ip_;
  // Session expiry, by monotonic deadline. Sessions being closed are not expired twice.
  std::unordered_map<int64_t, int64_t> session_deadline_ms_;
  std::unordered_map<int64_t, bool> session_closing_;
  // Connections waiting for their createSession entry to apply, by session id.
  std::unordered_map<int64_t, ClientSession*> connecting_;
  int64_t last_reap_ms_ = 0;

  NodeRole role_ = NodeRole::kStandalone;
  // Follower: sessions heard from since the last report (a set: every request touches one).
  std::unordered_set<int64_t> touched_sessions_;
  struct SyncWaiter {
    int64_t zxid;
    WatcherId connection;
    int32_t xid;
  };
  std::vector<SyncWaiter> sync_waiters_;
  std::unordered_map<int64_t, ReadOnlySession> read_only_sessions_;
};

}  // namespace corral

#include "runtime/server.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "base/hex.h"
#include "base/log.h"
#include "config/dynamic_config.h"
#include "env/file_system.h"
#include "storage/atomic_file.h"
#include "storage/recovery.h"

namespace corral {

namespace asio = boost::asio;

namespace {
int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}
}  // namespace

Server::Server(Config config)
    : config_(std::move(config)),
      acceptor_(io_),
      ticker_(io_),
      consensus_ticker_(io_),
      purge_timer_(io_),
      signals_(io_, SIGINT, SIGTERM) {
  limits_.frame_max_bytes = config_.jute_max_buffer_bytes;
  limits_.pending_pause_requests =
      static_cast<size_t>(std::max(1, config_.global_outstanding_limit));
  // Expiry is checked at least twice per tick; ZooKeeper's own granularity is one tick.
  tick_interval_ms_ = std::clamp(config_.tick_time_ms / 2, 10, 500);
  // Ten consensus ticks per tickTime: heartbeats every tenth of a tick, and a follower that
  // hears nothing for one to two tickTimes starts an election (ReplicaOptions below).
  consensus_tick_ms_ = std::clamp(config_.tick_time_ms / 10, 2, 200);
}

Server::~Server() {
  admin_.reset();  // joins the HTTP thread, which may still ask about the node
  node_.reset();   // stops the disk thread (after the batch in flight) before anything else goes
  peers_.reset();
}

const std::string& Server::log_dir() const {
  return config_.data_log_dir.empty() ? config_.data_dir : config_.data_log_dir;
}

storage::TxnLogOptions Server::LogOptions() const {
  storage::TxnLogOptions options;
  options.prealloc_bytes = static_cast<uint64_t>(config_.pre_alloc_size_kb) * 1024;
  // Room for the largest request a client may send, plus the entry's own fields.
  options.record_bytes_max = std::max<uint64_t>(
      options.record_bytes_max, static_cast<uint64_t>(config_.jute_max_buffer_bytes) + (1 << 16));
  return options;
}

Status Server::Recover() {
  if (!config_.standalone()) return RecoverReplica();
  env::FileSystem* fs = env::PosixFileSystem();
  storage::RecoveryOptions options;
  options.state_machine = StateMachineOptionsOf(config_);
  options.log = LogOptions();
  auto load_start = std::chrono::steady_clock::now();
  auto recovered = storage::Recover(fs, config_.data_dir, log_dir(), options);
  if (!recovered.ok()) {
    return Status(recovered.status().code(), "cannot recover from dataDir " + config_.data_dir +
                                                 " / dataLogDir " + log_dir() + ": " +
                                                 recovered.status().message());
  }
  metrics_->DatabaseLoaded(MsSince(load_start));
  // (Recover logs what it found and repaired.)
  bool has_snapshot = !recovered->report.snapshot_path.empty();
  snapshotter_ = std::make_unique<Snapshotter>(config_.data_dir, config_.snap_count,
                                               options.log.db_id, env::SystemRandom(),
                                               [this](int64_t, bool ok, int64_t elapsed_ms) {
                                                 if (ok) metrics_->SnapshotDone(elapsed_ms);
                                               });
  snapshotter_->CountReplayed(static_cast<int64_t>(recovered->report.replayed_entries));
  node_ = std::make_unique<Node>(config_, env::SystemClock(), env::SystemRandom(),
                                 std::move(recovered->state));
  if (!has_snapshot) {
    // The first start (or a state rebuilt from the log alone): one snapshot now, written in
    // this process, so the next start has one and every lazy initialization the forked
    // snapshot writer relies on has happened here first.
    Status written = snapshotter_->WriteNow(node_->state());
    if (!written.ok()) {
      return Status(written.code(), "cannot write the first snapshot in " + config_.data_dir +
                                        ": " + written.message());
    }
  }
  auto committer = std::make_unique<DiskCommitter>(
      io_, fs, std::move(recovered->log), options.log,
      [this](const Txn& txn) {
        node_->OnCommitted(txn);
        metrics_->Committed();
        snapshotter_->Committed(node_->state());
        if (txn.type == zk::kReconfig) RewriteDynamicConfigFile();
      },
      [this](const std::vector<Txn>& txns, const Status& why) { node_->OnAborted(txns, why); },
      [](const Status& why) {
        // Fail-stop: exit without running destructors, which could try to write.
        CORRAL_LOG(kError) << "stopping: " << why.ToString();
        std::fflush(nullptr);
        std::_Exit(1);
      });
  committer_ = committer.get();
  committer_->set_fsync_observer([m = metrics_.get()](int64_t ms) { m->FsyncDone(ms); });
  node_->SetCommitter(std::move(committer));
  AttachOperability();
  return Status::Ok();
}

Status Server::RecoverReplica() {
  env::FileSystem* fs = env::PosixFileSystem();
  storage::RecoveryOptions options;
  options.state_machine = StateMachineOptionsOf(config_);
  options.log = LogOptions();
  // A replica's log may end in entries its leader will cut: only the snapshot is applied now;
  // the rest is applied when the leader says it is committed.
  options.apply_log = false;
  auto load_start = std::chrono::steady_clock::now();
  auto recovered = storage::Recover(fs, config_.data_dir, log_dir(), options);
  if (!recovered.ok()) {
    return Status(recovered.status().code(), "cannot recover from dataDir " + config_.data_dir +
                                                 " / dataLogDir " + log_dir() + ": " +
                                                 recovered.status().message());
  }
  metrics_->DatabaseLoaded(MsSince(load_start));
  auto hard_state = ReplicaDisk::LoadHardState(fs, config_.data_dir);
  if (!hard_state.ok()) {
    return Status(hard_state.status().code(),
                  "cannot read the epoch file: " + hard_state.status().message());
  }
  auto peer_options = PeerTransportOptionsOf(config_);
  if (!peer_options.ok()) return peer_options.status();

  // The membership at the recovered state: a reconfig's (its /zookeeper/config, carried by the
  // snapshot) over the static server.N lines. Entries in the log may change it again.
  std::vector<ServerSpec> members = config_.servers;
  if (const Znode* node = recovered->state.tree().Find(kConfigPath); node && !node->data.empty()) {
    auto dynamic = ParseDynamicConfig(node->data);
    if (dynamic.ok()) {
      members = dynamic->servers;
      peer_options->peers.clear();
      for (const ServerSpec& s : members) {
        peer_options->peers.push_back({s.id, s.host, s.quorum_port});
      }
    }
  }
  consensus::ReplicaOptions replica_options;
  replica_options.id = config_.my_id;
  for (const ServerSpec& s : members) {
    (s.observer ? replica_options.observers : replica_options.voters).push_back(s.id);
  }
  replica_options.election_timeout_ticks = 10;
  replica_options.heartbeat_ticks = 1;
  replica_options.cached_entries_min = static_cast<size_t>(config_.commit_log_count);
  replica_options.cached_bytes_max = static_cast<size_t>(config_.commit_log_bytes);
  consensus::RecoveredLog log;
  log.applied_zxid = recovered->state.last_applied_zxid();
  log.entries = std::move(recovered->unapplied);
  CORRAL_LOG(kInfo) << "member " << config_.my_id << ": epoch " << hard_state->epoch
                    << ", snapshot at zxid 0x" << std::hex << log.applied_zxid << std::dec
                    << " and " << log.entries.size() << " logged entries awaiting the leader";

  bool has_snapshot = !recovered->report.snapshot_path.empty();
  snapshotter_ = std::make_unique<Snapshotter>(config_.data_dir, config_.snap_count,
                                               options.log.db_id, env::SystemRandom(),
                                               [this](int64_t, bool ok, int64_t elapsed_ms) {
                                                 if (ok) metrics_->SnapshotDone(elapsed_ms);
                                               });
  node_ = std::make_unique<Node>(config_, env::SystemClock(), env::SystemRandom(),
                                 std::move(recovered->state));
  node_->SetRole(NodeRole::kNotServing);
  if (!has_snapshot) {
    Status written = snapshotter_->WriteNow(node_->state());
    if (!written.ok()) {
      return Status(written.code(), "cannot write the first snapshot in " + config_.data_dir +
                                        ": " + written.message());
    }
  }
  auto replica = std::make_unique<consensus::Replica>(replica_options, *hard_state, std::move(log),
                                                      env::SystemRandom());
  storage::SnapshotLoadOptions load_options{options.state_machine, options.log.db_id,
                                            options.log.record_bytes_max};
  auto disk =
      std::make_unique<ReplicaDisk>(fs, config_.data_dir, std::move(recovered->log), load_options);
  disk->set_fsync_observer([m = metrics_.get()](int64_t ms) { m->FsyncDone(ms); });
  peers_ = std::make_unique<PeerTransport>(io_, std::move(peer_options).value(),
                                           [this](consensus::Message m) {
                                             if (replicated_) replicated_->OnPeerMessage(m);
                                           });
  auto committer = std::make_unique<ReplicatedCommitter>(
      io_, node_.get(), std::move(replica), std::move(disk), fs,
      env::JoinPath(config_.data_dir, "transfer"), env::SystemClock(),
      [this](consensus::Message m) { peers_->Send(std::move(m)); },
      [this](const Txn& txn) {
        node_->OnCommitted(txn);
        metrics_->Committed();
        snapshotter_->Committed(node_->state());
        if (txn.type == zk::kReconfig) RewriteDynamicConfigFile();
      },
      [](const Status& why) {
        CORRAL_LOG(kError) << "stopping: " << why.ToString();
        std::fflush(nullptr);
        std::_Exit(1);
      });
  replicated_ = committer.get();
  replicated_->SetMembershipObserver([this](const DynamicConfig& config) {
    // Links are added, never dropped: a removed leader leads until its removal commits, and a
    // truncated change may bring a member back. A removed member's link goes idle (the core
    // sends it nothing).
    for (const ServerSpec& s : config.servers)
      peer_addresses_[s.id] = {s.id, s.host, s.quorum_port};
    UpdatePeerLinks();
  });
  // A member this one was never told about dials in (a configuration adding it has not arrived
  // here yet): link back to it, so that its messages (it may lead) can be answered.
  peers_->SetUnknownPeerHandler([this](const PeerAddress& address) {
    peer_addresses_.emplace(address.id, address);
    UpdatePeerLinks();
  });
  for (const PeerAddress& p : peers_->options().peers) peer_addresses_[p.id] = p;
  replicated_->SetMetrics(metrics_.get());
  node_->SetCommitter(std::move(committer));
  AttachOperability();
  return Status::Ok();
}

void Server::UpdatePeerLinks() {
  std::vector<PeerAddress> peers;
  for (const auto& [id, address] : peer_addresses_) peers.push_back(address);
  peers_->SetPeers(peers);
}

void Server::RewriteDynamicConfigFile() {
  const std::string& path = config_.dynamic_config_file;
  if (path.empty()) return;
  const Znode* node = node_->state().tree().Find(kConfigPath);
  if (node == nullptr || node->data.empty()) return;
  auto config = ParseDynamicConfig(node->data);
  if (!config.ok() || config->version == dynamic_config_file_version_) return;  // an error entry
  bool listed = std::any_of(config->servers.begin(), config->servers.end(),
                            [&](const ServerSpec& s) { return s.id == config_.my_id; });
  if (!listed) {
    // This member could not start from a file without its own line; it keeps the file that
    // names it, and the log and snapshot say it was removed.
    CORRAL_LOG(kInfo) << "dynamicConfigFile " << path
                      << " left as it is: the new configuration does not list this member";
    return;
  }
  // As ZooKeeper's dynamic file: server lines only, the version is not in it. The checksummed
  // log and snapshot hold the same configuration; this copy is for people and tools, and a
  // restart takes the configuration from the snapshot and the log when they have one. Written
  // on the core thread: reconfigs are rare and the file is a few hundred bytes.
  int64_t version = config->version;
  config->version = 0;
  Status st =
      storage::WritePlainFileAtomically(env::PosixFileSystem(), path, FormatDynamicConfig(*config));
  if (!st.ok()) {
    CORRAL_LOG(kWarn) << "cannot rewrite dynamicConfigFile " << path << ": " << st.ToString()
                      << "; the configuration of version " << HexDigits(version)
                      << " is in the log and the snapshot all the same";
    return;
  }
  dynamic_config_file_version_ = version;
  CORRAL_LOG(kInfo) << "dynamicConfigFile " << path << " now holds the configuration of version "
                    << HexDigits(version);
}

Status Server::Listen() {
  if (peers_) CORRAL_RETURN_IF_ERROR(peers_->Start());
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config_.client_port_address, ec);
  if (ec) {
    return Status::InvalidArgument("clientPortAddress: \"" + config_.client_port_address +
                                   "\" is not an IP address");
  }
  asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(config_.client_port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IoError("cannot listen on " + config_.client_port_address + ":" +
                           std::to_string(config_.client_port) + ": " + ec.message());
  }
  return admin_->Listen();
}

void Server::AttachOperability() {
  node_->SetMetrics(metrics_.get());
  admin_ = std::make_unique<AdminServer>(
      config_, io_, node_.get(), metrics_.get(),
      [this](Snapshotter::Written written) { TakeSnapshot(std::move(written)); });
}

void Server::TakeSnapshot(Snapshotter::Written written) {
  Status started = snapshotter_->StartNow(node_->state(), written);
  if (!started.ok()) written(started, 0, "");
}

int Server::client_port() const { return acceptor_.local_endpoint().port(); }

void Server::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors and similar: log and keep accepting; the listener must not die.
      CORRAL_LOG(kWarn) << "accept failed: " << ec.message();
    } else {
      std::make_shared<ClientConnection>(std::move(socket), node_.get(), limits_)->Start();
    }
    Accept();
  });
}

void Server::ScheduleTick() {
  ticker_.expires_after(std::chrono::milliseconds(tick_interval_ms_));
  ticker_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    node_->Tick();
    snapshotter_->Poll();
    ScheduleTick();
  });
}

void Server::ScheduleConsensusTick() {
  if (replicated_ == nullptr) return;
  consensus_ticker_.expires_after(std::chrono::milliseconds(consensus_tick_ms_));
  consensus_ticker_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    replicated_->Tick();
    ScheduleConsensusTick();
  });
}

void Server::Run() {
  signals_.async_wait([this](boost::system::error_code ec, int signal_number) {
    if (ec) return;
    CORRAL_LOG(kInfo) << "received signal " << signal_number << ", shutting down";
    Stop();
  });
  Accept();
  admin_->Start();
  ScheduleTick();
  ScheduleConsensusTick();
  SchedulePurge();
  if (replicated_ != nullptr) {
    CORRAL_LOG(kInfo) << "member " << config_.my_id << " of " << config_.servers.size()
                      << ": clients on " << config_.client_port_address << ":" << client_port()
                      << ", peers on port " << peers_->listen_port();
  } else {
    CORRAL_LOG(kInfo) << "serving clients on " << config_.client_port_address << ":"
                      << client_port() << " (standalone)";
  }
  io_.run();
  CORRAL_LOG(kInfo) << "stopped";
}

void Server::SchedulePurge() {
  // ZooKeeper's autopurge: off unless autopurge.purgeInterval (hours) is set.
  if (config_.autopurge_purge_interval_hours <= 0) return;
  purge_timer_.expires_after(std::chrono::hours(config_.autopurge_purge_interval_hours));
  purge_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    env::FileSystem* fs = env::PosixFileSystem();
    std::string snap_dir = config_.data_dir;
    int retain = config_.autopurge_snap_retain_count;
    auto result = std::make_shared<storage::PurgeResult>();
    auto run_on_log = [this](auto fn, auto done) {
      if (replicated_ != nullptr) {
        replicated_->RunOnLog(std::move(fn), std::move(done));
      } else {
        committer_->RunOnLog(std::move(fn), std::move(done));
      }
    };
    run_on_log(
        [fs, snap_dir, retain, result](storage::TxnLog* log) {
          auto purged = storage::Purge(fs, snap_dir, log, retain);
          if (!purged.ok()) return purged.status();
          *result = std::move(purged.value());
          return Status::Ok();
        },
        [result](const Status& status) {
          if (!status.ok()) {
            CORRAL_LOG(kWarn) << "autopurge failed: " << status.ToString();
            return;
          }
          CORRAL_LOG(kInfo) << "autopurge removed " << result->snapshots.removed.size()
                            << " snapshot(s) and " << result->removed_segments.size()
                            << " log segment(s); kept " << result->snapshots.kept.size()
                            << " valid snapshot(s)";
        });
    SchedulePurge();
  });
}

void Server::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  ticker_.cancel();
  consensus_ticker_.cancel();
  purge_timer_.cancel();
  if (peers_) peers_->Stop();
  if (admin_) admin_->Stop();
  signals_.cancel();
  io_.stop();
}

}  // namespace corral

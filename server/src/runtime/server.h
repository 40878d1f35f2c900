#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// Server: the Asio shell around one Node — recovery of the data directories at start, the
// client listener, the disk thread that makes writes durable (DiskCommitter standalone; in an
// ensemble the ReplicatedCommitter with the peer transport), background snapshots
// (Snapshotter), autopurge, the tickers that drive session expiry, reaping and the consensus
// core, and clean shutdown on SIGINT/SIGTERM. Run() blocks on the calling thread, which becomes the
// core thread: every Node call happens there. The admin API and /metrics (AdminServer) run on
// a thread of their own and ask the core for what they show.
#include <boost/asio.hpp>
#include <map>
#include <memory>

#include "config/config.h"
#include "node/node.h"
#include "runtime/admin_server.h"
#include "runtime/client_connection.h"
#include "runtime/disk_committer.h"
#include "runtime/peer_transport.h"
#include "runtime/replicated_committer.h"
#include "runtime/server_metrics.h"
#include "runtime/snapshotter.h"
#include "storage/txn_log.h"

namespace corral {

class Server {
 public:
  explicit Server(Config config);
  ~Server();
  // Recovers the state from dataDir/dataLogDir (newest valid snapshot + the log after it) and
  // opens the log for appending. An error names the file and what is wrong with it.
  Status Recover();
  // Binds the client port, then the admin and metrics ports; an error names the address and
  // the reason. After Recover.
  Status Listen();
  // Serves until a signal (or Stop) arrives.
  void Run();
  void Stop();
  int client_port() const;
  int admin_port() const { return admin_ ? admin_->admin_port() : 0; }
  int metrics_port() const { return admin_ ? admin_->metrics_port() : 0; }

 private:
  Status RecoverReplica();
  void Accept();
  void ScheduleTick();
  void ScheduleConsensusTick();
  void SchedulePurge();
  storage::TxnLogOptions LogOptions() const;
  const std::string& log_dir() const;
  // What every mode shares once its node exists: metrics hooks, the admin API.
  void AttachOperability();
  void TakeSnapshot(Snapshotter::Written written);
  // After a reconfig entry commits: dynamicConfigFile (when set) gets the new server lines.
  void RewriteDynamicConfigFile();
  // Gives the peer transport a link to every member in peer_addresses_.
  void UpdatePeerLinks();

  Config config_;
  boost::asio::io_context io_;
  // Before node_: the node and the committers report into it until they are gone.
  std::unique_ptr<ServerMetrics> metrics_ = std::make_unique<ServerMetrics>();
  std::unique_ptr<Snapshotter> snapshotter_;
  std::unique_ptr<Node> node_;
  DiskCommitter* committer_ = nullptr;                         // standalone; owned by node_
  ReplicatedCommitter* replicated_ = nullptr;                  // in an ensemble; owned by node_
  std::map<consensus::MemberId, PeerAddress> peer_addresses_;  // every member ever configured
  int64_t dynamic_config_file_version_ = 0;                    // what the file holds now
  std::unique_ptr<PeerTransport> peers_;                       // in an ensemble
  std::unique_ptr<AdminServer> admin_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer ticker_;
  boost::asio::steady_timer consensus_ticker_;
  boost::asio::steady_timer purge_timer_;
  boost::asio::signal_set signals_;
  ConnectionLimits limits_;
  int tick_interval_ms_;
  int consensus_tick_ms_;
};

}  // namespace corral

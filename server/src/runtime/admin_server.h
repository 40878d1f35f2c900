#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// AdminServer: the member's HTTP side, on its own thread: ZooKeeper's AdminServer API on
// admin.serverAddress:admin.serverPort (commandURL, default /commands) and the Prometheus
// endpoint /metrics on metricsProvider.httpHost:httpPort (when metricsProvider.className names
// the Prometheus provider). Either may be off.
//
// The node lives on the core thread, so every answer that needs it is computed there: the
// HTTP thread posts the work to the core io_context, the core posts the result back. Rendering
// (JSON text, the Prometheus exposition) and reading /proc happen on the HTTP thread, so a
// scrape costs the core only the sampling of its counts.
//
// Thread-safety: construct, Listen, Start and Stop on the core thread (before it runs or on it).
// The object must outlive the core io_context's run(): posted work refers to it.
#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <thread>

#include "config/config.h"
#include "node/node.h"
#include "runtime/http_server.h"
#include "runtime/server_metrics.h"

namespace corral {

class AdminServer {
 public:
  // Runs on the core thread: starts a snapshot now and calls done on the core thread when it
  // is written (ok, its zxid, its file) or could not be (the status says why).
  using TakeSnapshot =
      std::function<void(std::function<void(Status, int64_t zxid, std::string path)> done)>;

  AdminServer(const Config& config, boost::asio::io_context& core, Node* node,
              ServerMetrics* metrics, TakeSnapshot take_snapshot);
  ~AdminServer();  // Stop()

  // Binds the enabled ports; an error names the key, the address and the reason.
  Status Listen();
  // Starts the HTTP thread.
  void Start();
  // Closes the listeners and connections and joins the HTTP thread. Idempotent.
  void Stop();

  int admin_port() const { return admin_ ? admin_->port() : 0; }
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }

 private:
  void HandleAdmin(HttpRequest request, HttpServer::Respond respond);
  void HandleMetrics(HttpRequest request, HttpServer::Respond respond);
  // On the core thread.
  void RunCommand(AdminRequest request, HttpServer::Respond respond);
  void RunSnapshot(AdminRequest request, HttpServer::Respond respond);
  AdminResponse LastSnapshot() const;

  const Config& config_;
  boost::asio::io_context& core_;
  Node* node_;
  ServerMetrics* metrics_registry_;
  TakeSnapshot take_snapshot_;
  boost::asio::io_context http_io_;
  std::unique_ptr<HttpServer> admin_;
  std::unique_ptr<HttpServer> metrics_;
  std::thread thread_;
};

// The HTTP answer for an admin response: its status, headers and JSON text.
HttpResponse ToHttpResponse(const AdminResponse& response);

}  // namespace corral

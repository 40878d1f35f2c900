#pragma once
// The operator's own HTTP endpoints (manifests/README.md): /healthz and /readyz on the health
// address, Prometheus /metrics on the metrics address. Served by the server's Boost.Beast
// HttpServer on a thread of their own; the main loop only touches atomics.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "base/status.h"
#include "runtime/http_server.h"  // and Boost.Asio, after <utility> (asio 1.81 needs it)

namespace corral::op {

struct OperatorMetrics {
  std::atomic<int64_t> reconciles{0};
  std::atomic<int64_t> reconcile_errors{0};
  std::atomic<int64_t> relists{0};
  std::atomic<int64_t> watch_events{0};
  std::atomic<int64_t> ensembles{0};
  // Liveness: the main loop's last sign of progress (steady clock, ms). Readiness: the first
  // list of Ensembles succeeded.
  std::atomic<int64_t> heartbeat_ms{0};
  std::atomic<bool> synced{false};

  void Beat();
  std::string Prometheus() const;
};

// "host:port" or ":port" (every address) to (address, port).
StatusOr<std::pair<std::string, int>> ParseListenAddress(const std::string& text);

class Endpoints {
 public:
  // `stale_after`: /healthz fails when the loop has not beaten for this long (longer than the
  // longest watch).
  Endpoints(OperatorMetrics* metrics, std::chrono::milliseconds stale_after);
  ~Endpoints();
  // Either address may be empty (not served). Returns the bound ports via health_port() etc.
  Status Start(const std::string& health_address, const std::string& metrics_address);
  int health_port() const { return health_server_ ? health_server_->port() : 0; }
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

 private:
  void Handle(bool health, const HttpRequest& request, const HttpServer::Respond& respond);

  OperatorMetrics* stats_;
  std::chrono::milliseconds stale_after_;
  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> health_server_;
  std::unique_ptr<HttpServer> metrics_server_;
  std::thread thread_;
};

}  // namespace corral::op

#include "ops/endpoints.h"

#include <sstream>

namespace corral::op {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void OperatorMetrics::Beat() { heartbeat_ms.store(NowMs()); }

std::string OperatorMetrics::Prometheus() const {
  std::ostringstream out;
  auto counter = [&out](const char* name, const char* help, int64_t v) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
        << name << " " << v << "\n";
  };
  counter("corral_operator_reconciles_total", "Reconcile passes over an Ensemble.",
          reconciles.load());
  counter("corral_operator_reconcile_errors_total",
          "Reconcile passes that stopped at a failed action or read.", reconcile_errors.load());
  counter("corral_operator_relists_total", "Lists of Ensembles (start, 410 Gone, broken watch).",
          relists.load());
  counter("corral_operator_watch_events_total", "Ensemble watch events received.",
          watch_events.load());
  out << "# HELP corral_operator_ensembles Ensembles seen by the last list.\n"
      << "# TYPE corral_operator_ensembles gauge\ncorral_operator_ensembles " << ensembles.load()
      << "\n";
  return out.str();
}

StatusOr<std::pair<std::string, int>> ParseListenAddress(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("\"" + text + "\" is not host:port or :port");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    return Status::InvalidArgument("\"" + text + "\": bad port");
  }
  return std::make_pair(host, std::stoi(port));
}

Endpoints::Endpoints(OperatorMetrics* metrics, std::chrono::milliseconds stale_after)
    : stats_(metrics), stale_after_(stale_after) {}

Endpoints::~Endpoints() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    if (health_server_) health_server_->Stop();
    if (metrics_server_) metrics_server_->Stop();
    io_.stop();
  });
  thread_.join();
}

Status Endpoints::Start(const std::string& health_address, const std::string& metrics_address) {
  for (bool health : {true, false}) {
    const std::string& address = health ? health_address : metrics_address;
    if (address.empty()) continue;
    StatusOr<std::pair<std::string, int>> where = ParseListenAddress(address);
    if (!where.ok()) return where.status();
    auto server = std::make_unique<HttpServer>(
        io_, health ? "health" : "metrics",
        [this, health](HttpRequest request, HttpServer::Respond respond) {
          Handle(health, request, respond);
        });
    CORRAL_RETURN_IF_ERROR(server->Listen(where.value().first, where.value().second));
    server->Start();
    (health ? health_server_ : metrics_server_) = std::move(server);
  }
  thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(io_);
    io_.run();
  });
  return Status::Ok();
}

void Endpoints::Handle(bool health, const HttpRequest& request,
                       const HttpServer::Respond& respond) {
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (health && path == "/healthz") {
    const int64_t age = NowMs() - stats_->heartbeat_ms.load();
    const bool alive = age < stale_after_.count();
    r.status = alive ? 200 : 503;
    r.body = alive ? "ok\n"
                   : "the reconcile loop has not made progress for " + std::to_string(age / 1000) +
                         " s\n";
  } else if (health && path == "/readyz") {
    const bool ready = stats_->synced.load();
    r.status = ready ? 200 : 503;
    r.body = ready ? "ok\n" : "Ensembles not listed yet\n";
  } else if (!health && path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = stats_->Prometheus();
  } else {
    r.status = 404;
    r.body = "not found\n";
  }
  respond(std::move(r));
}

}  // namespace corral::op

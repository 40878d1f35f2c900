#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// HttpServer: a small HTTP/1.1 server (Boost.Beast over Asio) for the admin API and /metrics.
// It parses requests, hands each to a handler that may answer later from another thread (the
// core thread computes most answers), and writes the answer; keep-alive, one request at a time
// per connection. Limits: 8 KiB of headers, no request body beyond 64 KiB, 64 connections at
// once (more are closed at accept). A request must arrive whole within the idle timeout (30 s
// by default); an answer is written in chunks, each of which must leave within it, so a large
// answer (a streamed snapshot) may take as long as the reader keeps reading.
//
// Thread-safety: everything runs on the io_context's thread(s) given at construction; the
// respond callback may be called from any thread, once.
#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"

namespace corral {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string authorization;
  std::string remote_ip;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body is this file's content, streamed from disk (body is ignored).
  std::string file_path;
  std::map<std::string, std::string> headers;
};

class HttpServer {
 public:
  using Respond = std::function<void(HttpResponse)>;
  using Handler = std::function<void(HttpRequest, Respond)>;

  static constexpr std::chrono::milliseconds kIdleTimeoutDefault{30000};

  // `name` appears in log lines ("admin", "metrics").
  HttpServer(boost::asio::io_context& io, std::string name, Handler handler,
             std::chrono::milliseconds idle_timeout = kIdleTimeoutDefault);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds address:port (port 0 picks one). IoError naming the address when it cannot.
  Status Listen(const std::string& address, int port);
  // Accepts until Stop. After Listen.
  void Start();
  // Closes the listener and every connection. On the io_context's thread, or after it stopped.
  void Stop();
  int port() const { return port_; }

  struct Shared;  // what connections share with the server (defined in http_server.cc)

 private:
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // After a failed accept (out of descriptors): accepting again at once fails again at once.
  boost::asio::steady_timer accept_retry_timer_;
  std::shared_ptr<Shared> shared_;
  int port_ = 0;
};

}  // namespace corral

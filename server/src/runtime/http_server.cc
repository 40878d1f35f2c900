#include "runtime/http_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <set>

#include "base/log.h"

namespace corral {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr size_t kHeaderBytesMax = 8 << 10;
constexpr size_t kBodyBytesMax = 64 << 10;
constexpr size_t kConnectionsMax = 64;
// EMFILE and the like last while connections hold descriptors; retrying at once would spin the
// HTTP thread and fill the log with one warning per attempt.
constexpr std::chrono::milliseconds kAcceptRetryPause{100};

class Connection;
}  // namespace

struct HttpServer::Shared {
  std::string name;
  Handler handler;
  std::chrono::milliseconds idle_timeout{0};
  // Open connections, to close them at Stop. Touched on the io thread only.
  std::set<std::shared_ptr<Connection>> connections;
  bool stopped = false;
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, std::shared_ptr<HttpServer::Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    boost::system::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = endpoint.address().to_string();
  }

  void Start() { ReadRequest(); }

  void Close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(kHeaderBytesMax);
    parser_->body_limit(kBodyBytesMax);
    stream_.expires_after(shared_->idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      // Closed, idle, or a request over the limits: the connection goes either way.
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::operation_aborted) {
        CORRAL_LOG(kDebug) << shared_->name << " http: dropping a connection from " << remote_ip_
                           << ": " << ec.message();
      }
      Finish();
      return;
    }
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    auto auth = req.find(http::field::authorization);
    if (auth != req.end()) request.authorization = std::string(auth->value());
    request.remote_ip = remote_ip_;
    // The answer may come from another thread: it is carried back onto this connection's
    // executor before anything touches the stream.
    auto executor = stream_.get_executor();
    std::weak_ptr<Connection> weak = shared_from_this();
    shared_->handler(std::move(request), [executor, weak](HttpResponse response) {
      asio::post(executor, [weak, response = std::move(response)]() mutable {
        if (auto self = weak.lock()) self->Write(std::move(response));
      });
    });
  }

  template <typename Body>
  void Prepare(http::response<Body>& res, const HttpResponse& response) {
    res.result(static_cast<http::status>(response.status));
    res.set(http::field::server, "corral");
    res.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res.set(name, value);
    res.keep_alive(keep_alive_);
  }

  void Write(HttpResponse response) {
    if (!response.file_path.empty()) {
      http::file_body::value_type file;
      beast::error_code ec;
      file.open(response.file_path.c_str(), beast::file_mode::scan, ec);
      if (!ec) {
        auto res = std::make_shared<http::response<http::file_body>>(
            std::piecewise_construct, std::make_tuple(std::move(file)),
            std::make_tuple(http::status::ok, version_));
        Prepare(*res, response);
        res->prepare_payload();
        Send(res);
        return;
      }
      response.status = 500;
      response.content_type = "text/plain";
      response.body = "cannot open " + response.file_path + ": " + ec.message() + "\n";
    }
    auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, version_);
    Prepare(*res, response);
    res->body() = std::move(response.body);
    res->prepare_payload();
    Send(res);
  }

  // A response and its serializer, which refers to it: they live and die together.
  template <typename Body>
  struct Outgoing {
    explicit Outgoing(http::response<Body>&& r) : response(std::move(r)), serializer(response) {}
    http::response<Body> response;
    http::response_serializer<Body> serializer;
  };

  template <typename Body>
  void Send(std::shared_ptr<http::response<Body>> res) {
    WriteSome(std::make_shared<Outgoing<Body>>(std::move(*res)));
  }

  // One chunk at a time, the idle timeout armed afresh for each: a deadline over the whole
  // answer (as one async_write under one expires_after gives) cut off every snapshot that
  // took longer than the timeout to stream, while a reader that stops reading is still dropped.
  template <typename Body>
  void WriteSome(std::shared_ptr<Outgoing<Body>> out) {
    stream_.expires_after(shared_->idle_timeout);
    http::async_write_some(stream_, out->serializer,
                           [self = shared_from_this(), out](beast::error_code ec, size_t) {
                             if (!ec && !out->serializer.is_done()) {
                               self->WriteSome(out);
                               return;
                             }
                             if (ec || !self->keep_alive_) {
                               self->Close();
                               self->Finish();
                               return;
                             }
                             self->ReadRequest();
                           });
  }

  void Finish() { shared_->connections.erase(shared_from_this()); }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpServer::Shared> shared_;
  std::string remote_ip_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, std::string name, Handler handler,
                       std::chrono::milliseconds idle_timeout)
    : io_(io), acceptor_(io), accept_retry_timer_(io), shared_(std::make_shared<Shared>()) {
  shared_->name = std::move(name);
  shared_->handler = std::move(handler);
  shared_->idle_timeout = idle_timeout;
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Listen(const std::string& address, int port) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return Status::InvalidArgument("\"" + address + "\" is not an IP address");
  asio::ip::tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IoError("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                           ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  return Status::Ok();
}

void HttpServer::Start() { Accept(); }

void HttpServer::Accept() {
  std::weak_ptr<Shared> weak = shared_;
  acceptor_.async_accept([this, weak](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    auto shared = weak.lock();
    if (!shared || shared->stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      CORRAL_LOG(kWarn) << shared->name << " http: accept failed: " << ec.message()
                        << "; trying again in " << kAcceptRetryPause.count() << " ms";
      accept_retry_timer_.expires_after(kAcceptRetryPause);
      accept_retry_timer_.async_wait([this, weak](boost::system::error_code wait_ec) {
        auto alive = weak.lock();
        if (!alive || alive->stopped || wait_ec) return;
        Accept();
      });
      return;
    }
    if (shared->connections.size() >= kConnectionsMax) {
      boost::system::error_code ignored;
      socket.close(ignored);  // over the limit: the client retries later
    } else {
      auto connection = std::make_shared<Connection>(std::move(socket), shared);
      shared->connections.insert(connection);
      connection->Start();
    }
    Accept();
  });
}

void HttpServer::Stop() {
  if (shared_->stopped) return;
  shared_->stopped = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_retry_timer_.cancel();
  auto connections = std::move(shared_->connections);
  shared_->connections.clear();
  for (const auto& c : connections) c->Close();
}

}  // namespace corral

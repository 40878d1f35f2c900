// The HTTP side of corralctl (`admin`) and four-letter words, against a tiny in-process stub
// server on 127.0.0.1: the AdminServer is being built in parallel, so these tests pin down the
// client's side of /commands/<name> on their own. The integration tests add the live ensemble.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <sstream>
#include <thread>
#include <utility>  // before asio (Boost 1.74)

#include "client/http_get.h"
#include "client/one_shot_exchange.h"
#include "ctl/commands.h"
#include "ctl/global_options.h"
#include "ctl/service_connection.h"

namespace corral {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Accepts one connection, reads until `request_end` was seen (or request_bytes bytes), records
// what came, answers `answer` and closes.
class StubServer {
 public:
  StubServer(std::string answer, std::string request_end)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, answer = std::move(answer), end = std::move(request_end)] {
      tcp::socket socket(io_);
      acceptor_.accept(socket);
      char buf[4096];
      boost::system::error_code ec;
      while (request_.find(end) == std::string::npos) {
        size_t n = socket.read_some(asio::buffer(buf), ec);
        if (ec) break;
        request_.append(buf, n);
      }
      asio::write(socket, asio::buffer(answer), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    });
  }
  ~StubServer() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }
  const std::string& request() {
    Join();
    return request_;
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_;
  std::thread thread_;
  std::string request_;
};

TEST(HttpResponse, ContentLength) {
  auto r = client::ParseHttpResponse(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}xx");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status_code, 200);
  EXPECT_EQ(r->reason, "OK");
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_EQ(r->body, "{\"a\":1}");
}

TEST(HttpResponse, ChunkedAndCloseDelimited) {
  auto chunked = client::ParseHttpResponse(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: "
      "chunked\r\n\r\n4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked.ok()) << chunked.status().message();
  EXPECT_EQ(chunked->body, "{\"a\":1}");
  auto closed = client::ParseHttpResponse("HTTP/1.0 404 Not Found\r\n\r\nnope");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->status_code, 404);
  EXPECT_EQ(closed->body, "nope");
}

TEST(HttpResponse, Malformed) {
  EXPECT_FALSE(client::ParseHttpResponse("").ok());
  EXPECT_FALSE(client::ParseHttpResponse("imok").ok());
  EXPECT_FALSE(client::ParseHttpResponse("SSH-2.0 x\r\n\r\n").ok());
  EXPECT_FALSE(client::ParseHttpResponse("HTTP/1.1 2x0 OK\r\n\r\n").ok());
  EXPECT_FALSE(
      client::ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").ok());
  EXPECT_FALSE(client::ParseHttpResponse(
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n")
                   .ok());
}

TEST(HttpGet, SendsAPlainGetWithConnectionClose) {
  StubServer stub("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", "\r\n\r\n");
  auto r = client::HttpGet({"127.0.0.1", stub.port()}, "/commands/ruok", 5000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "{}");
  EXPECT_TRUE(stub.request().starts_with("GET /commands/ruok HTTP/1.1\r\n")) << stub.request();
  EXPECT_NE(stub.request().find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(stub.request().find("\r\nHost: 127.0.0.1:"), std::string::npos);
}

TEST(ExchangeOnce, FourLetterWord) {
  StubServer stub("imok", "ruok");
  client::ExchangeOptions options;
  auto answer = client::ExchangeOnce({"127.0.0.1", stub.port()}, "ruok", options);
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  EXPECT_EQ(*answer, "imok");
  EXPECT_EQ(stub.request(), "ruok");
}

TEST(ExchangeOnce, RefusedConnectionIsAnError) {
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  auto answer = client::ExchangeOnce({"127.0.0.1", port}, "ruok", client::ExchangeOptions{});
  EXPECT_FALSE(answer.ok());
}

TEST(ExchangeOnce, SilentPeerTimesOut) {
  asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  client::ExchangeOptions options;
  options.timeout_ms = 200;
  // The kernel completes the handshake from the backlog; nobody ever answers.
  auto answer =
      client::ExchangeOnce({"127.0.0.1", listener.local_endpoint().port()}, "ruok", options);
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.status().message().find("within 200 ms"), std::string::npos);
}

struct AdminRun {
  int status;
  std::string out;
  std::string err;
};

AdminRun RunAdmin(const std::vector<std::string>& argv) {
  auto options = ctl::ParseGlobalOptions(argv);
  EXPECT_TRUE(options.ok());
  ctl::ServiceConnection connection(*options);
  std::ostringstream out;
  std::ostringstream err;
  ctl::CommandContext ctx;
  ctx.connection = &connection;
  ctx.out = &out;
  ctx.err = &err;
  int status = ctl::RunCommandWords(ctx, options->command);
  return {status, out.str(), err.str()};
}

TEST(AdminCommand, PrintsTheJsonOfCommandsName) {
  const std::string body = R"({"command":"ruok","error":null})";
  StubServer stub("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body,
                  "\r\n\r\n");
  // -server names a member that is not even running: admin needs no ZooKeeper session.
  AdminRun run =
      RunAdmin({"-server", "127.0.0.1:1", "admin", "-p", std::to_string(stub.port()), "ruok"});
  EXPECT_EQ(run.status, ctl::kExitOk) << run.err;
  EXPECT_EQ(run.out, body + "\n");
  EXPECT_TRUE(stub.request().starts_with("GET /commands/ruok HTTP/1.1\r\n"));
}

TEST(AdminCommand, HttpErrorFails) {
  StubServer stub("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nno such x", "\r\n\r\n");
  AdminRun run = RunAdmin({"-server", "127.0.0.1:1", "admin", "-h", "127.0.0.1", "-p",
                           std::to_string(stub.port()), "bogus"});
  EXPECT_EQ(run.status, ctl::kExitFailed);
  EXPECT_NE(run.err.find("HTTP 404"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(AdminCommand, NameMustNotEscapeTheCommandsPath) {
  AdminRun run = RunAdmin({"-server", "127.0.0.1:1", "admin", "../x"});
  EXPECT_EQ(run.status, ctl::kExitUsage);
}

}  // namespace
}  // namespace corral

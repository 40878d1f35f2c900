#include "client/one_shot_exchange.h"

// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <array>
#include <boost/asio.hpp>
#include <functional>
#include <utility>

namespace corral::client {

namespace asio = boost::asio;
using asio::ip::tcp;

StatusOr<std::string> ExchangeOnce(const Endpoint& endpoint, const std::string& request,
                                   const ExchangeOptions& options) {
  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::socket socket(io);
  std::string answer;
  std::array<char, 16384> chunk;
  Status status;
  bool done = false;

  auto finish = [&](Status s) {
    if (done) return;
    done = true;
    status = std::move(s);
    boost::system::error_code ignored;
    socket.close(ignored);
    resolver.cancel();
  };
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, size_t n) {
      answer.append(chunk.data(), n);
      if (answer.size() > options.answer_bytes_max) {
        finish(Status::ResourceExhausted("the answer from " + ToString(endpoint) + " exceeds " +
                                         std::to_string(options.answer_bytes_max) + " bytes"));
      } else if (ec == asio::error::eof) {
        finish(Status::Ok());
      } else if (ec) {
        finish(Status::IoError("reading from " + ToString(endpoint) + ": " + ec.message()));
      } else {
        read_more();
      }
    });
  };
  resolver.async_resolve(
      endpoint.host, std::to_string(endpoint.port),
      [&](boost::system::error_code ec, tcp::resolver::results_type results) {
        if (ec) return finish(Status::IoError("resolving " + endpoint.host + ": " + ec.message()));
        asio::async_connect(
            socket, results, [&](boost::system::error_code ec, const tcp::endpoint&) {
              if (ec) {
                return finish(
                    Status::IoError("connecting to " + ToString(endpoint) + ": " + ec.message()));
              }
              asio::async_write(
                  socket, asio::buffer(request), [&](boost::system::error_code ec, size_t) {
                    if (ec) {
                      return finish(Status::IoError("writing to " + ToString(endpoint) + ": " +
                                                    ec.message()));
                    }
                    read_more();
                  });
            });
      });
  io.run_for(std::chrono::milliseconds(options.timeout_ms));
  if (!done) {
    finish(Status::IoError("no complete answer from " + ToString(endpoint) + " within " +
                           std::to_string(options.timeout_ms) + " ms"));
    // Let the cancelled handlers run: they reference locals of this frame.
    io.restart();
    io.run();
  }
  if (!status.ok()) return status;
  return answer;
}

}  // namespace corral::client

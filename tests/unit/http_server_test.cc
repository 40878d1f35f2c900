// HttpServer against a plain socket client: a large answer (a streamed snapshot) reaches a
// reader that keeps reading, however long that takes, and a reader that stops is dropped.
#include "runtime/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace corral {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kIdleTimeout{200};
// Far more than the kernel buffers on both sides hold, so the transfer is paced by the reader.
constexpr size_t kFileBytes = 32u << 20;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("corral_http_server_test_" + std::to_string(::getpid())))
                .string();
    std::ofstream out(path_, std::ios::binary);
    std::string block(1 << 20, 'x');
    for (size_t written = 0; written < kFileBytes; written += block.size()) out << block;
    out.close();
    server_ = std::make_unique<HttpServer>(
        io_, "test",
        [this](HttpRequest, HttpServer::Respond respond) {
          HttpResponse r;
          r.content_type = "application/octet-stream";
          r.file_path = path_;
          respond(std::move(r));
        },
        kIdleTimeout);
    ASSERT_TRUE(server_->Listen("127.0.0.1", 0).ok());
    server_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    boost::asio::post(io_, [this] { server_->Stop(); });
    io_.stop();
    thread_.join();
    server_.reset();
    std::filesystem::remove(path_);
  }

  // A socket with a small receive buffer, not connected yet.
  static int NewSocket() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    return fd;
  }

  // A connected socket with a small receive buffer that has sent one GET.
  int Get(int fd = NewSocket()) {
    int rcvbuf = 64 << 10;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string request = "GET /snapshot HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    return fd;
  }

  // Reads until the server closes; pause_ms between reads makes a slow reader.
  static size_t ReadToEnd(int fd, int pause_ms) {
    size_t total = 0;
    std::string buffer(256 << 10, '\0');
    while (true) {
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      total += static_cast<size_t>(n);
      if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    }
    ::close(fd);
    return total;
  }

  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::string path_;
};

TEST_F(HttpServerTest, ASlowReaderReceivesAnAnswerLongerThanTheIdleTimeout) {
  int fd = Get();
  auto start = std::chrono::steady_clock::now();
  size_t received = ReadToEnd(fd, /*pause_ms=*/5);
  auto elapsed = std::chrono::steady_clock::now() - start;
  // The transfer outlasted the timeout (else this test proves nothing), and the whole body
  // arrived after the headers.
  EXPECT_GT(elapsed, 2 * kIdleTimeout);
  EXPECT_GT(received, kFileBytes);
}

TEST_F(HttpServerTest, OutOfDescriptorsTheAcceptorWaitsInsteadOfSpinning) {
  int fd = NewSocket();
  // No descriptor left for the server's accept: it fails with EMFILE while the client's
  // connection waits in the backlog.
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  // The limit bounds descriptor numbers: below the lowest free one, every number is taken.
  int lowest_free = ::dup(0);
  ASSERT_GE(lowest_free, 0);
  ::close(lowest_free);
  struct rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  clockid_t cpu_clock;
  ASSERT_EQ(::pthread_getcpuclockid(thread_.native_handle(), &cpu_clock), 0);
  auto cpu_ms = [&] {
    timespec t{};
    ::clock_gettime(cpu_clock, &t);
    return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
  };
  int64_t cpu_before = cpu_ms();
  fd = Get(fd);
  // The window observed: a spinning acceptor burns all of it.
  std::this_thread::sleep_for(500ms);
  int64_t cpu_used = cpu_ms() - cpu_before;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_LT(cpu_used, 100) << "the HTTP thread spun on a failing accept";
  // With descriptors back, the waiting connection is accepted and answered.
  char status[12] = {0};
  EXPECT_EQ(::recv(fd, status, sizeof status, MSG_WAITALL), static_cast<ssize_t>(sizeof status));
  EXPECT_EQ(std::string(status, sizeof status), "HTTP/1.1 200");
  ::close(fd);
}

TEST_F(HttpServerTest, AReaderThatStopsReadingIsDropped) {
  int fd = Get();
  // The stall is what is tested: nothing is read for several idle timeouts.
  std::this_thread::sleep_for(5 * kIdleTimeout);
  size_t received = ReadToEnd(fd, /*pause_ms=*/0);
  EXPECT_LT(received, kFileBytes);
}

}  // namespace
}  // namespace corral

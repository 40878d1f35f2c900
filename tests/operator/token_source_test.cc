// The ServiceAccount token is re-read while the operator runs: when the copy in memory is a
// minute old, and at once after a 401 (the kubelet rotated the file and the API server no longer
// takes the old token). The 401 case runs the real cpprestsdk client against a loopback HTTP
// server that accepts only the token currently in the file.
#include "kube/token_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "kube/api_client.h"
#include "kube/config.h"
#include "kube/cpprest_client.h"
#include "runtime/http_server.h"

namespace corral::kube {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

class TokenFile {
 public:
  TokenFile() {
    path_ = std::filesystem::temp_directory_path() /
            ("corral-token-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  ~TokenFile() { std::filesystem::remove(path_); }
  // As the kubelet does: a new file renamed over the old one.
  void Write(const std::string& text) {
    const std::filesystem::path tmp = path_.string() + ".new";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, path_);
  }
  void Remove() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(TokenSource, RereadsTheFileOnceTheCopyIsAMinuteOld) {
  TokenFile file;
  file.Write("first\n");
  steady_clock::time_point now{};
  TokenSource source("first", file.path(), seconds(60), [&now] { return now; });
  file.Write("second\n");
  now += seconds(59);
  EXPECT_EQ(source.Get(), "first") << "younger than a minute: not read again";
  now += seconds(1);
  EXPECT_EQ(source.Get(), "second");
  file.Write("third");
  now += seconds(30);
  EXPECT_EQ(source.Get(), "second") << "the minute counts from the last read";
  now += seconds(30);
  EXPECT_EQ(source.Get(), "third");
}

TEST(TokenSource, KeepsTheOldTokenWhenTheFileCannotBeRead) {
  TokenFile file;
  file.Write("first");
  steady_clock::time_point now{};
  TokenSource source("first", file.path(), seconds(60), [&now] { return now; });
  file.Remove();
  now += seconds(61);
  EXPECT_EQ(source.Get(), "first");
  EXPECT_FALSE(source.Refresh());
  file.Write("\n");  // empty: a rotation half done
  EXPECT_FALSE(source.Refresh());
  EXPECT_EQ(source.Get(), "first");
}

TEST(TokenSource, RefreshSaysWhetherTheTokenChanged) {
  TokenFile file;
  file.Write("first");
  TokenSource source("first", file.path());
  EXPECT_FALSE(source.Refresh()) << "the same token: no point in sending again";
  file.Write("second");
  EXPECT_TRUE(source.Refresh());
  EXPECT_EQ(source.Get(), "second");
  TokenSource inline_token("given", "");
  EXPECT_FALSE(inline_token.Refresh()) << "a kubeconfig's inline token has no file";
  EXPECT_EQ(inline_token.Get(), "given");
}

// A stand-in for the API server: 200 for "Bearer <accepted>", 401 otherwise.
class AuthServer {
 public:
  AuthServer() {
    server_ = std::make_unique<HttpServer>(
        io_, "auth", [this](HttpRequest request, HttpServer::Respond respond) {
          HttpResponse r;
          std::lock_guard<std::mutex> lock(mu_);
          seen_.push_back(request.authorization);
          r.status = request.authorization == "Bearer " + accepted_ ? 200 : 401;
          r.body = r.status == 200 ? R"({"kind":"Ensemble"})" : R"({"kind":"Status","code":401})";
          respond(std::move(r));
        });
    EXPECT_TRUE(server_->Listen("127.0.0.1", 0).ok());
    server_->Start();
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  ~AuthServer() {
    boost::asio::post(io_, [this] {
      server_->Stop();
      io_.stop();
    });
    thread_.join();
  }
  void Accept(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    accepted_ = token;
  }
  std::vector<std::string> Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  int port() const { return server_->port(); }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::mutex mu_;
  std::string accepted_;
  std::vector<std::string> seen_;
};

TEST(TokenSource, ClientRereadsTheTokenAfterA401AndSendsAgain) {
  TokenFile file;
  file.Write("old\n");
  AuthServer server;
  server.Accept("old");
  ClusterConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(server.port());
  config.token = "old";
  config.token_file = file.path();
  std::unique_ptr<ApiClient> api = NewCppRestClient(config, 5);

  EXPECT_EQ(api->Get(kEnsembles, "prod", "zk").http_code, 200);
  // The kubelet rotates the file; the API server stops taking the old token.
  file.Write("new\n");
  server.Accept("new");
  Result r = api->Get(kEnsembles, "prod", "zk");
  EXPECT_EQ(r.http_code, 200) << r.status.ToString();
  EXPECT_EQ(server.Seen(), (std::vector<std::string>{"Bearer old", "Bearer old", "Bearer new"}));

  // A 401 the file cannot cure (the same token) is answered, not retried.
  server.Accept("something else");
  r = api->Get(kEnsembles, "prod", "zk");
  EXPECT_EQ(r.http_code, 401);
  EXPECT_EQ(server.Seen().size(), 4u);
}

}  // namespace
}  // namespace corral::kube

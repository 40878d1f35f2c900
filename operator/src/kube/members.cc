#include "kube/members.h"

#include <cpprest/http_client.h>

#include <memory>

#include "client/session.h"
#include "client/zk_client.h"
#include "zk/codes.h"

namespace corral::kube {
namespace {

using web::json::value;

class HttpMemberAgent : public MemberAgent {
 public:
  explicit HttpMemberAgent(int timeout_seconds) : timeout_seconds_(timeout_seconds) {}

  op::ObservedMember Probe(int id, const std::string& ip, int admin_port) override {
    op::ObservedMember m;
    m.id = id;
    value ready, zab;
    int code = 0;
    if (!Get(ip, admin_port, "/commands/ready", &ready, &code)) return m;
    m.reachable = true;
    m.serving = code == 200 && ready.has_field("ready") && ready.at("ready").is_boolean() &&
                ready.at("ready").as_bool();
    const std::string state =
        ready.has_field("server_state") && ready.at("server_state").is_string()
            ? ready.at("server_state").as_string()
            : "";
    m.role = state == "leading" || state == "leader"       ? op::Role::kLeader
             : state == "following" || state == "follower" ? op::Role::kFollower
             : state == "observing" || state == "observer" ? op::Role::kObserver
             : state == "standalone"                       ? op::Role::kStandalone
             : state == "looking"                          ? op::Role::kLooking
                                                           : op::Role::kUnknown;
    m.zxid = Hex(ready, "last_zxid");
    m.config_version = Hex(ready, "config_version");
    m.committed_config_version = Hex(ready, "committed_config_version");
    return m;
  }

  op::ObservedConfig ReadConfig(const std::string& ip, int admin_port) override {
    op::ObservedConfig c;
    value view, ready;
    int code = 0;
    // The committed version first: a reconfig committing between the two reads then shows as
    // a membership newer than its version, which the plan takes for one in flight and waits.
    if (!Get(ip, admin_port, "/commands/ready", &ready, &code) || code != 200) return c;
    if (!ready.has_field("committed_config_version")) return c;  // a member too old to say
    c.version = Hex(ready, "committed_config_version");
    if (!Get(ip, admin_port, "/commands/voting_view", &view, &code) || code != 200) return c;
    if (!view.has_field("current_config") || !view.at("current_config").is_object()) return c;
    for (const auto& [id, member] : view.at("current_config").as_object()) {
      const bool observer = member.has_field("learner_type") &&
                            member.at("learner_type").is_string() &&
                            member.at("learner_type").as_string() == "observer";
      const int n = std::stoi(id);
      (observer ? c.observers : c.voters).insert(n);
      // "host:port" (or "[v6]:port"): the host says which pod runs it.
      if (member.has_field("server_addresses") && member.at("server_addresses").is_array() &&
          member.at("server_addresses").size() > 0 &&
          member.at("server_addresses").at(0).is_string()) {
        std::string host = member.at("server_addresses").at(0).as_string();
        host = host.substr(0, host.rfind(':'));
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
          host = host.substr(1, host.size() - 2);
        }
        c.hosts[n] = host;
      }
    }
    c.known = !c.voters.empty();
    return c;
  }

  // Incremental reconfig through the ZooKeeper protocol (opcode 16), as zkCli.sh's
  // `reconfig -add` / `-remove` does, with curConfigId pinned to the version the plan saw:
  // a change made by anyone since (another operator, a person) is refused with BADVERSION.
  Status Reconfig(const std::string& ip, int client_port, const ReconfigChange& change) override {
    if (ip.empty()) return Status::FailedPrecondition("reconfig: no serving member to ask");
    client::SessionOptions options;
    options.servers = {{ip, static_cast<uint16_t>(client_port)}};
    options.session_timeout_ms = 10000;
    options.connect_timeout_ms = timeout_seconds_ * 1000;
    client::Session session(std::move(options));
    CORRAL_RETURN_IF_ERROR(session.AwaitConnected(timeout_seconds_ * 1000));
    client::ZkClient zk(&session, 10000);
    if (!change.super_password.empty()) {
      int32_t err = zk.AddAuth("digest", "super:" + change.super_password);
      if (err != zk::kOk) {
        return Status::FailedPrecondition(std::string("addauth via ") + ip + ": " +
                                          zk::ErrName(err));
      }
    }
    zk::ReconfigRequest request;
    request.cur_config_id = change.cur_config_id;
    if (change.add) {
      request.joining_servers = "server." + std::to_string(change.id) + "=" + change.server;
    } else {
      request.leaving_servers = std::to_string(change.id);
    }
    std::string config;
    zk::Stat stat;
    int32_t err = zk.Reconfig(request, &config, &stat);
    if (err != zk::kOk) {
      return Status::FailedPrecondition(
          std::string("reconfig ") + (change.add ? "add " : "remove ") + std::to_string(change.id) +
          " via " + ip + ": " + zk::ErrName(err));
    }
    return Status::Ok();
  }

 private:
  // A "0x..." field of an admin answer; 0 when absent or not hex.
  static uint64_t Hex(const value& v, const char* key) {
    if (!v.has_field(key) || !v.at(key).is_string()) return 0;
    try {
      return std::stoull(v.at(key).as_string(), nullptr, 16);
    } catch (const std::exception&) {
      return 0;
    }
  }

  bool Get(const std::string& ip, int port, const std::string& path, value* out, int* code) {
    try {
      web::http::client::http_client_config config;
      config.set_timeout(std::chrono::seconds(timeout_seconds_));
      const std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
      web::http::client::http_client client("http://" + host + ":" + std::to_string(port), config);
      web::http::http_response r = client.request(web::http::methods::GET, path).get();
      *code = r.status_code();
      *out = r.extract_json(true).get();
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  const int timeout_seconds_;
};

}  // namespace

std::unique_ptr<MemberAgent> NewHttpMemberAgent(int timeout_seconds) {
  return std::make_unique<HttpMemberAgent>(timeout_seconds);
}

}  // namespace corral::kube

#include "ctl/service_connection.h"

#include "ctl/znode_format.h"
#include "zk/codes.h"

namespace corral::ctl {

StatusOr<client::ZkClient*> ServiceConnection::Client() {
  if (session_ != nullptr) {
    client::SessionState state = session_->state();
    if (state == client::SessionState::kConnected || state == client::SessionState::kConnecting) {
      return client_.get();
    }
    client_.reset();
    session_.reset();
  }
  client::SessionOptions session_options;
  session_options.servers = options_.servers;
  session_options.session_timeout_ms = options_.session_timeout_ms;
  session_options.connect_timeout_ms = std::min(options_.timeout_ms, 5000);
  auto session = std::make_unique<client::Session>(std::move(session_options));
  Status connected = session->AwaitConnected(options_.timeout_ms);
  if (!connected.ok()) return connected;
  auto zk = std::make_unique<client::ZkClient>(session.get(), options_.timeout_ms);
  for (const auto& [scheme, auth] : options_.auths) {
    int32_t err = zk->AddAuth(scheme, auth);
    if (err != zk::kOk) {
      return Status::FailedPrecondition("--auth " + scheme + ":...: " + ZkErrorName(err));
    }
  }
  session_ = std::move(session);
  client_ = std::move(zk);
  return client_.get();
}

Status ServiceConnection::Reconnect(const std::string& connect_string) {
  auto servers = client::ParseConnectString(connect_string);
  if (!servers.ok()) return servers.status();
  Close();
  options_.connect_string = connect_string;
  options_.servers = std::move(*servers);
  auto client = Client();
  return client.ok() ? Status::Ok() : client.status();
}

void ServiceConnection::Close() {
  client_.reset();
  if (session_ != nullptr) session_->Close(options_.timeout_ms);
  session_.reset();
}

std::string ServiceConnection::StateName() const {
  if (session_ == nullptr) return "NOT_CONNECTED";
  return client::SessionStateName(session_->state());
}

}  // namespace corral::ctl

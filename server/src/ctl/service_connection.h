#pragma once
// The session corralctl's commands share: opened on first use (a one-shot command such as
// `4lw` or `dump` never opens one), with the --auth credentials added right after connecting.
// In the shell it lives across commands; `connect` replaces it. A session that expired or was
// closed is replaced by a new one on the next command that needs it.
#include <memory>
#include <string>

#include "base/status.h"
#include "client/session.h"
#include "client/zk_client.h"
#include "ctl/global_options.h"

namespace corral::ctl {

class ServiceConnection {
 public:
  explicit ServiceConnection(GlobalOptions options) : options_(std::move(options)) {}

  // The client of a live session, connecting first if needed. Fails when no member of the
  // connect string answered within the timeout, or a --auth credential was refused.
  StatusOr<client::ZkClient*> Client();
  // Closes the current session and connects to other servers.
  Status Reconnect(const std::string& connect_string);
  // Ends the session (closeSession); the next command that needs one opens a new one.
  void Close();

  // The session, or null when none was opened yet.
  client::Session* session() { return session_.get(); }
  // The state for the shell's prompt: CONNECTED, CONNECTING, CLOSED, EXPIRED, ... or
  // NOT_CONNECTED before the first session.
  std::string StateName() const;
  const GlobalOptions& options() const { return options_; }

 private:
  GlobalOptions options_;
  std::unique_ptr<client::Session> session_;
  std::unique_ptr<client::ZkClient> client_;
};

}  // namespace corral::ctl

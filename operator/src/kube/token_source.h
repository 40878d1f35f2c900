#pragma once
// TokenSource: the bearer token the operator sends, re-read from its file while it runs. The
// kubelet rotates a pod's projected ServiceAccount token (by default at 80% of its hour, by
// swapping a symlink under /var/run/secrets/kubernetes.io/serviceaccount/), and the API server
// stops accepting the old one once it expires: a token read once at start would lock the
// operator out after about an hour. So, as client-go does, the file is read again when the
// copy in memory is older than `max_age` (a minute), and at once after a 401.
//
// Thread-safety: every method may be called from any thread.
#include <chrono>
#include <functional>
#include <mutex>
#include <string>

namespace corral::kube {

class TokenSource {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::seconds kMaxAgeDefault{60};

  // `token`: the token as first read (or given inline in a kubeconfig); `file`: where it is
  // re-read from, empty when it is not to be (a kubeconfig's inline token). `clock` for tests.
  TokenSource(std::string token, std::string file,
              std::chrono::steady_clock::duration max_age = kMaxAgeDefault, Clock clock = nullptr);

  // The token to send now: re-read first when the copy is older than max_age.
  std::string Get();
  // After a 401: re-reads the file now. True when that gave a different token (a request is
  // worth sending again), false otherwise (no file, unreadable, or unchanged).
  bool Refresh();

 private:
  // Reads the file; keeps the old token when it cannot (a rotation in progress, a missing
  // mount): an old token may still be accepted, none never is. Called with mu_ held.
  bool ReadLocked();

  const std::string file_;
  const std::chrono::steady_clock::duration max_age_;
  const Clock clock_;
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point read_at_;
};

// The token in a file's text: without the trailing newline(s) editors and kubelets leave.
std::string TrimToken(std::string text);

}  // namespace corral::kube

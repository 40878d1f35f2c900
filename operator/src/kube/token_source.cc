#include "kube/token_source.h"

#include <fstream>
#include <sstream>

#include "base/log.h"

namespace corral::kube {

std::string TrimToken(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

TokenSource::TokenSource(std::string token, std::string file,
                         std::chrono::steady_clock::duration max_age, Clock clock)
    : file_(std::move(file)),
      max_age_(max_age),
      clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }),
      token_(TrimToken(std::move(token))),
      read_at_(clock_()) {}

std::string TokenSource::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!file_.empty() && clock_() - read_at_ >= max_age_) ReadLocked();
  return token_;
}

bool TokenSource::Refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) return false;
  const std::string before = token_;
  return ReadLocked() && token_ != before;
}

bool TokenSource::ReadLocked() {
  // Whatever happens, not again before max_age: a missing file is not read on every request.
  read_at_ = clock_();
  std::ifstream in(file_, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  std::string token = TrimToken(text.str());
  if (!in || token.empty()) {
    CORRAL_LOG(kWarn) << "cannot read the token file " << file_
                      << "; keeping the token read before";
    return false;
  }
  token_ = std::move(token);
  return true;
}

}  // namespace corral::kube

#pragma once
// The ApiClient over cpprestsdk's http_client (Boost.Asio backend, OpenSSL for TLS).
#include <memory>

#include "kube/api_client.h"
#include "kube/config.h"

namespace corral::kube {

// `request_timeout_seconds` bounds every request but watches, which end when the server
// closes them (ListOptions::timeout_seconds, plus a margin).
std::unique_ptr<ApiClient> NewCppRestClient(const ClusterConfig& config,
                                            int request_timeout_seconds = 30);

}  // namespace corral::kube

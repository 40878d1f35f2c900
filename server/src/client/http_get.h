#pragma once
// A plain HTTP/1.1 GET, enough for ZooKeeper's AdminServer (/commands/<name> answers JSON):
// one request with "Connection: close", the answer read until the server closes. Bodies sent
// with Content-Length or chunked transfer coding are both understood.
#include <string>
#include <string_view>

#include "base/status.h"
#include "client/endpoint.h"

namespace corral::client {

struct HttpResponse {
  int status_code = 0;
  std::string reason;
  std::string content_type;
  std::string body;
};

StatusOr<HttpResponse> HttpGet(const Endpoint& endpoint, const std::string& target, int timeout_ms);

// Parses a whole response as read until the connection closed (pure; what HttpGet uses).
StatusOr<HttpResponse> ParseHttpResponse(std::string_view raw);

}  // namespace corral::client

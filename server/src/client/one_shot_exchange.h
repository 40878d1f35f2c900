#pragma once
// One request, one answer, on a fresh TCP connection: connect, send the bytes, read until the
// peer closes. Four-letter words and HTTP/1.1 GETs with "Connection: close" both work this way.
// The whole exchange shares one deadline, so a peer that accepts but never answers cannot hang
// the caller.
#include <cstddef>
#include <string>

#include "base/status.h"
#include "client/endpoint.h"

namespace corral::client {

struct ExchangeOptions {
  int timeout_ms = 10000;
  // An answer longer than this is refused (mntr, dump or cons on a large server are big, but
  // not this big).
  size_t answer_bytes_max = 64u << 20;
};

StatusOr<std::string> ExchangeOnce(const Endpoint& endpoint, const std::string& request,
                                   const ExchangeOptions& options);

}  // namespace corral::client

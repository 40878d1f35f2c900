#include "client/http_get.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/strings.h"
#include "client/one_shot_exchange.h"

namespace corral::client {
namespace {

// Chunked transfer coding: hex size line, data, CRLF, ..., a zero-size chunk, trailers.
StatusOr<std::string> Dechunk(std::string_view body) {
  std::string out;
  while (true) {
    size_t line_end = body.find("\r\n");
    if (line_end == std::string_view::npos) return Status::Corruption("truncated chunk size");
    std::string_view size_text = body.substr(0, line_end);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    size_text = TrimSpace(size_text);
    size_t size = 0;
    auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || end != size_text.data() + size_text.size()) {
      return Status::Corruption("bad chunk size \"" + std::string(size_text) + "\"");
    }
    body.remove_prefix(line_end + 2);
    if (size == 0) return out;
    if (body.size() < size + 2) return Status::Corruption("truncated chunk");
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
}

}  // namespace

StatusOr<HttpResponse> ParseHttpResponse(std::string_view raw) {
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return Status::Corruption("the answer is not an HTTP response (no end of headers)");
  }
  std::string_view head = raw.substr(0, head_end);
  std::string_view body = raw.substr(head_end + 4);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    return Status::Corruption("bad HTTP status line \"" + std::string(status_line) + "\"");
  }
  HttpResponse response;
  std::string_view code = status_line.substr(9, 3);
  auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), response.status_code);
  if (ec != std::errc() || end != code.data() + code.size()) {
    return Status::Corruption("bad HTTP status code in \"" + std::string(status_line) + "\"");
  }
  if (status_line.size() > 13) response.reason = std::string(status_line.substr(13));
  bool chunked = false;
  std::optional<size_t> content_length;
  std::string_view headers =
      line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!headers.empty()) {
    size_t next = headers.find("\r\n");
    std::string_view line = headers.substr(0, next);
    headers = next == std::string_view::npos ? std::string_view() : headers.substr(next + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = ToLowerAscii(TrimSpace(line.substr(0, colon)));
    std::string_view value = TrimSpace(line.substr(colon + 1));
    if (name == "content-type") response.content_type = std::string(value);
    if (name == "transfer-encoding" && ToLowerAscii(value).find("chunked") != std::string::npos) {
      chunked = true;
    }
    if (name == "content-length") {
      size_t length = 0;
      auto [e, err] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (err != std::errc() || e != value.data() + value.size()) {
        return Status::Corruption("bad Content-Length \"" + std::string(value) + "\"");
      }
      content_length = length;
    }
  }
  if (chunked) {
    auto dechunked = Dechunk(body);
    if (!dechunked.ok()) return dechunked.status();
    response.body = std::move(*dechunked);
  } else if (content_length) {
    if (body.size() < *content_length) {
      return Status::Corruption("the body is shorter (" + std::to_string(body.size()) +
                                " bytes) than its Content-Length " +
                                std::to_string(*content_length));
    }
    response.body = std::string(body.substr(0, *content_length));
  } else {
    response.body = std::string(body);  // delimited by the connection's close
  }
  return response;
}

StatusOr<HttpResponse> HttpGet(const Endpoint& endpoint, const std::string& target,
                               int timeout_ms) {
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + ToString(endpoint) +
                        "\r\nAccept: application/json\r\nUser-Agent: corralctl\r\n"
                        "Connection: close\r\n\r\n";
  ExchangeOptions options;
  options.timeout_ms = timeout_ms;
  auto raw = ExchangeOnce(endpoint, request, options);
  if (!raw.ok()) return raw.status();
  return ParseHttpResponse(*raw);
}

}  // namespace corral::client

// corral-bench-null: a ZooKeeper-protocol server that does nothing. It answers the session
// handshake and every request with a correctly shaped reply (the request's xid, a zxid, err 0
// and a plausible body) and keeps no znodes, so a load generator pointed at it measures the
// ceiling of the rig itself: client + kernel + loopback, the limit no real server can pass.
//
// One thread, epoll, non-blocking sockets; replies to everything read in one go are written
// with one send. Listens on 127.0.0.1 only.
//
// Replies, by opcode: getData → the --data-bytes payload + Stat; exists, setData → Stat;
// create → the requested path; create2 → path + Stat; delete → nothing; sync → the path;
// getChildren → no children; getChildren2 → no children + Stat; ping → header;
// closeSession → header, then the connection is closed; anything else → UNIMPLEMENTED.
// The four-letter word `ruok` is answered `imok`.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <unordered_map>

#include "bench_common.h"

namespace corral_bench {
namespace {

constexpr size_t kReadChunkBytes = 256 * 1024;
constexpr size_t kOutputPauseBytes = 4 * 1024 * 1024;  // stop reading while this much is unsent
constexpr int kRequestHeaderBytes = 8;
constexpr int32_t kMinSessionTimeoutMs = 4000;
constexpr int32_t kMaxSessionTimeoutMs = 40000;

struct Client {
  int fd = -1;
  bool handshaken = false;
  bool closing = false;      // closeSession answered: close once the output is sent
  bool reading = true;       // EPOLLIN registered
  bool want_output = false;  // EPOLLOUT registered
  std::vector<char> in;
  size_t in_begin = 0;
  size_t in_end = 0;
  std::string out;
  size_t out_sent_bytes = 0;
};

class NullResponder {
 public:
  NullResponder(int port, int data_bytes) : port_(port) {
    std::string data = Payload(data_bytes);
    JuteWriter(&get_data_body_).Buffer(data);
    AppendStat(&get_data_body_, 1, data_bytes);
  }

  bool Listen() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, 1024) != 0) {
      std::fprintf(stderr, "corral-bench-null: bind 127.0.0.1:%d: %s\n", port_,
                   std::strerror(errno));
      return false;
    }
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
    std::printf("corral-bench-null listening on 127.0.0.1:%d\n", port_);
    std::fflush(stdout);
    return true;
  }

  void Run() {
    std::vector<epoll_event> events(256);
    for (;;) {
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0 && errno != EINTR) return;
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<Client*>(events[i].data.ptr);
        if (c == nullptr) {
          AcceptAll();
          continue;
        }
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
          if (!OnReadable(c)) {
            Drop(c);
            continue;
          }
        }
        if (!Flush(c)) Drop(c);
      }
    }
  }

 private:
  static void AppendStat(std::string* out, int64_t zxid, int data_bytes) {
    JuteWriter w(out);
    w.Long(zxid).Long(zxid).Long(0).Long(0);  // czxid mzxid ctime mtime
    w.Int(0).Int(0).Int(0).Long(0);           // version cversion aversion ephemeralOwner
    w.Int(data_bytes).Int(0).Long(zxid);      // dataLength numChildren pzxid
  }

  void AcceptAll() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto client = std::make_unique<Client>();
      client->fd = fd;
      client->in.resize(kReadChunkBytes);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = client.get();
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
      clients_[client.get()] = std::move(client);
    }
  }

  void Drop(Client* c) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
    close(c->fd);
    clients_.erase(c);
  }

  void UpdateEpoll(Client* c) {
    bool reading = !c->closing && c->out.size() - c->out_sent_bytes < kOutputPauseBytes;
    bool want_output = c->out_sent_bytes < c->out.size();
    if (reading == c->reading && want_output == c->want_output) return;
    c->reading = reading;
    c->want_output = want_output;
    epoll_event ev{};
    ev.events = (reading ? uint32_t{EPOLLIN} : 0u) | (want_output ? uint32_t{EPOLLOUT} : 0u);
    ev.data.ptr = c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
  }

  // Sends what it can; false when the connection is finished (closed, failed, or closing and
  // all sent).
  bool Flush(Client* c) {
    while (c->out_sent_bytes < c->out.size()) {
      ssize_t n = send(c->fd, c->out.data() + c->out_sent_bytes, c->out.size() - c->out_sent_bytes,
                       MSG_NOSIGNAL);
      if (n > 0) {
        c->out_sent_bytes += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (c->out_sent_bytes > c->out.size() / 2) {
          c->out.erase(0, c->out_sent_bytes);
          c->out_sent_bytes = 0;
        }
        UpdateEpoll(c);
        return true;
      }
      return false;
    }
    c->out.clear();
    c->out_sent_bytes = 0;
    if (c->closing) return false;
    UpdateEpoll(c);
    return true;
  }

  // Reads once and answers every whole frame; false when the connection should be dropped.
  bool OnReadable(Client* c) {
    if (!c->reading) return true;
    if (c->in.size() - c->in_end < kReadChunkBytes / 4) {
      std::memmove(c->in.data(), c->in.data() + c->in_begin, c->in_end - c->in_begin);
      c->in_end -= c->in_begin;
      c->in_begin = 0;
      if (c->in.size() - c->in_end < kReadChunkBytes / 4) c->in.resize(c->in.size() * 2);
    }
    ssize_t n = read(c->fd, c->in.data() + c->in_end, c->in.size() - c->in_end);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    c->in_end += static_cast<size_t>(n);
    while (!c->closing && c->in_end - c->in_begin >= 4) {
      const char* p = c->in.data() + c->in_begin;
      if (!c->handshaken && std::memcmp(p, "ruok", 4) == 0) {
        c->out += "imok";
        c->closing = true;
        break;
      }
      int32_t len = ReadInt32(p);
      if (len < 0 || static_cast<uint32_t>(len) > kFrameBytesMax) return false;
      if (c->in_end - c->in_begin < 4 + static_cast<size_t>(len)) break;
      if (!(c->handshaken ? Answer(c, p + 4, static_cast<size_t>(len))
                          : Handshake(c, p + 4, static_cast<size_t>(len)))) {
        return false;
      }
      c->in_begin += 4 + static_cast<size_t>(len);
    }
    if (c->in_begin == c->in_end) c->in_begin = c->in_end = 0;
    return true;
  }

  // ConnectRequest {int protocolVersion; long lastZxidSeen; int timeOut; long sessionId;
  // buffer passwd; [boolean readOnly]} → ConnectResponse.
  bool Handshake(Client* c, const char* p, size_t len) {
    if (len < 4 + 8 + 4 + 8 + 4) return false;
    int32_t timeout_ms = std::clamp(ReadInt32(p + 12), kMinSessionTimeoutMs, kMaxSessionTimeoutMs);
    std::string record;
    JuteWriter(&record)
        .Int(0)
        .Int(timeout_ms)
        .Long(++last_session_id_)
        .Buffer(std::string(kPasswordBytes, '\0'));
    JuteWriter(&record).Bool(false);
    c->out += Frame(record);
    c->handshaken = true;
    return true;
  }

  // A path (ustring) at the start of a request body, or empty when the body is too short.
  static std::string_view LeadingPath(const char* body, size_t len) {
    if (len < 4) return {};
    int32_t n = ReadInt32(body);
    if (n < 0 || static_cast<size_t>(n) > len - 4) return {};
    return std::string_view(body + 4, static_cast<size_t>(n));
  }

  bool Answer(Client* c, const char* p, size_t len) {
    if (len < kRequestHeaderBytes) return false;
    int32_t xid = ReadInt32(p);
    int32_t opcode = ReadInt32(p + 4);
    const char* body = p + kRequestHeaderBytes;
    size_t body_len = len - kRequestHeaderBytes;
    bool write = opcode == op::kCreate || opcode == op::kCreate2 || opcode == op::kDelete ||
                 opcode == op::kSetData;
    if (write) ++zxid_;
    // Reserve the length, write header and body, then fill the length in.
    size_t at = c->out.size();
    JuteWriter w(&c->out);
    w.Int(0).Int(xid).Long(zxid_);
    int32_t err = 0;
    switch (opcode) {
      case op::kGetData:
        w.Int(0);
        c->out += get_data_body_;
        break;
      case op::kExists:
      case op::kSetData:
        w.Int(0);
        AppendStat(&c->out, zxid_, 0);
        break;
      case op::kCreate:
      case op::kSync:
        w.Int(0).Buffer(LeadingPath(body, body_len));
        break;
      case op::kCreate2:
        w.Int(0).Buffer(LeadingPath(body, body_len));
        AppendStat(&c->out, zxid_, 0);
        break;
      case op::kGetChildren:
        w.Int(0).Int(0);
        break;
      case op::kGetChildren2:
        w.Int(0).Int(0);
        AppendStat(&c->out, zxid_, 0);
        break;
      case op::kDelete:
      case op::kPing:
        w.Int(0);
        break;
      case op::kCloseSession:
        w.Int(0);
        c->closing = true;
        break;
      default:
        err = kErrUnimplemented;
        w.Int(err);
        break;
    }
    WriteInt32(c->out.data() + at, static_cast<int32_t>(c->out.size() - at - 4));
    return true;
  }

  int port_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int64_t zxid_ = 1;
  int64_t last_session_id_ = 0x100000000LL;
  std::string get_data_body_;  // data buffer + Stat, the same for every znode
  std::unordered_map<Client*, std::unique_ptr<Client>> clients_;
};

}  // namespace
}  // namespace corral_bench

int main(int argc, char** argv) {
  corral_bench::Flags flags(argc, argv);
  int port = static_cast<int>(flags.Int("port", 0));
  int data_bytes = static_cast<int>(flags.Int("data-bytes", 100));
  std::vector<std::string> problems = flags.Problems();
  if (flags.help() || !problems.empty() || data_bytes < 0) {
    for (const auto& p : problems) std::fprintf(stderr, "corral-bench-null: %s\n", p.c_str());
    std::fprintf(stderr,
                 "usage: corral-bench-null [--port P] [--data-bytes B]\n"
                 "  Answers the ZooKeeper protocol on 127.0.0.1:P (0 = any free port, printed on\n"
                 "  stdout) with correctly shaped replies and no state: the rig's ceiling.\n"
                 "  getData replies carry B bytes (100).\n");
    return flags.help() ? 0 : 2;
  }
  signal(SIGPIPE, SIG_IGN);
  corral_bench::NullResponder responder(port, data_bytes);
  if (!responder.Listen()) return 1;
  responder.Run();
  return 0;
}

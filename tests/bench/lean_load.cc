// corral-bench-lean: a lean ZooKeeper-protocol load generator, built so that the server (not
// the client) is what a benchmark measures.
//
// One thread, one epoll set, N connections, each with up to W requests outstanding
// (pipelined). Requests are encoded once before the run; sending one is a memcpy and a 4-byte
// xid patch. Every reply is matched to its request by xid (ZooKeeper answers a session's
// requests in order), its latency taken on the monotonic clock, and its err checked: any
// non-zero err, out-of-order xid, short body or lost connection is counted, and a run with
// errors exits with status 1.
//
// It is a plain protocol client: it does the handshake (ConnectRequest/ConnectResponse) itself
// and nothing in it knows or cares which server is on the other end.
//
// Closed loop (default): every connection keeps W requests in flight. Fixed offered load
// (--rate-ops-s R): requests are scheduled at R per second over all connections, and latency is
// measured from each request's scheduled time, so a server that falls behind is charged for
// the queueing it causes (no coordinated omission).
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cinttypes>
#include <memory>

#include "bench_common.h"

namespace corral_bench {
namespace {

constexpr int64_t kDrainTimeoutNs = 10 * kNsPerSecond;
constexpr int kHandshakeTimeoutS = 10;
constexpr size_t kReadChunkBytes = 256 * 1024;
constexpr int kReplyHeaderBytes = 16;         // xid (int), zxid (long), err (int)
constexpr int kCreateDeleteNumberChars = 17;  // "CCCC-SSSSSSSSSSSS": connection, sequence

// --- Pre-encoded requests -------------------------------------------------------------------

// A request frame whose xid (offset 4) is patched at send time, plus the offset of a run of
// decimal digits inside it that is patched for requests that differ only by a number.
struct FrameTemplate {
  std::string bytes;
  size_t digits_offset = 0;
  int digits_width = 0;
};

constexpr size_t kXidOffset = 4;

void PatchDecimal(char* p, int width, uint64_t value) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Header (xid placeholder 0) + body, framed.
std::string RequestFrame(int32_t opcode, const std::string& body) {
  std::string record;
  JuteWriter(&record).Int(0).Int(opcode);
  return Frame(record + body);
}

std::string PathWatchBody(const std::string& path) {
  std::string body;
  JuteWriter(&body).Buffer(path).Bool(false);
  return body;
}

std::string SetDataBody(const std::string& path, const std::string& data) {
  std::string body;
  JuteWriter(&body).Buffer(path).Buffer(data).Int(-1);
  return body;
}

std::string CreateBody(const std::string& path, const std::string& data) {
  std::string body;
  JuteWriter(&body).Buffer(path).Buffer(data).OpenAcl().Int(0);
  return body;
}

std::string DeleteBody(const std::string& path) {
  std::string body;
  JuteWriter(&body).Buffer(path).Int(-1);
  return body;
}

// A template for `opcode` on `path`, whose digits start at `digits_in_path` (path offset).
FrameTemplate NumberedTemplate(int32_t opcode, const std::string& body, size_t digits_in_path,
                               int width) {
  FrameTemplate t;
  t.bytes = RequestFrame(opcode, body);
  t.digits_offset = 4 + 8 + 4 + digits_in_path;  // length, header, path length
  t.digits_width = width;
  return t;
}

// Same-sized frames for every znode of the set, back to back: frame i is at i * stride.
struct FrameTable {
  std::string bytes;
  size_t stride = 0;
  const char* At(int64_t i) const { return bytes.data() + static_cast<size_t>(i) * stride; }
};

template <typename BodyFn>
FrameTable BuildTable(int32_t opcode, const LoadOptions& o, BodyFn body_of) {
  FrameTable t;
  for (int64_t i = 0; i < o.znodes; ++i) {
    std::string frame = RequestFrame(opcode, body_of(ZnodePath(o.prefix, i)));
    if (i == 0) {
      t.stride = frame.size();
      t.bytes.reserve(t.stride * static_cast<size_t>(o.znodes));
    }
    t.bytes += frame;
  }
  return t;
}

// --- Connections ----------------------------------------------------------------------------

enum class OpKind : uint8_t { kGetData, kExists, kSetData, kCreate, kDelete };

// The least body a correctly shaped successful reply has, by request kind.
size_t MinReplyBodyBytes(OpKind kind) {
  switch (kind) {
    case OpKind::kGetData:
      return 4 + kStatBytes;  // data buffer, Stat
    case OpKind::kExists:
    case OpKind::kSetData:
      return kStatBytes;
    case OpKind::kCreate:
      return 4;  // the created path
    case OpKind::kDelete:
      return 0;
  }
  return 0;
}

struct InFlight {
  int32_t xid;
  OpKind kind;
  int64_t start_ns;  // sent (closed loop) or scheduled (fixed offered load)
};

// Requests in flight on one connection, oldest first (a fixed ring: at most W + the deletes that
// close a create-delete pair after the end).
class InFlightQueue {
 public:
  explicit InFlightQueue(size_t capacity) : slots_(capacity) {}
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void Push(const InFlight& f) {
    if (size_ == slots_.size()) Grow();
    slots_[(head_ + size_) % slots_.size()] = f;
    ++size_;
  }
  const InFlight& Front() const { return slots_[head_]; }
  void Pop() {
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }

 private:
  void Grow() {
    std::vector<InFlight> bigger(slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = slots_[(head_ + i) % slots_.size()];
    slots_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<InFlight> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

struct Connection {
  Connection(int index_in, size_t window, uint64_t seed)
      : index(index_in), in_flight(window + 2), random(seed) {}
  int index;
  int fd = -1;
  bool open = false;
  bool epoll_out = false;  // EPOLLOUT registered (a send would block)
  bool dirty = false;      // has unsent output and is on the flush list
  std::string out;
  size_t out_sent_bytes = 0;
  std::vector<char> in;
  size_t in_begin = 0;
  size_t in_end = 0;
  InFlightQueue in_flight;
  int32_t next_xid = 1;
  int32_t close_xid = 0;
  int64_t last_send_ns = 0;
  int32_t session_timeout_ms = 0;
  int pings_in_flight = 0;
  FastRandom random;
  uint64_t create_delete_seq = 0;
  bool create_delete_pending_delete = false;  // its last create is not yet followed by a delete
};

// Blocking connect to `e`; -1 with a message on failure.
int ConnectTo(const Endpoint& e) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(e.port);
  int rc = getaddrinfo(e.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    std::fprintf(stderr, "corral-bench-lean: %s: %s\n", e.host.c_str(), gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) {
    std::fprintf(stderr, "corral-bench-lean: connect %s:%d: %s\n", e.host.c_str(), e.port,
                 std::strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool ReadExactly(int fd, char* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// Reads one whole frame (blocking); false on EOF, timeout or a bad length.
bool ReadFrame(int fd, std::string* record) {
  char len_bytes[4];
  if (!ReadExactly(fd, len_bytes, 4)) return false;
  int32_t len = ReadInt32(len_bytes);
  if (len < 0 || static_cast<uint32_t>(len) > kFrameBytesMax) return false;
  record->resize(static_cast<size_t>(len));
  return ReadExactly(fd, record->data(), record->size());
}

// Connects and does the session handshake, blocking. Returns false with a message.
bool OpenSession(Connection* c, const Endpoint& e, int32_t session_timeout_ms) {
  c->fd = ConnectTo(e);
  if (c->fd < 0) return false;
  timeval tv{kHandshakeTimeoutS, 0};
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string response;
  if (!SendAll(c->fd, ConnectRequestFrame(session_timeout_ms)) || !ReadFrame(c->fd, &response) ||
      response.size() < 16) {
    std::fprintf(stderr, "corral-bench-lean: %s:%d: no ConnectResponse\n", e.host.c_str(), e.port);
    return false;
  }
  c->session_timeout_ms = ReadInt32(response.data() + 4);
  if (c->session_timeout_ms <= 0) {
    std::fprintf(stderr, "corral-bench-lean: %s:%d refused the session\n", e.host.c_str(), e.port);
    return false;
  }
  c->open = true;
  return true;
}

// One blocking request on a fresh session connection (setup only). Returns the reply's err, or
// INT32_MIN when the connection failed.
int32_t BlockingCall(Connection* c, int32_t opcode, const std::string& body) {
  std::string frame = RequestFrame(opcode, body);
  int32_t xid = c->next_xid++;
  WriteInt32(frame.data() + kXidOffset, xid);
  std::string reply;
  if (!SendAll(c->fd, frame)) return INT32_MIN;
  while (ReadFrame(c->fd, &reply)) {
    if (reply.size() < kReplyHeaderBytes) return INT32_MIN;
    if (ReadInt32(reply.data()) == xid) return ReadInt32(reply.data() + 12);
  }
  return INT32_MIN;
}

// --- The run --------------------------------------------------------------------------------

enum class Phase { kRunning, kDraining, kDone };

class LoadRun {
 public:
  explicit LoadRun(const LoadOptions& o) : o_(o) {}

  int Run() {
    if (!Setup()) return 2;
    EventLoop();
    CloseSessions();
    result_.tool = "lean";
    result_.workload = o_.workload_name;
    result_.servers = o_.servers_text;
    result_.connections = o_.connections;
    result_.window_requests = o_.window_requests;
    result_.offered_ops_s = o_.rate_ops_s;
    if (o_.workload == Workload::kPopulate) {
      result_.measured_s = static_cast<double>(last_reply_ns_ - start_ns_) / kNsPerSecond;
      if (populate_next_ < o_.znodes) Error("not-sent", o_.znodes - populate_next_);
    } else {
      result_.measured_s = static_cast<double>(measure_end_ns_ - measure_start_ns_) / kNsPerSecond;
    }
    PrintResult(result_);
    return result_.errors == 0 ? 0 : 1;
  }

 private:
  bool Setup() {
    EncodeRequests();
    for (int i = 0; i < o_.connections; ++i) {
      connections_.push_back(std::make_unique<Connection>(
          i, static_cast<size_t>(o_.window_requests), o_.seed * 0x100000001b3ull + i));
      const Endpoint& e = o_.servers[static_cast<size_t>(i) % o_.servers.size()];
      if (!OpenSession(connections_.back().get(), e, o_.session_timeout_ms)) return false;
    }
    // The parents the workload needs; an existing one is fine.
    Connection* first = connections_[0].get();
    std::string parent;
    if (o_.workload == Workload::kPopulate) parent = o_.prefix;
    if (o_.workload == Workload::kCreateDelete) parent = CreateDeleteParent(o_.prefix);
    if (!parent.empty()) {
      int32_t err = BlockingCall(first, op::kCreate, CreateBody(parent, ""));
      if (err != 0 && err != kErrNodeExists) {
        std::fprintf(stderr, "corral-bench-lean: create %s failed: %d\n", parent.c_str(), err);
        return false;
      }
    }
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    for (auto& c : connections_) {
      int flags = fcntl(c->fd, F_GETFL);
      fcntl(c->fd, F_SETFL, flags | O_NONBLOCK);
      c->in.resize(kReadChunkBytes);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = c.get();
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->fd, &ev);
    }
    if (o_.rate_ops_s > 0) {
      prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake at the scheduled microsecond
      timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = nullptr;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev);
    }
    return true;
  }

  void EncodeRequests() {
    std::string data = Payload(o_.data_bytes);
    switch (o_.workload) {
      case Workload::kRead:
        get_data_ = BuildTable(op::kGetData, o_, PathWatchBody);
        break;
      case Workload::kExists:
        exists_ = BuildTable(op::kExists, o_, PathWatchBody);
        break;
      case Workload::kMixed:
        get_data_ = BuildTable(op::kGetData, o_, PathWatchBody);
        set_data_ = BuildTable(op::kSetData, o_,
                               [&](const std::string& p) { return SetDataBody(p, data); });
        break;
      case Workload::kWrite:
        set_data_ = BuildTable(op::kSetData, o_,
                               [&](const std::string& p) { return SetDataBody(p, data); });
        break;
      case Workload::kCreateDelete: {
        // PREFIX-cd/<pid>-<connection>-<sequence>: unique across runs and connections.
        char head[64];
        std::snprintf(head, sizeof head, "/%d-", static_cast<int>(getpid()));
        std::string path = CreateDeleteParent(o_.prefix) + head + "0000-000000000000";
        size_t digits = path.size() - kCreateDeleteNumberChars;
        create_ =
            NumberedTemplate(op::kCreate, CreateBody(path, data), digits, kCreateDeleteNumberChars);
        delete_ = NumberedTemplate(op::kDelete, DeleteBody(path), digits, kCreateDeleteNumberChars);
        break;
      }
      case Workload::kPopulate: {
        std::string path = ZnodePath(o_.prefix, 0);
        create_ = NumberedTemplate(op::kCreate, CreateBody(path, data), path.size() - 8, 8);
        break;
      }
    }
  }

  bool Sending(int64_t now) const {
    if (phase_ != Phase::kRunning) return false;
    if (o_.workload == Workload::kPopulate) return populate_next_ < o_.znodes;
    return now < measure_end_ns_;
  }

  // Appends one pre-encoded frame to `c`'s output with the next xid.
  void Append(Connection* c, const char* frame, size_t bytes, OpKind kind, int64_t start_ns) {
    size_t at = c->out.size();
    c->out.append(frame, bytes);
    int32_t xid = c->next_xid++;
    WriteInt32(c->out.data() + at + kXidOffset, xid);
    c->in_flight.Push(InFlight{xid, kind, start_ns});
    MarkDirty(c);
  }

  void AppendNumbered(Connection* c, const FrameTemplate& t, uint64_t number, OpKind kind,
                      int64_t start_ns) {
    size_t at = c->out.size();
    Append(c, t.bytes.data(), t.bytes.size(), kind, start_ns);
    PatchDecimal(c->out.data() + at + t.digits_offset, t.digits_width, number);
  }

  // The number a create-delete znode carries: connection (4 digits) and sequence (12 digits)
  // written as one kCreateDeleteNumberChars-character field "CCCC-SSSSSSSSSSSS".
  void AppendCreateDelete(Connection* c, const FrameTemplate& t, OpKind kind, int64_t start_ns) {
    size_t at = c->out.size();
    Append(c, t.bytes.data(), t.bytes.size(), kind, start_ns);
    char* digits = c->out.data() + at + t.digits_offset;
    PatchDecimal(digits, 4, static_cast<uint64_t>(c->index));
    PatchDecimal(digits + 5, 12, c->create_delete_seq);
  }

  // Issues the workload's next request on `c`.
  void IssueNext(Connection* c, int64_t start_ns) {
    switch (o_.workload) {
      case Workload::kRead:
        Append(c, get_data_.At(c->random.Below(static_cast<uint32_t>(o_.znodes))), get_data_.stride,
               OpKind::kGetData, start_ns);
        break;
      case Workload::kExists:
        Append(c, exists_.At(c->random.Below(static_cast<uint32_t>(o_.znodes))), exists_.stride,
               OpKind::kExists, start_ns);
        break;
      case Workload::kMixed: {
        uint32_t znode = c->random.Below(static_cast<uint32_t>(o_.znodes));
        if (c->random.Below(100) < static_cast<uint32_t>(o_.write_percent)) {
          Append(c, set_data_.At(znode), set_data_.stride, OpKind::kSetData, start_ns);
        } else {
          Append(c, get_data_.At(znode), get_data_.stride, OpKind::kGetData, start_ns);
        }
        break;
      }
      case Workload::kWrite:
        Append(c, set_data_.At(c->random.Below(static_cast<uint32_t>(o_.znodes))), set_data_.stride,
               OpKind::kSetData, start_ns);
        break;
      case Workload::kCreateDelete:
        if (c->create_delete_pending_delete) {
          AppendCreateDelete(c, delete_, OpKind::kDelete, start_ns);
          ++c->create_delete_seq;
        } else {
          AppendCreateDelete(c, create_, OpKind::kCreate, start_ns);
        }
        c->create_delete_pending_delete = !c->create_delete_pending_delete;
        break;
      case Workload::kPopulate:
        AppendNumbered(c, create_, static_cast<uint64_t>(populate_next_++), OpKind::kCreate,
                       start_ns);
        break;
    }
  }

  void FillWindow(Connection* c, int64_t now) {
    while (c->open && c->in_flight.size() < static_cast<size_t>(o_.window_requests) &&
           Sending(now)) {
      IssueNext(c, now);
    }
  }

  // Fixed offered load: issue every request whose scheduled time has come, on the next
  // connection with room; a request with no room waits (its scheduled time stays its start).
  void IssueScheduled(int64_t now) {
    while (next_scheduled_ns_ <= now && Sending(next_scheduled_ns_)) {
      Connection* target = nullptr;
      for (size_t tried = 0; tried < connections_.size(); ++tried) {
        Connection* c = connections_[round_robin_++ % connections_.size()].get();
        if (c->open && c->in_flight.size() < static_cast<size_t>(o_.window_requests)) {
          target = c;
          break;
        }
      }
      if (target == nullptr) return;
      IssueNext(target, next_scheduled_ns_);
      if (next_scheduled_ns_ >= measure_start_ns_)
        result_.schedule_lag.Record(now - next_scheduled_ns_);
      ++scheduled_count_;
      next_scheduled_ns_ = start_ns_ + static_cast<int64_t>(static_cast<double>(scheduled_count_) *
                                                            kNsPerSecond / o_.rate_ops_s);
    }
  }

  void MarkDirty(Connection* c) {
    if (!c->dirty) {
      c->dirty = true;
      dirty_.push_back(c);
    }
  }

  void SetEpollOut(Connection* c, bool on) {
    if (c->epoll_out == on) return;
    c->epoll_out = on;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? uint32_t{EPOLLOUT} : 0u);
    ev.data.ptr = c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
  }

  void Flush(Connection* c) {
    while (c->open && c->out_sent_bytes < c->out.size()) {
      ssize_t n = send(c->fd, c->out.data() + c->out_sent_bytes, c->out.size() - c->out_sent_bytes,
                       MSG_NOSIGNAL);
      if (n > 0) {
        c->out_sent_bytes += static_cast<size_t>(n);
        c->last_send_ns = NowNs();
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetEpollOut(c, true);
        if (c->out_sent_bytes > c->out.size() / 2) {
          c->out.erase(0, c->out_sent_bytes);
          c->out_sent_bytes = 0;
        }
        return;
      }
      Lost(c, "send-failed");
      return;
    }
    c->out.clear();
    c->out_sent_bytes = 0;
    if (c->open) SetEpollOut(c, false);
  }

  void FlushDirty() {
    for (Connection* c : dirty_) {
      c->dirty = false;
      Flush(c);
    }
    dirty_.clear();
  }

  void Error(const std::string& what, uint64_t count = 1) {
    result_.errors += count;
    result_.error_detail[what] += count;
  }

  // The connection is gone: every request still in flight on it is an error.
  void Lost(Connection* c, const char* why) {
    if (!c->open) return;
    Error(why);
    if (!c->in_flight.empty()) Error("lost-in-flight", c->in_flight.size());
    while (!c->in_flight.empty()) c->in_flight.Pop();
    c->open = false;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
    close(c->fd);
    c->fd = -1;
  }

  void OnReadable(Connection* c) {
    if (c->in.size() - c->in_end < kReadChunkBytes / 4) {
      if (c->in_begin > 0) {
        std::memmove(c->in.data(), c->in.data() + c->in_begin, c->in_end - c->in_begin);
        c->in_end -= c->in_begin;
        c->in_begin = 0;
      }
      if (c->in.size() - c->in_end < kReadChunkBytes / 4) c->in.resize(c->in.size() * 2);
    }
    ssize_t n = read(c->fd, c->in.data() + c->in_end, c->in.size() - c->in_end);
    if (n == 0) return Lost(c, "closed-by-server");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return Lost(c, "read-failed");
    }
    c->in_end += static_cast<size_t>(n);
    int64_t now = NowNs();
    while (c->open && c->in_end - c->in_begin >= 4) {
      int32_t len = ReadInt32(c->in.data() + c->in_begin);
      if (len < kReplyHeaderBytes || static_cast<uint32_t>(len) > kFrameBytesMax) {
        return Lost(c, "bad-frame");
      }
      if (c->in_end - c->in_begin < 4 + static_cast<size_t>(len)) break;
      OnReply(c, c->in.data() + c->in_begin + 4, static_cast<size_t>(len), now);
      c->in_begin += 4 + static_cast<size_t>(len);
    }
    if (c->in_begin == c->in_end) c->in_begin = c->in_end = 0;
    if (o_.rate_ops_s == 0) FillWindow(c, now);
  }

  void OnReply(Connection* c, const char* p, size_t len, int64_t now) {
    int32_t xid = ReadInt32(p);
    int32_t err = ReadInt32(p + 12);
    if (xid == kXidPing) {
      --c->pings_in_flight;
      return;
    }
    if (xid == kXidNotification) return;  // no watches are set; ignore if one comes
    if (c->in_flight.empty() || c->in_flight.Front().xid != xid) {
      return Lost(c, "xid-out-of-order");
    }
    InFlight f = c->in_flight.Front();
    c->in_flight.Pop();
    ++result_.replies;
    last_reply_ns_ = now;
    if (err != 0) {
      Error("err" + std::to_string(err));
    } else if (len - kReplyHeaderBytes < MinReplyBodyBytes(f.kind)) {
      Error("short-reply");
    }
    bool measured = o_.workload == Workload::kPopulate ||
                    (f.start_ns >= measure_start_ns_ && now <= measure_end_ns_);
    if (measured) {
      ++result_.ops;
      result_.latency.Record(now - f.start_ns);
    }
  }

  // Idle connections (only possible at a low offered load) ping so their session lives.
  void PingIdle(int64_t now) {
    if (now < next_ping_check_ns_) return;
    next_ping_check_ns_ = now + kNsPerSecond / 2;
    for (auto& c : connections_) {
      int64_t idle_limit_ns = int64_t{c->session_timeout_ms} * 1'000'000 / 3;
      if (c->open && c->pings_in_flight == 0 && now - c->last_send_ns > idle_limit_ns) {
        std::string ping = RequestFrame(op::kPing, "");
        WriteInt32(ping.data() + kXidOffset, kXidPing);
        c->out += ping;
        ++c->pings_in_flight;
        MarkDirty(c.get());
      }
    }
  }

  bool AnyInFlight() const {
    for (const auto& c : connections_) {
      if (c->open && !c->in_flight.empty()) return true;
    }
    return false;
  }
  bool AnyOpen() const {
    for (const auto& c : connections_) {
      if (c->open) return true;
    }
    return false;
  }

  void ArmTimer(int64_t at_ns) {
    if (at_ns == timer_armed_ns_) return;
    timer_armed_ns_ = at_ns;
    itimerspec spec{};
    spec.it_value.tv_sec = at_ns / kNsPerSecond;
    spec.it_value.tv_nsec = at_ns % kNsPerSecond;
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  void EventLoop() {
    start_ns_ = NowNs();
    measure_start_ns_ =
        start_ns_ + (o_.workload == Workload::kPopulate ? 0 : int64_t(o_.warmup_s * kNsPerSecond));
    measure_end_ns_ = measure_start_ns_ + int64_t(o_.duration_s * kNsPerSecond);
    next_scheduled_ns_ = start_ns_;
    for (auto& c : connections_) c->last_send_ns = start_ns_;
    int64_t drain_deadline_ns = 0;
    if (o_.rate_ops_s == 0) {
      for (auto& c : connections_) FillWindow(c.get(), start_ns_);
    }
    std::vector<epoll_event> events(connections_.size() + 1);
    while (phase_ != Phase::kDone) {
      int64_t now = NowNs();
      if (phase_ == Phase::kRunning && !Sending(now)) {
        phase_ = Phase::kDraining;
        drain_deadline_ns = now + kDrainTimeoutNs;
        // Close every create-delete pair so no znode is left behind (not measured).
        for (auto& c : connections_) {
          if (c->open && c->create_delete_pending_delete) IssueNext(c.get(), now);
        }
      }
      if (phase_ == Phase::kRunning && o_.rate_ops_s > 0) IssueScheduled(now);
      PingIdle(now);
      FlushDirty();
      if (!AnyOpen()) break;
      if (phase_ == Phase::kDraining) {
        if (!AnyInFlight()) break;
        if (now > drain_deadline_ns) {
          for (auto& c : connections_) {
            if (c->open && !c->in_flight.empty()) Lost(c.get(), "no-reply-before-drain-timeout");
          }
          break;
        }
      }
      int64_t wake_ns = phase_ == Phase::kRunning && o_.workload != Workload::kPopulate
                            ? measure_end_ns_
                            : drain_deadline_ns;
      if (phase_ == Phase::kRunning && o_.workload == Workload::kPopulate) {
        wake_ns = now + kNsPerSecond;
      }
      wake_ns = std::min(wake_ns, next_ping_check_ns_);
      // A backlog (every window full) waits for replies, not for the timer.
      if (o_.rate_ops_s > 0 && phase_ == Phase::kRunning && next_scheduled_ns_ > now) {
        ArmTimer(next_scheduled_ns_);
      }
      int timeout_ms =
          static_cast<int>(std::max<int64_t>(0, (wake_ns - now + 999'999) / 1'000'000));
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<Connection*>(events[i].data.ptr);
        if (c == nullptr) {
          uint64_t expirations;
          [[maybe_unused]] ssize_t r = read(timer_fd_, &expirations, sizeof expirations);
          timer_armed_ns_ = 0;
          continue;
        }
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(c);
        if (c->open && (events[i].events & EPOLLOUT)) MarkDirty(c);
      }
    }
    phase_ = Phase::kDone;
  }

  // Ends every session politely (closeSession), waiting at most a moment for the replies.
  void CloseSessions() {
    for (auto& c : connections_) {
      if (!c->open) continue;
      int flags = fcntl(c->fd, F_GETFL);
      fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
      std::string close_frame = RequestFrame(op::kCloseSession, "");
      c->close_xid = c->next_xid++;
      WriteInt32(close_frame.data() + kXidOffset, c->close_xid);
      if (!SendAll(c->fd, close_frame)) c->close_xid = 0;
    }
    for (auto& c : connections_) {
      if (!c->open) continue;
      timeval tv{2, 0};
      setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string reply;
      while (c->close_xid != 0 && ReadFrame(c->fd, &reply)) {
        if (reply.size() >= 4 && ReadInt32(reply.data()) == c->close_xid) break;
      }
      close(c->fd);
      c->open = false;
    }
  }

  const LoadOptions& o_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> dirty_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  int64_t timer_armed_ns_ = 0;
  Phase phase_ = Phase::kRunning;
  int64_t start_ns_ = 0;
  int64_t measure_start_ns_ = 0;
  int64_t measure_end_ns_ = 0;
  int64_t last_reply_ns_ = 0;
  int64_t next_ping_check_ns_ = 0;
  int64_t next_scheduled_ns_ = 0;
  uint64_t scheduled_count_ = 0;
  size_t round_robin_ = 0;
  int64_t populate_next_ = 0;
  FrameTable get_data_, exists_, set_data_;
  FrameTemplate create_, delete_;
  RunResult result_;
};

}  // namespace
}  // namespace corral_bench

int main(int argc, char** argv) {
  corral_bench::LoadOptions options;
  if (!corral_bench::ParseLoadOptions("corral-bench-lean", argc, argv, &options)) return 2;
  return corral_bench::LoadRun(options).Run();
}

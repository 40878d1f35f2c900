// corral-bench-cclient: the same workloads as corral-bench-lean, driven through Apache
// ZooKeeper's official C client (libzookeeper_mt, asynchronous API: zoo_aget, zoo_aexists,
// zoo_aset, zoo_acreate, zoo_adelete). It shows what a real client application sees; on a
// small machine the client library itself (two threads per handle, a wake-up pipe per request)
// is usually the limit, which is why the lean generator exists.
//
// --connections H handles (each its own session, handle i on server i mod count), each with up
// to --window-requests W requests outstanding. Closed loop: each completion issues the next
// request from the handle's completion thread. Fixed offered load (--rate-ops-s R): the main
// thread issues requests at their scheduled times and latency counts from the scheduled time.
// Flags, workloads and output are those of corral-bench-lean (see bench_common.h).
#include <time.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#ifndef THREADED
#define THREADED
#endif
#include <zookeeper/zookeeper.h>

#include "bench_common.h"

namespace corral_bench {
namespace {

constexpr int64_t kConnectTimeoutNs = 15 * kNsPerSecond;
constexpr int64_t kDrainTimeoutNs = 10 * kNsPerSecond;

enum class OpKind { kGetData, kExists, kSetData, kCreate, kDelete };

struct Handle;

// One outstanding request: the completion's `data`.
struct Slot {
  Handle* handle = nullptr;
  int64_t start_ns = 0;
  Slot* next_free = nullptr;
};

struct Handle {
  int index = 0;
  zhandle_t* zh = nullptr;
  std::mutex mu;  // guards everything below (completion thread vs. main thread)
  std::condition_variable connected_cv;
  bool connected = false;
  bool session_lost = false;
  std::vector<Slot> slots;
  Slot* free_slots = nullptr;
  int in_flight = 0;
  FastRandom random{1};
  uint64_t create_delete_seq = 0;
  bool create_delete_pending_delete = false;
  uint64_t ops = 0;
  uint64_t replies = 0;
  LatencyHistogram latency;
  std::map<std::string, uint64_t> errors;
};

class CClientRun {
 public:
  explicit CClientRun(const LoadOptions& o) : o_(o), data_(Payload(o.data_bytes)) {}

  int Run() {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    if (!Connect()) return 2;
    if (!CreateParent()) return 2;
    Measure();
    RunResult r;
    r.tool = "cclient";
    r.workload = o_.workload_name;
    r.servers = o_.servers_text;
    r.connections = o_.connections;
    r.window_requests = o_.window_requests;
    r.offered_ops_s = o_.rate_ops_s;
    r.measured_s = static_cast<double>(measure_end_ns_ - measure_start_ns_) / kNsPerSecond;
    r.schedule_lag = schedule_lag_;
    for (auto& h : handles_) {
      std::lock_guard<std::mutex> lock(h->mu);
      r.ops += h->ops;
      r.replies += h->replies;
      r.latency.Merge(h->latency);
      for (const auto& [what, count] : h->errors) {
        r.errors += count;
        r.error_detail[what] += count;
      }
    }
    if (o_.workload == Workload::kPopulate) {
      r.measured_s = static_cast<double>(last_completion_ns_.load() - start_ns_) / kNsPerSecond;
      int64_t unsent = o_.znodes - std::min(populate_next_.load(), o_.znodes);
      if (unsent > 0) {
        r.errors += static_cast<uint64_t>(unsent);
        r.error_detail["not-sent"] += static_cast<uint64_t>(unsent);
      }
    }
    for (auto& h : handles_) zookeeper_close(h->zh);
    PrintResult(r);
    return r.errors == 0 ? 0 : 1;
  }

 private:
  static void Watcher(zhandle_t*, int type, int state, const char*, void* context) {
    auto* h = static_cast<Handle*>(context);
    if (type != ZOO_SESSION_EVENT) return;
    std::lock_guard<std::mutex> lock(h->mu);
    if (state == ZOO_CONNECTED_STATE) {
      h->connected = true;
    } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
      h->session_lost = true;
    }
    h->connected_cv.notify_all();
  }

  bool Connect() {
    for (int i = 0; i < o_.connections; ++i) {
      auto h = std::make_unique<Handle>();
      h->index = i;
      h->random = FastRandom(o_.seed * 0x100000001b3ull + static_cast<uint64_t>(i));
      h->slots.resize(static_cast<size_t>(o_.window_requests));
      for (auto& s : h->slots) {
        s.handle = h.get();
        s.next_free = h->free_slots;
        h->free_slots = &s;
      }
      const Endpoint& e = o_.servers[static_cast<size_t>(i) % o_.servers.size()];
      std::string host = e.host + ":" + std::to_string(e.port);
      h->zh = zookeeper_init(host.c_str(), Watcher, o_.session_timeout_ms, nullptr, h.get(), 0);
      if (h->zh == nullptr) {
        std::fprintf(stderr, "corral-bench-cclient: zookeeper_init %s failed\n", host.c_str());
        return false;
      }
      handles_.push_back(std::move(h));
    }
    for (auto& h : handles_) {
      std::unique_lock<std::mutex> lock(h->mu);
      if (!h->connected_cv.wait_for(lock, std::chrono::nanoseconds(kConnectTimeoutNs),
                                    [&] { return h->connected || h->session_lost; }) ||
          !h->connected) {
        std::fprintf(stderr, "corral-bench-cclient: handle %d did not connect\n", h->index);
        return false;
      }
    }
    return true;
  }

  bool CreateParent() {
    std::string parent;
    if (o_.workload == Workload::kPopulate) parent = o_.prefix;
    if (o_.workload == Workload::kCreateDelete) parent = CreateDeleteParent(o_.prefix);
    if (parent.empty()) return true;
    int rc =
        zoo_create(handles_[0]->zh, parent.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) {
      std::fprintf(stderr, "corral-bench-cclient: create %s: %s\n", parent.c_str(), zerror(rc));
      return false;
    }
    return true;
  }

  bool Sending(int64_t now) const {
    if (stopping_.load(std::memory_order_acquire)) return false;
    if (o_.workload == Workload::kPopulate) {
      return populate_next_.load(std::memory_order_relaxed) < o_.znodes;
    }
    return now < measure_end_ns_;
  }

  static void OnData(int rc, const char*, int, const Stat*, const void* data) {
    Complete(rc, data);
  }
  static void OnStat(int rc, const Stat*, const void* data) { Complete(rc, data); }
  static void OnString(int rc, const char*, const void* data) { Complete(rc, data); }
  static void OnVoid(int rc, const void* data) { Complete(rc, data); }

  static void Complete(int rc, const void* data) {
    auto* slot = static_cast<Slot*>(const_cast<void*>(data));
    Handle* h = slot->handle;
    CClientRun* run = current_;
    int64_t now = NowNs();
    std::lock_guard<std::mutex> lock(h->mu);
    ++h->replies;
    if (rc != ZOK) h->errors["err" + std::to_string(rc)]++;
    bool measured = run->o_.workload == Workload::kPopulate ||
                    (slot->start_ns >= run->measure_start_ns_ && now <= run->measure_end_ns_);
    if (measured) {
      ++h->ops;
      h->latency.Record(now - slot->start_ns);
    }
    run->last_completion_ns_.store(now, std::memory_order_relaxed);
    slot->next_free = h->free_slots;
    h->free_slots = slot;
    --h->in_flight;
    if (run->o_.rate_ops_s == 0 && run->Sending(now)) run->IssueLocked(h, now);
    // A create whose delete was not sent because the run ended: send it (not measured).
    if (!run->Sending(now) && h->create_delete_pending_delete) run->IssueLocked(h, INT64_MAX);
  }

  // Issues the workload's next request on `h` (h->mu held). False when nothing was issued.
  bool IssueLocked(Handle* h, int64_t start_ns) {
    Slot* slot = h->free_slots;
    if (slot == nullptr) return false;
    char path[256];
    OpKind kind = OpKind::kGetData;
    switch (o_.workload) {
      case Workload::kRead:
      case Workload::kExists:
      case Workload::kWrite:
      case Workload::kMixed: {
        uint32_t znode = h->random.Below(static_cast<uint32_t>(o_.znodes));
        std::snprintf(path, sizeof path, "%s/n%08u", o_.prefix.c_str(), znode);
        kind = o_.workload == Workload::kExists                                 ? OpKind::kExists
               : o_.workload == Workload::kWrite                                ? OpKind::kSetData
               : o_.workload == Workload::kRead                                 ? OpKind::kGetData
               : h->random.Below(100) < static_cast<uint32_t>(o_.write_percent) ? OpKind::kSetData
                                                                                : OpKind::kGetData;
        break;
      }
      case Workload::kCreateDelete:
        std::snprintf(path, sizeof path, "%s/%d-%04d-%012llu",
                      CreateDeleteParent(o_.prefix).c_str(), static_cast<int>(getpid()), h->index,
                      static_cast<unsigned long long>(h->create_delete_seq));
        kind = h->create_delete_pending_delete ? OpKind::kDelete : OpKind::kCreate;
        if (h->create_delete_pending_delete) ++h->create_delete_seq;
        h->create_delete_pending_delete = !h->create_delete_pending_delete;
        break;
      case Workload::kPopulate: {
        int64_t index = populate_next_.fetch_add(1);
        if (index >= o_.znodes) return false;
        std::snprintf(path, sizeof path, "%s/n%08lld", o_.prefix.c_str(),
                      static_cast<long long>(index));
        kind = OpKind::kCreate;
        break;
      }
    }
    h->free_slots = slot->next_free;
    slot->start_ns = start_ns;
    ++h->in_flight;
    int rc = ZOK;
    int length = static_cast<int>(data_.size());
    switch (kind) {
      case OpKind::kGetData:
        rc = zoo_aget(h->zh, path, 0, OnData, slot);
        break;
      case OpKind::kExists:
        rc = zoo_aexists(h->zh, path, 0, OnStat, slot);
        break;
      case OpKind::kSetData:
        rc = zoo_aset(h->zh, path, data_.data(), length, -1, OnStat, slot);
        break;
      case OpKind::kCreate:
        rc =
            zoo_acreate(h->zh, path, data_.data(), length, &ZOO_OPEN_ACL_UNSAFE, 0, OnString, slot);
        break;
      case OpKind::kDelete:
        rc = zoo_adelete(h->zh, path, -1, OnVoid, slot);
        break;
    }
    if (rc != ZOK) {
      // Not queued: no completion will come.
      h->errors["issue-err" + std::to_string(rc)]++;
      --h->in_flight;
      slot->next_free = h->free_slots;
      h->free_slots = slot;
      return false;
    }
    return true;
  }

  static void SleepUntil(int64_t at_ns) {
    timespec ts{static_cast<time_t>(at_ns / kNsPerSecond), static_cast<long>(at_ns % kNsPerSecond)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
  }

  void Measure() {
    current_ = this;
    start_ns_ = NowNs();
    last_completion_ns_ = start_ns_;
    measure_start_ns_ =
        start_ns_ +
        (o_.workload == Workload::kPopulate ? 0 : static_cast<int64_t>(o_.warmup_s * kNsPerSecond));
    measure_end_ns_ = measure_start_ns_ + static_cast<int64_t>(o_.duration_s * kNsPerSecond);
    if (o_.rate_ops_s == 0) {
      for (auto& h : handles_) {
        std::lock_guard<std::mutex> lock(h->mu);
        while (Sending(NowNs()) && IssueLocked(h.get(), NowNs())) {
        }
      }
      while (Sending(NowNs())) SleepUntil(std::min(NowNs() + kNsPerSecond / 10, measure_end_ns_));
    } else {
      // Fixed offered load: request k is due at start + k / R; a request with no free slot on
      // any handle waits, keeping its scheduled time as its start.
      uint64_t scheduled = 0;
      size_t round_robin = 0;
      for (;;) {
        int64_t due_ns = start_ns_ + static_cast<int64_t>(static_cast<double>(scheduled) *
                                                          kNsPerSecond / o_.rate_ops_s);
        if (!Sending(due_ns)) break;
        if (due_ns > NowNs()) SleepUntil(due_ns);
        bool issued = false;
        for (size_t tried = 0; tried < handles_.size() && !issued; ++tried) {
          Handle* h = handles_[round_robin++ % handles_.size()].get();
          std::lock_guard<std::mutex> lock(h->mu);
          issued = IssueLocked(h, due_ns);
        }
        if (issued) {
          if (due_ns >= measure_start_ns_) schedule_lag_.Record(NowNs() - due_ns);
          ++scheduled;
        } else {
          SleepUntil(NowNs() + 20'000);  // every window is full: wait for completions
        }
      }
    }
    stopping_.store(true, std::memory_order_release);
    int64_t deadline_ns = NowNs() + kDrainTimeoutNs;
    for (auto& h : handles_) {
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(h->mu);
          if (h->in_flight == 0) break;
          if (NowNs() > deadline_ns) {
            h->errors["no-reply-before-drain-timeout"] += static_cast<uint64_t>(h->in_flight);
            break;
          }
        }
        SleepUntil(NowNs() + 1'000'000);
      }
    }
  }

  static inline CClientRun* current_ = nullptr;
  const LoadOptions& o_;
  std::string data_;
  std::vector<std::unique_ptr<Handle>> handles_;
  LatencyHistogram schedule_lag_;  // main thread only
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> populate_next_{0};
  std::atomic<int64_t> last_completion_ns_{0};
  int64_t start_ns_ = 0;
  int64_t measure_start_ns_ = 0;
  int64_t measure_end_ns_ = 0;
};

}  // namespace
}  // namespace corral_bench

int main(int argc, char** argv) {
  corral_bench::LoadOptions options;
  if (!corral_bench::ParseLoadOptions("corral-bench-cclient", argc, argv, &options)) return 2;
  return corral_bench::CClientRun(options).Run();
}

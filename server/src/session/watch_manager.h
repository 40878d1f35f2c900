#pragma once
// WatchManager: the watches this member's connections have set. Watches are local to a member
// and to a connection (a client re-registers them with setWatches after reconnecting), so they
// are not replicated. Standard watches fire once; persistent ones stay until removed.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "zk/codes.h"

namespace corral {

using WatcherId = uint64_t;  // a connection id

struct WatchDelivery {
  WatcherId watcher = 0;
  int32_t type = 0;  // zk::EventType to send
  // True when the event reaches the watcher only through a persistent or recursive watch: such
  // events are checked against the node's ACL before delivery (CVE-2024-23944).
  bool needs_acl_check = false;
};

class WatchManager {
 public:
  void AddData(const std::string& path, WatcherId w) { Add(&data_, path, w); }
  void AddChild(const std::string& path, WatcherId w) { Add(&child_, path, w); }
  void AddPersistent(const std::string& path, WatcherId w, bool recursive) {
    Add(recursive ? &recursive_ : &persistent_, path, w);
  }

  // The deliveries an event of `type` at `path` causes; one-shot watches that fire are removed.
  // Each watcher appears at most once.
  std::vector<WatchDelivery> Trigger(const std::string& path, int32_t type);

  // checkWatches/removeWatches with a zk::WatcherType (1 children, 2 data, 3 any,
  // 4 persistent, 5 persistent recursive).
  bool Contains(const std::string& path, WatcherId w, int32_t watcher_type) const;
  bool Remove(const std::string& path, WatcherId w, int32_t watcher_type);
  void RemoveWatcher(WatcherId w);

  // For the wchs/wchc/wchp words and metrics.
  size_t watch_count() const;
  std::map<WatcherId, std::set<std::string>> ByWatcher() const;
  std::map<std::string, std::set<WatcherId>> ByPath() const;

 private:
  using Table = std::map<std::string, std::set<WatcherId>>;
  static void Add(Table* t, const std::string& path, WatcherId w);
  static bool Has(const Table& t, const std::string& path, WatcherId w);
  static bool Erase(Table* t, const std::string& path, WatcherId w);

  Table data_, child_, persistent_, recursive_;
};

}  // namespace corral

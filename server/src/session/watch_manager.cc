#include "session/watch_manager.h"

#include <unordered_map>

namespace corral {

void WatchManager::Add(Table* t, const std::string& path, WatcherId w) { (*t)[path].insert(w); }

bool WatchManager::Has(const Table& t, const std::string& path, WatcherId w) {
  auto it = t.find(path);
  return it != t.end() && it->second.count(w) > 0;
}

bool WatchManager::Erase(Table* t, const std::string& path, WatcherId w) {
  auto it = t->find(path);
  if (it == t->end() || it->second.erase(w) == 0) return false;
  if (it->second.empty()) t->erase(it);
  return true;
}

std::vector<WatchDelivery> WatchManager::Trigger(const std::string& path, int32_t type) {
  std::vector<WatchDelivery> out;
  std::unordered_map<WatcherId, size_t> seen;  // watcher -> index in out
  auto deliver = [&](WatcherId w, bool persistent) {
    auto [it, inserted] = seen.emplace(w, out.size());
    if (inserted) {
      out.push_back({w, type, persistent});
    } else if (!persistent) {
      out[it->second].needs_acl_check = false;  // a standard watch vouches for the read
    }
  };
  auto fire_once = [&](Table* t) {
    auto it = t->find(path);
    if (it == t->end()) return;
    for (WatcherId w : it->second) deliver(w, false);
    t->erase(it);
  };
  switch (type) {
    case zk::kEventNodeCreated:
    case zk::kEventNodeDataChanged:
      fire_once(&data_);
      break;
    case zk::kEventNodeDeleted:
      fire_once(&data_);
      fire_once(&child_);
      break;
    case zk::kEventNodeChildrenChanged:
      fire_once(&child_);
      break;
    default:
      break;
  }
  if (auto it = persistent_.find(path); it != persistent_.end()) {
    for (WatcherId w : it->second) deliver(w, true);
  }
  // Recursive watches see every change below them, except child-list changes (the creates and
  // deletes that cause those already reach them).
  if (type != zk::kEventNodeChildrenChanged && !recursive_.empty()) {
    std::string prefix = path;
    while (true) {
      if (auto it = recursive_.find(prefix); it != recursive_.end()) {
        for (WatcherId w : it->second) deliver(w, true);
      }
      if (prefix == "/") break;
      size_t slash = prefix.rfind('/');
      prefix = slash == 0 ? "/" : prefix.substr(0, slash);
    }
  }
  return out;
}

bool WatchManager::Contains(const std::string& path, WatcherId w, int32_t type) const {
  // Mirrors ZooKeeper 3.8's WatchManager.containsWatcher, which answers for the path, not for
  // the asking connection: any watch on the path in the table the type names counts. (Its data
  // table holds data, persistent and recursive watches; its child table child and persistent.)
  auto any_at = [&](const Table& t) { return t.count(path) > 0; };
  bool in_data_table = any_at(data_) || any_at(persistent_) || any_at(recursive_);
  bool in_child_table = any_at(child_) || any_at(persistent_);
  switch (type) {
    case zk::kWatcherChildren:
      return in_child_table;
    case zk::kWatcherData:
      return in_data_table;
    case zk::kWatcherAny:
      return in_data_table || in_child_table;
    case 4:
      return Has(persistent_, path, w);
    case 5:
      return Has(recursive_, path, w);
    default:
      return false;
  }
}

bool WatchManager::Remove(const std::string& path, WatcherId w, int32_t type) {
  // Mirrors ZooKeeper, where persistent watches sit in both the data and the child tables and
  // recursive ones in the data table.
  switch (type) {
    case zk::kWatcherChildren: {
      bool a = Erase(&child_, path, w);
      bool b = Erase(&persistent_, path, w);
      return a || b;
    }
    case zk::kWatcherData: {
      bool a = Erase(&data_, path, w);
      bool b = Erase(&persistent_, path, w);
      bool c = Erase(&recursive_, path, w);
      return a || b || c;
    }
    case zk::kWatcherAny: {
      bool a = Erase(&child_, path, w);
      bool b = Erase(&data_, path, w);
      bool c = Erase(&persistent_, path, w);
      bool d = Erase(&recursive_, path, w);
      return a || b || c || d;
    }
    case 4:
      return Erase(&persistent_, path, w);
    case 5:
      return Erase(&recursive_, path, w);
    default:
      return false;
  }
}

void WatchManager::RemoveWatcher(WatcherId w) {
  for (Table* t : {&data_, &child_, &persistent_, &recursive_}) {
    for (auto it = t->begin(); it != t->end();) {
      it->second.erase(w);
      it = it->second.empty() ? t->erase(it) : std::next(it);
    }
  }
}

size_t WatchManager::watch_count() const {
  size_t n = 0;
  for (const Table* t : {&data_, &child_, &persistent_, &recursive_}) {
    for (const auto& [p, ws] : *t) n += ws.size();
  }
  return n;
}

std::map<WatcherId, std::set<std::string>> WatchManager::ByWatcher() const {
  std::map<WatcherId, std::set<std::string>> out;
  for (const Table* t : {&data_, &child_, &persistent_, &recursive_}) {
    for (const auto& [p, ws] : *t) {
      for (WatcherId w : ws) out[w].insert(p);
    }
  }
  return out;
}

std::map<std::string, std::set<WatcherId>> WatchManager::ByPath() const {
  std::map<std::string, std::set<WatcherId>> out;
  for (const Table* t : {&data_, &child_, &persistent_, &recursive_}) {
    for (const auto& [p, ws] : *t) out[p].insert(ws.begin(), ws.end());
  }
  return out;
}

}  // namespace corral

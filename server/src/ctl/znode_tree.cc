#include "ctl/znode_tree.h"

#include <algorithm>

#include "statemachine/path.h"
#include "zk/codes.h"

namespace corral::ctl {
namespace {

constexpr char kZookeeperSubtree[] = "/zookeeper";

}  // namespace

std::string_view LastPathComponent(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

int32_t FetchTree(client::ZkClient& zk, const std::string& path, int depth_max, ZnodeTree* tree) {
  tree->path = path;
  tree->children.clear();
  if (depth_max == 0) {
    zk::Stat ignored;
    return zk.Exists(path, false, &ignored);
  }
  std::vector<std::string> names;
  int32_t err = zk.GetChildren(path, false, &names, nullptr);
  if (err != zk::kOk) return err;
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    ZnodeTree child;
    err = FetchTree(zk, path::Join(path, name), depth_max < 0 ? -1 : depth_max - 1, &child);
    if (err == zk::kNoNode) continue;  // deleted meanwhile
    if (err != zk::kOk) return err;
    tree->children.push_back(std::move(child));
  }
  return zk::kOk;
}

int32_t DeleteTree(client::ZkClient& zk, const std::string& path, int64_t* deleted,
                   std::string* failed_path) {
  std::vector<std::string> names;
  int32_t err = zk.GetChildren(path, false, &names, nullptr);
  if (err != zk::kOk) {
    *failed_path = path;
    return err;
  }
  for (const auto& name : names) {
    std::string child = path::Join(path, name);
    if (child == kZookeeperSubtree) continue;
    err = DeleteTree(zk, child, deleted, failed_path);
    if (err == zk::kNoNode) continue;
    if (err != zk::kOk) return err;
  }
  if (path == "/") return zk::kOk;
  err = zk.Delete(path, -1);
  if (err != zk::kOk) {
    *failed_path = path;
    return err;
  }
  ++*deleted;
  return zk::kOk;
}

}  // namespace corral::ctl

#pragma once
// Walking a subtree with a client: fetching it (ls -R, tree) and deleting it bottom-up
// (deleteall). A child that disappears while the walk runs is skipped, as zkCli does.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/zk_client.h"

namespace corral::ctl {

struct ZnodeTree {
  std::string path;
  std::vector<ZnodeTree> children;  // sorted by name
};

// depth_max: levels below path to fetch; -1 for all.
[[nodiscard]] int32_t FetchTree(client::ZkClient& zk, const std::string& path, int depth_max,
                                ZnodeTree* tree);

// Deletes path and everything below it, children first. Under "/" the /zookeeper subtree is
// kept (the server refuses to delete it). On an error, *failed_path names the node.
[[nodiscard]] int32_t DeleteTree(client::ZkClient& zk, const std::string& path, int64_t* deleted,
                                 std::string* failed_path);

std::string_view LastPathComponent(std::string_view path);

}  // namespace corral::ctl

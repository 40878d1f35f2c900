// corral-server CONFIG: starts one member from a zoo.cfg (or YAML) file.
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "config/config.h"
#include "runtime/server.h"

int main(int argc, char** argv) {
  using namespace corral;
  if (argc != 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fprintf(stderr,
                 "usage: corral-server CONFIG\n"
                 "  CONFIG is a zoo.cfg (Java properties with ZooKeeper's keys) or a .yaml/.yml\n"
                 "  file with the same keys. See docs/configuration.md.\n");
    return argc == 2 ? 0 : 2;
  }
  StatusOr<Config> loaded = LoadConfigFile(argv[1]);
  if (!loaded.ok()) {
    std::fprintf(stderr, "corral-server: invalid configuration %s: %s\n", argv[1],
                 loaded.status().message().c_str());
    return 2;
  }
  Config config = std::move(loaded.value());
  LogLevel level;
  if (ParseLogLevel(config.log_level, &level)) SetLogLevel(level);
  SetLogMemberId(config.my_id);
  if (!config.log_file.empty()) {
    Status opened = SetLogFile(config.log_file);
    if (!opened.ok()) {
      std::fprintf(stderr, "corral-server: %s\n", opened.message().c_str());
      return 2;
    }
  }
  for (const auto& warning : config.warnings) CORRAL_LOG(kWarn) << "config: " << warning;
  Server server(std::move(config));
  Status recovered = server.Recover();
  if (!recovered.ok()) {
    std::fprintf(stderr, "corral-server: %s\n", recovered.ToString().c_str());
    return 1;
  }
  Status listening = server.Listen();
  if (!listening.ok()) {
    std::fprintf(stderr, "corral-server: %s\n", listening.ToString().c_str());
    return 1;
  }
  server.Run();
  return 0;
}

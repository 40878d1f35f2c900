// corral-server CONFIG: starts one member from a zoo.cfg (or YAML) file.
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "config/config.h"
#include "runtime/server.h"

// jemalloc's settings when corral-server links it (CMakeLists.txt); glibc's malloc ignores this
// symbol, and MALLOC_CONF in the environment still overrides it. jemalloc keeps freed pages for
// dirty_decay_ms before it returns them, and without a background thread it returns them only
// while the program allocates: after a burst (a bulk load, a snapshot being installed, a
// lagging follower's catch-up) an idle member kept up to 10 s' worth -- 7 MB after loading
// 500,000 znodes -- and longer if nothing allocated. With a background thread and a 1 s decay it
// hands them back within about a second of going idle; under load the pages are reused long
// before they age, so the throughput benchmarks do not move (docs/benchmarks.md).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "background_thread:true,max_background_threads:1,dirty_decay_ms:1000";
}

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

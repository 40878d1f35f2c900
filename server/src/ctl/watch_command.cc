// watch: arms a watch and prints its events until a count is reached, a timeout passes or the
// user interrupts (Ctrl-C). Persistent and recursive modes use addWatch; the one-shot modes
// (data, children) are armed again after each event, so they too print every change seen.
#include <csignal>

#include "ctl/commands.h"
#include "ctl/znode_format.h"
#include "zk/codes.h"

namespace corral::ctl {
namespace {

// Set by SIGINT while a watch runs; the handler is installed only for that time, so Ctrl-C
// keeps its usual meaning elsewhere.
std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) { g_interrupted = true; }

class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted = false;
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptScope() { sigaction(SIGINT, &previous_, nullptr); }

 private:
  struct sigaction previous_ {};
};

enum class WatchMode { kPersistent, kRecursive, kData, kChildren };

StatusOr<WatchMode> ParseWatchMode(const std::string& text) {
  if (text == "persistent") return WatchMode::kPersistent;
  if (text == "recursive") return WatchMode::kRecursive;
  if (text == "data") return WatchMode::kData;
  if (text == "children") return WatchMode::kChildren;
  return Status::InvalidArgument("-m takes persistent, recursive, data or children, not \"" + text +
                                 "\"");
}

int32_t Arm(client::ZkClient& zk, WatchMode mode, const std::string& path) {
  switch (mode) {
    case WatchMode::kPersistent:
      return zk.AddWatch(path, zk::kAddWatchPersistent);
    case WatchMode::kRecursive:
      return zk.AddWatch(path, zk::kAddWatchPersistentRecursive);
    case WatchMode::kData: {
      // exists, not getData: it also watches a node that does not exist yet (NodeCreated).
      zk::Stat ignored;
      int32_t err = zk.Exists(path, true, &ignored);
      return err == zk::kNoNode ? zk::kOk : err;
    }
    case WatchMode::kChildren:
      return zk.GetChildren(path, true, nullptr, nullptr);
  }
  return zk::kBadArguments;
}

// How often a waiting watch looks at the interrupt flag (a signal handler cannot wake it).
constexpr int kInterruptCheckMs = 100;

}  // namespace

void PrintWatchEvent(CommandContext& ctx, const client::WatchEvent& event,
                     const std::string& text_prefix) {
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject()
        .Key("type")
        .String(EventTypeName(event.type))
        .Key("state")
        .String(KeeperStateName(event.state))
        .Key("path")
        .String(event.path)
        .Key("zxid")
        .Int(event.zxid)
        .EndObject();
    PrintJson(ctx, json);
  } else {
    *ctx.out << text_prefix << EventTypeName(event.type) << " " << event.path << "\n";
  }
  ctx.out->flush();
}

int RunWatch(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("watch");
  const std::string& path = args.positionals[0];
  auto mode = ParseWatchMode(args.Value("-m", "persistent"));
  if (!mode.ok()) return ReportUsage(ctx, mode.status().message(), &command);
  int64_t count_max = -1;
  if (args.Has("-c")) {
    auto count = ParseInteger(args.Value("-c"), "the event count (-c)", 1, INT64_MAX);
    if (!count.ok()) return ReportUsage(ctx, count.status().message(), &command);
    count_max = *count;
  }
  int64_t timeout_ms = -1;
  if (args.Has("-t")) {
    auto t = ParseInteger(args.Value("-t"), "the timeout in ms (-t)", 0, INT32_MAX);
    if (!t.ok()) return ReportUsage(ctx, t.status().message(), &command);
    timeout_ms = *t;
  }
  int rc = kExitOk;
  client::ZkClient* zk = ConnectedClient(ctx, &rc);
  if (zk == nullptr) return rc;
  int32_t err = Arm(*zk, *mode, path);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  // Before saying the watch is armed: from then on Ctrl-C must stop the watch, not the process.
  InterruptScope interrupt_scope;
  // On the error stream, so a script (or a test) knows the watch is armed before it changes
  // anything, while the output stream carries only events.
  *ctx.err << "watching " << path << " (" << args.Value("-m", "persistent") << ")"
           << (ctx.interactive ? "; Ctrl-C stops" : "") << "\n";
  ctx.err->flush();

  auto start = std::chrono::steady_clock::now();
  int64_t seen = 0;
  int exit_status = kExitOk;
  while (count_max < 0 || seen < count_max) {
    if (g_interrupted) break;
    int wait_ms = kInterruptCheckMs;
    if (timeout_ms >= 0) {
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
      if (elapsed >= timeout_ms) {
        if (count_max >= 0) {
          exit_status = ReportFailure(ctx, "saw " + std::to_string(seen) + " of " +
                                               std::to_string(count_max) + " events within " +
                                               std::to_string(timeout_ms) + " ms");
        }
        break;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(wait_ms, timeout_ms - elapsed));
    }
    std::optional<client::WatchEvent> event = zk->session().NextEvent(wait_ms);
    if (!event) {
      client::SessionState state = zk->session().state();
      if (state != client::SessionState::kConnected && state != client::SessionState::kConnecting) {
        exit_status =
            ReportFailure(ctx, std::string("the session is ") + client::SessionStateName(state));
        break;
      }
      continue;
    }
    PrintWatchEvent(ctx, *event, "");
    ++seen;
    if ((*mode == WatchMode::kData || *mode == WatchMode::kChildren) &&
        (count_max < 0 || seen < count_max)) {
      err = Arm(*zk, *mode, path);
      if (err != zk::kOk) {
        exit_status = ReportZkError(ctx, err, path);
        break;
      }
    }
  }
  // In the shell the session outlives the command; its watch should not.
  if (ctx.interactive) {
    int32_t ignored = zk->RemoveAllWatches(path);
    (void)ignored;
  }
  return exit_status;
}

}  // namespace corral::ctl

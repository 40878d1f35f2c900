// corralctl: a command-line client for Corral (and any ZooKeeper ensemble), like zkCli.sh and
// etcdctl. One command per run when one is given (exit status 0 on success), otherwise an
// interactive shell. See docs/corralctl.md.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "ctl/commands.h"
#include "ctl/global_options.h"
#include "ctl/shell.h"

int main(int argc, char** argv) {
  using namespace corral::ctl;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = ParseGlobalOptions(args);
  if (!options.ok()) {
    std::cerr << "Error: " << options.status().message() << "\n" << GlobalUsage();
    return kExitUsage;
  }
  if (options->help) {
    std::cout << GlobalUsage() << "\n" << HelpText("", false);
    return kExitOk;
  }
  if (options->version) {
    std::cout << "corralctl " << CORRAL_VERSION << "\n";
    return kExitOk;
  }
  ServiceConnection connection(*options);
  if (!options->command.empty()) {
    CommandContext ctx;
    ctx.connection = &connection;
    ctx.out = &std::cout;
    ctx.err = &std::cerr;
    int status = RunCommandWords(ctx, options->command);
    std::cout.flush();
    connection.Close();
    return status;
  }
  if (isatty(STDIN_FILENO) == 0) {
    auto lines = MakeStreamLineSource(std::cin);
    return RunShell(connection, *lines, std::cout, std::cerr, /*show_prompt=*/false);
  }
  const char* home = std::getenv("HOME");
  std::string history_path = home != nullptr ? std::string(home) + "/.corralctl_history" : "";
  auto lines = MakeTerminalLineSource(
      history_path, [&](const std::string& line) { return CompleteShellLine(connection, line); });
  return RunShell(connection, *lines, std::cout, std::cerr, /*show_prompt=*/true);
}

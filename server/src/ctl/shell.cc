#include "ctl/shell.h"

#include "ctl/command_words.h"
#include "ctl/commands.h"
#include "ctl/completion.h"
#include "zk/codes.h"

namespace corral::ctl {
namespace {

std::string Prompt(ServiceConnection& connection, int line_number) {
  std::string server;
  if (connection.session() != nullptr) server = connection.session()->connected_server();
  if (server.empty()) server = connection.options().connect_string;
  return "[corral: " + server + "(" + connection.StateName() + ") " + std::to_string(line_number) +
         "] ";
}

void PrintPendingEvents(CommandContext& ctx) {
  client::Session* session = ctx.connection->session();
  if (session == nullptr) return;
  while (std::optional<client::WatchEvent> event = session->NextEvent(0)) {
    PrintWatchEvent(ctx, *event, "WATCHER:: ");
  }
}

}  // namespace

std::vector<std::string> CompleteShellLine(ServiceConnection& connection,
                                           const std::string& line_before_cursor) {
  CompletionTarget target = FindCompletionTarget(line_before_cursor);
  if (target.kind == CompletionKind::kCommand) {
    return CompleteCommand(target.word, CommandNames(/*interactive=*/true));
  }
  if (target.kind != CompletionKind::kPath) return {};
  return CompletePath(
      target.word, [&](const std::string& parent) -> std::optional<std::vector<std::string>> {
        // Completion never connects: with no live session there is nothing to list.
        client::Session* session = connection.session();
        if (session == nullptr || session->state() != client::SessionState::kConnected) {
          return std::nullopt;
        }
        auto zk = connection.Client();
        if (!zk.ok()) return std::nullopt;
        std::vector<std::string> children;
        if ((*zk)->GetChildren(parent, false, &children, nullptr) != zk::kOk) return std::nullopt;
        return children;
      });
}

int RunShell(ServiceConnection& connection, LineSource& lines, std::ostream& out, std::ostream& err,
             bool show_prompt) {
  CommandContext ctx;
  ctx.connection = &connection;
  ctx.out = &out;
  ctx.err = &err;
  ctx.interactive = true;
  // Connect at once so the prompt tells whether the ensemble is there; a failure is reported
  // and the next command tries again.
  if (auto client = connection.Client(); !client.ok()) {
    err << "Error: " << client.status().message() << "\n";
  }
  int exit_status = kExitOk;
  int line_number = 0;
  std::vector<std::string> history;
  while (true) {
    PrintPendingEvents(ctx);
    out.flush();
    err.flush();
    std::optional<std::string> line =
        lines.ReadLine(show_prompt ? Prompt(connection, line_number) : "");
    if (!line) break;
    auto words = SplitCommandWords(*line);
    if (!words.ok()) {
      err << "Error: " << words.status().message() << "\n";
      exit_status = kExitUsage;
      continue;
    }
    if (words->empty() || words->front().starts_with("#")) continue;
    ++line_number;
    lines.AddHistory(*line);
    history.push_back(*line);
    const std::string& name = words->front();
    int status = kExitOk;
    if (name == "quit" || name == "exit") {
      break;
    } else if (name == "connect") {
      if (words->size() != 2) {
        status = ReportUsage(ctx, "usage: connect HOST:PORT[,HOST:PORT...]", nullptr);
      } else if (Status s = connection.Reconnect((*words)[1]); !s.ok()) {
        status = ReportFailure(ctx, s.message());
      }
    } else if (name == "close") {
      connection.Close();
    } else if (name == "history") {
      for (size_t i = 0; i < history.size(); ++i) out << i + 1 << "  " << history[i] << "\n";
    } else {
      status = RunCommandWords(ctx, *words);
    }
    if (status != kExitOk) exit_status = status;
  }
  PrintPendingEvents(ctx);
  connection.Close();
  return exit_status;
}

}  // namespace corral::ctl

#include <algorithm>
#include <sstream>

#include "ctl/commands.h"

namespace corral::ctl {

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"ls",
       "ls [-s] [-R] [-w] [PATH]",
       "list the children of a znode (default /)",
       {{"-s", false, "print the znode's Stat too"},
        {"-R", false, "list the whole subtree, one path a line"},
        {"-w", false, "leave a child watch"}},
       0,
       1,
       RunLs},
      {"get",
       "get [-s] [-w] PATH",
       "print a znode's data",
       {{"-s", false, "print the Stat too"}, {"-w", false, "leave a data watch"}},
       1,
       1,
       RunGet},
      {"set",
       "set [-s] [-v VERSION] PATH DATA",
       "replace a znode's data",
       {{"-s", false, "print the new Stat"},
        {"-v", true, "VERSION: only if the data version is this"}},
       2,
       2,
       RunSet},
      {"create",
       "create [-e] [-s] [-c] [-t TTL_MS] PATH [DATA] [ACL]",
       "create a znode (ACL as scheme:id:perms[,...], default world:anyone:cdrwa)",
       {{"-e", false, "ephemeral: gone when this session ends"},
        {"-s", false, "sequential: the server appends a counter to the name"},
        {"-c", false, "container: removed once its last child is"},
        {"-t", true, "TTL_MS: persistent with a time to live (extendedTypesEnabled)"}},
       1,
       3,
       RunCreate},
      {"delete",
       "delete [-v VERSION] PATH",
       "delete a znode without children",
       {{"-v", true, "VERSION: only if the data version is this"}},
       1,
       1,
       RunDelete},
      {"deleteall",
       "deleteall PATH",
       "delete a znode and everything below it",
       {},
       1,
       1,
       RunDeleteAll},
      {"stat",
       "stat [-w] PATH",
       "print a znode's Stat",
       {{"-w", false, "leave a data watch"}},
       1,
       1,
       RunStat},
      {"sync",
       "sync PATH",
       "make the connected member catch up with the leader",
       {},
       1,
       1,
       RunSync},
      {"tree",
       "tree [-d DEPTH] [PATH]",
       "print a subtree as a tree (default /)",
       {{"-d", true, "DEPTH: levels below PATH to show"}},
       0,
       1,
       RunTree},
      {"watch",
       "watch [-m MODE] [-c COUNT] [-t TIMEOUT_MS] PATH",
       "print watch events until COUNT events, TIMEOUT_MS or Ctrl-C",
       {{"-m", true,
         "MODE: persistent (default), recursive (the subtree), data or children (one-shot, "
         "armed again)"},
        {"-c", true, "COUNT: stop after this many events"},
        {"-t", true, "TIMEOUT_MS: stop after this long (fails if COUNT was not reached)"}},
       1,
       1,
       RunWatch},
      {"getAcl",
       "getAcl [-s] PATH",
       "print a znode's ACL",
       {{"-s", false, "print the Stat too"}},
       1,
       1,
       RunGetAcl},
      {"setAcl",
       "setAcl [-s] [-v ACL_VERSION] PATH ACL",
       "replace a znode's ACL (scheme:id:perms[,...])",
       {{"-s", false, "print the new Stat"},
        {"-v", true, "ACL_VERSION: only if the ACL version is this"}},
       2,
       2,
       RunSetAcl},
      {"addauth",
       "addauth SCHEME [AUTH]",
       "add credentials to this session (digest user:password)",
       {},
       1,
       2,
       RunAddAuth},
      {"whoami", "whoami", "print the identities of this session", {}, 0, 0, RunWhoAmI},
      {"config",
       "config [-s]",
       "print the ensemble configuration (/zookeeper/config)",
       {{"-s", false, "print the Stat too"}},
       0,
       0,
       RunConfig},
      {"reconfig",
       "reconfig [-s] [-v FROM_CONFIG] (-add SERVERS | -remove IDS | -members SERVERS | -file "
       "FILE)",
       "change the ensemble's membership",
       {{"-s", false, "print the new config's Stat"},
        {"-v", true, "FROM_CONFIG: only if the current config version is this (hex)"},
        {"-add", true, "SERVERS: server.N=host:port:port[:role];[addr:]port,..."},
        {"-remove", true, "IDS: server ids, comma-separated"},
        {"-members", true, "SERVERS: the whole new membership"},
        {"-file", true, "FILE: a dynamic config file with the new membership"}},
       0,
       0,
       RunReconfig},
      {"4lw",
       "4lw WORD [HOST:PORT]",
       "send a four-letter word (ruok, srvr, stat, mntr, conf, cons, ...) and print the answer",
       {},
       1,
       2,
       RunFourLetterWord},
      {"admin",
       "admin [-h HOST] [-p PORT] NAME",
       "GET http://HOST:PORT/commands/NAME from the AdminServer and print its JSON",
       {{"-h", true, "HOST: default the connected (or first) member"},
        {"-p", true, "PORT: the admin port, default 8080"}},
       1,
       1,
       RunAdmin},
      {"dump",
       "dump (log | snapshot [--nodes] | meta) FILE",
       "check and print a log segment, snapshot or metadata file, as corral-dump",
       {{"--nodes", false, "print every znode and session of a snapshot"}},
       2,
       2,
       RunDump},
  };
  return kCommands;
}

const Command* FindCommand(const std::string& name) {
  for (const auto& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> CommandNames(bool interactive) {
  std::vector<std::string> names = {"help"};
  for (const auto& c : Commands()) names.push_back(c.name);
  if (interactive) {
    for (const char* shell : {"quit", "exit", "connect", "close", "history"}) {
      names.push_back(shell);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

int RunCommandWords(CommandContext& ctx, const std::vector<std::string>& words) {
  if (words.empty()) return kExitOk;
  if (words[0] == "help") {
    *ctx.out << HelpText(words.size() > 1 ? words[1] : "", ctx.interactive);
    return kExitOk;
  }
  const Command* command = FindCommand(words[0]);
  if (command == nullptr) {
    return ReportUsage(ctx, "unknown command \"" + words[0] + "\" (try help)", nullptr);
  }
  std::vector<std::string> rest(words.begin() + 1, words.end());
  auto args = ParseFlags(rest, command->flags);
  if (!args.ok()) return ReportUsage(ctx, args.status().message(), command);
  size_t n = args->positionals.size();
  if (n < command->positionals_min || n > command->positionals_max) {
    return ReportUsage(ctx, "wrong number of arguments", command);
  }
  return command->run(ctx, *args);
}

std::string HelpText(const std::string& command_name, bool interactive) {
  std::ostringstream out;
  if (!command_name.empty()) {
    const Command* c = FindCommand(command_name);
    if (c == nullptr) return "unknown command \"" + command_name + "\"\n";
    out << c->synopsis << "\n  " << c->summary << "\n";
    for (const auto& f : c->flags) out << "  " << f.name << "  " << f.help << "\n";
    return out.str();
  }
  out << "commands:\n";
  for (const auto& c : Commands()) out << "  " << c.synopsis << "\n";
  if (interactive) {
    out << "  connect HOST:PORT[,HOST:PORT...]\n  close\n  history\n  quit\n";
  }
  out << "help COMMAND describes one command and its flags.\n";
  return out.str();
}

}  // namespace corral::ctl

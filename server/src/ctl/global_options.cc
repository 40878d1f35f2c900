#include "ctl/global_options.h"

#include "ctl/flags.h"

namespace corral::ctl {

std::string GlobalUsage() {
  return "usage: corralctl [-server HOST:PORT[,HOST:PORT...]] [--json] [--timeout-ms N]\n"
         "                 [--session-timeout-ms N] [--auth SCHEME:CREDENTIALS]... "
         "[COMMAND ARGS...]\n"
         "Without a command, an interactive shell. `corralctl help` lists the commands.\n"
         "Exit status: 0 success, 1 the command failed (a ZooKeeper error such as NoNode, or "
         "no connection), 2 usage error.\n";
}

StatusOr<GlobalOptions> ParseGlobalOptions(const std::vector<std::string>& args) {
  GlobalOptions o;
  size_t i = 0;
  auto value = [&](const std::string& name) -> StatusOr<std::string> {
    if (i + 1 >= args.size()) return Status::InvalidArgument(name + " needs a value");
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-server" || a == "--server") {
      auto v = value(a);
      if (!v.ok()) return v.status();
      o.connect_string = *v;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--timeout-ms" || a == "--session-timeout-ms") {
      auto v = value(a);
      if (!v.ok()) return v.status();
      auto n = ParseInteger(*v, a, 1, 24 * 3600 * 1000);
      if (!n.ok()) return n.status();
      (a == "--timeout-ms" ? o.timeout_ms : o.session_timeout_ms) = static_cast<int>(*n);
    } else if (a == "--auth") {
      auto v = value(a);
      if (!v.ok()) return v.status();
      size_t colon = v->find(':');
      if (colon == std::string::npos || colon == 0) {
        return Status::InvalidArgument("--auth takes SCHEME:CREDENTIALS, e.g. digest:user:pass");
      }
      o.auths.emplace_back(v->substr(0, colon), v->substr(colon + 1));
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "--version") {
      o.version = true;
    } else if (a.starts_with("-") && a != "-") {
      return Status::InvalidArgument("unknown option " + a);
    } else {
      break;
    }
  }
  o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  auto servers = client::ParseConnectString(o.connect_string);
  if (!servers.ok()) return servers.status();
  o.servers = std::move(*servers);
  return o;
}

}  // namespace corral::ctl

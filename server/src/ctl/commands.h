#pragma once
// corralctl's command table and the handlers it dispatches to (one file per group:
// znode_commands.cc, acl_commands.cc, watch_command.cc, service_commands.cc).
#include <string>
#include <vector>

#include "client/session.h"
#include "ctl/command.h"

namespace corral::ctl {

const std::vector<Command>& Commands();
// nullptr for an unknown name.
const Command* FindCommand(const std::string& name);
// Every name the shell completes: the table's and the shell's own (quit, connect, ...).
std::vector<std::string> CommandNames(bool interactive);

// Parses the flags of words[1..] for the command words[0] and runs it.
int RunCommandWords(CommandContext& ctx, const std::vector<std::string>& words);
// The list of commands, or one command's synopsis and flags.
std::string HelpText(const std::string& command_name, bool interactive);

void PrintWatchEvent(CommandContext& ctx, const client::WatchEvent& event,
                     const std::string& text_prefix);

int RunLs(CommandContext& ctx, const ParsedArgs& args);
int RunGet(CommandContext& ctx, const ParsedArgs& args);
int RunSet(CommandContext& ctx, const ParsedArgs& args);
int RunCreate(CommandContext& ctx, const ParsedArgs& args);
int RunDelete(CommandContext& ctx, const ParsedArgs& args);
int RunDeleteAll(CommandContext& ctx, const ParsedArgs& args);
int RunStat(CommandContext& ctx, const ParsedArgs& args);
int RunSync(CommandContext& ctx, const ParsedArgs& args);
int RunTree(CommandContext& ctx, const ParsedArgs& args);
int RunConfig(CommandContext& ctx, const ParsedArgs& args);
int RunGetAcl(CommandContext& ctx, const ParsedArgs& args);
int RunSetAcl(CommandContext& ctx, const ParsedArgs& args);
int RunAddAuth(CommandContext& ctx, const ParsedArgs& args);
int RunWhoAmI(CommandContext& ctx, const ParsedArgs& args);
int RunWatch(CommandContext& ctx, const ParsedArgs& args);
int RunReconfig(CommandContext& ctx, const ParsedArgs& args);
int RunFourLetterWord(CommandContext& ctx, const ParsedArgs& args);
int RunAdmin(CommandContext& ctx, const ParsedArgs& args);
int RunDump(CommandContext& ctx, const ParsedArgs& args);

// The create mode from create's flags (-e, -s, -c, -t TTL_MS); exposed for tests.
StatusOr<client::CreateOptions> CreateModeFromFlags(const ParsedArgs& args);

}  // namespace corral::ctl

#pragma once
// The interactive shell: reads lines, runs each as a command on the one session it keeps,
// prints the watch events that arrived in between ("WATCHER:: NodeDataChanged /a"), and shows
// the connection's state in its prompt. Besides the commands, it knows connect, close,
// history and quit.
#include <ostream>
#include <string>

#include "ctl/line_source.h"
#include "ctl/service_connection.h"

namespace corral::ctl {

// Returns 0 if every command succeeded, else the exit status of the last one that failed.
int RunShell(ServiceConnection& connection, LineSource& lines, std::ostream& out, std::ostream& err,
             bool show_prompt);

// Tab completion for the shell: command names, and znode paths listed through the session.
std::vector<std::string> CompleteShellLine(ServiceConnection& connection,
                                           const std::string& line_before_cursor);

}  // namespace corral::ctl

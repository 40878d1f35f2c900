#pragma once
// Where the shell's lines come from. On a terminal: libedit (BSD licence) with a prompt,
// history kept in a file, and tab completion. Otherwise (a pipe, a file): plain lines from the
// stream, no prompt, so scripts can be piped in.
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace corral::ctl {

class LineSource {
 public:
  virtual ~LineSource() = default;
  // The next line without its newline; nullopt at the end of input (Ctrl-D).
  virtual std::optional<std::string> ReadLine(const std::string& prompt) = 0;
  // Remembers a line the user ran (and, on a terminal, saves the history file).
  virtual void AddHistory(const std::string& line) = 0;
};

// Candidates for the word at the end of line_before_cursor.
using Completer = std::function<std::vector<std::string>(const std::string& line_before_cursor)>;

std::unique_ptr<LineSource> MakeStreamLineSource(std::istream& in);
// history_path: where history is loaded from and saved to ("" for none).
std::unique_ptr<LineSource> MakeTerminalLineSource(const std::string& history_path,
                                                   Completer completer);

}  // namespace corral::ctl

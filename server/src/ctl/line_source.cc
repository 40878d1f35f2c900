#include "ctl/line_source.h"

#include <editline/readline.h>

#include <cstdlib>
#include <cstring>

namespace corral::ctl {
namespace {

// Lines kept in the history file.
constexpr int kHistoryLinesMax = 1000;

class StreamLineSource : public LineSource {
 public:
  explicit StreamLineSource(std::istream& in) : in_(in) {}
  std::optional<std::string> ReadLine(const std::string&) override {
    std::string line;
    if (!std::getline(in_, line)) return std::nullopt;
    return line;
  }
  void AddHistory(const std::string&) override {}

 private:
  std::istream& in_;
};

// libedit's readline interface takes plain C callbacks, so the completer lives in a global;
// there is one terminal per process.
Completer* g_completer = nullptr;
std::vector<std::string> g_matches;
char g_word_breaks[] = " \t";

char* NextMatch(const char*, int state) {
  static size_t index = 0;
  if (state == 0) index = 0;
  if (index >= g_matches.size()) return nullptr;
  return strdup(g_matches[index++].c_str());
}

char** Complete(const char* text, int, int end) {
  rl_attempted_completion_over = 1;  // no file-name completion as a fallback
  g_matches = (*g_completer)(std::string(rl_line_buffer, static_cast<size_t>(end)));
  if (g_matches.empty()) return nullptr;
  // A completed path may go on with '/', a completed command with its arguments.
  rl_completion_append_character = g_matches.front().starts_with("/") ? '\0' : ' ';
  return rl_completion_matches(text, NextMatch);
}

class TerminalLineSource : public LineSource {
 public:
  TerminalLineSource(std::string history_path, Completer completer)
      : history_path_(std::move(history_path)), completer_(std::move(completer)) {
    g_completer = &completer_;
    rl_readline_name = "corralctl";
    rl_completer_word_break_characters = g_word_breaks;
    rl_attempted_completion_function = Complete;
    using_history();
    stifle_history(kHistoryLinesMax);
    if (!history_path_.empty()) read_history(history_path_.c_str());
  }
  ~TerminalLineSource() override { g_completer = nullptr; }

  std::optional<std::string> ReadLine(const std::string& prompt) override {
    char* line = readline(prompt.c_str());
    if (line == nullptr) return std::nullopt;
    std::string out(line);
    std::free(line);
    return out;
  }

  void AddHistory(const std::string& line) override {
    add_history(line.c_str());
    // Saved after every line, so a shell that is killed keeps what was typed.
    if (!history_path_.empty()) write_history(history_path_.c_str());
  }

 private:
  std::string history_path_;
  Completer completer_;
};

}  // namespace

std::unique_ptr<LineSource> MakeStreamLineSource(std::istream& in) {
  return std::make_unique<StreamLineSource>(in);
}

std::unique_ptr<LineSource> MakeTerminalLineSource(const std::string& history_path,
                                                   Completer completer) {
  return std::make_unique<TerminalLineSource>(history_path, std::move(completer));
}

}  // namespace corral::ctl

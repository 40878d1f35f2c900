// The public entry points: pick a syntax, reduce it to ConfigEntry lists, and hand those to the
// one BuildConfig that knows what the keys mean.
#include "config/config.h"

#include <cctype>
#include <filesystem>

#include "config/config_builder.h"
#include "config/properties_parser.h"
#include "config/text_file.h"
#include "config/yaml_parser.h"

namespace corral {
namespace {

StatusOr<Config> ParsePropertiesFrom(const std::string& text, const ConfigSource& source) {
  StatusOr<std::vector<ConfigEntry>> entries = ParsePropertiesEntries(text);
  if (!entries.ok()) return entries.status();
  return BuildConfig(entries.value(), source);
}

StatusOr<Config> ParseYamlFrom(const std::string& text, const ConfigSource& source) {
  StatusOr<std::vector<ConfigEntry>> entries = ParseYamlEntries(text);
  if (!entries.ok()) return entries.status();
  return BuildConfig(entries.value(), source);
}

bool IsYamlPath(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".yaml" || ext == ".yml";
}

}  // namespace

StatusOr<Config> ParseProperties(const std::string& text, const std::string& base_dir) {
  return ParsePropertiesFrom(text, ConfigSource{"", base_dir});
}

StatusOr<Config> ParseYaml(const std::string& text, const std::string& base_dir) {
  return ParseYamlFrom(text, ConfigSource{"", base_dir});
}

StatusOr<Config> LoadConfigFile(const std::string& path) {
  StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) {
    const Status& st = text.status();
    std::string message = "cannot read the config file: " + st.message();
    if (st.code() == Status::Code::kNotFound) return Status::NotFound(message);
    return Status::IoError(message);
  }
  // Relative paths inside the file are relative to the file, so a config and its data directory
  // can move together whatever the working directory is.
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  ConfigSource source{path, ec ? std::string() : absolute.parent_path().string()};

  StatusOr<Config> config = IsYamlPath(path) ? ParseYamlFrom(text.value(), source)
                                             : ParsePropertiesFrom(text.value(), source);
  if (!config.ok()) {
    // Syntax errors from the parsers do not know the file name; the key errors already carry it.
    const std::string& message = config.status().message();
    if (message.find(path) == std::string::npos) {
      return Status::InvalidArgument(path + ": " + message);
    }
    return config;
  }
  config->source_path = path;
  return config;
}

}  // namespace corral

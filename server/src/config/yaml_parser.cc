#include "config/yaml_parser.h"

#include <yaml-cpp/yaml.h>

namespace corral {
namespace {

// yaml-cpp marks are 0-based and -1 when unknown.
int LineOf(const YAML::Node& node) {
  int line = node.Mark().line;
  return line >= 0 ? line + 1 : 0;
}

std::string AtLine(int line) { return line > 0 ? " (line " + std::to_string(line) + ")" : ""; }

const char* KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

Status Flatten(const YAML::Node& map, const std::string& prefix, int depth,
               std::vector<ConfigEntry>* out) {
  if (depth > kYamlNestingMax) {
    return Status::InvalidArgument(prefix + ": nested deeper than " +
                                   std::to_string(kYamlNestingMax) + " levels" +
                                   AtLine(LineOf(map)));
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    // Copies: Nodes are cheap handles, and the iterator hands out a temporary pair.
    const YAML::Node key_node = it->first;
    const YAML::Node value = it->second;
    if (!key_node.IsScalar() || key_node.Scalar().empty()) {
      std::string where = prefix.empty() ? "YAML" : prefix;
      return Status::InvalidArgument(where + ": a key must be a non-empty scalar, got " +
                                     KindName(key_node) + AtLine(LineOf(key_node)));
    }
    std::string key = prefix.empty() ? key_node.Scalar() : prefix + "." + key_node.Scalar();
    int line = LineOf(key_node);
    if (value.IsMap()) {
      CORRAL_RETURN_IF_ERROR(Flatten(value, key, depth + 1, out));
    } else if (value.IsSequence()) {
      return Status::InvalidArgument(key + ": lists are not supported; expected a single value" +
                                     AtLine(line));
    } else {
      // A null node's Scalar() is empty, which is what `key=` means in zoo.cfg.
      out->push_back({key, value.IsScalar() ? value.Scalar() : std::string(), line});
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<ConfigEntry>> ParseYamlEntries(const std::string& text) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    std::string where;
    if (!e.mark.is_null()) {
      where = " (line " + std::to_string(e.mark.line + 1) + ", column " +
              std::to_string(e.mark.column + 1) + ")";
    }
    return Status::InvalidArgument("YAML: " + e.msg + where);
  }
  if (documents.size() > 1) {
    return Status::InvalidArgument("YAML: expected one document, found " +
                                   std::to_string(documents.size()));
  }
  std::vector<ConfigEntry> entries;
  if (documents.empty() || documents[0].IsNull()) return entries;
  const YAML::Node& root = documents[0];
  if (!root.IsMap()) {
    return Status::InvalidArgument(
        std::string("YAML: the top level must be a mapping of keys, got ") + KindName(root) +
        AtLine(LineOf(root)));
  }
  try {
    CORRAL_RETURN_IF_ERROR(Flatten(root, "", 1, &entries));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("YAML: " + e.msg);
  }
  return entries;
}

}  // namespace corral

#pragma once
// ConfigEntry: one key = value pair as a config file spelled it, before any meaning is given to
// it. Both file formats (Java properties and YAML) reduce to a list of these, and one function
// (BuildConfig) turns the list into a Config, so the two formats cannot drift apart.
#include <string>

namespace corral {

struct ConfigEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line where the entry starts; 0 when unknown
};

}  // namespace corral

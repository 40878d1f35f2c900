#pragma once
// An in-memory ApiClient for the operator's tests: answers from a map, records every call, fails
// the requests it is told to.
#include <map>
#include <string>
#include <vector>

#include "kube/api_client.h"

namespace corral::kube {

struct Call {
  std::string verb;  // GET LIST CREATE APPLY MERGE DELETE
  std::string plural;
  std::string name;
  std::string subresource;
  std::string body;
  std::string field_manager;
};

class FakeApi : public ApiClient {
 public:
  std::map<std::string, std::string> objects;  // "plural/name" -> JSON
  std::map<std::string, int> fail;             // "VERB plural" -> HTTP code
  std::vector<Call> calls;

  Result Answer(const std::string& verb, const Resource& r, int ok_code, std::string body) {
    Result res;
    auto f = fail.find(verb + " " + r.plural);
    res.http_code = f != fail.end() ? f->second : ok_code;
    res.body = std::move(body);
    res.status = StatusForHttp(res.http_code, verb + " " + r.plural, "");
    return res;
  }
  Result Get(const Resource& r, const std::string&, const std::string& name) override {
    calls.push_back({"GET", r.plural, name, "", "", ""});
    auto it = objects.find(r.plural + "/" + name);
    if (it == objects.end()) return Answer("GET", r, 404, "");
    return Answer("GET", r, 200, it->second);
  }
  Result List(const Resource& r, const std::string&, const ListOptions&) override {
    calls.push_back({"LIST", r.plural, "", "", "", ""});
    auto it = objects.find(r.plural + "/");
    return Answer("LIST", r, 200, it != objects.end() ? it->second : R"({"items":[]})");
  }
  virtual ~FakeApi() = default;
  Result Create(const Resource& r, const std::string&, const std::string& body) override {
    calls.push_back({"CREATE", r.plural, "", "", body, ""});
    return Answer("CREATE", r, 201, body);
  }
  Result Apply(const Resource& r, const std::string&, const std::string& name,
               const std::string& body, const std::string& manager, bool,
               const std::string& sub) override {
    calls.push_back({"APPLY", r.plural, name, sub, body, manager});
    return Answer("APPLY", r, 200, body);
  }
  Result Replace(const Resource& r, const std::string&, const std::string& name,
                 const std::string& body) override {
    calls.push_back({"PUT", r.plural, name, "", body, ""});
    return Answer("PUT", r, 200, body);
  }
  Result MergePatch(const Resource& r, const std::string&, const std::string& name,
                    const std::string& body) override {
    calls.push_back({"MERGE", r.plural, name, "", body, ""});
    return Answer("MERGE", r, 200, body);
  }
  Result UpdateStatus(const Resource& r, const std::string&, const std::string& name,
                      const std::string& body) override {
    calls.push_back({"PUT", r.plural, name, "status", body, ""});
    return Answer("PUT", r, 200, body);
  }
  Result Delete(const Resource& r, const std::string&, const std::string& name,
                const std::string&) override {
    calls.push_back({"DELETE", r.plural, name, "", "", ""});
    return Answer("DELETE", r, 200, "");
  }
  Result Watch(const Resource&, const std::string&, const ListOptions&,
               const std::function<bool(const WatchEvent&)>&) override {
    return Answer("WATCH", kEnsembles, 200, "");
  }

  // The writes, as "VERB plural/name[/sub]".
  std::vector<std::string> Writes() const {
    std::vector<std::string> out;
    for (const Call& c : calls) {
      if (c.verb == "GET" || c.verb == "LIST") continue;
      out.push_back(c.verb + " " + c.plural + (c.name.empty() ? "" : "/" + c.name) +
                    (c.subresource.empty() ? "" : "/" + c.subresource));
    }
    return out;
  }
  const Call* Find(const std::string& verb, const std::string& plural,
                   const std::string& sub = "") const {
    for (const Call& c : calls) {
      if (c.verb == verb && c.plural == plural && c.subresource == sub) return &c;
    }
    return nullptr;
  }
};

}  // namespace corral::kube

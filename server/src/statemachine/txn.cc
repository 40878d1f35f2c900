#include "statemachine/txn.h"

namespace corral {

std::string EncodeCreateSession(const CreateSessionBody& body) {
  std::string out;
  jute::Writer w(&out);
  w.WriteInt(body.timeout_ms);
  w.WriteBuffer(body.passwd);
  return out;
}

bool DecodeCreateSession(const std::string& bytes, CreateSessionBody* body) {
  jute::Reader r(bytes);
  body->timeout_ms = r.ReadInt();
  body->passwd = r.ReadBuffer();
  return r.AtEnd();
}

}  // namespace corral

#include "sim/trace.h"

#include "sim/digest.h"

namespace corral::sim {

void Trace::Event(int64_t tick, std::string_view kind, consensus::MemberId member, int64_t a,
                  int64_t b, int64_t c) {
  hash_.AddSigned(tick).Add(kind).AddSigned(member).AddSigned(a).AddSigned(b).AddSigned(c);
  if (out_ != nullptr) {
    std::fprintf(out_, "t=%lld %.*s m%lld %lld %lld %lld\n", static_cast<long long>(tick),
                 static_cast<int>(kind.size()), kind.data(), static_cast<long long>(member),
                 static_cast<long long>(a), static_cast<long long>(b), static_cast<long long>(c));
  }
}

void Trace::Message(int64_t tick, std::string_view kind, const consensus::Message& m) {
  hash_.AddSigned(tick).Add(kind).AddSigned(static_cast<int64_t>(m.type)).AddSigned(m.from);
  hash_.AddSigned(m.to).AddSigned(m.epoch).AddSigned(m.last_zxid).Add(m.granted ? 1 : 0);
  hash_.AddSigned(m.prev_zxid).Add(m.entries.size()).AddSigned(m.commit_zxid);
  hash_.Add(m.success ? 1 : 0).AddSigned(m.match_zxid).AddSigned(m.snapshot_zxid);
  if (!m.entries.empty()) hash_.AddSigned(m.entries.back().zxid);
  if (out_ != nullptr) {
    std::fprintf(out_, "t=%lld %.*s %s\n", static_cast<long long>(tick),
                 static_cast<int>(kind.size()), kind.data(), DescribeMessage(m).c_str());
  }
}

void Trace::Note(int64_t tick, const std::string& text) {
  hash_.AddSigned(tick).Add(text);
  if (out_ != nullptr)
    std::fprintf(out_, "t=%lld %s\n", static_cast<long long>(tick), text.c_str());
}

std::string DescribeMessage(const consensus::Message& m) {
  std::string s = std::string(consensus::MessageTypeName(m.type)) + " " + std::to_string(m.from) +
                  "->" + std::to_string(m.to) + " e" + std::to_string(m.epoch);
  switch (m.type) {
    case consensus::MessageType::kVoteRequest:
      s += (m.pre_vote ? " pre" : "") + std::string(" last=") + ZxidString(m.last_zxid);
      break;
    case consensus::MessageType::kVoteReply:
      s += (m.pre_vote ? " pre" : "") + std::string(m.granted ? " granted" : " refused");
      break;
    case consensus::MessageType::kAppend:
      s += " prev=" + ZxidString(m.prev_zxid) + " n=" + std::to_string(m.entries.size());
      if (!m.entries.empty()) s += " last=" + ZxidString(m.entries.back().zxid);
      s += " commit=" + ZxidString(m.commit_zxid);
      break;
    case consensus::MessageType::kAppendReply:
      s += (m.success ? " ok" : " reject") + std::string(" match=") + ZxidString(m.match_zxid);
      break;
    case consensus::MessageType::kSnapshot:
      s += " at=" + ZxidString(m.snapshot_zxid);
      break;
    case consensus::MessageType::kForward:
      s += " n=" + std::to_string(m.entries.size());
      if (!m.entries.empty()) {
        s += " session=" + std::to_string(m.entries[0].session_id) +
             " xid=" + std::to_string(m.entries[0].xid);
      }
      break;
    default:
      s += " req=" + std::to_string(m.request_id) + " zxid=" + ZxidString(m.zxid);
  }
  return s;
}

}  // namespace corral::sim

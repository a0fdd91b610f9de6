#include "kube/watch_decode.h"

namespace gt::kube {

const char* WatchEventTypeName(WatchEventType t) {
  switch (t) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "?";
}

Status LineSplitter::Feed(std::string_view chunk,
                          const std::function<Status(std::string_view)>& on_line) {
  while (!chunk.empty()) {
    const size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (partial_.size() + chunk.size() > max_) {
        partial_.clear();
        return MakeError(ErrorCode::kMalformed,
                         "watch event longer than " + std::to_string(max_) + " bytes");
      }
      partial_.append(chunk);
      return OkStatus();
    }
    std::string_view line = chunk.substr(0, nl);
    chunk.remove_prefix(nl + 1);
    Status st = OkStatus();
    if (partial_.empty()) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) st = on_line(line);
    } else {
      if (partial_.size() + line.size() > max_) {
        partial_.clear();
        return MakeError(ErrorCode::kMalformed,
                         "watch event longer than " + std::to_string(max_) + " bytes");
      }
      partial_.append(line);
      std::string whole = std::move(partial_);
      partial_.clear();
      if (!whole.empty() && whole.back() == '\r') whole.pop_back();
      if (!whole.empty()) st = on_line(whole);
    }
    if (!st) return st;
  }
  return OkStatus();
}

Result<WatchEvent> DecodeWatchEvent(std::string_view line) {
  Json doc = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kMalformed,
                     "watch event is not a JSON object: " + std::string(line.substr(0, 120)));
  }
  const auto type = doc.find("type");
  const auto object = doc.find("object");
  if (type == doc.end() || !type->is_string() || object == doc.end() || !object->is_object()) {
    return MakeError(ErrorCode::kMalformed,
                     "watch event lacks type or object: " + std::string(line.substr(0, 120)));
  }
  WatchEvent ev;
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "ADDED") {
    ev.type = WatchEventType::kAdded;
  } else if (t == "MODIFIED") {
    ev.type = WatchEventType::kModified;
  } else if (t == "DELETED") {
    ev.type = WatchEventType::kDeleted;
  } else if (t == "BOOKMARK") {
    ev.type = WatchEventType::kBookmark;
  } else if (t == "ERROR") {
    ev.type = WatchEventType::kError;
  } else {
    return MakeError(ErrorCode::kMalformed, "unknown watch event type \"" + t + "\"");
  }
  ev.object = std::move(*object);
  return ev;
}

int ErrorEventCode(const WatchEvent& e) {
  if (e.type != WatchEventType::kError) return 0;
  const auto code = e.object.find("code");
  return code != e.object.end() && code->is_number_integer() ? code->get<int>() : 0;
}

bool IsResourceExpired(const WatchEvent& e) {
  if (e.type != WatchEventType::kError) return false;
  if (ErrorEventCode(e) == 410) return true;
  const std::string reason = StringField(e.object, "reason");
  return reason == "Expired" || reason == "Gone";
}

}  // namespace gt::kube

#include "kube/client.h"

namespace gt::kube {

Result<std::string> KubeClient::ListEach(const std::string& path, const ListOptions& options,
                                         const ListSink& sink) {
  auto list = List(path, options);
  if (!list) return list.error();
  if (sink.on_item) {
    for (Json& item : list->items) sink.on_item(std::move(item));
  }
  return std::move(list->resource_version);
}

}  // namespace gt::kube

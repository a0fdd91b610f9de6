#include "controller/scraper.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace gt::controller {

void Scraper::ScrapeOne(ScrapeRequest request) {
  for (int page = 0; page < options_.max_pages; ++page) {
    auto started = std::chrono::steady_clock::now();
    auto response = client_.Fetch(request.target, request.since);
    auto took = std::chrono::steady_clock::now() - started;
    bool more = response && response->more && response->cursor > request.since;
    uint64_t next = response ? response->cursor : 0;
    controller_.IngestScrape(request, std::move(response), took);
    if (!more) return;
    request.since = next;
  }
}

size_t Scraper::ScrapeAll() {
  std::vector<ScrapeRequest> plan = controller_.PlanScrapes();
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < plan.size(); i = next.fetch_add(1)) {
      ScrapeOne(plan[i]);
    }
  };
  size_t threads = std::min(options_.max_in_flight, plan.size());
  std::vector<std::jthread> pool;
  pool.reserve(threads);
  for (size_t i = 0; i < threads; ++i) pool.emplace_back(worker);
  return plan.size();  // the jthreads join here
}

}  // namespace gt::controller

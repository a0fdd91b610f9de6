// One scrape round: every agent asked for its samples since our cursor, at most
// `max_in_flight` at a time, each bounded by the client's own timeout, so a hanging agent
// holds one slot and no more.
#pragma once

#include <cstddef>

#include "controller/controller.h"
#include "controller/ports.h"

namespace gt::controller {

struct ScraperOptions {
  size_t max_in_flight = 16;
  int max_pages = 4;  // follow-ups while the agent says `more` (its response size bound)
};

class Scraper {
 public:
  Scraper(Controller& controller, AgentClient& client, ScraperOptions options = {})
      : controller_(controller), client_(client), options_(options) {}

  // Blocks until every agent has answered or failed. Returns the number of agents asked.
  size_t ScrapeAll();

 private:
  void ScrapeOne(ScrapeRequest request);

  Controller& controller_;
  AgentClient& client_;
  ScraperOptions options_;
};

}  // namespace gt::controller

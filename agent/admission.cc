#include "agent/admission.h"

#include <algorithm>

namespace gt::agent {

Admission::Decision Admission::Admit(const std::string& peer, std::weak_ptr<Holder> holder,
                                     Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  Decision decision;
  auto held = per_peer_.find(peer);
  size_t mine = held == per_peer_.end() ? 0 : held->second;
  if (limits_.max_per_peer != 0 && mine >= limits_.max_per_peer) return decision;
  if (places_.size() >= std::max<size_t>(limits_.max_total, 1)) {
    // Full: the victim is the oldest place of the heaviest peer, counting the newcomer.
    auto weight = [&](const std::string& p) { return p == peer ? mine + 1 : per_peer_.at(p); };
    size_t heaviest = 0;
    for (const auto& [p, n] : per_peer_) heaviest = std::max(heaviest, weight(p));
    auto victim = std::find_if(places_.begin(), places_.end(),
                               [&](const Place& place) { return weight(place.peer) == heaviest; });
    if (victim == places_.end()) return decision;  // only the newcomer is that heavy
    bool strictly_heavier = heaviest > mine + 1;
    if (!strictly_heavier && now - victim->since < limits_.evict_after) return decision;
    decision.evicted = victim->holder.lock();
    Remove(victim);
  }
  decision.ticket = next_ticket_++;
  places_.push_back(Place{decision.ticket, peer, now, std::move(holder)});
  ++per_peer_[peer];
  return decision;
}

void Admission::Attach(uint64_t ticket, std::weak_ptr<Holder> holder) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Place& place : places_) {
    if (place.ticket == ticket) place.holder = std::move(holder);
  }
}

void Admission::Leave(uint64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto place = std::find_if(places_.begin(), places_.end(),
                            [&](const Place& p) { return p.ticket == ticket; });
  if (place != places_.end()) Remove(place);
}

void Admission::Remove(std::vector<Place>::iterator place) {
  auto held = per_peer_.find(place->peer);
  if (held != per_peer_.end() && --held->second == 0) per_peer_.erase(held);
  places_.erase(place);
}

size_t Admission::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return places_.size();
}

size_t Admission::held_by(const std::string& peer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto held = per_peer_.find(peer);
  return held == per_peer_.end() ? 0 : held->second;
}

}  // namespace gt::agent

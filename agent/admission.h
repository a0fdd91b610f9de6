// A bounded pool of connections that have not yet earned a place: TLS handshakes in progress
// (and authenticated connections over --max-connections waiting for their 429), or requests on
// the plain probe port. Anyone can open a TCP connection, so the pool is shared fairly by
// source address: a peer may hold at most `max_per_peer` places, and when the pool is full a
// newcomer takes the oldest place of the peer holding the most. A peer with one connection at
// a time (the controller, the kubelet) therefore keeps getting in while others hold many;
// only an attacker with as many addresses as the pool has places can crowd it out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gt::agent {

class Admission {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    size_t max_total = 64;
    size_t max_per_peer = 4;  // 0: no per-peer bound (the pool's size bounds it)
    // A place is taken from a peer no heavier than the newcomer only once it has been held
    // this long: a handshake in progress (milliseconds) is never cut for a newcomer.
    std::chrono::milliseconds evict_after{500};
  };

  // What holds a place; Evict() ends it (closes its socket) from any thread.
  class Holder {
   public:
    virtual ~Holder() = default;
    virtual void Evict() = 0;
  };

  struct Decision {
    uint64_t ticket = 0;              // 0: refused (the newcomer's connection is to be closed)
    std::shared_ptr<Holder> evicted;  // to Evict() after Admit returns; may be null
  };

  explicit Admission(Limits limits) : limits_(limits) {}

  Decision Admit(const std::string& peer, std::weak_ptr<Holder> holder, Clock::time_point now);
  // Names the holder of a place admitted without one (so that a refused connection costs no
  // session); until then an eviction takes the place without closing anything.
  void Attach(uint64_t ticket, std::weak_ptr<Holder> holder);
  // Gives the place back; a ticket already evicted or left is ignored.
  void Leave(uint64_t ticket);

  size_t size() const;
  size_t held_by(const std::string& peer) const;

 private:
  struct Place {
    uint64_t ticket;
    std::string peer;
    Clock::time_point since;
    std::weak_ptr<Holder> holder;
  };
  void Remove(std::vector<Place>::iterator place);

  Limits limits_;
  mutable std::mutex mu_;
  std::vector<Place> places_;  // oldest first
  std::map<std::string, size_t> per_peer_;
  uint64_t next_ticket_ = 1;
};

}  // namespace gt::agent

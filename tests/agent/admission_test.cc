#include "agent/admission.h"

#include <gtest/gtest.h>

namespace gt::agent {
namespace {

using std::chrono::milliseconds;

struct Conn : Admission::Holder {
  bool evicted = false;
  void Evict() override { evicted = true; }
};

class AdmissionTest : public ::testing::Test {
 protected:
  // Admits a new connection from `peer` at `at` ms; returns it (null when refused).
  std::shared_ptr<Conn> Admit(Admission& a, const std::string& peer, int at) {
    auto conn = std::make_shared<Conn>();
    Admission::Decision d = a.Admit(peer, conn, t0_ + milliseconds(at));
    if (d.evicted) d.evicted->Evict();
    if (d.ticket == 0) return nullptr;
    tickets_[conn.get()] = d.ticket;
    return conn;
  }
  uint64_t Ticket(const std::shared_ptr<Conn>& c) { return tickets_.at(c.get()); }

  Admission::Clock::time_point t0_ = Admission::Clock::now();
  std::map<const Conn*, uint64_t> tickets_;
  std::vector<std::shared_ptr<Conn>> keep_;
};

TEST_F(AdmissionTest, APeerHoldsAtMostItsShare) {
  Admission a({.max_total = 10, .max_per_peer = 2, .evict_after = milliseconds(500)});
  auto c1 = Admit(a, "10.0.0.9", 0);
  auto c2 = Admit(a, "10.0.0.9", 1);
  ASSERT_TRUE(c1 && c2);
  EXPECT_EQ(Admit(a, "10.0.0.9", 2), nullptr);
  EXPECT_FALSE(c1->evicted || c2->evicted);
  EXPECT_NE(Admit(a, "10.0.0.1", 3), nullptr);
  a.Leave(Ticket(c1));
  EXPECT_EQ(a.held_by("10.0.0.9"), 1u);
  EXPECT_NE(Admit(a, "10.0.0.9", 4), nullptr);
}

TEST_F(AdmissionTest, WhenFullANewPeerTakesTheOldestPlaceOfTheHeaviest) {
  Admission a({.max_total = 4, .max_per_peer = 3, .evict_after = milliseconds(500)});
  auto light = Admit(a, "10.0.0.2", 0);
  auto h1 = Admit(a, "10.0.0.9", 1);
  auto h2 = Admit(a, "10.0.0.9", 2);
  auto h3 = Admit(a, "10.0.0.9", 3);
  ASSERT_TRUE(light && h1 && h2 && h3);
  // Young places, but the heaviest peer holds more than the newcomer would: it gives one up.
  auto controller = Admit(a, "10.0.0.1", 4);
  ASSERT_NE(controller, nullptr);
  EXPECT_TRUE(h1->evicted);
  EXPECT_FALSE(h2->evicted || h3->evicted || light->evicted);
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a.held_by("10.0.0.9"), 2u);
  // Leaving an evicted place changes nothing.
  a.Leave(Ticket(h1));
  EXPECT_EQ(a.size(), 4u);
}

TEST_F(AdmissionTest, AnEqualPeerYieldsOnlyAPlaceHeldLongEnough) {
  Admission a({.max_total = 2, .max_per_peer = 2, .evict_after = milliseconds(500)});
  auto first = Admit(a, "10.0.0.2", 0);
  auto second = Admit(a, "10.0.0.3", 10);
  ASSERT_TRUE(first && second);
  // A handshake in progress (held 100 ms) is not cut for a newcomer as heavy as its holder.
  EXPECT_EQ(Admit(a, "10.0.0.4", 100), nullptr);
  EXPECT_FALSE(first->evicted);
  // Held 600 ms: a slow socket, the oldest one goes.
  EXPECT_NE(Admit(a, "10.0.0.4", 600), nullptr);
  EXPECT_TRUE(first->evicted);
  EXPECT_FALSE(second->evicted);
}

TEST_F(AdmissionTest, APeerAtTheTopReplacesItsOwnStalePlace) {
  Admission a({.max_total = 3, .max_per_peer = 0, .evict_after = milliseconds(500)});
  auto o1 = Admit(a, "10.0.0.2", 0);
  auto o2 = Admit(a, "10.0.0.2", 1);
  auto x = Admit(a, "10.0.0.3", 2);
  ASSERT_TRUE(o1 && o2 && x);
  EXPECT_EQ(Admit(a, "10.0.0.2", 100), nullptr);  // its own places are young
  auto o3 = Admit(a, "10.0.0.2", 700);
  ASSERT_NE(o3, nullptr);
  EXPECT_TRUE(o1->evicted);
  EXPECT_FALSE(x->evicted);
}

TEST_F(AdmissionTest, AHolderAlreadyGoneIsStillRemoved) {
  Admission a({.max_total = 1, .max_per_peer = 0, .evict_after = milliseconds(0)});
  {
    auto gone = Admit(a, "10.0.0.2", 0);
    ASSERT_NE(gone, nullptr);
  }  // destroyed without Leave (a crash path): its place is still reclaimed by eviction
  EXPECT_NE(Admit(a, "10.0.0.3", 1), nullptr);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.held_by("10.0.0.2"), 0u);
}

TEST_F(AdmissionTest, APlaceAdmittedBeforeItsHolderExistsIsEvictedOnceAttached) {
  Admission a({.max_total = 1, .max_per_peer = 0, .evict_after = milliseconds(0)});
  Admission::Decision d = a.Admit("10.0.0.2", {}, t0_);
  ASSERT_NE(d.ticket, 0u);
  auto conn = std::make_shared<Conn>();
  a.Attach(d.ticket, conn);
  ASSERT_NE(Admit(a, "10.0.0.3", 1), nullptr);
  EXPECT_TRUE(conn->evicted);
}

}  // namespace
}  // namespace gt::agent

// The real Judge: reconcile::Judge with the configured policy, each workload's
// groundtruth.dev/<rule>.<parameter> overrides applied on top, and its JudgeState kept here.
#pragma once

#include <map>
#include <set>
#include <string>

#include "controller/log.h"
#include "controller/ports.h"
#include "reconcile/judge.h"
#include "reconcile/policy.h"

namespace gt::controller {

class ReconcileJudge final : public Judge {
 public:
  ReconcileJudge(reconcile::Policy policy, Logger& log) : policy_(policy), log_(log) {}

  reconcile::Verdict Evaluate(const WorkloadKey& key,
                              const reconcile::WorkloadObservation& observation,
                              const std::map<std::string, std::string>& overrides,
                              MonotonicTime now) override;
  void Forget(const WorkloadKey& key) override;

  // Containers and nodes tracked across all workloads (what the judge state costs).
  size_t instance_count() const;
  // About what the judge states occupy (reconcile::HeapBytes), bytes.
  size_t state_bytes() const;

 private:
  reconcile::Policy policy_;
  Logger& log_;
  std::map<WorkloadKey, reconcile::JudgeState> states_;
  // Bad overrides already reported: "<workload> <key>=<value>", so each is logged once.
  std::set<std::string> reported_;
};

}  // namespace gt::controller

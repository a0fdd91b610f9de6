#include "controller/reconcile_judge.h"

namespace gt::controller {

reconcile::Verdict ReconcileJudge::Evaluate(const WorkloadKey& key,
                                            const reconcile::WorkloadObservation& observation,
                                            const std::map<std::string, std::string>& overrides,
                                            MonotonicTime now) {
  reconcile::Policy policy = policy_;
  for (const auto& [parameter, value] : overrides) {
    Status applied = reconcile::ApplyOverride(policy, parameter, value);
    if (!applied) {
      std::string id = key.ToString() + " " + parameter + "=" + value;
      if (reported_.insert(id).second) {
        log_.Warn("ignoring bad override annotation",
                  {{"workload", key.ToString()},
                   {"annotation", std::string(kAnnotationPrefix) + parameter},
                   {"value", value},
                   {"error", applied.error().message}});
      }
    }
  }
  // The state is moved through Judge and back: copying it would re-allocate every
  // container's track on every pass.
  reconcile::JudgeState& state = states_[key];
  reconcile::Judgement judgement = reconcile::Judge(observation, policy, std::move(state), now);
  state = std::move(judgement.state);
  return std::move(judgement.verdict);
}

size_t ReconcileJudge::instance_count() const {
  size_t n = 0;
  for (const auto& [key, state] : states_) n += state.instances.size();
  return n;
}

size_t ReconcileJudge::state_bytes() const {
  size_t n = 0;
  for (const auto& [key, state] : states_)
    n += sizeof(key) + sizeof(state) + reconcile::HeapBytes(state);
  return n;
}

void ReconcileJudge::Forget(const WorkloadKey& key) { states_.erase(key); }

}  // namespace gt::controller

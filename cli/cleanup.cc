#include "cli/cleanup.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/parse_args.h"
#include "common/clock.h"
#include "common/version.h"
#include "contract/annotation.h"
#include "contract/condition.h"
#include "contract/exit_codes.h"
#include "contract/workload.h"
#include "kube/apply.h"
#include "kube/config.h"
#include "kube/rest_client.h"

namespace gt {
namespace cleanup {
namespace {

using contract::WorkloadKind;

struct Found {
  WorkloadKind kind = WorkloadKind::kDeployment;
  std::string ns, name, uid;
  kube::OwnedFields owned;
  std::string verdict;  // "False/MemoryThrashing" of our condition, for the line
};

std::string VerdictOf(const kube::Json& object) {
  const kube::Json& status = kube::ObjectField(object, "status");
  auto conditions = status.find("conditions");
  if (conditions == status.end() || !conditions->is_array()) return "";
  for (const kube::Json& c : *conditions) {
    if (kube::StringField(c, "type") == contract::kConditionType) {
      return kube::StringField(c, "status") + "/" + kube::StringField(c, "reason");
    }
  }
  return "";
}

std::string WhatIsOurs(const Found& f) {
  std::string what;
  if (f.owned.condition) {
    what = "condition " + std::string(contract::kConditionType);
    if (!f.verdict.empty()) what += " (" + f.verdict + ")";
  }
  if (f.owned.annotation) {
    if (!what.empty()) what += ", ";
    what += "annotation " + std::string(contract::kVerdictAnnotation);
  }
  return what;
}

// A controller still running writes its verdicts again on its next pass: cleaning up under
// it is wasted, so say so (its Deployment is listed with the others).
void WarnIfControllerRuns(const kube::Json& deployment, std::FILE* err) {
  const kube::Json& metadata = kube::ObjectField(deployment, "metadata");
  if (kube::StringField(kube::ObjectField(metadata, "labels"), "app.kubernetes.io/name") !=
      "groundtruth-controller") {
    return;
  }
  const int64_t replicas = kube::IntField(kube::ObjectField(deployment, "spec"), "replicas", 1);
  if (replicas == 0) return;
  fmt::print(
      err,
      "groundtruth cleanup: warning: {} still runs {} replica(s) of the controller, "
      "which writes its verdicts again on its next pass; scale it to 0 or delete it "
      "first\n",
      contract::WorkloadKey{WorkloadKind::kDeployment, kube::StringField(metadata, "namespace"),
                            kube::StringField(metadata, "name")}
          .ToString(),
      replicas);
}

}  // namespace

std::string Where(const Options& options) {
  return options.namespace_name.empty() ? "all namespaces" : "namespace " + options.namespace_name;
}

bool IsNamespaceName(const std::string& name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Outcome Run(kube::KubeClient& client, const Options& options, std::FILE* out, std::FILE* err) {
  Outcome outcome;
  std::vector<Found> ours;
  for (WorkloadKind kind : contract::kWorkloadKinds) {
    auto listed = client.List(kube::WorkloadCollectionPath(kind, options.namespace_name), {});
    if (!listed) {
      outcome.list_error = fmt::format("list {}s in {}: {}", contract::KindName(kind),
                                       Where(options), listed.error().ToString());
      return outcome;
    }
    for (const kube::Json& object : listed->items) {
      ++outcome.listed;
      if (kind == WorkloadKind::kDeployment) WarnIfControllerRuns(object, err);
      kube::OwnedFields owned = kube::OwnedByUs(object);
      if (!owned.any()) continue;
      const kube::Json& metadata = kube::ObjectField(object, "metadata");
      ours.push_back(Found{kind, kube::StringField(metadata, "namespace"),
                           kube::StringField(metadata, "name"), kube::StringField(metadata, "uid"),
                           owned, VerdictOf(object)});
    }
  }
  outcome.ours = static_cast<int>(ours.size());
  for (const Found& f : ours) {
    const std::string workload = contract::WorkloadKey{f.kind, f.ns, f.name}.ToString();
    if (options.dry_run) {
      fmt::print(out, "would withdraw {}: {}\n", workload, WhatIsOurs(f));
      continue;
    }
    auto answer = kube::WithdrawOurFields(client, f.kind, f.ns, f.name, f.uid);
    if (!answer) {
      ++outcome.failed;
      fmt::print(err, "groundtruth cleanup: {}: {}\n", workload, answer.error().ToString());
      continue;
    }
    // The answer is the object after both applies: nothing of the two may be ours still.
    if (kube::OwnedByUs(*answer).any()) {
      ++outcome.failed;
      fmt::print(err, "groundtruth cleanup: {}: still owned by field manager {} after the apply\n",
                 workload, contract::kFieldManager);
      continue;
    }
    ++outcome.withdrawn;
    fmt::print(out, "withdrew {}: {}\n", workload, WhatIsOurs(f));
  }
  return outcome;
}

}  // namespace cleanup

namespace {

int Fail(const std::string& message) {
  fmt::print(stderr, "groundtruth cleanup: {}\n", message);
  return contract::kExitUsage;
}

struct Flags {
  std::string kubeconfig, context;
  cleanup::Options options;
};

int Clean(const Flags& flags) {
  SystemClock clock;
  auto config =
      kube::LoadKubeconfig(kube::KubeconfigOptionsFromEnv(flags.kubeconfig, flags.context), clock);
  if (!config) return Fail("kubeconfig: " + config.error().ToString());
  auto client = kube::RestClient::Create(*config, clock);
  if (!client) return Fail("API client: " + client.error().ToString());

  const cleanup::Options& options = flags.options;
  cleanup::Outcome outcome = cleanup::Run(**client, options, stdout, stderr);
  if (!outcome.list_error.empty()) return Fail(outcome.list_error + " (nothing withdrawn)");
  const std::string where = cleanup::Where(options);
  if (options.dry_run) {
    fmt::print(
        "cleanup (dry run): would withdraw groundtruth's verdict from {} of {} workloads "
        "in {}; nothing changed\n",
        outcome.ours, outcome.listed, where);
    return contract::kExitCompliant;
  }
  fmt::print("cleanup: withdrew groundtruth's verdict from {} of {} workloads in {}{}\n",
             outcome.withdrawn, outcome.listed, where,
             outcome.failed == 0 ? "" : fmt::format("; {} failed (above)", outcome.failed));
  // 1: something of ours is left on a workload, as "not compliant" is for a verdict.
  return outcome.failed == 0 ? contract::kExitCompliant : contract::kExitNotCompliant;
}

}  // namespace

int CleanupMain(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "groundtruth cleanup: withdraw every RuntimeCompliant condition and "
      "groundtruth.dev/runtime-compliant annotation that groundtruth's field manager owns on "
      "Deployments, StatefulSets and DaemonSets, by the server-side apply the controller uses "
      "when a workload leaves scope. Run it after stopping the controller.\nExit codes: 0 "
      "nothing of groundtruth's left, 1 some withdrawals failed, 3 usage or configuration "
      "error (nothing done).",
      "groundtruth cleanup"};
  app.set_version_flag("--version", VersionLine("groundtruth cleanup"));
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "kubeconfig file (default: $KUBECONFIG, ~/.kube/config)");
  app.add_option("--context", flags.context, "kubeconfig context");
  app.add_option("--namespace,-n", flags.options.namespace_name,
                 "only this namespace (default: every namespace)");
  app.add_flag("--dry-run", flags.options.dry_run,
               "print what would be withdrawn and change nothing");
  if (std::optional<int> exit = ParseArgs(app, argc, argv)) return *exit;
  const std::string& ns = flags.options.namespace_name;
  if (app.count("--namespace") > 0 && !cleanup::IsNamespaceName(ns)) {
    return Fail("--namespace: \"" + ns +
                "\" is not a namespace name (lowercase letters, digits and '-', at most 63)");
  }
  return Clean(flags);
}

}  // namespace gt

// `groundtruth gate`: waits for a fresh RuntimeCompliant verdict on selected workloads,
// held True for the soak, and exits 0/1/2/3 (docs/contract.md). Informers (list + watch, relist on
// failure) feed the Gate; this file only wires flags, client, informers and output.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "cli/commands.h"
#include "cli/parse_args.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/version.h"
#include "contract/exit_codes.h"
#include "contract/workload.h"
#include "gate/decision.h"
#include "gate/kube_view.h"
#include "gate/manifests.h"
#include "gate/report.h"
#include "kube/apply.h"
#include "kube/config.h"
#include "kube/informer.h"
#include "kube/rest_client.h"

namespace gt {
namespace {

using contract::WorkloadKind;

using contract::kExitCompliant;
using contract::kExitNotCompliant;
using contract::kExitUnknown;
using contract::kExitUsage;

int Fail(const std::string& message) {
  fmt::print(stderr, "groundtruth gate: {}\n", message);
  return kExitUsage;
}

struct Flags {
  std::string kubeconfig, context, namespace_name, selector, manifests, kustomization;
  std::string soak = "0s", timeout = "10m", output = "table";
};

// One informer per (kind, namespace); in manifests mode only the named objects count.
struct Watch {
  WorkloadKind kind = WorkloadKind::kDeployment;
  std::string namespace_name;
  std::unique_ptr<kube::Informer> informer;
  std::optional<Error> last_error;
};

int Run(const Flags& flags, gate::Format format) {
  SystemClock clock;
  auto soak = ParseDuration(flags.soak);
  if (!soak || soak->count() < 0)
    return Fail("--soak: want a duration such as 2m (got \"" + flags.soak + "\")");
  auto timeout = ParseDuration(flags.timeout);
  if (!timeout || timeout->count() <= 0)
    return Fail("--timeout: want a positive duration such as 10m (got \"" + flags.timeout + "\")");
  if (*soak >= *timeout) return Fail("--soak must be shorter than --timeout, or nothing can pass");
  const int modes =
      !flags.manifests.empty() + !flags.kustomization.empty() +
      (flags.manifests.empty() && flags.kustomization.empty() && !flags.namespace_name.empty());
  if (modes != 1)
    return Fail("select workloads with exactly one of --namespace [--selector], --manifests or -k");
  if (!flags.selector.empty() && (!flags.manifests.empty() || !flags.kustomization.empty()))
    return Fail("--selector goes with --namespace, not with --manifests or -k");

  auto config =
      kube::LoadKubeconfig(kube::KubeconfigOptionsFromEnv(flags.kubeconfig, flags.context), clock);
  if (!config) return Fail("kubeconfig: " + config.error().ToString());
  const std::string default_namespace =
      flags.namespace_name.empty() ? config->namespace_name : flags.namespace_name;

  std::optional<std::vector<gate::WorkloadKey>> named;
  if (!flags.manifests.empty() || !flags.kustomization.empty()) {
    auto keys = flags.manifests.empty()
                    ? gate::WorkloadsFromKustomization(flags.kustomization, default_namespace)
                    : gate::WorkloadsFromManifests(flags.manifests, default_namespace);
    if (!keys) return Fail(keys.error().ToString());
    named = std::move(*keys);
  }

  auto client = kube::RestClient::Create(*config, clock);
  if (!client) return Fail("API client: " + client.error().ToString());

  std::mutex mu;
  std::condition_variable cv;
  gate::Gate g(gate::Policy{*soak, *timeout}, clock.Monotonic());
  std::set<gate::WorkloadKey> wanted;
  if (named) {
    for (const auto& k : *named) {
      g.Expect(k);
      wanted.insert(k);
    }
  }

  auto observe = [&](const gate::WorkloadKey& key, const gate::Observed& o) {
    std::lock_guard lock(mu);
    if (named && !wanted.count(key)) return;
    if (auto line = g.Observe(key, o, clock.Monotonic())) fmt::print(stderr, "{}\n", *line);
    cv.notify_all();
  };

  std::vector<std::unique_ptr<Watch>> watches;
  std::set<std::pair<WorkloadKind, std::string>> scopes;
  if (named) {
    for (const auto& k : *named) scopes.insert({k.kind, k.ns});
  } else {
    for (WorkloadKind kind : contract::kWorkloadKinds) scopes.insert({kind, flags.namespace_name});
  }
  for (const auto& [kind, ns] : scopes) {
    auto w = std::make_unique<Watch>();
    w->kind = kind;
    w->namespace_name = ns;
    kube::InformerOptions options;
    options.path = kube::WorkloadCollectionPath(kind, ns);
    options.label_selector = flags.selector;
    options.min_watch_timeout = std::chrono::seconds(60);
    options.transform = [](kube::Json& o) {
      auto meta = o.find("metadata");
      if (meta != o.end() && meta->is_object()) meta->erase("managedFields");
    };
    Watch* raw = w.get();
    options.on_error = [&, raw](const Error& e) {
      std::lock_guard lock(mu);
      fmt::print(stderr, "{} in {}: {} (retrying)\n", KindName(raw->kind), raw->namespace_name,
                 e.ToString());
      raw->last_error = e;
      cv.notify_all();
    };
    w->informer = std::make_unique<kube::Informer>(**client, clock, std::move(options));
    const WorkloadKind k = kind;
    w->informer->AddEventHandler(kube::ResourceEventHandler{
        [&, k](const kube::Json& o) { observe(gate::KeyOf(k, o), gate::ObservedFromObject(o)); },
        [&, k](const kube::Json&, const kube::Json& o) {
          observe(gate::KeyOf(k, o), gate::ObservedFromObject(o));
        },
        [&, k](const kube::Json& o) { observe(gate::KeyOf(k, o), gate::Observed{}); }});
    watches.push_back(std::move(w));
  }
  fmt::print(stderr, "gate: waiting up to {} for a fresh verdict held True for {}\n",
             FormatDurationForPeople(*timeout), FormatDurationForPeople(*soak));
  for (auto& w : watches) w->informer->Start();

  gate::Outcome outcome = gate::Outcome::kWaiting;
  bool synced = false;
  std::string usage_error;
  {
    std::unique_lock lock(mu);
    while (true) {
      if (!synced) {
        bool all = true;
        for (auto& w : watches) {
          if (w->informer->HasSynced()) continue;
          all = false;
          // Refused credentials or a forbidden list will not heal by waiting.
          if (w->last_error && (w->last_error->code == ErrorCode::kPermission ||
                                w->last_error->code == ErrorCode::kInvalid)) {
            usage_error = w->last_error->ToString();
          }
        }
        if (!usage_error.empty()) break;
        if (all) {
          synced = true;
          if (named) {
            // Named objects the lists did not return do not exist (yet).
            for (const auto& key : wanted) {
              if (!g.rows().at(key).observed.exists) {
                if (auto line = g.Observe(key, gate::Observed{}, clock.Monotonic()))
                  fmt::print(stderr, "{}\n", *line);
              }
            }
          } else if (g.rows().empty()) {
            usage_error = fmt::format("no Deployment, StatefulSet or DaemonSet in namespace {}{}",
                                      flags.namespace_name,
                                      flags.selector.empty() ? "" : " matching " + flags.selector);
            break;
          }
        }
      }
      const MonotonicTime now = clock.Monotonic();
      outcome = g.Decide(now);
      if (outcome == gate::Outcome::kTimedOut || (synced && outcome != gate::Outcome::kWaiting))
        break;
      auto wait = g.NextDeadline() - now;
      if (!synced) wait = std::min<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(100));
      wait = std::max<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(1));
      cv.wait_for(lock, wait);
    }
  }
  for (auto& w : watches) w->informer->Stop();
  if (!usage_error.empty()) return Fail(usage_error);

  std::lock_guard lock(mu);
  gate::ReportInput in{&g, outcome, clock.Monotonic(), clock.Wall()};
  fmt::print(stderr, "gate {} after {}\n", gate::OutcomeName(outcome),
             FormatDurationForPeople(
                 std::chrono::duration_cast<std::chrono::milliseconds>(in.now - g.start())));
  switch (format) {
    case gate::Format::kTable:
      fmt::print("{}", gate::RenderTable(in));
      break;
    case gate::Format::kJson:
      fmt::print("{}", gate::RenderJson(in));
      break;
    case gate::Format::kJunit:
      fmt::print("{}", gate::RenderJunit(in));
      break;
  }
  std::fflush(stdout);
  switch (outcome) {
    case gate::Outcome::kPassed:
      return kExitCompliant;
    case gate::Outcome::kFailed:
      return kExitNotCompliant;
    default:
      return kExitUnknown;
  }
}

}  // namespace

int GateMain(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "groundtruth gate: wait until selected workloads carry a fresh RuntimeCompliant=True "
      "verdict held for --soak; fail fast on False.\nExit codes: 0 compliant, 1 not compliant, "
      "2 unknown or timed out, 3 usage or configuration error.",
      "groundtruth gate"};
  app.set_version_flag("--version", VersionLine("groundtruth gate"));
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "kubeconfig file (default: $KUBECONFIG, ~/.kube/config)");
  app.add_option("--context", flags.context, "kubeconfig context");
  app.add_option("--namespace,-n", flags.namespace_name,
                 "namespace of the workloads; with --manifests/-k, for objects without one");
  app.add_option("--selector,-l", flags.selector, "label selector, with --namespace");
  app.add_option("--manifests,-f", flags.manifests,
                 "a manifest file (YAML documents or a v1 List), a directory of them, or - "
                 "for standard input");
  app.add_option("-k,--kustomize", flags.kustomization,
                 "a kustomization directory, rendered with `kubectl kustomize` or "
                 "`kustomize build` (whichever is on PATH)");
  app.add_option("--soak", flags.soak, "how long the fresh verdict must stay True (default 0s)");
  app.add_option("--timeout", flags.timeout, "give up (exit 2) after this long (default 10m)");
  app.add_option("--output,-o", flags.output, "table, json or junit")
      ->check(CLI::IsMember({"table", "json", "junit"}));
  if (std::optional<int> exit = ParseArgs(app, argc, argv)) return *exit;
  const gate::Format format = flags.output == "json"    ? gate::Format::kJson
                              : flags.output == "junit" ? gate::Format::kJunit
                                                        : gate::Format::kTable;
  return Run(flags, format);
}

}  // namespace gt

// `groundtruth run` and `groundtruth check`: flags, manifest, sandbox, observation, report.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/manifest.h"
#include "cli/output.h"
#include "cli/parse_args.h"
#include "cli/sandbox.h"
#include "cli/session.h"
#include "collectors/host.h"
#include "common/duration.h"
#include "common/quantity.h"
#include "common/version.h"
#include "contract/exit_codes.h"
#include "reconcile/policy.h"
#include "wire/samples.h"

namespace gt {
namespace {

using contract::kExitUsage;

// Flags both commands share.
struct CommonFlags {
  std::string manifest;
  std::string name;
  std::string container;
  std::string output = "text";
  std::string interval = "1s";
  std::string cgroup_root;  // default: HostPaths' own
  std::string proc_root;
};

void AddCommonFlags(CLI::App& app, CommonFlags& f) {
  app.set_version_flag("--version", VersionLine(app.get_name()));
  app.add_option("--name", f.name, "workload name in the manifest (default: the first workload)");
  app.add_option("--container,-c", f.container,
                 "container whose resources to use (default: the only or first one)");
  app.add_option("--output,-o", f.output,
                 "text (the condition, evidence and notes), table (one row) or json")
      ->check(CLI::IsMember({"text", "table", "json"}))
      ->capture_default_str();
  app.add_option("--interval", f.interval, "sampling interval, a Go duration")
      ->capture_default_str();
  app.add_option("--cgroup-root", f.cgroup_root, "cgroup filesystem root (default /sys/fs/cgroup)");
  app.add_option("--proc-root", f.proc_root, "proc filesystem root (default /proc)");
}

int Fail(std::string_view command, const std::string& message, int code = kExitUsage) {
  fmt::print(stderr, "groundtruth {}: {}\n", command, message);
  return code;
}

// Parses a positive duration flag, whole seconds at least where `whole_seconds`.
Result<std::chrono::nanoseconds> PositiveDuration(std::string_view flag, const std::string& text) {
  Result<std::chrono::nanoseconds> d = ParseDuration(text);
  if (!d) return MakeError(ErrorCode::kInvalid, std::string(flag) + ": " + d.error().message);
  if (d->count() <= 0) {
    return MakeError(ErrorCode::kInvalid,
                     std::string(flag) + ": \"" + text + "\" must be greater than zero");
  }
  return d;
}

// How long to observe and how often to sample, checked together: both positive, the
// window at least 1s, and an interval that fits in it.
struct Span {
  std::chrono::nanoseconds window;
  std::chrono::nanoseconds interval;
};

Result<Span> ParseSpan(std::string_view window_flag, const std::string& window_text,
                       const std::string& interval_text) {
  Result<std::chrono::nanoseconds> window = PositiveDuration(window_flag, window_text);
  if (!window) return window.error();
  Result<std::chrono::nanoseconds> interval = PositiveDuration("--interval", interval_text);
  if (!interval) return interval.error();
  if (*window < std::chrono::seconds(1)) {
    return MakeError(ErrorCode::kInvalid, std::string(window_flag) + " must be at least 1s");
  }
  if (*interval > *window) {
    return MakeError(ErrorCode::kInvalid, "--interval must not exceed " + std::string(window_flag));
  }
  return Span{*window, *interval};
}

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

collectors::HostPaths HostPathsFrom(const CommonFlags& f) {
  collectors::HostPaths paths;
  if (!f.cgroup_root.empty()) paths.cgroup = f.cgroup_root;
  if (!f.proc_root.empty()) paths.proc = f.proc_root;
  return paths;
}

// Default policy, then the workload's groundtruth.dev/* annotations.
Result<reconcile::Policy> PolicyFor(const cli::ManifestWorkload& w) {
  reconcile::Policy policy = reconcile::DefaultPolicy();
  for (const auto& [key, value] : w.overrides) {
    if (Status s = reconcile::ApplyOverride(policy, key, value); !s) {
      return MakeError(ErrorCode::kInvalid,
                       "annotation groundtruth.dev/" + key + ": " + s.error().message, w.path);
    }
  }
  return policy;
}

int Report(const cli::Report& report, const std::string& output) {
  if (output == "json") {
    std::fputs(cli::RenderJson(report).c_str(), stdout);
  } else if (output == "table") {
    std::fputs(cli::RenderTable(report).c_str(), stdout);
  } else {
    std::fputs(cli::RenderText(report).c_str(), stdout);
  }
  std::fflush(stdout);
  return contract::ExitCodeFor(report.verdict.status);
}

// Turns a check --cgroup argument into a path relative to every hierarchy root: accepts
// "kubepods/pod<uid>/<id>", "/system.slice/x.service", or an absolute path under the
// cgroup root, with the v1 controller directory ("memory/...") stripped.
Result<std::string> RelativeCgroup(const collectors::HostPaths& paths,
                                   collectors::CgroupLayout layout, std::string path) {
  const std::string root = paths.cgroup + "/";
  if (path.rfind(root, 0) == 0) {
    path = path.substr(root.size());
    if (layout != collectors::CgroupLayout::kV2) {
      const size_t slash = path.find('/');
      const std::string first = path.substr(0, slash);
      for (const char* hierarchy : {"memory", "cpu", "cpuacct", "cpu,cpuacct", "pids", "blkio",
                                    "unified", "systemd", "cpuset", "devices", "freezer"}) {
        if (first == hierarchy) {
          path = slash == std::string::npos ? "" : path.substr(slash + 1);
          break;
        }
      }
    }
  }
  return collectors::CleanRelativePath(path);
}

void ForwardOutput(int fd, cli::LiveLine& live) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    live.Interleave(std::string_view(buf, static_cast<size_t>(n)));
  }
}

}  // namespace

int RunMain(int argc, char** argv) {
  CLI::App app{
      "Run CMD in a transient cgroup carrying a container's declared limits, sample it "
      "and judge it as the RuntimeCompliant condition would.",
      "groundtruth run"};
  CommonFlags flags;
  std::string window_text = "60s";
  std::optional<uint64_t> pids_limit;
  std::vector<std::string> command;
  app.add_option("--manifest,-f", flags.manifest,
                 "Deployment, StatefulSet, DaemonSet or Pod manifest (YAML, a v1 List too; "
                 "- for standard input)")
      ->required();
  AddCommonFlags(app, flags);
  app.add_option("--window", window_text, "how long to observe, a Go duration")
      ->capture_default_str();
  app.add_option("--pids-limit", pids_limit, "pids.max for the run's cgroup");
  std::string record_path;
  app.add_option("--record", record_path,
                 "write every sample to FILE as JSON lines, one agent wire-format sample each");
  std::string workload_log;
  app.add_option("--workload-log", workload_log,
                 "append the workload's stdout and stderr to this file (default: to stderr)");
  app.add_option("command", command, "the workload: -- CMD ARGS...")->required();
  if (std::optional<int> exit = ParseArgs(app, argc, argv)) return *exit;
  Result<Span> span = ParseSpan("--window", window_text, flags.interval);
  if (!span) return Fail("run", span.error().message);
  if (pids_limit && *pids_limit == 0) return Fail("run", "--pids-limit must be at least 1");
  // --record keeps the samples in the agent's wire format, so an incident can be shared and
  // replayed through the same decoder the controller uses.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> record(nullptr, &std::fclose);
  if (!record_path.empty()) {
    record.reset(std::fopen(record_path.c_str(), "we"));
    if (!record) return Fail("run", "--record " + record_path + ": " + std::strerror(errno));
  }

  Result<cli::ManifestWorkload> workload =
      cli::ReadManifest(flags.manifest, {flags.name, flags.container});
  if (!workload) return Fail("run", workload.error().ToString());
  Result<reconcile::Policy> policy = PolicyFor(*workload);
  if (!policy) return Fail("run", policy.error().ToString());

  const collectors::HostPaths paths = HostPathsFrom(flags);
  Result<collectors::CgroupLayout> layout = collectors::DetectLayout(paths);
  if (!layout) return Fail("run", "cannot tell the cgroup layout: " + layout.error().ToString());

  cli::SandboxLimits limits;
  limits.memory_bytes = workload->declared.memory_limit_bytes;
  limits.cpu_millicores = workload->declared.cpu_limit_millicores;
  limits.pids = pids_limit;
  Result<cli::SignalPipe*> signals = cli::SignalPipe::Install();
  if (!signals) return Fail("run", signals.error().ToString());

  Result<std::unique_ptr<cli::Sandbox>> sandbox = cli::Sandbox::Create(paths, *layout, limits);
  if (!sandbox) {
    std::string message = sandbox.error().ToString();
    if (sandbox.error().code == ErrorCode::kPermission && ::geteuid() != 0) {
      message =
          "cgroups need root: groundtruth run creates a cgroup with the manifest's limits "
          "and moves the workload into it (" +
          message + ")";
    }
    return Fail("run", message);
  }
  reconcile::DeclaredLimits declared = workload->declared;
  if (pids_limit) declared.pids_limit = pids_limit;

  // The workload's stdout and stderr come through a pipe to our stderr, so that stdout holds
  // only the report and the live line can step aside for the workload's lines; or they go
  // straight to --workload-log.
  int output[2] = {-1, -1};
  if (workload_log.empty()) {
    if (::pipe2(output, O_CLOEXEC) != 0) return Fail("run", "cannot create a pipe");
    ::fcntl(output[0], F_SETFL, O_NONBLOCK);
  } else {
    output[1] = ::open(workload_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (output[1] < 0) {
      return Fail("run", "--workload-log " + workload_log + ": " + std::strerror(errno));
    }
  }
  // The cgroup is new and empty: read it once before the workload starts, so a counter
  // that rises before the first sample (an OOM kill at start-up) is still a rise.
  SystemClock clock;
  Result<std::unique_ptr<collectors::CgroupReader>> reader =
      collectors::CgroupReader::Open(paths, *layout, (*sandbox)->relative_path());
  if (!reader) {
    if (output[0] >= 0) ::close(output[0]);
    if (output[1] >= 0) ::close(output[1]);
    return Fail("run", "cannot read the run's cgroup: " + reader.error().ToString());
  }
  std::optional<CgroupReading> baseline;
  if (Result<CgroupReading> r = (*reader)->Read(clock.Monotonic()); r) baseline = std::move(*r);
  Result<pid_t> child = (*sandbox)->Start(command, output[1]);
  ::close(output[1]);
  if (!child) {
    if (output[0] >= 0) ::close(output[0]);
    return Fail("run", child.error().ToString());
  }

  cli::LiveLine live(STDERR_FILENO, ::isatty(STDERR_FILENO) == 1);
  Result<std::unique_ptr<collectors::NodeReader>> node = collectors::NodeReader::Open(paths);

  cli::SessionConfig config;
  config.policy = *policy;
  config.window = std::chrono::duration_cast<std::chrono::seconds>(span->window);
  config.interval = span->interval;
  config.declared = declared;
  config.baseline = std::move(baseline);
  config.container = workload->container;
  config.node = Hostname();
  cli::SessionHooks hooks;
  hooks.watch_fd = output[0];
  hooks.on_readable = [&] { ForwardOutput(output[0], live); };
  cli::Sandbox* box = sandbox->get();
  hooks.workload_exited = [box] { return box->PollExit().has_value(); };
  uint64_t record_seq = 0;
  if (record) {
    hooks.on_reading = [&](const CgroupReading& reading, const NodeReading* node_reading) {
      wire::Sample sample;
      sample.seq = ++record_seq;
      sample.monotonic = reading.time;
      if (node_reading != nullptr) sample.node = *node_reading;
      wire::PodSample pod;
      pod.uid = box->relative_path();
      pod.containers.push_back({workload->container, "", reading});
      sample.pods.push_back(std::move(pod));
      std::string line = wire::EncodeSample(sample);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), record.get());
      std::fflush(record.get());
    };
  }

  Result<cli::SessionResult> session =
      cli::Observe(config, **reader, node ? node->get() : nullptr, clock, **signals, live, hooks);
  const std::optional<int> exit_status = box->PollExit();
  reader->reset();
  const Status destroyed = box->Destroy();
  if (output[0] >= 0) {
    ForwardOutput(output[0], live);
    ::close(output[0]);
  }
  if (!session) return Fail("run", session.error().ToString(), contract::kExitUnknown);

  cli::Report report;
  report.verdict = session->verdict;
  report.last_transition = session->last_transition;
  report.kind = workload->kind;
  report.name = workload->name;
  report.namespace_name = workload->namespace_name;
  report.container = workload->container;
  report.cgroup = box->relative_path();
  report.observed = session->observed;
  report.window = session->judged_window;
  report.readings = session->readings;
  report.declared = declared;
  report.enforced = session->enforced;
  report.notes = workload->notes;
  report.notes.insert(report.notes.end(), session->notes.begin(), session->notes.end());
  if (exit_status && session->end == cli::SessionEnd::kWorkloadExited) {
    const int s = *exit_status;
    report.notes.push_back(WIFEXITED(s)
                               ? fmt::format("the workload exited with status {}", WEXITSTATUS(s))
                               : fmt::format("the workload was killed by signal {}", WTERMSIG(s)));
  } else if (session->end == cli::SessionEnd::kWindowComplete) {
    report.notes.push_back("the workload was stopped at the end of the window");
  }
  if (!destroyed) report.notes.push_back("cleanup: " + destroyed.error().ToString());
  return Report(report, flags.output);
}

int CheckMain(int argc, char** argv) {
  CLI::App app{
      "Judge an existing cgroup (a container, a systemd service) against a container's "
      "declared limits, read-only.",
      "groundtruth check"};
  CommonFlags flags;
  std::string cgroup_path;
  std::string for_text;
  app.add_option("--cgroup", cgroup_path,
                 "cgroup to judge: relative to the hierarchy root, or an absolute path under it")
      ->required();
  app.add_option("--manifest,-f", flags.manifest,
                 "manifest declaring the limits, - for standard input (without it: judged on "
                 "what the kernel enforces)");
  AddCommonFlags(app, flags);
  // --window as `run` says it; --for, its first spelling, still works.
  app.add_option("--window,--for", for_text, "how long to observe, a Go duration")->required();
  if (std::optional<int> exit = ParseArgs(app, argc, argv)) return *exit;
  Result<Span> span = ParseSpan("--window", for_text, flags.interval);
  if (!span) return Fail("check", span.error().message);

  cli::ManifestWorkload workload;
  reconcile::Policy policy = reconcile::DefaultPolicy();
  if (!flags.manifest.empty()) {
    Result<cli::ManifestWorkload> read =
        cli::ReadManifest(flags.manifest, {flags.name, flags.container});
    if (!read) return Fail("check", read.error().ToString());
    workload = std::move(*read);
    Result<reconcile::Policy> p = PolicyFor(workload);
    if (!p) return Fail("check", p.error().ToString());
    policy = *p;
  } else {
    workload.notes.push_back("no manifest: judged on the limits the kernel enforces");
  }

  const collectors::HostPaths paths = HostPathsFrom(flags);
  Result<collectors::CgroupLayout> layout = collectors::DetectLayout(paths);
  if (!layout) return Fail("check", "cannot tell the cgroup layout: " + layout.error().ToString());
  Result<std::string> relative = RelativeCgroup(paths, *layout, cgroup_path);
  if (!relative) return Fail("check", "--cgroup: " + relative.error().ToString());
  Result<std::unique_ptr<collectors::CgroupReader>> reader =
      collectors::CgroupReader::Open(paths, *layout, *relative);
  if (!reader) return Fail("check", "--cgroup " + cgroup_path + ": " + reader.error().ToString());
  Result<std::unique_ptr<collectors::NodeReader>> node = collectors::NodeReader::Open(paths);
  Result<cli::SignalPipe*> signals = cli::SignalPipe::Install();
  if (!signals) return Fail("check", signals.error().ToString());

  cli::SessionConfig config;
  config.policy = policy;
  config.window = std::chrono::duration_cast<std::chrono::seconds>(span->window);
  config.interval = span->interval;
  config.declared = workload.declared;
  config.limits_declared = !flags.manifest.empty();
  config.container = workload.container.empty() ? *relative : workload.container;
  config.node = Hostname();
  cli::LiveLine live(STDERR_FILENO, ::isatty(STDERR_FILENO) == 1);
  SystemClock clock;
  Result<cli::SessionResult> session = cli::Observe(config, **reader, node ? node->get() : nullptr,
                                                    clock, **signals, live, cli::SessionHooks{});
  if (!session) return Fail("check", session.error().ToString(), contract::kExitUnknown);

  cli::Report report;
  report.verdict = session->verdict;
  report.last_transition = session->last_transition;
  report.kind = workload.kind;
  report.name = workload.name;
  report.namespace_name = workload.namespace_name;
  report.container = config.container;
  report.cgroup = *relative;
  report.observed = session->observed;
  report.window = session->judged_window;
  report.readings = session->readings;
  if (config.limits_declared) report.declared = workload.declared;
  report.enforced = session->enforced;
  report.notes = workload.notes;
  report.notes.insert(report.notes.end(), session->notes.begin(), session->notes.end());
  return Report(report, flags.output);
}

}  // namespace gt

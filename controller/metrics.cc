#include "controller/metrics.h"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "common/version.h"

namespace gt::controller {
namespace {

std::string WorkloadLabels(const contract::WorkloadKey& key) {
  return "namespace=\"" + EscapeLabelValue(key.ns) + "\",kind=\"" +
         std::string(contract::KindName(key.kind)) + "\",name=\"" + EscapeLabelValue(key.name) +
         "\"";
}

// A sample value as the text format spells it: full precision (a figure in bytes keeps
// its digits), NaN and +Inf/-Inf by name.
std::string SampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  return buf;
}

// Each workload's verdict series, and the figures behind it.
void RenderVerdicts(std::ostringstream& out, const WorkloadVerdicts& verdicts) {
  out << "# HELP groundtruth_workload_verdict The RuntimeCompliant condition the leader holds "
         "for each workload in scope: 1 on the series of its current status and reason.\n"
      << "# TYPE groundtruth_workload_verdict gauge\n";
  for (const auto& [key, verdict] : verdicts) {
    out << "groundtruth_workload_verdict{" << WorkloadLabels(key) << ",status=\""
        << EscapeLabelValue(verdict.status) << "\",reason=\"" << EscapeLabelValue(verdict.reason)
        << "\"} 1\n";
  }
  out << "# HELP groundtruth_workload_evidence_value The worst observed figure per rule and "
         "signal behind each workload's verdict, in the signal's unit.\n"
      << "# TYPE groundtruth_workload_evidence_value gauge\n";
  for (const auto& [key, verdict] : verdicts) {
    for (const VerdictFigure& figure : verdict.figures) {
      out << "groundtruth_workload_evidence_value{" << WorkloadLabels(key) << ",rule=\""
          << EscapeLabelValue(figure.rule) << "\",signal=\"" << EscapeLabelValue(figure.signal)
          << "\"} " << SampleValue(figure.value) << "\n";
    }
  }
  out << "# HELP groundtruth_workload_evidence_threshold The threshold the rule holds that "
         "figure to.\n"
      << "# TYPE groundtruth_workload_evidence_threshold gauge\n";
  for (const auto& [key, verdict] : verdicts) {
    for (const VerdictFigure& figure : verdict.figures) {
      out << "groundtruth_workload_evidence_threshold{" << WorkloadLabels(key) << ",rule=\""
          << EscapeLabelValue(figure.rule) << "\",signal=\"" << EscapeLabelValue(figure.signal)
          << "\"} " << SampleValue(figure.threshold) << "\n";
    }
  }
}

}  // namespace

void Metrics::PassDone(std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(mu_);
  passes_.fetch_add(1);
  pass_seconds_.Observe(duration);
  pass_seconds_last_ = seconds;
}

void Metrics::WriteDone(std::string_view what, std::string_view result) {
  std::lock_guard lock(mu_);
  ++writes_[{std::string(what), std::string(result)}];
}

void Metrics::ScrapeDone(const std::string& node, bool ok, std::chrono::nanoseconds duration) {
  if (duration.count() >= 0) scrape_seconds_.Observe(duration);
  std::lock_guard lock(mu_);
  if (ok) {
    ++scrapes_ok_;
    // The node's error series exists from its first scrape at 0, so a rate() over it sees the
    // first failure too.
    scrape_errors_.try_emplace(node, 0);
  } else {
    ++scrape_errors_[node];
  }
}

void Metrics::RetainScrapeNodes(const std::set<std::string>& nodes) {
  std::lock_guard lock(mu_);
  std::erase_if(scrape_errors_, [&](const auto& entry) { return !nodes.count(entry.first); });
}

void Metrics::EventEmitted(bool ok) {
  std::lock_guard lock(mu_);
  ++(ok ? events_ok_ : events_failed_);
}

void Metrics::SetWorkloads(uint64_t true_count, uint64_t false_count, uint64_t unknown_count) {
  std::lock_guard lock(mu_);
  workloads_true_ = true_count;
  workloads_false_ = false_count;
  workloads_unknown_ = unknown_count;
}

void Metrics::SetVerdicts(WorkloadVerdicts verdicts) {
  std::lock_guard lock(mu_);
  verdicts_ = std::move(verdicts);
}

void Metrics::SetTlsCertificate(std::chrono::system_clock::time_point not_after, uint64_t reloads,
                                bool reload_failing) {
  std::lock_guard lock(mu_);
  tls_not_after_seconds_ = std::chrono::duration<double>(not_after.time_since_epoch()).count();
  tls_reloads_ = reloads;
  tls_reload_failing_ = reload_failing;
}

uint64_t Metrics::writes() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const auto& [key, count] : writes_) {
    if (key.second == "ok") n += count;
  }
  return n;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string histograms;
  pass_seconds_.Render(histograms, "groundtruth_controller_reconcile_pass_duration_seconds",
                       "Time spent in passes.");
  scrape_seconds_.Render(histograms, "groundtruth_controller_scrape_duration_seconds",
                         "Time one agent scrape took (each page of a paged one), failed or not.");
  std::ostringstream out;
  out << BuildInfoMetric() << ProcessMetrics(proc_)
      << "# HELP groundtruth_controller_reconcile_passes_total Full reconcile passes run.\n"
      << "# TYPE groundtruth_controller_reconcile_passes_total counter\n"
      << "groundtruth_controller_reconcile_passes_total " << passes_.load() << "\n"
      << histograms
      << "# HELP groundtruth_controller_last_pass_duration_seconds Duration of the latest pass.\n"
      << "# TYPE groundtruth_controller_last_pass_duration_seconds gauge\n"
      << "groundtruth_controller_last_pass_duration_seconds " << pass_seconds_last_ << "\n"
      << "# HELP groundtruth_controller_status_writes_total Server-side applies sent.\n"
      << "# TYPE groundtruth_controller_status_writes_total counter\n";
  for (const auto& [key, count] : writes_) {
    out << "groundtruth_controller_status_writes_total{what=\"" << key.first << "\",result=\""
        << key.second << "\"} " << count << "\n";
  }
  out << "# HELP groundtruth_controller_scrapes_total Successful agent scrapes.\n"
      << "# TYPE groundtruth_controller_scrapes_total counter\n"
      << "groundtruth_controller_scrapes_total " << scrapes_ok_ << "\n"
      << "# HELP groundtruth_controller_scrape_errors_total Failed agent scrapes by node.\n"
      << "# TYPE groundtruth_controller_scrape_errors_total counter\n";
  for (const auto& [node, count] : scrape_errors_) {
    out << "groundtruth_controller_scrape_errors_total{node=\"" << EscapeLabelValue(node) << "\"} "
        << count << "\n";
  }
  out << "# HELP groundtruth_controller_events_total Kubernetes Events sent.\n"
      << "# TYPE groundtruth_controller_events_total counter\n"
      << "groundtruth_controller_events_total{result=\"ok\"} " << events_ok_ << "\n"
      << "groundtruth_controller_events_total{result=\"error\"} " << events_failed_ << "\n"
      << "# HELP groundtruth_controller_watch_events_total Watch events ingested.\n"
      << "# TYPE groundtruth_controller_watch_events_total counter\n"
      << "groundtruth_controller_watch_events_total " << watch_events_.load() << "\n"
      << "# HELP groundtruth_controller_workloads Judged workloads by condition status.\n"
      << "# TYPE groundtruth_controller_workloads gauge\n"
      << "groundtruth_controller_workloads{status=\"True\"} " << workloads_true_ << "\n"
      << "groundtruth_controller_workloads{status=\"False\"} " << workloads_false_ << "\n"
      << "groundtruth_controller_workloads{status=\"Unknown\"} " << workloads_unknown_ << "\n"
      << "# HELP groundtruth_controller_is_leader 1 while this replica holds the Lease.\n"
      << "# TYPE groundtruth_controller_is_leader gauge\n"
      << "groundtruth_controller_is_leader " << leader_.load() << "\n";
  RenderVerdicts(out, verdicts_);
  out << "# HELP groundtruth_controller_tls_certificate_expiry_timestamp_seconds When the "
         "client certificate for agents expires (Unix time).\n"
      << "# TYPE groundtruth_controller_tls_certificate_expiry_timestamp_seconds gauge\n"
      << "groundtruth_controller_tls_certificate_expiry_timestamp_seconds " << std::fixed
      << std::setprecision(0) << tls_not_after_seconds_ << "\n"
      << "# HELP groundtruth_controller_tls_reloads_total Certificate rotations on disk picked "
         "up.\n"
      << "# TYPE groundtruth_controller_tls_reloads_total counter\n"
      << "groundtruth_controller_tls_reloads_total " << tls_reloads_ << "\n"
      << "# HELP groundtruth_controller_tls_reload_failing 1 while the files on disk changed but "
         "do not load (the previous ones stay in use).\n"
      << "# TYPE groundtruth_controller_tls_reload_failing gauge\n"
      << "groundtruth_controller_tls_reload_failing " << (tls_reload_failing_ ? 1 : 0) << "\n";
  return out.str();
}

}  // namespace gt::controller

#include "common/exposition.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace gt {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// "name value" lines of a rendered text, HELP and TYPE left out.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST(EscapeLabelValue, EscapesWhatTheTextFormatRequires) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
}

TEST(DurationHistogram, CountsCumulativelyWithInfSumAndCount) {
  DurationHistogram histogram({0.1, 0.01, 1});  // unordered on purpose
  std::string empty;
  histogram.Render(empty, "x_seconds", "help");
  EXPECT_EQ(Samples(empty)["x_seconds_count"], 0);
  histogram.Observe(5ms);
  histogram.Observe(10ms);  // on a bound: le is inclusive
  histogram.Observe(200ms);
  histogram.Observe(3s);
  std::string text;
  histogram.Render(text, "x_seconds", "Time of x.");
  EXPECT_NE(text.find("# TYPE x_seconds histogram\n"), std::string::npos);
  auto samples = Samples(text);
  EXPECT_EQ(samples["x_seconds_bucket{le=\"0.01\"}"], 2);
  EXPECT_EQ(samples["x_seconds_bucket{le=\"0.1\"}"], 2);
  EXPECT_EQ(samples["x_seconds_bucket{le=\"1\"}"], 3);
  EXPECT_EQ(samples["x_seconds_bucket{le=\"+Inf\"}"], 4);
  EXPECT_EQ(samples["x_seconds_count"], 4);
  EXPECT_DOUBLE_EQ(samples["x_seconds_sum"], 3.215);
  EXPECT_EQ(histogram.count(), 4u);
}

// A /proc of our own: the figures are computed from exactly these fields.
TEST(ProcessMetrics, ComputesEachFigureFromProcFiles) {
  fs::path dir = fs::path(::testing::TempDir()) / "gt-proc-test";
  fs::remove_all(dir);
  fs::create_directories(dir / "self" / "fd");
  for (const char* fd : {"0", "1", "2", "7"}) std::ofstream(dir / "self" / "fd" / fd) << "";
  const long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  // The command name holds a space and a ')': fields are counted after the last ')'.
  std::ofstream(dir / "self" / "stat")
      << "42 (we ird) x) S 1 42 42 0 -1 4194560 100 0 0 0 " << 3 * ticks << " " << 2 * ticks
      << " 0 0 20 0 4 0 " << 50 * ticks << " 123456789 " << 1000 << " 18446744073709551615\n";
  std::ofstream(dir / "stat") << "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n";
  std::ofstream(dir / "self" / "limits")
      << "Limit                     Soft Limit           Hard Limit           Units\n"
         "Max open files            1048576              1048576              files\n";
  auto samples = Samples(ProcessMetrics({(dir / "self").string(), (dir / "stat").string()}));
  EXPECT_DOUBLE_EQ(samples["process_cpu_seconds_total"], 5);
  EXPECT_DOUBLE_EQ(samples["process_start_time_seconds"], 1700000050);
  EXPECT_DOUBLE_EQ(samples["process_virtual_memory_bytes"], 123456789);
  EXPECT_DOUBLE_EQ(samples["process_resident_memory_bytes"], 1000.0 * page);
  EXPECT_DOUBLE_EQ(samples["process_open_fds"], 4);
  EXPECT_DOUBLE_EQ(samples["process_max_fds"], 1048576);
  fs::remove_all(dir);
}

TEST(ProcessMetrics, LeavesOutWhatItCannotRead) {
  fs::path dir = fs::path(::testing::TempDir()) / "gt-proc-missing";
  fs::remove_all(dir);
  fs::create_directories(dir / "self");
  std::ofstream(dir / "self" / "stat") << "garbage without parentheses\n";
  std::string text = ProcessMetrics({(dir / "self").string(), (dir / "stat").string()});
  EXPECT_EQ(text, "");
  fs::remove_all(dir);
}

// The real /proc/self: every figure is there, and an open file is counted.
TEST(ProcessMetrics, ReadsThisProcess) {
  auto before = Samples(ProcessMetrics());
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"}) {
    EXPECT_TRUE(before.count(name)) << name;
  }
  EXPECT_GT(before["process_resident_memory_bytes"], 0);
  EXPECT_GT(before["process_start_time_seconds"], 1.5e9);
  int fd = open("/proc/self/stat", O_RDONLY);
  ASSERT_GE(fd, 0);
  auto after = Samples(ProcessMetrics());
  close(fd);
  EXPECT_EQ(after["process_open_fds"], before["process_open_fds"] + 1);
  EXPECT_GE(after["process_cpu_seconds_total"], before["process_cpu_seconds_total"]);
}

}  // namespace
}  // namespace gt

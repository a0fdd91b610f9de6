// `groundtruth controller` refuses bad configuration with exit code 3 and a clear line,
// before touching the network.
#include "controller/main.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gt::controller {
namespace {

int Invoke(std::vector<std::string> args) {
  args.insert(args.begin(), "controller");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return ControllerMain(static_cast<int>(argv.size()), argv.data());
}

TEST(ControllerMain, BadConfigurationIsExitCode3) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(Invoke({"--scope=some"}), 3);
  EXPECT_EQ(Invoke({"--log-format=xml"}), 3);
  EXPECT_EQ(Invoke({"--interval=soon"}), 3);
  EXPECT_EQ(Invoke({"--config=/nonexistent/policy.yaml"}), 3);
  EXPECT_EQ(Invoke({"--kubeconfig=/nonexistent/kubeconfig"}), 3);
  EXPECT_EQ(Invoke({"--no-such-flag"}), 3);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("--scope"), std::string::npos) << err;
  EXPECT_NE(err.find("/nonexistent/kubeconfig"), std::string::npos) << err;
  EXPECT_NE(err.find("/nonexistent/policy.yaml"), std::string::npos) << err;
}

TEST(ControllerMain, HelpIsExitCode0) {
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(Invoke({"--help"}), 0);
  std::string out = ::testing::internal::GetCapturedStdout();
  for (const char* flag : {"--kubeconfig", "--context", "--namespace", "--scope", "--leader-elect",
                           "--metrics-bind-address", "--health-probe-bind-address", "--log-format",
                           "--agent-ca", "--tls-cert", "--tls-key", "--agent-port", "--config"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace gt::controller

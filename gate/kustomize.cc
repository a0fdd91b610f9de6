#include "gate/kustomize.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string_view>

namespace gt::gate {
namespace {

constexpr size_t kMaxOutput = size_t{64} << 20;            // a rendered overlay is kilobytes
constexpr size_t kMaxStderr = size_t{64} << 10;            // enough for kustomize's error
constexpr auto kRenderTimeout = std::chrono::seconds(60);  // it renders local files

std::string FindOnPath(const std::string& name, std::string_view search_path) {
  while (true) {
    const size_t colon = search_path.find(':');
    std::filesystem::path dir(search_path.substr(0, colon));
    if (dir.empty()) dir = ".";  // an empty PATH entry means the current directory
    const std::filesystem::path candidate = dir / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    if (colon == std::string_view::npos) return {};
    search_path.remove_prefix(colon + 1);
  }
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

struct Captured {
  std::string out, err;
  int status = 0;
  bool timed_out = false, too_large = false;
};

// Reads the child's stdout and stderr together (either may fill its pipe first) until
// both close or a bound is hit; then reaps it.
Captured Capture(pid_t pid, int out_fd, int err_fd) {
  Captured c;
  const auto deadline = std::chrono::steady_clock::now() + kRenderTimeout;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      c.timed_out = true;
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& into = i == 0 ? c.out : c.err;
      const size_t bound = i == 0 ? kMaxOutput : kMaxStderr;
      into.append(buf, std::min(static_cast<size_t>(n), bound - std::min(bound, into.size())));
      if (i == 0 && c.out.size() >= kMaxOutput) c.too_large = true;
    }
    if (c.too_large) break;
  }
  if (c.timed_out || c.too_large) ::kill(pid, SIGKILL);
  while (::waitpid(pid, &c.status, 0) < 0 && errno == EINTR) {
  }
  return c;
}

}  // namespace

Result<std::vector<std::string>> KustomizeCommand(const std::string& dir,
                                                  const std::string& search_path) {
  if (std::string kubectl = FindOnPath("kubectl", search_path); !kubectl.empty())
    return std::vector<std::string>{kubectl, "kustomize", dir};
  if (std::string kustomize = FindOnPath("kustomize", search_path); !kustomize.empty())
    return std::vector<std::string>{kustomize, "build", dir};
  return MakeError(ErrorCode::kNotFound,
                   "-k renders the kustomization with kustomize, and neither kubectl nor "
                   "kustomize is on PATH: install kubectl (it has `kubectl kustomize`) or "
                   "kustomize, or render it elsewhere and pass the output with --manifests "
                   "(`--manifests -` reads standard input)",
                   dir);
}

Result<std::string> RenderKustomization(const std::string& dir, const std::string& search_path) {
  auto argv = KustomizeCommand(dir, search_path);
  if (!argv) return argv.error();
  const std::string shown =
      fmt::format("{} {}", (*argv)[0], fmt::join(argv->begin() + 1, argv->end(), " "));
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, "pipe failed", dir);
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return MakeError(ErrorCode::kIo, "pipe failed", dir);
  }
  std::vector<char*> args;
  for (std::string& a : *argv) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);  // the gate's stdin is not the renderer's to read
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    return MakeError(ErrorCode::kIo, "cannot start " + shown, dir);
  }
  Captured c = Capture(pid, out[0], err[0]);
  ::close(out[0]);
  ::close(err[0]);
  if (c.timed_out)
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("{} did not finish in {}s", shown, kRenderTimeout.count()), dir);
  if (c.too_large)
    return MakeError(ErrorCode::kInvalid,
                     fmt::format("{} wrote more than {} MiB", shown, kMaxOutput >> 20), dir);
  if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0)
    return MakeError(ErrorCode::kInvalid,
                     fmt::format("{} failed ({}): {}", shown,
                                 WIFEXITED(c.status) ? fmt::format("exit {}", WEXITSTATUS(c.status))
                                                     : fmt::format("signal {}", WTERMSIG(c.status)),
                                 Trimmed(c.err)),
                     dir);
  return c.out;
}

}  // namespace gt::gate

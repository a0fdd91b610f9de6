#include "kube/exec_plugin.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "kube/base64.h"
#include "kube/client.h"
#include "kube/config.h"

extern char** environ;

namespace gt::kube {
namespace {

using nlohmann::json;

struct ProcessOutput {
  int exit_status = 0;
  std::string out;
  std::string err;
};

std::string Duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

// Runs the plugin in its own process group, so that whatever it forks can be killed with
// it: a plugin that hands its pipes to a child, or closes them and sleeps, is killed at the
// deadline (its exit, not the end of its output), or at once when `cancelled` turns true.
Result<ProcessOutput> RunProcess(const std::string& command, const std::vector<std::string>& args,
                                 const std::vector<std::string>& env,
                                 std::chrono::milliseconds timeout,
                                 const std::atomic<bool>& cancelled) {
  if (cancelled) {
    return MakeError(ErrorCode::kUnavailable, "exec plugin not run: shutting down", command);
  }
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, "pipe failed", command);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return MakeError(ErrorCode::kIo, "pipe failed", command);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);  // never interactive
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group (to kill it whole), and the signals the controller blocks for its
  // signal thread unblocked again.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(command.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, command.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return MakeError(rc == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     std::string("cannot start exec plugin: ") + std::strerror(rc), command);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // How long to wait now: until the deadline, in slices short enough to notice `cancelled`.
  const auto next_wait = [&]() -> std::optional<std::chrono::milliseconds> {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (cancelled || left.count() <= 0) return std::nullopt;
    return std::min(left, std::chrono::milliseconds(50));
  };
  ProcessOutput result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool give_up = false;
  constexpr size_t kMaxOutput = 1 << 20;  // a credential is small; refuse to buffer a flood
  while (open_fds > 0) {
    const auto wait = next_wait();
    if (!wait) {
      give_up = true;
      break;
    }
    const int n = poll(fds, 2, static_cast<int>(wait->count()));
    if (n <= 0) continue;  // EINTR or a slice passed
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& sink = i == 0 ? result.out : result.err;
      if (sink.size() < kMaxOutput) sink.append(buf, static_cast<size_t>(got));
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  bool exited = false;
  while (!give_up) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) {
      exited = true;
      break;
    }
    const auto wait = next_wait();
    if (!wait) break;
    std::this_thread::sleep_for(std::min(*wait, std::chrono::milliseconds(10)));
  }
  if (!exited) {
    // Not reaped yet, so the group id is still the plugin's own: nothing else can have it.
    kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (cancelled) {
      return MakeError(ErrorCode::kUnavailable,
                       "exec plugin killed with its process group: shutting down", command);
    }
    return MakeError(ErrorCode::kUnavailable,
                     "exec plugin did not exit within " + Duration(timeout) +
                         "; killed it with its process group",
                     command);
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string LastLine(std::string s) {
  s = TrimSpace(std::move(s));
  const auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

}  // namespace

Result<ExecCredential> ParseExecCredential(std::string_view text, const std::string& api_version,
                                           const std::string& command) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kMalformed, "exec plugin output is not a JSON object", command);
  }
  const std::string kind = StringField(doc, "kind");
  const std::string got_version = StringField(doc, "apiVersion");
  if (kind != "ExecCredential") {
    return MakeError(ErrorCode::kMalformed,
                     "exec plugin output has kind \"" + kind + "\", want ExecCredential", command);
  }
  if (got_version != api_version) {
    return MakeError(ErrorCode::kMalformed,
                     "exec plugin is configured to use API version " + api_version +
                         ", plugin returned version " + got_version,
                     command);
  }
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) {
    return MakeError(ErrorCode::kMalformed, "exec plugin didn't return a status field", command);
  }
  ExecCredential cred;
  auto str = [&](const char* key) -> std::string {
    const auto it = status->find(key);
    return it != status->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  cred.credentials.bearer_token = str("token");
  cred.credentials.client_cert_pem = str("clientCertificateData");
  cred.credentials.client_key_pem = str("clientKeyData");
  const bool has_cert = !cred.credentials.client_cert_pem.empty();
  const bool has_key = !cred.credentials.client_key_pem.empty();
  if (has_cert != has_key) {
    return MakeError(ErrorCode::kMalformed,
                     "exec plugin returned only one of clientCertificateData and clientKeyData",
                     command);
  }
  if (!has_cert && cred.credentials.bearer_token.empty()) {
    return MakeError(ErrorCode::kMalformed, "exec plugin didn't return a token or cert/key pair",
                     command);
  }
  const std::string exp = str("expirationTimestamp");
  if (!exp.empty()) {
    cred.expiry = ParseTime(exp);
    if (!cred.expiry) {
      return MakeError(ErrorCode::kMalformed,
                       "exec plugin returned an unparseable expirationTimestamp \"" + exp + "\"",
                       command);
    }
  }
  return cred;
}

Result<ExecCredential> ExecCredentialSource::Run() {
  if (config_.interactive_mode == "Always") {
    return MakeError(
        ErrorCode::kInvalid,
        "exec plugin cannot be run: it requires an interactive terminal (interactiveMode Always)",
        config_.command);
  }
  json info = {{"apiVersion", config_.api_version},
               {"kind", "ExecCredential"},
               {"spec", {{"interactive", false}}}};
  if (config_.provide_cluster_info) {
    json cluster = {{"server", config_.cluster_server}};
    if (!config_.cluster_tls_server_name.empty()) {
      cluster["tls-server-name"] = config_.cluster_tls_server_name;
    }
    if (!config_.cluster_ca_pem.empty()) {
      // certificate-authority-data is []byte in Go: base64 in JSON.
      cluster["certificate-authority-data"] = Base64Encode(config_.cluster_ca_pem);
    }
    info["spec"]["cluster"] = cluster;
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const std::string key = kv.substr(0, kv.find('='));
    bool overridden = key == "KUBERNETES_EXEC_INFO";
    for (const auto& [k, v] : config_.env) overridden = overridden || k == key;
    if (!overridden) env.push_back(kv);
  }
  for (const auto& [k, v] : config_.env) env.push_back(k + "=" + v);
  env.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  ++runs_;
  auto out = RunProcess(config_.command, config_.args, env, config_.timeout, shutdown_);
  if (!out) {
    Error e = out.error();
    if (e.code == ErrorCode::kNotFound && !config_.install_hint.empty()) {
      e.message += "; " + config_.install_hint;
    }
    return e;
  }
  if (out->exit_status != 0) {
    std::string msg = "exec plugin exited with status " + std::to_string(out->exit_status);
    const std::string last = LastLine(out->err);
    if (!last.empty()) msg += ": " + last;
    return MakeError(ErrorCode::kUnavailable, msg, config_.command);
  }
  auto cred = ParseExecCredential(out->out, config_.api_version, config_.command);
  if (!cred || cred->credentials.client_cert_pem.empty()) return cred;
  // Check now: a bad certificate would otherwise surface as an opaque TLS failure.
  for (Status st :
       {CheckCertificatePem(cred->credentials.client_cert_pem, "exec plugin clientCertificateData"),
        CheckPrivateKeyPem(cred->credentials.client_key_pem, "exec plugin clientKeyData")}) {
    if (!st) {
      Error e = st.error();
      e.path = config_.command;
      return e;
    }
  }
  return cred;
}

Result<Credentials> ExecCredentialSource::Current() {
  std::lock_guard lock(mu_);
  if (cached_ && (!cached_->expiry || clock_.Wall() < *cached_->expiry)) {
    return cached_->credentials;
  }
  auto fresh = Run();
  if (!fresh) return fresh.error();
  cached_ = std::move(*fresh);
  return cached_->credentials;
}

void ExecCredentialSource::Invalidate(const Credentials& used) {
  std::lock_guard lock(mu_);
  // Another request may already have refreshed: only drop the credential that failed.
  if (cached_ && cached_->credentials == used) cached_.reset();
}

}  // namespace gt::kube

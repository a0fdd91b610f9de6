#include "kube/config.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include "kube/base64.h"
#include "kube/exec_plugin.h"
#include "kube/url.h"

namespace gt::kube {
namespace {

namespace fs = std::filesystem;

struct Cluster {
  std::string server;
  std::string ca_file;
  std::string ca_data;  // base64 as written
  bool insecure = false;
  std::string tls_server_name;
  int line = 0;
};

struct User {
  std::string token;
  std::string token_file;
  std::string cert_file, cert_data, key_file, key_data;
  std::optional<ExecConfig> exec;
  bool auth_provider = false;
  bool basic_auth = false;
  int line = 0;
};

struct Context {
  std::string cluster, user, namespace_name;
  int line = 0;
};

// One file's content, relative paths already resolved against its directory; `origin`
// remembers which file defined each entry so errors point at it.
struct Kubeconfig {
  std::string current_context;
  std::string current_context_origin;
  std::map<std::string, std::pair<Cluster, std::string>> clusters;
  std::map<std::string, std::pair<Context, std::string>> contexts;
  std::map<std::string, std::pair<User, std::string>> users;
};

// yaml-cpp reports 0-based lines; a missing mark is -1.
int LineOf(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

Error Bad(const std::string& path, const YAML::Node& at, std::string msg) {
  return MakeError(ErrorCode::kMalformed, std::move(msg), path, LineOf(at));
}

Result<std::string> Str(const YAML::Node& parent, const char* key, const std::string& path) {
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) return std::string();
  if (!n.IsScalar()) return Bad(path, n, std::string("field \"") + key + "\" must be a string");
  return n.Scalar();
}

Result<bool> Bool(const YAML::Node& parent, const char* key, const std::string& path) {
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) return false;
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return Bad(path, n, std::string("field \"") + key + "\" must be true or false");
}

std::string Resolve(const std::string& dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(dir) / p).lexically_normal().string();
}

// The named-list shape shared by clusters, contexts and users.
template <typename Fn>
Status ForEachNamed(const YAML::Node& root, const char* list, const char* item,
                    const std::string& path, Fn&& fn) {
  const YAML::Node n = root[list];
  if (!n || n.IsNull()) return OkStatus();
  if (!n.IsSequence()) return Bad(path, n, std::string("\"") + list + "\" must be a list");
  std::map<std::string, bool> seen;
  for (const YAML::Node& entry : n) {
    if (!entry.IsMap())
      return Bad(path, entry, std::string("an entry of \"") + list + "\" is not a map");
    auto name = Str(entry, "name", path);
    if (!name) return name.error();
    if (name->empty())
      return Bad(path, entry, std::string("an entry of \"") + list + "\" has no name");
    if (seen[*name])
      return Bad(path, entry, std::string("duplicate name \"") + *name + "\" in " + list);
    seen[*name] = true;
    const YAML::Node body = entry[item];
    if (!body || !body.IsMap()) {
      return Bad(path, entry,
                 std::string(list) + " entry \"" + *name + "\" has no \"" + item + "\" map");
    }
    Status st = fn(*name, body);
    if (!st) return st;
  }
  return OkStatus();
}

Result<ExecConfig> ParseExec(const YAML::Node& n, const std::string& path, const std::string& dir) {
  if (!n.IsMap()) return Bad(path, n, "\"exec\" must be a map");
  ExecConfig e;
  auto api = Str(n, "apiVersion", path);
  auto cmd = Str(n, "command", path);
  auto hint = Str(n, "installHint", path);
  auto mode = Str(n, "interactiveMode", path);
  auto pci = Bool(n, "provideClusterInfo", path);
  for (auto* r : {&api, &cmd, &hint, &mode}) {
    if (!*r) return r->error();
  }
  if (!pci) return pci.error();
  e.api_version = *api;
  e.install_hint = *hint;
  e.interactive_mode = *mode;
  e.provide_cluster_info = *pci;
  // Like clientcmd: a command with a path separator is relative to the kubeconfig; a bare
  // name is looked up on PATH.
  e.command = cmd->find('/') != std::string::npos ? Resolve(dir, *cmd) : *cmd;
  if (const YAML::Node args = n["args"]; args && !args.IsNull()) {
    if (!args.IsSequence()) return Bad(path, args, "exec \"args\" must be a list of strings");
    for (const auto& a : args) {
      if (!a.IsScalar()) return Bad(path, a, "exec \"args\" must be a list of strings");
      e.args.push_back(a.Scalar());
    }
  }
  if (const YAML::Node env = n["env"]; env && !env.IsNull()) {
    if (!env.IsSequence()) return Bad(path, env, "exec \"env\" must be a list of {name, value}");
    for (const auto& kv : env) {
      if (!kv.IsMap()) return Bad(path, kv, "exec \"env\" must be a list of {name, value}");
      auto k = Str(kv, "name", path);
      auto v = Str(kv, "value", path);
      if (!k) return k.error();
      if (!v) return v.error();
      if (k->empty()) return Bad(path, kv, "exec \"env\" entry has no name");
      e.env.emplace_back(*k, *v);
    }
  }
  if (e.command.empty()) return Bad(path, n, "exec: command must be specified");
  if (e.api_version.empty()) return Bad(path, n, "exec: apiVersion must be specified");
  if (e.api_version != "client.authentication.k8s.io/v1" &&
      e.api_version != "client.authentication.k8s.io/v1beta1") {
    return Bad(path, n,
               "exec: unsupported apiVersion \"" + e.api_version +
                   "\" (want client.authentication.k8s.io/v1 or v1beta1)");
  }
  if (e.interactive_mode.empty()) {
    if (e.api_version == "client.authentication.k8s.io/v1") {
      return Bad(path, n,
                 "exec: interactiveMode must be specified for apiVersion " + e.api_version);
    }
    e.interactive_mode = "IfAvailable";  // v1beta1 default
  }
  if (e.interactive_mode != "Never" && e.interactive_mode != "IfAvailable" &&
      e.interactive_mode != "Always") {
    return Bad(path, n, "exec: invalid interactiveMode \"" + e.interactive_mode + "\"");
  }
  return e;
}

Result<Kubeconfig> ParseFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return text.error();
  const std::string dir = fs::path(path).parent_path().string();
  Kubeconfig out;
  try {
    const YAML::Node root = YAML::Load(*text);
    if (!root || root.IsNull()) return out;  // an empty file is an empty config, as in client-go
    if (!root.IsMap()) return Bad(path, root, "kubeconfig is not a YAML map");
    auto kind = Str(root, "kind", path);
    if (!kind) return kind.error();
    if (!kind->empty() && *kind != "Config")
      return Bad(path, root["kind"], "kind is \"" + *kind + "\", want Config");
    auto cur = Str(root, "current-context", path);
    if (!cur) return cur.error();
    out.current_context = *cur;
    out.current_context_origin = path;

    Status st = ForEachNamed(root, "clusters", "cluster", path,
                             [&](const std::string& name, const YAML::Node& n) -> Status {
                               Cluster c;
                               c.line = LineOf(n);
                               auto server = Str(n, "server", path);
                               auto ca = Str(n, "certificate-authority", path);
                               auto ca_data = Str(n, "certificate-authority-data", path);
                               auto sni = Str(n, "tls-server-name", path);
                               auto insecure = Bool(n, "insecure-skip-tls-verify", path);
                               for (auto* r : {&server, &ca, &ca_data, &sni}) {
                                 if (!*r) return r->error();
                               }
                               if (!insecure) return insecure.error();
                               c.server = *server;
                               c.ca_file = Resolve(dir, *ca);
                               c.ca_data = *ca_data;
                               c.tls_server_name = *sni;
                               c.insecure = *insecure;
                               out.clusters.emplace(name, std::make_pair(std::move(c), path));
                               return OkStatus();
                             });
    if (!st) return st.error();

    st = ForEachNamed(root, "contexts", "context", path,
                      [&](const std::string& name, const YAML::Node& n) -> Status {
                        Context c;
                        c.line = LineOf(n);
                        auto cluster = Str(n, "cluster", path);
                        auto user = Str(n, "user", path);
                        auto ns = Str(n, "namespace", path);
                        for (auto* r : {&cluster, &user, &ns}) {
                          if (!*r) return r->error();
                        }
                        c.cluster = *cluster;
                        c.user = *user;
                        c.namespace_name = *ns;
                        out.contexts.emplace(name, std::make_pair(std::move(c), path));
                        return OkStatus();
                      });
    if (!st) return st.error();

    st = ForEachNamed(
        root, "users", "user", path, [&](const std::string& name, const YAML::Node& n) -> Status {
          User u;
          u.line = LineOf(n);
          auto token = Str(n, "token", path);
          auto token_file = Str(n, "tokenFile", path);
          auto cert = Str(n, "client-certificate", path);
          auto cert_data = Str(n, "client-certificate-data", path);
          auto key = Str(n, "client-key", path);
          auto key_data = Str(n, "client-key-data", path);
          auto username = Str(n, "username", path);
          for (auto* r : {&token, &token_file, &cert, &cert_data, &key, &key_data, &username}) {
            if (!*r) return r->error();
          }
          u.token = *token;
          u.token_file = Resolve(dir, *token_file);
          u.cert_file = Resolve(dir, *cert);
          u.cert_data = *cert_data;
          u.key_file = Resolve(dir, *key);
          u.key_data = *key_data;
          u.basic_auth = !username->empty();
          u.auth_provider = static_cast<bool>(n["auth-provider"]) && !n["auth-provider"].IsNull();
          if (const YAML::Node ex = n["exec"]; ex && !ex.IsNull()) {
            auto e = ParseExec(ex, path, dir);
            if (!e) return e.error();
            u.exec = std::move(*e);
          }
          out.users.emplace(name, std::make_pair(std::move(u), path));
          return OkStatus();
        });
    if (!st) return st.error();
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kMalformed, "not valid YAML: " + e.msg, path,
                     e.mark.line >= 0 ? e.mark.line + 1 : 0);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kMalformed, std::string("cannot parse: ") + e.what(), path);
  }
  return out;
}

// clientcmd merge: the first file to define a name wins; so does the first current-context.
void Merge(Kubeconfig& into, Kubeconfig&& from) {
  if (into.current_context.empty()) {
    into.current_context = from.current_context;
    into.current_context_origin = from.current_context_origin;
  }
  into.clusters.merge(from.clusters);
  into.contexts.merge(from.contexts);
  into.users.merge(from.users);
}

Result<std::string> DecodeData(const std::string& b64, const std::string& field,
                               const std::string& owner, const std::string& path, int line) {
  auto bytes = Base64Decode(b64);
  if (!bytes) {
    return MakeError(ErrorCode::kMalformed, field + " of " + owner + " is not valid base64", path,
                     line);
  }
  return *bytes;
}

Status CheckPem(const std::string& pem, const std::string& what, bool key) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return MakeError(ErrorCode::kIo, "out of memory");
  bool ok = false;
  if (key) {
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    ok = k != nullptr;
    EVP_PKEY_free(k);
  } else {
    X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    ok = x != nullptr;
    X509_free(x);
  }
  BIO_free(bio);
  if (!ok) {
    return MakeError(ErrorCode::kMalformed,
                     what + (key ? " holds no PEM private key" : " holds no PEM certificate"));
  }
  return OkStatus();
}

Result<std::string> Material(const std::string& data, const std::string& file,
                             const std::string& data_field, const std::string& file_field,
                             const std::string& owner, const std::string& path, int line,
                             bool key) {
  std::string pem;
  std::string what;
  if (!data.empty()) {
    auto d = DecodeData(data, data_field, owner, path, line);
    if (!d) return d.error();
    pem = std::move(*d);
    what = data_field + " of " + owner;
  } else {
    auto f = ReadFile(file);
    if (!f) {
      Error e = f.error();
      e.message = file_field + " of " + owner + " (" + file + "): " + e.message;
      e.path = path;
      e.line = line;
      return e;
    }
    pem = std::move(*f);
    what = file_field + " " + file + " of " + owner;
  }
  Status st = CheckPem(pem, what, key);
  if (!st) {
    Error e = st.error();
    e.path = path;
    e.line = line;
    return e;
  }
  return pem;
}

Error Invalid(const std::string& path, int line, std::string msg) {
  return MakeError(ErrorCode::kInvalid, std::move(msg), path, line);
}

}  // namespace

Status CheckCertificatePem(const std::string& pem, const std::string& what) {
  return CheckPem(pem, what, false);
}
Status CheckPrivateKeyPem(const std::string& pem, const std::string& what) {
  return CheckPem(pem, what, true);
}

KubeconfigOptions KubeconfigOptionsFromEnv(std::string explicit_path, std::string context) {
  KubeconfigOptions o;
  o.explicit_path = std::move(explicit_path);
  o.context_override = std::move(context);
  if (const char* k = std::getenv("KUBECONFIG")) o.env_kubeconfig = k;
  if (const char* h = std::getenv("HOME")) o.home = h;
  return o;
}

Result<RestConfig> LoadKubeconfig(const KubeconfigOptions& options, Clock& clock) {
  Kubeconfig merged;
  std::string origin;
  if (!options.explicit_path.empty()) {
    auto one = ParseFile(options.explicit_path);
    if (!one) return one.error();
    merged = std::move(*one);
    origin = options.explicit_path;
  } else {
    std::vector<std::string> paths;
    if (!options.env_kubeconfig.empty()) {
      size_t start = 0;
      while (start <= options.env_kubeconfig.size()) {
        const size_t colon = options.env_kubeconfig.find(':', start);
        const std::string p = options.env_kubeconfig.substr(
            start, colon == std::string::npos ? std::string::npos : colon - start);
        if (!p.empty()) paths.push_back(p);
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
    } else if (!options.home.empty()) {
      paths.push_back(options.home + "/.kube/config");
    }
    for (const auto& p : paths) {
      std::error_code ec;
      if (!fs::exists(p, ec)) continue;  // missing files in KUBECONFIG are skipped, as in clientcmd
      auto one = ParseFile(p);
      if (!one) return one.error();
      Merge(merged, std::move(*one));
      origin += (origin.empty() ? "" : ":") + p;
    }
    if (origin.empty()) {
      return MakeError(ErrorCode::kNotFound, "no kubeconfig found (looked at " +
                                                 (options.env_kubeconfig.empty()
                                                      ? options.home + "/.kube/config"
                                                      : "KUBECONFIG=" + options.env_kubeconfig) +
                                                 ")");
    }
  }

  const std::string context_name =
      options.context_override.empty() ? merged.current_context : options.context_override;
  if (context_name.empty()) {
    return Invalid(origin, 0, "no current-context is set and no --context was given");
  }
  const auto ctx_it = merged.contexts.find(context_name);
  if (ctx_it == merged.contexts.end()) {
    return Invalid(origin, 0, "context \"" + context_name + "\" does not exist");
  }
  const Context& ctx = ctx_it->second.first;
  const std::string& ctx_path = ctx_it->second.second;
  if (ctx.cluster.empty()) {
    return Invalid(ctx_path, ctx.line, "context \"" + context_name + "\" names no cluster");
  }
  const auto cl_it = merged.clusters.find(ctx.cluster);
  if (cl_it == merged.clusters.end()) {
    return Invalid(
        ctx_path, ctx.line,
        "cluster \"" + ctx.cluster + "\" was not found for context \"" + context_name + "\"");
  }
  const Cluster& cl = cl_it->second.first;
  const std::string& cl_path = cl_it->second.second;
  const std::string cl_owner = "cluster \"" + ctx.cluster + "\"";

  RestConfig rc;
  rc.origin = origin;
  rc.namespace_name = ctx.namespace_name.empty() ? "default" : ctx.namespace_name;
  if (cl.server.empty()) return Invalid(cl_path, cl.line, "no server found for " + cl_owner);
  rc.server = cl.server;
  if (rc.server.find("://") == std::string::npos) rc.server = "https://" + rc.server;
  while (rc.server.size() > 8 && rc.server.back() == '/') rc.server.pop_back();
  if (rc.server.rfind("https://", 0) != 0) {
    return Invalid(cl_path, cl.line,
                   "server \"" + RedactUrl(cl.server) + "\" of " + cl_owner +
                       " is not https; groundtruth only talks TLS to an API server");
  }
  if (Status url = CheckServerUrl(rc.server); !url) {
    return Invalid(
        cl_path, cl.line,
        "server \"" + RedactUrl(cl.server) + "\" of " + cl_owner + ": " + url.error().message);
  }
  if (!cl.ca_data.empty() && !cl.ca_file.empty()) {
    return Invalid(
        cl_path, cl.line,
        "certificate-authority-data and certificate-authority are both specified for " + cl_owner);
  }
  if (cl.insecure) {
    if (!cl.ca_data.empty() || !cl.ca_file.empty()) {
      return Invalid(cl_path, cl.line,
                     "specifying a root certificates file with the insecure flag is not allowed (" +
                         cl_owner + ")");
    }
    if (!options.allow_insecure) {
      return Invalid(cl_path, cl.line,
                     cl_owner +
                         " sets insecure-skip-tls-verify, which groundtruth refuses: remove it and "
                         "give the cluster's certificate-authority or certificate-authority-data");
    }
    rc.insecure_skip_tls_verify = true;
  }
  if (!cl.ca_data.empty() || !cl.ca_file.empty()) {
    auto ca = Material(cl.ca_data, cl.ca_file, "certificate-authority-data",
                       "certificate-authority", cl_owner, cl_path, cl.line, false);
    if (!ca) return ca.error();
    rc.ca_pem = std::move(*ca);
  }
  rc.tls_server_name = cl.tls_server_name;

  // A context without a user authenticates with nothing (client-go allows it: anonymous).
  User user;
  std::string user_path = ctx_path;
  if (!ctx.user.empty()) {
    const auto u_it = merged.users.find(ctx.user);
    if (u_it == merged.users.end()) {
      return Invalid(
          ctx_path, ctx.line,
          "user \"" + ctx.user + "\" was not found for context \"" + context_name + "\"");
    }
    user = u_it->second.first;
    user_path = u_it->second.second;
  }
  const std::string u_owner = "user \"" + ctx.user + "\"";
  if (!user.cert_data.empty() && !user.cert_file.empty()) {
    return Invalid(
        user_path, user.line,
        "client-certificate-data and client-certificate are both specified for " + u_owner);
  }
  if (!user.key_data.empty() && !user.key_file.empty()) {
    return Invalid(user_path, user.line,
                   "client-key-data and client-key are both specified for " + u_owner);
  }
  const bool has_cert = !user.cert_data.empty() || !user.cert_file.empty();
  const bool has_key = !user.key_data.empty() || !user.key_file.empty();
  if (has_cert && !has_key) {
    return Invalid(user_path, user.line,
                   "client-key-data or client-key must be specified for " + u_owner +
                       " to use the clientCert authentication method");
  }
  if (has_key && !has_cert) {
    return Invalid(user_path, user.line,
                   "client-certificate-data or client-certificate must be specified for " +
                       u_owner + " to use the clientCert authentication method");
  }
  if (user.basic_auth && (!user.token.empty() || !user.token_file.empty())) {
    return Invalid(user_path, user.line,
                   "more than one authentication method found for " + u_owner +
                       "; found token and basic auth, only one is allowed");
  }
  if (user.basic_auth) {
    return Invalid(user_path, user.line,
                   u_owner + " uses basic auth, which Kubernetes no longer serves");
  }
  if (user.exec && user.auth_provider) {
    return Invalid(
        user_path, user.line,
        "authProvider cannot be provided in combination with an exec plugin for " + u_owner);
  }
  if (user.auth_provider) {
    return Invalid(user_path, user.line,
                   u_owner + " uses an auth-provider plugin, which client-go removed; use exec");
  }

  Credentials base;
  if (has_cert) {
    auto cert = Material(user.cert_data, user.cert_file, "client-certificate-data",
                         "client-certificate", u_owner, user_path, user.line, false);
    if (!cert) return cert.error();
    auto key = Material(user.key_data, user.key_file, "client-key-data", "client-key", u_owner,
                        user_path, user.line, true);
    if (!key) return key.error();
    base.client_cert_pem = std::move(*cert);
    base.client_key_pem = std::move(*key);
  }
  if (user.exec) {
    ExecConfig e = *user.exec;
    e.cluster_server = rc.server;
    e.cluster_ca_pem = rc.ca_pem;
    e.cluster_tls_server_name = rc.tls_server_name;
    rc.credentials = std::make_shared<ExecCredentialSource>(std::move(e), clock);
  } else if (!user.token_file.empty()) {
    // clientcmd reads the file once up front (a missing file is a config error), then the
    // transport re-reads it as it rotates.
    auto tok = ReadFile(user.token_file);
    if (!tok) {
      Error e = tok.error();
      e.message = "tokenFile of " + u_owner + " (" + user.token_file + "): " + e.message;
      e.path = user_path;
      e.line = user.line;
      return e;
    }
    base.bearer_token = user.token.empty() ? TrimSpace(*tok) : user.token;
    rc.credentials = std::make_shared<FileTokenSource>(user.token_file, clock, base);
  } else {
    base.bearer_token = user.token;
    rc.credentials = std::make_shared<StaticCredentials>(base);
  }
  return rc;
}

InClusterPaths InClusterPaths::Under(const std::string& dir) {
  InClusterPaths p;
  p.token = dir + "/token";
  p.ca = dir + "/ca.crt";
  p.namespace_file = dir + "/namespace";
  return p;
}

InClusterEnv InClusterEnv::FromEnvironment() {
  InClusterEnv e;
  if (const char* h = std::getenv("KUBERNETES_SERVICE_HOST")) e.service_host = h;
  if (const char* p = std::getenv("KUBERNETES_SERVICE_PORT")) e.service_port = p;
  if (const char* n = std::getenv("POD_NAMESPACE")) e.pod_namespace = n;
  return e;
}

Result<RestConfig> LoadInClusterConfig(const InClusterEnv& env, const InClusterPaths& paths,
                                       Clock& clock) {
  if (env.service_host.empty() || env.service_port.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
                     "KUBERNETES_SERVICE_PORT must be defined");
  }
  RestConfig rc;
  rc.origin = "in-cluster";
  const bool ipv6 = env.service_host.find(':') != std::string::npos;
  rc.server = "https://" + (ipv6 ? "[" + env.service_host + "]" : env.service_host) + ":" +
              env.service_port;
  if (Status url = CheckServerUrl(rc.server); !url) {
    Error e = url.error();
    e.message = "KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT: " + e.message;
    return e;
  }
  auto ca = ReadFile(paths.ca);
  if (!ca) return ca.error();
  Status st = CheckCertificatePem(*ca, "service-account ca.crt");
  if (!st) {
    Error e = st.error();
    e.path = paths.ca;
    return e;
  }
  rc.ca_pem = std::move(*ca);
  auto source = std::make_shared<FileTokenSource>(paths.token, clock);
  auto first = source->Current();  // a pod without a token is misconfigured: say so now
  if (!first) return first.error();
  rc.credentials = std::move(source);
  if (!env.pod_namespace.empty()) {
    rc.namespace_name = env.pod_namespace;
  } else if (auto ns = ReadFile(paths.namespace_file); ns && !TrimSpace(*ns).empty()) {
    rc.namespace_name = TrimSpace(*ns);
  }
  return rc;
}

}  // namespace gt::kube

// TLS material for the agent <-> controller link: one CA, a server certificate for the
// agents and a client certificate for the controller, EC P-256, made with OpenSSL's C API.
// Private keys go only into files (mode 0600) or into Secret YAML on stdout when asked;
// never into a log line.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace gt::agent {

struct PemPair {
  std::string cert;  // PEM certificate
  std::string key;   // PEM PKCS#8 private key
};

struct CertRequest {
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  bool server_auth = false;
  bool client_auth = false;
  std::chrono::seconds validity = std::chrono::hours(24 * 365);
};

// A self-signed CA that may sign leaf certificates only (pathlen 0).
Result<PemPair> MakeCa(std::string_view common_name, std::chrono::seconds validity);

// A leaf certificate signed by `ca`. Names are checked (DNS labels, IP literals) so that a
// flag cannot smuggle extra subjectAltName entries in.
Result<PemPair> IssueCert(const PemPair& ca, const CertRequest& request);

struct TlsBundleOptions {
  std::string ca_name = "groundtruth-ca";
  std::vector<std::string> agent_dns;  // default: groundtruth-agent[.<agent_namespace>.svc]
  std::vector<std::string> agent_ips;
  std::string controller_name = "groundtruth-controller";
  // manifests/base/namespace.yaml: the agents run apart from the controller, whose namespace
  // enforces Pod Security `restricted`.
  std::string agent_namespace = "groundtruth-agent";
  std::string controller_namespace = "groundtruth-system";
  std::chrono::seconds validity = std::chrono::hours(24 * 365);
};

struct TlsBundle {
  PemPair ca;
  PemPair agent;       // serverAuth
  PemPair controller;  // clientAuth
};

// `existing_ca`, when given, signs instead of a new CA (rotating leaves, keeping trust).
Result<TlsBundle> MakeTlsBundle(const TlsBundleOptions& options,
                                const PemPair* existing_ca = nullptr);

// Writes ca.crt, ca.key, agent.crt, agent.key, controller.crt, controller.key into `dir`
// (created if missing); keys with mode 0600. Existing files are kept unless `overwrite`.
Status WriteTlsBundle(const TlsBundle& bundle, const std::string& dir, bool overwrite);

// Secrets groundtruth-agent-tls and groundtruth-controller-tls (type kubernetes.io/tls with
// ca.crt), each in the namespace of the pods that mount it, as manifests/ does. The CA's key
// is not included.
std::string KubernetesSecretsYaml(const TlsBundle& bundle, std::string_view agent_namespace,
                                  std::string_view controller_namespace);

// `groundtruth certs ...`; returns the process exit code.
int CertsMain(int argc, char** argv);

}  // namespace gt::agent

// How to reach and authenticate to an API server: from kubeconfig files (client-go
// clientcmd rules) or from inside a pod (service-account token, rotated).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "kube/credentials.h"

namespace gt::kube {

struct RestConfig {
  std::string server;           // https://host:port[/prefix]
  std::string ca_pem;           // trust only these roots; empty: the system's roots
  std::string tls_server_name;  // name to verify the server certificate against
  bool insecure_skip_tls_verify = false;
  std::shared_ptr<CredentialSource> credentials;  // never null once loaded
  std::string namespace_name = "default";         // from the context or the pod
  std::string origin;                             // the file(s) or "in-cluster", for messages
};

struct KubeconfigOptions {
  std::string explicit_path;     // --kubeconfig: only this file, which must exist
  std::string env_kubeconfig;    // $KUBECONFIG: ':'-separated, merged, missing files skipped
  std::string home;              // $HOME: ~/.kube/config when neither of the above is set
  std::string context_override;  // --context
  bool allow_insecure = false;   // honour insecure-skip-tls-verify (no flag sets it)
};

// Reads KUBECONFIG and HOME from the environment.
KubeconfigOptions KubeconfigOptionsFromEnv(std::string explicit_path, std::string context);

Result<RestConfig> LoadKubeconfig(const KubeconfigOptions& options, Clock& clock);

struct InClusterPaths {
  std::string token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
  static InClusterPaths Under(const std::string& dir);
};

struct InClusterEnv {
  std::string service_host;   // KUBERNETES_SERVICE_HOST
  std::string service_port;   // KUBERNETES_SERVICE_PORT
  std::string pod_namespace;  // POD_NAMESPACE, preferred over the namespace file like client-go
  static InClusterEnv FromEnvironment();
};

// kNotFound when not running in a pod (no KUBERNETES_SERVICE_HOST/PORT).
Result<RestConfig> LoadInClusterConfig(const InClusterEnv& env, const InClusterPaths& paths,
                                       Clock& clock);

// Checks PEM text holds at least one certificate / a private key (what TLS will need).
Status CheckCertificatePem(const std::string& pem, const std::string& what);
Status CheckPrivateKeyPem(const std::string& pem, const std::string& what);

}  // namespace gt::kube
